// Unit tests of static/admin/assets/scrt2-model.js: the org page's SCRT2 settings (what
// the form starts from, what a save sends) and how the SCRT2 request log reads.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { importStatic } from './helpers/static-modules.mjs';

const m = await importStatic('admin/assets/scrt2-model.js');

const ORG = { id: 'sfo_1', name: 'Acme', push_transcripts: false, provider_name: 'calltree' };
const request = (id, state, extra = {}) => ({
  id,
  call_id: `call_${id}`,
  kind: 'create',
  method: 'POST',
  state,
  attempts: state === 'failed' ? 8 : 1,
  status_code: state === 'failed' ? 503 : 201,
  latency_ms: 41.6,
  reason: state === 'failed' ? 'SCRT2 answered 503' : null,
  created_at: '2026-12-02T12:00:00Z',
  sent_at: null,
  ...extra,
});

describe('scrt2Settings', () => {
  test('what the org view reports', () => {
    assert.deepEqual(m.scrt2Settings({ ...ORG, push_transcripts: true, provider_name: 'acme-voice' }), {
      pushTranscripts: true,
      providerName: 'acme-voice',
      reported: true,
    });
  });
  test('an org view without the fields (an older SIVO): the defaults, marked unreported', () => {
    assert.deepEqual(m.scrt2Settings({ id: 'sfo_1' }), { pushTranscripts: false, providerName: 'calltree', reported: false });
    assert.equal(m.scrt2Settings({ ...ORG, provider_name: null }).providerName, m.DEFAULT_PROVIDER_NAME);
  });
});

describe('providerNameInput', () => {
  test('trimmed, as typed', () => {
    assert.deepEqual(m.providerNameInput('  Acme Voice '), { value: 'Acme Voice' });
    assert.deepEqual(m.providerNameInput('calltree'), { value: 'calltree' });
    assert.deepEqual(m.providerNameInput('acme_voice-2.0'), { value: 'acme_voice-2.0' });
  });
  test('empty, too long, or not a header value: a message for the field', () => {
    assert.match(m.providerNameInput('  ').error, /like calltree/);
    assert.match(m.providerNameInput(undefined).error, /Telephony-Provider-Name/);
    assert.match(m.providerNameInput('x'.repeat(81)).error, /80/);
    assert.match(m.providerNameInput('acme\nX-Evil: 1').error, /HTTP header/);
    assert.match(m.providerNameInput('café').error, /HTTP header/);
    assert.match(m.providerNameInput('acme/voice').error, /letters, digits/);
    assert.deepEqual(m.providerNameInput('x'.repeat(80)), { value: 'x'.repeat(80) });
  });
});

describe('scrt2Changes', () => {
  test('only what changed goes in the PATCH body', () => {
    assert.deepEqual(m.scrt2Changes(ORG, { pushTranscripts: true, providerName: 'calltree' }), { body: { push_transcripts: true } });
    assert.deepEqual(m.scrt2Changes(ORG, { pushTranscripts: false, providerName: ' acme ' }), { body: { provider_name: 'acme' } });
    assert.deepEqual(m.scrt2Changes(ORG, { pushTranscripts: true, providerName: 'acme' }), {
      body: { push_transcripts: true, provider_name: 'acme' },
    });
  });
  test('nothing changed: no body', () => {
    assert.deepEqual(m.scrt2Changes(ORG, { pushTranscripts: false, providerName: 'calltree ' }), { body: null });
    assert.deepEqual(m.scrt2Changes({ id: 'sfo_1' }, { pushTranscripts: false, providerName: 'calltree' }), { body: null });
  });
  test('a bad provider name is refused before any request, naming the field', () => {
    const change = m.scrt2Changes(ORG, { pushTranscripts: true, providerName: '' });
    assert.equal(change.field, 'provider_name');
    assert.ok(change.error);
    assert.equal(change.body, undefined);
  });
  test('what a save says', () => {
    assert.equal(m.scrt2Saved({ ...ORG, push_transcripts: true }), 'Saved. SIVO pushes transcripts to the org, as calltree.');
    assert.equal(m.scrt2Saved({ ...ORG, provider_name: 'acme' }), 'Saved. SIVO does not push transcripts, as acme.');
  });
});

describe('the request log', () => {
  test('only failed requests can be replayed', () => {
    assert.equal(m.canReplay(request(1, 'failed')), true);
    assert.equal(m.canReplay(request(2, 'sent')), false);
    assert.equal(m.canReplay(request(3, 'due')), false);
  });
  test('labels for kinds and states, unknown ones as they came', () => {
    assert.equal(m.requestKind(request(1, 'sent', { kind: 'leg_end' })), 'Leg end');
    assert.equal(m.requestKind(request(1, 'sent', { kind: 'conversation' })), 'conversation');
    assert.deepEqual(m.requestState(request(1, 'failed')), { label: 'Failed', kind: 'fail' });
    assert.deepEqual(m.requestState(request(1, 'parked')), { label: 'parked', kind: 'muted' });
  });
  test('a replayed request takes its old row’s place, the others stay', () => {
    const rows = [request(3, 'sent'), request(2, 'failed'), request(1, 'failed')];
    const after = m.replaceRow(rows, request(2, 'due', { attempts: 0 }));
    assert.deepEqual(after.map((r) => [r.id, r.state]), [[3, 'sent'], [2, 'due'], [1, 'failed']]);
    assert.equal(rows[1].state, 'failed'); // not changed in place
    assert.equal(m.replayedNote(after[1]), 'Create request 2 for call_2 is queued again (due).');
  });
  test('the summary counts the failed ones', () => {
    assert.equal(m.logSummary([]), '0 requests.');
    assert.equal(m.logSummary([request(1, 'sent')]), '1 request.');
    assert.equal(m.logSummary([request(1, 'sent'), request(2, 'failed')]), '2 requests, 1 failed.');
  });
  test('paths encode the ids', () => {
    assert.equal(m.scrt2RequestsPath('sfo/1'), '/salesforce/orgs/sfo%2F1/scrt2/requests');
    assert.equal(m.replayPath('sfo_1', 7), '/salesforce/orgs/sfo_1/scrt2/requests/7/replay');
  });
});
