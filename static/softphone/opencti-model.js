// The pure half of the Open CTI bridge (issue 10): what the softphone makes of Salesforce's
// frame parameters, listener payloads and its own state. No DOM, no globals, no network; the
// adapter in /softphone/opencti.js does the talking. Section numbers are those of
// shared/reference/salesforce.md.

export const SCREENPOP_TYPES = ['SOBJECT', 'URL', 'OBJECTHOME', 'LIST', 'SEARCH', 'NEW_RECORD_MODAL', 'FLOW'];
// The strings Salesforce's sforce.opencti.SCREENPOP_TYPE holds, as server/salesforce/
// screenpop_policy.py writes them (the reference gives only the names). devorg's stand-in holds
// the names themselves, so the adapter always sends what the loaded script's constant holds.
const SCREENPOP_VALUES = {
  sobject: 'SOBJECT', url: 'URL', objecthome: 'OBJECTHOME', list: 'LIST',
  search: 'SEARCH', newRecord: 'NEW_RECORD_MODAL', flow: 'FLOW',
};
// A version every org on a current release serves (Spring '26; the latest is 68.0, §1). Open CTI
// versions are supported for at least three years, and Lightning needs 38.0 or later (§7.3).
export const OPENCTI_API_VERSION = '66.0';
// The utility bar shares one strip with every other utility item; Salesforce's own
// "Omni-Channel (Online)" is 21 characters.
export const LABEL_MAX = 24;

const ORIGIN_SHAPE = /^(https?):\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?\/?$/i;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost']);
const API_VERSION = /^([1-9][0-9]{1,2})\.0$/;
const RECORD_ID = /^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$/;
const API_NAME = /^[A-Za-z][A-Za-z0-9_]{0,79}$/; // Contact, Foo__c, ns__Foo__c
const TOKEN = /^[A-Za-z0-9_.-]{1,64}$/; // ltn_app_id, nonce, isdtp, clc, sfdcIFrameHost
const E164 = /^\+[1-9][0-9]{7,14}$/;
const CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu; // includes bidi overrides such as U+202E

const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The canonical origin in `raw`, or null. Only an https origin, scheme + host + optional port
 * (one trailing "/" allowed): no path, query, credentials, percent-escapes or non-ASCII host,
 * and the text must already be the serialised origin apart from letter case (so "127.1" for
 * 127.0.0.1, an explicit ":443" and IDN spellings, which a URL parser would rewrite, are
 * refused rather than reinterpreted). Plain http passes only for the hosts 127.0.0.1 and
 * localhost (any port), and only with `allowLoopback` (devorg, tests).
 */
export function parseOrigin(raw, { allowLoopback = false } = {}) {
  if (typeof raw !== 'string' || raw.length > 300 || !ORIGIN_SHAPE.test(raw)) return null;
  let url;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  const loopbackHttp = url.protocol === 'http:' && allowLoopback && LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !loopbackHttp) return null;
  const text = raw.toLowerCase().replace(/\/$/, '');
  return text === url.origin ? url.origin : null;
}

function singleParam(params, names) {
  const values = names.flatMap((name) => params.getAll(name));
  if (values.length === 0) return { value: null };
  // Two copies (or both spellings, disagreeing) may be read differently by opencti_min.js
  // and by us: refuse rather than guess which one Salesforce meant.
  if (new Set(values).size > 1 || names.some((name) => params.getAll(name).length > 1)) return { duplicate: true };
  return { value: values[0] };
}

function token(params, name) {
  const found = singleParam(params, [name]);
  return found.value !== null && TOKEN.test(found.value) ? found.value : null;
}

/**
 * How this page is framed, from its query string (`location.search`). Salesforce frames the
 * adapter URL with `mode=Lightning`, `ltn_app_id`, `isdtp=vw`, `sfdcIframeOrigin`, `clc=1` and
 * `nonce` (§7.1). `sfdcIFrameOrigin` and `sfdcIFrameHost` are Classic's spellings (not in the
 * reference; read so that a Classic frame is recognised and refused as such).
 *
 * Returns `{framed: true, origin, mode: 'Lightning', appId, nonce, isdtp, clc, iframeHost}` or
 * `{framed: false, reason, origin: null, mode}` with reason `not_framed` (no origin parameter),
 * `duplicate_param`, `bad_origin` or `not_lightning` (Classic needs interaction.js, §7.1).
 */
