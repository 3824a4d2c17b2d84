// Unit tests of static/admin/assets/telephony-model.js: how the queues, agents, numbers and
// settings pages word the API's refusals, read seconds and presence, build their bodies
// (every field to create, only the changes to edit), and edit the pause reasons.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { importStatic } from './helpers/static-modules.mjs';

const m = await importStatic('admin/assets/telephony-model.js');

const queue = (id, name, extra = {}) => ({
  id,
  name,
  ring_timeout_s: 20,
  max_wait_s: null,
  overflow: null,
  wrap_up_s: 30,
  ...extra,
});

describe('errorText', () => {
  test('the API message without its field prefix, in plain words, as a sentence', () => {
    const say = (message, field) => m.errorText({ status: 422, code: 'invalid', message, field });
    assert.equal(say('ring_timeout_s: Input should be greater than or equal to 0.1'), 'Must be at least 0.1.');
    assert.equal(say('max_wait_s: Input should be less than or equal to 86400'), 'Must be at most 86400.');
    assert.equal(say('name: String should have at least 1 character'), 'This can’t be empty.');
    assert.equal(say('name: String should have at most 200 characters'), 'Use at most 200 characters.');
    assert.equal(say('wrap_up_s: Input should be a valid number'), 'Must be a number.');
    assert.equal(say('extension: must be 2-8 digits'), 'Must be 2-8 digits.');
    assert.equal(say('number: must be E.164, e.g. +18005550100'), 'Must be E.164, e.g. +18005550100.');
    assert.equal(
      say('overflow.end.cause: must be a short lower-case word (a-z, 0-9, space, _ or -; at most 64)'),
      'Must be a short lower-case word (a-z, 0-9, space, _ or -; at most 64).',
    );
    assert.equal(say('pause_reasons: List should have at least 1 item after validation, not 0'), 'Keep at least one.');
  });
  test('ids named when the page knows them; conflicts and 409s as they come, capitalised', () => {
    const err = { status: 422, message: 'queue q_01abc not found', field: 'overflow' };
    assert.equal(m.errorText(err, { q_01abc: 'Billing' }), 'Queue “Billing” not found.');
    assert.equal(m.errorText(err), 'Queue q_01abc not found.');
    assert.equal(
      m.errorText({ status: 409, code: 'conflict', message: 'an agent with this email or extension exists' }),
      'An agent with this email or extension exists.',
    );
  });
  test('a server error never shows its text; an empty message says the status', () => {
    const text = m.errorText({ status: 500, message: 'Traceback (most recent call last): KeyError' });
    assert.doesNotMatch(text, /Traceback|KeyError/);
    assert.match(text, /problem on the server/);
    assert.equal(m.errorText({ status: 418, message: '' }), 'The request was refused (HTTP 418).');
    assert.equal(m.errorText(null), '');
  });
});

describe('seconds and parseSeconds', () => {
  test('seconds read as people say them', () => {
    assert.equal(m.seconds(20), '20 s');
    assert.equal(m.seconds(2.5), '2.5 s');
    assert.equal(m.seconds(0.1), '0.1 s');
    assert.equal(m.seconds(300), '5 min');
    assert.equal(m.seconds(150), '2 min 30 s');
    assert.equal(m.seconds(3600), '1 h');
    assert.equal(m.seconds(5400), '1 h 30 min');
    assert.equal(m.seconds(null), '—');
  });
  test('rangeText: the bounds the API enforces, for the hints', () => {
    assert.equal(m.rangeText('ring_timeout_s'), '0.1 to 600');
    assert.equal(m.rangeText('max_wait_s'), '0.1 to 86400');
    assert.equal(m.rangeText('outbound_wrap_up_s'), '0 to 3600');
  });
  test('text to a number, null for an empty optional field, an error for words', () => {
    assert.equal(m.parseSeconds(' 20 '), 20);
    assert.equal(m.parseSeconds('2,5'), 2.5);
    assert.equal(m.parseSeconds('.5'), 0.5);
    assert.equal(m.parseSeconds('-3'), -3); // the API says what is wrong with it
    assert.equal(m.parseSeconds('', { optional: true }), null);
    assert.match(m.parseSeconds('').error, /number of seconds/);
    assert.match(m.parseSeconds('twenty').error, /e\.g\. 20/);
    assert.match(m.parseSeconds('1e3').error, /number/);
  });
});

