// The softphone page's shared parts: its elements, its state, and the small helpers every
// module of it uses (the alert line, the activity log, status words). softphone.js wires the
// modules together: presence.js, calls.js, signin.js.

import { $, h, logLine } from '/shared/dom.js';


export const TOKEN_KEY = 'sivo.agent.token';
export { STATUS_WORDS, statusText } from '/softphone/status-model.js';

export const ui = {
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
  statusDetail: $('status-detail'),
  presence: $('presence'),
  wrapup: $('wrapup'),
  wrapupText: $('wrapup-text'),
  wrapupProgress: $('wrapup-progress'),
  wrapupHint: $('wrapup-hint'),
  wrapupDone: $('wrapup-done'),
  notify: $('notify'),
  notifyNote: $('notify-note'),
  shortcuts: $('shortcuts'),
  calls: $('calls'),
  noCalls: $('no-calls'),
  dialForm: $('dial-form'),
  dialNumber: $('dial-number'),
  micCheck: $('mic-check'),
  log: $('log'),
  ringer: $('ringer'),
};

/** What the page knows; each module reads and sets it (one page, one agent). */
export const state = {
  sock: null,
  token: '',
  iceServers: [],
  devices: null,
  agent: null, // session.ready payload
  presence: { status: 'logged_out', reason: null, wrap_up_ends_at: null },
  wrapUpStartedAt: null, // when this page saw after-call work begin (epoch ms)
  directory: null, // directory.list's answer, and when it came
  directoryAt: 0,
  notify: false, // the agent asked for desktop notifications in this tab
  replaced: false,
  signingOut: false,
  connectionLost: false,
  expiryWarned: false,
  connKind: 'signed_out',
  sfc: null, // the Salesforce console bridge (console.js), null when standalone
  renewTimer: null,
  calls: new Map(), // call_id -> CallView
  pendingDial: null, // the view of an outbound call whose call_id is not known yet
};

export function showAlert(message, kind = 'error', action = null) {
  ui.alert.replaceChildren(message ?? '');
  if (action) ui.alert.append(h('button', { type: 'button', class: 'btn btn-small', onclick: action.run }, action.label));
  ui.alert.hidden = !message;
  ui.alert.dataset.kind = kind;
}

/** Greys out (and disables) the phone while another tab owns the session or SIVO dropped it. */
export function setInactive(on) {
  ui.app.inert = on;
  ui.app.classList.toggle('inactive', on);
}

export function log(text, kind = 'info') {
  logLine(ui.log, text, kind);
}

