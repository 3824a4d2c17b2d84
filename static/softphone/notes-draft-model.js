// A call log's unsaved draft (the pure half; notes-draft.js keeps it in sessionStorage).
//
// What the agent types in a card's log form (notes, disposition) is kept as a draft per
// (agent, call) until it is saved with `call.log`, so that a reload before saving does not
// lose it. A draft remembers the log as saved when the agent began it (`base`), which is
// what decides between it and the saved log the server sends back (session.ready's
// `wrap_up`): see restoredLog. No DOM, no storage, no clock.

const PREFIX = 'sivo.log-draft:';

/** The storage key of an agent's draft for a call; one agent's keys never match another's. */
export function draftKey(agentId, callId) {
  return `${PREFIX}${encodeURIComponent(agentId)}:${encodeURIComponent(callId)}`;
}

/** The call id of one of `agentId`'s draft keys, or null for any other key. */
export function draftCallId(key, agentId) {
  const own = `${PREFIX}${encodeURIComponent(agentId)}:`;
  if (typeof key !== 'string' || !key.startsWith(own)) return null;
  try {
    return decodeURIComponent(key.slice(own.length)) || null;
  } catch {
    return null;
  }
}

const fields = (f) => ({ disposition: String(f?.disposition ?? ''), notes: String(f?.notes ?? '') });
const same = (a, b) => a.disposition === b.disposition && a.notes === b.notes;

/** The stored text of a draft: the form's fields, and the saved log they were typed over. */
export function draftText(form, base) {
  return JSON.stringify({ v: 1, ...fields(form), base: fields(base) });
}

/** A stored draft, or null for anything that is not one (another version, a broken value). */
export function parseDraft(text) {
  let d;
  try {
    d = JSON.parse(text ?? 'null');
  } catch {
    return null;
  }
  if (d?.v !== 1 || typeof d.notes !== 'string' || typeof d.disposition !== 'string') return null;
  if (typeof d.base?.notes !== 'string' || typeof d.base?.disposition !== 'string') return null;
  return { disposition: d.disposition, notes: d.notes, base: fields(d.base) };
}

/**
 * What the form shows after a reload, given the saved log (`{disposition, notes}`, or null
 * when the server did not say: a call still up) and the draft (or null), as
 * `{form, dirty, keep}`: `form` the fields to show (null: leave the form as it is), `dirty`
 * whether they are unsaved, `keep` whether the draft stays stored.
 *
 * The draft wins when it differs from the saved log and was typed over the log as it is
 * saved now (its base), or when the saved log is unknown. When the saved log changed since
 * the draft began (saved from another tab, after this one's last keystroke), the later
 * save wins and the draft is dropped: it was typed over something that is no longer so.
 */
export function restoredLog(saved, draft) {
  const current = saved ? fields(saved) : null;
  if (!draft) return { form: current, dirty: false, keep: false };
  const typed = fields(draft);
  if (current && (same(typed, current) || !same(draft.base, current))) return { form: current, dirty: false, keep: false };
  return { form: typed, dirty: true, keep: true };
}

/** Of `keys`, the drafts of `agentId` for calls not in `liveCallIds` (gone: to remove). */
export function staleDrafts(keys, agentId, liveCallIds) {
  const live = new Set(liveCallIds);
  return keys.filter((key) => {
    const callId = draftCallId(key, agentId);
    return callId !== null && !live.has(callId);
  });
}
