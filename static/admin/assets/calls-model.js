// The Calls section's decisions, with no DOM access: how times and durations read, what a
// call's facts are, how transcript segments become turns, when a live transcript is asked
// for again, and how far the list goes. Plain functions of the API's JSON.

/** GET /api/v1/calls takes `limit` (1 to 500, newest first) and no cursor. */
export const PAGE_SIZE = 100;
export const MAX_CALLS = 500;
/** A live transcript is asked for again this often, until it is completed. */
export const LIVE_REFRESH_MS = 3000;

const missing = (value) => value === null || value === undefined || Number.isNaN(Number(value));

/** mm:ss (h:mm:ss past an hour) for seconds into a call; '—' when unknown. */
export function clockTime(seconds) {
  if (missing(seconds)) return '—';
  const s = Math.max(0, Math.floor(Number(seconds)));
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** A wait, talk or hold time for humans: "42 s", "3 min 05 s", "1 h 02 min"; '—' when unknown. */
export function duration(seconds) {
  if (missing(seconds)) return '—';
  const s = Math.max(0, Math.round(Number(seconds)));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

export const DIRECTIONS = { inbound: 'Inbound', outbound: 'Outbound' };

export const CALL_STATES = {
  queued: { label: 'Queued', kind: 'warn' },
  ringing: { label: 'Ringing', kind: 'warn' },
  connected: { label: 'Connected', kind: 'ok' },
  ended: { label: 'Ended', kind: 'muted' },
};

export function callState(call) {
  return CALL_STATES[call.state] ?? { label: String(call.state ?? 'unknown'), kind: 'muted' };
}

/** "normal_clearing" → "Normal clearing", with the side that hung up when known. */
export function hangupLabel(call) {
  if (!call.hangup_cause) return '—';
  const cause = call.hangup_cause.replaceAll('_', ' ');
  const text = cause.charAt(0).toUpperCase() + cause.slice(1);
  return call.hangup_side ? `${text} (${call.hangup_side})` : text;
}

/**
 * A call's CDR facts in the order the call view shows them: [{key, label, value}], where
 * `value` is text, or {time: iso} for a timestamp the page renders as <time>. `names` maps
 * agent and queue ids to names when the page could look them up.
 */
export function callFacts(call, names = {}) {
  const named = (id) => (id ? (names[id] ? `${names[id]} (${id})` : id) : '—');
  const at = (iso) => (iso ? { time: iso } : '—');
  return [
    { key: 'direction', label: 'Direction', value: DIRECTIONS[call.direction] ?? call.direction },
    { key: 'from_number', label: 'From', value: call.from || '—' },
    { key: 'to_number', label: 'To', value: call.to || '—' },
    { key: 'queue', label: 'Queue', value: named(call.queue_id) },
    { key: 'agent', label: 'Agent', value: named(call.agent_id) },
    { key: 'state', label: 'State', value: callState(call).label },
    { key: 'created', label: 'Started', value: at(call.created_at) },
    { key: 'queued', label: 'Queued', value: at(call.queued_at) },
    { key: 'answered', label: 'Answered', value: at(call.answered_at) },
    { key: 'ended', label: 'Ended', value: at(call.ended_at) },
    { key: 'wait', label: 'Wait', value: duration(call.wait_seconds) },
    { key: 'talk', label: 'Talk', value: duration(call.talk_seconds) },
    { key: 'hold', label: 'Hold', value: duration(call.hold_seconds) },
    { key: 'hangup', label: 'Hangup cause', value: hangupLabel(call) },
  ];
}

export const SPEAKERS = { caller: 'Caller', agent: 'Agent' };

/**
 * Segments (in the order said) → turns: consecutive segments of one speaker (and, for
 * agents, one agent: a transfer hands the call to another) read as one turn.
 * @returns {{speaker: string, label: string, agentId: string|null, start: string,
 *   startSeconds: number, text: string, segmentIds: string[]}[]}
 */
export function transcriptTurns(segments, names = {}) {
  const turns = [];
  for (const seg of segments ?? []) {
    const text = String(seg?.text ?? '').trim();
    if (!text) continue;
    const agentId = seg.speaker === 'agent' ? (seg.agent_id ?? null) : null;
    const last = turns[turns.length - 1];
    if (last && last.speaker === seg.speaker && last.agentId === agentId) {
      last.text = `${last.text} ${text}`;
      last.segmentIds.push(seg.segment_id);
      continue;
    }
    let label = SPEAKERS[seg.speaker] ?? String(seg.speaker);
    if (agentId && names[agentId]) label = `${label} (${names[agentId]})`;
    turns.push({
      speaker: seg.speaker,
      label,
      agentId,
      start: clockTime(seg.start_seconds),
      startSeconds: Number(seg.start_seconds),
      text,
      segmentIds: [seg.segment_id],
    });
  }
  return turns;
}

/** What the transcript card says above (or instead of) the turns. */
export function transcriptNote(transcript) {
  if (!transcript || transcript.state === 'none') return 'No transcript';
  if (transcript.state === 'live') {
    return transcript.segments?.length ? 'Live: updates every 3 seconds.' : 'Live: waiting for the first words…';
  }
  return transcript.segments?.length ? '' : 'Transcribed, but nothing was said.';
}

/** Milliseconds until the transcript is asked for again, or null: only a live one is. */
export function refreshDelay(transcript) {
  return transcript?.state === 'live' ? LIVE_REFRESH_MS : null;
}

/**
 * The next `limit` for "Show more": the API answered a full page and may hold more, up to
 * its 500; null when the list is complete (fewer came back) or at the cap.
 */
export function nextLimit(limit, received) {
  if (received < limit || limit >= MAX_CALLS) return null;
  return Math.min(limit + PAGE_SIZE, MAX_CALLS);
}

export const callPath = (id) => `/calls/${encodeURIComponent(id)}`;
export const callPage = (id) => `/admin/calls/${encodeURIComponent(id)}`;

/** The telephony switches the Settings page shows, with what each one means. */
export const TELEPHONY_SWITCHES = [
  { key: 'record_calls', label: 'Record calls', hint: 'Both parties, in stereo: the caller on the left, the agent on the right.' },
  { key: 'transcribe_calls', label: 'Transcribe calls (live, both parties)', hint: 'Turn by turn while the call goes on, on the call’s page and as transcript events. Off by default.' },
];

/**
 * The body to PUT /api/v1/telephony/settings: only the switches the admin changed (so a
 * field the API does not know yet is never sent unless touched); null when nothing changed.
 */
export function telephonyChanges(saved, chosen) {
  const body = {};
  for (const { key } of TELEPHONY_SWITCHES) {
    if (key in chosen && Boolean(chosen[key]) !== Boolean(saved[key])) body[key] = Boolean(chosen[key]);
  }
  return Object.keys(body).length ? body : null;
}
