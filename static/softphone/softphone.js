// The agent softphone: sign in, set presence, take and control calls.
// Protocol: docs/signaling.md, namespace /agent. Inside an org's Salesforce console (the
// adapter URL carries `?org=`) the agent signs in with their Salesforce session and the page
// talks to the console through Open CTI (console.js). Standalone, it takes an agent token: kept
// in sessionStorage (this tab only); `#token=...` in the URL also signs in (a fragment never
// reaches the server, and the page removes it from the address bar and history). A token in
// the query string is not used: it has already travelled to the server and through any
// proxy's log.
//
// This module holds the socket and the start; page.js the shared state, presence.js the
// status, calls.js the calls, signin.js signing in.

import { $ } from '/shared/dom.js';
import { CAN_PICK_SPEAKER, DevicePicker, loadIceServers, openMic, stopRinging } from '/shared/media.js';
import { causeText, openSocket, tokenExpiry } from '/shared/signal.js';
import {
  adoptDial,
  attachRecordBox,
  clearEndedCalls,
  clickedToDial,
  dial,
  endView,
  loadDirectory,
  micStream,
  navigatedTo,
  onScreenPop,
  queueName,
  reconnectAudio,
  rememberQueueName,
  renderCalls,
  restoreWrapUpCard,
  viewFor,
} from '/softphone/calls.js';
import { ConsoleRefused, startConsole } from '/softphone/console.js';
import { connectRefusal, errorWords } from '/softphone/errors-model.js';
import { closeRingNotice, notifyRing, startNotifications } from '/softphone/notify.js';
import { log, setInactive, showAlert, state, statusText, ui } from '/softphone/page.js';
import { deviceStore, restoreDevices } from '/softphone/preferences.js';
import { applyPresence, endWrapup, onClearEnded, renderPresence, renderWrapup, setConn, setPresence } from '/softphone/presence.js';
import { dropDraft, dropStaleDrafts, loadDraft } from '/softphone/notes-draft.js';
import { restoredLog } from '/softphone/notes-draft-model.js';
import { startShortcuts } from '/softphone/shortcuts.js';
import { logFields, restoredWrapUp } from '/softphone/wrap-up-model.js';
import {
  initialToken,
  onSignedIn,
  refuse,
  renewSignIn,
  resumeSalesforce,
  salesforceSignInClicked,
  showExpiry,
  signIn,
  signOut,
  signOutClicked,
} from '/softphone/signin.js';

const RING_CANCELLED = {
  timeout: 'not answered in time',
  declined: 'declined',
  caller_hangup: 'the caller hung up',
  cancelled: 'cancelled',
  answered_elsewhere: 'answered elsewhere',
};


/** The ended card's line: "Call ended: <how>." (just "Call ended." for a cause it has no
 * words for yet, a code like "trunk_failed", which is not shown raw). */
function endedText(cause, side) {
  if (!cause) return 'Call ended.';
  const words = causeText(cause, side, 'agent');
  return `Call ended${/^[a-z0-9]+(?:_[a-z0-9]+)+$/.test(words) ? '' : `: ${words}`}.`;
}

// ---- socket ----------------------------------------------------------------------------------

