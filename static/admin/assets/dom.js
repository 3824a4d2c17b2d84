// The dashboard's DOM widgets, on top of the helpers it shares with the phone pages
// (static/shared/dom.js, served here as /admin/assets/shared/dom.js).
// Data always goes in as text (textContent / attributes), never as HTML.

import { h } from './shared/dom.js';

export { h, say } from './shared/dom.js';

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