describe('queues', () => {
  test('queueBody: no max wait, no overflow; a max wait ends the call or moves it', () => {
    const form = { name: ' Support ', ring_timeout_s: '20', wrap_up_s: '30', max_wait_s: '', overflow: 'queue:q_2', cause: '' };
    assert.deepEqual(m.queueBody(form), { name: 'Support', ring_timeout_s: 20, wrap_up_s: 30, max_wait_s: null, overflow: null });
    assert.deepEqual(m.queueBody({ ...form, max_wait_s: '300' }).overflow, { action: 'queue', queue_id: 'q_2' });
    assert.deepEqual(m.queueBody({ ...form, max_wait_s: '300', overflow: 'end' }).overflow, {
      action: 'end',
      cause: 'max_wait_exceeded',
    });
    assert.deepEqual(m.queueBody({ ...form, max_wait_s: '300', overflow: 'end', cause: ' closed ' }).overflow, {
      action: 'end',
      cause: 'closed',
    });
  });
  test('queueBody: each field that is not a number has its own message', () => {
    const out = m.queueBody({ name: 'S', ring_timeout_s: 'x', wrap_up_s: '', max_wait_s: 'soon', overflow: 'end' });
    assert.deepEqual(Object.keys(out.errors).sort(), ['max_wait_s', 'ring_timeout_s', 'wrap_up_s']);
  });
  test('changes: only what differs (queue ids in any order are the same); null for none', () => {
    const saved = queue('q_1', 'Support', { max_wait_s: 300, overflow: { action: 'end', cause: 'max_wait_exceeded' } });
    const body = { name: 'Support', ring_timeout_s: 20, wrap_up_s: 15, max_wait_s: 300, overflow: { action: 'end', cause: 'max_wait_exceeded' } };
    assert.deepEqual(m.changes(saved, body), { wrap_up_s: 15 });
    assert.equal(m.changes(saved, { ...body, wrap_up_s: 30 }), null);
    assert.deepEqual(m.changes(saved, { ...body, wrap_up_s: 30, max_wait_s: null, overflow: null }), { max_wait_s: null, overflow: null });
    assert.equal(m.changes({ queue_ids: ['b', 'a'] }, { queue_ids: ['a', 'b'] }), null);
  });
  test('queueRows: sorted by name, with overflow in words and the agents answering each', () => {
    const queues = [
      queue('q_2', 'Support', { max_wait_s: 300, overflow: { action: 'queue', queue_id: 'q_1' } }),
      queue('q_1', 'Billing', { wrap_up_s: 0, max_wait_s: 60, overflow: { action: 'end', cause: 'closed_today' } }),
      queue('q_3', 'Callbacks'),
    ];
    const agents = [{ queue_ids: ['q_2', 'q_1'] }, { queue_ids: ['q_2'] }];
    const rows = m.queueRows(queues, agents);
    assert.deepEqual(rows.map((r) => r.name), ['Billing', 'Callbacks', 'Support']);
    assert.deepEqual(rows[0], {
      id: 'q_1', name: 'Billing', ring: '20 s per agent', wrapUp: 'None', maxWait: '1 min',
      overflow: 'Call ends (closed today)', agents: 1,
    }); // prettier-ignore
    assert.equal(rows[1].maxWait, 'No limit');
    assert.equal(rows[1].overflow, 'Never (no max wait)');
    assert.equal(rows[1].agents, 0);
    assert.equal(rows[2].overflow, 'Moves to Billing');
    assert.equal(rows[2].agents, 2);
    assert.equal(m.overflowLabel(queue('q', 'Q', { max_wait_s: 5 })), 'Call ends');
    assert.equal(m.overflowChoice(queues[0]), 'queue:q_1');
    assert.equal(m.overflowChoice(queues[1]), 'end');
    assert.equal(m.overflowChoice(null), 'end');
  });
  test('queueInUse names the numbers and overflows that hold a queue', () => {
    const queues = [queue('q_1', 'Billing'), queue('q_2', 'Support', { max_wait_s: 9, overflow: { action: 'queue', queue_id: 'q_1' } })];
    const numbers = [{ number: '+18005550100', queue_id: 'q_1' }, { number: '+18005550199', queue_id: 'q_2' }];
    assert.equal(
      m.queueInUse('q_1', numbers, queues),
      'This queue can’t be deleted while the number +18005550100 and the overflow of “Support” send calls to it. Point them to another queue first.',
    );
    assert.equal(
      m.queueInUse('q_2', numbers, queues),
      'This queue can’t be deleted while the number +18005550199 sends calls to it. Point it to another queue first.',
    );
    assert.match(m.queueInUse('q_3', [], []), /still in use/);
  });
});

