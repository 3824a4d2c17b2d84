// Queues: the list (routing, wrap-up, max wait, overflow, agents answering), a new queue, and
// one queue's page (edit, delete). Everything goes through /api/v1/queues, as API clients do.

import { ApiError, del, get, patch, post } from './api.js';
import { field, formErrors, guarded, problemText } from './admin-forms.js';
import { confirmDialog, h, say, table } from './dom.js';
import { navigate, setFlash, takeFlash } from './router.js';
import { DEFAULT_OVERFLOW_CAUSE, changes, namesOf, overflowChoice, queueBody, queueInUse, queueRows, rangeText } from './telephony-model.js';

const queuePath = (id) => `/queues/${encodeURIComponent(id)}`;

function back() {
  return h('p', { class: 'crumbs' }, h('a', { href: '/admin/queues', 'data-nav': true }, '← Queues'));
}

export async function queuesPage(root, id) {
  if (id === 'new') return guarded(root, () => newQueuePage(root));
  if (id) return guarded(root, () => queuePage(root, id));
  return guarded(root, () => listPage(root));
}

async function listPage(root) {
  root.append(
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, 'Queues'),
      h('a', { class: 'btn btn-primary', href: '/admin/queues/new', 'data-nav': true }, 'New queue'),
    ),
    h('p', { class: 'muted' }, 'Calls to a number wait in its queue and ring the queue’s available agents, longest idle first.'),
  );
  const [{ data: queues }, { data: agents }] = await Promise.all([get('/queues'), get('/agents')]);
  if (!queues.length) {
    root.append(
      h(
        'div',
        { class: 'empty card' },
        h('p', {}, 'No queues yet.'),
        h('p', {}, 'Create a queue first, then give it agents and a phone number.'),
        h('a', { class: 'btn btn-primary', href: '/admin/queues/new', 'data-nav': true }, 'Create a queue'),
      ),
    );
    return;
  }
  const rows = queueRows(queues, agents).map((q) => [
    h('a', { href: `/admin/queues/${encodeURIComponent(q.id)}`, 'data-nav': true }, q.name),
    q.ring,
    q.wrapUp,
    q.maxWait,
    q.overflow,
    q.agents ? String(q.agents) : h('span', { class: 'muted' }, 'None'),
  ]);
  root.append(table('Queues', ['Name', 'Ring timeout', 'Wrap-up', 'Max wait', 'After max wait', 'Agents'], rows));
}

function numberInput(name, value, { optional = false } = {}) {
  return h('input', {
    name,
    type: 'text',
    inputmode: 'decimal',
    class: 'seconds',
    value: value === null || value === undefined ? '' : String(value),
    placeholder: optional ? 'No limit' : undefined,
    autocomplete: 'off',
  });
}

