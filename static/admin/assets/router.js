// History-API routing under /admin/; pages announce navigation through one event.

export const NAVIGATE = 'sivo:navigate';

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  window.dispatchEvent(new Event(NAVIGATE));
}

/** Links marked data-nav stay inside the single page (modified clicks open tabs as usual). */
export function interceptLinks(root) {
  root.addEventListener('click', (event) => {
    const link = event.target.closest?.('a[data-nav]');
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(link.getAttribute('href'));
  });
}

/** One-shot state handed from one page to the next (e.g. a secret to reveal once). */
let flash = null;
export function setFlash(value) {
  flash = value;
}
export function takeFlash() {
  const value = flash;
  flash = null;
  return value;
}
