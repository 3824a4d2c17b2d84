// Unit tests of the softphone's pure models: status-model.js (connection apart from status,
// after-call work, when ended cards go), directory-model.js (the transfer picker),
// shortcuts-model.js, notify-model.js and errors-model.js (one place for error words).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { importStatic } from './helpers/static-modules.mjs';

const status = await importStatic('softphone/status-model.js');
const dir = await importStatic('softphone/directory-model.js');
const keys = await importStatic('softphone/shortcuts-model.js');
const notify = await importStatic('softphone/notify-model.js');
const errors = await importStatic('softphone/errors-model.js');

describe('status-model', () => {
  test('the connection badge never speaks of the status, and the reverse', () => {
    assert.equal(status.connectionText('connected'), 'Connected');
    assert.equal(status.connectionText('reconnecting'), 'Reconnecting…');
    assert.equal(status.connectionText('reconnecting', 3), 'Reconnecting (attempt 3)…');
    assert.equal(status.connectionText('offline'), 'Offline');
    assert.equal(status.connectionText('nonsense'), 'Offline');
    assert.equal(status.statusText('on_break', 'lunch'), 'On break: lunch');
    assert.equal(status.statusText('after_call_work'), 'After-call work');
    assert.match(status.statusDetail('logged_out', 'connected'), /calls do not ring/);
    assert.match(status.statusDetail('available', 'offline'), /out of date/);
    assert.equal(status.statusDetail('available', 'reconnecting'), 'Reconnecting to SIVO: this is your last known status. Calls ring here.');
  });

  test('after-call work and on-call are never choices; the list is locked on a call', () => {
    const acw = status.statusChoices({ status: 'after_call_work', reason: null }, ['lunch']);
    assert.deepEqual(acw.options.map((o) => o.value), ['available', 'on_break:lunch', 'logged_out']);
    assert.equal(acw.current, '');
    assert.equal(acw.locked, false);
    assert.equal(status.statusChoices({ status: 'on_call' }, []).locked, true);
    assert.equal(status.statusChoices({ status: 'on_break', reason: 'lunch' }, ['lunch']).current, 'on_break:lunch');
    assert.deepEqual(status.presencePayload('on_break:team: sync'), { status: 'on_break', reason: 'team: sync' });
    assert.deepEqual(status.presencePayload('available'), { status: 'available' });
  });

  test('the wrap-up countdown, its total, and a wrap-up held past its time', () => {
    const start = Date.parse('2026-01-01T10:00:00.000Z');
    const p = { status: 'after_call_work', wrap_up_ends_at: '2026-01-01T10:00:30.000Z' };
    assert.deepEqual(status.wrapUp(p, start, start + 4_500), { active: true, total: 30, left: 26, overdue: false, text: '00:26 left' });
    const over = status.wrapUp(p, start, start + 31_000);
    assert.equal(over.overdue, true);
    assert.match(over.text, /disposition/);
    assert.equal(status.wrapUp({ status: 'available' }, start, start).active, false);
    assert.equal(status.wrapUp({ status: 'after_call_work', wrap_up_ends_at: null }, null, start).active, true);
  });

  test('ended cards go when the agent is available again or leaves after-call work', () => {
    assert.equal(status.clearsEndedCalls('after_call_work', 'available'), true);
    assert.equal(status.clearsEndedCalls('on_call', 'available'), true); // a 0-second wrap-up
    assert.equal(status.clearsEndedCalls('after_call_work', 'on_break'), true);
    assert.equal(status.clearsEndedCalls('on_call', 'after_call_work'), false);
    assert.equal(status.clearsEndedCalls('available', 'available'), false); // a missed call stays
  });
});