export function framingOf(search, { allowLoopback = false } = {}) {
  let params;
  try {
    params = new URLSearchParams(typeof search === 'string' ? search : '');
  } catch {
    params = new URLSearchParams();
  }
  const mode = singleParam(params, ['mode']);
  const origin = singleParam(params, ['sfdcIframeOrigin', 'sfdcIFrameOrigin']);
  const modeValue = mode.duplicate ? null : mode.value;
  const refuse = (reason) => ({ framed: false, reason, origin: null, mode: modeValue });
  if (mode.duplicate || origin.duplicate) return refuse('duplicate_param');
  if (origin.value === null) return refuse('not_framed');
  const parsed = parseOrigin(origin.value, { allowLoopback });
  if (parsed === null) return refuse('bad_origin');
  if (modeValue !== 'Lightning') return refuse('not_lightning');
  return {
    framed: true,
    origin: parsed,
    mode: modeValue,
    appId: token(params, 'ltn_app_id'),
    nonce: token(params, 'nonce'),
    isdtp: token(params, 'isdtp'),
    clc: token(params, 'clc'),
    iframeHost: token(params, 'sfdcIFrameHost'),
  };
}

/**
 * Whether `origin` is exactly one of `connectedOrigins` (the connected orgs' Lightning and My
 * Domain origins, as the server lists them). Both sides go through parseOrigin: the host is
 * compared without letter case, everything else exactly; no suffix or prefix matching.
 */
export function allowedOrigin(origin, connectedOrigins, { allowLoopback = false } = {}) {
  const wanted = parseOrigin(origin, { allowLoopback });
  if (wanted === null || !Array.isArray(connectedOrigins)) return false;
  return connectedOrigins.some((candidate) => parseOrigin(candidate, { allowLoopback }) === wanted);
}

/** `${origin}/support/api/${apiVersion}/lightning/opencti_min.js` (§7.1); throws on bad input. */
export function scriptUrl(origin, apiVersion = OPENCTI_API_VERSION, { allowLoopback = false } = {}) {
  const canonical = parseOrigin(origin, { allowLoopback });
  if (canonical === null || canonical !== origin) throw new Error('Open CTI: not a Salesforce origin');
  const version = API_VERSION.exec(typeof apiVersion === 'string' ? apiVersion : '');
  if (!version || Number(version[1]) < 38) {
    throw new Error('Open CTI: the API version must look like 66.0 (38.0 or later)');
  }
  return `${canonical}/support/api/${apiVersion}/lightning/opencti_min.js`;
}

// ---- the utility bar item -----------------------------------------------------------------

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** One line of plain text: control and bidi characters dropped, spaces collapsed, at most `max`. */
export function cleanText(value, max = LABEL_MAX) {
  const text = String(value ?? '').replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}

function party(number) {
  return !number || number === 'anonymous' ? 'Unknown caller' : number;
}

const CONNECTION_STATES = {
  connecting: { label: 'Connecting…', icon: 'sync' },
  reconnecting: { label: 'Reconnecting…', icon: 'sync' },
  offline: { label: 'Offline', icon: 'offline' },
  replaced: { label: 'Open in another tab', icon: 'warning' },
};

function callState(call, now) {
  const timer = call.connectedAt > 0 && now > 0 ? ` ${clock((now - call.connectedAt) / 1000)}` : '';
  if (call.state === 'ringing' && call.direction === 'outbound') return { label: `Calling ${party(call.to)}`, icon: 'outbound_call' };
  if (call.state === 'ringing' && call.incoming) return { label: `Ringing ${party(call.from)}`, icon: 'incoming_call' };
  if (call.state !== 'connected') return null;
  if (call.held) return { label: `On hold${timer}`, icon: 'pause' };
  if (call.muted) return { label: `Muted${timer}`, icon: 'muted' };
  if (call.role === 'consult') return { label: `Consult${timer}`, icon: 'call' };
  if (call.conference) return { label: `Conference${timer}`, icon: 'call' };
  return { label: `On call${timer}`, icon: 'call' };
}

function presenceState(presence, now) {
  switch (presence.status) {
    case 'available':
      return { label: 'Available', icon: 'user' };
    case 'on_break':
      return { label: presence.reason ? `Break: ${presence.reason}` : 'On break', icon: 'away' };
    case 'after_call_work': {
      const ends = Date.parse(presence.wrap_up_ends_at ?? '');
      const left = Number.isFinite(ends) && now > 0 ? ` ${clock(Math.max(0, ends - now) / 1000)}` : '';
      return { label: `After-call work${left}`, icon: 'log_a_call' };
    }
    case 'on_call':
      return { label: 'On call', icon: 'call' };
    case 'logged_out':
      return { label: 'Logged out', icon: 'end_call' };
    default:
      return { label: 'Phone', icon: 'call' };
  }
}

