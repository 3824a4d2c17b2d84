// Unit tests of the call history's pure modules (static/admin/assets/): call-filters.js
// (the URL, the form and the API query), call-timeline.js (events and CDR → one timeline)
// and call-waveform.js (peaks from Float32Arrays, seeking, labels).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { importStatic } from './helpers/static-modules.mjs';

const f = await importStatic('admin/assets/call-filters.js');
const t = await importStatic('admin/assets/call-timeline.js');
const w = await importStatic('admin/assets/call-waveform.js');

describe('filters ↔ query string', () => {
  test('round trip: the URL keeps every filter, in one order, and reads back the same', () => {
    const filters = {
      outcome: 'answered',
      since: '2026-12-02T09:00:00.000Z',
      agent_id: 'ag_1',
      queue_id: 'q_support',
      direction: 'inbound',
      until: '2026-12-02T17:00:00.000Z',
    };
    const search = f.filtersToSearch(filters);
    assert.equal(
      search,
      '?since=2026-12-02T09%3A00%3A00.000Z&until=2026-12-02T17%3A00%3A00.000Z&queue_id=q_support&agent_id=ag_1&direction=inbound&outcome=answered',
    );
    assert.deepEqual(f.filtersFromSearch(search), filters);
  });

  test('no filters: an empty query string, and none read from one', () => {
    assert.equal(f.filtersToSearch({}), '');
    assert.equal(f.filtersToSearch({ outcome: '', queue_id: null }), '');
    assert.deepEqual(f.filtersFromSearch(''), {});
    assert.equal(f.hasFilters({}), false);
    assert.equal(f.hasFilters({ outcome: 'missed' }), true);
  });

  test('a hand-edited URL: values the API would refuse are dropped, the rest kept', () => {
    const read = f.filtersFromSearch(
      '?outcome=hung_up&direction=sideways&since=yesterday&until=2026-12-02T10:00:00%2B01:00&queue_id=%20q_1%20&agent_id=' + 'a'.repeat(65) + '&colour=red',
    );
    assert.deepEqual(read, { until: '2026-12-02T09:00:00.000Z', queue_id: 'q_1' });
    assert.deepEqual(f.filtersFromSearch('?since=2026-12-02T10:00:00'), {}, 'a time without a zone');
    assert.deepEqual(
      f.filtersFromSearch('?since=2026-12-02T10:00:00Z&until=2026-12-02T09:00:00Z'),
      { since: '2026-12-02T10:00:00.000Z' },
      'an until before since is dropped',
    );
  });

  test('the API query carries the limit first, then the filters', () => {
    assert.equal(f.callsQuery({}, 100), '/calls?limit=100');
    assert.equal(f.callsQuery({ outcome: 'missed', queue_id: 'q 1&x' }, 200), '/calls?limit=200&queue_id=q+1%26x&outcome=missed');
  });

  test('the form: local datetime inputs become UTC times; a bad period says which field', () => {
    const since = f.localInputToIso('2026-12-02T09:30');
    assert.equal(since, new Date(2026, 11, 2, 9, 30).toISOString());
    assert.equal(f.isoToLocalInput(since), '2026-12-02T09:30');
    assert.equal(f.isoToLocalInput(''), '');
    assert.equal(f.localInputToIso('02/12/2026'), null);
    const ok = f.formToFilters({ since: '2026-12-02T09:30', until: '', queue_id: 'q_1', agent_id: '', direction: '', outcome: 'abandoned' });
    assert.deepEqual(ok, { filters: { since, queue_id: 'q_1', outcome: 'abandoned' } });
    assert.deepEqual(f.formToFilters({ since: '2026-12-02T09:30', until: '2026-12-02T09:00' }), { error: 'To must be after From.', field: 'until' });
    assert.equal(f.formToFilters({ since: 'soon' }).field, 'since');
  });

  test('periods end now; the status line says the filters in words', () => {
    const now = Date.parse('2026-12-02T12:00:00Z');
    assert.deepEqual(f.periodFilters('hour', now), { since: '2026-12-02T11:00:00.000Z' });
    assert.deepEqual(f.periodFilters('week', now), { since: '2026-11-25T12:00:00.000Z' });
    assert.deepEqual(f.periodFilters('nope', now), {});
    const text = f.describeFilters({ outcome: 'answered', direction: 'inbound', queue_id: 'q_1', agent_id: 'ag_1' }, { q_1: 'Support', ag_1: 'Ann' });
    assert.equal(text, 'answered, inbound calls in Support handled by Ann');
    assert.equal(f.describeFilters({}), 'calls');
  });
});

