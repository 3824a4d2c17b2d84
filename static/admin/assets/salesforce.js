// Salesforce: the connected orgs and the Connect with Salesforce form. Connecting is a plain
// top-window navigation to /admin/salesforce/connect (the server sends the admin on to
// Salesforce's login page, and Salesforce back to the org's page here).

import { get } from './api.js';
import { h, say, table } from './dom.js';
import { takeFlash } from './router.js';
import { connectTarget, environmentLabel, orgStatus, reconnectUrl } from './salesforce-model.js';

export const orgPath = (id) => `/salesforce/orgs/${encodeURIComponent(id)}`;

export function badge(label, kind) {
  return h('span', { class: `badge badge-${kind}` }, label);
}

export function statusCell(org) {
  const status = orgStatus(org);
  return h(
    'div',
    { class: 'status-cell' },
    badge(status.label, status.kind),
    status.needsReconnect && h('p', { class: 'small error-text' }, status.reason),
  );
}

/** Reconnect: a link, so it is a plain navigation like Connect. */
export function reconnectLink(org, { small = true } = {}) {
  return h(
    'a',
    { class: `btn ${small ? 'btn-small' : ''} btn-primary`, href: reconnectUrl(org), 'aria-label': `Reconnect ${org.name}` },
    'Reconnect',
  );
}

const CHOICES = [
  ['production', 'Production', 'login.salesforce.com'],
  ['sandbox', 'Sandbox', 'test.salesforce.com'],
  ['my_domain', 'My Domain', 'your company’s own login address'],
];

/** Production / Sandbox / My Domain, and the button that goes to Salesforce. */
export function connectForm({ title, narrow = false }) {
  const radios = CHOICES.map(([value]) =>
    h('input', { type: 'radio', name: 'login', id: `sf-login-${value}`, value, checked: value === 'production' }),
  );
  const domain = h('input', {
    id: 'sf-my-domain',
    name: 'my_domain',
    type: 'text',
    inputmode: 'url',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'acme.my.salesforce.com',
    'aria-describedby': 'sf-my-domain-hint sf-my-domain-error',
  });
  const domainError = h('p', { class: 'field-error', id: 'sf-my-domain-error', hidden: true });
  const domainField = h(
    'div',
    { class: 'field my-domain', hidden: true },
    h('label', { for: 'sf-my-domain' }, 'My Domain'),
    domain,
    h(
      'p',
      { class: 'hint', id: 'sf-my-domain-hint' },
      'The address you log in at, e.g. ', h('span', { class: 'nowrap' }, 'acme.my.salesforce.com'),
      ' (', h('span', { class: 'nowrap' }, 'acme--uat.sandbox.my.salesforce.com'), ' for a sandbox). Just “acme” works too.',
    ),
    domainError,
  );
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Connect with Salesforce');
  const going = h('p', { class: 'muted small', role: 'status', hidden: true });
  const choice = () => radios.find((r) => r.checked)?.value ?? '';
  const sync = () => {
    domainField.hidden = choice() !== 'my_domain';
    say(domainError, '');
    domain.removeAttribute('aria-invalid');
  };
  for (const radio of radios) radio.addEventListener('change', sync);

  const form = h(
    'form',
    { class: 'stack connect-form', novalidate: true, 'aria-labelledby': 'connect-title' },
    h(
      'fieldset',
      { class: 'choices' },
      h('legend', {}, 'Where do you log in to Salesforce?'),
      CHOICES.map(([value, label, hint], i) =>
        h('label', { class: 'choice', for: `sf-login-${value}` }, radios[i], h('span', {}, h('strong', {}, label), h('span', { class: 'muted small' }, hint))),
      ),
    ),
    domainField,
    h('div', { class: 'actions' }, submit, going),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const target = connectTarget(choice(), domain.value);
    if (target.error) {
      say(domainError, target.error, 'error');
      domain.setAttribute('aria-invalid', 'true');
      domain.focus();
      return;
    }
    submit.disabled = true;
    say(going, 'Opening Salesforce’s login page…');
    location.assign(target.url);
  });
  // Coming back with the browser's Back button restores the page from the cache, disabled.
  window.addEventListener(
    'pageshow',
    () => {
      submit.disabled = false;
      say(going, '');
    },
    { once: true },
  );
  return h(
    'section',
    { class: `card connect${narrow ? ' narrow' : ''}`, 'aria-labelledby': 'connect-title' },
    h('h2', { id: 'connect-title' }, title),
    h('p', { class: 'muted' }, 'You log in on Salesforce’s own page and allow SIVO; Salesforce sends you back here. SIVO never sees your Salesforce password.'),
    form,
  );
}

function emptyState() {
  return h(
    'section',
    { class: 'card empty-state', 'aria-labelledby': 'empty-title' },
    h('h2', { id: 'empty-title' }, 'No Salesforce org connected yet'),
    h('p', {}, 'Connecting lets your agents take SIVO calls in the Salesforce Service Console. When you connect, SIVO:'),
    h(
      'ol',
      { class: 'steps' },
      h('li', {}, 'reads the org’s ID, whether it is a sandbox, its My Domain and its SIVO_ call centers, and shows how it found each;'),
      h('li', {}, 'finds (or lets you set) the SCRT2 address it sends call events to, and makes the certificate it signs them with;'),
      h('li', {}, 'lets you import the org’s users and create their SIVO agents in one click.'),
    ),
    h('p', { class: 'muted' }, 'Nothing to copy and paste. It takes a few minutes.'),
  );
}

export async function salesforcePage(root) {
  root.append(
    h('h1', {}, 'Salesforce'),
    h('p', { class: 'muted' }, 'Orgs whose agents answer SIVO calls in the Service Console.'),
  );
  const flash = takeFlash();
  if (flash?.disconnected) {
    root.append(h('p', { class: 'alert alert-ok', role: 'status' }, `Disconnected ${flash.disconnected}. SIVO revoked its access and forgot the org’s users and keys.`));
  }
  const { data: orgs } = await get('/salesforce/orgs');
  if (!orgs.length) {
    root.append(h('div', { class: 'grid' }, emptyState(), connectForm({ title: 'Connect with Salesforce' })));
    return;
  }
  const rows = orgs.map((org) => [
    h('a', { href: `/admin/salesforce/${encodeURIComponent(org.id)}`, 'data-nav': true }, org.name || org.org_id),
    h('code', {}, org.org_id),
    org.is_sandbox ? badge(environmentLabel(org), 'warn') : h('span', {}, environmentLabel(org)),
    statusCell(org),
    orgStatus(org).needsReconnect ? reconnectLink(org) : '',
  ]);
  root.append(
    table('Connected Salesforce orgs', ['Org', 'Org ID', 'Environment', 'Status', h('span', { class: 'visually-hidden' }, 'Actions')], rows),
    connectForm({ title: 'Connect another org', narrow: true }),
  );
}
