// One call on the softphone: a card built once, then updated in place (inputs keep focus).
//
// `info` merges what the server said (call.ringing, call snapshots from call.updated and
// session.ready) with local state (the peer connection, digits, errors).

import { clock, h, keypad } from '/shared/dom.js';
import { showLevel } from '/shared/media.js';
import { Combobox } from '/softphone/combobox.js';
import { directoryOptions } from '/softphone/directory-model.js';

const RING_WORDS = { inbound: 'Incoming call', transfer: 'Transferred call', consult: 'Consultation request' };

function partyLabel(number) {
  return !number || number === 'anonymous' ? 'Unknown caller' : number;
}

export class CallView {
  /**
   * `act` holds the handlers: answer, decline, hangup, hold, mute, dtmf, transfer, consult,
   * complete, cancel, conference, dismiss, reconnectAudio; `directory()` asks for a fresh
   * directory (the pickers' options arrive through setDirectory), `agentName(id)` names an
   * agent id when the directory knows it.
   */
  constructor(callId, act) {
    this.id = callId;
    this.act = act;
    this.info = { call_id: callId, state: 'ringing', held: false, muted: false, consult: null, conference: false, role: 'primary' };
    this.leg = null;
    this.incoming = false; // this softphone is being rung (call.ringing) and has not answered
    this.ringUntil = 0;
    this.connectedAt = 0;
    this.busy = false;
    this.audioState = '';
    this.received = '';
    this.sent = '';
    this.endedText = '';
    this.endedAt = 0;
    this.record = null;
    this.build();
  }

