// The pure half of the softphone's life inside the Salesforce console: what a pushed screen
// pop means for Salesforce and for the agent, when to renew the sign-in, and what the
// server is told about the record a call belongs to. No DOM, no globals, no network.

const RECORD_ID = /^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$/;
const API_NAME = /^[A-Za-z][A-Za-z0-9_]{0,79}$/;
// Salesforce's own prefixes for the two objects a Task's WhoId may name.
const WHO_PREFIXES = new Set(['003', '00Q']); // Contact, Lead
const WHO_TYPES = new Set(['Contact', 'Lead']);

const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

// The new-record pop is a modal in Lightning: shown while the phone rings it would sit between
// the agent and the rest of the console, so it waits for the answer (docs/salesforce.md).
const MODAL_TYPES = new Set(['newRecord', 'NEW_RECORD_MODAL']);

/**
 * What to do with a `call.screenpop` push (`{call_id, status, screen_pop, matches, ...}`, see
 * docs/signaling.md): `{pop, atAnswer, chooser, note, kind}`.
 * - `pop`: the argument for sforce.opencti.screenPop, or null (nothing to show in Salesforce);
 * - `atAnswer`: true when `pop` is a modal, to be shown once the agent answers;
 * - `chooser`: the matches the agent picks from (several records), or null;
 * - `note`: one line for the call card ("Salesforce: Rivera, Contact"), or null;
 * - `kind`: 'ok' | 'warn' for the note.
 */
export function popAction(push) {
  const action = popOf(push);
  return { ...action, atAnswer: Boolean(action.pop && MODAL_TYPES.has(action.pop.type)) };
}

function popOf(push) {
  if (!isObject(push)) return { pop: null, chooser: null, note: null, kind: 'ok' };
  const matches = Array.isArray(push.matches) ? push.matches.filter((m) => isObject(m) && RECORD_ID.test(m.id ?? '')) : [];
  const pop = isObject(push.screen_pop) ? push.screen_pop : null;
  switch (push.status) {
    case 'found': {
      const first = matches[0];
      const what = first ? `${first.name ?? 'a record'} (${first.type ?? 'record'})` : 'one record';
      return { pop, chooser: null, note: `Salesforce: ${what}`, kind: 'ok' };
    }
    case 'several':
      return { pop, chooser: matches, note: `Salesforce found ${matches.length} records: pick the caller's.`, kind: 'ok' };
    case 'none':
      return { pop, chooser: null, note: 'Not in Salesforce: a new Contact is open for the caller.', kind: 'ok' };
    case 'invalid_number':
      return { pop: null, chooser: null, note: 'The caller withheld the number or it is not a phone number: nothing to look up.', kind: 'ok' };
    default:
      // SIVO's lookup gave up (slow or down): Salesforce's own search, if the server gave one.
      return { pop, chooser: null, note: 'The Salesforce lookup failed or was too slow: Salesforce searches for the number itself.', kind: 'warn' };
  }
}

/**
 * The screenPop argument that opens one record the agent picked from the chooser.
 */
export function recordPop(recordId) {
  if (typeof recordId !== 'string' || !RECORD_ID.test(recordId)) throw new Error('not a record Id');
  return { type: 'SOBJECT', params: { recordId } };
}

/**
 * Where a record goes on the call's Task: `{who_id}` for a Contact or a Lead (WhoId), else
 * `{what_id}` (an Account, a Case, an Opportunity: WhatId). `type` is the object's API name
 * when known; otherwise the Id's key prefix decides.
 */
export function taskLink(recordId, type = null) {
  if (typeof recordId !== 'string' || !RECORD_ID.test(recordId)) return null;
  const who = typeof type === 'string' && API_NAME.test(type) ? WHO_TYPES.has(type) : WHO_PREFIXES.has(recordId.slice(0, 3));
  return who ? { who_id: recordId } : { what_id: recordId };
}

// Standard objects by key prefix, for a record Salesforce named without its type.
const PREFIX_TYPES = { '001': 'Account', '003': 'Contact', '00Q': 'Lead', '500': 'Case', '006': 'Opportunity' };

/**
 * The `record` of `call.dial` (`{record_id, object_type}`) for a record from onClickToDial or
 * onNavigationChange; null without an id, or without a type SIVO can name.
 */
export function dialRecord(record) {
  if (!isObject(record) || typeof record.id !== 'string' || !RECORD_ID.test(record.id)) return null;
  const named = typeof record.type === 'string' && API_NAME.test(record.type) ? record.type : null;
  const type = named ?? PREFIX_TYPES[record.id.slice(0, 3)] ?? null;
  return type ? { record_id: record.id, object_type: type } : null;
}

// Renew this long before the token runs out: the server warns at 60 s (session.expiring), and
// a slow Salesforce must not make the agent drop off.
export const RENEW_BEFORE_MS = 5 * 60_000;
const RETRY_MS = 30_000;

/**
 * Milliseconds until the sign-in should be renewed, for a token expiring at `expiresAt`
 * (epoch ms) seen at `now`: RENEW_BEFORE_MS ahead, or at once; after a failed renewal
 * (`failed`), again in 30 s while there is time left, else null (expired: sign in again).
 */
export function renewDelay(expiresAt, now, { failed = false } = {}) {
  if (!Number.isFinite(expiresAt) || !Number.isFinite(now)) return null;
  const left = expiresAt - now;
  if (left <= 0) return null;
  if (failed) return Math.min(RETRY_MS, Math.max(0, left - 1_000));
  return Math.max(0, left - RENEW_BEFORE_MS);
}

// The package's Apex class the softphone asks who is signed in to the console (lwc/).
export const CONSOLE_USER_APEX = { apexClass: 'SIVO_SoftphoneUser', methodName: 'currentUser', methodParams: '' };
const USER_ID = /^005[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$/;

/**
 * The user id in runApex's returnValue for SIVO_SoftphoneUser.currentUser: the Open CTI
 * guide's sample output holds the method's result under `runApex`; a bare string is read too.
 * Null for anything that is not a User id.
 */
export function consoleUserId(returnValue) {
  const value = isObject(returnValue) ? returnValue.runApex : returnValue;
  return typeof value === 'string' && USER_ID.test(value) ? value : null;
}
