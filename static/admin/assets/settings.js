// Settings → Telephony: the tenant's settings from GET/PUT /api/v1/telephony/settings:
// recording and live transcription (switches), wrap-up after outbound calls (seconds), the
// service level threshold (a select: the API takes only the ladder's values), and the pause
// reasons agents choose from (saved as soon as they change). Each PUT sends only what changed.

import { api, get } from './api.js';
import { checkField, field, formErrors, problemText } from './admin-forms.js';
import { h, say } from './dom.js';
import { TELEPHONY_SWITCHES, telephonyChanges } from './calls-model.js';
import { MAX_PAUSE_REASONS, SERVICE_LEVEL_CHOICE, TELEPHONY_NUMBERS, addPauseReason, movePauseReason, numberSettingsChanges, removePauseReason, thresholdChange } from './telephony-model.js';

function telephonyCard(initial, onSaved) {
  let saved = initial;
  const formError = h('p', { class: 'alert alert-error', role: 'alert', hidden: true });
  const done = h('p', { class: 'saved', role: 'status', hidden: true });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save');
  const boxes = {};
  const switches = TELEPHONY_SWITCHES.filter((s) => s.key in initial).map((s) => {
    boxes[s.key] = h('input', { type: 'checkbox', name: s.key, checked: Boolean(initial[s.key]) });
    return checkField(s.key, s.label, boxes[s.key], s.hint, { prefix: 'tel' });
  });
  const inputs = {};
  const numbers = TELEPHONY_NUMBERS.filter((n) => n.key in initial).map((n) => {
    inputs[n.key] = h('input', { type: 'text', inputmode: 'decimal', name: n.key, class: 'seconds', autocomplete: 'off', value: String(initial[n.key]) });
    return field(n.key, n.label, inputs[n.key], n.hint, { prefix: 'tel' });
  });
  const { key: thresholdKey, label, hint, options } = SERVICE_LEVEL_CHOICE;
  const threshold = thresholdKey in initial ? h('select', { name: thresholdKey, class: 'seconds' }, options.map((o) => h('option', { value: o.value }, o.label))) : null;
  if (threshold) threshold.value = String(initial[thresholdKey]);
  const choices = threshold ? field(thresholdKey, label, threshold, hint, { prefix: 'tel' }) : null;
  const form = h('form', { class: 'stack', novalidate: true }, formError, switches, numbers, choices, h('div', { class: 'actions' }, save, done));
  const errors = formErrors(form, formError, threshold ? { ...inputs, [thresholdKey]: threshold } : inputs, { prefix: 'tel' });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errors.clear();
    say(done, '');
    const chosen = Object.fromEntries(Object.entries(boxes).map(([key, box]) => [key, box.checked]));
    const typed = Object.fromEntries(Object.entries(inputs).map(([key, input]) => [key, input.value]));
    const numeric = numberSettingsChanges(saved, typed);
    if (numeric.errors) {
      errors.showAll(numeric.errors);
      return;
    }
    const body = { ...(telephonyChanges(saved, chosen) ?? {}), ...numeric.body, ...thresholdChange(saved, threshold?.value) };
    if (!Object.keys(body).length) {
      say(done, 'Nothing to save.', 'ok');
      return;
    }
    save.disabled = true;
    try {
      saved = await api('PUT', '/telephony/settings', body);
      for (const [key, box] of Object.entries(boxes)) box.checked = Boolean(saved[key]);
      for (const [key, input] of Object.entries(inputs)) input.value = String(saved[key]);
      if (threshold) threshold.value = String(saved[thresholdKey]);
      onSaved(saved);
      say(done, 'Saved. New calls follow these settings.', 'ok');
    } catch (err) {
      errors.show(err);
    } finally {
      save.disabled = false;
    }
  });
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'telephony-title' },
    h('h2', { id: 'telephony-title' }, 'Telephony'),
    form,
  );
}