  build() {
    const button = (label, cls, onclick, extra = {}) => h('button', { type: 'button', class: `btn ${cls}`, onclick, ...extra }, label);
    this.title = h('p', { class: 'call-title' });
    this.meta = h('p', { class: 'call-meta' });
    this.badges = h('div', { class: 'badges', 'aria-live': 'polite' });
    this.timer = h('span', { class: 'call-timer', role: 'timer', 'aria-label': 'Call duration' });

    this.ringNote = h('p', { class: 'hint' });
    this.answerBtn = button('Answer', 'btn-ok btn-big', () => this.act.answer(this), { 'aria-keyshortcuts': 'Alt+A' });
    this.declineBtn = button('Decline', 'btn-danger btn-big', () => this.act.decline(this));
    this.ringBox = h('div', {}, this.ringNote, h('div', { class: 'actions' }, this.answerBtn, this.declineBtn));

    this.holdBtn = button('Hold', '', () => this.act.hold(this, !this.info.held), { 'aria-pressed': 'false', 'aria-keyshortcuts': 'Alt+L' });
    this.muteBtn = button('Mute', '', () => this.act.mute(this, !this.info.muted), { 'aria-pressed': 'false', 'aria-keyshortcuts': 'Alt+M' });
    this.keypadBtn = button('Keypad', '', () => this.toggle(this.keypadPanel, this.keypadBtn), { 'aria-expanded': 'false' });
    this.transferBtn = button('Transfer', '', () => this.toggle(this.transferPanel, this.transferBtn), { 'aria-expanded': 'false' });
    this.consultBtn = button('Consult', '', () => this.toggle(this.consultPanel, this.consultBtn), { 'aria-expanded': 'false' });
    this.hangupBtn = button('Hang up', 'btn-danger', () => this.act.hangup(this), { 'aria-keyshortcuts': 'Alt+H' });
    this.controls = h('div', { class: 'actions' }, this.holdBtn, this.muteBtn, this.keypadBtn, this.transferBtn, this.consultBtn, this.hangupBtn);

    this.sentLine = h('p', { class: 'hint', 'aria-live': 'polite' });
    // The pad sends call.dtmf (played in-band by SIVO); RTP telephone-event can't work (docs/media.md).
    this.keypadPanel = h('div', { class: 'panel', hidden: true }, keypad((d) => this.act.dtmf(this, d), 'Keypad (tones to the caller)'), this.sentLine);
    this.keypadPanel.querySelector('.keypad').classList.add('keypad-small');

    // Transfer and consult pick from the directory (directory.list): agents with their
    // status, and queues with their calls waiting; typing filters.
    this.transferPick = new Combobox({
      label: 'Transfer to',
      placeholder: 'Type a name, extension or queue',
      onOpen: () => this.act.directory(),
    });
    this.transferPanel = h(
      'form',
      { class: 'panel', hidden: true, 'aria-label': 'Blind transfer', onsubmit: (ev) => { ev.preventDefault(); this.act.transfer(this, this.transferPick.value()); } },
      h('p', { class: 'hint' }, 'Blind transfer: the call goes to the agent or queue and leaves you.'),
      h('div', { class: 'inline picker' }, this.transferPick.el, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Transfer now')),
    );

    this.consultPick = new Combobox({
      label: 'Agent to consult',
      placeholder: 'Type a name or extension',
      onOpen: () => this.act.directory(),
    });
    this.consultPanel = h(
      'form',
      { class: 'panel', hidden: true, 'aria-label': 'Consult an agent', onsubmit: (ev) => { ev.preventDefault(); this.act.consult(this, this.consultPick.value()); } },
      h('p', { class: 'hint' }, 'The caller is put on hold while you talk to the other agent.'),
      h('div', { class: 'inline picker' }, this.consultPick.el, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Call agent')),
    );

    this.consultNote = h('p', { class: 'hint' });
    this.completeBtn = button('Complete transfer', 'btn-primary', () => this.act.complete(this));
    this.conferenceBtn = button('Conference', '', () => this.act.conference(this));
    this.cancelBtn = button('Cancel consult', '', () => this.act.cancel(this));
    this.consultBox = h('div', { class: 'panel' }, this.consultNote, h('div', { class: 'actions' }, this.completeBtn, this.conferenceBtn, this.cancelBtn));

    this.audioLine = h('span', { class: 'audio-state' });
    this.reconnectBtn = button('Reconnect audio', 'btn-small', () => this.act.reconnectAudio(this));
    this.rxLabel = h('span', {}, 'No audio');
    this.rxMeter = h('meter', { min: '0', max: '1', value: '0', 'aria-label': 'Received audio level' });
    this.audioBox = h(
      'div',
      {},
      h('div', { class: 'actions small' }, this.audioLine, this.reconnectBtn),
      h('div', { class: 'level' }, this.rxLabel, this.rxMeter),
    );
    this.receivedLine = h('p', { class: 'hint' });
    this.endedLine = h('p', { class: 'call-ended' });
    this.dismissBtn = button('Dismiss', 'btn-small', () => this.act.dismiss(this));
    this.endedBox = h('div', { class: 'actions' }, this.endedLine, this.dismissBtn);
    this.wrapupSlot = h('div', { class: 'wrapup-slot' }); // after-call work sits here (presence.js)
    this.error = h('p', { class: 'error-line', role: 'alert' });

    this.el = h(
      'section',
      { class: 'card call', 'data-call-id': this.id, 'aria-label': 'Call' },
      h('div', { class: 'call-head' }, h('div', {}, this.title, this.meta, this.badges), this.timer),
      this.ringBox,
      this.controls,
      this.consultBox,
      this.keypadPanel,
      this.transferPanel,
      this.consultPanel,
      this.audioBox,
      this.receivedLine,
      this.endedBox,
      this.wrapupSlot,
      this.error,
    );
  }

  /** A fresh directory.list answer: the pickers' options. */
  setDirectory(listing) {
    this.transferPick.setOptions(directoryOptions(listing, ['agent', 'queue']));
    this.consultPick.setOptions(directoryOptions(listing, ['agent']));
  }

  /** Whether a transfer or consult picker is open (the directory is kept fresh meanwhile). */
  get picking() {
    return !this.transferPanel.hidden || !this.consultPanel.hidden;
  }

  toggle(panel, btn) {
    const open = panel.hidden;
    for (const [p, b] of [[this.keypadPanel, this.keypadBtn], [this.transferPanel, this.transferBtn], [this.consultPanel, this.consultBtn]]) {
      p.hidden = true;
      b.setAttribute('aria-expanded', 'false');
    }
    panel.hidden = !open;
    btn.setAttribute('aria-expanded', String(open));
    if (open && panel !== this.keypadPanel) this.act.directory();
    if (open) panel.querySelector('input, button')?.focus();
  }

  /** call.ringing: this softphone rings. */
  ringing(event) {
    this.info = { ...this.info, ...event, state: 'ringing' };
    this.incoming = true;
    this.ringUntil = Date.now() + (event.ring_timeout_s ?? 30) * 1000;
    this.render();
  }

  /** A call snapshot (call.updated, session.ready). */
  snapshot(snap) {
    const wasConnected = this.info.state === 'connected';
    this.info = { ...this.info, ...snap };
    if (snap.state === 'connected') {
      this.incoming = false;
      if (!wasConnected) this.connectedAt = Date.now();
    }
    this.render();
  }

  ended(text) {
    if (this.info.state !== 'ended') this.endedAt = Date.now();
    this.info.state = 'ended';
    this.incoming = false;
    this.endedText = text;
    this.audioState = '';
    this.render();
  }

  setError(message) {
    this.error.textContent = message ?? '';
  }

  get active() {
    return this.info.state !== 'ended';
  }

  render() {
    const i = this.info;
    const state = i.state;
    const ended = state === 'ended';
    const connected = state === 'connected';
    const consultRole = i.role === 'consult';
    const outbound = i.direction === 'outbound';
    this.el.dataset.state = state;

    this.title.textContent = outbound ? partyLabel(i.to) : partyLabel(i.from);
    const meta = [];
    if (this.incoming) meta.push(RING_WORDS[i.kind] ?? 'Incoming call');
    if (outbound) meta.push('Outbound call');
    const queue = i.queue_name || this.act.queueName?.(i.queue_id) || i.queue_id;
    if (queue) meta.push(`Queue: ${queue}`);
    const name = (id) => this.act.agentName?.(id) ?? id;
    if (i.kind === 'transfer' && i.from_agent_id) meta.push(`transferred by ${name(i.from_agent_id)}`);
    if ((i.kind === 'consult' || consultRole) && i.from_agent_id) meta.push(`consultation requested by ${name(i.from_agent_id)}`);
    else if (consultRole) meta.push('Consultation');
    if (!outbound && i.to) meta.push(`to ${i.to}`);
    this.meta.textContent = meta.join(' · ');

    const badges = [];
    const stateWords = { ringing: 'Ringing', queued: 'Queued', connected: 'Connected', ended: 'Ended' };
    badges.push([stateWords[state] ?? state, connected ? 'badge-ok' : ended ? 'badge' : 'badge-warn']);
    if (connected && i.held) badges.push(['On hold', 'badge-warn']);
    if (connected && i.muted) badges.push(['Muted', 'badge-warn']);
    if (i.conference) badges.push(['Conference', 'badge-info']);
    if (i.consult) badges.push([`Consulting ${name(i.consult.agent_id)} (${i.consult.state === 'connected' ? 'talking' : 'ringing'})`, 'badge-info']);
    this.badges.replaceChildren(...badges.map(([text, cls]) => h('span', { class: `badge ${cls}` }, text)));

    this.ringBox.hidden = !(this.incoming && state === 'ringing');
    this.answerBtn.disabled = this.busy;
    this.declineBtn.disabled = this.busy;

    const live = !ended && !this.incoming;
    this.controls.hidden = !live;
    const canControl = connected && !this.busy;
    this.holdBtn.hidden = consultRole;
    this.holdBtn.disabled = !canControl || Boolean(i.consult);
    this.holdBtn.textContent = i.held ? 'Resume' : 'Hold';
    this.holdBtn.setAttribute('aria-pressed', String(Boolean(i.held)));
    this.muteBtn.disabled = !canControl;
    this.muteBtn.textContent = i.muted ? 'Unmute' : 'Mute';
    this.muteBtn.setAttribute('aria-pressed', String(Boolean(i.muted)));
    this.keypadBtn.disabled = !connected;
    const consulting = Boolean(i.consult);
    this.transferBtn.hidden = consultRole || consulting;
    this.consultBtn.hidden = consultRole || consulting;
    this.transferBtn.disabled = !canControl;
    this.consultBtn.disabled = !canControl;
    this.hangupBtn.disabled = this.busy;
    this.hangupBtn.textContent = consultRole ? 'Leave consultation' : state === 'ringing' ? 'Cancel call' : 'Hang up';
    if (!live || !connected) {
      for (const [p, b] of [[this.keypadPanel, this.keypadBtn], [this.transferPanel, this.transferBtn], [this.consultPanel, this.consultBtn]]) {
        p.hidden = true;
        b.setAttribute('aria-expanded', 'false');
      }
    }
    if (consulting) {
      this.transferPanel.hidden = true;
      this.consultPanel.hidden = true;
    }

    this.consultBox.hidden = !(live && consulting);
    const consultUp = i.consult?.state === 'connected';
    this.consultNote.textContent = consulting
      ? i.conference
        ? `Conference with the caller and ${name(i.consult.agent_id)}.`
        : consultUp
          ? `Talking to ${name(i.consult.agent_id)}; the caller is on hold.`
          : `Ringing ${name(i.consult.agent_id)}; the caller is on hold.`
      : '';
    this.completeBtn.disabled = this.busy || !consultUp;
    this.conferenceBtn.disabled = this.busy || !consultUp || i.conference;
    this.cancelBtn.disabled = this.busy;

    this.audioBox.hidden = ended || !this.leg;
    this.audioLine.textContent = `Audio: ${this.audioState || 'connecting…'}`;
    this.reconnectBtn.hidden = !['failed', 'disconnected', 'closed'].includes(this.audioState);
    this.receivedLine.textContent = this.received ? `Caller pressed: ${this.received}` : '';
    this.receivedLine.hidden = !this.received;
    this.sentLine.textContent = this.sent ? `Sent: ${this.sent}` : '';

    this.endedBox.hidden = !ended;
    this.endedLine.textContent = this.endedText;
    this.record?.render(state); // the Salesforce part, when softphone.js attached one
    this.tick();
  }

  /** Once a second: timers and the ring countdown. */
  tick() {
    const i = this.info;
    if (i.state === 'connected' && this.connectedAt) this.timer.textContent = clock((Date.now() - this.connectedAt) / 1000);
    else if (i.state !== 'ended') this.timer.textContent = '';
    if (this.incoming && i.state === 'ringing') {
      const left = Math.max(0, Math.ceil((this.ringUntil - Date.now()) / 1000));
      this.ringNote.textContent = `Answer within ${left} s (shortcut: Alt+A).`;
    }
  }

  /** After leg.poll(): the received-audio indicator. */
  showAudio() {
    showLevel(this.rxMeter, this.rxLabel, this.leg);
  }
}
