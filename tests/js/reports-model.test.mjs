// Unit tests of static/admin/assets/reports-model.js: the Reports page's period presets (in
// Paris, across the October clock change), the API query, the chart series and table rows
// built from a report, and how figures are written.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { importStatic } from './helpers/static-modules.mjs';

process.env.TZ = 'Europe/Paris'; // Node applies a new TZ to Dates made after this
const m = await importStatic('admin/assets/reports-model.js');

const figures = (extra = {}) => ({
  offered: 0,
  answered: 0,
  abandoned: 0,
  missed: 0,
  answered_within_threshold: 0,
  service_level: null,
  avg_wait_s: null,
  avg_handle_s: null,
  avg_hold_s: null,
  outbound: 0,
  ...extra,
});

const report = {
  since: '2026-10-24T22:00:00.000Z',
  until: '2026-10-26T23:00:00.000Z',
  bucket: 'day',
  tz: 'Europe/Paris',
  service_level_threshold_s: 20,
  totals: figures({ offered: 12, answered: 9, abandoned: 2, missed: 1, service_level: 0.75, avg_wait_s: 14.2, avg_handle_s: 185, outbound: 3 }),
  buckets: [
    { start: '2026-10-24T22:00:00.000Z', ...figures({ offered: 12, answered: 9, abandoned: 2, missed: 1, service_level: 0.755, avg_wait_s: 14.2, avg_handle_s: 185 }) },
    { start: '2026-10-25T23:00:00.000Z', ...figures() },
  ],
  queues: [
    { queue_id: 'q_1', name: 'Sales', ...figures({ offered: 12 }) },
    { queue_id: 'q_gone', name: null, ...figures({ offered: 1 }) },
    { queue_id: null, name: null, ...figures({ outbound: 3 }) },
  ],
  agents: [{ agent_id: 'ag_1', name: null, ...figures({ answered: 9 }) }],
};

describe('presetPeriod', () => {
  const now = new Date(2026, 9, 26, 15, 30); // Monday 26 October 2026, 15:30 in Paris
  test('today and yesterday are local days; 25 October lasted 25 hours', () => {
    const today = m.presetPeriod('today', now);
    assert.equal(today.since.toISOString(), '2026-10-25T23:00:00.000Z');
    assert.equal(today.until.toISOString(), '2026-10-26T23:00:00.000Z');
    const yesterday = m.presetPeriod('yesterday', now);
    assert.equal(yesterday.since.toISOString(), '2026-10-24T22:00:00.000Z');
    assert.equal(yesterday.until - yesterday.since, 25 * 3600 * 1000);
  });
  test('last 7 and 30 days include today; months are calendar months', () => {
    assert.equal(m.presetPeriod('7d', now).since.toISOString(), '2026-10-19T22:00:00.000Z');
    assert.equal(m.presetPeriod('30d', now).since.toISOString(), '2026-09-26T22:00:00.000Z');
    assert.equal(m.presetPeriod('month', now).since.toISOString(), '2026-09-30T22:00:00.000Z');
    const last = m.presetPeriod('last-month', new Date(2026, 0, 10));
    assert.equal(last.since.toISOString(), '2025-11-30T23:00:00.000Z');
    assert.equal(last.until.toISOString(), '2025-12-31T23:00:00.000Z');
  });
  test('custom dates are inclusive; a missing or impossible date is no period', () => {
    const p = m.presetPeriod('custom', now, { from: '2026-10-01', to: '2026-10-31' });
    assert.equal(p.since.toISOString(), '2026-09-30T22:00:00.000Z');
    assert.equal(p.until.toISOString(), '2026-10-31T23:00:00.000Z');
    assert.equal(m.presetPeriod('custom', now, { from: '2026-10-01', to: '' }), null);
    assert.equal(m.presetPeriod('custom', now, { from: '2026-02-30', to: '2026-03-01' }), null);
    assert.equal(m.presetPeriod('fortnight', now), null);
  });
});

describe('periodProblem', () => {
  const p = (from, to) => m.presetPeriod('custom', new Date(), { from, to });
  test('what the server would refuse, said before asking', () => {
    assert.equal(m.periodProblem(p('2026-10-01', '2026-10-31'), 'hour'), '');
    assert.equal(
      m.periodProblem(p('2026-10-01', '2026-11-30'), 'hour'),
      'Hourly charts cover at most 31 days; this period has 61. Choose daily buckets.',
    );
    assert.equal(m.periodProblem(p('2026-01-01', '2026-12-31'), 'day'), '');
    assert.match(m.periodProblem(p('2026-01-01', '2027-01-05'), 'day'), /at most 366 days/);
    assert.equal(m.periodProblem(p('2026-10-05', '2026-10-01'), 'day'), 'The end date must not be before the start date.');
    assert.equal(m.periodProblem(null, 'day'), 'Choose both dates.');
  });
});

