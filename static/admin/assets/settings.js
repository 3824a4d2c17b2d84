// Settings → Telephony: the tenant's switches from GET/PUT /api/v1/telephony/settings
// (recording, live transcription). Pause reasons and wrap-up stay in the API for now.

import { api, get } from './api.js';
import { h, say } from './dom.js';
import { TELEPHONY_SWITCHES, telephonyChanges } from './calls-model.js';

function telephonyCard(initial) {
  let saved = initial;
  const error = h('p', { class: 'alert alert-error', role: 'alert', hidden: true });
  const done = h('p', { class: 'saved', role: 'status', hidden: true });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save');
  const boxes = {};
  const fields = TELEPHONY_SWITCHES.filter((s) => s.key in initial).map((s) => {
    boxes[s.key] = h('input', { type: 'checkbox', id: `tel-${s.key}`, name: s.key, checked: Boolean(initial[s.key]), 'aria-describedby': `tel-${s.key}-hint` });
    return h(
      'div',
      { class: 'field' },
      h('label', { class: 'check', for: `tel-${s.key}` }, boxes[s.key], h('span', {}, s.label)),
      h('p', { class: 'hint', id: `tel-${s.key}-hint` }, s.hint),
    );
  });
  const form = h('form', { class: 'stack' }, fields, h('div', { class: 'actions' }, save));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    say(error, '');
    say(done, '');
    const chosen = Object.fromEntries(Object.entries(boxes).map(([key, box]) => [key, box.checked]));
    const body = telephonyChanges(saved, chosen);
    if (!body) {
      say(done, 'Nothing to save.', 'ok');
      return;
    }
    save.disabled = true;
    try {
      saved = await api('PUT', '/telephony/settings', body);
      for (const [key, box] of Object.entries(boxes)) box.checked = Boolean(saved[key]);
      say(done, 'Saved. New calls follow these settings.', 'ok');
    } catch (err) {
      say(error, err.message, 'error');
    } finally {
      save.disabled = false;
    }
  });
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'telephony-title' },
    h('h2', { id: 'telephony-title' }, 'Telephony'),
    form,
    error,
    done,
  );
}

export async function settingsPage(root) {
  const settings = await get('/telephony/settings');
  root.append(h('div', { class: 'page-head' }, h('h1', {}, 'Settings')), telephonyCard(settings));
}