const call = {
  id: 'call_1',
  direction: 'inbound',
  from: '+14155550100',
  to: '+18005550100',
  queue_id: 'q_1',
  agent_id: 'ag_2',
  created_at: '2026-12-02T09:00:00.000Z',
  queued_at: '2026-12-02T09:00:00.050Z',
  answered_at: '2026-12-02T09:00:08.000Z',
  ended_at: '2026-12-02T09:03:00.000Z',
  wait_seconds: 7.95,
  talk_seconds: 172,
  hold_seconds: 12.5,
  hangup_cause: 'normal_clearing',
  hangup_side: 'caller',
  transfers: [{ type: 'blind', from_agent_id: 'ag_1', to_type: 'agent', to_id: 'ag_2', at: '2026-12-02T09:01:00.000Z' }],
};
const ev = (type, data, created_at) => ({ id: `evt_${type}`, type, created_at, data: { call_id: 'call_1', ...data } });

describe('timeline', () => {
  test('events in time order, timed from the start, in words', () => {
    const events = [
      ev('call.created', { direction: 'inbound', from: '+14155550100', to: '+18005550100', created_at: call.created_at }, call.created_at),
      ev('queue.entered', { queue_id: 'q_1', queue_name: 'Support', position: 2, entered_at: call.queued_at }, call.queued_at),
      ev('call.answered', { agent_id: 'ag_1', answered_at: call.answered_at, wait_seconds: 7.95 }, call.answered_at),
      ev('call.transferred', { transfer: call.transfers[0] }, '2026-12-02T09:01:00.000Z'),
      ev('call.ended', { ...call, holds: 2, longest_hold_seconds: 9, ended_at: call.ended_at }, call.ended_at),
      ev('transcript.segment', { text: 'hi' }, '2026-12-02T09:00:30.000Z'),
      ev('transcript.completed', { segments: [{}, {}, {}] }, '2026-12-02T09:03:02.000Z'),
      ev('call.recorded', { duration_seconds: 172, channels: 2 }, '2026-12-02T09:03:01.000Z'),
    ];
    const names = { ag_1: 'Ann', ag_2: 'Bob', q_1: 'Support' };
    const line = t.buildTimeline(call, events, names);
    assert.deepEqual(
      line.map((e) => [e.kind, e.offset]),
      [
        ['created', '+00:00'],
        ['queued', '+00:00'],
        ['answered', '+00:08'],
        ['transferred', '+01:00'],
        ['ended', '+03:00'],
        ['recorded', '+03:01'],
        ['transcript', '+03:02'],
      ],
    );
    assert.equal(line[1].detail, 'In Support, position 2');
    assert.equal(line[2].detail, 'By Ann after 8 s');
    assert.equal(line[3].detail, 'Blind transfer from Ann to Bob');
    assert.equal(line[4].detail, 'Normal clearing (caller); talk 2 min 52 s; held 2 times, 13 s in all, longest 9 s');
    assert.equal(line[5].detail, '2 min 52 s, stereo (caller left, agent right)');
    assert.equal(line[6].detail, '3 segments');
    assert.equal(line[4].seconds, 180);
  });

  test('without events, the CDR gives created, queued, answered, transfers and ended', () => {
    const line = t.buildTimeline(call, [], {});
    assert.deepEqual(line.map((e) => e.kind), ['created', 'queued', 'answered', 'transferred', 'ended']);
    assert.equal(line[3].detail, 'Blind transfer from ag_1 to ag_2');
  });

  test('an abandoned call, a call still going, an event of an unknown type', () => {
    const abandoned = { ...call, answered_at: null, agent_id: null, transfers: [], ended_at: '2026-12-02T09:00:48.000Z', hangup_cause: 'abandoned' };
    const line = t.buildTimeline(abandoned, [ev('queue.abandoned', { queue_id: 'q_1', waited_seconds: 48, abandoned_at: abandoned.ended_at }, abandoned.ended_at), ev('x.new', {}, '2026-12-02T09:00:50.000Z')]);
    assert.deepEqual(line.map((e) => e.kind), ['created', 'queued', 'abandoned', 'ended', 'other']);
    assert.equal(line[2].detail, 'The caller hung up after waiting 48 s');
    assert.equal(line[4].label, 'x.new');
    const live = t.buildTimeline({ ...call, ended_at: null, transfers: [] }, []);
    assert.deepEqual(live.map((e) => e.kind), ['created', 'queued', 'answered']);
    assert.equal(t.offsetLabel(call.created_at, null), '');
  });
});

