// The pure half of the desktop notification for a ringing call: when to show one, what it
// says, and what the "Notify me" control says. No DOM, no globals, no network.

/** A notification only when the page is out of sight and the agent allowed them. */
export function shouldNotify({ hidden, permission, enabled }) {
  return Boolean(hidden && enabled && permission === 'granted');
}

const KIND_WORDS = { inbound: 'Incoming call', transfer: 'Transferred call', consult: 'Consultation request' };

/** `{title, body, tag}` for `call.ringing` (docs/signaling.md). */
export function ringNotification(event) {
  const from = !event.from || event.from === 'anonymous' ? 'Unknown caller' : event.from;
  const parts = [from];
  if (event.queue_name) parts.push(`Queue: ${event.queue_name}`);
  if (event.kind === 'consult' || event.kind === 'transfer') parts.push(`from a colleague`);
  return { title: KIND_WORDS[event.kind] ?? 'Incoming call', body: `${parts.join(' · ')}. Click to open the softphone.`, tag: `sivo-ring-${event.call_id}` };
}

/**
 * The notifications control: `{label, note, canAsk}`. `support` is false without the
 * Notification API (or in a frame, where browsers do not ask); `permission` is
 * Notification.permission; `enabled` is the agent's choice in this tab.
 */
export function notifyControl({ support, permission, enabled }) {
  if (!support) {
    return { label: '', note: 'Desktop notifications are not available here; the ring tone and the tab title still tell you.', canAsk: false };
  }
  if (permission === 'denied') {
    return { label: '', note: 'Notifications are blocked for this site. Allow them in the browser’s site settings to be told of calls.', canAsk: false };
  }
  if (permission === 'granted' && enabled) {
    return { label: 'Stop notifying me', note: 'You will get a desktop notification when a call rings while this page is hidden.', canAsk: true };
  }
  return { label: 'Notify me of incoming calls', note: 'Get a desktop notification when a call rings while this page is hidden.', canAsk: true };
}
