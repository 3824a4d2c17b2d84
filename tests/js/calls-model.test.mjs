// Unit tests of static/admin/assets/calls-model.js: how the Calls pages format times, turn
// transcript segments into turns, decide to ask again for a live transcript, page the list
// and build the telephony settings body.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { importStatic } from './helpers/static-modules.mjs';

const m = await importStatic('admin/assets/calls-model.js');

const seg = (id, speaker, text, start, extra = {}) => ({
  segment_id: id,
  speaker,
  agent_id: speaker === 'agent' ? 'ag_1' : null,
  text,
  start_seconds: start,
  end_seconds: start + 1.5,
  confidence: 0.9,
  ...extra,
});

describe('clockTime', () => {
  test('mm:ss from seconds into the call, rounded down', () => {
    assert.equal(m.clockTime(0), '00:00');
    assert.equal(m.clockTime(5.99), '00:05');
    assert.equal(m.clockTime(65.2), '01:05');
    assert.equal(m.clockTime(3599), '59:59');
  });
  test('h:mm:ss past an hour, never negative, a dash when unknown', () => {
    assert.equal(m.clockTime(3725), '1:02:05');
    assert.equal(m.clockTime(-3), '00:00');
    assert.equal(m.clockTime(null), '—');
    assert.equal(m.clockTime(undefined), '—');
    assert.equal(m.clockTime('x'), '—');
  });
});

describe('duration', () => {
  test('seconds, minutes and hours for humans', () => {
    assert.equal(m.duration(0), '0 s');
    assert.equal(m.duration(42.4), '42 s');
    assert.equal(m.duration(185), '3 min 05 s');
    assert.equal(m.duration(3720), '1 h 02 min');
    assert.equal(m.duration(null), '—');
  });
});

describe('callFacts', () => {
  const call = {
    id: 'call_1',
    direction: 'inbound',
    from: '+14155550100',
    to: '+18005550100',
    queue_id: 'q_1',
    agent_id: 'ag_1',
    state: 'ended',
    created_at: '2026-12-02T12:00:00Z',
    queued_at: '2026-12-02T12:00:01Z',
    answered_at: '2026-12-02T12:00:09Z',
    ended_at: '2026-12-02T12:03:14Z',
    wait_seconds: 8,
    talk_seconds: 185,
    hold_seconds: 0,
    hangup_cause: 'normal_clearing',
    hangup_side: 'caller',
    transfers: [],
    recording_id: null,
  };
  test('the CDR in order, times as <time> values, names where known', () => {
    const facts = Object.fromEntries(m.callFacts(call, { q_1: 'Support' }).map((f) => [f.key, f.value]));
    assert.equal(facts.direction, 'Inbound');
    assert.equal(facts.from_number, '+14155550100');
    assert.equal(facts.queue, 'Support (q_1)');
    assert.equal(facts.agent, 'ag_1');
    assert.deepEqual(facts.answered, { time: '2026-12-02T12:00:09Z' });
    assert.equal(facts.wait, '8 s');
    assert.equal(facts.talk, '3 min 05 s');
    assert.equal(facts.hangup, 'Normal clearing (caller)');
    assert.equal(m.callFacts(call)[0].label, 'Direction');
  });
  test('a call still going on: dashes for what is not known yet', () => {
    const live = { ...call, state: 'connected', ended_at: null, talk_seconds: null, hangup_cause: null, agent_id: null };
    const facts = Object.fromEntries(m.callFacts(live).map((f) => [f.key, f.value]));
    assert.equal(facts.ended, '—');
    assert.equal(facts.talk, '—');
    assert.equal(facts.hangup, '—');
    assert.equal(facts.agent, '—');
    assert.equal(facts.state, 'Connected');
  });
  test('an unknown state still gets a label', () => {
    assert.deepEqual(m.callState({ state: 'parked' }), { label: 'parked', kind: 'muted' });
  });
});