/**
 * What setSoftphoneItemLabel / setSoftphoneItemIcon show (`{label, icon}`; icons are SLDS
 * utility icon keys, §7.3). `presence` is `{status, reason, wrap_up_ends_at, connection}` (null
 * when signed out; `connection` is the softphone's connection state: connected, connecting,
 * reconnecting, offline, replaced). `call` is the call to show (see primaryCall):
 * `{state, direction, from, to, incoming, held, muted, role, conference, connectedAt}`, with
 * `connectedAt` and `now` in epoch milliseconds. A lost connection outranks the call (its
 * buttons do not work), the call outranks the status.
 */
export function itemLabel(presence, call = null, now = 0) {
  let state;
  if (!isObject(presence)) state = { label: 'Signed out', icon: 'end_call' };
  else if (Object.hasOwn(CONNECTION_STATES, presence.connection)) state = CONNECTION_STATES[presence.connection];
  else state = (isObject(call) ? callState(call, now) : null) ?? presenceState(presence, now);
  return { label: cleanText(state.label), icon: state.icon };
}

/** The call the utility bar is about: one ringing this phone, else a connected one, else a dial in progress. */
export function primaryCall(calls) {
  const list = (Array.isArray(calls) ? calls : []).filter(isObject);
  return (
    list.find((c) => c.state === 'ringing' && c.incoming && c.direction !== 'outbound') ??
    list.find((c) => c.state === 'connected' && c.role !== 'consult') ??
    list.find((c) => c.state === 'connected') ??
    list.find((c) => c.state === 'ringing' && c.direction === 'outbound') ??
    null
  );
}

// ---- listener payloads --------------------------------------------------------------------

function idOrNull(value) {
  return typeof value === 'string' && RECORD_ID.test(value) ? value : null;
}

/** `{id, name, type, accountId, contactId}` from a payload's record fields, or null without a record Id. */
function recordOf(payload) {
  const id = idOrNull(payload.recordId);
  if (id === null) return null;
  const name = typeof payload.recordName === 'string' ? cleanText(payload.recordName, 255) : '';
  return {
    id,
    name: name || null,
    type: typeof payload.objectType === 'string' && API_NAME.test(payload.objectType) ? payload.objectType : null,
    accountId: idOrNull(payload.accountId),
    contactId: idOrNull(payload.contactId),
  };
}

const fail = (code, message) => ({ error: { code, message } });
// Italy keeps the leading 0 of its national numbers after the country code.
const TRUNK_ZERO_KEPT = new Set(['39']);

/**
 * The number and record of an onClickToDial payload (`{number, recordId, recordName,
 * objectType, accountId | contactId, personAccount, params}`, §7.3), as `{number, record}` with
 * `number` in E.164, or `{error: {code, message}}` with code `no_number`, `bad_number` or
 * `no_country_code`.
 *
 * Phone fields hold what people typed ("(415) 555-1212"). A number with "+" or the
 * international prefix (`internationalPrefix`, default "00"; "011" in North America) is
 * international; any other needs `countryCode` ("1", "44"), after dropping a leading trunk "0"
 * (or, for "1", a leading "1"); a bracketed "(0)" is dropped. Letters (extensions, vanity
 * numbers), "*", "#", "," and ";" are refused rather than dialled wrong. `params` (vendor data
 * attached to the field) is ignored.
 */
