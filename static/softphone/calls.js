// The calls on the softphone: their cards, their media legs, what the buttons do, and
// dialling out (typed, or clicked in Salesforce). Protocol: docs/signaling.md.

import { clock } from '/shared/dom.js';
import { PeerLeg, openMic, startRinging, stopRinging } from '/shared/media.js';
import { normaliseNumber, request } from '/shared/signal.js';
import { CallRecordBox } from '/softphone/call-record.js';
import { CallView } from '/softphone/call-view.js';
import { dialRecord, popAction, taskLink } from '/softphone/console-model.js';
import { errorWords, plainError } from '/softphone/errors-model.js';
import { dropDraft, keepDraft } from '/softphone/notes-draft.js';
import { log, showAlert, state, ui } from '/softphone/page.js';
import { renderPresence, showConsoleState } from '/softphone/presence.js';

export function renderCalls() {
  ui.noCalls.hidden = state.calls.size > 0;
  const ringing = [...state.calls.values()].filter((v) => v.incoming && v.info.state === 'ringing');
  if (ringing.length) {
    startRinging(ui.ringer, state.devices.ringerId).then((ok) => {
      if (!ok) showAlert('A call is ringing, but the browser blocked the ring tone. Click anywhere on the page once to allow sound.', 'warn');
    });
    document.title = `Ringing: ${ringing[0].title.textContent} · SIVO Softphone`;
  } else {
    stopRinging(ui.ringer);
    renderPresence();
  }
  showConsoleState();
}

export function viewFor(callId) {
  let view = state.calls.get(callId);
  if (!view) {
    // A new call: dismiss finished ones so the screen shows what matters.
    for (const [id, old] of state.calls) if (!old.active) removeView(id);
    view = new CallView(callId, actions);
    if (state.directory) view.setDirectory(state.directory);
    attachRecordBox(view);
    state.calls.set(callId, view);
    ui.calls.prepend(view.el);
  }
  return view;
}

/**
 * A reload during after-call work: the ended call's card again, from session.ready's
 * `wrap_up` (wrap-up-model.js's restoredWrapUp), its duration the server's. A card this page
 * still has (a reconnect, not a reload) is kept as it is.
 */
export function restoreWrapUpCard(wrap, text) {
  const existing = state.calls.get(wrap.callId);
  if (existing && !existing.active) return existing;
  const view = viewFor(wrap.callId);
  view.snapshot({ ...wrap.snapshot, queue_name: queueName(wrap.snapshot.queue_id) ?? view.info.queue_name });
  view.connectedAt = wrap.connectedAt;
  view.ended(text);
  view.endedAt = wrap.endedAt;
  if (wrap.cause) view.el.dataset.cause = wrap.cause;
  view.timer.textContent = clock(wrap.talkSeconds);
  view.render();
  return view;
}

/**
 * The Salesforce part of the card (pop, chooser, log) when the agent signed in through an org,
 * or is a Salesforce user on the standalone page (its calls' Tasks want a disposition too).
 */
export function attachRecordBox(view) {
  if (!state.sfc && !state.agent?.call_logging?.enabled) return;
  view.record = new CallRecordBox(view.id, {
    pick: (match) => {
      state.sfc?.openRecord(match.id);
      logCall(view, taskLink(match.id, match.type) ?? {}).catch((err) => log(`Record not linked: ${errorWords(err)}`, 'error'));
    },
    save: (fields) => logCall(view, fields),
    draft: (fields, base) => {
      if (state.agent) keepDraft(state.agent.agent_id, view.id, fields, base);
    },
    saved: () => {
      if (state.agent) dropDraft(state.agent.agent_id, view.id);
    },
  }, state.agent?.call_logging ?? null);
  view.el.insertBefore(view.record.el, view.error);
}

/**
 * The agent opened a record in Salesforce (onNavigationChange): while a call is up, or being
 * wrapped up, it is what the call was about, unless the agent picked or dialled one
 * (`source: 'navigation'` ranks below those on the server).
 */
export function navigatedTo(record) {
  if (!state.agent?.call_logging?.enabled) return;
  const wrapping = state.presence.status === 'after_call_work';
  const view = [...state.calls.values()].find((v) => v.info.state === 'connected' || (wrapping && v.info.state === 'ended'));
  const link = view ? taskLink(record.id, record.type) : null;
  if (!link) return;
  logCall(view, { ...link, source: 'navigation' }).catch((err) => log(`Record not linked: ${errorWords(err)}`, 'error'));
}

