// An org's SCRT2 certificates: download each as a .pem file, stage a new key, activate it.

import { get, post } from './api.js';
import { confirmDialog, h, say, table, timeEl } from './dom.js';
import { badge, orgPath } from './salesforce.js';
import { KEY_STATES, pemFileName } from './salesforce-model.js';

export function keysCard(org, initialKeys) {
  let keys = initialKeys;
  let urls = []; // object URLs of the current download links, revoked on each render
  const body = h('div', {});
  const status = h('p', { class: 'alert alert-ok', role: 'status', hidden: true });
  const error = h('p', { class: 'alert alert-error', role: 'alert', hidden: true });
  const stageBtn = h('button', { type: 'button', class: 'btn' }, 'Stage a new key');
  const keysPath = `${orgPath(org.id)}/keys`;

  function download(key) {
    const url = URL.createObjectURL(new Blob([key.certificate_pem], { type: 'application/x-pem-file' }));
    urls.push(url);
    return h('a', { class: 'btn btn-small', href: url, download: pemFileName(org, key), 'aria-label': `Download the certificate of key ${key.kid}` }, 'Download .pem');
  }

  async function activate(key, button) {
    const ok = await confirmDialog({
      title: 'Activate this key?',
      message: 'SIVO signs SCRT2 requests with it from now on, and retires the active key. Salesforce refuses them unless the call center already has this key’s certificate.',
      confirmLabel: 'Activate key',
    });
    if (!ok) return;
    say(error, '');
    button.disabled = true;
    try {
      await post(`${keysPath}/${encodeURIComponent(key.kid)}/activate`);
      ({ data: keys } = await get(keysPath));
      render();
      say(status, `Key ${key.kid} is active. Import the call center definition again so it carries this certificate.`, 'ok');
    } catch (err) {
      say(error, err.message, 'error');
      button.disabled = false;
    }
  }

  function render() {
    for (const url of urls) URL.revokeObjectURL(url);
    urls = [];
    if (!keys.length) {
      body.replaceChildren(h('p', { class: 'empty' }, 'No keys. Stage one, install its certificate, then activate it.'));
      return;
    }
    const rows = keys.map((key) => {
      const state = KEY_STATES[key.status] ?? { label: key.status, kind: 'muted' };
      const actions = [download(key)];
      if (key.status === 'pending') {
        const button = h('button', { type: 'button', class: 'btn btn-small btn-primary', 'aria-label': `Activate key ${key.kid}` }, 'Activate');
        button.addEventListener('click', () => activate(key, button));
        actions.push(button);
      }
      return [h('code', {}, key.kid), badge(state.label, state.kind), timeEl(key.created_at), timeEl(key.activated_at), h('div', { class: 'actions' }, actions)];
    });
    body.replaceChildren(table('SCRT2 keys', ['Key', 'Status', 'Created', 'Activated', h('span', { class: 'visually-hidden' }, 'Actions')], rows));
  }

  stageBtn.addEventListener('click', async () => {
    say(error, '');
    say(status, '');
    stageBtn.disabled = true;
    try {
      const staged = await post(keysPath);
      ({ data: keys } = await get(keysPath));
      render();
      say(status, `Staged key ${staged.kid}. Put its certificate in the call center (reqTelephonyIntegrationCertificate), then activate it.`, 'ok');
    } catch (err) {
      say(error, err.message, 'error');
    } finally {
      stageBtn.disabled = false;
    }
  });

  render();
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'keys-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'keys-title' }, 'SCRT2 certificates'), stageBtn),
    h('p', { class: 'muted' }, 'SIVO signs its SCRT2 requests with the active key; the call center holds its certificate. To rotate: stage a key, install its certificate, activate it.'),
    status,
    error,
    body,
  );
}
