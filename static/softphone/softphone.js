// The agent softphone: sign in, set presence, take and control calls.
// Protocol: docs/signaling.md, namespace /agent. Inside an org's Salesforce console (the
// adapter URL carries `?org=`) the agent signs in with their Salesforce session and the page
// talks to the console through Open CTI (console.js). Standalone, it takes an agent token: kept
// in sessionStorage (this tab only); `#token=...` in the URL also signs in (a fragment never
// reaches the server, and the page removes it from the address bar and history). A token in
// the query string is not used: it has already travelled to the server and through any
// proxy's log.

import { $, clock, h, logLine } from '/shared/dom.js';
import { CAN_PICK_SPEAKER, DevicePicker, PeerLeg, loadIceServers, openMic, startRinging, stopRinging } from '/shared/media.js';
import { causeText, errorText, normaliseNumber, openSocket, request, tokenExpiry } from '/shared/signal.js';
import { CallView } from '/softphone/call-view.js';
import { CallRecordBox } from '/softphone/call-record.js';
import { ConsoleRefused, startConsole } from '/softphone/console.js';
import { dialRecord, popAction, renewDelay, taskLink } from '/softphone/console-model.js';

const TOKEN_KEY = 'sivo.agent.token';
const STATUS_WORDS = {
  available: 'Available',
  on_call: 'On a call',
  on_break: 'On break',
  after_call_work: 'After-call work',
  logged_out: 'Logged out',
};
const RING_CANCELLED = {
  timeout: 'not answered in time',
  declined: 'declined',
  caller_hangup: 'the caller hung up',
  cancelled: 'cancelled',
  answered_elsewhere: 'answered elsewhere',
};

const ui = {
  alert: $('alert'),
  conn: $('conn'),
  who: $('who'),
  expiry: $('expiry'),
  signout: $('signout'),
  login: $('login'),
  loginForm: $('login-form'),
  token: $('token'),
  loginError: $('login-error'),
  sfLogin: $('sf-login'),
  sfLoginButton: $('sf-login-button'),
  sfLoginOrg: $('sf-login-org'),
  app: $('app'),
  status: $('status'),
  presence: $('presence'),
  wrapup: $('wrapup'),
  wrapupText: $('wrapup-text'),
  wrapupDone: $('wrapup-done'),
  calls: $('calls'),
  noCalls: $('no-calls'),
  dialForm: $('dial-form'),
  dialNumber: $('dial-number'),
  micCheck: $('mic-check'),
  log: $('log'),
  ringer: $('ringer'),
};

let sock = null;
let token = '';
let iceServers = [];
let devices = null;
let agent = null; // session.ready payload
let presence = { status: 'logged_out', reason: null, wrap_up_ends_at: null };
let replaced = false;
let signingOut = false;
let connectionLost = false;
let expiryWarned = false;
let connKind = 'offline';
let sfc = null; // the Salesforce console bridge (console.js), null when standalone
let renewTimer = null;
const calls = new Map(); // call_id -> CallView

// ---- small UI helpers ------------------------------------------------------------------------

function showAlert(message, kind = 'error', action = null) {
  ui.alert.replaceChildren(message ?? '');
  if (action) ui.alert.append(h('button', { type: 'button', class: 'btn btn-small', onclick: action.run }, action.label));
  ui.alert.hidden = !message;
  ui.alert.dataset.kind = kind;
}

function setConn(kind, text) {
  connKind = kind;
  ui.conn.dataset.conn = kind;
  ui.conn.textContent = text;
  showConsoleState();
}

/** The Salesforce utility bar item follows the softphone: its state, or the call. */
function showConsoleState() {
  if (!sfc) return;
  const signedIn = agent !== null;
  const summaries = [...calls.values()].filter((v) => v.active).map((v) => ({
    ...v.info,
    incoming: v.incoming,
    connectedAt: v.connectedAt,
    conference: Boolean(v.info.conference),
  }));
  sfc.showState(signedIn ? { ...presence, connection: connKind === 'connected' ? null : connKind } : null, summaries);
}

