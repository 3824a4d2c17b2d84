// The softphone inside an org's Salesforce console: the frame is checked, Open CTI loaded,
// and the agent signed in with their Salesforce session. softphone.js calls this once at start
// and tells the bridge what happens; every decision is in opencti-model.js and
// console-model.js (tested with node --test), the sign-in in salesforce-signin.js.
//
//   /softphone/                       standalone: no bridge (null)
//   /softphone/?org=ORG               Salesforce sign-in, no Open CTI (opened outside the console)
//   /softphone/?org=ORG&sfdcIframeOrigin=…&mode=Lightning…   framed: the frame origin must be
//                                     one of the org's console origins, else nothing is loaded

import { OpenCti } from '/softphone/opencti.js';
import { allowedOrigin, framingOf, itemLabel, panelShouldOpen, primaryCall } from '/softphone/opencti-model.js';
import { CONSOLE_USER_APEX, consoleUserId, popAction, recordPop } from '/softphone/console-model.js';
import { SalesforceSession } from '/softphone/salesforce-signin.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export class ConsoleRefused extends Error {
  constructor(message) {
    super(message);
    this.name = 'ConsoleRefused';
  }
}

/** `{org: {id, name, origins}, dial: {country_code, international_prefix}}` (server/pages.py). */
async function describe(fetchFn, orgRef) {
  const resp = await fetchFn(`/softphone/console.json?org=${encodeURIComponent(orgRef)}`, { cache: 'no-store' });
  if (resp.status === 404) throw new ConsoleRefused('This softphone link names a Salesforce org that SIVO does not know (disconnected?). Ask your administrator to connect it again.');
  if (!resp.ok) throw new Error(`SIVO did not describe the org (HTTP ${resp.status})`);
  return resp.json();
}

/**
 * Returns null for the standalone page, or the bridge. Throws ConsoleRefused when the page is
 * framed by something the org does not own (nothing has been loaded then).
 */
export async function startConsole({ window, document, log, onClickToDial, onNavigation }) {
  const params = new URLSearchParams(window.location.search);
  const orgRef = params.get('org');
  if (!orgRef) return null;
  const allowLoopback = LOOPBACK.has(window.location.hostname);
  const framing = framingOf(window.location.search, { allowLoopback });
  const { org, dial } = await describe(window.fetch.bind(window), orgRef);
  const framed = framing.framed && window.top !== window;
  if (framing.reason && framing.reason !== 'not_framed') {
    throw new ConsoleRefused(`Salesforce opened this softphone with parameters it cannot trust (${framing.reason}). Nothing was loaded.`);
  }
  if (framing.framed && !allowedOrigin(framing.origin, org.origins, { allowLoopback })) {
    throw new ConsoleRefused(`This softphone belongs to the Salesforce org "${org.name}", but it was opened by ${framing.origin}. Nothing was loaded.`);
  }
  const session = new SalesforceSession({ window, fetch: window.fetch.bind(window), orgId: org.id, log });
  const bridge = new ConsoleBridge({ org, session, log });
  if (framed) {
    bridge.cti = new OpenCti({
      window,
      document,
      origin: framing.origin,
      log,
      onClickToDial,
      onNavigation: (record) => {
        bridge.lastRecord = record;
        onNavigation?.(record);
      },
      // Phone fields hold national numbers ("(415) 555-1212"): read in the tenant's country.
      dialOptions: { countryCode: dial?.country_code ?? null, internationalPrefix: dial?.international_prefix ?? '00' },
      allowLoopback,
    });
    // Not awaited by the caller's sign-in: the bridge works (and says so) if Salesforce is slow.
    bridge.ready = bridge.cti.load().then(
      () => {
        window.performance?.mark?.('sivo:opencti'); // Salesforce told the softphone is ready
        return true;
      },
      () => false,
    );
  }
  return bridge;
}

export class ConsoleBridge {
  constructor({ org, session, log }) {
    this.org = org;
    this.session = session;
    this.log = log;
    this.cti = null;
    this.ready = Promise.resolve(false);
    this.lastRecord = null; // the record the agent is on (onNavigationChange), for outbound calls
  }

  get framed() {
    return this.cti !== null;
  }

  /** The utility bar item: the agent's state, or the call (`calls`: the views' summaries). */
  showState(presence, calls, now = Date.now()) {
    if (!this.cti?.api) return;
    const { label, icon } = itemLabel(presence, primaryCall(calls), now);
    this.cti.showState(label, icon).catch(() => {});
  }

  /** A call rings this phone: open the panel, so the agent sees it wherever they are. */
  ringing(event) {
    if (this.cti?.api && panelShouldOpen({ type: 'call.ringing', direction: event.direction })) {
      this.cti.openPanel().catch(() => {});
    }
  }

  /**
   * A `call.screenpop` push: pop it in Salesforce now, unless it is a modal that waits for the
   * answer (then the caller sends `action.pop` with screenPop() once answered). Returns
   * popAction()'s result for the card.
   */
  pop(push) {
    const action = popAction(push);
    if (action.pop && !action.atAnswer) this.screenPop(action.pop);
    return action;
  }

  screenPop(arg) {
    if (!this.cti?.api) return;
    this.cti.screenPop(arg).catch((err) => this.log(`Salesforce did not open the record (${err.code})`, 'error'));
  }

  /** The agent picked a record from the chooser (or clicked it on the card). */
  openRecord(recordId) {
    if (!this.cti?.api) return Promise.resolve(false);
    return this.cti.screenPop(recordPop(recordId)).then(() => true, () => false);
  }

  /**
   * Who is signed in to this console, from the package's Apex class (runApex); null when it
   * cannot say (no Open CTI, the class or the SIVO Agent permission set missing).
   */
  async consoleUser() {
    if (!(await this.ready)) return null;
    try {
      return consoleUserId(await this.cti.invoke('runApex', CONSOLE_USER_APEX));
    } catch {
      return null;
    }
  }

  clickToDial(on) {
    if (this.cti?.api) this.cti.setClickToDial(on).catch(() => {});
  }
}