/** `call.log`: what goes on the call's Salesforce Task (docs/signaling.md). */
async function logCall(view, fields) {
  if (!state.agent?.call_logging) throw plainError('Call logging is off for this call center.');
  await request(state.sock, 'call.log', { call_id: view.id, ...fields });
}

export function onScreenPop(push) {
  const view = state.calls.get(push.call_id);
  const action = state.sfc ? state.sfc.pop(push) : popAction(push);
  if (!view) return;
  if (action.atAnswer && action.pop) {
    if (view.incoming && view.info.state === 'ringing') view.popAtAnswer = action.pop;
    else state.sfc?.screenPop(action.pop);
  }
  view.record?.showPop(action);
  if (action.kind === 'warn') log(action.note, 'error');
}

export function removeView(callId) {
  const view = state.calls.get(callId);
  if (!view) return;
  view.leg?.close();
  view.el.remove();
  state.calls.delete(callId);
  if (view.record && state.agent) dropDraft(state.agent.agent_id, callId); // the card cleared
  renderCalls();
}

// A call that ends straight into Available (no wrap-up) keeps its card this long, so the
// agent sees how it ended; after a wrap-up the agent has seen it, and it goes at once.
const ENDED_LINGER_MS = 4000;

/** The cards of ended calls go (the agent is Available again: status-model.js). */
export function clearEndedCalls() {
  for (const [id, view] of [...state.calls]) {
    if (view.active || view === state.pendingDial) continue;
    const left = view.endedAt + ENDED_LINGER_MS - Date.now();
    if (left <= 0) {
      removeView(id);
      continue;
    }
    setTimeout(() => {
      const still = state.calls.get(id) === view && !view.active;
      if (still && state.presence.status !== 'after_call_work') removeView(id);
    }, left);
  }
}

/**
 * Asks for the directory (directory.list: in-memory on the server, so cheap), at most every
 * 2 s; every open card's pickers get it.
 */
export async function loadDirectory(force = false) {
  if (!state.sock?.connected || (!force && Date.now() - state.directoryAt < 2000)) return;
  state.directoryAt = Date.now();
  try {
    state.directory = await request(state.sock, 'directory.list', {});
  } catch (err) {
    log(`The list of agents and queues could not be loaded: ${errorWords(err)}`, 'error');
    return;
  }
  for (const view of state.calls.values()) {
    view.setDirectory(state.directory);
    view.render(); // names for ids (queues, agents) the card shows
  }
}

/** The call is over for this agent; `talkSeconds` (the server's, when it has it) replaces the
 * page's own count, which started when this page saw the answer. */
export function endView(view, text, talkSeconds = null) {
  view.leg?.close();
  view.leg = null;
  view.ended(text);
  if (typeof talkSeconds === 'number' && view.connectedAt) view.timer.textContent = clock(Math.round(talkSeconds));
  renderCalls();
}

export async function micStream() {
  const { stream, warning } = await openMic(state.devices.micId);
  if (warning) showAlert(warning, 'warn');
  return stream;
}

function newLeg(view, mic) {
  const leg = new PeerLeg({
    iceServers: state.iceServers,
    mic,
    speakerId: state.devices.speakerId,
    onState: (state) => {
      if (view.leg !== leg) return;
      if (state === 'audio-blocked') {
        showAlert('The browser blocked the call audio.', 'warn', {
          label: 'Play audio',
          run: () => {
            leg.play();
            showAlert('');
          },
        });
        return;
      }
      if (state === 'audio-playing') return;
      view.audioState = state;
      if (state === 'failed') {
        log(`Audio connection failed on the call with ${view.title.textContent}`, 'error');
        reconnectAudio(view);
      }
      view.render();
    },
  });
  if (view.info.muted) leg.setMicEnabled(false);
  return leg;
}

