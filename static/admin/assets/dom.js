// Tiny DOM helpers. Data always goes in as text (textContent / attributes), never as HTML.

const PROPS = new Set(['checked', 'disabled', 'value', 'selected', 'readOnly', 'required']);

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
  append(el, children);
  return el;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

/** Shows a message in a status/alert element; an empty message hides it. */
export function say(el, message, kind = 'info') {
  el.textContent = message ?? '';
  el.hidden = !message;
  el.dataset.kind = kind;
}

/** A local date-time for an RFC 3339 string, inside a <time> carrying the exact value. */
export function timeEl(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  const text = Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
  return h('time', { datetime: iso, title: iso }, text);
}

/** Milliseconds for humans: whole numbers, '—' when unknown. */
export function ms(value) {
  return value === null || value === undefined ? '—' : `${Math.round(value)} ms`;
}

export function statusBadge(code) {
  if (code === null || code === undefined) return h('span', { class: 'badge badge-muted' }, 'none');
  const ok = code >= 200 && code < 300;
  return h('span', { class: `badge ${ok ? 'badge-ok' : 'badge-fail'}` }, String(code));
}

/** A table with a caption (for screen readers) and header cells; rows are arrays of cells. */
export function table(caption, headers, rows) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((c) => h('td', {}, c))))),
    ),
  );
}

/** A modal confirmation built on <dialog>; resolves true when the user confirms. */
export function confirmDialog({ title, message, confirmLabel = 'Confirm', danger = false }) {
  return new Promise((resolve) => {
    const heading = h('h2', { id: 'confirm-title' }, title);
    const dialog = h(
      'dialog',
      { class: 'dialog', 'aria-labelledby': 'confirm-title' },
      h(
        'form',
        { method: 'dialog' },
        heading,
        h('p', {}, message),
        h(
          'div',
          { class: 'actions' },
          h('button', { class: 'btn', value: 'cancel', type: 'submit' }, 'Cancel'),
          h(
            'button',
            { class: `btn ${danger ? 'btn-danger' : 'btn-primary'}`, value: 'ok', type: 'submit' },
            confirmLabel,
          ),
        ),
      ),
    );
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok');
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** Copies text to the clipboard, falling back to selecting it for a manual copy. */
export async function copyText(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    input?.select();
    return false;
  }
}