function onSessionReady(ready) {
  const first = state.agent === null;
  // When the phone became usable, for bench/console.py (and anyone's performance panel).
  if (first) performance.mark('sivo:ready');
  state.agent = ready;
  applyPresence({ status: ready.status, reason: ready.reason ?? null, wrap_up_ends_at: ready.wrap_up_ends_at ?? null });
  ui.who.textContent = `${ready.name}${ready.extension ? ` · ext. ${ready.extension}` : ''}`;
  ui.login.hidden = true;
  ui.app.hidden = false;
  ui.signout.hidden = false;
  const known = new Set(ready.calls.map((c) => c.call_id));
  for (const view of state.calls.values()) {
    if (view.active && !known.has(view.id) && view !== state.pendingDial) endView(view, 'Call ended while the softphone was disconnected.');
  }
  for (const snap of ready.calls) {
    const view = viewFor(snap.call_id);
    view.snapshot({ ...snap, queue_name: queueName(snap.queue_id) ?? view.info.queue_name });
    if (snap.state === 'ringing' && !view.leg && snap.direction !== 'outbound') view.incoming = true;
    if (snap.state === 'connected') {
      log(`Restoring audio for the call with ${view.title.textContent}`);
      reconnectAudio(view);
    }
    view.render();
  }
  // A reload during after-call work: the ended call's card again, its countdown going on.
  const wrap = restoredWrapUp(ready);
  if (wrap) {
    restoreWrapUpCard(wrap, endedText(wrap.cause, wrap.side));
    state.wrapUpStartedAt = wrap.startedAt;
  }
  for (const view of state.calls.values()) {
    if (!view.record) attachRecordBox(view);
    if (view.record) {
      view.record.logging = ready.call_logging ?? null;
      view.record.renderDispositions();
      view.render();
    }
  }
  const wrapped = wrap ? state.calls.get(wrap.callId)?.record : null;
  const saved = wrapped ? logFields(wrap.log, wrapped) : null;
  if (saved) wrapped.restore(saved);
  restoreDrafts(ready.agent_id, wrap);
  renderCalls();
  renderPresence();
  loadDirectory(true);
  state.sfc?.clickToDial(true);
  log(first ? `Signed in as ${ready.name}; status: ${statusText(ready.status, ready.reason)}` : 'Session restored');
  // The devices SIVO kept (a console frame has no localStorage), once their names show.
  if (first) checkMicrophone().then(() => restoreDevices(state.devices));
}

/**
 * Notes typed but not saved before a reload, back in their cards (notes-draft-model.js's
 * restoredLog says when a draft beats the saved log); drafts of calls with no card go.
 */
function restoreDrafts(agentId, wrap) {
  dropStaleDrafts(agentId, [...state.calls.keys()]);
  for (const view of state.calls.values()) {
    const record = view.record;
    if (!record || record.dirty) continue; // typed on this page: that stands
    // The server sends the saved log of the call being wrapped up only; a live call's is unknown.
    const saved = wrap?.log && view.id === wrap.callId ? record.base : null;
    const shown = restoredLog(saved, loadDraft(agentId, view.id));
    if (shown.dirty) record.restoreDraft(shown.form);
    if (!shown.keep) dropDraft(agentId, view.id);
  }
}

/** Fails early, at sign-in, if the microphone is blocked (not when the first call rings). */
async function checkMicrophone() {
  try {
    const { stream } = await openMic(state.devices.micId);
    stream.getTracks().forEach((t) => t.stop());
    ui.micCheck.textContent = 'Microphone ready.';
    ui.micCheck.dataset.kind = 'ok';
    await state.devices.refresh();
  } catch (err) {
    ui.micCheck.textContent = errorWords(err);
    ui.micCheck.dataset.kind = 'error';
    showAlert(`${errorWords(err)} You cannot answer calls until it works.`, 'error');
  }
}

