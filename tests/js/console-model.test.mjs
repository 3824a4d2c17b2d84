// Unit tests of static/softphone/console-model.js: what a pushed screen pop means, where a
// record goes on the Task, and when the Salesforce sign-in is renewed.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { importStatic } from './helpers/static-modules.mjs';

const { RENEW_BEFORE_MS, consoleUserId, dialRecord, popAction, recordPop, renewDelay, taskLink } = await importStatic('softphone/console-model.js');

const CONTACT = '003000000000001AAA';
const ACCOUNT = '001000000000001AAA';
const CASE = '500000000000001AAA';
const LEAD = '00Q000000000001AAA';

describe('popAction', () => {
  test('one record: pop it, no chooser, name it on the card', () => {
    const push = {
      call_id: 'call_1',
      status: 'found',
      screen_pop: { type: 'sobject', params: { recordId: CONTACT } },
      matches: [{ id: CONTACT, type: 'Contact', name: 'Ana Rivera' }],
    };
    const action = popAction(push);
    assert.deepEqual(action.pop, push.screen_pop);
    assert.equal(action.chooser, null);
    assert.equal(action.note, 'Salesforce: Ana Rivera (Contact)');
    assert.equal(action.kind, 'ok');
    assert.equal(action.atAnswer, false);
  });

  test('several records: Salesforce gets the search pop, the agent a chooser of valid ids only', () => {
    const matches = [
      { id: CONTACT, type: 'Contact', name: 'Ana' },
      { id: ACCOUNT, type: 'Account', name: 'Acme' },
      { id: 'javascript:alert(1)', type: 'Contact', name: 'bad' },
      null,
    ];
    const action = popAction({ status: 'several', screen_pop: { type: 'search', params: { searchString: '4155551212' } }, matches });
    assert.equal(action.pop.type, 'search');
    assert.deepEqual(action.chooser.map((m) => m.id), [CONTACT, ACCOUNT]);
    assert.match(action.note, /2 records/);
  });

  test('nothing found opens the new-Contact modal; a failed lookup pops nothing and warns', () => {
    const none = popAction({ status: 'none', screen_pop: { type: 'newRecord', params: { entityName: 'Contact' } }, matches: [] });
    assert.equal(none.pop.type, 'newRecord');
    assert.equal(none.atAnswer, true); // a modal waits for the answer
    const failed = popAction({ status: 'failed', screen_pop: null, matches: [] });
    assert.equal(failed.pop, null);
    assert.equal(failed.kind, 'warn');
    assert.match(failed.note, /failed or was too slow/);
    const slow = popAction({ status: 'failed', screen_pop: { type: 'search', params: { searchString: '4155551212' } }, matches: [] });
    assert.equal(slow.pop.type, 'search'); // Salesforce's own search instead
    assert.equal(slow.atAnswer, false);
    assert.equal(popAction({ status: 'invalid_number', screen_pop: null, matches: [] }).pop, null);
    for (const junk of [null, 'x', [], { status: 'weird' }]) assert.equal(popAction(junk).pop, null);
  });
});

describe('records on the Task', () => {
  test('Contacts and Leads are the WhoId, everything else the WhatId', () => {
    assert.deepEqual(taskLink(CONTACT, 'Contact'), { who_id: CONTACT });
    assert.deepEqual(taskLink(LEAD), { who_id: LEAD });
    assert.deepEqual(taskLink(ACCOUNT, 'Account'), { what_id: ACCOUNT });
    assert.deepEqual(taskLink(CASE), { what_id: CASE });
    // The object's name wins over the prefix (a custom object may share none of these).
    assert.deepEqual(taskLink(CONTACT, 'Custom__c'), { what_id: CONTACT });
    assert.equal(taskLink('not-an-id'), null);
    assert.equal(taskLink(undefined), null);
  });

  test('a clicked record becomes call.dial\'s record, without anything but its id and type', () => {
    assert.deepEqual(dialRecord({ id: ACCOUNT, type: 'Account', name: 'Acme' }), { record_id: ACCOUNT, object_type: 'Account' });
    assert.deepEqual(dialRecord({ id: CASE, type: 'bad type!' }), { record_id: CASE, object_type: 'Case' });
    assert.equal(dialRecord({ id: 'a01000000000001AAA' }), null); // a custom object, unnamed
    assert.equal(dialRecord({ id: '1' }), null);
    assert.equal(dialRecord(null), null);
  });

  test('recordPop opens one record and refuses anything else', () => {
    assert.deepEqual(recordPop(CONTACT), { type: 'SOBJECT', params: { recordId: CONTACT } });
    assert.throws(() => recordPop('/lightning/r/x'));
  });
});

describe('renewDelay', () => {
  const now = 1_000_000;
  test('renews ahead of expiry, or at once when little is left', () => {
    assert.equal(renewDelay(now + 3_600_000, now), 3_600_000 - RENEW_BEFORE_MS);
    assert.equal(renewDelay(now + 60_000, now), 0);
  });
  test('after a failure, retries within 30 s while time is left; an expired token is not renewed', () => {
    assert.equal(renewDelay(now + 3_600_000, now, { failed: true }), 30_000);
    assert.equal(renewDelay(now + 10_000, now, { failed: true }), 9_000);
    assert.equal(renewDelay(now - 1, now), null);
    assert.equal(renewDelay(Number.NaN, now), null);
  });
});

describe('consoleUserId', () => {
  test('reads the Apex result under runApex, or a bare string; refuses what is not a User id', () => {
    assert.equal(consoleUserId({ runApex: '005000000000001AAA' }), '005000000000001AAA');
    assert.equal(consoleUserId('005000000000001'), '005000000000001');
    for (const junk of [null, {}, { runApex: CONTACT }, { runApex: '005<script>' }, 42, ['005000000000001AAA']]) {
      assert.equal(consoleUserId(junk), null, String(junk));
    }
  });
});