describe('transcriptTurns', () => {
  test('one turn per run of one speaker, starting at its first segment', () => {
    const turns = m.transcriptTurns([
      seg('s1', 'caller', 'Hello,', 1.2),
      seg('s2', 'caller', 'my order is late.', 2.9),
      seg('s3', 'agent', 'Let me look.', 5),
      seg('s4', 'caller', 'Thanks.', 65),
    ]);
    assert.deepEqual(
      turns.map((t) => [t.speaker, t.label, t.start, t.text, t.segmentIds]),
      [
        ['caller', 'Caller', '00:01', 'Hello, my order is late.', ['s1', 's2']],
        ['agent', 'Agent', '00:05', 'Let me look.', ['s3']],
        ['caller', 'Caller', '01:05', 'Thanks.', ['s4']],
      ],
    );
  });
  test('another agent after a transfer starts a new turn, named when known', () => {
    const turns = m.transcriptTurns(
      [seg('s1', 'agent', 'Transferring you.', 3), seg('s2', 'agent', 'Hi, billing here.', 9, { agent_id: 'ag_2' })],
      { ag_2: 'Bea' },
    );
    assert.equal(turns.length, 2);
    assert.equal(turns[0].label, 'Agent');
    assert.equal(turns[1].label, 'Agent (Bea)');
    assert.equal(turns[1].agentId, 'ag_2');
  });
  test('blank segments and no segments give no turns; text stays text', () => {
    assert.deepEqual(m.transcriptTurns([seg('s1', 'caller', '   ', 0)]), []);
    assert.deepEqual(m.transcriptTurns(undefined), []);
    assert.equal(m.transcriptTurns([seg('s1', 'caller', '<b>hi</b>', 0)])[0].text, '<b>hi</b>');
  });
});

describe('transcriptNote and refreshDelay', () => {
  test('"No transcript" for a call that was not transcribed, and no refresh', () => {
    const none = { call_id: 'c', transcript_id: null, state: 'none', language: null, segments: [] };
    assert.equal(m.transcriptNote(none), 'No transcript');
    assert.equal(m.refreshDelay(none), null);
  });
  test('a live transcript is asked for again every 3 s', () => {
    const live = { state: 'live', segments: [] };
    assert.equal(m.refreshDelay(live), 3000);
    assert.equal(m.transcriptNote(live), 'Live: waiting for the first words…');
    assert.match(m.transcriptNote({ state: 'live', segments: [seg('s1', 'caller', 'hi', 0)] }), /every 3 seconds/);
  });
  test('a completed one is not, and says nothing above its turns', () => {
    assert.equal(m.refreshDelay({ state: 'completed', segments: [] }), null);
    assert.equal(m.transcriptNote({ state: 'completed', segments: [seg('s1', 'caller', 'hi', 0)] }), '');
    assert.match(m.transcriptNote({ state: 'completed', segments: [] }), /nothing was said/);
    assert.equal(m.refreshDelay(null), null);
  });
});

describe('nextLimit', () => {
  test('a full page may have more: 100 more, up to the API’s 500', () => {
    assert.equal(m.nextLimit(100, 100), 200);
    assert.equal(m.nextLimit(450, 450), 500);
    assert.equal(m.nextLimit(500, 500), null);
  });
  test('fewer than asked for: that was all', () => {
    assert.equal(m.nextLimit(100, 37), null);
    assert.equal(m.nextLimit(100, 0), null);
  });
});

describe('paths', () => {
  test('ids are encoded into the API path and the page path', () => {
    assert.equal(m.callPath('c/1?x'), '/calls/c%2F1%3Fx');
    assert.equal(m.callPage('call_1'), '/admin/calls/call_1');
  });
});

describe('telephonyChanges', () => {
  const saved = { record_calls: false, transcribe_calls: false, pause_reasons: ['break'] };
  test('only the switches that changed are sent', () => {
    assert.deepEqual(m.telephonyChanges(saved, { record_calls: false, transcribe_calls: true }), { transcribe_calls: true });
    assert.deepEqual(m.telephonyChanges({ ...saved, record_calls: true }, { record_calls: false }), { record_calls: false });
  });
  test('nothing changed, or a switch not shown: nothing to send', () => {
    assert.equal(m.telephonyChanges(saved, { record_calls: false, transcribe_calls: false }), null);
    assert.equal(m.telephonyChanges(saved, {}), null);
  });
  test('the transcription switch is labelled as the settings page shows it', () => {
    assert.ok(m.TELEPHONY_SWITCHES.some((s) => s.key === 'transcribe_calls' && s.label === 'Transcribe calls (live, both parties)'));
  });
});
