// Tiny DOM helpers for every SIVO page: the web phone, the softphone and the dashboard (which
// loads this file as /admin/assets/shared/dom.js). Data always goes in as text, never as HTML.

const PROPS = new Set(['checked', 'disabled', 'value', 'selected', 'readOnly', 'required', 'hidden']);

/** h('button', {class: 'btn', onclick: fn}, 'Label', child, ...) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (/HTML$/.test(key)) throw new Error('refusing to set HTML from data');
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.className = value;
    } else if (PROPS.has(key)) {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export const $ = (id) => document.getElementById(id);

/** Shows a message in a status/alert element; an empty message hides it. */
export function say(el, message, kind = 'info') {
  el.textContent = message ?? '';
  el.hidden = !message;
  el.dataset.kind = kind;
}

/** mm:ss (or h:mm:ss) for a number of seconds. */
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** A dial pad: 12 buttons calling onKey(digit). */
export function keypad(onKey, label = 'Keypad') {
  const keys = [
    ['1', ''], ['2', 'ABC'], ['3', 'DEF'],
    ['4', 'GHI'], ['5', 'JKL'], ['6', 'MNO'],
    ['7', 'PQRS'], ['8', 'TUV'], ['9', 'WXYZ'],
    ['*', ''], ['0', '+'], ['#', ''],
  ];
  return h(
    'div',
    { class: 'keypad', role: 'group', 'aria-label': label },
    keys.map(([digit, letters]) =>
      h(
        'button',
        { type: 'button', class: 'key', 'data-digit': digit, 'aria-label': digit, onclick: () => onKey(digit) },
        h('span', { class: 'key-digit' }, digit),
        h('span', { class: 'key-letters', 'aria-hidden': 'true' }, letters),
      ),
    ),
  );
}

/** A short time of day for activity logs. */
export function timeOfDay(date = new Date()) {
  return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** Appends a line to an activity list (newest first), keeping at most `max` lines. */
export function logLine(list, text, kind = 'info', max = 30) {
  const item = h('li', { 'data-kind': kind }, h('time', {}, timeOfDay()), ' ', text);
  list.prepend(item);
  while (list.children.length > max) list.lastElementChild.remove();
}
