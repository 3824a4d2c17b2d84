// The Reports page's decisions, without the DOM (node-tested in tests/js/reports-model.test.mjs):
// the period presets in the browser's time zone, the query for GET /api/v1/reports/calls, the
// chart series and table rows built from its answer, and how figures are written.

// The longest period each bucket may cover, as the server refuses it (server/schemas/reports.py).
export const MAX_DAYS = { hour: 31, day: 366 };

export const PRESETS = [
  { id: 'today', label: 'Today', bucket: 'hour' },
  { id: 'yesterday', label: 'Yesterday', bucket: 'hour' },
  { id: '7d', label: 'Last 7 days', bucket: 'hour' },
  { id: '30d', label: 'Last 30 days', bucket: 'day' },
  { id: 'month', label: 'This month', bucket: 'day' },
  { id: 'last-month', label: 'Last month', bucket: 'day' },
  { id: 'custom', label: 'Custom dates', bucket: 'day' },
];

const DAY_MS = 86400000;

function midnight(date) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate());
}

function addDays(date, days) {
  // Calendar days, not 24-hour steps: a day with a clock change is 23 or 25 hours long.
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() + days);
}

/** 'YYYY-MM-DD' of a local date, what <input type="date"> holds. */
export function dateInput(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The local midnight a 'YYYY-MM-DD' names, or null. */
export function parseDateInput(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text ?? '');
  if (!m) return null;
  const date = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return date.getDate() === Number(m[3]) ? date : null;
}

/**
 * The period a preset names, at `now`, in local time: {since, until} (until exclusive). Periods
 * that include today end at the next local midnight, so today's remaining hours show as empty.
 * 'custom' takes `from` and `to` (inclusive local dates, 'YYYY-MM-DD').
 */
export function presetPeriod(id, now = new Date(), custom = {}) {
  const today = midnight(now);
  switch (id) {
    case 'today':
      return { since: today, until: addDays(today, 1) };
    case 'yesterday':
      return { since: addDays(today, -1), until: today };
    case '7d':
      return { since: addDays(today, -6), until: addDays(today, 1) };
    case '30d':
      return { since: addDays(today, -29), until: addDays(today, 1) };
    case 'month':
      return { since: new Date(now.getFullYear(), now.getMonth(), 1), until: addDays(today, 1) };
    case 'last-month':
      return {
        since: new Date(now.getFullYear(), now.getMonth() - 1, 1),
        until: new Date(now.getFullYear(), now.getMonth(), 1),
      };
    case 'custom': {
      const from = parseDateInput(custom.from);
      const to = parseDateInput(custom.to);
      return from && to ? { since: from, until: addDays(to, 1) } : null;
    }
    default:
      return null;
  }
}

export function presetBucket(id) {
  return PRESETS.find((p) => p.id === id)?.bucket ?? 'hour';
}

/** Why a period cannot be asked for, in words, or '' when it can (the server says the same). */
export function periodProblem(period, bucket) {
  if (!period) return 'Choose both dates.';
  if (period.until <= period.since) return 'The end date must not be before the start date.';
  const days = Math.round((period.until - period.since) / DAY_MS);
  const longest = MAX_DAYS[bucket];
  if (days > longest) {
    return bucket === 'hour'
      ? `Hourly charts cover at most ${longest} days; this period has ${days}. Choose daily buckets.`
      : `Daily charts cover at most ${longest} days; this period has ${days}.`;
  }
  return '';
}

/** The API path for a report; filters left empty are left out. */
export function reportPath({ since, until, bucket, tz, queueId, agentId }) {
  const q = new URLSearchParams({ since: since.toISOString(), until: until.toISOString(), bucket });
  if (tz) q.set('tz', tz);
  if (queueId) q.set('queue_id', queueId);
  if (agentId) q.set('agent_id', agentId);
  return `/reports/calls?${q}`;
}

/** The page's own URL query for its choices, so a reload or a shared link shows the same. */
export function pageQuery({ preset, bucket, from, to, queueId, agentId }) {
  const q = new URLSearchParams({ period: preset, bucket });
  if (preset === 'custom') {
    q.set('start', from ?? '');
    q.set('end', to ?? '');
  }
  if (queueId) q.set('queue', queueId);
  if (agentId) q.set('agent', agentId);
  return `?${q}`;
}

/** The page's choices from its URL query; unknown values fall back to the defaults. */
export function readPageQuery(search) {
  const q = new URLSearchParams(search);
  const preset = PRESETS.some((p) => p.id === q.get('period')) ? q.get('period') : 'today';
  const bucket = ['hour', 'day'].includes(q.get('bucket')) ? q.get('bucket') : presetBucket(preset);
  return {
    preset,
    bucket,
    from: q.get('start') ?? '',
    to: q.get('end') ?? '',
    queueId: q.get('queue') ?? '',
    agentId: q.get('agent') ?? '',
  };
}

