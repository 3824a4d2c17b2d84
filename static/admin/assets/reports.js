// Reports: the tenant's call figures over a chosen period (GET /api/v1/reports/calls, summed
// by the database), drawn with uPlot (served by SIVO at /vendor/, from npm) with the same
// figures in tables beside the charts, which are their text alternative. The decisions
// (periods, series, rows, words) live in reports-model.js.

import { get } from './api.js';
import { countedHelp } from './counted-help.js';
import { h, say, table } from './dom.js';
import {
  AGENT_HEADERS,
  FIGURE_HEADERS,
  PRESETS,
  agentRows,
  bucketLabel,
  bucketRows,
  chartSeries,
  dateInput,
  duration,
  hasCalls,
  headline,
  pageQuery,
  periodProblem,
  presetBucket,
  presetPeriod,
  queueRows,
  readPageQuery,
  reportPath,
  stackedCounts,
} from './reports-model.js';

const COLORS = { offered: '#4f46e5', answered: '#0f7b4b', abandoned: '#b42318', missed: '#d69e2e', wait: '#0e7490', handle: '#7c3aed' };
let uplotLoading = null;
let observers = []; // the charts' ResizeObservers, disconnected when the charts are redrawn

/** uPlot's script and stylesheet, once per page load (a script element: CSP 'self'). */
function loadUplot() {
  if (window.uPlot) return Promise.resolve(window.uPlot);
  uplotLoading ??= new Promise((resolve, reject) => {
    document.head.append(h('link', { rel: 'stylesheet', href: '/vendor/uPlot.min.css' }));
    const script = h('script', { src: '/vendor/uPlot.iife.min.js' });
    script.addEventListener('load', () => resolve(window.uPlot));
    script.addEventListener('error', () => {
      uplotLoading = null;
      reject(new Error('The charting library could not be loaded; the tables below have the same figures.'));
    });
    document.head.append(script);
  });
  return uplotLoading;
}

/** An axis tick: '45 s', '2:05' (minutes:seconds), '1:02:00'. */
function shortDuration(seconds) {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const mmss = `${Math.floor((s % 3600) / 60)}:${String(s % 60).padStart(2, '0')}`;
  return s < 3600 ? mmss : `${Math.floor(s / 3600)}:${mmss.padStart(5, '0')}`;
}

function field(label, control, id) {
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}

function options(select, items, selected) {
  select.replaceChildren(...items.map(([value, label]) => h('option', { value, selected: value === selected }, label)));
}

/** One chart: a figure whose canvas is hidden from screen readers (the table says it all). */
function chartFigure(title, describedBy) {
  const plot = h('div', { class: 'report-plot', 'aria-hidden': 'true' });
  const figure = h(
    'figure',
    { class: 'card report-chart' },
    h('figcaption', {}, h('h2', {}, title), h('p', { class: 'muted small' }, `The same figures are in the table “${describedBy}” below.`)),
    plot,
  );
  return { figure, plot };
}

const DAY_TICKS = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });

/**
 * One uPlot chart. Each bucket is drawn at its middle (a bar spans its hour or day; a line's
 * point sits over it), the x range padded by half a bucket, the legend naming the bucket.
 */