/** Greys out (and disables) the phone while another tab owns the session or SIVO dropped it. */
function setInactive(on) {
  ui.app.inert = on;
  ui.app.classList.toggle('inactive', on);
}

function log(text, kind = 'info') {
  logLine(ui.log, text, kind);
}

function statusText(status, reason) {
  const words = STATUS_WORDS[status] ?? status;
  return status === 'on_break' && reason ? `${words}: ${reason}` : words;
}

// ---- presence --------------------------------------------------------------------------------

function renderPresence() {
  const { status, reason } = presence;
  ui.status.dataset.status = status;
  ui.status.textContent = statusText(status, reason);
  const options = [];
  if (status === 'on_call' || status === 'after_call_work') {
    options.push(new Option(STATUS_WORDS[status], `current:${status}`, true, true));
    options[0].disabled = true;
  }
  options.push(new Option('Available', 'available'));
  for (const r of agent?.pause_reasons ?? []) options.push(new Option(`On break: ${r}`, `on_break:${r}`));
  options.push(new Option('Logged out', 'logged_out'));
  ui.presence.replaceChildren(...options);
  const current = status === 'on_break' ? `on_break:${reason}` : status;
  if (options.some((o) => o.value === current)) ui.presence.value = current;
  ui.presence.disabled = !sock?.connected;
  renderWrapup();
  document.title = `${statusText(status, reason)} · SIVO Softphone`;
  showConsoleState();
}

function renderWrapup() {
  const inWrapup = presence.status === 'after_call_work';
  ui.wrapup.hidden = !inWrapup;
  if (!inWrapup) return;
  const ends = presence.wrap_up_ends_at ? new Date(presence.wrap_up_ends_at).getTime() : null;
  ui.wrapupText.textContent = ends ? `After-call work: ${clock((ends - Date.now()) / 1000)} left.` : 'After-call work.';
}

async function setPresence() {
  const value = ui.presence.value;
  if (value.startsWith('current:')) return;
  const [status, ...rest] = value.split(':');
  const payload = { status };
  if (status === 'on_break') payload.reason = rest.join(':');
  try {
    const reply = await request(sock, 'presence.set', payload);
    presence = { ...presence, status: reply.status, reason: reply.reason ?? null };
    showAlert('');
  } catch (err) {
    showAlert(`Status not changed: ${errorText(err)}`, 'error');
    log(`Status change refused: ${errorText(err)}`, 'error');
  }
  renderPresence();
}

async function endWrapup() {
  try {
    const reply = await request(sock, 'wrapup.end', {});
    presence = { ...presence, status: reply.status, wrap_up_ends_at: null };
    renderPresence();
  } catch (err) {
    showAlert(`Could not end after-call work: ${errorText(err)}`, 'error');
  }
}

// ---- calls: views and media ------------------------------------------------------------------

function renderCalls() {
  ui.noCalls.hidden = calls.size > 0;
  const ringing = [...calls.values()].filter((v) => v.incoming && v.info.state === 'ringing');
  if (ringing.length) {
    startRinging(ui.ringer, devices.ringerId).then((ok) => {
      if (!ok) showAlert('A call is ringing, but the browser blocked the ring tone. Click anywhere on the page once to allow sound.', 'warn');
    });
    document.title = `Ringing: ${ringing[0].title.textContent} · SIVO Softphone`;
  } else {
    stopRinging(ui.ringer);
    renderPresence();
  }
  showConsoleState();
}

function viewFor(callId) {
  let view = calls.get(callId);
  if (!view) {
    // A new call: dismiss finished ones so the screen shows what matters.
    for (const [id, old] of calls) if (!old.active) removeView(id);
    view = new CallView(callId, actions);
    attachRecordBox(view);
    calls.set(callId, view);
    ui.calls.prepend(view.el);
  }
  return view;
}

