// The softphone's sign-in with Salesforce inside the console (docs/salesforce.md, "Agent
// sign-in from the console"): no token to paste, no SIVO password.
//
//   signIn()  a popup (window.open, from the agent's click) goes through Salesforce's
//             authorize page and back to SIVO, whose last page posts a one-time ticket to
//             this window; the ticket is redeemed (POST /softphone/session) for a partitioned
//             session cookie and an agent token.
//   resume()  a reload: the cookie (kept in the console's partition, also where third-party
//             cookies are blocked) gives an agent token, or null when there is no session.
//   refresh() a fresh agent token before the current one runs out; rejects with
//             code 'session_ended' when SIVO or Salesforce ended the session.
//   signOut() the session ends (and its Salesforce grant is revoked).
//
// DOM-light: everything it touches comes in through `window` and `fetch`, so that it runs
// under node --test with fakes (tests/js/salesforce-signin.test.mjs). Errors carry `.code`
// (and `.status` for an HTTP answer); tokens and tickets never reach `log`.

export const SIGNIN_MESSAGE = 'sivo.softphone.signin';
export const POPUP_TIMEOUT_MS = 5 * 60 * 1000; // the server's state lives 10 minutes
export const POPUP_POLL_MS = 500;
export const CLOSED_GRACE_MS = 1000; // a closing popup's last message may still be queued

const POPUP_NAME = 'sivo-salesforce-signin';
const POPUP_FEATURES = 'popup,width=520,height=680';

const MESSAGES = {
  popup_blocked: 'The browser blocked the sign-in window. Allow pop-ups for SIVO, then try again.',
  popup_closed: 'The sign-in window was closed before the sign-in finished.',
  timeout: 'Salesforce did not finish the sign-in in time. Try again.',
  session_ended: 'Your sign-in ended. Sign in with Salesforce again.',
  network: 'SIVO could not be reached. Check the network, then try again.',
  bad_response: 'SIVO answered the sign-in in a way this page does not understand. Reload it.',
};

export class SalesforceSignInError extends Error {
  constructor(code, message = MESSAGES[code] ?? code, { status = null, reason = null } = {}) {
    super(message);
    this.name = 'SalesforceSignInError';
    this.code = code;
    this.status = status; // the HTTP status, when SIVO answered
    this.reason = reason; // for session_ended: the server's code (salesforce_session_ended, no_session)
  }
}

/** `{token, expires_at, agent}` of a sign-in response, or a bad_response error. */
export function signedIn(payload) {
  const { token, expires_at: expiresAt, agent } = payload ?? {};
  if (typeof token !== 'string' || !token || typeof expiresAt !== 'string' || !agent || typeof agent !== 'object') {
    throw new SalesforceSignInError('bad_response');
  }
  return { token, expires_at: expiresAt, agent };
}

/** The server's refusal (the one error shape) as an error with its code. */
function refusal(status, payload) {
  const err = payload?.error;
  const code = typeof err?.code === 'string' && err.code ? err.code : `http_${status}`;
  const message = typeof err?.message === 'string' && err.message ? err.message : `SIVO answered ${status}.`;
  return new SalesforceSignInError(code, message, { status });
}

const tokenBody = (consoleUserId) => (consoleUserId ? { console_user_id: consoleUserId } : {});

export class SalesforceSession {
  constructor({ window, fetch, orgId, log = () => {}, timeoutMs = POPUP_TIMEOUT_MS }) {
    this.window = window;
    this.fetch = fetch;
    this.orgId = String(orgId ?? '');
    this.log = log;
    this.timeoutMs = timeoutMs;
    this.origin = window.location.origin;
    this.pending = null; // {popup, promise} while a popup is open
  }

  /**
   * The session behind the cookie, or null when there is none (`ended` then says why, for a
   * session that was over). `consoleUserId`: the Salesforce user the console names; SIVO ends
   * a session of another user (a shared computer).
   */
  async resume(consoleUserId = null) {
    this.ended = null;
    const answer = await this.#call('POST', '/softphone/session/token', tokenBody(consoleUserId));
    if (answer.status === 401) this.ended = refusal(401, answer.payload);
    if (answer.status === 204 || answer.status === 401) return null; // none, or it ended
    if (!answer.ok) throw refusal(answer.status, answer.payload);
    return signedIn(answer.payload);
  }

