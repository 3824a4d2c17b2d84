// The pure half of keeping a call log's unsaved draft across a reload
// (static/softphone/notes-draft-model.js): its key, its stored text, and which of the draft
// and the saved log a reloaded card shows.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { draftCallId, draftKey, draftText, parseDraft, restoredLog, staleDrafts } from '../../static/softphone/notes-draft-model.js';

const EMPTY = { disposition: '', notes: '' };
const SAVED = { disposition: 'Resolved', notes: 'Wants a callback' };

describe('draftKey', () => {
  test('one key per agent and call; an agent reads back only its own call ids', () => {
    const key = draftKey('ag_1', 'call_1');
    assert.notEqual(key, draftKey('ag_2', 'call_1'));
    assert.notEqual(key, draftKey('ag_1', 'call_2'));
    assert.equal(draftCallId(key, 'ag_1'), 'call_1');
    assert.equal(draftCallId(key, 'ag_2'), null);
    // An id that is a prefix of another agent's, or holds the separator, does not cross over.
    assert.equal(draftCallId(draftKey('ag_10', 'call_1'), 'ag_1'), null);
    assert.equal(draftCallId(draftKey('ag:1', 'x'), 'ag'), null);
    assert.equal(draftCallId('sivo.devices', 'ag_1'), null);
    assert.equal(draftCallId(null, 'ag_1'), null);
  });
});

describe('draftText and parseDraft', () => {
  test('a draft reads back as written', () => {
    const d = parseDraft(draftText({ disposition: 'Callback', notes: 'Call back at 5' }, SAVED));
    assert.deepEqual(d, { disposition: 'Callback', notes: 'Call back at 5', base: SAVED });
  });
  test('what is not a draft of this version reads as none', () => {
    assert.equal(parseDraft(null), null);
    assert.equal(parseDraft(''), null);
    assert.equal(parseDraft('{not json'), null);
    assert.equal(parseDraft('"notes"'), null);
    assert.equal(parseDraft(JSON.stringify({ v: 2, notes: 'x', disposition: '', base: EMPTY })), null);
    assert.equal(parseDraft(JSON.stringify({ v: 1, notes: 3, disposition: '', base: EMPTY })), null);
    assert.equal(parseDraft(JSON.stringify({ v: 1, notes: 'x', disposition: '' })), null);
  });
});

describe('restoredLog', () => {
  test('no draft: the saved log, not dirty', () => {
    assert.deepEqual(restoredLog(SAVED, null), { form: SAVED, dirty: false, keep: false });
    assert.deepEqual(restoredLog(null, null), { form: null, dirty: false, keep: false });
  });
  test('a draft typed over the log as saved now wins, and stays until saved', () => {
    const draft = { disposition: 'Resolved', notes: 'Wants a callback, after 5 pm', base: SAVED };
    const shown = restoredLog(SAVED, draft);
    assert.deepEqual(shown, { form: { disposition: 'Resolved', notes: 'Wants a callback, after 5 pm' }, dirty: true, keep: true });
    // Typed before anything was saved: its base is the empty log.
    assert.equal(restoredLog(EMPTY, { ...SAVED, base: EMPTY }).dirty, true);
  });
  test('a draft equal to the saved log is dropped (nothing unsaved)', () => {
    assert.deepEqual(restoredLog(SAVED, { ...SAVED, base: EMPTY }), { form: SAVED, dirty: false, keep: false });
  });
  test('saved again elsewhere after the draft began: the later save wins, the draft goes', () => {
    const draft = { disposition: '', notes: 'first words', base: EMPTY };
    assert.deepEqual(restoredLog(SAVED, draft), { form: SAVED, dirty: false, keep: false });
  });
  test('a call whose saved log the server did not send (still up): the draft wins', () => {
    const draft = { disposition: '', notes: 'typed while talking', base: SAVED };
    assert.deepEqual(restoredLog(null, draft), { form: { disposition: '', notes: 'typed while talking' }, dirty: true, keep: true });
  });
});

describe('staleDrafts', () => {
  test("the agent's drafts for calls with no card; other keys and agents untouched", () => {
    const keys = [draftKey('ag_1', 'call_1'), draftKey('ag_1', 'call_2'), draftKey('ag_2', 'call_3'), 'sivo.token', null];
    assert.deepEqual(staleDrafts(keys, 'ag_1', ['call_1']), [draftKey('ag_1', 'call_2')]);
    assert.deepEqual(staleDrafts(keys, 'ag_1', ['call_1', 'call_2']), []);
    assert.deepEqual(staleDrafts(keys, 'ag_3', []), []);
  });
});
