// What the agent's state looks like: the status card, the wrap-up line, the connection badge,
// and the Salesforce utility bar item (through the console bridge, when there is one).

import { clock } from '/shared/dom.js';
import { errorText, request } from '/shared/signal.js';
import { STATUS_WORDS, log, showAlert, state, statusText, ui } from '/softphone/page.js';

export function setConn(kind, text) {
  state.connKind = kind;
  ui.conn.dataset.conn = kind;
  ui.conn.textContent = text;
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
  state.sfc.showState(signedIn ? { ...state.presence, connection: state.connKind === 'connected' ? null : state.connKind } : null, summaries);
}

export function renderPresence() {
  const { status, reason } = state.presence;
  ui.status.dataset.status = status;
  ui.status.textContent = statusText(status, reason);
  const options = [];
  if (status === 'on_call' || status === 'after_call_work') {
    options.push(new Option(STATUS_WORDS[status], `current:${status}`, true, true));
    options[0].disabled = true;
  }
  options.push(new Option('Available', 'available'));
  for (const r of state.agent?.pause_reasons ?? []) options.push(new Option(`On break: ${r}`, `on_break:${r}`));
  options.push(new Option('Logged out', 'logged_out'));
  ui.presence.replaceChildren(...options);
  const current = status === 'on_break' ? `on_break:${reason}` : status;
  if (options.some((o) => o.value === current)) ui.presence.value = current;
  ui.presence.disabled = !state.sock?.connected;
  renderWrapup();
  document.title = `${statusText(status, reason)} · SIVO Softphone`;
  showConsoleState();
}

export function renderWrapup() {
  const inWrapup = state.presence.status === 'after_call_work';
  ui.wrapup.hidden = !inWrapup;
  if (!inWrapup) return;
  const ends = state.presence.wrap_up_ends_at ? new Date(state.presence.wrap_up_ends_at).getTime() : null;
  ui.wrapupText.textContent = ends ? `After-call work: ${clock((ends - Date.now()) / 1000)} left.` : 'After-call work.';
}

export async function setPresence() {
  const value = ui.presence.value;
  if (value.startsWith('current:')) return;
  const [status, ...rest] = value.split(':');
  const payload = { status };
  if (status === 'on_break') payload.reason = rest.join(':');
  try {
    const reply = await request(state.sock, 'presence.set', payload);
    state.presence = { ...state.presence, status: reply.status, reason: reply.reason ?? null };
    showAlert('');
  } catch (err) {
    showAlert(`Status not changed: ${errorText(err)}`, 'error');
    log(`Status change refused: ${errorText(err)}`, 'error');
  }
  renderPresence();
}

export async function endWrapup() {
  try {
    const reply = await request(state.sock, 'wrapup.end', {});
    state.presence = { ...state.presence, status: reply.status, wrap_up_ends_at: null };
    renderPresence();
  } catch (err) {
    showAlert(`Could not end after-call work: ${errorText(err)}`, 'error');
  }
}
