// Endpoints: the list, the create/edit form, and one endpoint's page (secret, tester, log).

import { field } from './admin-forms.js';
import { ApiError, del, endpointPath, eventTypes, get, patch, post } from './api.js';
import { deliveryLog, tester } from './deliveries.js';
import { confirmDialog, copyText, h, say, table, timeEl } from './dom.js';
import { navigate, setFlash, takeFlash } from './router.js';

const FIELDS = ['url', 'events', 'description', 'enabled'];

export function eventsLabel(events) {
  return events.includes('*') ? 'All events' : events.join(', ');
}

function enabledBadge(enabled) {
  return h('span', { class: `badge ${enabled ? 'badge-ok' : 'badge-muted'}` }, enabled ? 'Enabled' : 'Disabled');
}

export async function listPage(root) {
  root.append(
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, 'Webhook endpoints'),
      h('a', { class: 'btn btn-primary', href: '/admin/endpoints/new', 'data-nav': true }, 'New endpoint'),
    ),
    h('p', { class: 'muted' }, 'SIVO signs every event with HMAC SHA-256, retries failures 6 times, then moves them to the dead-letter queue.'),
  );
  const { data } = await get('/webhooks/endpoints');
  if (!data.length) {
    root.append(h('div', { class: 'empty card' }, h('p', {}, 'No endpoints yet. Create one to start receiving events.')));
    return;
  }
  const rows = data.map((e) => [
    h('a', { href: `/admin/endpoints/${encodeURIComponent(e.id)}`, 'data-nav': true, class: 'mono' }, e.url),
    eventsLabel(e.events),
    enabledBadge(e.enabled),
    e.description || h('span', { class: 'muted' }, '—'),
  ]);
  root.append(table('Webhook endpoints', ['URL', 'Events', 'Status', 'Description'], rows));
}