describe('directory-model', () => {
  const listing = {
    agents: [
      { agent_id: 'ag_me', name: 'Me', extension: '100', status: 'available', reason: null, connected: true, can_take: false, self: true },
      { agent_id: 'ag_zoe', name: 'Zoë Quinn', extension: '104', status: 'on_break', reason: 'lunch', connected: true, can_take: false, self: false },
      { agent_id: 'ag_bob', name: 'Bob Stone', extension: '102', status: 'available', reason: null, connected: true, can_take: true, self: false },
      { agent_id: 'ag_cy', name: 'Cy Busy', extension: '103', status: 'available', reason: null, connected: true, can_take: false, self: false },
    ],
    queues: [{ queue_id: 'q_sup', name: 'Support', waiting: 2, wrap_up_s: 30 }],
  };

  test('options: me left out, who can take first, why the others cannot, queues with depth', () => {
    const opts = dir.directoryOptions(listing);
    assert.deepEqual(opts.map((o) => [o.id, o.disabled]), [['ag_bob', false], ['ag_zoe', true], ['ag_cy', true], ['q_sup', false]]);
    assert.equal(opts[0].detail, 'ext. 102 · Available');
    assert.equal(opts[1].detail, 'ext. 104 · On break: lunch');
    assert.equal(opts[2].detail, 'ext. 103 · Busy');
    assert.equal(opts[3].detail, 'Queue · 2 calls waiting');
    assert.deepEqual(dir.directoryOptions(listing, ['agent']).map((o) => o.kind), ['agent', 'agent', 'agent']);
  });

  test('filtering: every word, any case or accent, by name, extension, id or kind', () => {
    const opts = dir.directoryOptions(listing);
    assert.deepEqual(dir.filterOptions(opts, 'zoe').map((o) => o.id), ['ag_zoe']);
    assert.deepEqual(dir.filterOptions(opts, '102').map((o) => o.id), ['ag_bob']);
    assert.deepEqual(dir.filterOptions(opts, 'queue sup').map((o) => o.id), ['q_sup']);
    assert.equal(dir.filterOptions(opts, '  ').length, 4);
    assert.equal(dir.exactOption(opts, 'bob stone').id, 'ag_bob');
    assert.equal(dir.exactOption(opts, 'b'), null);
  });

  test('keys: arrows open and wrap, Enter chooses only an active option, Escape closes then clears', () => {
    const closed = { open: false, active: -1 };
    assert.deepEqual(dir.comboKey('ArrowDown', closed, 3), { open: true, active: 0, choose: false, clear: false, handled: true });
    assert.equal(dir.comboKey('ArrowDown', { open: true, active: 2 }, 3).active, 0);
    assert.equal(dir.comboKey('ArrowUp', { open: true, active: 0 }, 3).active, 2);
    assert.equal(dir.comboKey('ArrowUp', closed, 3).active, 2);
    assert.equal(dir.comboKey('End', { open: true, active: 0 }, 3).active, 2);
    assert.deepEqual(dir.comboKey('Enter', { open: true, active: 1 }, 3), { open: false, active: 1, choose: true, clear: false, handled: true });
    assert.equal(dir.comboKey('Enter', closed, 3).handled, false); // the form submits
    assert.deepEqual(dir.comboKey('Escape', { open: true, active: 1 }, 3), { open: false, active: -1, choose: false, clear: false, handled: true });
    assert.equal(dir.comboKey('Escape', closed, 3).clear, true);
    assert.equal(dir.comboKey('ArrowDown', { open: true, active: -1 }, 0).active, -1);
  });
});

describe('shortcuts-model', () => {
  const body = { tagName: 'BODY' };
  const ev = (code, extra = {}) => ({ code, altKey: true, ctrlKey: false, metaKey: false, shiftKey: false, target: body, ...extra });

  test('Alt+A/H/M/L by physical key; other modifiers, repeats and unknown keys are not', () => {
    assert.equal(keys.shortcutFor(ev('KeyA')).action, 'answer');
    assert.equal(keys.shortcutFor(ev('KeyH')).action, 'hangup');
    assert.equal(keys.shortcutFor(ev('KeyM')).action, 'mute');
    assert.equal(keys.shortcutFor(ev('KeyL')).action, 'hold');
    assert.equal(keys.shortcutFor(ev('KeyD')), null); // the browsers' address bar
    assert.equal(keys.shortcutFor(ev('KeyA', { shiftKey: true })), null);
    assert.equal(keys.shortcutFor(ev('KeyA', { ctrlKey: true })), null);
    assert.equal(keys.shortcutFor(ev('KeyA', { altKey: false })), null);
    assert.equal(keys.shortcutFor(ev('KeyA', { repeat: true })), null);
  });

  test('ignored while typing in a field, a combobox or an editable element; not on buttons', () => {
    for (const target of [
      { tagName: 'INPUT', type: 'text' },
      { tagName: 'INPUT', type: 'tel' },
      { tagName: 'TEXTAREA' },
      { tagName: 'SELECT' },
      { tagName: 'DIV', isContentEditable: true },
      { tagName: 'INPUT', type: 'text', role: 'combobox' },
    ]) {
      assert.equal(keys.shortcutFor(ev('KeyM', { target })), null, JSON.stringify(target));
    }
    assert.equal(keys.shortcutFor(ev('KeyM', { target: { tagName: 'BUTTON' } })).action, 'mute');
    assert.equal(keys.shortcutFor(ev('KeyM', { target: { tagName: 'INPUT', type: 'checkbox' } })).action, 'mute');
  });

  test('which call: the ringing one to answer, the connected one otherwise', () => {
    const calls = [
      { id: 'c2', state: 'ringing', incoming: true },
      { id: 'c1', state: 'connected', incoming: false },
    ];
    assert.equal(keys.targetCall('answer', calls).id, 'c2');
    assert.equal(keys.targetCall('mute', calls).id, 'c1');
    assert.equal(keys.targetCall('hangup', [{ id: 'out', state: 'ringing', incoming: false }]).id, 'out');
    assert.equal(keys.targetCall('hold', [{ id: 'out', state: 'ringing', incoming: false }]), null);
    assert.equal(keys.targetCall('answer', []), null);
  });
});