describe('agents', () => {
  const agent = (extra) => ({ id: 'ag_1', name: 'Ada', email: 'ada@x.example', extension: '101', queue_ids: [], status: 'logged_out', reason: null, connected: false, ...extra });
  test('presence in words, the pause reason with a break, whether a softphone is in', () => {
    assert.deepEqual(m.presence(agent({ status: 'available', connected: true })), { label: 'Available', kind: 'ok', detail: 'Softphone signed in' });
    assert.equal(m.presence(agent({ status: 'on_break', reason: 'lunch' })).label, 'On break (lunch)');
    assert.equal(m.presence(agent({ status: 'after_call_work' })).label, 'After-call work');
    assert.equal(m.presence(agent({ status: 'on_call' })).label, 'On a call');
    assert.equal(m.presence(agent({})).detail, 'No softphone signed in');
    assert.equal(m.presence(agent({ status: 'in_training' })).label, 'In training');
  });
  test('agentRows: sorted, queues by name (an unknown id as it is)', () => {
    const rows = m.agentRows(
      [agent({ id: 'ag_2', name: 'Zoe', queue_ids: ['q_2', 'q_1', 'q_gone'] }), agent({})],
      [queue('q_1', 'Support'), queue('q_2', 'Billing')],
    );
    assert.deepEqual(rows.map((r) => r.name), ['Ada', 'Zoe']);
    assert.deepEqual(rows[1].queues, ['Billing', 'q_gone', 'Support']);
  });
  test('agentBody trims and keeps each queue once', () => {
    assert.deepEqual(m.agentBody({ name: ' Ada ', email: ' ada@x.example', extension: '101 ', queue_ids: ['q_1', 'q_1', 'q_2'] }), {
      name: 'Ada', email: 'ada@x.example', extension: '101', queue_ids: ['q_1', 'q_2'],
    }); // prettier-ignore
  });
  test('agentConflict: the clashing field and agent, never the agent being edited', () => {
    const agents = [agent({}), agent({ id: 'ag_2', name: 'Zoe', email: 'Zoe@x.example', extension: '102' })];
    assert.deepEqual(m.agentConflict({ email: 'new@x.example', extension: '101' }, agents), {
      field: 'extension',
      message: 'Ada has extension 101 already. Choose another.',
    });
    assert.deepEqual(m.agentConflict({ email: 'zoe@x.example', extension: '109' }, agents), {
      field: 'email',
      message: 'Zoe has this email already. Each agent needs their own.',
    });
    assert.equal(m.agentConflict({ email: 'ada@x.example', extension: '101' }, agents, 'ag_1'), null);
    assert.equal(m.agentConflict({ email: 'x@x.example', extension: '109' }, agents), null);
  });
  test('softphoneLink carries the token in the fragment', () => {
    assert.equal(m.softphoneLink('http://127.0.0.1:8080', 'a.b-c'), 'http://127.0.0.1:8080/softphone/#token=a.b-c');
    assert.ok(!m.softphoneLink('http://h', 't').includes('?'));
  });
});

