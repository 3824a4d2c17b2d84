// Entry point: loads the session, then routes /admin/... paths to pages.

import { loadSession } from './api.js';
import { callDetailPage, callsPage } from './calls.js';
import { h } from './dom.js';
import { agentsPage } from './agents.js';
import { dlqPage } from './dlq.js';
import { detailPage, listPage, newPage } from './endpoints.js';
import { numbersPage } from './numbers.js';
import { queuesPage } from './queues.js';
import { reportsPage } from './reports.js';
import { NAVIGATE, interceptLinks } from './router.js';
import { salesforcePage } from './salesforce.js';
import { orgPage } from './salesforce-org.js';
import { settingsPage } from './settings.js';
import { wallboardPage } from './wallboard.js';

const ROUTES = [
  [/^\/admin\/?$/, 'wallboard', wallboardPage], // what a supervisor looks at first
  [/^\/admin\/endpoints\/?$/, 'endpoints', listPage],
  [/^\/admin\/endpoints\/new\/?$/, 'endpoints', newPage],
  [/^\/admin\/endpoints\/([^/]+)\/?$/, 'endpoints', detailPage],
  [/^\/admin\/dlq\/?$/, 'dlq', dlqPage],
  [/^\/admin\/calls\/?$/, 'calls', callsPage],
  [/^\/admin\/calls\/([^/]+)\/?$/, 'calls', callDetailPage],
  [/^\/admin\/settings\/?$/, 'settings', settingsPage],
  [/^\/admin\/wallboard\/?$/, 'wallboard', wallboardPage],
  [/^\/admin\/queues(?:\/([^/]+))?\/?$/, 'queues', queuesPage],
  [/^\/admin\/agents(?:\/([^/]+))?\/?$/, 'agents', agentsPage],
  [/^\/admin\/numbers(?:\/([^/]+))?\/?$/, 'numbers', numbersPage],
  [/^\/admin\/reports\/?$/, 'reports', reportsPage],
  [/^\/admin\/salesforce\/?$/, 'salesforce', salesforcePage],
  [/^\/admin\/salesforce\/([^/]+)\/?$/, 'salesforce', orgPage],
];

function notFound(root) {
  root.append(
    h('h1', { tabindex: '-1' }, 'Page not found'),
    h('p', {}, h('a', { href: '/admin/endpoints', 'data-nav': true }, 'Back to endpoints')),
  );
}

async function render() {
  const main = document.getElementById('main');
  const path = location.pathname;
  let match = null;
  let section = '';
  let page = notFound;
  for (const [pattern, name, fn] of ROUTES) {
    match = path.match(pattern);
    if (match) {
      section = name;
      page = fn;
      break;
    }
  }
  for (const link of document.querySelectorAll('.mainnav a')) {
    if (link.dataset.section === section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const root = h('div', { class: 'page' });
  main.replaceChildren(root);
  try {
    // An optional group that did not match stays undefined (not the text "undefined").
    const parts = match ? match.slice(1).map((part) => part && decodeURIComponent(part)) : [];
    await page(root, ...parts);
  } catch (err) {
    root.append(h('p', { class: 'alert alert-error', role: 'alert' }, err.message || String(err)));
  }
  const heading = root.querySelector('h1');
  if (heading) {
    document.title = `${heading.textContent} · SIVO`;
    if (document.activeElement === document.body || !root.contains(document.activeElement)) {
      heading.setAttribute('tabindex', '-1');
      heading.focus({ preventScroll: true });
    }
  }
}

async function start() {
  const session = await loadSession();
  document.getElementById('logout-csrf').value = session.csrf_token;
  const tenant = document.getElementById('tenant');
  tenant.textContent = `Tenant ${session.tenant_id}`;
  interceptLinks(document.body);
  window.addEventListener('popstate', render);
  window.addEventListener(NAVIGATE, render);
  await render();
  document.body.dataset.ready = 'true';
}

start().catch((err) => {
  const main = document.getElementById('main');
  main.replaceChildren(h('p', { class: 'alert alert-error', role: 'alert' }, err.message || String(err)));
});