function drawChart(uPlot, plot, { x, series, yLabel, yRange, yFormat, legendFormat, bucket }) {
  const width = Math.max(300, plot.clientWidth || 600);
  const half = bucket === 'hour' ? 1800 : 43200;
  const middles = x.map((t) => t + half);
  const xAxis = { stroke: '#5d6678', grid: { stroke: '#eceef4' } };
  if (bucket === 'day') {
    // Ticks at local midnights only, named by their date (not 12am, 8am, 4pm).
    xAxis.incrs = [86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400, 91 * 86400];
    xAxis.values = (u, ticks) => ticks.map((t) => DAY_TICKS.format(new Date(t * 1000)));
  }
  const opts = {
    width,
    height: 240,
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: true, range: (u, min, max) => [min - half, max + half] },
      y: yRange ? { range: yRange } : { range: (u, min, max) => [0, Math.max(1, max * 1.1)] },
    },
    axes: [
      xAxis,
      { stroke: '#5d6678', grid: { stroke: '#eceef4' }, label: yLabel, size: 60, values: (u, ticks) => ticks.map(yFormat) },
    ],
    series: [
      {
        label: bucket === 'hour' ? 'Hour' : 'Day',
        value: (u, v) => (v === null || v === undefined ? '—' : bucketLabel(new Date((v - half) * 1000).toISOString(), bucket)),
      },
      ...series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: s.bars ? 1 : 2,
        fill: s.fill,
        spanGaps: false,
        paths: s.bars ? uPlot.paths.bars({ size: [0.8, 28] }) : undefined,
        points: { show: !s.bars && x.length <= 62 },
        // A stacked bar's top is a running total; the legend says the series' own figure.
        value: (u, v, si, idx) => {
          const own = s.own && idx !== null && idx !== undefined ? s.own[idx] : v;
          return own === null || own === undefined ? '—' : (legendFormat ?? yFormat)(own);
        },
      })),
    ],
  };
  plot.replaceChildren();
  const chart = new uPlot(opts, [middles, ...series.map((s) => s.data)], plot);
  const observer = new ResizeObserver(() => chart.setSize({ width: Math.max(300, plot.clientWidth), height: 240 }));
  observer.observe(plot);
  observers.push(observer);
  return chart;
}

