// A fake page for the Open CTI adapter: a window, a document whose <script> elements "load"
// by installing a fake sforce.opencti, and that fake. It behaves like the documented API
// (shared/reference/salesforce.md §7.2-7.4, and devorg's stand-in): one argument object,
// callback({success, returnValue, errors}) answered asynchronously, listener methods without a
// callback, INVALID_PARAM for bad arguments. Its SCREENPOP_TYPE holds the values Salesforce's
// does ("sobject", "newRecord"), or with `constants: 'devorg'` the names, as devorg's stand-in
// does; screenPop accepts only what its own constant holds.

const METHODS = [
  'screenPop', 'searchAndScreenPop', 'enableClickToDial', 'disableClickToDial', 'onClickToDial',
  'onNavigationChange', 'getAppViewInfo', 'saveLog', 'runApex', 'refreshView', 'getCallCenterSettings',
  'getSoftphoneLayout', 'notifyInitializationComplete', 'setSoftphonePanelVisibility',
  'isSoftphonePanelVisible', 'setSoftphonePanelHeight', 'setSoftphonePanelWidth', 'setSoftphoneItemLabel',
  'setSoftphonePanelLabel', 'setSoftphoneItemIcon', 'setSoftphonePanelIcon', 'subscribe', 'publish', 'unsubscribe',
];
const LISTENERS = new Set(['onClickToDial', 'onNavigationChange']);

const ok = (returnValue = null) => ({ success: true, returnValue, errors: null });
const invalid = (description) => ({
  success: false,
  returnValue: null,
  errors: [{ code: 'INVALID_PARAM', description, details: [] }],
});

const SALESFORCE_TYPES = {
  SOBJECT: 'sobject', URL: 'url', OBJECTHOME: 'objecthome', LIST: 'list',
  SEARCH: 'search', NEW_RECORD_MODAL: 'newRecord', FLOW: 'flow',
};

export class FakeOpenCti {
  constructor({ constants = 'salesforce' } = {}) {
    this.calls = []; // {method, args} with functions replaced by '<fn>'
    this.listeners = { onClickToDial: [], onNavigationChange: [] };
    this.panel = { visible: false, label: null, icon: null, clickToDial: false, initialized: false };
    this.overrides = new Map(); // method -> response object, 'silent', 'throw' or (args) => response
    this.pending = []; // callbacks of 'silent' calls, to answer late
    this.api = {
      SCREENPOP_TYPE: constants === 'devorg'
        ? Object.fromEntries(Object.keys(SALESFORCE_TYPES).map((name) => [name, name]))
        : { ...SALESFORCE_TYPES },
      CALL_TYPE: { INBOUND: 'inbound', OUTBOUND: 'outbound', INTERNAL: 'internal' },
    };
    for (const method of METHODS) this.api[method] = (args) => this.receive(method, args);
  }

  methods() {
    return this.calls.map((c) => c.method);
  }

  receive(method, args) {
    if (args === null || typeof args !== 'object') throw new TypeError(`${method} takes one object`);
    const copy = Object.fromEntries(Object.entries(args).map(([k, v]) => [k, typeof v === 'function' ? '<fn>' : v]));
    this.calls.push({ method, args: copy });
    if (LISTENERS.has(method)) {
      if (typeof args.listener === 'function') this.listeners[method].push(args.listener);
      return;
    }
    const overridden = this.overrides.has(method);
    const override = this.overrides.get(method);
    if (override === 'throw') throw new Error('boom');
    if (override === 'silent') {
      this.pending.push(args.callback);
      return;
    }
    const response = !overridden ? this.respond(method, args) : typeof override === 'function' ? override(args) : override;
    if (typeof args.callback === 'function') queueMicrotask(() => args.callback(response));
  }

  respond(method, args) {
    const panel = this.panel;
    switch (method) {
      case 'notifyInitializationComplete':
        panel.initialized = true;
        return ok();
      case 'enableClickToDial':
      case 'disableClickToDial':
        panel.clickToDial = method === 'enableClickToDial';
        return ok();
      case 'setSoftphonePanelVisibility':
        if (typeof args.visible !== 'boolean') return invalid('visible must be a boolean');
        panel.visible = args.visible;
        return ok();
      case 'isSoftphonePanelVisible':
        return ok({ visible: panel.visible });
      case 'setSoftphoneItemLabel':
        if (typeof args.label !== 'string') return invalid('label must be a string');
        panel.label = args.label;
        return ok();
      case 'setSoftphoneItemIcon':
        if (typeof args.key !== 'string') return invalid('key must be a string');
        panel.icon = args.key;
        return ok();
      case 'screenPop':
        if (!Object.values(this.api.SCREENPOP_TYPE).includes(args.type)) return invalid('type must be a sforce.opencti.SCREENPOP_TYPE');
        panel.view = { type: args.type, params: args.params };
        return ok();
      default:
        return ok();
    }
  }

  /** What Salesforce does when the agent clicks a number or navigates. */
  fire(event, payload) {
    for (const listener of this.listeners[event]) listener(payload);
  }
}

class FakeScript extends EventTarget {
  constructor(owner) {
    super();
    this.owner = owner;
    this.tagName = 'SCRIPT';
    this.src = '';
  }

  remove() {
    const list = this.owner.children;
    if (list.includes(this)) list.splice(list.indexOf(this), 1);
  }
}

/**
 * `{window, document, head, fake}`; `options` go to FakeOpenCti. `behaviour` says what an appended script does: 'ok' (installs
 * window.sforce.opencti, then fires load), 'error' (fires error, as a CSP block or a 404 does),
 * 'empty' (fires load but defines nothing), 'hang' (never fires).
 */
export function fakePage(behaviour = 'ok', options = {}) {
  const fake = new FakeOpenCti(options);
  const head = { children: [] };
  const window = {
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (id) => clearTimeout(id),
    sforce: undefined,
  };
  const page = { window, head, fake, behaviour, appended: [] };
  head.append = (el) => {
    head.children.push(el);
    page.appended.push(el);
    const now = page.behaviour;
    setTimeout(() => {
      if (now === 'ok') {
        window.sforce = { opencti: fake.api };
        el.dispatchEvent(new Event('load'));
      } else if (now === 'empty') {
        el.dispatchEvent(new Event('load'));
      } else if (now === 'error') {
        el.dispatchEvent(new Event('error'));
      }
    }, 0);
  };
  page.document = {
    head,
    createElement(tag) {
      if (tag !== 'script') throw new Error(`unexpected element ${tag}`);
      return new FakeScript(head);
    },
  };
  return page;
}
