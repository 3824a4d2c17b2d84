// The telephony administration's decisions, with no DOM access: how the API's refusals read
// next to a field, how seconds, overflow and presence read, what a queue, agent or number
// form sends (create: every field; edit: only what changed), the list rows, and the pause
// reasons editor. Plain functions of the API's JSON (server/schemas/telephony.py).

/** The overflow hangup cause the API uses when none is given (server/telephony/routing.py). */
export const DEFAULT_OVERFLOW_CAUSE = 'max_wait_exceeded';
/** The API's bounds (server/schemas/telephony.py), for the inputs' min/max and the hints. */
export const LIMITS = {
  ring_timeout_s: { min: 0.1, max: 600 },
  max_wait_s: { min: 0.1, max: 86400 },
  wrap_up_s: { min: 0, max: 3600 },
  outbound_wrap_up_s: { min: 0, max: 3600 },
};
/**
 * The service level thresholds the API accepts, in seconds: server/schemas/reports.py's
 * SERVICE_LEVEL_THRESHOLDS_S (tests/telephony/test_report_thresholds.py keeps them equal).
 * The reports' rollup counts the calls answered within each, so no other value is offered.
 */
export const SERVICE_LEVEL_THRESHOLDS = [5, 10, 15, 20, 25, 30, 45, 60, 90, 120, 180, 240, 300, 600];
export const MAX_PAUSE_REASONS = 20;

/** "0.1 to 600": a seconds field's bounds, for its hint. */
export function rangeText(key) {
  const { min, max } = LIMITS[key];
  return `${min} to ${max}`;
}
export const TOKEN_LIFETIMES = [
  { seconds: 3600, label: '1 hour' },
  { seconds: 1800, label: '30 minutes' },
  { seconds: 900, label: '15 minutes' },
];

const capital = (text) => (text ? text.charAt(0).toUpperCase() + text.slice(1) : text);
const sentence = (text) => (/[.!?]$/.test(text) ? text : `${text}.`);

// Pydantic's wording (the API passes it through after the field's name) in plain words.
const PHRASES = [
  [/^String should have at least 1 character$/, () => 'This can’t be empty'],
  [/^String should have at least (\d+) characters$/, (n) => `Use at least ${n} characters`],
  [/^String should have at most (\d+) characters?$/, (n) => `Use at most ${n} characters`],
  [/^Input should be greater than or equal to (\S+)$/, (n) => `Must be at least ${n}`],
  [/^Input should be less than or equal to (\S+)$/, (n) => `Must be at most ${n}`],
  [/^Input should be greater than (\S+)$/, (n) => `Must be more than ${n}`],
  [/^Input should be less than (\S+)$/, (n) => `Must be less than ${n}`],
  [/^Input should be a valid (number|integer)(,.*)?$/, () => 'Must be a number'],
  [/^Input should be a valid boolean$/, () => 'Must be on or off'],
  [/^List should have at least 1 item.*$/, () => 'Keep at least one'],
  [/^List should have at most (\d+) items.*$/, (n) => `At most ${n}`],
  [/^Field required$/, () => 'This is required'],
];

/**
 * An API refusal ({status, code, message, field}, as api.js's ApiError) as a person reads
 * it: the field's name prefix dropped (the message sits next to the field), Pydantic's
 * phrases in plain words, a capital and a full stop. `names` maps ids to names ("queue
 * q_1 not found" → "Queue “Support” not found").
 */
export function errorText(err, names = {}) {
  if (!err) return '';
  if (err.status >= 500) {
    return 'SIVO could not do this because of a problem on the server. Try again in a moment.';
  }
  let text = String(err.message ?? '').trim();
  if (!text) return `The request was refused (HTTP ${err.status}).`;
  text = text.replace(/^[a-z_][a-z0-9_]*(\.[a-z0-9_]+)*: /, '');
  for (const [pattern, say] of PHRASES) {
    const match = text.match(pattern);
    if (match) {
      text = say(...match.slice(1));
      break;
    }
  }
  text = text.replace(/\b(q|ag|num)_[A-Za-z0-9]+\b/g, (id) => (names[id] ? `“${names[id]}”` : id));
  return sentence(capital(text));
}

