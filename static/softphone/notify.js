// A desktop notification when a call rings while the page is hidden. Permission is asked
// only when the agent presses "Notify me of incoming calls" (browsers require a gesture, and
// asking unprompted is rude); clicking the notification brings the softphone to the front.
// The words and rules are notify-model.js's.

import { state, ui } from '/softphone/page.js';
import { notifyControl, ringNotification, shouldNotify } from '/softphone/notify-model.js';

const KEY = 'sivo.softphone.notify';
const shown = new Map(); // call_id -> Notification

// A frame (the Salesforce console) cannot ask: the console opens the softphone panel itself.
const supported = () => typeof window.Notification === 'function' && window.top === window;

function remember(on) {
  state.notify = on;
  try {
    sessionStorage.setItem(KEY, on ? '1' : '');
  } catch {
    // storage disabled: this page's choice only
  }
}

function render() {
  const control = notifyControl({ support: supported(), permission: supported() ? Notification.permission : 'denied', enabled: state.notify });
  ui.notifyNote.textContent = control.note;
  ui.notify.hidden = !control.canAsk;
  ui.notify.textContent = control.label;
}

async function toggle() {
  if (state.notify && Notification.permission === 'granted') {
    remember(false);
  } else {
    const permission = Notification.permission === 'default' ? await Notification.requestPermission() : Notification.permission;
    remember(permission === 'granted');
  }
  render();
}

export function startNotifications() {
  try {
    state.notify = sessionStorage.getItem(KEY) === '1';
  } catch {
    state.notify = false;
  }
  ui.notify.addEventListener('click', toggle);
  render();
}

/** call.ringing: a notification if the page is hidden; `focusCall()` runs when it is clicked. */
export function notifyRing(event, focusCall) {
  if (!supported()) return;
  if (!shouldNotify({ hidden: document.visibilityState === 'hidden', permission: Notification.permission, enabled: state.notify })) return;
  const { title, body, tag } = ringNotification(event);
  const n = new Notification(title, { body, tag, icon: '/shared/favicon.svg', requireInteraction: true });
  n.onclick = () => {
    window.focus();
    focusCall();
    n.close();
  };
  shown.set(event.call_id, n);
}

/** The ring stopped (answered, missed, ended): its notification goes. */
export function closeRingNotice(callId) {
  shown.get(callId)?.close();
  shown.delete(callId);
}
