// A call's timeline, with no DOM access: its stored events (GET /api/v1/calls/{id}/events)
// and its CDR become one list in time order, each entry timed from the call's start. An
// event that is missing (a call older than the events kept, or seeded without them) is
// taken from the CDR where the CDR knows it (created, queued, answered, transfers, ended).
// Who was rung and each hold come from events only (call.ringing, call.ring_missed,
// call.held, call.resumed): the CDR counts holds but does not time them.

import { clockTime, duration, hangupLabel } from './calls-model.js';

const TRANSFER_TYPES = { blind: 'Blind transfer', attended: 'Attended transfer', '3way': 'Three-way call' };
const RING_KINDS = { transfer: ' (transfer)', consult: ' (consultation)' };
const RING_MISSED = { timeout: 'no answer', declined: 'declined', agent_offline: 'went offline', caller_hangup: 'the caller hung up', cancelled: 'cancelled' };

const ms = (iso) => {
  const t = Date.parse(iso ?? '');
  return Number.isNaN(t) ? null : t;
};

/** "+00:08" from the call's start; "" when either time is unknown. */
export function offsetLabel(startIso, atIso) {
  const start = ms(startIso);
  const at = ms(atIso);
  if (start === null || at === null) return '';
  return `+${clockTime(Math.max(0, (at - start) / 1000))}`;
}

function transferDetail(t, named) {
  const to = t.to_type === 'queue' ? `queue ${named(t.to_id)}` : named(t.to_id);
  const from = t.from_agent_id ? ` from ${named(t.from_agent_id)}` : '';
  return `${TRANSFER_TYPES[t.type] ?? 'Transfer'}${from} to ${to}`;
}

function holdsDetail(d) {
  const holds = Number(d.holds ?? 0);
  if (!holds) return '';
  const longest = d.longest_hold_seconds ? `, longest ${duration(d.longest_hold_seconds)}` : '';
  return `; held ${holds === 1 ? 'once' : `${holds} times`}, ${duration(d.hold_seconds)} in all${longest}`;
}

/** Seconds from one time to another (0 when either is unknown). */
function between(fromIso, toIso) {
  const from = ms(fromIso);
  const to = ms(toIso);
  return from === null || to === null ? 0 : Math.max(0, (to - from) / 1000);
}

const ringWho = (d, named) => `${named(d.agent_id)}${RING_KINDS[d.kind] ?? ''}`;
const ringMissed = (d) => `${RING_MISSED[d.reason] ?? 'not answered'} after ${duration(d.ring_seconds)}`;
const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);
const holdBy = (d, named) => `by ${named(d.agent_id)}${d.reason === 'consult' ? ', for a consultation' : ''}`;

/** One event → {kind, label, detail, at}, or null for one the timeline does not show. */
export function describeEvent(event, names = {}) {
  const d = event?.data ?? {};
  const named = (id) => (id ? names[id] ?? id : '—');
  switch (event?.type) {
    case 'call.created':
      return { kind: 'created', label: 'Created', at: d.created_at ?? event.created_at, detail: `${d.direction === 'outbound' ? 'Outbound' : 'Inbound'} call from ${d.from ?? '—'} to ${d.to ?? '—'}` };
    case 'ivr.completed':
      return { kind: 'ivr', label: 'IVR completed', at: d.completed_at ?? event.created_at, detail: d.exit ? `Exit ${d.exit}` : '' };
    case 'ai_agent.completed':
      return { kind: 'ai', label: 'AI agent finished', at: d.completed_at ?? event.created_at, detail: String(d.exit_reason ?? '').replaceAll('_', ' ') };
    case 'queue.entered':
      return { kind: 'queued', label: 'Queued', at: d.entered_at ?? event.created_at, detail: `In ${d.queue_name ?? named(d.queue_id)}${d.position ? `, position ${d.position}` : ''}` };
    case 'call.answered':
      return { kind: 'answered', label: 'Answered', at: d.answered_at ?? event.created_at, detail: `By ${named(d.agent_id)} after ${duration(d.wait_seconds)}` };
    case 'call.ringing':
      return { kind: 'ringing', label: 'Rang', at: d.rung_at ?? event.created_at, detail: ringWho(d, named) };
    case 'call.ring_missed':
      return { kind: 'ring_missed', label: 'Ring missed', at: d.missed_at ?? event.created_at, detail: `${ringWho(d, named)} — ${ringMissed(d)}` };
    case 'call.held':
      return { kind: 'hold', label: 'On hold', at: d.held_at ?? event.created_at, detail: capital(holdBy(d, named)) };
    case 'call.resumed':
      return { kind: 'resumed', label: 'Off hold', at: d.resumed_at ?? event.created_at, detail: `After ${duration(d.hold_seconds)} on hold` };
    case 'call.transferred':
      return { kind: 'transferred', label: 'Transferred', at: d.transfer?.at ?? event.created_at, detail: d.transfer ? transferDetail(d.transfer, named) : '' };
    case 'queue.abandoned':
      return { kind: 'abandoned', label: 'Abandoned', at: d.abandoned_at ?? event.created_at, detail: `The caller hung up after waiting ${duration(d.waited_seconds)}` };
    case 'call.ended':
      return { kind: 'ended', label: 'Ended', at: d.ended_at ?? event.created_at, detail: `${hangupLabel(d)}; talk ${duration(d.talk_seconds)}${holdsDetail(d)}` };
    case 'call.recorded':
      return { kind: 'recorded', label: 'Recording ready', at: event.created_at, detail: `${duration(d.duration_seconds)}, ${d.channels === 2 ? 'stereo (caller left, agent right)' : `${d.channels ?? '?'} channel(s)`}` };
    case 'transcript.completed': {
      const n = d.segments?.length ?? 0;
      return { kind: 'transcript', label: 'Transcript completed', at: event.created_at, detail: `${n} ${n === 1 ? 'segment' : 'segments'}` };
    }
    case 'transcript.segment':
      return null;
    default:
      return event?.type ? { kind: 'other', label: event.type, at: event.created_at, detail: '' } : null;
  }
}