/** "20 s", "1.5 s", "5 min", "2 min 30 s", "1 h 30 min"; '—' when unknown. */
export function seconds(value) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return '—';
  const s = Number(value);
  if (s < 60) return `${Number.isInteger(s) ? s : Math.round(s * 10) / 10} s`;
  const whole = Math.round(s);
  if (whole < 3600) {
    const rest = whole % 60;
    return rest ? `${Math.floor(whole / 60)} min ${rest} s` : `${whole / 60} min`;
  }
  const rest = Math.floor((whole % 3600) / 60);
  return rest ? `${Math.floor(whole / 3600)} h ${rest} min` : `${Math.floor(whole / 3600)} h`;
}

/**
 * A seconds field's text as the API takes it: a number, null for an empty optional field, or
 * {error} for text that is not a number (the API would refuse its type, in other words).
 */
export function parseSeconds(text, { optional = false } = {}) {
  const raw = String(text ?? '').trim().replace(',', '.');
  if (!raw) return optional ? null : { error: 'Enter a number of seconds.' };
  if (!/^-?\d+(\.\d+)?$|^-?\.\d+$/.test(raw)) return { error: 'Enter a number of seconds, e.g. 20 or 2.5.' };
  return Number(raw);
}

const isError = (value) => value !== null && typeof value === 'object' && 'error' in value;

/** What happens after the max wait, in words; `names` maps queue ids to names. */
export function overflowLabel(queue, names = {}) {
  if (queue.max_wait_s === null || queue.max_wait_s === undefined) return 'Never (no max wait)';
  const overflow = queue.overflow;
  if (overflow?.action === 'queue') return `Moves to ${names[overflow.queue_id] ?? overflow.queue_id}`;
  const cause = overflow?.cause ?? DEFAULT_OVERFLOW_CAUSE;
  return cause === DEFAULT_OVERFLOW_CAUSE ? 'Call ends' : `Call ends (${cause.replaceAll('_', ' ')})`;
}

/** The form's choice for a queue's overflow: 'end' or 'queue:<id>'. */
export function overflowChoice(queue) {
  return queue?.overflow?.action === 'queue' ? `queue:${queue.overflow.queue_id}` : 'end';
}

/**
 * The queue form's values as an API body, or {errors: {field: message}} for what is not a
 * number. `form` is {name, ring_timeout_s, wrap_up_s, max_wait_s (text; empty: no limit),
 * overflow ('end' | 'queue:<id>'), cause (text; empty: the default)}. Without a max wait
 * there is no overflow (null); "end" with the default cause is sent as such.
 */
export function queueBody(form) {
  const errors = {};
  const number = (key, optional) => {
    const value = parseSeconds(form[key], { optional });
    if (isError(value)) errors[key] = value.error;
    return value;
  };
  const body = {
    name: String(form.name ?? '').trim(),
    ring_timeout_s: number('ring_timeout_s', false),
    wrap_up_s: number('wrap_up_s', false),
    max_wait_s: number('max_wait_s', true),
  };
  if (body.max_wait_s === null || isError(body.max_wait_s)) body.overflow = null;
  else if (String(form.overflow ?? '').startsWith('queue:')) body.overflow = { action: 'queue', queue_id: form.overflow.slice(6) };
  else body.overflow = { action: 'end', cause: String(form.cause ?? '').trim() || DEFAULT_OVERFLOW_CAUSE };
  return Object.keys(errors).length ? { errors } : body;
}

const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** The PATCH body: only the fields of `body` that differ from `saved`; null when none do. */
export function changes(saved, body) {
  const out = {};
  for (const [key, value] of Object.entries(body)) {
    const before = key === 'queue_ids' ? [...(saved[key] ?? [])].sort() : saved[key];
    const after = key === 'queue_ids' ? [...value].sort() : value;
    if (!same(before, after)) out[key] = value;
  }
  return Object.keys(out).length ? out : null;
}

/** {id: name} for a list of queues or agents. */
export function namesOf(items) {
  return Object.fromEntries((items ?? []).map((item) => [item.id, item.name]));
}

/** How many agents answer each queue: {queue_id: n}. */
export function agentCounts(agents) {
  const counts = {};
  for (const agent of agents ?? []) for (const id of agent.queue_ids ?? []) counts[id] = (counts[id] ?? 0) + 1;
  return counts;
}