describe('reportPath and the page query', () => {
  test('times in UTC, the zone and the filters encoded, empty filters left out', () => {
    const period = m.presetPeriod('today', new Date(2026, 9, 26, 9));
    const path = m.reportPath({ ...period, bucket: 'hour', tz: 'Europe/Paris', queueId: 'q_1', agentId: '' });
    assert.equal(
      path,
      '/reports/calls?since=2026-10-25T23%3A00%3A00.000Z&until=2026-10-26T23%3A00%3A00.000Z&bucket=hour&tz=Europe%2FParis&queue_id=q_1',
    );
    assert.ok(!m.reportPath({ ...period, bucket: 'day', agentId: 'a&b' }).includes('a&b'));
  });
  test('the page query round-trips; unknown values fall back', () => {
    const choice = { preset: 'custom', bucket: 'day', from: '2026-10-01', to: '2026-10-31', queueId: 'q_1', agentId: '' };
    assert.deepEqual(m.readPageQuery(m.pageQuery(choice)), choice);
    assert.deepEqual(m.readPageQuery('?period=forever&bucket=minute'), {
      preset: 'today', bucket: 'hour', from: '', to: '', queueId: '', agentId: '',
    });
    assert.equal(m.readPageQuery('?period=30d').bucket, 'day');
  });
});

describe('chartSeries', () => {
  test("uPlot's columns: Unix seconds, counts, service level in percent, null kept", () => {
    const s = m.chartSeries(report);
    assert.deepEqual(s.x, [Date.UTC(2026, 9, 24, 22) / 1000, Date.UTC(2026, 9, 25, 23) / 1000]);
    assert.deepEqual(s.offered, [12, 0]);
    assert.deepEqual(s.abandoned, [2, 0]);
    assert.deepEqual(s.missed, [1, 0]);
    assert.deepEqual(s.serviceLevel, [75.5, null]);
    assert.deepEqual(s.avgWait, [14.2, null]);
    assert.deepEqual(s.avgHandle, [185, null]);
  });
  test('stacked bars: answered, then abandoned on it, then missed on top', () => {
    const stack = m.stackedCounts({ answered: [9, 0, null], abandoned: [2, 1, null], missed: [1, 0, null] });
    assert.deepEqual(stack, { answered: [9, 0, null], abandoned: [11, 1, null], missed: [12, 1, null] });
  });
  test('buckets that begin after now are not drawn (they are not zero calls yet)', () => {
    const s = m.chartSeries(report, Date.UTC(2026, 9, 25, 12));
    assert.deepEqual(s.offered, [12, null]);
    assert.deepEqual(s.serviceLevel, [75.5, null]);
    assert.equal(s.x.length, 2);
  });
  test('a report with no call says so', () => {
    assert.equal(m.hasCalls(report), true);
    assert.equal(m.hasCalls({ ...report, totals: figures() }), false);
    assert.equal(m.hasCalls({ ...report, totals: figures({ outbound: 1 }) }), true);
  });
});

describe('formatting', () => {
  test('percent and durations, a dash for no figure', () => {
    assert.equal(m.percent(0.755), '75.5%');
    assert.equal(m.percent(1), '100%');
    assert.equal(m.percent(0), '0%');
    assert.equal(m.percent(null), '—');
    assert.equal(m.duration(44.6), '45 s');
    assert.equal(m.duration(185), '3 min 05 s');
    assert.equal(m.duration(3720), '1 h 02 min');
    assert.equal(m.duration(null), '—');
  });
  test('bucket labels: hours with the time, days without', () => {
    assert.equal(m.bucketLabel('2026-10-26T13:00:00.000Z', 'hour', 'en-GB', 'Europe/Paris'), 'Mon 26 Oct, 14:00');
    assert.equal(m.bucketLabel('2026-10-24T22:00:00.000Z', 'day', 'en-GB', 'Europe/Paris'), 'Sun 25 Oct');
  });
});

describe('table rows', () => {
  test('the text alternative: one row per bucket, figures in header order', () => {
    const rows = m.bucketRows(report, 'en-GB', 'Europe/Paris');
    assert.equal(rows.length, 2);
    assert.deepEqual(rows[0], ['Sun 25 Oct', '12', '9', '2', '1', '75.5%', '14 s', '3 min 05 s', '0']);
    assert.equal(rows[0].length, m.FIGURE_HEADERS.length + 1);
  });
  test('queues and agents by name, an id once deleted, outbound calls named', () => {
    assert.deepEqual(m.queueRows(report).map((r) => r[0]), ['Sales', 'q_gone', 'No queue (outbound)']);
    assert.deepEqual(m.agentRows(report), [['ag_1', '9', '—', '—', '—', '0']]);
    assert.equal(m.agentRows(report)[0].length, m.AGENT_HEADERS.length + 1);
  });
  test('the headline names the threshold', () => {
    const tiles = Object.fromEntries(m.headline(report));
    assert.equal(tiles['Service level (20 s)'], '75%');
    assert.equal(tiles.Offered, '12');
    assert.equal(tiles['Avg handle'], '3 min 05 s');
  });
});
