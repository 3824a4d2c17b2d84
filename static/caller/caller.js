// The public web phone: call a published SIVO number, or register a number and take calls.
// Protocol: docs/signaling.md, namespace /caller. One call at a time per page.

import { $, clock, h, keypad } from '/shared/dom.js';
import { CAN_PICK_SPEAKER, DevicePicker, PeerLeg, loadIceServers, openMic, showLevel, startRinging, stopRinging } from '/shared/media.js';
import { causeText, errorText, normaliseNumber, openSocket, request } from '/shared/signal.js';

const ui = {
  conn: $('conn'),
  alert: $('alert'),
  state: $('call-state'),
  detail: $('call-detail'),
  number: $('number'),
  call: $('call'),
  hangup: $('hangup'),
  erase: $('erase'),
  dtmfSent: $('dtmf-sent'),
  incoming: $('incoming'),
  incomingFrom: $('incoming-from'),
  answer: $('answer'),
  decline: $('decline'),
  myNumber: $('my-number'),
  register: $('register'),
  unregister: $('unregister'),
  registerStatus: $('register-status'),
  rxLevel: $('rx-level'),
  rxLabel: $('rx-label'),
  txLevel: $('tx-level'),
  ringer: $('ringer'),
};

let sock = null;
let iceServers = [];
let devices = null;
/** The current call: {id, leg, state, held, position, peer, since, hangingUp, cancelled}. */
let call = null;
/** A ringing incoming call: {call_id, from, to, until}. */
let incoming = null;
/** The number this page wants registered (kept across reconnects) and whether it is now. */
let wantedNumber = null;
let registered = false;
let connectionLost = false;

// ---- small UI helpers ----------------------------------------------------------------------

function showAlert(message, kind = 'error', action = null) {
  ui.alert.replaceChildren(message ?? '');
  if (action) {
    ui.alert.append(h('button', { type: 'button', class: 'btn btn-small', onclick: action.run }, action.label));
  }
  ui.alert.hidden = !message;
  ui.alert.dataset.kind = kind;
}

function setConn(kind, text) {
  ui.conn.dataset.conn = kind;
  ui.conn.textContent = text;
}

function setState(state, text, detail = '') {
  ui.state.dataset.state = state;
  ui.state.textContent = text;
  ui.detail.textContent = detail;
}

function render() {
  const active = call !== null;
  ui.call.disabled = active || incoming !== null || !sock?.connected;
  ui.hangup.disabled = !active || call.hangingUp;
  ui.number.readOnly = active;
  ui.erase.disabled = active;
  if (!call) return;
  const peer = call.peer;
  if (call.state === 'dialing') setState('dialing', 'Calling…', call.step || peer);
  else if (call.state === 'queued') {
    const position = call.position === 1 ? 'You are next' : call.position ? `Position ${call.position} in the queue` : 'Waiting in the queue';
    setState('queued', 'Waiting for an agent', `${position} · ${clock((Date.now() - call.since) / 1000)}`);
  } else if (call.state === 'ringing') setState('ringing', 'Ringing…', peer);
  else if (call.state === 'connected' && call.held) setState('held', 'On hold', `${peer} · ${clock((Date.now() - call.since) / 1000)}`);
  else if (call.state === 'connected') setState('connected', 'Connected', `${peer} · ${clock((Date.now() - call.since) / 1000)}`);
  if (call.hangingUp) ui.detail.textContent = 'Hanging up…';
}

function renderRegistration() {
  ui.register.hidden = registered;
  ui.unregister.hidden = !registered;
  ui.myNumber.readOnly = registered;
  if (registered) ui.registerStatus.textContent = `Calls to ${wantedNumber} ring here while this page is open.`;
  else if (wantedNumber) ui.registerStatus.textContent = `${wantedNumber} is not registered (connection lost); registering again when SIVO is back.`;
  else ui.registerStatus.textContent = '';
}

// ---- calls -----------------------------------------------------------------------------------

function newLeg(mic) {
  return new PeerLeg({
    iceServers,
    mic,
    speakerId: devices.speakerId,
    onState: (state) => {
      if (state === 'audio-blocked') {
        showAlert('The browser blocked the call audio.', 'warn', {
          label: 'Play audio',
          run: () => {
            call?.leg.play();
            showAlert('');
          },
        });
      } else if (state === 'failed' && call?.leg) {
        showAlert('The audio connection failed. Hang up and call again.', 'error');
      }
    },
  });
}