/** A new peer connection for a call SIVO already knows (reconnect, reload, failed audio). */
export async function reconnectAudio(view) {
  if (!state.sock?.connected || view.info.state !== 'connected' || view.reconnecting) return;
  view.reconnecting = true;
  try {
    view.leg?.close();
    view.leg = newLeg(view, await micStream());
    view.audioState = 'connecting';
    view.render();
    const sdp = await view.leg.offer();
    const reply = await request(state.sock, 'media.offer', { call_id: view.id, sdp });
    await view.leg.accept(reply.sdp);
    view.setError('');
  } catch (err) {
    view.setError(`Audio could not be restored. ${errorWords(err)}`);
    view.audioState = 'failed';
    view.render();
  } finally {
    view.reconnecting = false;
  }
}

/** Runs a call action with the card's buttons disabled, showing any refusal on the card. */
async function withBusy(view, what, fn) {
  // The card's buttons are disabled meanwhile, which drops the keyboard focus: it comes back
  // to the button the agent pressed (Tab, Enter, Enter again), if that is still on the card.
  const focused = view.el.contains(document.activeElement) ? document.activeElement : null;
  view.busy = true;
  view.setError('');
  view.render();
  try {
    await fn();
  } catch (err) {
    view.setError(`${what}. ${errorWords(err)}`);
    log(`${what}: ${errorWords(err)}`, 'error');
  } finally {
    view.busy = false;
    view.render();
    const lost = !document.activeElement || document.activeElement === document.body;
    if (focused && lost && focused.isConnected && !focused.disabled && focused.offsetParent !== null) focused.focus();
  }
}

const actions = {
  answer: (view) =>
    withBusy(view, 'Could not answer', async () => {
      stopRinging(ui.ringer);
      view.leg = newLeg(view, await micStream());
      try {
        const sdp = await view.leg.offer();
        const reply = await request(state.sock, 'call.answer', { call_id: view.id, sdp });
        await view.leg.accept(reply.sdp);
      } catch (err) {
        view.leg?.close();
        view.leg = null;
        if (err.code === 'invalid_state' || err.code === 'not_found') {
          endView(view, errorWords(err, 'answer'));
          return;
        }
        renderCalls();
        throw err;
      }
      view.incoming = false;
      if (view.info.state === 'ringing') view.snapshot({ state: 'connected' });
      if (view.popAtAnswer) state.sfc?.screenPop(view.popAtAnswer);
      view.popAtAnswer = null;
      log(`Answered ${view.title.textContent}`);
      renderCalls();
    }),
  decline: (view) =>
    withBusy(view, 'Could not decline', async () => {
      await request(state.sock, 'call.decline', { call_id: view.id });
      log(`Declined ${view.title.textContent}`);
      removeView(view.id);
    }),
  hangup: (view) => withBusy(view, 'Could not hang up', () => request(state.sock, 'call.hangup', { call_id: view.id })),
  hold: (view, on) =>
    withBusy(view, on ? 'Could not hold' : 'Could not resume', async () => {
      await request(state.sock, 'call.hold', { call_id: view.id, on });
      view.info.held = on;
    }),
  mute: (view, on) =>
    withBusy(view, on ? 'Could not mute' : 'Could not unmute', async () => {
      await request(state.sock, 'call.mute', { call_id: view.id, on });
      view.info.muted = on;
      view.leg?.setMicEnabled(!on);
    }),
  dtmf: async (view, digit) => {
    try {
      await request(state.sock, 'call.dtmf', { call_id: view.id, digits: digit });
      view.sent += digit;
      view.render();
    } catch (err) {
      view.setError(`Key ${digit} not sent. ${errorWords(err)}`);
    }
  },
  transfer: (view, target) =>
    withBusy(view, 'Not transferred', async () => {
      if (!target) throw plainError('Pick an agent or a queue from the list first.');
      if (target.disabled) throw plainError(`${target.label} cannot take the call now (${target.detail}).`);
      await request(state.sock, 'call.transfer', { call_id: view.id, to_type: target.kind, to_id: target.id }).catch((err) => {
        throw plainError(errorWords(err, 'transfer'));
      });
      log(`Transferred ${view.title.textContent} to ${target.kind === 'queue' ? `the ${target.label} queue` : target.label}`);
    }),
  consult: (view, target) =>
    withBusy(view, 'No consultation', async () => {
      if (!target) throw plainError('Pick an agent from the list first.');
      if (target.disabled) throw plainError(`${target.label} cannot take the call now (${target.detail}).`);
      await request(state.sock, 'call.consult', { call_id: view.id, agent_id: target.id }).catch((err) => {
        throw plainError(errorWords(err, 'consult'));
      });
      log(`Consulting ${target.label}; the caller is on hold`);
    }),
  directory: () => loadDirectory(),
  agentName: (id) => state.directory?.agents?.find((a) => a.agent_id === id)?.name ?? null,
  queueName: (id) => (id ? state.directory?.queues?.find((q) => q.queue_id === id)?.name ?? queueName(id) : null),
  complete: (view) => withBusy(view, 'Could not complete the transfer', () => request(state.sock, 'call.consult_complete', { call_id: view.id })),
  cancel: (view) => withBusy(view, 'Could not cancel the consultation', () => request(state.sock, 'call.consult_cancel', { call_id: view.id })),
  conference: (view) => withBusy(view, 'Could not start the conference', () => request(state.sock, 'call.conference', { call_id: view.id })),
  dismiss: (view) => removeView(view.id),
  reconnectAudio: (view) => reconnectAudio(view),
};