function endpointForm(types, endpoint, submitLabel, onSubmit) {
  const events = endpoint?.events ?? [];
  const url = h('input', { id: 'f-url', name: 'url', type: 'url', value: endpoint?.url ?? '', placeholder: 'https://crm.example.com/sivo/webhooks', autocomplete: 'off', required: true });
  const all = h('input', { type: 'checkbox', id: 'f-events-all', name: 'events', value: '*', checked: events.includes('*') });
  const boxes = types.map(({ type, description }) =>
    h('input', { type: 'checkbox', id: `f-ev-${type}`, name: 'events', value: type, checked: events.includes(type), 'data-description': description }),
  );
  const syncAll = () => {
    for (const box of boxes) box.disabled = all.checked;
  };
  all.addEventListener('change', syncAll);
  syncAll();
  const eventsSet = h(
    'fieldset',
    { class: 'field events', 'data-field': 'events', 'aria-describedby': 'f-events-error' },
    h('legend', {}, 'Events'),
    h('label', { class: 'check check-all' }, all, h('span', {}, 'All events ', h('span', { class: 'muted' }, '(including types added later)'))),
    h(
      'div',
      { class: 'check-grid' },
      boxes.map((box) => h('label', { class: 'check', title: box.dataset.description }, box, h('span', { class: 'mono' }, box.value))),
    ),
    h('p', { class: 'field-error', id: 'f-events-error', hidden: true }),
  );
  const description = h('textarea', { id: 'f-description', name: 'description', rows: '2', maxlength: '500' });
  description.value = endpoint?.description ?? '';
  const enabled = h('input', { type: 'checkbox', id: 'f-enabled', name: 'enabled', role: 'switch', checked: endpoint ? endpoint.enabled : true });
  const formError = h('p', { class: 'alert alert-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, submitLabel);
  const saved = h('p', { class: 'saved', role: 'status', hidden: true });
  const form = h(
    'form',
    { class: 'stack endpoint-form', novalidate: true },
    formError,
    field('url', 'Endpoint URL', url, 'HTTPS only. SIVO POSTs each event here as JSON.'),
    eventsSet,
    field('description', 'Description', description, 'Optional, e.g. "CRM sync" (up to 500 characters).'),
    h('div', { class: 'field', 'data-field': 'enabled' }, h('label', { class: 'check switch' }, enabled, h('span', {}, 'Enabled')), h('p', { class: 'field-error', id: 'f-enabled-error', hidden: true })),
    h('div', { class: 'actions' }, submit, saved),
  );

  const clearErrors = () => {
    say(formError, '');
    say(saved, '');
    for (const el of form.querySelectorAll('.field-error')) say(el, '');
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  };
  const showError = (err) => {
    const name = err instanceof ApiError && FIELDS.includes(err.field) ? err.field : null;
    if (!name) {
      say(formError, err.message || String(err), 'error');
      formError.focus?.();
      return;
    }
    const slot = form.querySelector(`#f-${name}-error`);
    say(slot, err.message, 'error');
    const control = name === 'events' ? eventsSet : form.querySelector(`#f-${name}`);
    control.setAttribute('aria-invalid', 'true');
    (name === 'events' ? all : control).focus();
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors();
    const chosen = all.checked ? ['*'] : boxes.filter((b) => b.checked).map((b) => b.value);
    const body = { url: url.value.trim(), events: chosen, description: description.value, enabled: enabled.checked };
    submit.disabled = true;
    try {
      const message = await onSubmit(body);
      if (message) say(saved, message, 'ok');
    } catch (err) {
      showError(err);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

export async function newPage(root) {
  root.append(
    h('p', { class: 'crumbs' }, h('a', { href: '/admin/endpoints', 'data-nav': true }, '← Endpoints')),
    h('h1', {}, 'New webhook endpoint'),
  );
  const types = await eventTypes();
  const form = endpointForm(types, null, 'Create endpoint', async (body) => {
    const { enabled, ...create } = body;
    const created = await post('/webhooks/endpoints', create);
    if (!enabled) await patch(endpointPath(created.id), { enabled: false });
    setFlash({ id: created.id, secret: created.secret, rotated: false });
    navigate(`/admin/endpoints/${encodeURIComponent(created.id)}`);
    return '';
  });
  root.append(h('section', { class: 'card' }, form));
}

/** Shows a just-issued secret once, with a copy button. */
function secretBox({ secret, rotated, expiresAt }) {
  const value = h('input', { id: 'secret-value', class: 'mono', type: 'text', value: secret, readOnly: true, 'aria-label': 'Signing secret', spellcheck: 'false' });
  const copied = h('span', { class: 'muted', role: 'status' });
  const box = h(
    'section',
    { class: 'secret-box', 'aria-labelledby': 'secret-title', 'data-testid': 'secret-box' },
    h('h2', { id: 'secret-title' }, rotated ? 'New signing secret' : 'Signing secret'),
    h('p', {}, h('strong', {}, 'Copy it now: it won’t be shown again. '), 'Use it to verify the X-Sivo-Signature header on each request.'),
    rotated &&
      h('p', {}, 'The old secret keeps working for 24 hours', expiresAt ? [' (until ', timeEl(expiresAt), ')'] : '', ', so you can update your receiver without dropping events.'),
    h(
      'div',
      { class: 'copy-row' },
      value,
      h('button', { type: 'button', class: 'btn', onclick: async () => { copied.textContent = (await copyText(secret, value)) ? 'Copied.' : 'Press Ctrl+C to copy.'; } }, 'Copy'),
      copied,
    ),
    h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => box.remove() }, 'I’ve saved it, hide'),
  );
  value.addEventListener('focus', () => value.select());
  return box;
}

export async function detailPage(root, id) {
  const [endpoint, types] = await Promise.all([get(endpointPath(id)), eventTypes()]);
  const secretSlot = h('div', {});
  const flash = takeFlash();
  if (flash && flash.id === id) secretSlot.append(secretBox(flash));
  const title = h('h1', { class: 'mono break' }, endpoint.url);
  const status = enabledBadge(endpoint.enabled);
  root.append(
    h('p', { class: 'crumbs' }, h('a', { href: '/admin/endpoints', 'data-nav': true }, '← Endpoints')),
    h('div', { class: 'page-head' }, title, status),
    h('p', { class: 'muted' }, 'Endpoint ', h('code', {}, endpoint.id), ' · created ', timeEl(endpoint.created_at)),
    secretSlot,
  );

  const form = endpointForm(types, endpoint, 'Save changes', async (body) => {
    const updated = await patch(endpointPath(id), body);
    title.textContent = updated.url;
    status.replaceWith(enabledBadge(updated.enabled));
    return 'Saved.';
  });

  const rotateBtn = h('button', { type: 'button', class: 'btn' }, 'Rotate secret');
  const rotateError = h('p', { class: 'alert alert-error', role: 'alert', hidden: true });
  rotateBtn.addEventListener('click', async () => {
    const ok = await confirmDialog({
      title: 'Rotate the signing secret?',
      message: 'SIVO signs with a new secret from now on. The old one keeps working for 24 hours.',
      confirmLabel: 'Rotate secret',
    });
    if (!ok) return;
    say(rotateError, '');
    try {
      const rotated = await post(`${endpointPath(id)}/rotate-secret`);
      secretSlot.replaceChildren(secretBox({ secret: rotated.secret, rotated: true, expiresAt: rotated.previous_secret_expires_at }));
      secretSlot.querySelector('#secret-value').focus();
    } catch (err) {
      say(rotateError, err.message, 'error');
    }
  });

  const deleteBtn = h('button', { type: 'button', class: 'btn btn-danger' }, 'Delete endpoint');
  const deleteError = h('p', { class: 'alert alert-error', role: 'alert', hidden: true });
  deleteBtn.addEventListener('click', async () => {
    const ok = await confirmDialog({
      title: 'Delete this endpoint?',
      message: `SIVO stops sending events to ${endpoint.url} and deletes its delivery log, pending deliveries and dead letters. This can’t be undone.`,
      confirmLabel: 'Delete endpoint',
      danger: true,
    });
    if (!ok) return;
    try {
      await del(endpointPath(id));
      navigate('/admin/endpoints');
    } catch (err) {
      say(deleteError, err.message, 'error');
    }
  });

  const log = deliveryLog(id);
  root.append(
    h(
      'div',
      { class: 'grid' },
      h('section', { class: 'card', 'aria-labelledby': 'settings-title' }, h('h2', { id: 'settings-title' }, 'Settings'), form),
      h(
        'div',
        { class: 'stack' },
        tester(id, types, (result) => log.refreshUntil(result.event_id)),
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'secret-card-title' },
          h('h2', { id: 'secret-card-title' }, 'Signing secret'),
          h('p', { class: 'muted' }, 'Rotate if the secret may have leaked. You’ll see the new one once.'),
          rotateBtn,
          rotateError,
        ),
        h(
          'section',
          { class: 'card card-danger', 'aria-labelledby': 'danger-title' },
          h('h2', { id: 'danger-title' }, 'Delete'),
          h('p', { class: 'muted' }, 'Its delivery log, pending deliveries and dead letters are deleted with it.'),
          deleteBtn,
          deleteError,
        ),
      ),
    ),
    log.el,
  );
  await log.refresh();
}