function connect() {
  state.replaced = false;
  if (state.sock) {
    state.sock.connect();
    return;
  }
  state.sock = openSocket('/agent', { auth: (cb) => cb({ token: state.token }) });
  state.sock.on('connect', () => {
    setConn('connected');
    setInactive(false);
    if (state.connectionLost) {
      showAlert('Connected to SIVO again.', 'ok');
      log('Reconnected');
    }
    state.connectionLost = false;
    renderPresence();
  });
  state.sock.on('disconnect', (reason) => {
    ui.presence.disabled = true;
    if (state.signingOut) return;
    if (state.replaced) {
      setConn('replaced');
      return;
    }
    state.connectionLost = true;
    log(reason === 'io server disconnect' ? 'SIVO closed the connection' : 'Connection to SIVO lost', 'error');
    if (state.sock.active) {
      setConn('reconnecting');
      showAlert('Connection to SIVO lost. Reconnecting… Your status and calls are kept for a short grace period.', 'warn');
    } else {
      setConn('offline');
      setInactive(true);
      showAlert('SIVO closed the connection.', 'error', { label: 'Reconnect', run: connect });
    }
  });
  state.sock.io.on('reconnect_attempt', (attempt) => setConn('reconnecting', null, attempt));
  state.sock.on('connect_error', (err) => {
    const refusal = connectRefusal(err?.data?.code, err?.message, Boolean(state.sfc));
    if (refusal.signOut) {
      signOut(refusal.words);
    } else if (!state.sock.active) {
      setConn('offline');
      showAlert(refusal.words, 'error', { label: 'Try again', run: connect });
    } else {
      setConn('reconnecting');
    }
  });
  state.sock.on('session.ready', onSessionReady);
  state.sock.on('session.replaced', (event) => {
    state.replaced = true;
    setInactive(true);
    for (const view of state.calls.values()) {
      view.leg?.close();
      view.leg = null;
      view.render();
    }
    stopRinging(ui.ringer);
    setConn('replaced');
    log('Softphone opened in another tab or window', 'error');
    showAlert('You opened the softphone in another tab or window. This tab no longer receives calls.', 'warn', {
      label: 'Use this tab instead',
      run: () => {
        showAlert('');
        connect();
      },
    });
  });
  state.sock.on('session.expired', (event) => {
    const why = event?.reason === 'revoked'
      ? 'Your sign-in was revoked by an administrator.'
      : 'Your sign-in expired.';
    signOut(`${why} ${state.sfc ? 'Sign in again.' : 'Paste a new token to continue.'}`);
  });
  state.sock.on('presence.changed', (event) => {
    log(`Status: ${statusText(event.status, event.reason)}`);
    applyPresence({ status: event.status, reason: event.reason ?? null, wrap_up_ends_at: event.wrap_up_ends_at ?? null });
  });
  state.sock.on('call.ringing', (event) => {
    rememberQueueName(event.queue_id, event.queue_name);
    const view = viewFor(event.call_id);
    view.ringing(event);
    state.sfc?.ringing(event);
    log(`Ringing: ${view.title.textContent}${event.queue_name ? ` (${event.queue_name})` : ''}`);
    renderCalls();
    notifyRing(event, () => view.answerBtn.focus());
  });
  state.sock.on('call.ring_cancelled', (event) => {
    const view = state.calls.get(event.call_id);
    const who = view?.title.textContent ?? 'a caller';
    closeRingNotice(event.call_id);
    log(`Missed call from ${who}: ${RING_CANCELLED[event.reason] ?? 'the ring stopped'}`, event.reason === 'timeout' ? 'error' : 'info');
    if (view && !view.leg) endView(view, `Missed: ${RING_CANCELLED[event.reason] ?? 'the ring stopped'}.`);
  });
  state.sock.on('call.updated', (snap) => {
    if (!state.calls.has(snap.call_id) && state.pendingDial && snap.direction === 'outbound') adoptDial(snap.call_id);
    const view = viewFor(snap.call_id);
    view.snapshot(snap);
    if (snap.state !== 'ringing') closeRingNotice(snap.call_id);
    renderCalls();
  });
  state.sock.on('call.screenpop', onScreenPop);
  state.sock.on('session.expiring', () => {
    if (state.sfc) renewSignIn();
  });
  state.sock.on('call.dtmf', (event) => {
    const view = state.calls.get(event.call_id);
    if (!view) return;
    view.received += event.digits;
    view.render();
  });
  state.sock.on('call.ended', (event) => {
    closeRingNotice(event.call_id);
    const view = state.calls.get(event.call_id);
    const text = endedText(event.cause, event.side);
    log(`${view?.title.textContent ?? 'Call'}: ${text}`);
    if (view) {
      endView(view, text, event.talk_seconds);
      view.el.dataset.cause = event.cause;
    }
  });
  setConn('connecting');
  state.sock.connect();
}