/**
 * A ring and how it ended read as one line ("Rang Ana Silva — no answer after 20 s"), a
 * hold and its resume as one ("On hold 1 min 12 s, by Ana Silva"): the ring's line takes
 * the call.ring_missed or call.answered that ends it, the hold's line the call.resumed.
 * A hold the hang-up closed runs to the end; a ring of a call still going is "ringing".
 */
function pairMoments(described, call, named) {
  const out = [];
  const rings = new Map(); // agent id → its ring not ended yet
  let hold = null;
  for (const { event, entry } of described) {
    const d = event.data ?? {};
    const ring = rings.get(d.agent_id);
    if (event.type === 'call.ringing') {
      rings.set(d.agent_id, { entry, d });
    } else if (event.type === 'call.ring_missed' && ring) {
      ring.entry.detail = `${ringWho(ring.d, named)} — ${ringMissed(d)}`;
      rings.delete(d.agent_id);
      continue;
    } else if (event.type === 'call.answered' && ring) {
      ring.entry.detail = `${ringWho(ring.d, named)} — answered after ${duration(between(ring.d.rung_at, d.answered_at))}`;
      rings.delete(d.agent_id);
    } else if (event.type === 'call.held') {
      hold = { entry, d };
    } else if (event.type === 'call.resumed' && hold) {
      hold.entry.detail = `${duration(d.hold_seconds)}, ${holdBy(hold.d, named)}`;
      hold = null;
      continue;
    }
    out.push(entry);
  }
  if (hold) {
    hold.entry.detail = call.ended_at
      ? `${duration(between(hold.d.held_at, call.ended_at))}, ${holdBy(hold.d, named)}, until the end`
      : `${capital(holdBy(hold.d, named))}, still on hold`;
  }
  for (const open of rings.values()) {
    if (!call.ended_at && open.d.kind !== 'consult') open.entry.detail += ' — ringing';
  }
  return out;
}

/** What the CDR alone tells, for the kinds no event covers. */
function fromCdr(call, have, named) {
  const out = [];
  const add = (kind, label, at, detail) => {
    if (at && !have.has(kind)) out.push({ kind, label, at, detail });
  };
  add('created', 'Created', call.created_at, `${call.direction === 'outbound' ? 'Outbound' : 'Inbound'} call from ${call.from ?? '—'} to ${call.to ?? '—'}`);
  add('queued', 'Queued', call.queued_at, call.queue_id ? `In ${named(call.queue_id)}` : '');
  add('answered', 'Answered', call.answered_at, call.agent_id ? `By ${named(call.agent_id)} after ${duration(call.wait_seconds)}` : '');
  if (!have.has('transferred')) {
    for (const t of call.transfers ?? []) out.push({ kind: 'transferred', label: 'Transferred', at: t.at, detail: transferDetail(t, named) });
  }
  add('ended', 'Ended', call.ended_at, `${hangupLabel(call)}; talk ${duration(call.talk_seconds)}`);
  return out;
}

/**
 * The call's timeline: [{kind, label, detail, at, offset, seconds}] in time order (ties
 * keep the events' emission order), `offset` "+mm:ss" from the call's start.
 */
export function buildTimeline(call, events = [], names = {}) {
  const named = (id) => (id ? names[id] ?? id : '—');
  const described = [];
  for (const event of events ?? []) {
    const entry = describeEvent(event, names);
    if (entry) described.push({ event, entry });
  }
  const entries = pairMoments(described, call ?? {}, named);
  const have = new Set(entries.map((e) => e.kind));
  entries.push(...fromCdr(call ?? {}, have, named));
  const start = ms(call?.created_at);
  return entries
    .map((e, order) => ({ ...e, order, t: ms(e.at) }))
    .sort((a, b) => (a.t ?? Infinity) - (b.t ?? Infinity) || a.order - b.order)
    .map(({ order, t, ...e }) => ({
      ...e,
      seconds: start !== null && t !== null ? Math.max(0, (t - start) / 1000) : null,
      offset: offsetLabel(call?.created_at, e.at),
    }));
}
