// The Open CTI adapter: loads Salesforce's opencti_min.js into this frame and turns its
// callback API into promises. Thin on purpose: every decision (is the frame trusted, what the
// label says, what a payload means) is in /softphone/opencti-model.js, which has the tests.
//
// Calling convention (reference §7.2): `sforce.opencti.method({...args, callback})`, and the
// callback gets `{success, returnValue, errors: [{code, description, details}]}`. Listener
// methods take `{listener}` and have no callback. Logs carry method names and error codes only:
// never numbers, record names, labels or the frame's query string.

import {
  OPENCTI_API_VERSION,
  clickToDial,
  navigationRecord,
  parseOrigin,
  screenPopProblem,
  screenPopTypeName,
  scriptUrl,
} from '/softphone/opencti-model.js';

const NEEDED = ['notifyInitializationComplete', 'enableClickToDial', 'onClickToDial', 'onNavigationChange'];

export class OpenCtiError extends Error {
  /** `code` is Salesforce's (INVALID_PARAM, GENERIC_ERROR, SERVER_ERROR, SOFTPHONE_CONTAINER_ERROR) or ours (not_loaded, timeout, load_failed). */
  constructor(code, message, details = null) {
    super(message);
    this.name = 'OpenCtiError';
    this.code = code;
    this.details = details;
  }
}

function responseError(method, response) {
  const first = Array.isArray(response?.errors) ? response.errors[0] : null;
  const code = typeof first?.code === 'string' ? first.code : 'GENERIC_ERROR';
  const why = typeof first?.description === 'string' && first.description ? first.description : 'no reason given';
  return new OpenCtiError(code, `Salesforce refused ${method}: ${why}`, first?.details ?? null);
}

export class OpenCti {
  /**
   * `origin` is the framing org's origin, already checked by the caller with framingOf and
   * allowedOrigin. `onClickToDial(result)` gets clickToDial()'s `{number, record}` or
   * `{error}`; `onNavigation(record)` gets navigationRecord()'s record (pages without a record
   * are not reported). `log(text, kind)` is the softphone's activity log. `dialOptions` (the
   * default country and international prefix) may be replaced later.
   */
  constructor({
    window,
    document,
    origin,
    apiVersion = OPENCTI_API_VERSION,
    onClickToDial = () => {},
    onNavigation = () => {},
    log = () => {},
    dialOptions = {},
    allowLoopback = false,
    timeoutMs = 10_000,
    loadTimeoutMs = 15_000,
  }) {
    if (parseOrigin(origin, { allowLoopback }) !== origin) throw new OpenCtiError('bad_origin', 'Open CTI: not a Salesforce origin');
    this.window = window;
    this.document = document;
    this.origin = origin;
    this.src = scriptUrl(origin, apiVersion, { allowLoopback });
    this.apiVersion = apiVersion;
    this.onClickToDial = onClickToDial;
    this.onNavigation = onNavigation;
    this.log = log;
    this.dialOptions = dialOptions;
    this.timeoutMs = timeoutMs;
    this.loadTimeoutMs = loadTimeoutMs;
    this.api = null;
    this.loading = null;
    this.shown = { label: null, icon: null };
  }

  /** Loads the script (once), registers the listeners, then tells Salesforce the softphone is ready. */
  load() {
    this.loading ??= this.start().catch((err) => {
      this.loading = null; // a later load() may try again, still with one script element
      this.log(`Salesforce phone bridge not started (${err.code ?? 'error'})`, 'error');
      throw err;
    });
    return this.loading;
  }

  async start() {
    const url = new URL(this.src);
    if (url.origin !== this.origin || url.search || url.hash) throw new OpenCtiError('bad_origin', 'Open CTI: the script is not on the org origin');
    if (!this.api) {
      const script = await this.insertScript(url.href);
      const api = this.window.sforce?.opencti;
      if (!api || !NEEDED.every((method) => typeof api[method] === 'function')) {
        script.remove();
        throw new OpenCtiError('not_loaded', 'opencti_min.js loaded but defined no sforce.opencti');
      }
      this.api = api;
      // Listeners before enableClickToDial, so that no click is lost (events lost during a
      // slow initialisation are a peer complaint, peers.md §4.7).
      this.listen('onClickToDial', (payload) => this.onClickToDial(clickToDial(payload, this.dialOptions)));
      this.listen('onNavigationChange', (payload) => {
        const record = navigationRecord(payload);
        if (record) this.onNavigation(record);
      });
    }
    // Before reqTimeout runs out, or Salesforce switches to the standby URL (§7.3).
    await this.invoke('notifyInitializationComplete');
    await this.invoke('enableClickToDial');
    this.log(`Salesforce phone bridge ready (Open CTI ${this.apiVersion})`, 'info');
  }