async function openMicOrExplain() {
  const { stream, warning } = await openMic(devices.micId);
  if (warning) showAlert(warning, 'warn');
  devices.refresh().catch(() => {}); // labels become visible once allowed
  return stream;
}

async function dial() {
  const to = normaliseNumber(ui.number.value);
  if (!to) {
    ui.number.setAttribute('aria-invalid', 'true');
    showAlert('Enter the number in international format, e.g. +18005550100.', 'error');
    ui.number.focus();
    return;
  }
  ui.number.removeAttribute('aria-invalid');
  ui.number.value = to;
  showAlert('');
  ui.dtmfSent.textContent = '';
  call = { id: null, leg: null, state: 'dialing', step: 'Opening the microphone…', peer: to, held: false, position: null, since: Date.now() };
  render();
  try {
    const mic = await openMicOrExplain();
    if (call?.cancelled) {
      mic.getTracks().forEach((t) => t.stop());
      return finish('normal_clearing', 'caller', 'Cancelled.');
    }
    call.leg = newLeg(mic);
    call.step = `Connecting to ${to}…`;
    render();
    const sdp = await call.leg.offer();
    const reply = await request(sock, 'call.dial', { to, sdp });
    if (!call) return;
    call.id = reply.call_id;
    await call.leg.accept(reply.sdp);
    if (call.cancelled) await hangup();
  } catch (err) {
    const message = err.code === 'unreachable_number'
      ? `${to} cannot be called from the web: it is not a published SIVO number.`
      : errorText(err);
    finish(null, null, 'Call failed.');
    showAlert(message, 'error');
  }
}

async function hangup() {
  if (!call) return;
  if (!call.id) {
    call.cancelled = true; // hang up as soon as the server gives the call an id
    call.hangingUp = true;
    render();
    return;
  }
  call.hangingUp = true;
  render();
  const id = call.id;
  try {
    await request(sock, 'call.hangup', { call_id: id });
    // call.ended normally follows at once; don't leave the page hanging if it doesn't.
    setTimeout(() => call?.id === id && finish('normal_clearing', 'caller'), 3000);
  } catch (err) {
    if (call) call.hangingUp = false;
    render();
    showAlert(`Could not hang up: ${errorText(err)}`, 'error');
  }
}

/** Ends the local call: closes the media, shows why. */
function finish(cause, side, text = null) {
  if (call?.leg) call.leg.close();
  call = null;
  const why = text ?? `Call ended: ${causeText(cause, side, 'caller')}.`;
  setState('ended', 'Call ended', why);
  ui.state.dataset.cause = cause ?? '';
  ui.state.dataset.side = side ?? '';
  render();
  showLevel(ui.rxLevel, ui.rxLabel, null);
  ui.txLevel.value = 0;
}

async function sendDigit(digit) {
  if (!call || call.state !== 'connected' || !call.id) {
    if (!call) ui.number.value += digit;
    return;
  }
  try {
    await request(sock, 'call.dtmf', { call_id: call.id, digits: digit });
    ui.dtmfSent.textContent = `${ui.dtmfSent.textContent || 'Sent: '}${digit}`;
  } catch (err) {
    showAlert(`Key ${digit} was not sent: ${errorText(err)}`, 'error');
  }
}

function showIncoming(event) {
  incoming = { ...event, until: Date.now() + (event.ring_timeout_s ?? 30) * 1000 };
  const from = event.from ?? 'anonymous';
  ui.incomingFrom.textContent = from === 'anonymous' ? 'Unknown caller' : /^[0-9]{2,8}$/.test(from) ? `SIVO agent, extension ${from}` : from;
  ui.incoming.hidden = false;
  ui.dtmfSent.textContent = '';
  setState('ringing', 'Ringing', `A call to ${event.to}`);
  render();
  startRinging(ui.ringer, devices.speakerId).then((ok) => {
    if (!ok) showAlert('Incoming call (the browser blocked the ring tone).', 'warn');
  });
  ui.answer.focus();
}

