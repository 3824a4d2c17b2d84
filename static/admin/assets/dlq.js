// The dead-letter queue: filter, retry one, retry all matching, download as JSON.

import { get, post } from './api.js';
import { confirmDialog, h, say, statusBadge, table, timeEl } from './dom.js';

/** datetime-local value (local time) → RFC 3339 in UTC, or '' when empty/invalid. */
function toRfc3339(local) {
  if (!local) return '';
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}

/** RFC 3339 → a datetime-local value in local time. */
function toLocalInput(iso) {
  const date = new Date(iso);
  if (!iso || Number.isNaN(date.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export async function dlqPage(root) {
  root.append(
    h('h1', {}, 'Dead-letter queue'),
    h('p', { class: 'muted' }, 'Events that failed every attempt (6 retries over about 7 hours). Fix the receiver, then retry them; retried events keep their event ID.'),
  );
  const { data: endpoints } = await get('/webhooks/endpoints');
  const urlOf = new Map(endpoints.map((e) => [e.id, e.url]));
  const query = new URLSearchParams(location.search);

  const endpointSel = h(
    'select',
    { id: 'dlq-endpoint', name: 'endpoint_id' },
    h('option', { value: '' }, 'All endpoints'),
    endpoints.map((e) => h('option', { value: e.id }, e.description ? `${e.url} (${e.description})` : e.url)),
  );
  endpointSel.value = query.get('endpoint_id') ?? '';
  const since = h('input', { id: 'dlq-since', name: 'since', type: 'datetime-local', value: toLocalInput(query.get('since')) });
  const until = h('input', { id: 'dlq-until', name: 'until', type: 'datetime-local', value: toLocalInput(query.get('until')) });
  const filterError = h('p', { class: 'alert alert-error', role: 'alert', hidden: true });
  const status = h('p', { class: 'alert alert-ok', role: 'status', hidden: true });
  const download = h('a', { class: 'btn', href: '/api/v1/webhooks/dlq/export', download: 'sivo-dead-letters.json' }, 'Download JSON');
  const retryAll = h('button', { type: 'button', class: 'btn btn-primary' }, 'Retry all matching');
  const clearBtn = h('button', { type: 'button', class: 'btn btn-ghost' }, 'Clear');
  const body = h('div', {});

  const filters = () => {
    const f = { endpoint_id: endpointSel.value, since: toRfc3339(since.value), until: toRfc3339(until.value) };
    return Object.fromEntries(Object.entries(f).filter(([, v]) => v));
  };
  const qs = (f) => {
    const s = new URLSearchParams(f).toString();
    return s ? `?${s}` : '';
  };

  let items = [];
  async function load() {
    const f = filters();
    history.replaceState(null, '', `/admin/dlq${qs(f)}`);
    download.href = `/api/v1/webhooks/dlq/export${qs(f)}`;
    say(filterError, '');
    try {
      ({ data: items } = await get(`/webhooks/dlq${qs(f)}`));
    } catch (err) {
      say(filterError, err.message, 'error');
      items = [];
    }
    render();
  }

  async function retryOne(item, button) {
    button.disabled = true;
    try {
      await post(`/webhooks/dlq/${encodeURIComponent(item.id)}/retry`);
      say(status, `Requeued event ${item.event_id}.`, 'ok');
      await load();
    } catch (err) {
      say(status, err.message, 'error');
      button.disabled = false;
    }
  }

  function render() {
    retryAll.disabled = !items.length;
    if (!items.length) {
      body.replaceChildren(h('p', { class: 'empty card' }, 'No dead letters match. Nice.'));
      return;
    }
    const rows = items.map((d) => {
      const button = h('button', { type: 'button', class: 'btn btn-small', 'aria-label': `Retry event ${d.event_id}` }, 'Retry');
      button.addEventListener('click', () => retryOne(d, button));
      return [
        timeEl(d.dead_at),
        h('span', { class: 'mono break' }, urlOf.get(d.endpoint_id) ?? d.endpoint_id),
        h('span', { class: 'mono' }, d.event_type),
        h('code', {}, d.event_id),
        String(d.attempts),
        statusBadge(d.last_status_code),
        d.last_error ? h('span', { class: 'error-text' }, d.last_error) : '',
        button,
      ];
    });
    body.replaceChildren(
      h('p', { class: 'muted small' }, `${items.length} dead letter${items.length === 1 ? '' : 's'}${items.length >= 100 ? ' (showing the first 100; Download JSON has all)' : ''}.`),
      table('Dead letters', ['Dead since', 'Endpoint', 'Event type', 'Event ID', 'Attempts', 'Last status', 'Last error', 'Actions'], rows),
    );
  }

  retryAll.addEventListener('click', async () => {
    const f = filters();
    const ok = await confirmDialog({
      title: 'Retry all matching dead letters?',
      message: `SIVO requeues every dead letter matching the current filters${items.length >= 100 ? '' : ` (${items.length})`} and delivers them again.`,
      confirmLabel: 'Retry all',
    });
    if (!ok) return;
    retryAll.disabled = true;
    try {
      const r = await post('/webhooks/dlq/retry', f);
      say(status, `Requeued ${r.retried} event${r.retried === 1 ? '' : 's'}.`, 'ok');
    } catch (err) {
      say(status, err.message, 'error');
    }
    await load();
  });

  const form = h(
    'form',
    { class: 'filters card', 'aria-label': 'Filter dead letters' },
    h('div', { class: 'field' }, h('label', { for: 'dlq-endpoint' }, 'Endpoint'), endpointSel),
    h('div', { class: 'field' }, h('label', { for: 'dlq-since' }, 'Dead since'), since),
    h('div', { class: 'field' }, h('label', { for: 'dlq-until' }, 'Dead until'), until),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn' }, 'Apply filters'), clearBtn),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    say(status, '');
    load();
  });
  clearBtn.addEventListener('click', () => {
    form.reset();
    endpointSel.value = '';
    since.value = '';
    until.value = '';
    say(status, '');
    load();
  });

  root.append(form, h('div', { class: 'actions toolbar' }, retryAll, download), filterError, status, body);
  await load();
}