  insertScript(src) {
    return new Promise((resolve, reject) => {
      const script = this.document.createElement('script');
      const done = (err) => {
        this.window.clearTimeout(timer);
        script.removeEventListener('load', onLoad);
        script.removeEventListener('error', onError);
        if (!err) return resolve(script);
        script.remove();
        reject(err);
      };
      const onLoad = () => done(null);
      const onError = () => done(new OpenCtiError('load_failed', 'opencti_min.js did not load (blocked by the security policy, or the org is unreachable)'));
      const timer = this.window.setTimeout(() => done(new OpenCtiError('timeout', 'opencti_min.js did not load in time')), this.loadTimeoutMs);
      script.addEventListener('load', onLoad);
      script.addEventListener('error', onError);
      script.src = src;
      this.document.head.append(script);
    });
  }

  listen(method, handler) {
    this.api[method]({
      listener: (payload) => {
        try {
          handler(payload);
        } catch (err) {
          this.log(`Salesforce ${method} handler failed: ${err?.message ?? err}`, 'error');
        }
      },
    });
  }

  /** Calls `sforce.opencti[method]({...args, callback})`; resolves to returnValue, rejects with an OpenCtiError. */
  invoke(method, args = {}) {
    return new Promise((resolve, reject) => {
      const api = this.api;
      if (!api || typeof api[method] !== 'function') {
        reject(new OpenCtiError('not_loaded', `Open CTI has no ${method} (not loaded yet?)`));
        return;
      }
      let settled = false;
      const finish = (err, value) => {
        if (settled) return;
        settled = true;
        this.window.clearTimeout(timer);
        if (err) {
          this.log(`Salesforce ${method} failed (${err.code})`, 'error');
          reject(err);
        } else {
          resolve(value);
        }
      };
      // A frame without Salesforce's parameters, or a console that never answers, would
      // otherwise leave the promise pending for ever.
      const timer = this.window.setTimeout(() => finish(new OpenCtiError('timeout', `Salesforce did not answer ${method}`)), this.timeoutMs);
      try {
        api[method]({
          ...args,
          callback: (response) => {
            if (response?.success === true) finish(null, response.returnValue ?? null);
            else finish(responseError(method, response));
          },
        });
      } catch (err) {
        finish(new OpenCtiError('GENERIC_ERROR', `Open CTI ${method} threw: ${err?.message ?? err}`));
      }
    });
  }

  /** Docks the softphone panel (false would minimise it). */
  openPanel() {
    return this.invoke('setSoftphonePanelVisibility', { visible: true });
  }

  /** Turns Salesforce's click-to-dial links on or off (e.g. off while signed out). */
  setClickToDial(on) {
    return this.invoke(on ? 'enableClickToDial' : 'disableClickToDial');
  }

  /** The utility bar item's label and SLDS icon (itemLabel() gives both); unchanged values are not re-sent. */
  showState(label, icon) {
    const sends = [];
    if (typeof label === 'string' && label !== this.shown.label) {
      this.shown.label = label;
      sends.push(this.invoke('setSoftphoneItemLabel', { label }).catch((err) => {
        if (this.shown.label === label) this.shown.label = null;
        throw err;
      }));
    }
    if (typeof icon === 'string' && icon !== this.shown.icon) {
      this.shown.icon = icon;
      sends.push(this.invoke('setSoftphoneItemIcon', { key: icon }).catch((err) => {
        if (this.shown.icon === icon) this.shown.icon = null;
        throw err;
      }));
    }
    return Promise.all(sends).then(() => undefined);
  }

  /**
   * `sforce.opencti.screenPop({type, params})` (§7.4). `type` may be a SCREENPOP_TYPE name
   * ("SOBJECT") or a constant's value ("sobject", as the server's screen-pop policy and
   * searchAndScreenPop's deferred SCREEN_POP_DATA give it, §7.5); what is sent is always the
   * loaded script's own `sforce.opencti.SCREENPOP_TYPE[name]`.
   */
  screenPop(arg) {
    const constants = this.api?.SCREENPOP_TYPE ?? {};
    const name = screenPopTypeName(arg?.type, constants);
    const problem = screenPopProblem({ ...arg, type: name });
    if (problem) {
      this.log(`Screen pop not sent (${problem})`, 'error');
      return Promise.reject(new OpenCtiError('INVALID_PARAM', `Screen pop not sent: ${problem}`));
    }
    const type = Object.hasOwn(constants, name) ? constants[name] : name;
    return this.invoke('screenPop', { type, params: arg.params ?? {} });
  }
}
