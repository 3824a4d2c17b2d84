// The org page's Service Cloud Voice (SCRT2) section, with no DOM access: the org's two
// SCRT2 settings (`push_transcripts`, `provider_name`), the PATCH body for what changed, and
// how the SCRT2 request log reads. Plain functions of the API's JSON.

/** What SIVO sends as Telephony-Provider-Name when the org sets none (scrt2_jwt.py). */
export const DEFAULT_PROVIDER_NAME = 'calltree';
const PROVIDER_MAX = 80;
// What the API takes (SalesforceOrgUpdate.provider_name): letters, digits, spaces, "-", "_"
// and "."; no space at either end, since a header value's surrounding blanks are not part of it.
const PROVIDER_NAME = /^[A-Za-z0-9._-](?:[A-Za-z0-9 ._-]*[A-Za-z0-9._-])?$/;

/**
 * The settings as the org view gives them. `reported` is false while the API does not show
 * them yet (an older SIVO): the form then starts from the defaults.
 */
export function scrt2Settings(org) {
  const reported = 'push_transcripts' in org && 'provider_name' in org;
  return {
    pushTranscripts: Boolean(org.push_transcripts),
    providerName: org.provider_name || DEFAULT_PROVIDER_NAME,
    reported,
  };
}

/**
 * The Telephony-Provider-Name field's text → the value to PATCH.
 * @returns {{value: string} | {error: string}}
 */
export function providerNameInput(raw) {
  const value = String(raw ?? '').trim();
  if (!value) return { error: `Enter the Telephony-Provider-Name, like ${DEFAULT_PROVIDER_NAME}.` };
  if (value.length > PROVIDER_MAX) return { error: `At most ${PROVIDER_MAX} characters.` };
  if (!PROVIDER_NAME.test(value)) return { error: 'Use letters, digits, spaces, “-”, “_” and “.” only: it goes in an HTTP header.' };
  return { value };
}

/**
 * The form → the body for PATCH /api/v1/salesforce/orgs/{id}: only what changed, so that a
 * save of one setting never sends the other. `body` is null when nothing changed.
 * @returns {{body: object|null} | {error: string, field: string}}
 */
export function scrt2Changes(org, form) {
  const saved = scrt2Settings(org);
  const body = {};
  if (Boolean(form.pushTranscripts) !== saved.pushTranscripts) body.push_transcripts = Boolean(form.pushTranscripts);
  const name = providerNameInput(form.providerName);
  if (name.error) return { error: name.error, field: 'provider_name' };
  if (name.value !== saved.providerName) body.provider_name = name.value;
  return { body: Object.keys(body).length ? body : null };
}

/** One line on what was saved. */
export function scrt2Saved(org) {
  const s = scrt2Settings(org);
  const push = s.pushTranscripts ? 'SIVO pushes transcripts to the org' : 'SIVO does not push transcripts';
  return `Saved. ${push}, as ${s.providerName}.`;
}

export const REQUEST_KINDS = {
  create: 'Create',
  transfer: 'Transfer',
  leg_end: 'Leg end',
  end: 'End',
  recording: 'Recording',
};

export const REQUEST_STATES = {
  due: { label: 'Due', kind: 'warn' },
  sent: { label: 'Sent', kind: 'ok' },
  failed: { label: 'Failed', kind: 'fail' },
};

export const requestState = (row) => REQUEST_STATES[row.state] ?? { label: String(row.state), kind: 'muted' };
export const requestKind = (row) => REQUEST_KINDS[row.kind] ?? String(row.kind);

/** Only a failed (dead-lettered) request can be sent again; the API answers 409 otherwise. */
export const canReplay = (row) => row.state === 'failed';

/** The log after a replay: the row the API returned in place of the old one. */
export function replaceRow(rows, updated) {
  return rows.map((r) => (r.id === updated.id ? updated : r));
}

export function replayedNote(row) {
  return `${requestKind(row)} request ${row.id} for ${row.call_id} is queued again (${requestState(row).label.toLowerCase()}).`;
}

/** The log's one-line summary: how many, and how many failed. */
export function logSummary(rows) {
  const failed = rows.filter(canReplay).length;
  const count = `${rows.length} ${rows.length === 1 ? 'request' : 'requests'}`;
  return failed ? `${count}, ${failed} failed.` : `${count}.`;
}

export const scrt2RequestsPath = (orgId) => `/salesforce/orgs/${encodeURIComponent(orgId)}/scrt2/requests`;
export const replayPath = (orgId, requestId) => `${scrt2RequestsPath(orgId)}/${encodeURIComponent(requestId)}/replay`;
