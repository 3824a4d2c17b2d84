// Unit tests of static/admin/assets/wallboard-model.js: a wallboard.update as rows, times in
// state ticking on the browser's clock against the server's, service level in words.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { importStatic } from './helpers/static-modules.mjs';

const m = await importStatic('admin/assets/wallboard-model.js');

const T0 = 1_800_000_000;

const message = {
  now: T0 + 100,
  threshold_s: 20,
  window_s: 3600,
  agents: [
    { id: 'ag_1', name: 'Ann', extension: '101', state: 'on_call', reason: null, connected: true, queue_ids: ['q_1'], since: T0 + 40, wrap_up_ends_at: null },
    { id: 'ag_2', name: 'Bob', extension: '102', state: 'after_call_work', reason: null, connected: true, queue_ids: ['q_1'], since: T0 + 90, wrap_up_ends_at: T0 + 120 },
    { id: 'ag_3', name: 'Cy', extension: '103', state: 'on_break', reason: 'lunch', connected: false, queue_ids: [], since: T0, wrap_up_ends_at: null },
  ],
  queues: [
    {
      id: 'q_1', name: 'Support', waiting: 2, longest_wait_since: T0 + 55, agents_available: 0, agents_signed_in: 2,
      service_level: { answered: 4, answered_within: 3, abandoned: 1, percent: 60.0 },
    },
  ],
  calls: [
    { id: 'call_1', direction: 'inbound', state: 'connected', from: '+14155550100', to: '+18005550100', queue_id: 'q_1', queue_name: 'Support', agents: [{ id: 'ag_1', name: 'Ann' }], started_at: T0 + 30, answered_at: T0 + 40 },
    { id: 'call_2', direction: 'outbound', state: 'ringing', from: '+18005550100', to: '+14155550199', queue_id: null, queue_name: null, agents: [], started_at: T0 + 95, answered_at: null },
  ],
  totals: {
    agents: { ringing: 0, on_call: 1, available: 0, after_call_work: 1, on_break: 1, logged_out: 0 },
    waiting: 2, longest_wait_since: T0 + 55, calls: 2,
    service_level: { answered: 4, answered_within: 3, abandoned: 1, percent: 60.0 },
  },
};

describe('receive and serverNow', () => {
  test("the server's clock, not the browser's: elapsed times survive a skewed clock", () => {
    const browserMs = (T0 + 40) * 1000; // the browser's clock is 60 s behind
    const live = m.receive(message, browserMs);
    assert.equal(live.board.agents.length, 3);
    assert.equal('now' in live.board, false);
    assert.equal(m.serverNow(live, browserMs), T0 + 100);
    assert.equal(m.serverNow(live, browserMs + 5000), T0 + 105);
  });
});

describe('formatDuration', () => {
  test('m:ss, then h:mm:ss; never negative; a dash when unknown', () => {
    assert.equal(m.formatDuration(7.9), '0:07');
    assert.equal(m.formatDuration(754), '12:34');
    assert.equal(m.formatDuration(3723), '1:02:03');
    assert.equal(m.formatDuration(-3), '0:00');
    assert.equal(m.formatDuration(null), '—');
  });
});

describe('rows', () => {
  const live = m.receive(message, (T0 + 100) * 1000);
  test('agents: state in words (the reason of a pause), time in state ticking', () => {
    const rows = m.agentRows(live.board, T0 + 100);
    assert.deepEqual(rows.map((r) => [r.name, r.label, r.inState]), [
      ['Ann', 'On call', '1:00'],
      ['Bob', 'After-call work', '0:10'],
      ['Cy', 'On break · lunch', '1:40'],
    ]);
    assert.equal(rows[1].wrapUpLeft, '0:20');
    assert.equal(rows[0].wrapUpLeft, null);
    assert.equal(rows[2].offline, true);
    const later = m.agentRows(live.board, T0 + 161);
    assert.equal(later[0].inState, '2:01');
  });
  test("agents: each with its queues' names, by name; none, or one since deleted", () => {
    const queues = [{ id: 'q_b', name: 'Billing' }, { id: 'q_s', name: 'Support' }];
    assert.equal(m.agentQueues({ queue_ids: ['q_s', 'q_b'] }, queues), 'Billing, Support');
    assert.equal(m.agentQueues({ queue_ids: [] }, queues), 'No queue');
    assert.equal(m.agentQueues({ queue_ids: ['q_x'] }, queues), 'q_x');
  });
  test('queues: depth, longest wait, service level with a word for its grade', () => {
    const [q] = m.queueRows(live.board, T0 + 100);
    assert.equal(q.waiting, 2);
    assert.equal(q.longestWait, '0:45');
    assert.equal(q.serviceLevel, '60%');
    assert.equal(q.word, 'Below target');
  });
  test('calls: the outside party, the agents, the duration from the start', () => {
    const [inbound, outbound] = m.callRows(live.board, T0 + 100);
    assert.equal(inbound.caller, '+14155550100');
    assert.equal(inbound.agents, 'Ann');
    assert.equal(inbound.duration, '1:10');
    assert.equal(outbound.caller, '+14155550199');
    assert.equal(outbound.direction, 'Outbound');
    assert.equal(outbound.agents, '—');
    assert.equal(outbound.label, 'Ringing');
  });
  test('summary: the big numbers and how the service level is counted', () => {
    const s = m.summary(live.board, T0 + 100);
    assert.equal(s.waiting, 2);
    assert.equal(s.longestWait, '0:45');
    assert.equal(s.serviceLevel, '60%');
    assert.equal(s.serviceLevelHow, 'Share of queued calls answered within 20 s in the last hour');
    assert.equal(s.serviceLevelCounts, '3 of 5 calls');
    assert.equal(s.callsConnected, 1);
    const quiet = { ...live.board, totals: { ...live.board.totals, service_level: { answered: 0, answered_within: 0, abandoned: 0, percent: null } } };
    assert.equal(m.summary(quiet, T0 + 100).serviceLevelCounts, null);
    assert.deepEqual(s.agents.map((a) => a.count), [0, 1, 0, 1, 1, 0]);
  });
});

describe('serviceLevelGrade', () => {
  test('a word for each grade, so colour is never the only signal', () => {
    assert.equal(m.serviceLevelGrade(null).word, 'No calls yet');
    assert.equal(m.serviceLevelGrade(80).grade, 'good');
    assert.equal(m.serviceLevelGrade(79.9).grade, 'warn');
    assert.equal(m.serviceLevelGrade(10).grade, 'bad');
    assert.equal(m.formatPercent(null), '—');
    assert.equal(m.formatPercent(87.46), '87%');
  });
});