  /** A fresh agent token; 'session_ended' when the session is over. */
  async refresh(consoleUserId = null) {
    const answer = await this.#call('POST', '/softphone/session/token', tokenBody(consoleUserId));
    if (answer.status === 204) throw new SalesforceSignInError('session_ended', undefined, { status: 204, reason: 'no_session' });
    if (answer.status === 401) {
      const ended = refusal(401, answer.payload);
      this.log(`Salesforce sign-in ended: ${ended.code}`);
      throw new SalesforceSignInError('session_ended', ended.message, { status: 401, reason: ended.code });
    }
    if (!answer.ok) throw refusal(answer.status, answer.payload);
    return signedIn(answer.payload);
  }

  /**
   * Call it synchronously inside the click handler: browsers (Safari first) open a popup only
   * from a user gesture, so nothing may be awaited before window.open.
   */
  signIn() {
    if (this.pending && !this.pending.popup.closed) {
      this.pending.popup.focus?.();
      return this.pending.promise;
    }
    const url = `${this.origin}/softphone/salesforce/signin?org=${encodeURIComponent(this.orgId)}`;
    let popup = null;
    try {
      popup = this.window.open(url, POPUP_NAME, POPUP_FEATURES);
    } catch {
      popup = null;
    }
    if (!popup) {
      this.log('Salesforce sign-in: the popup was blocked');
      return Promise.reject(new SalesforceSignInError('popup_blocked'));
    }
    const promise = this.#awaitTicket(popup).finally(() => {
      if (this.pending?.popup === popup) this.pending = null;
    });
    this.pending = { popup, promise };
    return promise;
  }

  /** Sign out: the server ends the session and clears the cookie. */
  async signOut() {
    const answer = await this.#call('DELETE', '/softphone/session', null);
    if (!answer.ok && answer.status !== 401) throw refusal(answer.status, answer.payload);
  }

  #awaitTicket(popup) {
    const win = this.window;
    return new Promise((resolve, reject) => {
      let poll = null;
      let deadline = null;
      let closing = null;
      const finish = () => {
        win.removeEventListener('message', onMessage);
        win.clearInterval(poll);
        win.clearTimeout(deadline);
        win.clearTimeout(closing);
      };
      const fail = (code) => {
        finish();
        this.log(`Salesforce sign-in: ${code}`);
        reject(new SalesforceSignInError(code));
      };
      const onMessage = (event) => {
        // Only SIVO's own page, in the very window this opened, may answer.
        if (event.origin !== this.origin || event.source !== popup) return;
        const data = event.data;
        if (!data || typeof data !== 'object' || data.type !== SIGNIN_MESSAGE) return;
        finish();
        if (typeof data.ticket === 'string' && data.ticket) {
          this.log('Salesforce sign-in: redeeming the ticket');
          resolve(this.#redeem(data.ticket));
          return;
        }
        const code = typeof data.error === 'string' && data.error ? data.error : 'sign_in_failed';
        const message = typeof data.message === 'string' && data.message ? data.message : 'Salesforce sign-in failed.';
        this.log(`Salesforce sign-in refused: ${code}`);
        reject(new SalesforceSignInError(code, message));
      };
      win.addEventListener('message', onMessage);
      poll = win.setInterval(() => {
        if (popup.closed && closing === null) closing = win.setTimeout(() => fail('popup_closed'), CLOSED_GRACE_MS);
      }, POPUP_POLL_MS);
      deadline = win.setTimeout(() => {
        try {
          popup.close();
        } catch {
          // already gone
        }
        fail('timeout');
      }, this.timeoutMs);
    });
  }

  async #redeem(ticket) {
    const answer = await this.#call('POST', '/softphone/session', { ticket });
    if (!answer.ok) throw refusal(answer.status, answer.payload);
    return signedIn(answer.payload);
  }

  async #call(method, path, body) {
    let resp;
    try {
      resp = await this.fetch(`${this.origin}${path}`, {
        method,
        credentials: 'include',
        cache: 'no-store',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: body === null ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new SalesforceSignInError('network');
    }
    let payload = null;
    if (resp.status !== 204) {
      try {
        payload = await resp.json();
      } catch {
        payload = null;
      }
    }
    return { ok: resp.ok, status: resp.status, payload };
  }
}
