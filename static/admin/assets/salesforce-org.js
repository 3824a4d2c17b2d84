// One connected org: what discovery found, the call center, the SCRT2 base URL, then the
// users (salesforce-users.js), the SCRT2 certificates (salesforce-keys.js), Service Cloud
// Voice's settings and request log (salesforce-scrt2.js) and Disconnect.

import { ApiError, del, get, patch, post } from './api.js';
import { confirmDialog, h, say, table, timeEl } from './dom.js';
import { navigate, setFlash } from './router.js';
import { badge, orgPath, reconnectLink } from './salesforce.js';
import { keysCard } from './salesforce-keys.js';
import { loadScrt2Requests, scrt2Section } from './salesforce-scrt2.js';
import { callCenterLabel, callCenterView, connectedMessage, discoveryValue, environmentLabel, orgStatus, scrtOverride, scrtView } from './salesforce-model.js';
import { usersCard } from './salesforce-users.js';

const UNCERTAIN = 'Derived by a rule Salesforce does not document: check it.';

function uncertainMark() {
  return h('span', { class: 'badge badge-warn', title: UNCERTAIN }, 'uncertain', h('span', { class: 'visually-hidden' }, `: ${UNCERTAIN}`));
}

function discoveryCard(org) {
  const rows = org.discovery.map((d) => [
    h('span', { class: 'nowrap' }, d.name),
    h(
      'span',
      { class: 'value-cell' },
      d.value === null ? h('span', { class: 'muted' }, 'not found') : h('code', { class: 'break' }, discoveryValue(d)),
      d.uncertain && ' ',
      d.uncertain && uncertainMark(),
    ),
    h('span', { class: 'how break' }, d.how),
  ]);
  const card = h(
    'section',
    { class: 'card', 'aria-labelledby': 'discovery-title' },
    h('h2', { id: 'discovery-title' }, 'What SIVO found'),
    h('p', { class: 'muted' }, 'Read from the org when it was connected, each with how it was found.'),
    table('What SIVO found in the org', ['Setting', 'Value', 'How SIVO found it'], rows),
  );
  card.querySelector('table').classList.add('discovery');
  return card;
}

function callCenterDownload(org, { small = false } = {}) {
  return h(
    'a',
    { class: small ? 'btn btn-small' : 'btn', href: `/api/v1${orgPath(org.id)}/call-center.xml`, download: 'SIVO_CallCenter.xml' },
    'Download the call center definition',
  );
}

/**
 * Opened by the package's SIVO Connector tab (a window from its click): tell it, on the
 * org's Lightning origin only, so that it records the link to SIVO in the org.
 */
function tellThePackage(org) {
  if (!window.opener || window.opener === window) return;
  window.opener.postMessage(connectedMessage(org, location.origin), org.lightning_origin);
}

