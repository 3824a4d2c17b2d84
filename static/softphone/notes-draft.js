// A call log's unsaved draft, kept while the agent types (debounced) so that a reload
// before "Save log" does not lose it; notes-draft-model.js decides what a reload shows.
//
// sessionStorage, not localStorage: a reload keeps it, and it goes when the tab closes, so
// notes about a caller do not outlive the agent's tab on a shared computer (nor pile up for
// calls whose card never cleared here). Its key names the agent: another agent signing in
// in the same tab never sees it. A frame without storage (a console whose browser blocks
// third-party storage, as Chrome does with third-party cookies blocked) keeps no draft.

import { draftKey, draftText, parseDraft, staleDrafts } from '/softphone/notes-draft-model.js';

const WRITE_DELAY_MS = 300; // a burst of keystrokes makes one write
const pending = new Map(); // key -> draft text not written yet
let timer = null;

function storage() {
  try {
    return window.sessionStorage; // throws where the browser blocks it
  } catch {
    return null;
  }
}

function write() {
  clearTimeout(timer);
  timer = null;
  const store = storage();
  for (const [key, text] of pending) {
    try {
      store?.setItem(key, text);
    } catch {
      // full, or blocked: this draft is not kept
    }
  }
  pending.clear();
}

// A reload within the delay: what was typed last is written before the page goes.
addEventListener('pagehide', write);

/** The form's fields as typed over `base` (the log as saved), written shortly. */
export function keepDraft(agentId, callId, form, base) {
  pending.set(draftKey(agentId, callId), draftText(form, base));
  clearTimeout(timer);
  timer = setTimeout(write, WRITE_DELAY_MS);
}

/** The agent's draft for the call, or null. */
export function loadDraft(agentId, callId) {
  const key = draftKey(agentId, callId);
  if (pending.has(key)) return parseDraft(pending.get(key));
  try {
    return parseDraft(storage()?.getItem(key));
  } catch {
    return null;
  }
}

/** The log was saved, or the card went: no draft any more. */
export function dropDraft(agentId, callId) {
  const key = draftKey(agentId, callId);
  pending.delete(key);
  try {
    storage()?.removeItem(key);
  } catch {
    // nothing stored
  }
}

/** The agent's drafts for calls that have no card any more (after a reload). */
export function dropStaleDrafts(agentId, liveCallIds) {
  const store = storage();
  if (!store) return;
  try {
    const keys = Array.from({ length: store.length }, (_, i) => store.key(i));
    for (const key of staleDrafts(keys, agentId, liveCallIds)) store.removeItem(key);
  } catch {
    // nothing stored
  }
}
