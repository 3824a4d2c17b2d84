// Agents: the list with live presence, a new agent, and one agent's page (edit, queues,
// a softphone token minted while the Salesforce sign-in is not set up, delete). Everything
// goes through /api/v1/agents, as API clients do.

import { ApiError, del, get, patch, post } from './api.js';
import { field, formErrors, guarded, problemText } from './admin-forms.js';
import { confirmDialog, copyText, h, say, table, timeEl } from './dom.js';
import { navigate, setFlash, takeFlash } from './router.js';
import { TOKEN_LIFETIMES, agentBody, agentConflict, agentRows, changes, namesOf, presence, softphoneLink } from './telephony-model.js';

const agentPath = (id) => `/agents/${encodeURIComponent(id)}`;

function back() {
  return h('p', { class: 'crumbs' }, h('a', { href: '/admin/agents', 'data-nav': true }, '← Agents'));
}

function presenceBadge(p) {
  return h(
    'span',
    { class: 'presence' },
    h('span', { class: `badge badge-${p.kind}` }, p.label),
    h('span', { class: 'muted small' }, p.detail),
  );
}

export async function agentsPage(root, id) {
  if (id === 'new') return guarded(root, () => newAgentPage(root));
  if (id) return guarded(root, () => agentPage(root, id));
  return guarded(root, () => listPage(root));
}

async function listPage(root) {
  const refresh = h('button', { type: 'button', class: 'btn' }, 'Refresh');
  root.append(
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, 'Agents'),
      h('div', { class: 'actions' }, refresh, h('a', { class: 'btn btn-primary', href: '/admin/agents/new', 'data-nav': true }, 'New agent')),
    ),
    h('p', { class: 'muted' }, 'Each agent answers the queues chosen here, from the softphone. Status is live: refresh to see the latest.'),
  );
  const slot = h('div', {});
  const updated = h('p', { class: 'muted small', role: 'status' });
  root.append(slot, updated);
  const load = async () => {
    const [{ data: agents }, { data: queues }] = await Promise.all([get('/agents'), get('/queues')]);
    if (!agents.length) {
      slot.replaceChildren(
        h(
          'div',
          { class: 'empty card' },
          h('p', {}, 'No agents yet.'),
          h('p', {}, queues.length ? 'Add the people who answer calls, and choose their queues.' : 'Add the people who answer calls. Create a queue first if you want to pick it now.'),
          h('a', { class: 'btn btn-primary', href: '/admin/agents/new', 'data-nav': true }, 'Add an agent'),
        ),
      );
      return;
    }
    const rows = agentRows(agents, queues).map((a) => [
      h('a', { href: `/admin/agents/${encodeURIComponent(a.id)}`, 'data-nav': true }, a.name),
      a.extension,
      a.email,
      a.queues.length ? a.queues.join(', ') : h('span', { class: 'muted' }, 'None'),
      presenceBadge(a.presence),
    ]);
    slot.replaceChildren(table('Agents', ['Name', 'Extension', 'Email', 'Queues', 'Status'], rows));
    updated.textContent = `Status as of ${new Date().toLocaleTimeString()}.`;
  };
  const error = h('p', { class: 'alert alert-error', role: 'alert', hidden: true });
  root.append(error);
  refresh.addEventListener('click', async () => {
    refresh.disabled = true;
    say(error, '');
    try {
      await load();
    } catch (err) {
      say(error, problemText(err), 'error');
    } finally {
      refresh.disabled = false;
    }
  });
  await load();
}

