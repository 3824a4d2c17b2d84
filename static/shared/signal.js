// The Socket.IO side of docs/signaling.md: connect to a namespace, send acked requests.
// `io` is the global from /vendor/socket.io.min.js (socket.io-client 4, served by SIVO).

export class SignalError extends Error {
  constructor(code, message, field = null) {
    super(message);
    this.code = code;
    this.field = field;
  }
}

/** A Socket.IO socket on this origin's `namespace` ('/agent' or '/caller'); not yet connected. */
export function openSocket(namespace, options = {}) {
  if (typeof window.io !== 'function') {
    throw new SignalError(
      'client_missing',
      'The Socket.IO client did not load from /vendor/socket.io.min.js: the SIVO server needs `npm install`.',
    );
  }
  return window.io(namespace, {
    transports: ['websocket'],
    autoConnect: false,
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
    ...options,
  });
}

/**
 * Sends `event` with one JSON object and waits for the server's acknowledgement.
 * Resolves to the ack (`{ok: true, ...}`); rejects with a SignalError carrying the server's
 * error code and message, or `offline` / `timeout`.
 */
export async function request(sock, event, payload = {}, timeoutMs = 15000) {
  if (!sock.connected) {
    throw new SignalError('offline', 'Not connected to SIVO. Wait for the connection to come back, then try again.');
  }
  let reply;
  try {
    reply = await sock.timeout(timeoutMs).emitWithAck(event, payload);
  } catch {
    throw new SignalError('timeout', `SIVO did not answer "${event}" within ${Math.round(timeoutMs / 1000)} s.`);
  }
  if (!reply || reply.ok !== true) {
    const err = reply?.error ?? {};
    throw new SignalError(err.code ?? 'unknown', err.message || `"${event}" failed`, err.field ?? null);
  }
  return reply;
}

/** A human sentence for an error (server codes get the server's own message). */
export function errorText(err) {
  if (err instanceof SignalError) return err.message;
  return err?.message || String(err);
}

/** E.164 from what a person typed: spaces, dots, dashes and brackets dropped; '+' added. */
export function normaliseNumber(raw) {
  const text = String(raw ?? '').trim();
  const digits = text.replace(/[\s().-]/g, '');
  const candidate = digits.startsWith('+') ? digits : digits.startsWith('00') ? `+${digits.slice(2)}` : `+${digits}`;
  return /^\+[0-9]{8,15}$/.test(candidate) ? candidate : null;
}

/** Words for call.ended causes (docs/signaling.md "Hang-up causes"). */
const CAUSES = {
  normal_clearing: 'hung up',
  caller_disconnected: 'the caller hung up',
  agent_disconnected: 'the agent was disconnected',
  no_answer: 'no answer',
  declined: 'declined',
  no_route: 'the number cannot be reached',
  transferred: 'transferred',
  max_wait_exceeded: 'nobody could take the call in time',
  media_failed: 'the audio connection failed',
  server_shutdown: 'the service restarted',
};

/** Why a call ended, in words; `me` ('caller' or 'agent') turns "the caller hung up" into "you hung up". */
export function causeText(cause, side, me = null) {
  if (cause === 'normal_clearing' && side) {
    if (side === me) return 'you hung up';
    return side === 'system' ? 'ended by the system' : `the ${side} hung up`;
  }
  if (cause === 'caller_disconnected' && me === 'caller') return 'the connection was lost';
  if (cause === 'agent_disconnected' && me === 'agent') return 'your softphone was disconnected too long';
  return CAUSES[cause] ?? cause ?? 'ended';
}

/** Reads the `exp` claim of a JWT (no verification: only to warn before it runs out). */
export function tokenExpiry(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), '=')));
    return typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : null;
  } catch {
    return null;
  }
}