/** The list page's queues, sorted by name, each with what the table shows. */
export function queueRows(queues, agents) {
  const names = namesOf(queues);
  const counts = agentCounts(agents);
  return [...(queues ?? [])]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((q) => ({
      id: q.id,
      name: q.name,
      ring: `${seconds(q.ring_timeout_s)} per agent`,
      wrapUp: q.wrap_up_s ? seconds(q.wrap_up_s) : 'None',
      maxWait: q.max_wait_s === null || q.max_wait_s === undefined ? 'No limit' : seconds(q.max_wait_s),
      overflow: overflowLabel(q, names),
      agents: counts[q.id] ?? 0,
    }));
}

/**
 * Why a queue cannot be deleted, in words, from what uses it: the numbers routed to it and
 * the queues overflowing to it (the API's 409 `queue_in_use` says only "a number or an
 * overflow"). `queueId` is the queue; `numbers` and `queues` the tenant's.
 */
export function queueInUse(queueId, numbers, queues) {
  const usedBy = [
    ...(numbers ?? []).filter((n) => n.queue_id === queueId).map((n) => `the number ${n.number}`),
    ...(queues ?? [])
      .filter((q) => q.id !== queueId && q.overflow?.action === 'queue' && q.overflow.queue_id === queueId)
      .map((q) => `the overflow of “${q.name}”`),
  ];
  if (!usedBy.length) return 'This queue is still in use by a number or another queue’s overflow. Point them elsewhere first.';
  const list = usedBy.length === 1 ? usedBy[0] : `${usedBy.slice(0, -1).join(', ')} and ${usedBy.at(-1)}`;
  return `This queue can’t be deleted while ${list} ${usedBy.length === 1 ? 'sends' : 'send'} calls to it. Point ${usedBy.length === 1 ? 'it' : 'them'} to another queue first.`;
}

export const AGENT_STATUS = {
  available: { label: 'Available', kind: 'ok' },
  on_call: { label: 'On a call', kind: 'warn' },
  after_call_work: { label: 'After-call work', kind: 'warn' },
  on_break: { label: 'On break', kind: 'muted' },
  logged_out: { label: 'Logged out', kind: 'muted' },
};

/** An agent's presence for the list: {label, kind, detail}; detail says whether a softphone
 * is signed in (an agent can be connected and still logged out of the queues). */
export function presence(agent) {
  const status = AGENT_STATUS[agent.status] ?? { label: capital(String(agent.status ?? 'unknown').replaceAll('_', ' ')), kind: 'muted' };
  const label = agent.status === 'on_break' && agent.reason ? `${status.label} (${agent.reason})` : status.label;
  return { label, kind: status.kind, detail: agent.connected ? 'Softphone signed in' : 'No softphone signed in' };
}

/** The list page's agents, sorted by name, with their queues' names. */
export function agentRows(agents, queues) {
  const names = namesOf(queues);
  return [...(agents ?? [])]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((a) => ({
      id: a.id,
      name: a.name,
      email: a.email,
      extension: a.extension,
      queues: (a.queue_ids ?? []).map((id) => names[id] ?? id).sort((x, y) => x.localeCompare(y)),
      presence: presence(a),
    }));
}

/** The agent form's values as an API body: {name, email, extension, queue_ids}. */
export function agentBody(form) {
  return {
    name: String(form.name ?? '').trim(),
    email: String(form.email ?? '').trim(),
    extension: String(form.extension ?? '').trim(),
    queue_ids: [...new Set(form.queue_ids ?? [])],
  };
}

/**
 * A phone number as typed, in the form the API checks (E.164): spaces, dots, dashes and
 * brackets dropped, a leading 00 read as +. What is left is sent as is, so the API's own
 * message says what is wrong with it.
 */
export function normalizeNumber(text) {
  const compact = String(text ?? '').trim().replace(/[\s.()\-\u00a0]/g, '');
  return compact.startsWith('00') ? `+${compact.slice(2)}` : compact;
}

/** The list page's numbers, sorted, with their queue's name. */
export function numberRows(numbers, queues) {
  const names = namesOf(queues);
  return [...(numbers ?? [])]
    .sort((a, b) => a.number.localeCompare(b.number))
    .map((n) => ({
      id: n.id,
      number: n.number,
      queue: names[n.queue_id] ?? n.queue_id,
      published: n.published,
    }));
}

/**
 * A pause reason as typed, as the API takes it: trimmed, lower case, inner runs of blanks
 * as one space. {error} for what the API would refuse anyway, said in words.
 */
