// Phone numbers: the list, a new number, and one number's page (its queue, whether the web
// phone offers it, delete). Everything goes through /api/v1/numbers, as API clients do.

import { ApiError, del, get, patch, post } from './api.js';
import { field, formErrors, guarded, problemText } from './admin-forms.js';
import { confirmDialog, h, say, table, timeEl } from './dom.js';
import { navigate, setFlash, takeFlash } from './router.js';
import { changes, namesOf, normalizeNumber, numberRows } from './telephony-model.js';

const numberPath = (id) => `/numbers/${encodeURIComponent(id)}`;

function back() {
  return h('p', { class: 'crumbs' }, h('a', { href: '/admin/numbers', 'data-nav': true }, '← Numbers'));
}

function publishedBadge(published) {
  return h('span', { class: `badge ${published ? 'badge-ok' : 'badge-muted'}` }, published ? 'On the web phone' : 'Not published');
}

function noQueues() {
  return h(
    'div',
    { class: 'empty card' },
    h('p', {}, 'A number sends its calls to a queue, and there is no queue yet.'),
    h('a', { class: 'btn btn-primary', href: '/admin/queues/new', 'data-nav': true }, 'Create a queue first'),
  );
}

export async function numbersPage(root, id) {
  if (id === 'new') return guarded(root, () => newNumberPage(root));
  if (id) return guarded(root, () => numberPage(root, id));
  return guarded(root, () => listPage(root));
}

async function listPage(root) {
  root.append(
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, 'Numbers'),
      h('a', { class: 'btn btn-primary', href: '/admin/numbers/new', 'data-nav': true }, 'New number'),
    ),
    h('p', { class: 'muted' }, 'Calls to each number go to its queue. A published number can be called from the web phone at ', h('a', { href: '/caller/' }, '/caller/'), '.'),
  );
  const [{ data: numbers }, { data: queues }] = await Promise.all([get('/numbers'), get('/queues')]);
  if (!numbers.length) {
    if (!queues.length) {
      root.append(noQueues());
      return;
    }
    root.append(
      h(
        'div',
        { class: 'empty card' },
        h('p', {}, 'No numbers yet. Add one so that callers can reach a queue.'),
        h('a', { class: 'btn btn-primary', href: '/admin/numbers/new', 'data-nav': true }, 'Add a number'),
      ),
    );
    return;
  }
  const rows = numberRows(numbers, queues).map((n) => [
    h('a', { href: `/admin/numbers/${encodeURIComponent(n.id)}`, 'data-nav': true, class: 'mono' }, n.number),
    n.queue,
    publishedBadge(n.published),
  ]);
  root.append(table('Phone numbers', ['Number', 'Queue', 'Web phone'], rows));
}

