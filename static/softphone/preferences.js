// The agent's audio devices, kept by SIVO too (GET/PUT /softphone/preferences, by label).
//
// Framed by a Salesforce console where third-party cookies are blocked, the softphone has no
// localStorage: without this, the microphone, speaker and ringer the agent picked would be
// forgotten on every console reload. Where localStorage works it keeps the browser's own
// {id, label} as before; SIVO keeps the labels (ids are per origin and may change) and hands
// them back after sign-in, for DevicePicker.restore(). Failures are logged, never alerted:
// the phone works the same with the system defaults.

import { choiceLabels, labelChoices, localStore } from '/shared/media.js';
import { log, state } from '/softphone/page.js';

const URL_PATH = '/softphone/preferences';
const SAVE_DELAY_MS = 800; // a burst of picks (or a devicechange) makes one PUT

let pending = null; // {agentId, body}: labels not yet sent
let timer = null;
let picks = 0; // changes made on this page, so a late GET does not undo a fresh pick

function headers(extra = {}) {
  return { Authorization: `Bearer ${state.token}`, ...extra };
}

async function send(keepalive = false) {
  clearTimeout(timer);
  timer = null;
  const job = pending;
  pending = null;
  // Only for the agent that made the picks, and only while signed in.
  if (!job || !state.token || state.agent?.agent_id !== job.agentId) return;
  try {
    const resp = await fetch(URL_PATH, {
      method: 'PUT',
      headers: headers({ 'Content-Type': 'application/json' }),
      body: JSON.stringify(job.body),
      cache: 'no-store',
      keepalive,
    });
    if (!resp.ok) log(`Audio devices not saved in SIVO (HTTP ${resp.status}); this page keeps them for now.`);
  } catch (err) {
    log(`Audio devices not saved in SIVO: ${err?.message ?? err}`);
  }
}

/** DevicePicker's store: localStorage (when the browser has it), and SIVO once signed in. */
export function deviceStore(key) {
  const local = localStore(key);
  addEventListener('pagehide', () => {
    if (pending) send(true); // a reload right after a pick: keepalive outlives the page
  });
  return {
    load: () => local.load(),
    save(saved) {
      local.save(saved);
      picks += 1;
      if (!state.agent) return; // picked before sign-in: this browser keeps it
      pending = { agentId: state.agent.agent_id, body: choiceLabels(saved) };
      clearTimeout(timer);
      timer = setTimeout(send, SAVE_DELAY_MS);
    },
  };
}

/** After sign-in: the devices SIVO kept for this agent, applied unless the agent just picked. */
export async function restoreDevices(devices) {
  const before = picks;
  try {
    const resp = await fetch(URL_PATH, { headers: headers(), cache: 'no-store' });
    if (!resp.ok) {
      log(`Could not read the audio devices kept in SIVO (HTTP ${resp.status}).`);
      return;
    }
    const kept = labelChoices(await resp.json());
    if (picks === before && Object.keys(kept).length) await devices.restore(kept);
  } catch (err) {
    log(`Could not read the audio devices kept in SIVO: ${err?.message ?? err}`);
  }
}