describe('timeline: who was rung, and each hold', () => {
  const names = { ag_1: 'Ann', ag_2: 'Ana Silva', ag_3: 'Bob' };
  const at = (s) => new Date(Date.parse(call.created_at) + s * 1000).toISOString();
  const ring = (agent, attempt, s, kind = 'inbound') => ev('call.ringing', { agent_id: agent, queue_id: 'q_1', kind, attempt, ring_timeout_seconds: 20, rung_at: at(s) }, at(s));
  const missed = (agent, reason, s, ringS) => ev('call.ring_missed', { agent_id: agent, queue_id: 'q_1', kind: 'inbound', attempt: 1, reason, ring_seconds: ringS, missed_at: at(s) }, at(s));
  const held = (agent, s, reason = 'hold') => ev('call.held', { agent_id: agent, reason, hold: 1, held_at: at(s) }, at(s));
  const resumed = (agent, s, holdS) => ev('call.resumed', { agent_id: agent, reason: 'resume', hold: 1, hold_seconds: holdS, total_hold_seconds: holdS, resumed_at: at(s) }, at(s));
  const answered = (agent, s) => ev('call.answered', { agent_id: agent, answered_at: at(s), wait_seconds: s }, at(s));
  const plain = { ...call, transfers: [] };

  test('a ring that timed out and the one answered, each one line with its outcome', () => {
    const events = [ring('ag_2', 1, 1), missed('ag_2', 'timeout', 21, 20), ring('ag_1', 2, 21), answered('ag_1', 24)];
    const line = t.buildTimeline(plain, events, names);
    assert.deepEqual(line.map((e) => [e.kind, e.offset]), [
      ['created', '+00:00'], ['queued', '+00:00'], ['ringing', '+00:01'], ['ringing', '+00:21'], ['answered', '+00:24'], ['ended', '+03:00'],
    ]);
    const rang = line.filter((e) => e.kind === 'ringing').map((e) => `${e.label} ${e.detail}`);
    assert.deepEqual(rang, ['Rang Ana Silva — no answer after 20 s', 'Rang Ann — answered after 3 s']);
  });

  test('every reason a ring stops, in words; a missed ring without its ring stands alone', () => {
    const words = ['declined', 'agent_offline', 'caller_hangup', 'cancelled', 'new_reason'].map((reason) =>
      t.buildTimeline(plain, [ring('ag_3', 1, 0), missed('ag_3', reason, 4, 4)], names).find((e) => e.kind === 'ringing').detail);
    assert.deepEqual(words, [
      'Bob — declined after 4 s', 'Bob — went offline after 4 s', 'Bob — the caller hung up after 4 s', 'Bob — cancelled after 4 s', 'Bob — not answered after 4 s',
    ]);
    const alone = t.buildTimeline(plain, [missed('ag_3', 'timeout', 15, 15)], names).find((e) => e.kind === 'ring_missed');
    assert.equal(`${alone.label} ${alone.detail}`, 'Ring missed Bob — no answer after 15 s');
    assert.equal(t.describeEvent(ring('ag_3', 1, 0, 'consult'), names).detail, 'Bob (consultation)');
  });

  test('a ring of a call still going is ringing; a consultation rung is not said to ring on', () => {
    const live = { ...plain, ended_at: null };
    const line = t.buildTimeline(live, [ring('ag_2', 1, 0), ring('ag_3', 2, 30, 'consult')], names);
    assert.deepEqual(line.filter((e) => e.kind === 'ringing').map((e) => e.detail), ['Ana Silva — ringing', 'Bob (consultation)']);
  });

  test('a hold and its resume are one line with the hold\'s length', () => {
    const line = t.buildTimeline(plain, [held('ag_2', 30), resumed('ag_2', 102, 72)], names);
    const holds = line.filter((e) => e.kind === 'hold' || e.kind === 'resumed');
    assert.deepEqual(holds.map((e) => [e.kind, e.offset, `${e.label} ${e.detail}`]), [['hold', '+00:30', 'On hold 1 min 12 s, by Ana Silva']]);
  });

  test('a hold the hang-up closed runs to the end; one still going says so; one for a consultation', () => {
    const closed = t.buildTimeline(plain, [held('ag_1', 150)], names).find((e) => e.kind === 'hold');
    assert.equal(closed.detail, '30 s, by Ann, until the end');
    const live = t.buildTimeline({ ...plain, ended_at: null }, [held('ag_1', 150, 'consult')], names).find((e) => e.kind === 'hold');
    assert.equal(live.detail, 'By Ann, for a consultation, still on hold');
    const orphan = t.buildTimeline(plain, [resumed('ag_1', 40, 9)], names).find((e) => e.kind === 'resumed');
    assert.equal(`${orphan.label} ${orphan.detail}`, 'Off hold After 9 s on hold');
  });
});

