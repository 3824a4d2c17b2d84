// The pure half of the transfer and consult picker: `directory.list`'s answer (docs/
// signaling.md, "Directory") as options, filtered as the agent types, and the combobox's
// keyboard (ARIA combobox with a listbox popup). No DOM, no globals, no network.

import { statusText } from '/softphone/status-model.js';

/**
 * The picker's options from a directory listing: `{kind, id, name, label, detail, disabled}`.
 * `kinds` is which entries to offer ('agent', 'queue'); the asking agent is left out. Agents
 * who can take the call come first, then the others (shown, with why they can't); queues
 * after the agents.
 */
export function directoryOptions(listing, kinds = ['agent', 'queue']) {
  const out = [];
  if (kinds.includes('agent')) {
    const agents = (listing?.agents ?? []).filter((a) => !a.self);
    const ready = agents.filter((a) => a.can_take);
    const others = agents.filter((a) => !a.can_take);
    for (const a of [...ready, ...others]) {
      const status = !a.connected && a.status !== 'logged_out' ? 'Disconnected' : statusText(a.status, a.reason);
      const busy = a.can_take ? '' : a.status === 'available' && a.connected ? 'Busy' : status;
      out.push({
        kind: 'agent',
        id: a.agent_id,
        name: a.name,
        extension: a.extension ?? '',
        label: a.name,
        detail: [a.extension ? `ext. ${a.extension}` : null, busy || status].filter(Boolean).join(' · '),
        disabled: !a.can_take,
      });
    }
  }
  if (kinds.includes('queue')) {
    for (const q of listing?.queues ?? []) {
      const waiting = q.waiting === 1 ? '1 call waiting' : `${q.waiting ?? 0} calls waiting`;
      out.push({ kind: 'queue', id: q.queue_id, name: q.name, extension: '', label: q.name, detail: `Queue · ${waiting}`, disabled: false });
    }
  }
  return out;
}

const fold = (text) => String(text ?? '').normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();

/**
 * The options matching what the agent typed: every word of `query` is found in the name,
 * the extension, the id or the kind ("queue"), ignoring case and accents. Empty: all.
 */
export function filterOptions(options, query) {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (!words.length) return options;
  return options.filter((o) => {
    const hay = fold(`${o.name} ${o.extension} ${o.id} ${o.kind}`);
    return words.every((w) => hay.includes(w));
  });
}

/**
 * The combobox's reaction to a key, as data: `{open, active, choose, clear, handled}` from
 * the current `{open, active}` and the number of visible options (`count`). `active` is an
 * index, or -1 for none. ArrowDown/ArrowUp open the list and move (wrapping), Home/End jump
 * (while open), Enter chooses the active option (when the list is open and one is active),
 * Escape closes the list, or clears the text when it is closed already.
 */
export function comboKey(key, { open, active }, count, { altKey = false } = {}) {
  const none = { open, active, choose: false, clear: false, handled: false };
  switch (key) {
    case 'ArrowDown':
      if (altKey) return { ...none, open: true, handled: true };
      if (!open) return { ...none, open: true, active: count ? Math.max(active, 0) : -1, handled: true };
      return { ...none, active: count ? (active + 1) % count : -1, handled: true };
    case 'ArrowUp':
      if (!open) return { ...none, open: true, active: count ? count - 1 : -1, handled: true };
      return { ...none, active: count ? (active <= 0 ? count - 1 : active - 1) : -1, handled: true };
    case 'Home':
      return open && count ? { ...none, active: 0, handled: true } : none;
    case 'End':
      return open && count ? { ...none, active: count - 1, handled: true } : none;
    case 'Enter':
      if (open && active >= 0 && active < count) return { ...none, open: false, choose: true, handled: true };
      return none; // the form submits
    case 'Escape':
      if (open) return { ...none, open: false, active: -1, handled: true };
      return { ...none, clear: true, handled: true };
    default:
      return none;
  }
}

/** The one option whose name (or id) is exactly what was typed, for a pick never made. */
export function exactOption(options, text) {
  const t = fold(text).trim();
  if (!t) return null;
  const found = options.filter((o) => fold(o.name) === t || fold(o.id) === t || (o.extension && fold(o.extension) === t));
  return found.length === 1 ? found[0] : null;
}