function hideIncoming() {
  incoming = null;
  ui.incoming.hidden = true;
  stopRinging(ui.ringer);
  render();
}

async function answer() {
  if (!incoming) return;
  const ring = incoming;
  hideIncoming();
  showAlert('');
  call = { id: ring.call_id, leg: null, state: 'dialing', step: 'Answering…', peer: ring.from, held: false, position: null, since: Date.now() };
  render();
  try {
    call.leg = newLeg(await openMicOrExplain());
    const sdp = await call.leg.offer();
    const reply = await request(sock, 'call.answer', { call_id: ring.call_id, sdp });
    await call?.leg.accept(reply.sdp);
    if (call && call.state === 'dialing') {
      call.state = 'connected';
      call.since = Date.now();
      render();
    }
  } catch (err) {
    finish(null, null, 'The call could not be answered.');
    showAlert(errorText(err), 'error');
    request(sock, 'call.decline', { call_id: ring.call_id }).catch(() => {});
  }
}

async function decline() {
  if (!incoming) return;
  const id = incoming.call_id;
  hideIncoming();
  setState('idle', 'Ready', 'Call declined.');
  try {
    await request(sock, 'call.decline', { call_id: id });
  } catch (err) {
    showAlert(`Could not decline: ${errorText(err)}`, 'error');
  }
}

// ---- registration ----------------------------------------------------------------------------

async function register() {
  const number = normaliseNumber(ui.myNumber.value);
  if (!number) {
    ui.myNumber.setAttribute('aria-invalid', 'true');
    ui.registerStatus.textContent = 'Enter your number in international format, e.g. +15551230000.';
    return;
  }
  ui.myNumber.removeAttribute('aria-invalid');
  ui.myNumber.value = number;
  wantedNumber = number;
  await registerWanted();
}

async function registerWanted() {
  if (!wantedNumber || !sock?.connected) return renderRegistration();
  try {
    await request(sock, 'phone.register', { number: wantedNumber });
    registered = true;
  } catch (err) {
    registered = false;
    const reason = err.code === 'number_taken' ? `${wantedNumber} is already registered by another web phone, or it is a SIVO number.` : errorText(err);
    wantedNumber = null;
    renderRegistration();
    ui.registerStatus.textContent = reason;
    return;
  }
  renderRegistration();
}

async function unregister() {
  try {
    await request(sock, 'phone.unregister', {});
    registered = false;
    wantedNumber = null;
    renderRegistration();
    ui.registerStatus.textContent = 'Unregistered.';
  } catch (err) {
    ui.registerStatus.textContent = `Could not unregister: ${errorText(err)}`;
  }
}

// ---- socket ----------------------------------------------------------------------------------

function connectSocket() {
  sock = openSocket('/caller');
  sock.on('connect', () => {
    setConn('connected', 'Connected');
    if (connectionLost) showAlert('Connected to SIVO again.', 'ok');
    connectionLost = false;
    registerWanted();
    render();
  });
  sock.on('disconnect', (reason) => {
    registered = false;
    renderRegistration();
    if (call) {
      finish(null, null, 'The connection to SIVO was lost, so the call ended.');
    }
    if (incoming) hideIncoming();
    if (sock.active) setConn('reconnecting', 'Reconnecting…');
    else setConn('offline', 'Disconnected');
    showAlert(`Connection to SIVO lost (${reason}). ${sock.active ? 'Reconnecting…' : ''}`, 'warn');
    connectionLost = true;
    render();
  });
  sock.io.on('reconnect_attempt', (attempt) => setConn('reconnecting', `Reconnecting (attempt ${attempt})…`));
  sock.on('connect_error', (err) => {
    if (err?.data?.code === 'rate_limited') {
      setConn('offline', 'Refused');
      showAlert('Too many web phones are connected from your network. Retrying in 10 s…', 'warn');
      setTimeout(() => sock.connect(), 10000);
    } else if (!sock.active) {
      setConn('offline', 'Refused');
      showAlert(`SIVO refused the connection: ${err.message}`, 'error');
    } else {
      setConn('reconnecting', 'Cannot reach SIVO, retrying…');
    }
  });
  sock.on('call.updated', (update) => {
    if (!call || (call.id && call.id !== update.call_id)) return;
    call.id = update.call_id;
    if (update.state === 'ended') return; // call.ended says why
    const wasConnected = call.state === 'connected';
    call.state = update.state;
    call.held = Boolean(update.held);
    call.position = update.position ?? null;
    if (update.state === 'connected' && !wasConnected) call.since = Date.now();
    render();
  });
  sock.on('call.ended', (event) => {
    if (incoming?.call_id === event.call_id) {
      hideIncoming();
      setState('ended', 'Missed call', event.cause === 'no_answer' ? 'Not answered in time.' : `Missed: ${causeText(event.cause, event.side, 'caller')}.`);
      return;
    }
    if (call && (!call.id || call.id === event.call_id)) finish(event.cause, event.side);
  });
  sock.on('call.incoming', (event) => {
    if (call || incoming) {
      request(sock, 'call.decline', { call_id: event.call_id }).catch(() => {});
      return;
    }
    showIncoming(event);
  });
  sock.connect();
}