/** The Salesforce part of the card (pop, chooser, log) when the agent signed in through an org. */
function attachRecordBox(view) {
  if (!sfc) return;
  view.record = new CallRecordBox(view.id, {
    pick: (match) => {
      sfc.openRecord(match.id);
      logCall(view, taskLink(match.id, match.type) ?? {}).catch((err) => log(`Record not linked: ${errorText(err)}`, 'error'));
    },
    save: (fields) => logCall(view, fields),
  }, agent?.call_logging ?? null);
  view.el.insertBefore(view.record.el, view.error);
}

/** `call.log`: what goes on the call's Salesforce Task (docs/signaling.md). */
async function logCall(view, fields) {
  if (!agent?.call_logging) throw new Error('call logging is off for this call center');
  await request(sock, 'call.log', { call_id: view.id, ...fields });
}

function onScreenPop(push) {
  const view = calls.get(push.call_id);
  const action = sfc ? sfc.pop(push) : popAction(push);
  if (!view) return;
  if (action.atAnswer && action.pop) {
    if (view.incoming && view.info.state === 'ringing') view.popAtAnswer = action.pop;
    else sfc?.screenPop(action.pop);
  }
  view.record?.showPop(action);
  if (action.kind === 'warn') log(action.note, 'error');
}

function removeView(callId) {
  const view = calls.get(callId);
  if (!view) return;
  view.leg?.close();
  view.el.remove();
  calls.delete(callId);
  renderCalls();
}

function endView(view, text) {
  view.leg?.close();
  view.leg = null;
  view.ended(text);
  renderCalls();
}

async function micStream() {
  const { stream, warning } = await openMic(devices.micId);
  if (warning) showAlert(warning, 'warn');
  return stream;
}