// ---- wiring ----------------------------------------------------------------------------------

function tick() {
  for (const view of state.calls.values()) view.tick();
  renderWrapup();
  showExpiry();
  // While a transfer or consult picker is open, the agents' presence stays fresh.
  if ([...state.calls.values()].some((v) => v.picking)) loadDirectory();
}

async function pollLevels() {
  for (const view of state.calls.values()) {
    if (!view.leg || view.leg.closed) continue;
    try {
      await view.leg.poll();
      view.showAudio();
    } catch {
      // the pc closed meanwhile
    }
  }
}

async function start() {
  onSignedIn(connect);
  ui.loginForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (ui.token.value.trim()) signIn(ui.token.value);
  });
  ui.signout.addEventListener('click', signOutClicked);
  ui.presence.addEventListener('change', setPresence);
  ui.wrapupDone.addEventListener('click', endWrapup);
  ui.dialForm.addEventListener('submit', dial);
  onClearEnded(clearEndedCalls);
  startShortcuts();
  startNotifications();
  window.addEventListener('beforeunload', (ev) => {
    if ([...state.calls.values()].some((v) => v.active && v.leg)) ev.preventDefault();
  });
  document.addEventListener('securitypolicyviolation', (ev) => {
    showAlert(`Blocked by the page's security policy: ${ev.violatedDirective} ${ev.blockedURI}`, 'error');
  });
  state.devices = new DevicePicker({
    mic: $('mic'),
    speaker: $('speaker'),
    ringer: $('ringer-device'),
    note: $('device-note'),
    store: deviceStore('sivo.softphone.devices'),
    onChange: async (kind, id) => {
      for (const view of state.calls.values()) {
        if (!view.leg) continue;
        try {
          if (kind === 'speaker') await view.leg.setSpeaker(id);
          if (kind === 'mic') await view.leg.replaceMic(await micStream());
        } catch (err) {
          showAlert(`Could not switch the ${kind === 'mic' ? 'microphone' : kind}. ${errorWords(err)}`, 'error');
        }
      }
      if (kind === 'ringer' && CAN_PICK_SPEAKER) await ui.ringer.setSinkId(id || '').catch(() => {});
    },
  });
  await state.devices.refresh();
  try {
    state.iceServers = await loadIceServers('/softphone/');
  } catch (err) {
    showAlert('The network settings for calls (STUN/TURN) could not be loaded; calls may not connect outside this network.', 'warn');
  }
  window.sivo = { peerConnections: () => [...state.calls.values()].filter((v) => v.leg && !v.leg.closed).map((v) => v.leg.pc) };
  setInterval(tick, 1000);
  setInterval(pollLevels, 500);

  const { token: initial, leaked } = initialToken();
  try {
    state.sfc = await startConsole({ window, document, log, onClickToDial: clickedToDial, onNavigation: navigatedTo });
  } catch (err) {
    if (err instanceof ConsoleRefused) {
      refuse(err.message);
      return;
    }
    showAlert(`Salesforce features are off. ${errorWords(err)}`, 'error');
  }
  if (state.sfc) ui.sfLoginButton.addEventListener('click', salesforceSignInClicked);
  const usable = initial && !((tokenExpiry(initial)?.getTime() ?? Infinity) < Date.now() + 5_000);
  if (usable) signIn(initial);
  else if (state.sfc) await resumeSalesforce();
  else signOut(leaked ? 'This link carries the token after "?", where servers log it; it was not used. Sign in with a link that has it after "#", or paste it.' : '');
  document.body.dataset.ready = 'true';
}

start().catch((err) => showAlert(errorWords(err), 'error'));
