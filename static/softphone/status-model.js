// The pure half of what the softphone shows of the agent's state: the connection to SIVO
// (one badge in the top bar) apart from the agent's status (the status card), the phase the
// agent is in (after-call work is a phase with its countdown, not a status to pick), and when
// an ended call's card goes. No DOM, no globals, no network.

export const STATUS_WORDS = {
  available: 'Available',
  on_call: 'On a call',
  on_break: 'On break',
  after_call_work: 'After-call work',
  logged_out: 'Logged out',
};

/** "On break: lunch", "Available", ... */
export function statusText(status, reason) {
  const words = STATUS_WORDS[status] ?? 'Unknown status';
  return status === 'on_break' && reason ? `${words}: ${reason}` : words;
}

// The connection badge: data-conn = connecting | connected | reconnecting | offline | replaced
// | signed_out. Its words never talk about the agent's status.
const CONNECTION_WORDS = {
  signed_out: 'Signed out',
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
  replaced: 'Opened elsewhere',
};

/** The badge's words; `attempt` (a reconnect's number) is added while reconnecting. */
export function connectionText(kind, attempt = 0) {
  if (kind === 'reconnecting' && attempt > 1) return `Reconnecting (attempt ${attempt})…`;
  return CONNECTION_WORDS[kind] ?? CONNECTION_WORDS.offline;
}

/**
 * One sentence under the status: what the status means for calls, and, when SIVO is not
 * reachable, that the status shown is the last one known.
 */
export function statusDetail(status, connKind) {
  const words = {
    available: 'Calls ring here.',
    on_call: 'You are on a call; new calls wait.',
    on_break: 'Calls do not ring while you are on break.',
    after_call_work: 'Wrapping up the last call; calls ring again when you are ready.',
    logged_out: 'You are signed in, but calls do not ring. Set your status to Available to take calls.',
  };
  const detail = words[status] ?? '';
  if (connKind === 'reconnecting' || connKind === 'connecting') return `Reconnecting to SIVO: this is your last known status. ${detail}`;
  if (connKind === 'offline' || connKind === 'replaced') return 'Not connected to SIVO: this status may be out of date.';
  return detail;
}

/**
 * The statuses the agent can pick (`{value, label}`): never on_call or after_call_work,
 * which SIVO sets. `current` is the option of the agent's status, or '' when it is one the
 * agent cannot pick (then the list shows a neutral prompt), and `locked` says the list can't
 * be used now (on a call; SIVO refuses a change then).
 */
export function statusChoices(presence, pauseReasons = []) {
  const { status, reason } = presence;
  const options = [{ value: 'available', label: 'Available' }];
  for (const r of pauseReasons) options.push({ value: `on_break:${r}`, label: `On break: ${r}` });
  options.push({ value: 'logged_out', label: 'Logged out' });
  const wanted = status === 'on_break' ? `on_break:${reason}` : status;
  const current = options.some((o) => o.value === wanted) ? wanted : '';
  return { options, current, locked: status === 'on_call' };
}

/** `presence.set`'s payload for a picked option value. */
export function presencePayload(value) {
  const [status, ...rest] = String(value).split(':');
  return status === 'on_break' ? { status, reason: rest.join(':') } : { status };
}

/**
 * After-call work as the agent sees it: `{active, total, left, overdue, text}` at `now`
 * (epoch ms). `startedAt` is when this softphone saw it begin, so `total` is the queue's
 * wrap-up time even after a reload (then from the moment of the reload).
 */
export function wrapUp(presence, startedAt, now) {
  if (presence.status !== 'after_call_work') return { active: false, total: 0, left: 0, overdue: false, text: '' };
  const ends = presence.wrap_up_ends_at ? Date.parse(presence.wrap_up_ends_at) : NaN;
  if (Number.isNaN(ends)) {
    return { active: true, total: 0, left: 0, overdue: false, text: 'Wrap up the call, then press Ready.' };
  }
  const total = Math.max(0, Math.round((ends - (startedAt ?? now)) / 1000));
  const left = Math.max(0, Math.ceil((ends - now) / 1000));
  if (left === 0) {
    return { active: true, total, left, overdue: true, text: 'Time is up. Choose a disposition, then press Ready.' };
  }
  return { active: true, total, left, overdue: false, text: `${clockText(left)} left` };
}

/** mm:ss (h:mm:ss past an hour). */
export function clockText(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mm}:${ss}` : `${mm}:${ss}`;
}

/**
 * Whether the ended calls' cards go now, as the status changes from `previous` to `status`:
 * when the agent is Available again (wrap-up over, or a 0-second one), or leaves after-call
 * work for a break or logging out. A card stays while its wrap-up lasts, and a missed call
 * stays while nothing changes (the agent may want to see who it was).
 */
export function clearsEndedCalls(previous, status) {
  if (status === 'available') return previous !== 'available';
  return previous === 'after_call_work' && status !== 'after_call_work' && status !== 'on_call';
}
