// The Salesforce section's decisions, with no DOM access: where Connect sends the admin, what
// an org's status and call center come to, how a list of users adds up. Plain functions of
// their arguments (the API's JSON in, plain data out), so they can be tested without a page.

const CONNECT = '/admin/salesforce/connect';
const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
// The hosts an admin may copy from the browser bar instead of the My Domain login host.
const LIGHTNING = /^(.+?)(\.sandbox)?\.(?:lightning\.force\.com|my\.salesforce-setup\.com)$/;
const MY_DOMAIN_EXAMPLE = 'acme.my.salesforce.com';

export const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * What the admin typed as their My Domain → the `login` value SIVO's connect route takes.
 * `acme` means acme.my.salesforce.com; a Lightning or Setup host becomes its My Domain; a
 * path is dropped. With a scheme it goes as typed (scheme and host): the server checks it.
 * @returns {{login: string} | {error: string}}
 */
export function myDomainLogin(raw) {
  let value = String(raw ?? '').trim();
  if (!value) return { error: `Enter your My Domain, like ${MY_DOMAIN_EXAMPLE}.` };
  if (/\s/.test(value)) return { error: `A My Domain has no spaces, like ${MY_DOMAIN_EXAMPLE}.` };
  const scheme = value.match(SCHEME);
  if (scheme) {
    const rest = value.slice(scheme[0].length).replace(/[/?#].*$/, '');
    if (!rest) return { error: `Enter your My Domain, like ${MY_DOMAIN_EXAMPLE}.` };
    return { login: `${scheme[0].toLowerCase()}${rest.toLowerCase()}` };
  }
  value = value.replace(/[/?#].*$/, '').replace(/\.+$/, '').toLowerCase();
  if (!value) return { error: `Enter your My Domain, like ${MY_DOMAIN_EXAMPLE}.` };
  const lightning = value.match(LIGHTNING);
  if (lightning) value = `${lightning[1]}${lightning[2] ?? ''}.my.salesforce.com`;
  else if (!value.includes('.')) value = `${value}.my.salesforce.com`;
  return { login: value };
}

/**
 * The Connect form (`production`, `sandbox` or `my_domain` plus the typed My Domain) → the
 * URL the top window goes to, or the message to show next to the field.
 * @returns {{url: string, login: string} | {error: string, field: string}}
 */
export function connectTarget(choice, myDomain = '') {
  if (choice === 'production' || choice === 'sandbox') {
    return { url: `${CONNECT}?login=${choice}`, login: choice };
  }
  if (choice !== 'my_domain') return { error: 'Choose where you log in to Salesforce.', field: 'login' };
  const typed = myDomainLogin(myDomain);
  if (typed.error) return { error: typed.error, field: 'my_domain' };
  return { url: `${CONNECT}?${new URLSearchParams({ login: typed.login })}`, login: typed.login };
}

/** Where Reconnect logs in again: the login the org was connected through (`org.login`). */
export function reconnectUrl(org) {
  return org.login ? `${CONNECT}?${new URLSearchParams({ login: org.login })}` : CONNECT;
}

export function environmentLabel(org) {
  if (org.environment === 'my_domain') return org.is_sandbox ? 'Sandbox (My Domain)' : 'My Domain';
  return org.is_sandbox ? 'Sandbox' : 'Production';
}

/** The org's status for a badge: `kind` is a badge class suffix. */
export function orgStatus(org) {
  if (org.status === 'needs_reconnect') {
    return {
      label: 'Needs reconnect',
      kind: 'fail',
      reason: org.status_reason || 'Salesforce refused SIVO’s refresh token.',
      needsReconnect: true,
    };
  }
  return { label: 'Connected', kind: 'ok', reason: '', needsReconnect: false };
}

/**
 * What the call center card shows: the one SIVO uses (`chosen`, with the others to switch
 * to), a choice to make (`pick`: several SIVO_ call centers, none chosen), or how to import
 * the package's (`missing`).
 */
export function callCenterView(org) {
  const choices = org.call_centers ?? [];
  if (org.call_center) return { kind: 'chosen', center: org.call_center, choices, canSwitch: choices.length > 1 };
  if (choices.length) return { kind: 'pick', center: null, choices, canSwitch: true };
  return { kind: 'missing', center: null, choices: [], canSwitch: false };
}

/** A discovery value as shown: booleans as Yes/No. */
export function discoveryValue(item) {
  if (item.value === true) return 'Yes';
  if (item.value === false) return 'No';
  return item.value;
}

export const callCenterLabel = (c) => (c.name && c.name !== c.internal_name ? `${c.name} (${c.internal_name})` : c.internal_name);

const SCRT_SOURCES = {
  scrt_config: 'Read from the org’s ScrtServiceConfiguration',
  derived: 'Derived from the org’s My Domain',
  admin: 'Set here by an admin (overrides discovery)',
  none: 'Not found: the org has no My Domain to derive it from. Set it below.',
};

/** The SCRT2 base URL card: value, where it came from, whether it is a guess. */
export function scrtView(org) {
  const found = (org.discovery ?? []).find((d) => d.key === 'scrt_base_url');
  return {
    url: org.scrt_base_url,
    source: org.scrt_source,
    sourceLabel: SCRT_SOURCES[org.scrt_source] ?? org.scrt_source,
    uncertain: org.scrt_source === 'derived' && Boolean(found?.uncertain),
    overridden: org.scrt_source === 'admin',
  };
}

/**
 * The override field's text → the `scrt_base_url` to PATCH: an https origin with no path.
 * A bare host gets https (SCRT2 is served over nothing else).
 * @returns {{value: string} | {error: string}}
 */
export function scrtOverride(raw) {
  let value = String(raw ?? '').trim().replace(/\/+$/, '');
  if (!value) return { error: 'Enter the SCRT2 base URL, like acme.my.salesforce-scrt.com.' };
  const scheme = value.match(SCHEME);
  if (scheme && scheme[1].toLowerCase() !== 'https') return { error: 'SCRT2 is served over https only.' };
  if (!scheme) value = `https:${'//'}${value}`; // built, not written: static files name no URL
  return { value };
}

/** Users by state, as the import reports them. */
export function summariseUsers(users) {
  const out = { total: users.length, linked: 0, unmatched: 0, inactive: 0 };
  for (const u of users) if (u.state in out) out[u.state] += 1;
  return out;
}

export const unmatchedIds = (users) => users.filter((u) => u.state === 'unmatched').map((u) => u.user_id);

/** Drops chosen ids that are no longer unmatched (e.g. after creating their agents). */
export function keepSelectable(selected, users) {
  const open = new Set(unmatchedIds(users));
  return new Set([...selected].filter((id) => open.has(id)));
}

/** The "select all unmatched" box: checked, clear, or part way (indeterminate). */
export function selectAllState(selected, users) {
  const open = unmatchedIds(users);
  const chosen = open.filter((id) => selected.has(id)).length;
  return { checked: open.length > 0 && chosen === open.length, indeterminate: chosen > 0 && chosen < open.length, disabled: open.length === 0, count: chosen };
}

export const createAgentsLabel = (n) => (n ? `Create ${plural(n, 'agent')}` : 'Create agents');

export const USER_STATES = {
  linked: { label: 'Linked', kind: 'ok' },
  unmatched: { label: 'No agent yet', kind: 'warn' },
  inactive: { label: 'Inactive in Salesforce', kind: 'muted' },
};

/** One line on what an import found. */
export function importSummary(result) {
  const parts = [`${plural(result.linked, 'linked agent')} (matched by email)`, `${result.unmatched} without an agent`];
  if (result.inactive) parts.push(`${result.inactive} no longer active in Salesforce`);
  return `Imported ${plural(result.imported, 'active user')}: ${parts.join(', ')}.`;
}

export const KEY_STATES = {
  active: { label: 'Active', kind: 'ok' },
  pending: { label: 'Pending', kind: 'warn' },
  retired: { label: 'Retired', kind: 'muted' },
};

export const pemFileName = (org, key) => `sivo-scrt2-${org.org_id15}-${key.kid}.pem`;

/**
 * What the package's component listens for (lwc/…/sivoUtils.js, parseConnectMessage): the
 * link it keeps is this org's page on SIVO's own origin.
 */
export function connectedMessage(org, sivoOrigin) {
  return {
    type: 'sivo:salesforce-connect',
    status: 'connected',
    tenant: { url: `${sivoOrigin}/admin/salesforce/${encodeURIComponent(org.id)}`, name: org.name },
  };
}