export function dial(ev) {
  ev.preventDefault();
  const to = normaliseNumber(ui.dialNumber.value);
  if (!to) {
    ui.dialNumber.setAttribute('aria-invalid', 'true');
    showAlert('Enter the number in international format, e.g. +15551230000.', 'error');
    return;
  }
  ui.dialNumber.removeAttribute('aria-invalid');
  // A number typed in the console belongs to the record the agent is on.
  dialNumber(to, state.sfc?.lastRecord ?? null);
}

/** Salesforce's click-to-dial: the clicked number, and the record it was clicked on. */
export function clickedToDial(result) {
  if (result.error) {
    showAlert(`Not dialled: ${result.error.message}`, 'error'); // opencti-model.js wrote it for the agent
    return;
  }
  if (!state.sock?.connected || !state.agent) {
    showAlert(`Not dialled: sign in to the softphone first (${result.number}).`, 'error');
    return;
  }
  ui.dialNumber.value = result.number;
  dialNumber(result.number, result.record);
}

async function dialNumber(to, record) {
  showAlert('');
  const view = viewFor(`dialing-${Date.now()}`);
  view.snapshot({ state: 'ringing', direction: 'outbound', to, from: state.agent?.extension ?? '' });
  view.busy = true;
  state.pendingDial = view;
  renderCalls();
  try {
    view.leg = newLeg(view, await micStream());
    const sdp = await view.leg.offer();
    const payload = { to, sdp };
    const linked = state.agent?.call_logging ? dialRecord(record) : null;
    if (linked) payload.record = linked;
    const reply = await request(state.sock, 'call.dial', payload);
    await view.leg.accept(reply.sdp);
    adoptDial(reply.call_id);
    log(`Calling ${to}`);
  } catch (err) {
    const text = err.code === 'no_route' ? `${to} cannot be reached: no web phone has registered it and there is no phone line (PSTN trunk) yet.` : errorWords(err);
    endView(view, `Call failed: ${text}`);
    showAlert(text, 'error');
  } finally {
    view.busy = false;
    if (state.pendingDial === view) state.pendingDial = null;
    view.render();
  }
}

/** Gives the pending outbound call's view its real id. */
export function adoptDial(callId) {
  const view = state.pendingDial;
  if (!view || state.calls.get(callId) === view) return;
  state.calls.delete(view.id);
  state.calls.get(callId)?.el.remove(); // an update that raced the ack made a duplicate
  view.id = callId;
  view.el.dataset.callId = callId;
  state.calls.set(callId, view);
  state.pendingDial = null;
}

// Call snapshots carry only queue_id; names from call.ringing survive a reload of this tab.
const QUEUES_KEY = 'sivo.agent.queue_names';

export function rememberQueueName(id, name) {
  if (!id || !name) return;
  try {
    const names = JSON.parse(sessionStorage.getItem(QUEUES_KEY) ?? '{}') ?? {};
    names[id] = name;
    sessionStorage.setItem(QUEUES_KEY, JSON.stringify(names));
  } catch {
    // storage disabled: the id is shown instead
  }
}

export function queueName(id) {
  try {
    return (JSON.parse(sessionStorage.getItem(QUEUES_KEY) ?? '{}') ?? {})[id] ?? null;
  } catch {
    return null;
  }
}