/** The create/edit form. `others` are the tenant's other queues (overflow targets). */
function queueForm(queue, others, submitLabel, onSubmit) {
  const name = h('input', { name: 'name', type: 'text', value: queue?.name ?? '', autocomplete: 'off', maxlength: '200', required: true });
  const ring = numberInput('ring_timeout_s', queue?.ring_timeout_s ?? 20);
  const wrap = numberInput('wrap_up_s', queue?.wrap_up_s ?? 30);
  const maxWait = numberInput('max_wait_s', queue?.max_wait_s, { optional: true });
  const overflow = h(
    'select',
    { name: 'overflow' },
    h('option', { value: 'end' }, 'End the call'),
    others.map((q) => h('option', { value: `queue:${q.id}` }, `Move the caller to “${q.name}”`)),
  );
  overflow.value = overflowChoice(queue);
  const cause = h('input', {
    name: 'cause',
    type: 'text',
    autocomplete: 'off',
    value: queue?.overflow?.action === 'end' && queue.overflow.cause !== DEFAULT_OVERFLOW_CAUSE ? queue.overflow.cause : '',
    placeholder: DEFAULT_OVERFLOW_CAUSE,
    class: 'short',
  });
  const causeField = field('cause', 'Hangup cause recorded', cause, `Shown in the call history and events; lower case, e.g. "closed". Empty: ${DEFAULT_OVERFLOW_CAUSE}.`);
  const overflowSet = h(
    'fieldset',
    { class: 'field overflow', 'data-field': 'overflow' },
    h('legend', {}, 'When the max wait runs out'),
    field('overflow', 'Then', overflow, null),
    causeField,
  );
  const sync = () => {
    const limited = maxWait.value.trim() !== '';
    overflowSet.disabled = !limited;
    overflowSet.classList.toggle('is-off', !limited);
    causeField.hidden = overflow.value !== 'end';
  };
  maxWait.addEventListener('input', sync);
  overflow.addEventListener('change', sync);
  sync();

  const formError = h('p', { class: 'alert alert-error', role: 'alert', hidden: true });
  const saved = h('p', { class: 'saved', role: 'status', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, submitLabel);
  const form = h(
    'form',
    { class: 'stack queue-form', novalidate: true },
    formError,
    field('name', 'Name', name, 'What agents and the call history call it, e.g. Support.'),
    h(
      'div',
      { class: 'field-row' },
      field('ring_timeout_s', 'Ring timeout (seconds)', ring, `How long one agent rings before the next is tried (${rangeText('ring_timeout_s')}).`),
      field('wrap_up_s', 'Wrap-up (seconds)', wrap, `After-call work before the agent’s next ring (${rangeText('wrap_up_s')}).`),
      field('max_wait_s', 'Max wait (seconds)', maxWait, `Longest a caller waits for an agent (${rangeText('max_wait_s')}). Empty: no limit.`),
    ),
    overflowSet,
    h('div', { class: 'actions' }, submit, saved),
  );
  const errors = formErrors(form, formError, { name, ring_timeout_s: ring, wrap_up_s: wrap, max_wait_s: maxWait, overflow, cause }, {
    names: () => namesOf(others),
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errors.clear();
    say(saved, '');
    const body = queueBody({
      name: name.value,
      ring_timeout_s: ring.value,
      wrap_up_s: wrap.value,
      max_wait_s: maxWait.value,
      overflow: overflow.value,
      cause: cause.value,
    });
    if (body.errors) {
      errors.showAll(body.errors);
      return;
    }
    submit.disabled = true;
    try {
      const message = await onSubmit(body);
      if (message) say(saved, message, 'ok');
    } catch (err) {
      // The API refuses a bad hangup cause as field "overflow": it belongs under its box.
      if (err instanceof ApiError && err.field === 'overflow' && /cause/.test(err.message)) {
        errors.show(new ApiError(err.status, err.code, err.message, 'cause'));
      } else errors.show(err);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

async function newQueuePage(root) {
  root.append(back(), h('h1', {}, 'New queue'));
  const { data: queues } = await get('/queues');
  const form = queueForm(null, queues, 'Create queue', async (body) => {
    const created = await post('/queues', body);
    setFlash({ queueCreated: created.id });
    navigate(`/admin/queues/${encodeURIComponent(created.id)}`);
    return '';
  });
  root.append(h('section', { class: 'card narrow-card' }, form));
}

async function queuePage(root, id) {
  let queue;
  let all;
  let agents;
  try {
    [queue, { data: all }, { data: agents }] = await Promise.all([get(queuePath(id)), get('/queues'), get('/agents')]);
  } catch (err) {
    root.append(back(), h('h1', {}, 'Queue'), h('p', { class: 'alert alert-error', role: 'alert' }, err.status === 404 ? 'This queue does not exist (it may have been deleted).' : problemText(err)));
    return;
  }
  const others = all.filter((q) => q.id !== id);
  const title = h('h1', {}, queue.name);
  const flash = takeFlash();
  const members = agents.filter((a) => a.queue_ids.includes(id));
  root.append(
    back(),
    h('div', { class: 'page-head' }, title),
    h('p', { class: 'muted' }, 'Queue ', h('code', {}, queue.id)),
    flash?.queueCreated !== id ? '' : h('p', { class: 'alert alert-ok', role: 'status' }, 'Queue created. Add agents to it on their pages, and give it a number.'),
  );
  const form = queueForm(queue, others, 'Save changes', async (body) => {
    const diff = changes(queue, body);
    if (!diff) return 'Nothing to save.';
    queue = await patch(queuePath(id), diff);
    title.textContent = queue.name;
    document.title = `${queue.name} · SIVO`;
    return 'Saved. Calls already waiting keep their place; what happens next follows the new settings.';
  });

  const deleteError = h('p', { class: 'alert alert-error', role: 'alert', hidden: true, tabindex: '-1' });
  const deleteBtn = h('button', { type: 'button', class: 'btn btn-danger' }, 'Delete queue');
  deleteBtn.addEventListener('click', async () => {
    say(deleteError, '');
    const ok = await confirmDialog({
      title: `Delete the queue “${queue.name}”?`,
      message: members.length
        ? `${members.length} agent${members.length === 1 ? '' : 's'} answer${members.length === 1 ? 's' : ''} it; they keep their other queues. This can’t be undone.`
        : 'This can’t be undone.',
      confirmLabel: 'Delete queue',
      danger: true,
    });
    if (!ok) return;
    try {
      await del(queuePath(id));
      navigate('/admin/queues');
    } catch (err) {
      if (err instanceof ApiError && err.code === 'queue_in_use') {
        const [{ data: numbers }, { data: queues }] = await Promise.all([get('/numbers'), get('/queues')]).catch(() => [{ data: [] }, { data: [] }]);
        say(deleteError, queueInUse(id, numbers, queues), 'error');
      } else say(deleteError, problemText(err), 'error');
      deleteError.focus();
    }
  });

  root.append(
    h(
      'div',
      { class: 'grid' },
      h('section', { class: 'card', 'aria-labelledby': 'queue-settings-title' }, h('h2', { id: 'queue-settings-title' }, 'Settings'), form),
      h(
        'div',
        { class: 'stack' },
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'queue-agents-title' },
          h('h2', { id: 'queue-agents-title' }, 'Agents'),
          members.length
            ? h('ul', { class: 'plain-list' }, members.map((a) => h('li', {}, h('a', { href: `/admin/agents/${encodeURIComponent(a.id)}`, 'data-nav': true }, a.name), ' ', h('span', { class: 'muted' }, `ext. ${a.extension}`))))
            : h('p', { class: 'muted' }, 'No agent answers this queue yet. Choose it on an agent’s page.'),
          h('p', {}, h('a', { href: '/admin/agents', 'data-nav': true }, 'All agents')),
        ),
        h(
          'section',
          { class: 'card card-danger', 'aria-labelledby': 'queue-delete-title' },
          h('h2', { id: 'queue-delete-title' }, 'Delete'),
          h('p', { class: 'muted' }, 'A queue a number or another queue’s overflow still uses can’t be deleted.'),
          deleteBtn,
          deleteError,
        ),
      ),
    ),
  );
}