describe('numbers', () => {
  test('normalizeNumber drops separators and reads 00 as +; leaves the rest to the API', () => {
    assert.equal(m.normalizeNumber(' +1 (800) 555-0100 '), '+18005550100');
    assert.equal(m.normalizeNumber('0044 20 7946 0000'), '+442079460000');
    assert.equal(m.normalizeNumber('+33.1.23.45.67.89'), '+33123456789');
    assert.equal(m.normalizeNumber('555 0100'), '5550100');
  });
  test('numberRows: sorted, with the queue name', () => {
    const rows = m.numberRows(
      [{ id: 'n2', number: '+18005550199', queue_id: 'q_1', published: false }, { id: 'n1', number: '+18005550100', queue_id: 'q_x', published: true }],
      [queue('q_1', 'Support')],
    );
    assert.deepEqual(rows, [
      { id: 'n1', number: '+18005550100', queue: 'q_x', published: true },
      { id: 'n2', number: '+18005550199', queue: 'Support', published: false },
    ]);
  });
});

describe('pause reasons and numeric settings', () => {
  test('a reason is trimmed and lower-cased; what the API refuses is said first', () => {
    assert.deepEqual(m.pauseReason('  Team  Meeting '), { value: 'team meeting' });
    assert.match(m.pauseReason('').error, /Type a reason/);
    assert.match(m.pauseReason('café').error, /letters, digits/);
    assert.match(m.pauseReason('-break').error, /starting with a letter or digit/);
    assert.match(m.pauseReason('x'.repeat(65)).error, /64/);
  });
  test('add, remove (never the last) and move', () => {
    assert.deepEqual(m.addPauseReason(['break'], 'Lunch'), { reasons: ['break', 'lunch'] });
    assert.match(m.addPauseReason(['break'], 'BREAK').error, /already/);
    const full = Array.from({ length: 20 }, (_, i) => `r${i}`);
    assert.match(m.addPauseReason(full, 'more').error, /At most 20/);
    assert.deepEqual(m.removePauseReason(['break', 'lunch'], 'break'), { reasons: ['lunch'] });
    assert.match(m.removePauseReason(['break'], 'break').error, /at least one/);
    assert.deepEqual(m.movePauseReason(['a', 'b', 'c'], 'c', -1), ['a', 'c', 'b']);
    assert.deepEqual(m.movePauseReason(['a', 'b', 'c'], 'a', -1), ['a', 'b', 'c']);
    assert.deepEqual(m.movePauseReason(['a', 'b', 'c'], 'a', 1), ['b', 'a', 'c']);
  });
  test('numberSettingsChanges: only what changed, errors by field, unknown keys left out', () => {
    const saved = { outbound_wrap_up_s: 0, service_level_threshold_s: 20 };
    assert.deepEqual(m.numberSettingsChanges(saved, { outbound_wrap_up_s: '15' }), { body: { outbound_wrap_up_s: 15 } });
    assert.deepEqual(m.numberSettingsChanges(saved, { outbound_wrap_up_s: '0' }), { body: {} });
    assert.deepEqual(Object.keys(m.numberSettingsChanges(saved, { outbound_wrap_up_s: 'x' }).errors), ['outbound_wrap_up_s']);
    assert.deepEqual(m.numberSettingsChanges({}, { outbound_wrap_up_s: '10' }), { body: {} });
  });
  test('the service level threshold: a choice of the rungs the API accepts, sent when changed', () => {
    assert.deepEqual(m.SERVICE_LEVEL_THRESHOLDS, [5, 10, 15, 20, 25, 30, 45, 60, 90, 120, 180, 240, 300, 600]);
    const { options } = m.SERVICE_LEVEL_CHOICE;
    assert.deepEqual(options.map((o) => o.value), m.SERVICE_LEVEL_THRESHOLDS.map(String));
    assert.deepEqual([options[0].label, options[7].label, options[8].label, options[13].label], ['5 s', '1 min', '1 min 30 s', '10 min']);
    const saved = { service_level_threshold_s: 20 };
    assert.deepEqual(m.thresholdChange(saved, '30'), { service_level_threshold_s: 30 });
    assert.deepEqual(m.thresholdChange(saved, '20'), {});
    assert.deepEqual(m.thresholdChange({}, '30'), {});
    assert.deepEqual(m.thresholdChange(saved, undefined), {});
  });
});
