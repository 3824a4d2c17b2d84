// The Salesforce part of a call card: who the caller is in Salesforce (the screen pop, or a
// chooser when several records match), and the call's log (disposition and notes, which the
// server writes on the call's Task at the end of wrap-up).

import { h } from '/shared/dom.js';
import { errorWords } from '/softphone/errors-model.js';

export class CallRecordBox {
  /**
   * `act.pick(match)` opens a chosen record and links it to the call; `act.save({disposition,
   * notes})` sends the log; `act.draft(fields, base)` keeps what is typed but not saved (over
   * `base`, the log as saved), `act.saved()` drops it. `logging` is session.ready's
   * `call_logging` (null: no Task logging).
   */
  constructor(callId, act, logging) {
    this.id = callId;
    this.act = act;
    this.logging = logging;
    this.chosen = null;
    this.dirty = false; // a disposition or notes changed since the last save
    this.base = { disposition: '', notes: '' }; // the log as saved (as this page knows it)
    this.build();
  }

  build() {
    this.note = h('p', { class: 'hint', 'data-role': 'pop-note', 'aria-live': 'polite' });
    this.chooser = h('ul', { class: 'chooser', 'aria-label': 'Salesforce records for this caller', hidden: true });
    const id = `log-${this.id}`;
    this.disposition = h('select', { id: `${id}-disposition` });
    this.notes = h('textarea', { id: `${id}-notes`, rows: '3', maxlength: '30000', spellcheck: 'true' });
    this.saved = h('span', { class: 'hint', role: 'status' });
    this.form = h(
      'form',
      { class: 'panel stack', hidden: true, 'aria-label': 'Call log', onsubmit: (ev) => { ev.preventDefault(); this.submit(); } },
      h('div', { class: 'field' }, h('label', { for: `${id}-disposition` }, 'Disposition'), this.disposition),
      h('div', { class: 'field' }, h('label', { for: `${id}-notes` }, 'Notes (saved on the Salesforce Task)'), this.notes),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary btn-small' }, 'Save log'), this.saved),
    );
    this.el = h('div', { class: 'call-record' }, this.note, this.chooser, this.form);
    const changed = () => {
      this.dirty = true;
      this.saved.textContent = '';
      this.act.draft?.(this.fields(), this.base);
    };
    this.disposition.addEventListener('change', changed);
    this.notes.addEventListener('input', changed);
    this.renderDispositions();
  }

  renderDispositions() {
    const list = this.logging?.dispositions ?? [];
    const options = [new Option(this.logging?.disposition_required ? 'Choose one (required)' : 'None', '')];
    for (const name of list) options.push(new Option(name, name));
    const current = this.disposition.value;
    this.disposition.replaceChildren(...options);
    if (list.includes(current)) this.disposition.value = current;
  }

  fields() {
    return { disposition: this.disposition.value, notes: this.notes.value };
  }

  /** What was saved so far (wrap-up-model.js's logFields, after a reload). */
  restore({ disposition, notes }) {
    this.disposition.value = disposition;
    this.notes.value = notes;
    this.base = this.fields();
    this.dirty = false;
  }

  /** What was typed but not saved before a reload (notes-draft-model.js's restoredLog). */
  restoreDraft({ disposition, notes }) {
    if (this.logging?.dispositions?.includes(disposition) || !disposition) this.disposition.value = disposition;
    this.notes.value = notes;
    this.dirty = true;
  }

  /** popAction()'s result (console-model.js). */
  showPop(action) {
    this.note.textContent = action.note ?? '';
    this.note.dataset.kind = action.kind;
    this.note.hidden = !action.note;
    const matches = action.chooser ?? [];
    this.chooser.hidden = matches.length === 0;
    this.chooser.replaceChildren(
      ...matches.map((m) => {
        const words = [m.name || m.id, m.type, m.case_number ? `#${m.case_number}` : null].filter(Boolean).join(' · ');
        const btn = h('button', { type: 'button', class: 'btn btn-small', 'data-record-id': m.id, onclick: () => this.pick(m) }, words);
        return h('li', {}, btn);
      }),
    );
  }

  pick(match) {
    this.chosen = match.id;
    for (const btn of this.chooser.querySelectorAll('button')) btn.setAttribute('aria-pressed', String(btn.dataset.recordId === match.id));
    this.note.textContent = `Salesforce: ${match.name ?? match.id} (${match.type ?? 'record'}), linked to this call.`;
    this.act.pick(match);
  }

  /** The log form shows once the call is up (notes are typed while talking) when logging is on. */
  render(state) {
    this.form.hidden = !this.logging?.enabled || state === 'ringing' || state === 'queued';
  }

  async submit() {
    const sent = this.fields();
    const payload = { notes: sent.notes };
    if (sent.disposition) payload.disposition = sent.disposition;
    this.saved.textContent = 'Saving…';
    try {
      await this.act.save(payload);
      this.base = sent;
      // Typed on while it was saving: that is still unsaved, a draft over what was just saved.
      const now = this.fields();
      this.dirty = now.notes !== sent.notes || now.disposition !== sent.disposition;
      if (this.dirty) this.act.draft?.(now, this.base);
      else this.act.saved?.();
      this.saved.textContent = 'Saved.';
    } catch (err) {
      this.saved.textContent = `Not saved. ${errorWords(err, 'log')}`;
    }
  }
}