export function pauseReason(text) {
  const value = String(text ?? '').trim().toLowerCase().replace(/\s+/g, ' ');
  if (!value) return { error: 'Type a reason first.' };
  if (value.length > 64) return { error: 'Use at most 64 characters.' };
  if (!/^[a-z0-9][a-z0-9_ -]*$/.test(value)) {
    return { error: 'Use letters, digits, spaces, - or _ (starting with a letter or digit).' };
  }
  return { value };
}

/** The reasons after adding `text`: {reasons} or {error} (a duplicate, the limit, the form). */
export function addPauseReason(reasons, text) {
  const parsed = pauseReason(text);
  if (parsed.error) return parsed;
  if (reasons.includes(parsed.value)) return { error: `“${parsed.value}” is in the list already.` };
  if (reasons.length >= MAX_PAUSE_REASONS) return { error: `At most ${MAX_PAUSE_REASONS} reasons.` };
  return { reasons: [...reasons, parsed.value] };
}

/** The reasons without `reason`, or {error} when it is the last one (the API keeps one). */
export function removePauseReason(reasons, reason) {
  if (reasons.length <= 1) return { error: 'Keep at least one reason: agents need one to take a break.' };
  return { reasons: reasons.filter((r) => r !== reason) };
}

/** `reason` moved by `delta` places (the softphone lists them in this order). */
export function movePauseReason(reasons, reason, delta) {
  const from = reasons.indexOf(reason);
  const to = from + delta;
  if (from < 0 || to < 0 || to >= reasons.length) return reasons;
  const out = [...reasons];
  out.splice(from, 1);
  out.splice(to, 0, reason);
  return out;
}

/** The tenant's numeric telephony settings, with what each means (hint shows the default). */
export const TELEPHONY_NUMBERS = [
  {
    key: 'outbound_wrap_up_s',
    label: 'Wrap-up after outbound calls (seconds)',
    hint: `After-call work an agent gets after a call they placed, ${rangeText('outbound_wrap_up_s')}. Inbound calls use their queue’s wrap-up.`,
  },
];

/** The service level threshold's select: one option per threshold the API accepts. */
export const SERVICE_LEVEL_CHOICE = {
  key: 'service_level_threshold_s',
  label: 'Service level threshold',
  hint: 'A queued call answered within this time counts as in service, on the wallboard and in the reports (default 20 s). A change applies at once, to past calls too.',
  options: SERVICE_LEVEL_THRESHOLDS.map((s) => ({ value: String(s), label: seconds(s) })),
};

/** The threshold's PUT field: {service_level_threshold_s} when `chosen` (the select's value) differs from `saved`, else {}. */
export function thresholdChange(saved, chosen) {
  const key = SERVICE_LEVEL_CHOICE.key;
  if (!(key in saved) || chosen === undefined || Number(chosen) === saved[key]) return {};
  return { [key]: Number(chosen) };
}

/**
 * The numeric settings' PUT fields: {body} with only those changed, or {errors}. `form` maps
 * key → text; keys the API did not return (`saved` lacks them) are left out.
 */
export function numberSettingsChanges(saved, form) {
  const body = {};
  const errors = {};
  for (const { key } of TELEPHONY_NUMBERS) {
    if (!(key in saved) || !(key in form)) continue;
    const value = parseSeconds(form[key]);
    if (isError(value)) errors[key] = value.error;
    else if (value !== saved[key]) body[key] = value;
  }
  return Object.keys(errors).length ? { errors } : { body };
}

/** The softphone's address carrying a freshly minted token (in the fragment, never a query). */
export function softphoneLink(origin, token) {
  return `${origin}/softphone/#token=${encodeURIComponent(token)}`;
}

/**
 * Which field a refused agent (409: "an agent with this email or extension exists") clashes
 * on, and with whom: {field, message}, or null when no other agent of `agents` explains it.
 * `selfId` is the agent being edited (it does not clash with itself).
 */
export function agentConflict(body, agents, selfId = null) {
  const others = (agents ?? []).filter((a) => a.id !== selfId);
  const byExtension = others.find((a) => a.extension === body.extension);
  if (byExtension) return { field: 'extension', message: `${byExtension.name} has extension ${body.extension} already. Choose another.` };
  const email = String(body.email ?? '').toLowerCase();
  const byEmail = others.find((a) => String(a.email).toLowerCase() === email);
  if (byEmail) return { field: 'email', message: `${byEmail.name} has this email already. Each agent needs their own.` };
  return null;
}