export async function reportsPage(root) {
  const choice = readPageQuery(location.search);
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const preset = h('select', {});
  const bucket = h('select', {});
  const from = h('input', { type: 'date' });
  const to = h('input', { type: 'date' });
  const queue = h('select', {});
  const agent = h('select', {});
  const error = h('p', { class: 'alert alert-error', role: 'alert', hidden: true });
  const status = h('p', { class: 'muted small', role: 'status' });
  const body = h('div', { class: 'report-body' });
  options(preset, PRESETS.map((p) => [p.id, p.label]), choice.preset);
  options(bucket, [['hour', 'Per hour'], ['day', 'Per day']], choice.bucket);
  const today = dateInput(new Date());
  from.value = choice.from || today;
  to.value = choice.to || today;
  const custom = h('div', { class: 'report-dates', hidden: choice.preset !== 'custom' }, field('Start date', from, 'report-start'), field('End date', to, 'report-end'));

  const form = h(
    'form',
    { class: 'card report-form', 'aria-label': 'What to report' },
    field('Period', preset, 'report-period'),
    custom,
    field('Buckets', bucket, 'report-bucket'),
    field('Queue', queue, 'report-queue'),
    field('Agent', agent, 'report-agent'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Show')),
  );
  root.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Reports'), h('p', { class: 'muted small' }, `Times in ${tz}.`)),
    countedHelp('reports'),
    form,
    error,
    status,
    body,
  );

  const [queues, agents] = await Promise.all([
    get('/queues').catch(() => ({ data: [] })),
    get('/agents').catch(() => ({ data: [] })),
  ]);
  options(queue, [['', 'All queues'], ...(queues.data ?? []).map((q) => [q.id, q.name])], choice.queueId);
  options(agent, [['', 'All agents'], ...(agents.data ?? []).map((a) => [a.id, a.name])], choice.agentId);

  preset.addEventListener('change', () => {
    custom.hidden = preset.value !== 'custom';
    bucket.value = presetBucket(preset.value);
  });

  async function load() {
    say(error, '');
    const period = presetPeriod(preset.value, new Date(), { from: from.value, to: to.value });
    const problem = periodProblem(period, bucket.value);
    if (problem) {
      say(error, problem, 'error');
      return;
    }
    const current = { preset: preset.value, bucket: bucket.value, from: from.value, to: to.value, queueId: queue.value, agentId: agent.value };
    history.replaceState(null, '', location.pathname + pageQuery(current));
    status.textContent = 'Loading…';
    form.querySelector('button[type="submit"]').disabled = true;
    try {
      const [report, uPlot] = await Promise.all([
        get(reportPath({ ...period, bucket: bucket.value, tz, queueId: queue.value, agentId: agent.value })),
        loadUplot().catch((err) => {
          say(error, err.message, 'error');
          return null;
        }),
      ]);
      render(report, uPlot);
      const what = [queue.value && queue.selectedOptions[0]?.textContent, agent.value && agent.selectedOptions[0]?.textContent].filter(Boolean);
      status.textContent = `${preset.selectedOptions[0].textContent}${what.length ? `, ${what.join(', ')}` : ''}: ${report.totals.offered} inbound and ${report.totals.outbound} outbound calls. Updated ${new Date().toLocaleTimeString()}.`;
    } catch (err) {
      status.textContent = '';
      say(error, err.message, 'error');
    } finally {
      form.querySelector('button[type="submit"]').disabled = false;
    }
  }

  function render(report, uPlot) {
    for (const observer of observers) observer.disconnect();
    observers = [];
    const per = report.bucket === 'hour' ? 'hour' : 'day';
    const tiles = h('ul', { class: 'report-tiles', 'aria-label': 'Totals for the period' }, headline(report).map(([label, value]) => h('li', { class: 'card' }, h('span', { class: 'report-tile-label' }, label), h('strong', {}, value))));
    if (!hasCalls(report)) {
      body.replaceChildren(tiles, h('p', { class: 'card empty' }, 'No calls in this period.'));
      return;
    }
    const tableTitle = `Figures per ${per}`;
    const volume = chartFigure(`Calls per ${per}`, tableTitle);
    const service = chartFigure(`Service level per ${per} (answered within ${report.service_level_threshold_s} s)`, tableTitle);
    const times = chartFigure(`Average wait and handle time per ${per}`, tableTitle);
    const perBucket = h(
      'details',
      { class: 'card report-table' },
      h('summary', {}, h('h2', {}, tableTitle)),
      table(tableTitle, [per === 'hour' ? 'Hour' : 'Day', ...FIGURE_HEADERS], bucketRows(report)),
    );
    const byQueue = h('section', { class: 'card', 'aria-labelledby': 'report-queues' }, h('h2', { id: 'report-queues' }, 'Per queue'), report.queues.length ? table('Figures per queue', ['Queue', ...FIGURE_HEADERS], queueRows(report)) : h('p', { class: 'empty' }, 'No queue had calls.'));
    const byAgent = h('section', { class: 'card', 'aria-labelledby': 'report-agents' }, h('h2', { id: 'report-agents' }, 'Per agent'), report.agents.length ? table('Figures per agent', ['Agent', ...AGENT_HEADERS], agentRows(report)) : h('p', { class: 'empty' }, 'No agent handled calls.'));
    body.replaceChildren(tiles, h('div', { class: 'report-charts' }, volume.figure, service.figure, times.figure), perBucket, byQueue, byAgent);
    if (!uPlot) return;
    const s = chartSeries(report);
    const stack = stackedCounts(s);
    const count = (v) => String(Math.round(v * 10) / 10);
    drawChart(uPlot, volume.plot, {
      x: s.x,
      bucket: report.bucket,
      yLabel: 'Calls',
      yFormat: count,
      // Answered, abandoned and missed stacked (drawn tallest first), offered as a line over
      // them: the gap between the stack and the line is calls still waiting.
      series: [
        { label: 'Missed', color: COLORS.missed, data: stack.missed, own: s.missed, fill: COLORS.missed, bars: true },
        { label: 'Abandoned', color: COLORS.abandoned, data: stack.abandoned, own: s.abandoned, fill: COLORS.abandoned, bars: true },
        { label: 'Answered', color: COLORS.answered, data: stack.answered, own: s.answered, fill: COLORS.answered, bars: true },
        { label: 'Offered', color: COLORS.offered, data: s.offered },
      ],
    });
    drawChart(uPlot, service.plot, {
      x: s.x,
      bucket: report.bucket,
      yLabel: 'Service level',
      yRange: [0, 100],
      yFormat: (v) => `${Math.round(v)}%`,
      series: [{ label: 'Service level', color: COLORS.answered, data: s.serviceLevel, fill: 'rgba(15, 123, 75, 0.08)' }],
    });
    drawChart(uPlot, times.plot, {
      x: s.x,
      bucket: report.bucket,
      yLabel: 'Time',
      yFormat: shortDuration,
      legendFormat: duration,
      series: [
        { label: 'Avg wait', color: COLORS.wait, data: s.avgWait },
        { label: 'Avg handle', color: COLORS.handle, data: s.avgHandle },
      ],
    });
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
  await load();
}