export function clickToDial(payload, { countryCode = null, internationalPrefix = '00' } = {}) {
  if (countryCode !== null && !/^[1-9][0-9]{0,2}$/.test(String(countryCode))) throw new Error('countryCode must be 1 to 3 digits');
  if (internationalPrefix !== null && !/^[0-9]{2,4}$/.test(String(internationalPrefix))) throw new Error('internationalPrefix must be 2 to 4 digits');
  if (!isObject(payload)) return fail('no_number', 'Salesforce sent nothing to dial.');
  const raw = payload.number;
  const text = typeof raw === 'string' ? raw.trim() : Number.isSafeInteger(raw) && raw > 0 ? String(raw) : '';
  if (!text) return fail('no_number', 'Salesforce sent no number to dial.');
  if (text.length > 40) return fail('bad_number', 'The number is too long to be a phone number.');
  if (/\p{L}/u.test(text)) return fail('bad_number', 'The number has letters in it (an extension or a vanity number?); dial it by hand.');
  // "+44 (0)20 …": the bracketed 0 is the trunk prefix, never dialled after a country code.
  const compact = text.replace(/\(\s*0\s*\)/g, '').replace(/[\s().\-/]/g, '');
  if (!/^\+?[0-9]+$/.test(compact)) return fail('bad_number', 'The number has characters a phone number cannot have.');
  let e164;
  const prefix = internationalPrefix === null ? null : String(internationalPrefix);
  if (compact.startsWith('+')) {
    e164 = compact;
  } else if (prefix && compact.startsWith(prefix)) {
    e164 = `+${compact.slice(prefix.length)}`;
  } else if (countryCode !== null) {
    const cc = String(countryCode);
    let national = compact;
    if (cc === '1' && national.length === 11 && national.startsWith('1')) national = national.slice(1);
    else if (!TRUNK_ZERO_KEPT.has(cc) && national.startsWith('0')) national = national.slice(1);
    e164 = `+${cc}${national}`;
  } else {
    return fail('no_country_code', 'The number has no country code, and no default country is set.');
  }
  if (!E164.test(e164)) return fail('bad_number', 'That is not a complete phone number.');
  return { number: e164, record: recordOf(payload) };
}

/**
 * The record an onNavigationChange payload (`{url, recordId, recordName, objectType, ...}`)
 * shows, for an outbound call's log; null for pages that are not a record (home, list views:
 * Salesforce then sends only `url`, or nothing, §7.3).
 */
export function navigationRecord(payload) {
  return isObject(payload) ? recordOf(payload) : null;
}

/**
 * Whether the softphone panel should open for `event`: `{type: 'call.ringing'}` (the signaling
 * event: this phone rings) or `{type: 'screen_pop', callType: 'inbound'}` (a pop for an incoming
 * call). Everything else (outbound pops, call updates, navigation) leaves the panel as the agent
 * put it.
 */
export function panelShouldOpen(event) {
  if (!isObject(event)) return false;
  if (event.type === 'call.ringing') return event.direction !== 'outbound';
  if (event.type === 'screen_pop') return String(event.callType ?? '').toLowerCase() === 'inbound';
  return false;
}

/**
 * The SCREENPOP_TYPE name ("SOBJECT") for a pop's `type`, which may be the name, the value of
 * the loaded script's constant (`constants`, i.e. sforce.opencti.SCREENPOP_TYPE), or the value
 * Salesforce's constant holds ("sobject", "newRecord"); null for anything else.
 */
export function screenPopTypeName(type, constants = {}) {
  if (typeof type !== 'string') return null;
  if (SCREENPOP_TYPES.includes(type)) return type;
  const loaded = SCREENPOP_TYPES.find((name) => isObject(constants) && Object.hasOwn(constants, name) && constants[name] === type);
  return loaded ?? (Object.hasOwn(SCREENPOP_VALUES, type) ? SCREENPOP_VALUES[type] : null);
}

/**
 * Why a screenPop argument (`{type, params}`, type a SCREENPOP_TYPE name, §7.4) would fail or
 * mislead, or null when it is fine. A URL pop must be a relative path (§7.4): an absolute,
 * protocol-relative or `javascript:` URL is refused here, before Salesforce sees it.
 */
export function screenPopProblem(arg) {
  if (!isObject(arg) || !SCREENPOP_TYPES.includes(arg.type)) return 'type must be a SCREENPOP_TYPE';
  const params = arg.params ?? {};
  if (!isObject(params)) return 'params must be an object';
  switch (arg.type) {
    case 'SOBJECT':
      return idOrNull(params.recordId) ? null : 'params.recordId must be a record Id';
    case 'URL':
      return typeof params.url === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(params.url) ? null : 'params.url must be a relative path';
    case 'OBJECTHOME':
      return typeof params.scope === 'string' && API_NAME.test(params.scope) ? null : 'params.scope must be an object name';
    case 'LIST':
      return idOrNull(params.listViewId) && typeof params.scope === 'string' && API_NAME.test(params.scope)
        ? null
        : 'params.listViewId and params.scope are required';
    case 'SEARCH':
      return typeof params.searchString === 'string' && params.searchString.trim().length >= 3 ? null : 'params.searchString needs 3 characters or more';
    case 'NEW_RECORD_MODAL':
      return typeof params.entityName === 'string' && API_NAME.test(params.entityName) ? null : 'params.entityName must be an object name';
    case 'FLOW':
      return typeof params.flowDevName === 'string' && API_NAME.test(params.flowDevName) ? null : 'params.flowDevName must be a flow name';
    default:
      return null;
  }
}
