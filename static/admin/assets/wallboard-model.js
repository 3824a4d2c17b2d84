// The wallboard's model (no DOM): what the server's wallboard.update says, as rows to show.
// Times come in as arguments: the browser ticks the times in state between pushes.

/** Every agent state the server names, in the order it lists agents, with its words. */
export const AGENT_STATES = [
  ['ringing', 'Ringing'],
  ['on_call', 'On call'],
  ['available', 'Available'],
  ['after_call_work', 'After-call work'],
  ['on_break', 'On break'],
  ['logged_out', 'Logged out'],
];
const AGENT_LABELS = Object.fromEntries(AGENT_STATES);

const CALL_LABELS = { queued: 'Waiting', ringing: 'Ringing', connected: 'Connected', on_hold: 'On hold' };

/**
 * A push as received: the board and how far the server's clock is from this browser's
 * (the server sends its `now`), so that elapsed times need no synchronized clocks.
 */
export function receive(message, receivedAtMs) {
  const { now, ...board } = message;
  return { board, offsetS: Number(now) - receivedAtMs / 1000 };
}

/** The server's time, in seconds since the epoch, at this browser's `nowMs`. */
export function serverNow(live, nowMs) {
  return nowMs / 1000 + live.offsetS;
}

/** "0:07", "12:34", "1:02:03"; "—" when there is nothing to count. */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '—';
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** Seconds from `since` to `now`, or null when `since` is unknown. */
export function elapsed(since, now) {
  return since === null || since === undefined ? null : Math.max(0, now - since);
}

/** "87%", or "—" while no wait ended in the window. */
export function formatPercent(percent) {
  return percent === null || percent === undefined ? '—' : `${Math.round(percent)}%`;
}

/** How a service level reads against a common 80% target: a word, not only a colour. */
export function serviceLevelGrade(percent) {
  if (percent === null || percent === undefined) return { grade: 'none', word: 'No calls yet' };
  if (percent >= 80) return { grade: 'good', word: 'On target' };
  if (percent >= 60) return { grade: 'warn', word: 'Below target' };
  return { grade: 'bad', word: 'Far below target' };
}

export function agentLabel(agent) {
  const label = AGENT_LABELS[agent.state] ?? agent.state;
  return agent.state === 'on_break' && agent.reason ? `${label} · ${agent.reason}` : label;
}

/** The names of an agent's queues, by name ("No queue" for none). */
export function agentQueues(agent, queues) {
  const names = new Map(queues.map((q) => [q.id, q.name]));
  const mine = (agent.queue_ids ?? []).map((id) => names.get(id) ?? id);
  mine.sort((a, b) => a.localeCompare(b));
  return mine.length ? mine.join(', ') : 'No queue';
}

/** One row per agent of the tenant (signed in or not), in the server's order (by state,
 * then name). */
export function agentRows(board, now) {
  return board.agents.map((a) => ({
    id: a.id,
    name: a.name,
    extension: a.extension,
    queues: agentQueues(a, board.queues),
    state: a.state,
    label: agentLabel(a),
    offline: !a.connected && a.state !== 'logged_out',
    since: a.since,
    inState: formatDuration(elapsed(a.since, now)),
    wrapUpEndsAt: a.wrap_up_ends_at,
    wrapUpLeft:
      a.state === 'after_call_work' && a.wrap_up_ends_at != null
        ? formatDuration(Math.max(0, a.wrap_up_ends_at - now))
        : null,
  }));
}

export function queueRows(board, now) {
  return board.queues.map((q) => ({
    id: q.id,
    name: q.name,
    waiting: q.waiting,
    longestWaitSince: q.longest_wait_since,
    longestWait: formatDuration(elapsed(q.longest_wait_since, now)),
    serviceLevel: formatPercent(q.service_level.percent),
    ...serviceLevelGrade(q.service_level.percent),
    answered: q.service_level.answered,
    abandoned: q.service_level.abandoned,
    available: q.agents_available,
    signedIn: q.agents_signed_in,
  }));
}

export function callRows(board, now) {
  return board.calls.map((c) => ({
    id: c.id,
    direction: c.direction === 'outbound' ? 'Outbound' : 'Inbound',
    caller: c.direction === 'outbound' ? c.to : c.from,
    dialed: c.direction === 'outbound' ? c.from : c.to,
    queue: c.queue_name ?? '—',
    agents: c.agents.length ? c.agents.map((a) => a.name).join(', ') : '—',
    state: c.state,
    label: CALL_LABELS[c.state] ?? c.state,
    startedAt: c.started_at,
    duration: formatDuration(elapsed(c.started_at, now)),
  }));
}

/** The big numbers at the top. */
export function summary(board, now) {
  const t = board.totals;
  const sl = t.service_level;
  return {
    waiting: t.waiting,
    longestWaitSince: t.longest_wait_since,
    longestWait: formatDuration(elapsed(t.longest_wait_since, now)),
    serviceLevel: formatPercent(sl.percent),
    ...serviceLevelGrade(sl.percent),
    serviceLevelHow: `Share of queued calls answered within ${formatSeconds(board.threshold_s)} in the last ${formatWindow(board.window_s)}`,
    serviceLevelCounts: sl.answered + sl.abandoned ? `${sl.answered_within} of ${sl.answered + sl.abandoned} calls` : null,
    queues: board.queues.length,
    calls: t.calls,
    callsConnected: board.calls.filter((c) => c.state === 'connected' || c.state === 'on_hold').length,
    agents: AGENT_STATES.map(([state, label]) => ({ state, label, count: t.agents[state] ?? 0 })),
  };
}

function formatSeconds(s) {
  return `${Number.isInteger(s) ? s : Number(s).toFixed(1)} s`;
}

function formatWindow(s) {
  if (s % 3600 === 0) return s === 3600 ? 'hour' : `${s / 3600} hours`;
  return `${Math.round(s / 60)} min`;
}