/**
 * The charts' data, uPlot's shape: x in Unix seconds (each bucket's start), one array per
 * series; null where a figure does not exist (no finished call: no service level), and for
 * buckets that begin after `now` (today's hours to come are not zero calls: they are not yet).
 */
export function chartSeries(report, now = Date.now()) {
  const b = report.buckets;
  const x = b.map((r) => Date.parse(r.start) / 1000);
  const future = x.map((t) => t * 1000 > now);
  const series = (pick) => b.map((r, i) => (future[i] ? null : pick(r) ?? null));
  const pct = (v) => (v === null || v === undefined ? null : Math.round(v * 1000) / 10);
  return {
    x,
    offered: series((r) => r.offered),
    answered: series((r) => r.answered),
    abandoned: series((r) => r.abandoned),
    missed: series((r) => r.missed),
    serviceLevel: series((r) => pct(r.service_level)),
    avgWait: series((r) => r.avg_wait_s),
    avgHandle: series((r) => r.avg_handle_s),
  };
}

/**
 * The tops of the stacked bars: answered at the bottom, abandoned on it, missed on top, so
 * each bar is as tall as the calls that finished waiting (null stays null).
 */
export function stackedCounts(s) {
  const add = (a, b) => a.map((v, i) => (v === null || b[i] === null ? null : v + b[i]));
  const abandoned = add(s.answered, s.abandoned);
  return { answered: s.answered, abandoned, missed: add(abandoned, s.missed) };
}

/** Whether any call at all is in the report (else the page says so instead of flat charts). */
export function hasCalls(report) {
  return report.totals.offered > 0 || report.totals.outbound > 0;
}

/** '85%' for 0.85; '—' when there is no figure. */
export function percent(value) {
  if (value === null || value === undefined) return '—';
  const p = Math.round(value * 1000) / 10;
  return `${Number.isInteger(p) ? p : p.toFixed(1)}%`;
}

/** '45 s', '3 min 05 s', '1 h 02 min'; '—' when there is no figure. */
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** A bucket's start as people read it: 'Tue 6 Oct, 14:00' for hours, 'Tue 6 Oct' for days. */
export function bucketLabel(iso, bucket, locale = undefined, timeZone = undefined) {
  const options = { weekday: 'short', day: 'numeric', month: 'short', timeZone };
  if (bucket === 'hour') Object.assign(options, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return new Intl.DateTimeFormat(locale, options).format(new Date(iso));
}

/** The cells of one row of figures, in the order of FIGURE_HEADERS. */
export function figureCells(f) {
  return [
    String(f.offered),
    String(f.answered),
    String(f.abandoned),
    String(f.missed),
    percent(f.service_level),
    duration(f.avg_wait_s),
    duration(f.avg_handle_s),
    String(f.outbound),
  ];
}

export const FIGURE_HEADERS = [
  'Offered',
  'Answered',
  'Abandoned',
  'Missed',
  'Service level',
  'Avg wait',
  'Avg handle',
  'Outbound',
];

/** The text alternative of the charts: one row per bucket (start, then the figures). */
export function bucketRows(report, locale = undefined, timeZone = undefined) {
  return report.buckets.map((b) => [bucketLabel(b.start, report.bucket, locale, timeZone), ...figureCells(b)]);
}

/** Per-queue rows: the queue's name (or its id once deleted; 'No queue' for outbound calls). */
export function queueRows(report) {
  return report.queues.map((q) => [q.name ?? q.queue_id ?? 'No queue (outbound)', ...figureCells(q)]);
}

/** An agent is not offered calls that nobody answered: its columns are what it did. */
export const AGENT_HEADERS = ['Answered', 'Avg wait', 'Avg handle', 'Avg hold', 'Outbound'];

export function agentRows(report) {
  return report.agents.map((a) => [
    a.name ?? a.agent_id,
    String(a.answered),
    duration(a.avg_wait_s),
    duration(a.avg_handle_s),
    duration(a.avg_hold_s),
    String(a.outbound),
  ]);
}

/** The headline figures, label and value, for the tiles above the charts. */
export function headline(report) {
  const t = report.totals;
  return [
    ['Offered', String(t.offered)],
    ['Answered', String(t.answered)],
    ['Abandoned', String(t.abandoned)],
    ['Missed', String(t.missed)],
    [`Service level (${report.service_level_threshold_s} s)`, percent(t.service_level)],
    ['Avg wait', duration(t.avg_wait_s)],
    ['Avg handle', duration(t.avg_handle_s)],
    ['Outbound', String(t.outbound)],
  ];
}
