// The call history's filters, with no DOM access: the page's URL keeps them (so a filtered
// view can be shared or reloaded), the form shows them, GET /api/v1/calls takes them.
// Times travel as RFC 3339 in UTC (the URL means the same instant in every time zone);
// the form's datetime-local inputs show them in the viewer's local time.

export const FILTER_KEYS = ['since', 'until', 'queue_id', 'agent_id', 'direction', 'outcome'];

/** The API's outcomes (server/schemas/calls.py), as the page names them. */
export const OUTCOMES = {
  answered: 'Answered',
  abandoned: 'Abandoned',
  missed: 'Missed',
  unanswered: 'Unanswered (outbound)',
  in_progress: 'In progress',
};
export const OUTCOME_KINDS = { answered: 'ok', abandoned: 'fail', missed: 'fail', unanswered: 'warn', in_progress: 'warn' };
export const DIRECTION_CHOICES = { inbound: 'Inbound', outbound: 'Outbound' };

const ID_MAX = 64;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function validTime(value) {
  if (typeof value !== 'string' || !/T/i.test(value) || !/(Z|[+-]\d\d:\d\d)$/i.test(value)) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

function validId(value) {
  if (typeof value !== 'string') return null;
  const id = value.trim();
  return id && id.length <= ID_MAX && !CONTROL.test(id) ? id : null;
}

/**
 * The filters a query string (location.search) names: each known key once, a value the
 * API would refuse dropped (a hand-edited URL shows the unfiltered part, not an error).
 * @returns {{since?: string, until?: string, queue_id?: string, agent_id?: string,
 *   direction?: string, outcome?: string}}
 */
export function filtersFromSearch(search) {
  const params = new URLSearchParams(search ?? '');
  const filters = {};
  const since = validTime(params.get('since'));
  const until = validTime(params.get('until'));
  if (since) filters.since = since;
  if (until && (!since || until > since)) filters.until = until;
  for (const key of ['queue_id', 'agent_id']) {
    const id = validId(params.get(key));
    if (id) filters[key] = id;
  }
  const direction = params.get('direction');
  if (direction && direction in DIRECTION_CHOICES) filters.direction = direction;
  const outcome = params.get('outcome');
  if (outcome && outcome in OUTCOMES) filters.outcome = outcome;
  return filters;
}

function pairs(filters) {
  return FILTER_KEYS.filter((k) => filters[k] !== undefined && filters[k] !== null && filters[k] !== '').map((k) => [k, String(filters[k])]);
}

/** The page's query string for `filters` ('' when none), keys in one order. */
export function filtersToSearch(filters) {
  const params = new URLSearchParams(pairs(filters ?? {}));
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The path of GET /api/v1/calls (after /api/v1) for `filters` and `limit`. */
export function callsQuery(filters, limit) {
  const params = new URLSearchParams([['limit', String(limit)], ...pairs(filters ?? {})]);
  return `/calls?${params.toString()}`;
}

export function hasFilters(filters) {
  return pairs(filters ?? {}).length > 0;
}

const pad = (n) => String(n).padStart(2, '0');

/** An RFC 3339 time → a datetime-local input's value, in local time ('' when none). */
export function isoToLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local input's value (local time) → RFC 3339 in UTC, or null when empty/bad. */
export function localInputToIso(value) {
  if (!value || !/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(value)) return null;
  const d = new Date(value); // a date-time without a zone is local time (ECMA-262)
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/**
 * The filters the form holds (input values as read from the DOM) → filters, or an error
 * message for the first field that cannot be used: {filters} | {error, field}.
 */
export function formToFilters(values) {
  const filters = {};
  for (const key of ['since', 'until']) {
    const raw = values[key] ?? '';
    if (!raw) continue;
    const iso = localInputToIso(raw);
    if (!iso) return { error: `${key === 'since' ? 'From' : 'To'}: enter a date and a time.`, field: key };
    filters[key] = iso;
  }
  if (filters.since && filters.until && filters.until <= filters.since) {
    return { error: 'To must be after From.', field: 'until' };
  }
  for (const key of ['queue_id', 'agent_id', 'direction', 'outcome']) {
    const value = (values[key] ?? '').trim();
    if (value) filters[key] = value;
  }
  return { filters };
}

/** A period ending at `now` (ms since the epoch): last hour, day or week. */
export const PERIODS = { hour: ['Last hour', 3600e3], day: ['Last 24 hours', 86400e3], week: ['Last 7 days', 7 * 86400e3] };
export function periodFilters(name, now = Date.now()) {
  const [, span] = PERIODS[name] ?? [];
  if (!span) return {};
  return { since: new Date(now - span).toISOString() };
}

/** What the list says about the filters in force, for its status line. */
export function describeFilters(filters, names = {}) {
  const parts = [];
  const named = (id) => names[id] ?? id;
  if (filters.outcome) parts.push(OUTCOMES[filters.outcome]?.toLowerCase() ?? filters.outcome);
  if (filters.direction) parts.push(DIRECTION_CHOICES[filters.direction]?.toLowerCase() ?? filters.direction);
  let text = parts.length ? `${parts.join(', ')} calls` : 'calls';
  if (filters.queue_id) text += ` in ${named(filters.queue_id)}`;
  if (filters.agent_id) text += ` handled by ${named(filters.agent_id)}`;
  const when = (iso) => new Date(iso).toLocaleString();
  if (filters.since) text += ` from ${when(filters.since)}`;
  if (filters.until) text += ` until ${when(filters.until)}`;
  return text;
}
