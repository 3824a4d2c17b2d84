// A searchable picker: the ARIA combobox pattern (an editable text input with a listbox
// popup, WAI-ARIA 1.2 / APG "Editable Combobox With List Autocomplete"). The options and the
// keys are directory-model.js's; this is the DOM. Focus stays in the input: the active option
// is aria-activedescendant, chosen by Enter or a click.

import { h } from '/shared/dom.js';
import { comboKey, exactOption, filterOptions } from '/softphone/directory-model.js';

let serial = 0;

export class Combobox {
  /**
   * `label` names the input; `onOpen()` is called when the list opens (to ask for fresh
   * options); `onChoose(option)` when one is chosen.
   */
  constructor({ label, placeholder = '', onOpen = () => {}, onChoose = () => {} }) {
    serial += 1;
    const id = `combo-${serial}`;
    this.onOpen = onOpen;
    this.onChoose = onChoose;
    this.options = [];
    this.shown = [];
    this.isOpen = false;
    this.active = -1;
    this.chosen = null;
    this.listbox = h('ul', { id: `${id}-list`, role: 'listbox', class: 'combo-list', 'aria-label': label, hidden: true });
    this.input = h('input', {
      id: `${id}-input`,
      type: 'text',
      role: 'combobox',
      autocomplete: 'off',
      spellcheck: 'false',
      placeholder,
      'aria-autocomplete': 'list',
      'aria-expanded': 'false',
      'aria-controls': this.listbox.id,
      'aria-describedby': `${id}-status`,
    });
    this.labelEl = h('label', { for: this.input.id }, label);
    this.status = h('span', { id: `${id}-status`, class: 'visually-hidden', role: 'status' });
    this.el = h('div', { class: 'combo' }, this.labelEl, h('div', { class: 'combo-box' }, this.input, this.listbox), this.status);
    this.input.addEventListener('input', () => {
      this.chosen = null;
      this.open();
      this.filter();
    });
    this.input.addEventListener('keydown', (ev) => this.key(ev));
    this.input.addEventListener('click', () => (this.isOpen ? this.close() : this.open()));
    this.input.addEventListener('blur', () => setTimeout(() => {
      if (!this.el.contains(document.activeElement)) this.close();
    }, 0));
  }

  /** New options (a fresh directory): the list keeps what was typed and what was chosen. */
  setOptions(options) {
    const activeId = this.shown[this.active]?.id;
    this.options = options;
    if (this.chosen) this.chosen = options.find((o) => o.id === this.chosen.id && o.kind === this.chosen.kind) ?? this.chosen;
    this.filter(activeId);
  }

  filter(keepId = null) {
    this.shown = this.chosen ? this.options : filterOptions(this.options, this.input.value);
    const keep = keepId ? this.shown.findIndex((o) => o.id === keepId) : -1;
    this.active = keep >= 0 ? keep : this.shown.length && this.input.value.trim() && !this.chosen ? 0 : -1;
    this.render();
  }

  open() {
    if (this.isOpen) return;
    this.isOpen = true;
    this.onOpen();
    this.filter();
  }

  close() {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.active = -1;
    this.render();
  }

  key(ev) {
    const next = comboKey(ev.key, { open: this.isOpen, active: this.active }, this.shown.length, { altKey: ev.altKey });
    if (!next.handled) return;
    ev.preventDefault();
    if (next.choose) {
      this.choose(this.shown[this.active]);
      return;
    }
    if (next.clear) {
      this.input.value = '';
      this.chosen = null;
      this.filter();
      return;
    }
    if (next.open && !this.isOpen) this.open();
    else if (!next.open && this.isOpen) this.close();
    this.active = next.active;
    this.render();
  }

  choose(option) {
    if (!option) return;
    if (option.disabled) {
      this.status.textContent = `${option.label} cannot take the call now (${option.detail}).`;
      return;
    }
    this.chosen = option;
    this.input.value = option.label;
    this.close();
    this.status.textContent = `${option.label} chosen.`;
    this.onChoose(option);
  }

  /** The chosen option, or the one whose name was typed exactly; null when none. */
  value() {
    if (this.chosen && this.input.value === this.chosen.label) return this.chosen;
    return exactOption(this.options, this.input.value);
  }

  reset() {
    this.input.value = '';
    this.chosen = null;
    this.close();
    this.filter();
  }

  render() {
    this.input.setAttribute('aria-expanded', String(this.isOpen));
    this.listbox.hidden = !this.isOpen;
    const items = this.shown.map((o, i) => {
      const li = h(
        'li',
        {
          id: `${this.listbox.id}-${i}`,
          role: 'option',
          class: 'combo-option',
          'data-kind': o.kind,
          'data-id': o.id,
          'aria-selected': String(i === this.active),
          'aria-disabled': o.disabled ? 'true' : null,
        },
        h('span', { class: 'combo-name' }, o.label),
        h('span', { class: 'combo-detail' }, o.detail),
      );
      // mousedown, not click: the input keeps the focus (and the list stays open until chosen).
      li.addEventListener('mousedown', (ev) => {
        ev.preventDefault();
        this.choose(o);
      });
      return li;
    });
    if (!items.length) items.push(h('li', { class: 'combo-empty', role: 'option', 'aria-disabled': 'true', 'aria-selected': 'false' }, this.options.length ? 'No match' : 'Loading…'));
    this.listbox.replaceChildren(...items);
    if (this.isOpen && this.active >= 0) {
      const current = this.listbox.children[this.active];
      this.input.setAttribute('aria-activedescendant', current.id);
      current.scrollIntoView?.({ block: 'nearest' });
    } else {
      this.input.removeAttribute('aria-activedescendant');
    }
    const count = `${this.shown.length} ${this.shown.length === 1 ? 'result' : 'results'}`;
    if (this.isOpen && this.status.textContent !== count) this.status.textContent = count; // said once
  }
}
