// What the agent's state looks like: the connection badge (top bar) apart from the status
// card, after-call work as its own phase (countdown, what to do, Ready), and the Salesforce
// utility bar item (through the console bridge, when there is one). The words and rules are
// status-model.js's.

import { h } from '/shared/dom.js';
import { request } from '/shared/signal.js';
import { errorWords } from '/softphone/errors-model.js';
import { log, showAlert, state, ui } from '/softphone/page.js';
import { clearsEndedCalls, connectionText, presencePayload, statusChoices, statusDetail, statusText, wrapUp } from '/softphone/status-model.js';

/** The connection badge: `kind` (connected, reconnecting, offline, ...), its words unless given. */
export function setConn(kind, text = null, attempt = 0) {
  state.connKind = kind;
  ui.conn.dataset.conn = kind;
  ui.conn.textContent = text ?? connectionText(kind, attempt);
  if (state.agent) ui.statusDetail.textContent = statusDetail(state.presence.status, kind);
  showConsoleState();
}

/** The Salesforce utility bar item follows the softphone: its state, or the call. */
export function showConsoleState() {
  if (!state.sfc) return;
  const signedIn = state.agent !== null;
  const summaries = [...state.calls.values()].filter((v) => v.active).map((v) => ({
    ...v.info,
    incoming: v.incoming,
    connectedAt: v.connectedAt,
    conference: Boolean(v.info.conference),
  }));
  const connection = ['connected', 'signed_out'].includes(state.connKind) ? null : state.connKind;
  state.sfc.showState(signedIn ? { ...state.presence, connection } : null, summaries);
}

// Set by softphone.js: removes the cards of ended calls (calls.js owns them).
let clearEnded = () => {};
export function onClearEnded(fn) {
  clearEnded = fn;
}

/**
 * The agent's presence changed (a push, or the answer to a change it asked for): remember
 * when after-call work began (its countdown's length), and clear ended calls' cards once the
 * agent is Available again.
 */
export function applyPresence(next) {
  const previous = state.presence.status;
  const presence = { ...state.presence, ...next };
  if (presence.status !== 'after_call_work') presence.wrap_up_ends_at = null;
  if (presence.status === 'after_call_work' && previous !== 'after_call_work') state.wrapUpStartedAt = Date.now();
  if (presence.status !== 'after_call_work') state.wrapUpStartedAt = null;
  state.presence = presence;
  if (clearsEndedCalls(previous, presence.status)) clearEnded();
  renderPresence();
}

export function renderPresence() {
  const { status, reason } = state.presence;
  ui.status.dataset.status = status;
  ui.status.textContent = statusText(status, reason);
  ui.statusDetail.textContent = statusDetail(status, state.connKind);
  const { options, current, locked } = statusChoices(state.presence, state.agent?.pause_reasons ?? []);
  const els = options.map((o) => new Option(o.label, o.value));
  if (!current) {
    // On a call or in after-call work: SIVO set the status; the list offers what comes next.
    const prompt = new Option(locked ? 'Not while on a call' : 'Change status…', '', true, true);
    prompt.disabled = true;
    els.unshift(prompt);
  }
  ui.presence.replaceChildren(...els);
  ui.presence.value = current;
  ui.presence.disabled = !state.sock?.connected || locked;
  renderWrapup();
  document.title = `${statusText(status, reason)} · SIVO Softphone`;
  showConsoleState();
}

/**
 * After-call work: its panel sits in the card of the call being wrapped up (with that call's
 * disposition and notes, when it has a Salesforce log), or on its own under the status.
 */
export function renderWrapup() {
  const phase = wrapUp(state.presence, state.wrapUpStartedAt, Date.now());
  ui.wrapup.hidden = !phase.active;
  if (!phase.active) {
    if (ui.wrapup.parentElement !== ui.calls.parentElement) ui.calls.before(ui.wrapup);
    return;
  }
  const view = wrappedCall();
  const home = view?.wrapupSlot ?? null;
  if (home && ui.wrapup.parentElement !== home) home.append(ui.wrapup);
  if (!home && ui.wrapup.parentElement !== ui.calls.parentElement) ui.calls.before(ui.wrapup);
  if (view) view.dismissBtn.hidden = true; // the card goes by itself once the agent is ready
  ui.wrapup.classList.toggle('card', !home);
  ui.wrapup.classList.toggle('panel', Boolean(home));
  ui.wrapupText.textContent = phase.text;
  ui.wrapup.dataset.overdue = String(phase.overdue);
  ui.wrapupProgress.hidden = !phase.total;
  if (phase.total) {
    ui.wrapupProgress.max = phase.total;
    ui.wrapupProgress.value = phase.left;
  }
  const logging = state.agent?.call_logging;
  const hint = [];
  if (logging?.enabled && view?.record) {
    hint.push('Choose a disposition and add notes in the call log below; they go on the call’s Salesforce Task.');
    if (logging.disposition_required) hint.push('A disposition is required before you are ready.');
  } else {
    hint.push('Finish the call’s work. Calls ring again when the time is up, or when you press Ready.');
  }
  ui.wrapupHint.replaceChildren(...hint.map((t, i) => (i ? h('span', {}, ` ${t}`) : t)));
}

/** The ended call that is being wrapped up: the newest ended card. */
function wrappedCall() {
  return [...state.calls.values()].reverse().find((v) => !v.active && v.connectedAt > 0) ?? null;
}

export async function setPresence() {
  const value = ui.presence.value;
  if (!value) return;
  try {
    const reply = await request(state.sock, 'presence.set', presencePayload(value));
    applyPresence({ status: reply.status, reason: reply.reason ?? null });
    showAlert('');
  } catch (err) {
    showAlert(`Status not changed. ${errorWords(err, 'presence')}`, 'error');
    log(`Status change refused: ${errorWords(err, 'presence')}`, 'error');
    renderPresence();
  }
}

export async function endWrapup() {
  ui.wrapupDone.disabled = true;
  try {
    // A disposition or notes typed but not saved yet go first: Ready means done.
    const view = wrappedCall();
    if (view?.record?.dirty) await view.record.submit();
    const reply = await request(state.sock, 'wrapup.end', {});
    applyPresence({ status: reply.status });
    showAlert('');
  } catch (err) {
    showAlert(`Still in after-call work. ${errorWords(err)}`, 'error');
  } finally {
    ui.wrapupDone.disabled = false;
  }
}