/** The call center SIVO uses: shown, picked among several, or how to import the package's. */
function callCenterCard(initial) {
  const body = h('div', { class: 'stack' });
  const error = h('p', { class: 'alert alert-error', role: 'alert', hidden: true });
  const saved = h('p', { class: 'saved', role: 'status', hidden: true });

  function picker(view) {
    const select = h(
      'select',
      { id: 'sf-call-center', name: 'call_center_id' },
      view.kind === 'pick' && h('option', { value: '' }, 'Choose a call center…'),
      view.choices.map((c) => h('option', { value: c.id, selected: c.id === view.center?.id }, callCenterLabel(c))),
    );
    const save = h('button', { type: 'submit', class: `btn ${view.kind === 'pick' ? 'btn-primary' : ''}` }, 'Use this call center');
    const form = h(
      'form',
      { class: 'inline-form' },
      h('div', { class: 'field' }, h('label', { for: 'sf-call-center' }, view.kind === 'pick' ? 'Call center' : 'Switch to'), select),
      h('div', { class: 'actions' }, save),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      say(error, '');
      say(saved, '');
      if (!select.value) {
        say(error, 'Choose one of the call centers.', 'error');
        select.focus();
        return;
      }
      save.disabled = true;
      try {
        const org = await patch(orgPath(initial.id), { call_center_id: select.value });
        render(org);
        say(saved, `SIVO now uses ${callCenterLabel(org.call_center)}.`, 'ok');
      } catch (err) {
        say(error, err.message, 'error');
        save.disabled = false;
      }
    });
    return form;
  }

  function render(org) {
    const view = callCenterView(org);
    if (view.kind === 'chosen') {
      body.replaceChildren(
        h('p', {}, 'Calls for this org use ', h('strong', {}, view.center.name || view.center.internal_name), ' (', h('code', {}, view.center.internal_name), ').'),
        view.canSwitch ? picker(view) : '',
        h('p', { class: 'muted small' }, 'After activating a new SCRT2 key, import the definition again: it carries the active certificate.'),
        h('div', { class: 'actions' }, callCenterDownload(org)),
      );
    } else if (view.kind === 'pick') {
      body.replaceChildren(
        h('p', {}, `The org has ${view.choices.length} SIVO_ call centers. Choose the one its agents use.`),
        picker(view),
      );
    } else {
      body.replaceChildren(
        h('p', { class: 'alert alert-warn' }, 'No SIVO_ call center in this org yet. SIVO’s package has one to import:'),
        h(
          'ol',
          { class: 'steps' },
          h('li', {}, 'Get its definition for this org: ', callCenterDownload(org, { small: true }), ' or run ', h('code', {}, `sivo salesforce call-center --org ${org.id}`), ' on the SIVO server.'),
          h('li', {}, 'In Salesforce, open ', h('strong', {}, 'Setup → Call Centers'), ', click ', h('strong', {}, 'Import'), ' and choose the file.'),
          h('li', {}, 'Add your agents’ users to it (Manage Call Center Users), then look for it again here.'),
        ),
        h('div', { class: 'actions' }, lookAgain(org)),
      );
    }
  }
  /** Discovery again with the stored tokens: finds a call center imported since. */
  function lookAgain(org) {
    const button = h('button', { type: 'button', class: 'btn btn-primary' }, 'Look for it again');
    button.addEventListener('click', async () => {
      say(error, '');
      button.disabled = true;
      try {
        const found = await post(`${orgPath(org.id)}/discover`);
        render(found);
        say(saved, found.call_center ? `Found ${callCenterLabel(found.call_center)}.` : 'Still no SIVO_ call center in the org.', 'ok');
      } catch (err) {
        say(error, err.message, 'error');
      } finally {
        button.disabled = false;
      }
    });
    return button;
  }

  render(initial);
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'cc-title' },
    h('h2', { id: 'cc-title' }, 'Call center'),
    body,
    error,
    saved,
  );
}

/** The SCRT2 base URL: what is used and where it came from, and the admin's override. */
function scrtCard(initial) {
  const facts = h('dl', { class: 'facts' });
  const input = h('input', {
    id: 'sf-scrt-url',
    name: 'scrt_base_url',
    type: 'text',
    inputmode: 'url',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'acme.my.salesforce-scrt.com',
    'aria-describedby': 'sf-scrt-hint sf-scrt-error',
  });
  const fieldError = h('p', { class: 'field-error', id: 'sf-scrt-error', hidden: true });
  const error = h('p', { class: 'alert alert-error', role: 'alert', hidden: true });
  const saved = h('p', { class: 'saved', role: 'status', hidden: true });
  const save = h('button', { type: 'submit', class: 'btn' }, 'Save override');
  const reset = h('button', { type: 'button', class: 'btn btn-ghost' }, 'Use what discovery found');

  function render(org) {
    const view = scrtView(org);
    facts.replaceChildren(
      h('dt', {}, 'Base URL'),
      h('dd', {}, view.url ? h('code', { class: 'break' }, view.url) : h('strong', { class: 'error-text' }, 'Not set'), view.uncertain && ' ', view.uncertain && uncertainMark()),
      h('dt', {}, 'Source'),
      h('dd', { 'data-source': view.source }, view.sourceLabel),
    );
    reset.hidden = !view.overridden;
  }

  async function send(value, message) {
    say(error, '');
    say(saved, '');
    say(fieldError, '');
    input.removeAttribute('aria-invalid');
    save.disabled = reset.disabled = true;
    try {
      const org = await patch(orgPath(initial.id), { scrt_base_url: value });
      render(org);
      input.value = '';
      say(saved, message(org), 'ok');
    } catch (err) {
      if (err instanceof ApiError && err.field === 'scrt_base_url') {
        say(fieldError, err.message, 'error');
        input.setAttribute('aria-invalid', 'true');
        input.focus();
      } else {
        say(error, err.message, 'error');
      }
    } finally {
      save.disabled = reset.disabled = false;
    }
  }

  const form = h(
    'form',
    { class: 'stack', novalidate: true },
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'sf-scrt-url' }, 'Override the SCRT2 base URL'),
      input,
      h('p', { class: 'hint', id: 'sf-scrt-hint' }, 'Only if the value above is wrong or missing. Find it in Salesforce Setup → Contact Center → SCRT2; https only.'),
      fieldError,
    ),
    h('div', { class: 'actions' }, save, reset),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const typed = scrtOverride(input.value);
    if (typed.error) {
      say(fieldError, typed.error, 'error');
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    send(typed.value, (org) => `SIVO now sends call events to ${org.scrt_base_url}.`);
  });
  reset.addEventListener('click', () => send(null, (org) => (org.scrt_base_url ? `Back to ${org.scrt_base_url}, as discovery found it.` : 'Override removed; discovery found no SCRT2 base URL.')));
  render(initial);
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'scrt-title' },
    h('h2', { id: 'scrt-title' }, 'SCRT2 base URL'),
    h('p', { class: 'muted' }, 'Where SIVO sends the org’s call events (Service Cloud Real-Time).'),
    facts,
    form,
    error,
    saved,
  );
}