// ---- wiring ----------------------------------------------------------------------------------

function tick() {
  if (call && (call.state === 'queued' || call.state === 'connected')) render();
  if (incoming && Date.now() > incoming.until) {
    hideIncoming();
    setState('ended', 'Missed call', 'Not answered in time.');
  }
}

async function pollLevels() {
  const leg = call?.leg;
  if (!leg || leg.closed) return;
  try {
    await leg.poll();
  } catch {
    return;
  }
  if (call?.leg !== leg) return; // the call ended meanwhile
  showLevel(ui.rxLevel, ui.rxLabel, leg);
  ui.txLevel.value = Math.min(1, Math.sqrt(leg.sendLevel));
}

async function start() {
  ui.number.value = new URLSearchParams(location.search).get('to') ?? '';
  $('pad').replaceWith(keypad(sendDigit, 'Dial pad'));
  ui.call.addEventListener('click', dial);
  ui.hangup.addEventListener('click', hangup);
  ui.erase.addEventListener('click', () => {
    ui.number.value = ui.number.value.slice(0, -1);
  });
  ui.number.addEventListener('keydown', (ev) => ev.key === 'Enter' && !ui.call.disabled && dial());
  ui.answer.addEventListener('click', answer);
  ui.decline.addEventListener('click', decline);
  ui.register.addEventListener('click', register);
  ui.unregister.addEventListener('click', unregister);
  document.addEventListener('keydown', (ev) => {
    const typing = ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement || ev.target instanceof HTMLTextAreaElement;
    if (!typing && call?.state === 'connected' && /^[0-9*#]$/.test(ev.key)) sendDigit(ev.key);
  });
  window.addEventListener('beforeunload', (ev) => {
    if (call) ev.preventDefault(); // leaving the page hangs up
  });
  document.addEventListener('securitypolicyviolation', (ev) => {
    showAlert(`Blocked by the page's security policy: ${ev.violatedDirective} ${ev.blockedURI}`, 'error');
  });

  devices = new DevicePicker({
    mic: $('mic'),
    speaker: $('speaker'),
    note: $('device-note'),
    storageKey: 'sivo.caller.devices',
    onChange: async (kind, id) => {
      if (kind === 'speaker') await call?.leg?.setSpeaker(id).catch((err) => showAlert(`Speaker: ${errorText(err)}`, 'error'));
      if (kind === 'mic' && call?.leg) {
        try {
          await call.leg.replaceMic(await openMicOrExplain());
        } catch (err) {
          showAlert(errorText(err), 'error');
        }
      }
    },
  });
  if (!CAN_PICK_SPEAKER) $('speaker').closest('.field').hidden = true;
  await devices.refresh();
  try {
    iceServers = await loadIceServers('/caller/');
  } catch (err) {
    showAlert(`Using no STUN/TURN server: ${errorText(err)}`, 'warn');
  }
  window.sivo = { peerConnections: () => (call?.leg ? [call.leg.pc] : []) };
  setInterval(tick, 1000);
  setInterval(pollLevels, 500);
  setState('idle', 'Ready', 'Enter a number and press Call.');
  connectSocket();
  renderRegistration();
  render();
  document.body.dataset.ready = 'true';
}

start().catch((err) => {
  setConn('offline', 'Not started');
  showAlert(errorText(err), 'error');
});