/** The create/edit form; `queues` are the tenant's, offered as checkboxes. */
function agentForm(agent, queues, submitLabel, onSubmit) {
  const name = h('input', { name: 'name', type: 'text', value: agent?.name ?? '', autocomplete: 'off', maxlength: '200', required: true });
  const email = h('input', { name: 'email', type: 'email', value: agent?.email ?? '', autocomplete: 'off', required: true });
  const extension = h('input', { name: 'extension', type: 'text', inputmode: 'numeric', value: agent?.extension ?? '', autocomplete: 'off', required: true, class: 'short' });
  const chosen = new Set(agent?.queue_ids ?? []);
  const boxes = [...queues]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((q) => h('input', { type: 'checkbox', id: `f-queue-${q.id}`, name: 'queue_ids', value: q.id, checked: chosen.has(q.id) }));
  const queueSet = h(
    'fieldset',
    { class: 'field queues', 'data-field': 'queue_ids', 'aria-describedby': 'f-queue_ids-hint f-queue_ids-error' },
    h('legend', {}, 'Queues'),
    boxes.length
      ? h('div', { class: 'check-grid' }, boxes.map((box) => h('label', { class: 'check' }, box, h('span', {}, queues.find((q) => q.id === box.value).name))))
      : h('p', { class: 'muted' }, 'No queues yet. ', h('a', { href: '/admin/queues/new', 'data-nav': true }, 'Create a queue'), ', then come back to choose it.'),
    h('p', { class: 'hint', id: 'f-queue_ids-hint' }, 'The agent rings for calls waiting in these queues.'),
    h('p', { class: 'field-error', id: 'f-queue_ids-error', hidden: true }),
  );
  const formError = h('p', { class: 'alert alert-error', role: 'alert', hidden: true });
  const saved = h('p', { class: 'saved', role: 'status', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, submitLabel);
  const form = h(
    'form',
    { class: 'stack agent-form', novalidate: true },
    formError,
    field('name', 'Name', name, 'As callers and colleagues see it, e.g. Ada Lovelace.'),
    field('email', 'Email', email, 'Unique in your tenant; it matches the agent to a Salesforce user.'),
    field('extension', 'Extension', extension, '2 to 8 digits, unique in your tenant; colleagues dial it to transfer.'),
    queueSet,
    h('div', { class: 'actions' }, submit, saved),
  );
  const errors = formErrors(form, formError, { name, email, extension, queue_ids: queueSet }, { names: () => namesOf(queues) });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errors.clear();
    say(saved, '');
    const body = agentBody({
      name: name.value,
      email: email.value,
      extension: extension.value,
      queue_ids: boxes.filter((b) => b.checked).map((b) => b.value),
    });
    submit.disabled = true;
    try {
      const message = await onSubmit(body);
      if (message) say(saved, message, 'ok');
    } catch (err) {
      // 409 says "email or extension": the tenant's agents tell which, and whose it is.
      const clash = err instanceof ApiError && err.status === 409 ? await get('/agents').then(({ data }) => agentConflict(body, data, agent?.id), () => null) : null;
      if (clash) errors.show(new ApiError(err.status, err.code, clash.message, clash.field));
      else errors.show(err);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

async function newAgentPage(root) {
  root.append(back(), h('h1', {}, 'New agent'));
  const { data: queues } = await get('/queues');
  const form = agentForm(null, queues, 'Create agent', async (body) => {
    const created = await post('/agents', body);
    setFlash({ agentCreated: created.id });
    navigate(`/admin/agents/${encodeURIComponent(created.id)}`);
    return '';
  });
  root.append(h('section', { class: 'card narrow-card' }, form));
}

/** The token, shown once, with a copy button and a link that opens the softphone with it. */
function tokenBox(minted, name) {
  const value = h('input', { id: 'token-value', class: 'mono', type: 'text', value: minted.token, readOnly: true, 'aria-label': 'Token', spellcheck: 'false' });
  const copied = h('span', { class: 'muted', role: 'status' });
  const link = softphoneLink(location.origin, minted.token);
  const box = h(
    'section',
    { class: 'secret-box', 'aria-labelledby': 'token-title', 'data-testid': 'token-box' },
    h('h3', { id: 'token-title' }, `New token for ${name}`),
    h('p', {}, h('strong', {}, 'Copy it now: it won’t be shown again. '), 'Anyone holding it can sign in as this agent until ', timeEl(minted.expires_at), '.'),
    h(
      'div',
      { class: 'copy-row' },
      value,
      h('button', { type: 'button', class: 'btn', onclick: async () => { copied.textContent = (await copyText(minted.token, value)) ? 'Copied.' : 'Press Ctrl+C to copy.'; } }, 'Copy token'),
      copied,
    ),
    h('p', {}, 'Paste it into the softphone’s sign-in, or ', h('a', { href: link, target: '_blank', rel: 'noopener noreferrer' }, 'open the softphone signed in with it'), ' (the token travels in the link’s fragment, which is never sent to a server).'),
    h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => box.remove() }, 'I’ve saved it, hide'),
  );
  value.addEventListener('focus', () => value.select());
  return box;
}

function tokenCard(current) {
  const lifetime = h('select', { id: 'token-ttl', name: 'ttl_s' }, TOKEN_LIFETIMES.map((t) => h('option', { value: String(t.seconds) }, t.label)));
  const mint = h('button', { type: 'button', class: 'btn' }, 'Mint a token');
  const error = h('p', { class: 'alert alert-error', role: 'alert', hidden: true });
  const slot = h('div', {});
  mint.addEventListener('click', async () => {
    say(error, '');
    mint.disabled = true;
    try {
      const agent = current();
      const minted = await post(`${agentPath(agent.id)}/tokens`, { ttl_s: Number(lifetime.value) });
      slot.replaceChildren(tokenBox(minted, agent.name));
      slot.querySelector('#token-value').focus();
    } catch (err) {
      say(error, problemText(err), 'error');
    } finally {
      mint.disabled = false;
    }
  });
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'token-card-title' },
    h('h2', { id: 'token-card-title' }, 'Softphone token'),
    h('p', { class: 'muted' }, 'For a softphone while Salesforce sign-in is not set up: the agent signs in with this token instead. Once Salesforce is connected, agents sign in with their Salesforce user and need none.'),
    h('div', { class: 'inline-form' }, h('div', { class: 'field' }, h('label', { for: 'token-ttl' }, 'Valid for'), lifetime), mint),
    error,
    slot,
  );
}