function disconnectCard(org) {
  const button = h('button', { type: 'button', class: 'btn btn-danger' }, 'Disconnect');
  const error = h('p', { class: 'alert alert-error', role: 'alert', hidden: true });
  button.addEventListener('click', async () => {
    const ok = await confirmDialog({
      title: `Disconnect ${org.name}?`,
      message: 'SIVO revokes its access at Salesforce and forgets the org’s user links and SCRT2 keys. Agents stay in SIVO. You can connect the org again later.',
      confirmLabel: 'Disconnect',
      danger: true,
    });
    if (!ok) return;
    say(error, '');
    button.disabled = true;
    try {
      await del(orgPath(org.id));
      setFlash({ disconnected: org.name });
      navigate('/admin/salesforce');
    } catch (err) {
      say(error, err.message, 'error');
      button.disabled = false;
    }
  });
  return h(
    'section',
    { class: 'card card-danger', 'aria-labelledby': 'disconnect-title' },
    h('h2', { id: 'disconnect-title' }, 'Disconnect'),
    h('p', { class: 'muted' }, 'Stops SCRT2 events and console sign-in for this org.'),
    button,
    error,
  );
}

function head(org) {
  const status = orgStatus(org);
  let statusBadge = badge(status.label, status.kind);
  const badges = h('span', { class: 'badges' }, org.is_sandbox && badge(environmentLabel(org), 'warn'), statusBadge);
  const nodes = [
    h('p', { class: 'crumbs' }, h('a', { href: '/admin/salesforce', 'data-nav': true }, '← Salesforce')),
    h('div', { class: 'page-head' }, h('div', { class: 'title-row' }, h('h1', {}, org.name || org.org_id), badges)),
    h(
      'p',
      { class: 'muted' },
      'Org ID ', h('code', {}, org.org_id), ' · ', environmentLabel(org), ' · approved by ', org.connected_by, ' · connected ', timeEl(org.connected_at),
    ),
  ];
  const setStatus = (next) => {
    const shown = orgStatus(next);
    const replacement = badge(shown.label, shown.kind);
    statusBadge.replaceWith(replacement);
    statusBadge = replacement;
  };
  return { nodes, setStatus };
}

function reconnectAlert(org, reason) {
  return h(
    'div',
    { class: 'alert alert-error reconnect', role: 'alert' },
    h('p', {}, h('strong', {}, 'Needs reconnect: '), reason, ' Work for this org waits until you connect it again.'),
    reconnectLink(org, { small: false }),
  );
}

export async function orgPage(root, id) {
  const [org, users, keys, queues, scrt2Requests] = await Promise.all([
    get(orgPath(id)),
    get(`${orgPath(id)}/users`),
    get(`${orgPath(id)}/keys`),
    get('/queues').catch((err) => ({ error: err })),
    loadScrt2Requests(id),
  ]);
  const top = head(org);
  root.append(...top.nodes);
  const alertSlot = h('div', { class: 'alert-slot' });
  const query = new URLSearchParams(location.search);
  if (query.get('connected') === '1') {
    alertSlot.append(
      h('p', { class: 'alert alert-ok', role: 'status', 'data-testid': 'connected-banner' }, h('strong', {}, `Connected to ${org.name}. `), 'SIVO read the settings below. Next: import the org’s users and create their agents.'),
    );
    history.replaceState(null, '', location.pathname); // a reload does not announce it again
    tellThePackage(org);
  }
  const status = orgStatus(org);
  if (status.needsReconnect) alertSlot.append(reconnectAlert(org, status.reason));
  // An import can find the refresh token refused: the org needs reconnecting from then on.
  const needsReconnect = (reason) => {
    const marked = { ...org, status: 'needs_reconnect', status_reason: reason };
    top.setStatus(marked);
    alertSlot.replaceChildren(reconnectAlert(marked, reason));
  };
  root.append(
    alertSlot,
    h(
      'div',
      { class: 'grid' },
      discoveryCard(org),
      h('div', { class: 'stack' }, callCenterCard(org), scrtCard(org)),
    ),
    usersCard(org, users.data, queues, needsReconnect),
    keysCard(org, keys.data),
    scrt2Section(org, scrt2Requests),
    disconnectCard(org),
  );
}
