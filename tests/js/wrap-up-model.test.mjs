// The pure half of rebuilding the after-call work card after a reload (static/softphone/
// wrap-up-model.js): session.ready's wrap_up as the card's data.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { logFields, restoredWrapUp } from '../../static/softphone/wrap-up-model.js';

const READY = {
  status: 'after_call_work',
  wrap_up_ends_at: '2026-12-02T18:02:00Z',
  calls: [],
  wrap_up: {
    call: {
      call_id: 'call_1', state: 'ended', direction: 'inbound', from: '+14155551212', to: '+18005550100',
      queue_id: 'q_1', role: 'primary', conference: false,
      answered_at: '2026-12-02T17:59:00Z', ended_at: '2026-12-02T18:00:00Z', cause: 'normal_clearing', side: 'caller',
    },
    logging: true, dispositions: ['Resolved', 'Callback'], disposition_required: true, disposition: null, notes: 'Wants a callback',
  },
};

describe('restoredWrapUp', () => {
  test('the ended call as a card: its parties, its duration, when the wrap-up began', () => {
    const w = restoredWrapUp(READY);
    assert.equal(w.callId, 'call_1');
    assert.deepEqual(
      [w.snapshot.state, w.snapshot.direction, w.snapshot.from, w.snapshot.to, w.snapshot.queue_id],
      ['ended', 'inbound', '+14155551212', '+18005550100', 'q_1'],
    );
    assert.equal(w.talkSeconds, 60);
    assert.equal(w.startedAt, Date.parse('2026-12-02T18:00:00Z')); // the countdown's 120 s, not what is left
    assert.equal(w.connectedAt, Date.parse('2026-12-02T17:59:00Z'));
    assert.deepEqual([w.cause, w.side], ['normal_clearing', 'caller']);
    assert.deepEqual(w.log, { dispositions: ['Resolved', 'Callback'], required: true, disposition: '', notes: 'Wants a callback' });
  });
  test('nothing to rebuild outside after-call work, or without a call', () => {
    assert.equal(restoredWrapUp({ ...READY, status: 'available' }), null);
    assert.equal(restoredWrapUp({ ...READY, wrap_up: null }), null);
    assert.equal(restoredWrapUp({ status: 'after_call_work', calls: [] }), null);
    assert.equal(restoredWrapUp(null), null);
    const broken = { ...READY, wrap_up: { ...READY.wrap_up, call: { ...READY.wrap_up.call, ended_at: 'soon' } } };
    assert.equal(restoredWrapUp(broken), null);
  });
  test('a call never answered has no talk time; one with no Salesforce log has no log', () => {
    const unanswered = { ...READY, wrap_up: { ...READY.wrap_up, logging: false, call: { ...READY.wrap_up.call, answered_at: null } } };
    const w = restoredWrapUp(unanswered);
    assert.equal(w.talkSeconds, 0);
    assert.ok(w.connectedAt > 0); // the card counts as the call being wrapped up
    assert.equal(w.log, null);
  });
});

describe('logFields', () => {
  const log = { dispositions: ['Resolved', 'Callback'], required: true, disposition: 'Callback', notes: 'n' };
  test('the saved disposition and notes go in the form', () => {
    assert.deepEqual(logFields(log, { dirty: false }), { disposition: 'Callback', notes: 'n' });
  });
  test('a disposition no longer offered is not selected; what the agent typed is kept', () => {
    assert.deepEqual(logFields({ ...log, disposition: 'Gone' }, { dirty: false }), { disposition: '', notes: 'n' });
    assert.equal(logFields(log, { dirty: true }), null);
    assert.equal(logFields(null, { dirty: false }), null);
  });
});