describe('notify-model', () => {
  test('only hidden, allowed and chosen', () => {
    assert.equal(notify.shouldNotify({ hidden: true, permission: 'granted', enabled: true }), true);
    assert.equal(notify.shouldNotify({ hidden: false, permission: 'granted', enabled: true }), false);
    assert.equal(notify.shouldNotify({ hidden: true, permission: 'default', enabled: true }), false);
    assert.equal(notify.shouldNotify({ hidden: true, permission: 'granted', enabled: false }), false);
  });
  test('what it says, and the control', () => {
    const n = notify.ringNotification({ call_id: 'call_1', kind: 'inbound', from: '+15551230000', queue_name: 'Support' });
    assert.deepEqual(n, { title: 'Incoming call', body: '+15551230000 · Queue: Support. Click to open the softphone.', tag: 'sivo-ring-call_1' });
    assert.match(notify.ringNotification({ call_id: 'c', from: 'anonymous' }).body, /^Unknown caller/);
    assert.equal(notify.notifyControl({ support: true, permission: 'default', enabled: false }).label, 'Notify me of incoming calls');
    assert.equal(notify.notifyControl({ support: true, permission: 'denied', enabled: false }).canAsk, false);
    assert.equal(notify.notifyControl({ support: false }).canAsk, false);
  });
});

describe('errors-model', () => {
  const refusal = (code, message = 'ValueError: boom at line 3') => Object.assign(new Error(message), { code });

  test('every documented code is a sentence; the server message never shows', () => {
    for (const code of ['invalid_message', 'message_too_large', 'unknown_event', 'rate_limited', 'not_found', 'invalid_state', 'invalid_sdp',
      'invalid_reason', 'invalid_disposition', 'disposition_required', 'no_route', 'busy', 'agent_unavailable', 'internal', 'offline', 'timeout']) {
      const words = errors.errorWords(refusal(code));
      assert.doesNotMatch(words, /ValueError|_/, code);
      assert.match(words, /^[A-Z].*\.$/, code);
    }
    assert.doesNotMatch(errors.errorWords(refusal('some_new_code')), /some_new_code|ValueError/);
  });

  test('an action refines a code; the browser and the page speak for themselves', () => {
    assert.match(errors.errorWords(refusal('not_found'), 'transfer'), /agent or queue/);
    assert.match(errors.errorWords(refusal('disposition_required'), 'presence'), /disposition/);
    assert.match(errors.errorWords(Object.assign(new Error('x'), { name: 'NotAllowedError' })), /blocked the microphone/);
    assert.equal(errors.errorWords(new Error('No microphone was found.')), 'No microphone was found.');
    assert.equal(errors.errorWords(errors.plainError('Pick an agent first.')), 'Pick an agent first.');
    assert.doesNotMatch(errors.errorWords(new TypeError("Cannot read properties of undefined (reading 'x')")), /undefined/);
  });

  test('a refused connection: what to do, never the server text', () => {
    const expired = errors.connectRefusal('invalid_token', 'invalid token: expired', false);
    assert.deepEqual(expired, { signOut: true, words: 'Your token was refused: it has expired. Paste a new token.' });
    assert.match(errors.connectRefusal('invalid_token', 'invalid token: bad signature', true).words, /^Your sign-in was refused: it is not a valid agent token\. Sign in again\.$/);
    assert.equal(errors.connectRefusal('other', 'Traceback', false).signOut, false);
  });
});
