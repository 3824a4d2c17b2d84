// Every error the softphone shows, in words a person understands: SIVO's error codes
// (docs/signaling.md, "Error codes"), the page's own (offline, timeout), the browser's
// WebRTC and sign-in refusals. The one place that turns a refusal into a sentence; no server
// message, exception text or code reaches the agent. No DOM, no globals, no network.

// What an action was refused for, whatever the action (`action` words come first).
const CODE_WORDS = {
  invalid_message: 'The softphone sent something SIVO could not read. Reload the page and try again.',
  message_too_large: 'That is too long to send. Shorten it and try again.',
  unknown_event: 'This softphone is out of date. Reload the page.',
  rate_limited: 'Too many requests at once. Wait a moment, then try again.',
  not_found: 'That call, agent or queue is no longer there.',
  invalid_state: 'That is not possible any more: the call or your status has changed.',
  invalid_sdp: 'The audio connection could not be set up. Check your microphone and try again.',
  invalid_reason: 'That break reason is no longer offered. Pick another one.',
  invalid_disposition: 'That disposition is no longer offered. Pick another one.',
  disposition_required: 'Choose a disposition for the last call first.',
  no_route: 'That number cannot be reached from SIVO.',
  busy: 'That number is busy on another call.',
  agent_unavailable: 'That agent cannot take the call now: they are not signed in, not Available, or busy.',
  invalid_token: 'Your sign-in is not valid any more. Sign in again.',
  unknown_agent: 'This agent no longer exists. Ask your administrator.',
  invalid: 'Something in the form is not valid. Check it and try again.',
  conflict: 'That was changed meanwhile. Try again.',
  gone: 'That is no longer there.',
  upstream: 'Salesforce did not answer. Try again in a moment.',
  internal: 'Something went wrong in SIVO. Try again; if it keeps happening, tell your administrator.',
  offline: 'Not connected to SIVO. Wait for the connection to come back, then try again.',
  timeout: 'SIVO did not answer in time. Try again.',
  client_missing: 'The softphone could not load its connection library. Ask your administrator to check the SIVO server.',
};

// In a given action, some codes say more (a transfer to a busy agent, a queue gone).
const ACTION_WORDS = {
  transfer: {
    not_found: 'That agent or queue is no longer there. Pick another one.',
    invalid_state: 'The call can no longer be transferred: it has ended or changed.',
  },
  consult: {
    not_found: 'That agent is no longer there. Pick another one.',
    invalid_state: 'A consultation is not possible on this call now.',
  },
  answer: {
    invalid_state: 'The call stopped ringing before it could be answered.',
    not_found: 'The call stopped ringing before it could be answered.',
  },
  presence: {
    invalid_state: 'Your status cannot change while you are on a call.',
  },
  log: {
    invalid_state: 'The call is already logged in Salesforce; it cannot be changed now.',
    not_found: 'This call can no longer be logged.',
  },
};

// The browser's own errors (DOMException names) that reach the softphone from WebRTC.
const BROWSER_WORDS = {
  NotAllowedError: 'The browser blocked the microphone. Allow it for this site, then try again.',
  NotFoundError: 'No microphone was found. Connect one, then try again.',
  NotReadableError: 'The microphone is in use by another application.',
  OverconstrainedError: 'The chosen microphone is not available. Pick another one.',
  OperationError: 'The audio connection could not be set up. Try again.',
  InvalidStateError: 'The audio connection was closed meanwhile. Try again.',
  InvalidAccessError: 'The audio connection could not be set up. Try again.',
  NetworkError: 'The network connection failed. Check it, then try again.',
  AbortError: 'That was interrupted. Try again.',
};

const REFUSED = 'SIVO refused that. Try again; if it keeps happening, tell your administrator.';
const GENERIC = 'Something went wrong. Try again; if it keeps happening, reload the page.';

/**
 * The sentence for `err`: a SignalError's code (`err.code`, from shared/signal.js), a
 * browser error's name, or one of the softphone's own errors (`err.words`: a sentence it
 * wrote for the agent, or a plain Error's message). `action` (transfer, consult, answer, presence, log) refines a code.
 */
export function errorWords(err, action = null) {
  if (err && typeof err === 'object') {
    if (typeof err.words === 'string' && err.words) return err.words;
    const code = typeof err.code === 'string' ? err.code : null;
    if (code !== null) {
      // A refusal from SIVO: its words are ours, never the server's message.
      const refined = action ? ACTION_WORDS[action]?.[code] : undefined;
      if (refined) return refined;
      return Object.hasOwn(CODE_WORDS, code) ? CODE_WORDS[code] : REFUSED;
    }
    if (typeof err.name === 'string' && Object.hasOwn(BROWSER_WORDS, err.name)) return BROWSER_WORDS[err.name];
    // The pages' own modules throw a plain Error with a sentence (shared/media.js: "No
    // microphone was found..."); a TypeError or the like is a bug, not news for the agent.
    if (err.name === 'Error' && typeof err.message === 'string' && err.message) return err.message;
  }
  return GENERIC;
}

/** An error whose message is already a sentence for the agent (the page's own checks). */
export function plainError(words) {
  const err = new Error(words);
  err.words = words;
  return err;
}

/**
 * Why the server refused to connect (Socket.IO `connect_error`): `{code, words, signOut}`.
 * `message` is the server's text; it only chooses between sentences, never shows.
 */
export function connectRefusal(code, message, inConsole) {
  const again = inConsole ? 'Sign in again.' : 'Paste a new token.';
  if (code === 'invalid_token') {
    const why = /expired/i.test(message ?? '')
      ? 'it has expired'
      : /revoked|not trusted|unknown key/i.test(message ?? '')
        ? 'it was revoked'
        : 'it is not a valid agent token';
    return { signOut: true, words: `${inConsole ? 'Your sign-in was refused' : 'Your token was refused'}: ${why}. ${again}` };
  }
  if (code === 'unknown_agent') return { signOut: true, words: CODE_WORDS.unknown_agent };
  if (code === 'rate_limited') return { signOut: false, words: 'SIVO is busy; the softphone will try again.' };
  return { signOut: false, words: 'SIVO refused the connection. Try again; if it keeps happening, tell your administrator.' };
}