function newLeg(view, mic) {
  const leg = new PeerLeg({
    iceServers,
    mic,
    speakerId: devices.speakerId,
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
async function reconnectAudio(view) {
  if (!sock?.connected || view.info.state !== 'connected' || view.reconnecting) return;
  view.reconnecting = true;
  try {
    view.leg?.close();
    view.leg = newLeg(view, await micStream());
    view.audioState = 'connecting';
    view.render();
    const sdp = await view.leg.offer();
    const reply = await request(sock, 'media.offer', { call_id: view.id, sdp });
    await view.leg.accept(reply.sdp);
    view.setError('');
  } catch (err) {
    view.setError(`Audio could not be restored: ${errorText(err)}`);
    view.audioState = 'failed';
    view.render();
  } finally {
    view.reconnecting = false;
  }
}

/** Runs a call action with the card's buttons disabled, showing any refusal on the card. */
async function withBusy(view, what, fn) {
  view.busy = true;
  view.setError('');
  view.render();
  try {
    await fn();
  } catch (err) {
    view.setError(`${what}: ${errorText(err)}`);
    log(`${what} failed: ${errorText(err)}`, 'error');
  } finally {
    view.busy = false;
    view.render();
  }
}

const actions = {
  answer: (view) =>
    withBusy(view, 'Could not answer', async () => {
      stopRinging(ui.ringer);
      view.leg = newLeg(view, await micStream());
      try {
        const sdp = await view.leg.offer();
        const reply = await request(sock, 'call.answer', { call_id: view.id, sdp });
        await view.leg.accept(reply.sdp);
      } catch (err) {
        view.leg?.close();
        view.leg = null;
        if (err.code === 'invalid_state' || err.code === 'not_found') {
          endView(view, 'The call stopped ringing before it could be answered.');
          return;
        }
        renderCalls();
        throw err;
      }
      view.incoming = false;
      if (view.info.state === 'ringing') view.snapshot({ state: 'connected' });
      if (view.popAtAnswer) sfc?.screenPop(view.popAtAnswer);
      view.popAtAnswer = null;
      log(`Answered ${view.title.textContent}`);
      renderCalls();
    }),
  decline: (view) =>
    withBusy(view, 'Could not decline', async () => {
      await request(sock, 'call.decline', { call_id: view.id });
      log(`Declined ${view.title.textContent}`);
      removeView(view.id);
    }),
  hangup: (view) => withBusy(view, 'Could not hang up', () => request(sock, 'call.hangup', { call_id: view.id })),
  hold: (view, on) =>
    withBusy(view, on ? 'Could not hold' : 'Could not resume', async () => {
      await request(sock, 'call.hold', { call_id: view.id, on });
      view.info.held = on;
    }),
  mute: (view, on) =>
    withBusy(view, on ? 'Could not mute' : 'Could not unmute', async () => {
      await request(sock, 'call.mute', { call_id: view.id, on });
      view.info.muted = on;
      view.leg?.setMicEnabled(!on);
    }),
  dtmf: async (view, digit) => {
    try {
      await request(sock, 'call.dtmf', { call_id: view.id, digits: digit });
      view.sent += digit;
      view.render();
    } catch (err) {
      view.setError(`Key ${digit} not sent: ${errorText(err)}`);
    }
  },
  transfer: (view, toType, toId) =>
    withBusy(view, 'Transfer refused', async () => {
      if (!toId) throw new Error(`enter the ${toType} id`);
      await request(sock, 'call.transfer', { call_id: view.id, to_type: toType, to_id: toId });
      log(`Transferred ${view.title.textContent} to ${toType} ${toId}`);
    }),
  consult: (view, agentId) =>
    withBusy(view, 'Consultation refused', async () => {
      if (!agentId) throw new Error('enter the agent id');
      await request(sock, 'call.consult', { call_id: view.id, agent_id: agentId });
      log(`Consulting ${agentId}; caller on hold`);
    }),
  complete: (view) => withBusy(view, 'Could not complete the transfer', () => request(sock, 'call.consult_complete', { call_id: view.id })),
  cancel: (view) => withBusy(view, 'Could not cancel the consultation', () => request(sock, 'call.consult_cancel', { call_id: view.id })),
  conference: (view) => withBusy(view, 'Could not start the conference', () => request(sock, 'call.conference', { call_id: view.id })),
  dismiss: (view) => removeView(view.id),
  reconnectAudio: (view) => reconnectAudio(view),
};

let pendingDial = null; // the view of an outbound call whose call_id is not known yet

function dial(ev) {
  ev.preventDefault();
  const to = normaliseNumber(ui.dialNumber.value);
  if (!to) {
    ui.dialNumber.setAttribute('aria-invalid', 'true');
    showAlert('Enter the number in international format, e.g. +15551230000.', 'error');
    return;
  }
  ui.dialNumber.removeAttribute('aria-invalid');
  // A number typed in the console belongs to the record the agent is on.
  dialNumber(to, sfc?.lastRecord ?? null);
}

/** Salesforce's click-to-dial: the clicked number, and the record it was clicked on. */
function clickedToDial(result) {
  if (result.error) {
    showAlert(`Not dialled: ${result.error.message}`, 'error');
    return;
  }
  if (!sock?.connected || !agent) {
    showAlert(`Not dialled: sign in to the softphone first (${result.number}).`, 'error');
    return;
  }
  ui.dialNumber.value = result.number;
  dialNumber(result.number, result.record);
}

async function dialNumber(to, record) {
  showAlert('');
  const view = viewFor(`dialing-${Date.now()}`);
  view.snapshot({ state: 'ringing', direction: 'outbound', to, from: agent?.extension ?? '' });
  view.busy = true;
  pendingDial = view;
  renderCalls();
  try {
    view.leg = newLeg(view, await micStream());
    const sdp = await view.leg.offer();
    const payload = { to, sdp };
    const linked = agent?.call_logging ? dialRecord(record) : null;
    if (linked) payload.record = linked;
    const reply = await request(sock, 'call.dial', payload);
    await view.leg.accept(reply.sdp);
    adoptDial(reply.call_id);
    log(`Calling ${to}`);
  } catch (err) {
    const text = err.code === 'no_route' ? `${to} cannot be reached: no web phone has registered it and there is no PSTN trunk.` : errorText(err);
    endView(view, `Call failed: ${text}`);
    showAlert(text, 'error');
  } finally {
    view.busy = false;
    if (pendingDial === view) pendingDial = null;
    view.render();
  }
}

/** Gives the pending outbound call's view its real id. */
function adoptDial(callId) {
  const view = pendingDial;
  if (!view || calls.get(callId) === view) return;
  calls.delete(view.id);
  calls.get(callId)?.el.remove(); // an update that raced the ack made a duplicate
  view.id = callId;
  view.el.dataset.callId = callId;
  calls.set(callId, view);
  pendingDial = null;
}

// Call snapshots carry only queue_id; names from call.ringing survive a reload of this tab.
const QUEUES_KEY = 'sivo.agent.queue_names';

function rememberQueueName(id, name) {
  if (!id || !name) return;
  try {
    const names = JSON.parse(sessionStorage.getItem(QUEUES_KEY) ?? '{}') ?? {};
    names[id] = name;
    sessionStorage.setItem(QUEUES_KEY, JSON.stringify(names));
  } catch {
    // storage disabled: the id is shown instead
  }
}

function queueName(id) {
  try {
    return (JSON.parse(sessionStorage.getItem(QUEUES_KEY) ?? '{}') ?? {})[id] ?? null;
  } catch {
    return null;
  }
}

// ---- socket ----------------------------------------------------------------------------------

function onSessionReady(ready) {
  const first = agent === null;
  agent = ready;
  presence = { status: ready.status, reason: ready.reason ?? null, wrap_up_ends_at: null };
  ui.who.textContent = `${ready.name}${ready.extension ? ` · ext. ${ready.extension}` : ''}`;
  ui.login.hidden = true;
  ui.app.hidden = false;
  ui.signout.hidden = false;
  renderPresence();
  const known = new Set(ready.calls.map((c) => c.call_id));
  for (const view of calls.values()) {
    if (view.active && !known.has(view.id) && view !== pendingDial) endView(view, 'Call ended while the softphone was disconnected.');
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
  for (const view of calls.values()) {
    if (!view.record) attachRecordBox(view);
    if (view.record) {
      view.record.logging = ready.call_logging ?? null;
      view.record.renderDispositions();
      view.render();
    }
  }
  renderCalls();
  sfc?.clickToDial(true);
  log(first ? `Signed in as ${ready.name} (${statusText(ready.status, ready.reason)})` : 'Session restored');
  if (first) checkMicrophone();
}

/** Fails early, at sign-in, if the microphone is blocked (not when the first call rings). */
async function checkMicrophone() {
  try {
    const { stream } = await openMic(devices.micId);
    stream.getTracks().forEach((t) => t.stop());
    ui.micCheck.textContent = 'Microphone ready.';
    ui.micCheck.dataset.kind = 'ok';
    await devices.refresh();
  } catch (err) {
    ui.micCheck.textContent = errorText(err);
    ui.micCheck.dataset.kind = 'error';
    showAlert(`${errorText(err)} You cannot answer calls until it works.`, 'error');
  }
}

function connect() {
  replaced = false;
  if (sock) {
    sock.connect();
    return;
  }
  sock = openSocket('/agent', { auth: (cb) => cb({ token }) });
  sock.on('connect', () => {
    setConn('connected', 'Connected');
    setInactive(false);
    if (connectionLost) {
      showAlert('Connected to SIVO again.', 'ok');
      log('Reconnected');
    }
    connectionLost = false;
    renderPresence();
  });
  sock.on('disconnect', (reason) => {
    ui.presence.disabled = true;
    if (signingOut) return;
    if (replaced) {
      setConn('replaced', 'Opened elsewhere');
      return;
    }
    connectionLost = true;
    log(`Connection lost (${reason})`, 'error');
    if (sock.active) {
      setConn('reconnecting', 'Reconnecting…');
      showAlert('Connection to SIVO lost. Reconnecting… Your status and calls are kept for a short grace period.', 'warn');
    } else {
      setConn('offline', 'Disconnected');
      setInactive(true);
      showAlert('SIVO closed the connection.', 'error', { label: 'Reconnect', run: connect });
    }
  });
  sock.io.on('reconnect_attempt', (attempt) => setConn('reconnecting', `Reconnecting (attempt ${attempt})…`));
  sock.on('connect_error', (err) => {
    const code = err?.data?.code;
    if (code === 'invalid_token' || code === 'unknown_agent') {
      signOut(code === 'unknown_agent'
        ? 'This agent no longer exists. Ask your administrator.'
        : sfc
          ? `Your sign-in was refused (${err.message}). Sign in again.`
          : `Your token was refused (${err.message}). Paste a new one.`);
    } else if (!sock.active) {
      setConn('offline', 'Refused');
      showAlert(`SIVO refused the connection: ${err.message}`, 'error', { label: 'Try again', run: connect });
    } else {
      setConn('reconnecting', 'Cannot reach SIVO, retrying…');
    }
  });
  sock.on('session.ready', onSessionReady);
  sock.on('session.replaced', (event) => {
    replaced = true;
    setInactive(true);
    for (const view of calls.values()) {
      view.leg?.close();
      view.leg = null;
      view.render();
    }
    stopRinging(ui.ringer);
    setConn('replaced', 'Opened elsewhere');
    log('Softphone opened in another tab or window', 'error');
    const detail = event?.message ? ` (SIVO: ${event.message})` : '';
    showAlert(`You opened the softphone in another tab or window${detail}. This tab no longer receives calls.`, 'warn', {
      label: 'Use this tab instead',
      run: () => {
        showAlert('');
        connect();
      },
    });
  });
  sock.on('session.expired', (event) => {
    const why = event?.reason === 'revoked'
      ? 'Your sign-in was revoked by an administrator.'
      : 'Your sign-in expired.';
    signOut(`${why} ${sfc ? 'Sign in again.' : 'Paste a new token to continue.'}`);
  });
  sock.on('presence.changed', (event) => {
    presence = { status: event.status, reason: event.reason ?? null, wrap_up_ends_at: event.wrap_up_ends_at ?? null };
    log(`Status: ${statusText(event.status, event.reason)}`);
    renderPresence();
  });
  sock.on('call.ringing', (event) => {
    rememberQueueName(event.queue_id, event.queue_name);
    const view = viewFor(event.call_id);
    view.ringing(event);
    sfc?.ringing(event);
    log(`Ringing: ${view.title.textContent}${event.queue_name ? ` (${event.queue_name})` : ''}`);
    renderCalls();
  });
  sock.on('call.ring_cancelled', (event) => {
    const view = calls.get(event.call_id);
    const who = view?.title.textContent ?? 'a caller';
    log(`Missed call from ${who}: ${RING_CANCELLED[event.reason] ?? event.reason}`, event.reason === 'timeout' ? 'error' : 'info');
    if (view && !view.leg) endView(view, `Missed: ${RING_CANCELLED[event.reason] ?? event.reason}.`);
  });
  sock.on('call.updated', (snap) => {
    if (!calls.has(snap.call_id) && pendingDial && snap.direction === 'outbound') adoptDial(snap.call_id);
    const view = viewFor(snap.call_id);
    view.snapshot(snap);
    renderCalls();
  });
  sock.on('call.screenpop', onScreenPop);
  sock.on('session.expiring', () => {
    if (sfc) renewSignIn();
  });
  sock.on('call.dtmf', (event) => {
    const view = calls.get(event.call_id);
    if (!view) return;
    view.received += event.digits;
    view.render();
  });
  sock.on('call.ended', (event) => {
    const view = calls.get(event.call_id);
    const text = `Call ended: ${causeText(event.cause, event.side, 'agent')}.`;
    log(`${view?.title.textContent ?? 'Call'}: ${text}`);
    if (view) {
      endView(view, text);
      view.el.dataset.cause = event.cause;
    }
  });
  setConn('connecting', 'Connecting…');
  sock.connect();
}

function signIn(newToken) {
  token = newToken.trim();
  try {
    sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // storage disabled: the token lasts until the page is closed
  }
  ui.loginError.textContent = '';
  const exp = tokenExpiry(token);
  if (exp && exp.getTime() < Date.now()) {
    signOut('This token has expired. Ask for a new one.');
    return;
  }
  expiryWarned = false;
  scheduleRenewal();
  connect();
}

// ---- Salesforce sign-in (inside the console) -------------------------------------------------

function scheduleRenewal(failed = false) {
  clearTimeout(renewTimer);
  renewTimer = null;
  const exp = sfc && token ? tokenExpiry(token) : null;
  const delay = exp ? renewDelay(exp.getTime(), Date.now(), { failed }) : null;
  if (delay !== null) renewTimer = setTimeout(renewSignIn, delay);
}

/** A fresh SIVO token from the Salesforce session, before the current one runs out. */
async function renewSignIn() {
  try {
    const fresh = await sfc.session.refresh();
    token = fresh.token;
    try {
      sessionStorage.setItem(TOKEN_KEY, token);
    } catch {
      // storage disabled
    }
    if (sock?.connected) await request(sock, 'session.refresh', { token });
    expiryWarned = false;
    scheduleRenewal();
  } catch (err) {
    if (err.code === 'session_ended') {
      signOut('Your Salesforce session ended (signed out, or access was revoked). Sign in again.');
      return;
    }
    log(`Sign-in not renewed yet: ${errorText(err)}`, 'error');
    scheduleRenewal(true);
  }
}

/** The button's click: the popup must open inside this gesture (no await before signIn()). */
function salesforceSignInClicked() {
  ui.loginError.textContent = '';
  ui.sfLoginButton.disabled = true;
  sfc.session
    .signIn()
    .then((done) => signIn(done.token))
    .catch((err) => {
      const words = {
        popup_blocked: 'The browser blocked the sign-in window. Allow pop-ups for this page, then try again.',
        popup_closed: 'The sign-in window was closed before you finished.',
        timeout: 'Salesforce did not finish the sign-in in time. Try again.',
      };
      showLogin(words[err.code] ?? `Salesforce sign-in failed: ${err.message}`);
    })
    .finally(() => {
      ui.sfLoginButton.disabled = false;
    });
}

/** A console reload: the partitioned cookie brings the sign-in back, without any popup. */
async function resumeSalesforce() {
  try {
    const resumed = await sfc.session.resume();
    if (resumed) {
      signIn(resumed.token);
      return;
    }
  } catch (err) {
    log(`Could not resume the Salesforce sign-in: ${errorText(err)}`, 'error');
  }
  showLogin('');
}

function signOut(message = '') {
  signingOut = true;
  sock?.disconnect();
  signingOut = false;
  clearTimeout(renewTimer);
  sfc?.clickToDial(false);
  for (const id of [...calls.keys()]) removeView(id);
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // nothing stored
  }
  token = '';
  agent = null;
  setConn('offline', 'Signed out');
  ui.app.hidden = true;
  ui.signout.hidden = true;
  ui.expiry.hidden = true;
  ui.who.textContent = '';
  showAlert('');
  showLogin(message);
  showConsoleState();
}

/** The sign-in card: Salesforce's button inside the console, the token form standalone. */
function showLogin(message) {
  ui.login.hidden = false;
  ui.loginError.textContent = message;
  ui.loginForm.hidden = Boolean(sfc);
  ui.sfLogin.hidden = !sfc;
  if (sfc) {
    ui.sfLoginOrg.textContent = sfc.org.name || 'your Salesforce org';
    ui.sfLoginButton.focus();
  } else {
    ui.token.value = '';
    ui.token.focus();
  }
}

async function signOutClicked() {
  const active = [...calls.values()].some((v) => v.active);
  if (active && !window.confirm('You are on a call. Signing out ends your part of it. Sign out?')) return;
  if (sock?.connected) await request(sock, 'presence.set', { status: 'logged_out' }).catch(() => {});
  await sfc?.session.signOut().catch(() => {});
  signOut('Signed out.');
}

// ---- wiring ----------------------------------------------------------------------------------

function tick() {
  for (const view of calls.values()) view.tick();
  renderWrapup();
  const exp = token ? tokenExpiry(token) : null;
  if (exp && agent) {
    const left = (exp.getTime() - Date.now()) / 1000;
    ui.expiry.hidden = left > 600;
    ui.expiry.textContent = left > 0 ? `Sign-in expires in ${clock(left)}` : 'Sign-in expired';
    if (left < 300 && !expiryWarned && !sfc) {
      expiryWarned = true;
      showAlert('Your sign-in expires soon. You stay connected, but a reconnect will need a new token.', 'warn', {
        label: 'Paste a new token',
        run: () => signOut('Paste your new token to continue.'),
      });
    }
  }
}

async function pollLevels() {
  for (const view of calls.values()) {
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
  ui.loginForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (ui.token.value.trim()) signIn(ui.token.value);
  });
  ui.signout.addEventListener('click', signOutClicked);
  ui.presence.addEventListener('change', setPresence);
  ui.wrapupDone.addEventListener('click', endWrapup);
  ui.dialForm.addEventListener('submit', dial);
  window.addEventListener('beforeunload', (ev) => {
    if ([...calls.values()].some((v) => v.active && v.leg)) ev.preventDefault();
  });
  document.addEventListener('securitypolicyviolation', (ev) => {
    showAlert(`Blocked by the page's security policy: ${ev.violatedDirective} ${ev.blockedURI}`, 'error');
  });
  devices = new DevicePicker({
    mic: $('mic'),
    speaker: $('speaker'),
    ringer: $('ringer-device'),
    note: $('device-note'),
    storageKey: 'sivo.softphone.devices',
    onChange: async (kind, id) => {
      for (const view of calls.values()) {
        if (!view.leg) continue;
        try {
          if (kind === 'speaker') await view.leg.setSpeaker(id);
          if (kind === 'mic') await view.leg.replaceMic(await micStream());
        } catch (err) {
          showAlert(`Could not switch the ${kind}: ${errorText(err)}`, 'error');
        }
      }
      if (kind === 'ringer' && CAN_PICK_SPEAKER) await ui.ringer.setSinkId(id || '').catch(() => {});
    },
  });
  await devices.refresh();
  try {
    iceServers = await loadIceServers('/softphone/');
  } catch (err) {
    showAlert(`Using no STUN/TURN server: ${errorText(err)}`, 'warn');
  }
  window.sivo = { peerConnections: () => [...calls.values()].filter((v) => v.leg && !v.leg.closed).map((v) => v.leg.pc) };
  setInterval(tick, 1000);
  setInterval(pollLevels, 500);

  const params = new URLSearchParams(location.search);
  const fragment = new URLSearchParams(location.hash.slice(1));
  const fromUrl = fragment.get('token');
  const leaked = params.has('token');
  if (fromUrl || leaked) {
    params.delete('token');
    fragment.delete('token');
    const rest = params.toString();
    const hash = fragment.toString();
    history.replaceState(null, '', `${location.pathname}${rest ? `?${rest}` : ''}${hash ? `#${hash}` : ''}`);
  }
  let stored = '';
  try {
    stored = sessionStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    stored = '';
  }
  try {
    sfc = await startConsole({ window, document, log, onClickToDial: clickedToDial });
  } catch (err) {
    if (err instanceof ConsoleRefused) {
      refuse(err.message);
      return;
    }
    showAlert(`Salesforce features are off: ${errorText(err)}`, 'error');
  }
  if (sfc) ui.sfLoginButton.addEventListener('click', salesforceSignInClicked);
  const initial = fromUrl || stored;
  const usable = initial && !((tokenExpiry(initial)?.getTime() ?? Infinity) < Date.now() + 5_000);
  if (usable) signIn(initial);
  else if (sfc) await resumeSalesforce();
  else signOut(leaked ? 'This link carries the token after "?", where servers log it; it was not used. Sign in with a link that has it after "#", or paste it.' : '');
  document.body.dataset.ready = 'true';
}

/** Framed by a page the org does not own: nothing loaded, nothing signed in, and why. */
function refuse(message) {
  ui.login.hidden = true;
  ui.app.hidden = true;
  setConn('offline', 'Not connected');
  showAlert(message, 'error');
  document.body.dataset.refused = 'true';
  document.body.dataset.ready = 'true';
}

start().catch((err) => showAlert(errorText(err), 'error'));
