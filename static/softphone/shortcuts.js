// The keyboard shortcuts on the page: Alt+A answer, Alt+H hang up, Alt+M mute, Alt+L hold
// (shortcuts-model.js decides which key and which call). A shortcut presses the card's own
// button, so it does exactly what a click would, and nothing when that button can't be used.

import { h } from '/shared/dom.js';
import { state, ui } from '/softphone/page.js';
import { SHORTCUTS, shortcutFor, targetCall } from '/softphone/shortcuts-model.js';

const BUTTONS = { answer: 'answerBtn', hangup: 'hangupBtn', mute: 'muteBtn', hold: 'holdBtn' };

function usable(btn) {
  return btn && !btn.disabled && btn.offsetParent !== null; // shown, and not disabled
}

function onKey(ev) {
  const shortcut = shortcutFor(ev);
  if (!shortcut || ui.app.hidden || ui.app.inert) return;
  const views = [...state.calls.values()].reverse(); // newest first
  const summaries = views.map((v) => ({ id: v.id, state: v.info.state, incoming: v.incoming, view: v }));
  const target = targetCall(shortcut.action, summaries);
  ev.preventDefault(); // ours on this page, even when there is nothing to do
  if (target) press(target.view, BUTTONS[shortcut.action], 40);
}

/** Presses the card's button; while the card is busy with the previous action (its buttons
 * disabled for a moment), the key waits for it, up to 2 s, instead of being lost. */
function press(view, name, tries) {
  const btn = view[name];
  if (usable(btn)) btn.click();
  else if (view.busy && tries > 0) setTimeout(() => press(view, name, tries - 1), 50);
}

/** The shortcuts, listed on the page (one source: SHORTCUTS), and listening. */
export function startShortcuts() {
  ui.shortcuts.replaceChildren(
    ...SHORTCUTS.flatMap((s) => [h('dt', {}, ...s.keys.split('+').flatMap((k, i) => (i ? ['+', h('kbd', {}, k)] : [h('kbd', {}, k)]))), h('dd', {}, s.words)]),
  );
  document.addEventListener('keydown', onKey);
}
