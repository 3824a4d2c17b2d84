// Signing in: an agent token (standalone: pasted, or `#token=` in a link), or the agent's
// Salesforce session inside the console (salesforce-signin.js: a popup once, the partitioned
// cookie after); renewing it before it runs out, and signing out.

import { clock } from '/shared/dom.js';
import { request, tokenExpiry } from '/shared/signal.js';
import { errorWords } from '/softphone/errors-model.js';
import { removeView } from '/softphone/calls.js';
import { renewDelay } from '/softphone/console-model.js';
import { TOKEN_KEY, log, showAlert, state, ui } from '/softphone/page.js';
import { setConn, showConsoleState } from '/softphone/presence.js';

let connectSocket = () => {};

/** softphone.js hands over how to open the socket once a token is in hand. */
export function onSignedIn(connect) {
  connectSocket = connect;
}

export function signIn(newToken) {
  state.token = newToken.trim();
  try {
    sessionStorage.setItem(TOKEN_KEY, state.token);
  } catch {
    // storage disabled: the token lasts until the page is closed
  }
  ui.loginError.textContent = '';
  const exp = tokenExpiry(state.token);
  if (exp && exp.getTime() < Date.now()) {
    signOut('This token has expired. Ask for a new one.');
    return;
  }
  state.expiryWarned = false;
  scheduleRenewal();
  connectSocket();
}

// ---- Salesforce sign-in (inside the console) -------------------------------------------------

function scheduleRenewal(failed = false) {
  clearTimeout(state.renewTimer);
  state.renewTimer = null;
  const exp = state.sfc && state.token ? tokenExpiry(state.token) : null;
  const delay = exp ? renewDelay(exp.getTime(), Date.now(), { failed }) : null;
  if (delay !== null) state.renewTimer = setTimeout(renewSignIn, delay);
}

/** A fresh SIVO token from the Salesforce session, before the current one runs out. */
export async function renewSignIn() {
  try {
    const fresh = await state.sfc.session.refresh(await state.sfc.consoleUser());
    state.token = fresh.token;
    try {
      sessionStorage.setItem(TOKEN_KEY, state.token);
    } catch {
      // storage disabled
    }
    if (state.sock?.connected) await request(state.sock, 'session.refresh', { token: state.token });
    state.expiryWarned = false;
    scheduleRenewal();
  } catch (err) {
    if (err.code === 'session_ended') {
      signOut('Your Salesforce session ended (signed out, or access was revoked). Sign in again.');
      return;
    }
    log(`Sign-in not renewed yet: ${errorWords(err)}`, 'error');
    scheduleRenewal(true);
  }
}

/** The button's click: the popup must open inside this gesture (no await before signIn()). */
export function salesforceSignInClicked() {
  ui.loginError.textContent = '';
  ui.sfLoginButton.disabled = true;
  state.sfc.session
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
export async function resumeSalesforce() {
  try {
    // Whoever is signed in to Salesforce here must be the session's user (a shared computer).
    const resumed = await state.sfc.session.resume(await state.sfc.consoleUser());
    if (resumed) {
      signIn(resumed.token);
      return;
    }
    showLogin(state.sfc.session.ended?.message ?? '');
    return;
  } catch (err) {
    log(`Could not resume the Salesforce sign-in: ${errorWords(err)}`, 'error');
  }
  showLogin('');
}

export function signOut(message = '') {
  state.signingOut = true;
  state.sock?.disconnect();
  state.signingOut = false;
  clearTimeout(state.renewTimer);
  state.sfc?.clickToDial(false);
  for (const id of [...state.calls.keys()]) removeView(id);
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // nothing stored
  }
  state.token = '';
  state.agent = null;
  setConn('signed_out');
  ui.app.hidden = true;
  ui.signout.hidden = true;
  ui.expiry.hidden = true;
  ui.who.textContent = '';
  showAlert('');
  showLogin(message);
  showConsoleState();
}

/** The sign-in card: Salesforce's button inside the console, the token form standalone. */
export function showLogin(message) {
  ui.login.hidden = false;
  ui.loginError.textContent = message;
  ui.loginForm.hidden = Boolean(state.sfc);
  ui.sfLogin.hidden = !state.sfc;
  if (state.sfc) {
    ui.sfLoginOrg.textContent = state.sfc.org.name || 'your Salesforce org';
    ui.sfLoginButton.focus();
  } else {
    ui.token.value = '';
    ui.token.focus();
  }
}

export async function signOutClicked() {
  const active = [...state.calls.values()].some((v) => v.active);
  if (active && !window.confirm('You are on a call. Signing out ends your part of it. Sign out?')) return;
  if (state.sock?.connected) await request(state.sock, 'presence.set', { status: 'logged_out' }).catch(() => {});
  await state.sfc?.session.signOut().catch(() => {});
  signOut('Signed out.');
}

/** Once a second: how long the sign-in has left (standalone: warn before it runs out). */
export function showExpiry() {
  const exp = state.token ? tokenExpiry(state.token) : null;
  if (!exp || !state.agent) return;
  const left = (exp.getTime() - Date.now()) / 1000;
  ui.expiry.hidden = left > 600;
  ui.expiry.textContent = left > 0 ? `Sign-in expires in ${clock(left)}` : 'Sign-in expired';
  if (left < 300 && !state.expiryWarned && !state.sfc) {
    state.expiryWarned = true;
    showAlert('Your sign-in expires soon. You stay connected, but a reconnect will need a new token.', 'warn', {
      label: 'Paste a new token',
      run: () => signOut('Paste your new token to continue.'),
    });
  }
}

/**
 * The token this load starts with: `#token=` in the URL (removed from the address bar), or
 * this tab's stored one. `leaked`: the URL had it after "?", where servers log it (not used).
 */
export function initialToken() {
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
  return { token: fromUrl || stored, leaked };
}

/** Framed by a page the org does not own: nothing loaded, nothing signed in, and why. */
export function refuse(message) {
  ui.login.hidden = true;
  ui.app.hidden = true;
  setConn('offline');
  showAlert(message, 'error');
  document.body.dataset.refused = 'true';
  document.body.dataset.ready = 'true';
}