describe('waveform', () => {
  test('peaks: min and max of each slice', () => {
    const samples = Float32Array.from([0, 0.5, -0.25, 0.1, -1, 1, 0.2, 0.3]);
    const { min, max } = w.computePeaks(samples, 4);
    assert.deepEqual(Array.from(min), [0, -0.25, -1, 0.2].map(Math.fround));
    assert.deepEqual(Array.from(max), [0.5, 0.1, 1, 0.3].map(Math.fround));
  });

  test('peaks: uneven slices cover every sample; fewer samples than columns still fill', () => {
    const samples = new Float32Array(10).fill(0.1);
    samples[9] = 0.9;
    const { max } = w.computePeaks(samples, 3);
    assert.equal(max.length, 3);
    assert.equal(max[2], Math.fround(0.9));
    const short = w.computePeaks(Float32Array.from([0.5, -0.5]), 4);
    assert.deepEqual(Array.from(short.max), [0.5, 0.5, -0.5, -0.5]);
    const empty = w.computePeaks(new Float32Array(0), 3);
    assert.deepEqual(Array.from(empty.max), [0, 0, 0]);
    assert.equal(w.computePeaks(samples, 0).min.length, 0);
  });

  test('peaks of both channels of a stereo buffer, clamped to -1..1', () => {
    const left = Float32Array.from({ length: 8000 }, (_, i) => Math.sin(i / 10) * 0.5);
    const right = Float32Array.from({ length: 8000 }, () => 1.5);
    const [l, r] = w.channelPeaks([left, right], 100);
    assert.ok(l.max[50] > 0.45 && l.min[50] < -0.45);
    assert.equal(r.max[0], 1);
    assert.deepEqual(w.channelLabels(2), ['Caller (left channel)', 'Agent (right channel)']);
    assert.deepEqual(w.channelLabels(1), ['Channel 1']);
  });

  test('a column spans from its max to its min around the middle, at least a pixel', () => {
    assert.deepEqual(w.columnExtent(-0.5, 0.5, 100), { y: 25, h: 50 });
    assert.deepEqual(w.columnExtent(0, 0, 100), { y: 50, h: 1 });
    assert.deepEqual(w.columnExtent(-0.25, 0.25, 100, 2), { y: 25, h: 50 });
    assert.deepEqual(w.columnExtent(-0.9, 0.9, 100, 4), { y: 0, h: 100 }, 'kept inside the lane');
  });

  test('one gain for both channels: the loudest column near full height, at most 8x', () => {
    const quiet = w.computePeaks(Float32Array.from([0.1, -0.19, 0.05]), 3);
    const louder = w.computePeaks(Float32Array.from([0.2, -0.1, 0.0]), 3);
    assert.ok(Math.abs(w.peakGain([quiet, louder]) - 0.95 / 0.2) < 1e-6);
    assert.equal(w.peakGain([w.computePeaks(Float32Array.from([0.001]), 1)]), 8);
    assert.equal(w.peakGain([w.computePeaks(new Float32Array(4), 2)]), 1, 'silence');
    assert.equal(w.peakGain([]), 1);
  });

  test('seeking: a click, keys, and the cursor', () => {
    assert.equal(w.positionToTime(150, 300, 60), 30);
    assert.equal(w.positionToTime(-5, 300, 60), 0);
    assert.equal(w.positionToTime(400, 300, 60), 60);
    assert.equal(w.positionToTime(10, 300, NaN), 0);
    assert.equal(w.timeToPosition(30, 300, 60), 150);
    assert.equal(w.seekForKey('ArrowRight', 10, 60), 15);
    assert.equal(w.seekForKey('ArrowLeft', 2, 60), 0);
    assert.equal(w.seekForKey('PageUp', 50, 60), 60);
    assert.equal(w.seekForKey('Home', 50, 60), 0);
    assert.equal(w.seekForKey('End', 5, 60), 60);
    assert.equal(w.seekForKey('a', 5, 60), null);
  });

  test('labels, and the WAV fetched from the page’s own origin', () => {
    assert.equal(w.playbackLabel(12.4, 90), '00:12 / 01:30');
    assert.equal(w.playbackLabel(0, NaN), '00:00 / —');
    assert.equal(w.playbackLabel(2.4, 2.5), '00:02 / 00:03', 'as the recording\'s "3 s"');
    assert.equal(w.playbackValueText(12, 90), '12 seconds of 1 minute 30 seconds');
    assert.equal(
      w.sameOriginUrl('https://sivo.example.com/recordings/rec_1.wav?expires=1&sig=ab', 'http://127.0.0.1:8080'),
      'http://127.0.0.1:8080/recordings/rec_1.wav?expires=1&sig=ab',
    );
    assert.equal(w.sameOriginUrl('http://[bad', 'http://127.0.0.1:8080'), null);
  });
});
