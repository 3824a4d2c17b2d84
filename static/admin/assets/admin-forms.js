// Form widgets shared by the queues, agents, numbers and settings pages: a labelled field
// with its hint and its error slot, and a form's error display, which puts an API refusal
// next to its field (or on top of the form) in words (telephony-model.js's errorText).

import { ApiError } from './api.js';
import { h, say } from './dom.js';
import { errorText } from './telephony-model.js';

/** A field: label, control, hint and error slot, wired with aria-describedby. */
export function field(name, label, control, hint, { prefix = 'f' } = {}) {
  const errorId = `${prefix}-${name}-error`;
  const hintId = hint ? `${prefix}-${name}-hint` : null;
  control.id ||= `${prefix}-${name}`;
  control.setAttribute('aria-describedby', [hintId, errorId].filter(Boolean).join(' '));
  return h(
    'div',
    { class: 'field', 'data-field': name },
    h('label', { for: control.id }, label),
    control,
    hint && h('p', { class: 'hint', id: hintId }, hint),
    h('p', { class: 'field-error', id: errorId, hidden: true }),
  );
}

/** A labelled checkbox with a hint under it (the settings' switches). */
export function checkField(name, label, box, hint, { prefix = 'f' } = {}) {
  box.id ||= `${prefix}-${name}`;
  const hintId = `${prefix}-${name}-hint`;
  if (hint) box.setAttribute('aria-describedby', hintId);
  return h(
    'div',
    { class: 'field', 'data-field': name },
    h('label', { class: 'check', for: box.id }, box, h('span', {}, label)),
    hint && h('p', { class: 'hint', id: hintId }, hint),
  );
}

/**
 * The error display of `form`: `formError` is the alert on top; `controls` maps an API field
 * name to the control (or fieldset) its message sits next to (in the element
 * `#<prefix>-<field>-error`). `names` (a function returning {id: name}) names ids in messages.
 */
export function formErrors(form, formError, controls, { prefix = 'f', names = () => ({}) } = {}) {
  const clear = () => {
    say(formError, '');
    for (const el of form.querySelectorAll('.field-error')) say(el, '');
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  };
  const atField = (name, message, focus = true) => {
    const control = controls[name];
    const slot = form.querySelector(`#${prefix}-${name}-error`);
    if (!control || !slot) return false;
    say(slot, message, 'error');
    control.setAttribute('aria-invalid', 'true');
    if (focus) (control.matches('fieldset') ? control.querySelector('input, select') ?? control : control).focus();
    return true;
  };
  /** An ApiError at its field when the form has it, else on top; any other error on top. */
  const show = (err) => {
    const message = err instanceof ApiError ? errorText(err, names()) : 'Something went wrong in this page. Reload it and try again.';
    if (err instanceof ApiError && err.field && atField(err.field, message)) return;
    say(formError, message, 'error');
    formError.focus();
  };
  /** Client-side messages {field: text}: each at its field, the first one focused. */
  const showAll = (errors) => {
    let first = true;
    for (const [name, message] of Object.entries(errors)) {
      if (!atField(name, message, first)) say(formError, message, 'error');
      first = false;
    }
  };
  formError.setAttribute('tabindex', '-1');
  return { clear, show, showAll };
}

/** The message for an error outside a form (a list that would not load, a delete refused). */
export function problemText(err, names = {}) {
  return err instanceof ApiError ? errorText(err, names) : 'Something went wrong in this page. Reload it and try again.';
}

/** Runs a page; what it could not load is said in words under what it drew so far. */
export async function guarded(root, page) {
  try {
    await page();
  } catch (err) {
    if (!root.querySelector('h1')) root.append(h('h1', {}, 'Something went wrong'));
    root.append(h('p', { class: 'alert alert-error', role: 'alert' }, problemText(err)));
  }
}
