// One endpoint's delivery log (last 100 attempts) and the built-in tester.

import { endpointPath, get, post } from './api.js';
import { h, ms, say, statusBadge, table, timeEl } from './dom.js';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function deliveryLog(endpointId) {
  const body = h('div', { class: 'log-body' });
  const note = h('p', { class: 'muted small', role: 'status' });
  const error = h('p', { class: 'alert alert-error', role: 'alert', hidden: true });
  const refreshBtn = h('button', { type: 'button', class: 'btn' }, 'Refresh');
  const el = h(
    'section',
    { class: 'card log', 'aria-labelledby': 'log-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'log-title' }, 'Recent deliveries'), refreshBtn),
    h('p', { class: 'muted' }, 'The last 100 delivery attempts to this endpoint, newest first.'),
    error,
    body,
    note,
  );

  let items = [];
  async function refresh() {
    refreshBtn.disabled = true;
    say(error, '');
    try {
      ({ data: items } = await get(`${endpointPath(endpointId)}/deliveries`));
      render();
      note.textContent = `Updated ${new Date().toLocaleTimeString()}.`;
    } catch (err) {
      say(error, err.message, 'error');
    } finally {
      refreshBtn.disabled = false;
    }
    return items;
  }

  function render() {
    if (!items.length) {
      body.replaceChildren(h('p', { class: 'empty' }, 'No deliveries yet. Send a test event to try the endpoint.'));
      return;
    }
    const rows = items.map((a) => [
      timeEl(a.at),
      h('span', { class: 'mono' }, a.event_type),
      h('code', {}, a.event_id),
      String(a.attempt),
      statusBadge(a.status_code),
      ms(a.latency_ms),
      a.error ? h('span', { class: 'error-text' }, a.error) : '',
    ]);
    body.replaceChildren(
      table('Delivery attempts', ['Time', 'Event type', 'Event ID', 'Attempt', 'Status', 'Latency', 'Error'], rows),
    );
  }

  /** Attempts are written in batches: poll briefly until the given event shows up. */
  async function refreshUntil(eventId, tries = 8) {
    for (let i = 0; i < tries; i += 1) {
      const found = await refresh();
      if (found.some((a) => a.event_id === eventId)) return;
      await sleep(250 * (i + 1));
    }
  }

  refreshBtn.addEventListener('click', refresh);
  return { el, refresh, refreshUntil };
}

export function tester(endpointId, types, onResult) {
  const select = h(
    'select',
    { id: 'tester-type', name: 'type' },
    types.map(({ type }) => h('option', { value: type }, type)),
  );
  const send = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Send test event');
  const result = h('div', { class: 'tester-result', role: 'status', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'stack' },
    h('div', { class: 'field' }, h('label', { for: 'tester-type' }, 'Event type'), select),
    h('div', { class: 'actions' }, send),
    result,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    send.disabled = true;
    result.replaceChildren(h('p', { class: 'muted' }, 'Sending…'));
    try {
      const r = await post(`${endpointPath(endpointId)}/test`, { type: select.value });
      const facts = [
        ['Status', r.status_code ?? 'no response'],
        ['Latency', ms(r.latency_ms)],
        ['Event ID', r.event_id],
      ];
      if (r.error) facts.push(['Error', r.error]);
      result.replaceChildren(
        h(
          'p',
          { class: `outcome ${r.success ? 'outcome-ok' : 'outcome-fail'}`, 'data-success': String(r.success) },
          r.success ? '✓ Delivered' : '✗ Failed',
        ),
        h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))])),
      );
      onResult?.(r);
    } catch (err) {
      result.replaceChildren(h('p', { class: 'alert alert-error', role: 'alert' }, err.message));
    } finally {
      send.disabled = false;
    }
  });
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'tester-title' },
    h('h2', { id: 'tester-title' }, 'Send a test event'),
    h('p', { class: 'muted' }, 'Fires one synthetic event with the catalog’s example data. Logged, never retried.'),
    form,
  );
}
