// The softphone's keyboard shortcuts (pure): which key does what, which call it acts on, and
// when a key is the agent typing rather than a shortcut. No DOM, no globals, no network.
//
// Alt plus a letter, matched by the physical key (`KeyboardEvent.code`, so Option on a Mac,
// which types a symbol, and other layouts work too). Chromium binds none of them (its Alt
// keys are D, E, F, Home and the arrows, not used here); Firefox's menu bar takes Alt+H for
// Help when the page lets it, and the softphone does not (it prevents the default); the
// Salesforce Lightning console's shortcuts use Ctrl+Shift / Cmd+Shift, or a bare key.

export const SHORTCUTS = [
  { action: 'answer', code: 'KeyA', keys: 'Alt+A', words: 'Answer the ringing call' },
  { action: 'hangup', code: 'KeyH', keys: 'Alt+H', words: 'Hang up (or cancel the call you are making)' },
  { action: 'mute', code: 'KeyM', keys: 'Alt+M', words: 'Mute or unmute your microphone' },
  { action: 'hold', code: 'KeyL', keys: 'Alt+L', words: 'Hold or resume the caller' },
];

const TEXT_INPUTS = new Set(['text', 'search', 'tel', 'url', 'email', 'password', 'number', '']);

/**
 * Whether the key went to a place where the agent types: a text input, a textarea, a
 * select, an editable element, or a combobox. `target` is `{tagName, type, isContentEditable,
 * role}` (an element, or a plain object in tests).
 */
export function isTyping(target) {
  if (!target) return false;
  if (target.isContentEditable) return true;
  const tag = String(target.tagName ?? '').toUpperCase();
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  const role = typeof target.getAttribute === 'function' ? target.getAttribute('role') : target.role;
  if (role === 'combobox' || role === 'textbox') return true;
  if (tag === 'INPUT') return TEXT_INPUTS.has(String(target.type ?? '').toLowerCase());
  return false;
}

/** The shortcut a keydown is (`{action, ...}`), or null: Alt alone, no Ctrl, Meta or Shift. */
export function shortcutFor(ev) {
  if (!ev || !ev.altKey || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.repeat) return null;
  if (isTyping(ev.target)) return null;
  return SHORTCUTS.find((s) => s.code === ev.code) ?? null;
}

/**
 * Which call a shortcut acts on, from the calls' summaries (`{id, state, incoming, role}`,
 * newest first), or null. Answer: the call ringing this softphone. The others: the call in
 * progress (connected, or an outbound call still ringing for hang-up only).
 */
export function targetCall(action, calls) {
  if (action === 'answer') return calls.find((c) => c.incoming && c.state === 'ringing') ?? null;
  const live = calls.find((c) => !c.incoming && c.state === 'connected');
  if (live) return live;
  if (action === 'hangup') return calls.find((c) => !c.incoming && c.state === 'ringing') ?? null;
  return null;
}