/** The pause reasons: a list (move, remove) and an add box; every change is saved at once. */
function pauseReasonsCard(initial, onSaved) {
  let reasons = [...initial];
  const list = h('ol', { class: 'reasons', 'aria-labelledby': 'reasons-title' });
  const status = h('p', { class: 'saved', role: 'status', hidden: true });
  const error = h('p', { class: 'alert alert-error', role: 'alert', hidden: true });
  const input = h('input', { id: 'reason-new', type: 'text', name: 'reason', autocomplete: 'off', maxlength: '64', 'aria-describedby': 'reason-new-hint reason-new-error', class: 'short' });
  const fieldError = h('p', { class: 'field-error', id: 'reason-new-error', hidden: true });
  const add = h('button', { type: 'submit', class: 'btn' }, 'Add reason');
  const count = h('p', { class: 'hint' });

  const put = async (next, message) => {
    say(error, '');
    say(status, '');
    say(fieldError, '');
    input.removeAttribute('aria-invalid');
    try {
      const saved = await api('PUT', '/telephony/settings', { pause_reasons: next });
      reasons = saved.pause_reasons;
      onSaved(saved);
      render();
      say(status, message, 'ok');
      return true;
    } catch (err) {
      say(error, problemText(err), 'error');
      return false;
    }
  };

  function render() {
    list.replaceChildren(
      ...reasons.map((reason, i) =>
        h(
          'li',
          { class: 'reason' },
          h('span', { class: 'reason-name' }, reason),
          h(
            'span',
            { class: 'reason-actions' },
            h('button', { type: 'button', class: 'btn btn-small btn-ghost', 'aria-label': `Move “${reason}” up`, disabled: i === 0, onclick: () => put(movePauseReason(reasons, reason, -1), `Moved “${reason}” up.`).then(() => refocus(reason, 'up')) }, '↑'),
            h('button', { type: 'button', class: 'btn btn-small btn-ghost', 'aria-label': `Move “${reason}” down`, disabled: i === reasons.length - 1, onclick: () => put(movePauseReason(reasons, reason, 1), `Moved “${reason}” down.`).then(() => refocus(reason, 'down')) }, '↓'),
            h('button', { type: 'button', class: 'btn btn-small', 'aria-label': `Remove “${reason}”`, onclick: () => remove(reason) }, 'Remove'),
          ),
        ),
      ),
    );
    count.textContent = `${reasons.length} of at most ${MAX_PAUSE_REASONS}. Agents see them in this order.`;
  }

  // After a move the list is drawn again: keep the focus on the button that was pressed (or
  // its twin when the reason reached an end and that one is disabled now).
  function refocus(reason, way) {
    const item = [...list.children].find((li) => li.querySelector('.reason-name').textContent === reason);
    const buttons = item?.querySelectorAll('button') ?? [];
    const wanted = way === 'up' ? buttons[0] : buttons[1];
    (wanted && !wanted.disabled ? wanted : way === 'up' ? buttons[1] : buttons[0])?.focus();
  }

  async function remove(reason) {
    const next = removePauseReason(reasons, reason);
    if (next.error) {
      say(error, next.error, 'error');
      return;
    }
    if (await put(next.reasons, `Removed “${reason}”.`)) input.focus();
  }

  const form = h(
    'form',
    { class: 'field add-reason', novalidate: true },
    h('label', { for: 'reason-new' }, 'New reason'),
    h('div', { class: 'add-row' }, input, add),
    h('p', { class: 'hint', id: 'reason-new-hint' }, 'Lower case letters, digits, spaces, - or _; e.g. "training".'),
    fieldError,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    say(fieldError, '');
    input.removeAttribute('aria-invalid');
    const next = addPauseReason(reasons, input.value);
    if (next.error) {
      say(fieldError, next.error, 'error');
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    add.disabled = true;
    const added = next.reasons.at(-1);
    if (await put(next.reasons, `Added “${added}”. Signed-in softphones get it at once.`)) input.value = '';
    add.disabled = false;
    input.focus();
  });
  render();
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'reasons-title' },
    h('h2', { id: 'reasons-title' }, 'Pause reasons'),
    h('p', { class: 'muted' }, 'What agents pick from when they take a break on the softphone; the wallboard and events show it. Changes are saved at once.'),
    list,
    count,
    form,
    error,
    status,
  );
}

export async function settingsPage(root) {
  let settings;
  try {
    settings = await get('/telephony/settings');
  } catch (err) {
    root.append(h('h1', {}, 'Settings'), h('p', { class: 'alert alert-error', role: 'alert' }, problemText(err)));
    return;
  }
  const onSaved = (next) => {
    settings = next;
  };
  root.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Settings')),
    h('div', { class: 'grid' }, telephonyCard(settings, onSaved), 'pause_reasons' in settings ? pauseReasonsCard(settings.pause_reasons, onSaved) : null),
  );
}