async function agentPage(root, id) {
  let agent;
  let queues;
  try {
    [agent, { data: queues }] = await Promise.all([get(agentPath(id)), get('/queues')]);
  } catch (err) {
    root.append(back(), h('h1', {}, 'Agent'), h('p', { class: 'alert alert-error', role: 'alert' }, err.status === 404 ? 'This agent does not exist (it may have been deleted).' : problemText(err)));
    return;
  }
  const title = h('h1', {}, agent.name);
  let badge = presenceBadge(presence(agent));
  const flash = takeFlash();
  root.append(
    back(),
    h('div', { class: 'page-head' }, h('div', { class: 'title-row' }, title, badge)),
    h('p', { class: 'muted' }, 'Agent ', h('code', {}, agent.id), ' · extension ', agent.extension, ' · created ', timeEl(agent.created_at)),
    flash?.agentCreated !== id ? '' : h('p', { class: 'alert alert-ok', role: 'status' }, 'Agent created. Mint a softphone token below if Salesforce sign-in is not set up yet.'),
  );
  const form = agentForm(agent, queues, 'Save changes', async (body) => {
    const diff = changes(agent, body);
    if (!diff) return 'Nothing to save.';
    agent = await patch(agentPath(id), diff);
    title.textContent = agent.name;
    document.title = `${agent.name} · SIVO`;
    const fresh = presenceBadge(presence(agent));
    badge.replaceWith(fresh);
    badge = fresh;
    return diff.queue_ids ? 'Saved. A signed-in softphone gets the new queues at once.' : 'Saved.';
  });

  const deleteError = h('p', { class: 'alert alert-error', role: 'alert', hidden: true });
  const deleteBtn = h('button', { type: 'button', class: 'btn btn-danger' }, 'Delete agent');
  deleteBtn.addEventListener('click', async () => {
    const ok = await confirmDialog({
      title: `Delete the agent “${agent.name}”?`,
      message: 'Their softphone, if signed in, is signed out now. Their past calls stay in the history. This can’t be undone.',
      confirmLabel: 'Delete agent',
      danger: true,
    });
    if (!ok) return;
    say(deleteError, '');
    try {
      await del(agentPath(id));
      navigate('/admin/agents');
    } catch (err) {
      say(deleteError, err instanceof ApiError && err.status === 404 ? 'This agent was deleted already.' : problemText(err), 'error');
    }
  });

  root.append(
    h(
      'div',
      { class: 'grid' },
      h('section', { class: 'card', 'aria-labelledby': 'agent-settings-title' }, h('h2', { id: 'agent-settings-title' }, 'Settings'), form),
      h(
        'div',
        { class: 'stack' },
        tokenCard(() => agent),
        h(
          'section',
          { class: 'card card-danger', 'aria-labelledby': 'agent-delete-title' },
          h('h2', { id: 'agent-delete-title' }, 'Delete'),
          h('p', { class: 'muted' }, 'Signs out their softphone; their past calls stay in the history.'),
          deleteBtn,
          deleteError,
        ),
      ),
    ),
  );
}
