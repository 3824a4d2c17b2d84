// An org's users: import them (matched to agents by email), then create agents for the
// unmatched ones, in chosen queues, with one click.

import { post } from './api.js';
import { h, say, table } from './dom.js';
import { badge, orgPath } from './salesforce.js';
import {
  USER_STATES,
  createAgentsLabel,
  importSummary,
  keepSelectable,
  plural,
  selectAllState,
  summariseUsers,
} from './salesforce-model.js';

const BATCH = 500; // AgentsFromUsers.user_ids takes at most 500

/** Checkboxes for the tenant's queues (`queues` is GET /queues's answer, or {error}). */
function queuePicker(queues) {
  const legend = h('legend', {}, 'Queues for the new agents');
  if (queues.error) {
    return { el: h('fieldset', { class: 'queues' }, legend, h('p', { class: 'error-text' }, `Could not load the queues: ${queues.error.message}`)), chosen: () => [] };
  }
  if (!queues.data.length) {
    return {
      el: h('fieldset', { class: 'queues' }, legend, h('p', { class: 'muted small' }, 'This tenant has no queues yet, so the new agents join none. Add them to queues later.')),
      chosen: () => [],
    };
  }
  const boxes = queues.data.map((q) => h('input', { type: 'checkbox', name: 'queue_ids', value: q.id, id: `sf-queue-${q.id}` }));
  return {
    el: h(
      'fieldset',
      { class: 'queues' },
      legend,
      h('div', { class: 'check-grid' }, boxes.map((box, i) => h('label', { class: 'check', for: box.id }, box, h('span', {}, queues.data[i].name)))),
    ),
    chosen: () => boxes.filter((b) => b.checked).map((b) => b.value),
  };
}

/** `onNeedsReconnect(reason)`: the import found that Salesforce refused the refresh token. */
export function usersCard(org, initialUsers, queues, onNeedsReconnect) {
  let users = initialUsers;
  let selected = new Set();
  const importBtn = h('button', { type: 'button', class: 'btn btn-primary' }, 'Auto-import SF users');
  const status = h('p', { class: 'alert alert-ok', role: 'status', hidden: true });
  const error = h('p', { class: 'alert alert-error', role: 'alert', hidden: true });
  const counts = h('ul', { class: 'counts', 'aria-label': 'Users by state' });
  const body = h('div', {});
  const selectAll = h('input', { type: 'checkbox', id: 'sf-select-unmatched' });
  const selectAllText = h('span', {}, 'Select all unmatched');
  const picker = queuePicker(queues);
  const createBtn = h('button', { type: 'button', class: 'btn btn-primary', disabled: true }, createAgentsLabel(0));
  const createArea = h(
    'div',
    { class: 'create-agents stack' },
    h('h3', {}, 'Create agents for users without one'),
    picker.el,
    h('div', { class: 'actions' }, createBtn, h('span', { class: 'muted small' }, 'Each gets the user’s name and email and the next free extension from 100, linked to the user.')),
  );

  const syncSelection = () => {
    const state = selectAllState(selected, users);
    selectAll.checked = state.checked;
    selectAll.indeterminate = state.indeterminate;
    selectAll.disabled = state.disabled;
    createBtn.textContent = createAgentsLabel(state.count);
    createBtn.disabled = state.count === 0;
    for (const box of body.querySelectorAll('input[data-user-id]')) box.checked = selected.has(box.dataset.userId);
  };

  function render() {
    selected = keepSelectable(selected, users);
    const sum = summariseUsers(users);
    importBtn.className = sum.total ? 'btn' : 'btn btn-primary';
    counts.replaceChildren(
      ...['linked', 'unmatched', 'inactive'].map((state) =>
        h('li', { 'data-state': state }, badge(USER_STATES[state].label, USER_STATES[state].kind), ' ', h('strong', {}, String(sum[state]))),
      ),
    );
    counts.hidden = !sum.total;
    selectAllText.textContent = `Select all unmatched (${sum.unmatched})`;
    createArea.hidden = sum.unmatched === 0;
    if (!sum.total) {
      body.replaceChildren(h('p', { class: 'empty' }, 'No users imported yet. Auto-import reads the org’s active users and links each to the SIVO agent with the same email.'));
      syncSelection();
      return;
    }
    const selectable = sum.unmatched > 0;
    const rows = users.map((u) => {
      const state = USER_STATES[u.state] ?? { label: u.state, kind: 'muted' };
      const pick =
        u.state === 'unmatched'
          ? h('input', {
              type: 'checkbox',
              'data-user-id': u.user_id,
              'aria-label': `Select ${u.name || u.email}`,
              onchange: (event) => {
                if (event.target.checked) selected.add(u.user_id);
                else selected.delete(u.user_id);
                syncSelection();
              },
            })
          : '';
      return [
        ...(selectable ? [pick] : []),
        u.name || h('span', { class: 'muted' }, '—'),
        h('span', { class: 'break' }, u.email),
        badge(state.label, state.kind),
        u.agent_id ? h('code', {}, u.agent_id) : h('span', { class: 'muted' }, '—'),
      ];
    });
    const headers = ['Name', 'Email', 'State', 'SIVO agent'];
    if (selectable) headers.unshift(h('span', { class: 'visually-hidden' }, 'Select'));
    body.replaceChildren(
      h('div', { class: 'actions select-row', hidden: !selectable }, h('label', { class: 'check', for: 'sf-select-unmatched' }, selectAll, selectAllText)),
      table('Salesforce users', headers, rows),
    );
    body.querySelector('table').classList.toggle('selectable', selectable);
    syncSelection();
  }

  selectAll.addEventListener('change', () => {
    selected = selectAll.checked ? new Set(users.filter((u) => u.state === 'unmatched').map((u) => u.user_id)) : new Set();
    syncSelection();
  });

  importBtn.addEventListener('click', async () => {
    say(error, '');
    say(status, '');
    importBtn.disabled = true;
    importBtn.setAttribute('aria-busy', 'true');
    try {
      const result = await post(`${orgPath(org.id)}/users/import`);
      users = result.users;
      render();
      say(status, importSummary(result), 'ok');
    } catch (err) {
      say(error, err.message, 'error');
      if (err.code === 'needs_reconnect') onNeedsReconnect?.(err.message);
    } finally {
      importBtn.disabled = false;
      importBtn.removeAttribute('aria-busy');
    }
  });

  createBtn.addEventListener('click', async () => {
    const ids = [...selected];
    if (!ids.length) return;
    say(error, '');
    say(status, '');
    createBtn.disabled = true;
    const created = [];
    try {
      for (let i = 0; i < ids.length; i += BATCH) {
        const result = await post(`${orgPath(org.id)}/users/agents`, { user_ids: ids.slice(i, i + BATCH), queue_ids: picker.chosen() });
        created.push(...result.created);
        users = result.users;
      }
      render();
      say(status, `Created ${plural(created.length, 'agent')}, each linked to its Salesforce user.`, 'ok');
    } catch (err) {
      if (created.length) render();
      say(error, created.length ? `Created ${plural(created.length, 'agent')}, then: ${err.message}` : err.message, 'error');
      syncSelection();
    }
  });

  render();
  return h(
    'section',
    { class: 'card users stack', 'aria-labelledby': 'users-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'users-title' }, 'Users'), importBtn),
    h('p', { class: 'muted' }, 'Import reads the org’s active users and links each to the SIVO agent with the same email. Run it again any time: links made before are kept.'),
    status,
    error,
    counts,
    body,
    createArea,
  );
}