/** The form: the number itself only when creating (the API does not change it afterwards). */
function numberForm(number, queues, submitLabel, onSubmit) {
  const e164 = number ? null : h('input', { name: 'number', type: 'tel', value: '', autocomplete: 'off', placeholder: '+18005550100', required: true, class: 'short' });
  const queue = h(
    'select',
    { name: 'queue_id', required: true },
    [...queues].sort((a, b) => a.name.localeCompare(b.name)).map((q) => h('option', { value: q.id }, q.name)),
  );
  if (number) queue.value = number.queue_id;
  const published = h('input', { type: 'checkbox', id: 'f-published', name: 'published', role: 'switch', checked: number ? number.published : false, 'aria-describedby': 'f-published-hint' });
  const formError = h('p', { class: 'alert alert-error', role: 'alert', hidden: true });
  const saved = h('p', { class: 'saved', role: 'status', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, submitLabel);
  const form = h(
    'form',
    { class: 'stack number-form', novalidate: true },
    formError,
    e164 && field('number', 'Phone number', e164, 'International (E.164) format: +, the country code, then the number, e.g. +18005550100. Spaces and dashes are removed.'),
    field('queue_id', 'Queue', queue, 'Where its calls wait for an agent.'),
    h(
      'div',
      { class: 'field', 'data-field': 'published' },
      h('label', { class: 'check switch' }, published, h('span', {}, 'Published on the web phone')),
      h('p', { class: 'hint', id: 'f-published-hint' }, 'Lists the number on the public web phone page (/caller/), so anyone can call it from a browser.'),
      h('p', { class: 'field-error', id: 'f-published-error', hidden: true }),
    ),
    h('div', { class: 'actions' }, submit, saved),
  );
  const errors = formErrors(form, formError, { number: e164, queue_id: queue, published }, { names: () => namesOf(queues) });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errors.clear();
    say(saved, '');
    const body = { queue_id: queue.value, published: published.checked };
    if (e164) {
      e164.value = normalizeNumber(e164.value);
      body.number = e164.value;
    }
    submit.disabled = true;
    try {
      const message = await onSubmit(body);
      if (message) say(saved, message, 'ok');
    } catch (err) {
      // A number registered already is refused without a field: it is the number's.
      const taken = e164 && err instanceof ApiError && err.status === 409 && !err.field;
      errors.show(taken ? new ApiError(err.status, err.code, err.message, 'number') : err);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

async function newNumberPage(root) {
  root.append(back(), h('h1', {}, 'New number'));
  const { data: queues } = await get('/queues');
  if (!queues.length) {
    root.append(noQueues());
    return;
  }
  const form = numberForm(null, queues, 'Add number', async (body) => {
    const created = await post('/numbers', body);
    setFlash({ numberCreated: created.id });
    navigate(`/admin/numbers/${encodeURIComponent(created.id)}`);
    return '';
  });
  root.append(h('section', { class: 'card narrow-card' }, form));
}

async function numberPage(root, id) {
  let number;
  let queues;
  try {
    [number, { data: queues }] = await Promise.all([get(numberPath(id)), get('/queues')]);
  } catch (err) {
    root.append(back(), h('h1', {}, 'Number'), h('p', { class: 'alert alert-error', role: 'alert' }, err.status === 404 ? 'This number does not exist (it may have been deleted).' : problemText(err)));
    return;
  }
  let badge = publishedBadge(number.published);
  const flash = takeFlash();
  root.append(
    back(),
    h('div', { class: 'page-head' }, h('div', { class: 'title-row' }, h('h1', { class: 'mono' }, number.number), badge)),
    h('p', { class: 'muted' }, 'Number ', h('code', {}, number.id), ' · added ', timeEl(number.created_at)),
    flash?.numberCreated !== id ? '' : h('p', { class: 'alert alert-ok', role: 'status' }, 'Number added. Its calls go to its queue from now on.'),
  );
  const form = numberForm(number, queues, 'Save changes', async (body) => {
    const diff = changes(number, body);
    if (!diff) return 'Nothing to save.';
    number = await patch(numberPath(id), diff);
    const fresh = publishedBadge(number.published);
    badge.replaceWith(fresh);
    badge = fresh;
    return 'Saved. New calls follow it; calls already waiting stay where they are.';
  });
  const deleteError = h('p', { class: 'alert alert-error', role: 'alert', hidden: true });
  const deleteBtn = h('button', { type: 'button', class: 'btn btn-danger' }, 'Delete number');
  deleteBtn.addEventListener('click', async () => {
    const ok = await confirmDialog({
      title: `Delete ${number.number}?`,
      message: 'Calls to it are no longer answered by SIVO. Its past calls stay in the history. This can’t be undone.',
      confirmLabel: 'Delete number',
      danger: true,
    });
    if (!ok) return;
    say(deleteError, '');
    try {
      await del(numberPath(id));
      navigate('/admin/numbers');
    } catch (err) {
      say(deleteError, err instanceof ApiError && err.status === 404 ? 'This number was deleted already.' : problemText(err), 'error');
    }
  });
  root.append(
    h(
      'div',
      { class: 'grid' },
      h('section', { class: 'card', 'aria-labelledby': 'number-settings-title' }, h('h2', { id: 'number-settings-title' }, 'Settings'), form),
      h(
        'section',
        { class: 'card card-danger', 'aria-labelledby': 'number-delete-title' },
        h('h2', { id: 'number-delete-title' }, 'Delete'),
        h('p', { class: 'muted' }, 'Its past calls stay in the history.'),
        deleteBtn,
        deleteError,
      ),
    ),
  );
}
