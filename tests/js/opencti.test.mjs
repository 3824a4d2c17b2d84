// Unit tests of the Open CTI bridge: the pure model (static/softphone/opencti-model.js) and the
// adapter (static/softphone/opencti.js) against a fake page and a fake sforce.opencti
// (helpers/fake-opencti.mjs). Run with `node --test tests/js/`.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { fakePage } from './helpers/fake-opencti.mjs';
import { importStatic } from './helpers/static-modules.mjs';

const model = await importStatic('softphone/opencti-model.js');
const { OpenCti, OpenCtiError } = await importStatic('softphone/opencti.js');
const {
  LABEL_MAX,
  OPENCTI_API_VERSION,
  allowedOrigin,
  clickToDial,
  framingOf,
  itemLabel,
  navigationRecord,
  panelShouldOpen,
  parseOrigin,
  primaryCall,
  screenPopProblem,
  screenPopTypeName,
  scriptUrl,
} = model;

const ORG = 'https://acme.lightning.force.com';
const MY_DOMAIN = 'https://acme.my.salesforce.com';
const NONCE = '0123456789abcdef0123456789abcdef';
const CONTACT = '003000000000001AAA';
const ACCOUNT = '001000000000001AAA';

/** The query string Salesforce (and devorg's console) adds to the adapter URL (§7.1). */
function query(origin = ORG, extra = {}) {
  const params = new URLSearchParams({
    mode: 'Lightning',
    ltn_app_id: '06m5g0000000001',
    isdtp: 'vw',
    sfdcIframeOrigin: origin,
    clc: '1',
    nonce: NONCE,
    ...extra,
  });
  return `?${params}`;
}

const HOSTILE_ORIGINS = [
  'javascript:alert(1)',
  'javascript://acme.lightning.force.com/%0aalert(1)',
  'data:text/html,<script>alert(1)</script>',
  'null',
  '',
  'acme.lightning.force.com',
  '//acme.lightning.force.com',
  'ftp://acme.lightning.force.com',
  'wss://acme.lightning.force.com',
  'http://acme.lightning.force.com',
  'https://',
  'https://acme.lightning.force.com/path',
  'https://acme.lightning.force.com/support/api/66.0/lightning/opencti_min.js',
  'https://acme.lightning.force.com//',
  'https://acme.lightning.force.com?x=1',
  'https://acme.lightning.force.com#top',
  'https://user:pw@acme.lightning.force.com',
  'https://acme.lightning.force.com@evil.io',
  'https://evil.io\\@acme.lightning.force.com',
  'https://evil.io\\acme.lightning.force.com',
  ' https://acme.lightning.force.com',
  'https://acme.lightning.force.com ',
  'https://acme.lightning.force.com\n',
  'https://ac\tme.lightning.force.com',
  'https://%61cme.lightning.force.com',
  'https://\u0430cme.lightning.force.com', // Cyrillic a
  'https://xn--cme-8cd.lightning.force.com:443',
  'https://acme.lightning.force.com:443',
  'https://acme.lightning.force.com:99999',
  'https://127.1',
  'https://0x7f.0.0.1',
];

describe('parseOrigin and framingOf', () => {
  test('reads the parameters Salesforce and devorg add to the adapter URL', () => {
    assert.deepEqual(framingOf(query()), {
      framed: true,
      origin: ORG,
      mode: 'Lightning',
      appId: '06m5g0000000001',
      nonce: NONCE,
      isdtp: 'vw',
      clc: '1',
      iframeHost: null,
    });
    assert.equal(framingOf(query().slice(1)).origin, ORG, 'a leading "?" is optional');
  });

  test('accepts Classic spelling sfdcIFrameOrigin and sfdcIFrameHost, in Lightning mode', () => {
    const search = `?mode=Lightning&sfdcIFrameOrigin=${encodeURIComponent(ORG)}&sfdcIFrameHost=web`;
    const framing = framingOf(search);
    assert.equal(framing.framed, true);
    assert.equal(framing.origin, ORG);
    assert.equal(framing.iframeHost, 'web');
  });

  test('a page that is not framed by Salesforce says so', () => {
    for (const search of ['', '?', '?mode=Lightning', '?token=abc', undefined, null, 42, {}, '%%%']) {
      assert.deepEqual(framingOf(search), { framed: false, reason: 'not_framed', origin: null, mode: search === '?mode=Lightning' ? 'Lightning' : null });
    }
  });

  test('only Lightning mode is framed (Classic needs interaction.js)', () => {
    assert.equal(framingOf(query(ORG, { mode: 'Classic' })).reason, 'not_lightning');
    assert.equal(framingOf(query(ORG, { mode: 'lightning' })).reason, 'not_lightning');
    const noMode = framingOf(`?sfdcIframeOrigin=${encodeURIComponent(ORG)}`);
    assert.deepEqual(noMode, { framed: false, reason: 'not_lightning', origin: null, mode: null });
  });

  test('refuses hostile origins', () => {
    for (const origin of HOSTILE_ORIGINS) {
      assert.equal(parseOrigin(origin), null, origin);
      assert.equal(parseOrigin(origin, { allowLoopback: true }), null, origin);
      const framing = framingOf(query(origin));
      assert.equal(framing.framed, false, origin);
      assert.equal(framing.origin, null, origin);
    }
    for (const value of [undefined, null, 1, {}, ['https://a.lightning.force.com'], `https://${'a'.repeat(400)}.com`]) {
      assert.equal(parseOrigin(value), null);
    }
  });

  test('hosts compare without case; the result is the canonical origin', () => {
    assert.equal(parseOrigin('HTTPS://ACME.Lightning.Force.COM'), ORG);
    assert.equal(parseOrigin(`${ORG}/`), ORG);
    assert.equal(parseOrigin('https://acme.lightning.force.com:8443'), 'https://acme.lightning.force.com:8443');
    assert.equal(parseOrigin('https://[::1]:8443'), 'https://[::1]:8443');
    assert.equal(framingOf(query('HTTPS://ACME.LIGHTNING.FORCE.COM')).origin, ORG);
  });

  test('http only for 127.0.0.1 and localhost, and only with allowLoopback', () => {
    for (const origin of ['http://127.0.0.1:8081', 'http://localhost:5000', 'http://127.0.0.1']) {
      assert.equal(parseOrigin(origin), null, origin);
      assert.equal(framingOf(query(origin)).reason, 'bad_origin');
      assert.equal(parseOrigin(origin, { allowLoopback: true }), origin);
      assert.equal(framingOf(query(origin), { allowLoopback: true }).origin, origin);
    }
    for (const origin of ['http://10.0.0.1:80', 'http://127.0.0.1.evil.io', 'http://localhost.evil.io:80', 'http://[::1]:80', 'http://127.0.0.2:80']) {
      assert.equal(parseOrigin(origin, { allowLoopback: true }), null, origin);
    }
    assert.equal(parseOrigin('https://127.0.0.1:8443'), 'https://127.0.0.1:8443', 'https is https');
  });

  test('refuses repeated or conflicting parameters rather than guess', () => {
    const twice = `${query()}&sfdcIframeOrigin=${encodeURIComponent('https://evil.io')}`;
    assert.equal(framingOf(twice).reason, 'duplicate_param');
    const sameTwice = `${query()}&sfdcIframeOrigin=${encodeURIComponent(ORG)}`;
    assert.equal(framingOf(sameTwice).reason, 'duplicate_param');
    const conflicting = `${query()}&sfdcIFrameOrigin=${encodeURIComponent('https://evil.io')}`;
    assert.equal(framingOf(conflicting).reason, 'duplicate_param');
    const agreeing = `${query()}&sfdcIFrameOrigin=${encodeURIComponent(ORG)}`;
    assert.equal(framingOf(agreeing).origin, ORG);
    assert.equal(framingOf(`${query()}&mode=Classic`).reason, 'duplicate_param');
  });

  test('passes through only token-shaped side parameters', () => {
    const framing = framingOf(query(ORG, { nonce: '<script>', ltn_app_id: 'a b', isdtp: 'x'.repeat(65) }));
    assert.equal(framing.framed, true);
    assert.equal(framing.nonce, null);
    assert.equal(framing.appId, null);
    assert.equal(framing.isdtp, null);
  });
});

describe('allowedOrigin', () => {
  const connected = [ORG, MY_DOMAIN, 'https://beta--uat.sandbox.lightning.force.com'];

  test('accepts exactly the connected orgs origins', () => {
    assert.equal(allowedOrigin(ORG, connected), true);
    assert.equal(allowedOrigin(MY_DOMAIN, connected), true);
    assert.equal(allowedOrigin('https://beta--uat.sandbox.lightning.force.com', connected), true);
    assert.equal(allowedOrigin('https://ACME.LIGHTNING.FORCE.COM', connected), true);
    assert.equal(allowedOrigin(ORG, ['HTTPS://Acme.Lightning.Force.com/']), true);
  });

  test('no suffix, prefix, port or scheme tricks', () => {
    for (const origin of [
      'https://acme.lightning.force.com.attacker.io',
      'https://evil.lightning.force.com.attacker.io',
      'https://evilacme.lightning.force.com',
      'https://x.acme.lightning.force.com',
      'https://acme.lightning.force.co',
      'https://acme.lightning.force.com.',
      'https://acme.lightning.force.com:8443',
      'http://acme.lightning.force.com',
      'https://acme.lightning.force.com/lightning/page/home',
      'https://other.lightning.force.com',
      'https://beta.lightning.force.com',
      ...HOSTILE_ORIGINS,
    ]) {
      assert.equal(allowedOrigin(origin, connected), false, origin);
    }
  });

  test('ignores unusable entries in the connected list', () => {
    assert.equal(allowedOrigin(ORG, []), false);
    assert.equal(allowedOrigin(ORG, null), false);
    assert.equal(allowedOrigin(ORG, ORG), false, 'a string is not a list');
    assert.equal(allowedOrigin(ORG, [null, 3, {}, `${ORG}/services`, ` ${ORG}`]), false);
  });

  test('loopback origins need allowLoopback on both sides', () => {
    const devorg = 'http://127.0.0.1:8081';
    assert.equal(allowedOrigin(devorg, [devorg]), false);
    assert.equal(allowedOrigin(devorg, [devorg], { allowLoopback: true }), true);
    assert.equal(allowedOrigin('http://127.0.0.1:8082', [devorg], { allowLoopback: true }), false);
  });
});

describe('scriptUrl', () => {
  test('builds the script URL on the org origin', () => {
    assert.equal(scriptUrl(ORG, '68.0'), `${ORG}/support/api/68.0/lightning/opencti_min.js`);
    assert.equal(scriptUrl(ORG), `${ORG}/support/api/${OPENCTI_API_VERSION}/lightning/opencti_min.js`);
    assert.equal(scriptUrl(ORG, '38.0'), `${ORG}/support/api/38.0/lightning/opencti_min.js`);
    assert.equal(
      scriptUrl('http://127.0.0.1:8081', '66.0', { allowLoopback: true }),
      'http://127.0.0.1:8081/support/api/66.0/lightning/opencti_min.js',
    );
  });

  test('refuses malformed versions', () => {
    for (const version of ['66', '66.1', 'v66.0', '37.0', '9.0', '066.0', '66.0/../../x', '66.0?', '', ' 66.0', 66, null, '1000.0']) {
      assert.throws(() => scriptUrl(ORG, version), /API version/, String(version));
    }
  });

  test('refuses anything but a canonical origin', () => {
    for (const origin of [...HOSTILE_ORIGINS, `${ORG}/`, 'HTTPS://ACME.LIGHTNING.FORCE.COM', 'http://127.0.0.1:8081', undefined]) {
      assert.throws(() => scriptUrl(origin, '66.0'), /origin/, String(origin));
    }
  });
});

describe('itemLabel', () => {
  const T0 = Date.parse('2026-09-01T10:00:00Z');
  const present = (status, extra = {}) => ({ status, reason: null, wrap_up_ends_at: null, connection: 'connected', ...extra });
  const call = (extra) => ({ state: 'connected', direction: 'inbound', from: '+14155551212', to: '+15550001111', incoming: false, held: false, muted: false, role: 'primary', conference: false, connectedAt: T0, ...extra });

  // The table in the report: situation, presence, call, now, expected.
  const TABLE = [
    ['signed out', null, null, 0, 'Signed out', 'end_call'],
    ['logged out', present('logged_out'), null, 0, 'Logged out', 'end_call'],
    ['available', present('available'), null, 0, 'Available', 'user'],
    ['on break', present('on_break', { reason: 'Lunch' }), null, 0, 'Break: Lunch', 'away'],
    ['on break, no reason', present('on_break'), null, 0, 'On break', 'away'],
    ['after-call work', present('after_call_work'), null, 0, 'After-call work', 'log_a_call'],
    ['after-call work, countdown', present('after_call_work', { wrap_up_ends_at: '2026-09-01T10:00:42Z' }), null, T0, 'After-call work 00:42', 'log_a_call'],
    ['on call, no call known', present('on_call'), null, 0, 'On call', 'call'],
    ['unknown status', present('something_new'), null, 0, 'Phone', 'call'],
    ['ringing', present('available'), call({ state: 'ringing', incoming: true, connectedAt: 0 }), T0, 'Ringing +14155551212', 'incoming_call'],
    ['ringing, withheld number', present('available'), call({ state: 'ringing', incoming: true, from: 'anonymous' }), T0, 'Ringing Unknown caller', 'incoming_call'],
    ['dialling out', present('available'), call({ state: 'ringing', direction: 'outbound', connectedAt: 0 }), T0, 'Calling +15550001111', 'outbound_call'],
    ['on call', present('on_call'), call({}), T0 + 133_000, 'On call 02:13', 'call'],
    ['on call over an hour', present('on_call'), call({}), T0 + 3_723_000, 'On call 1:02:03', 'call'],
    ['on call, no timer yet', present('on_call'), call({ connectedAt: 0 }), T0, 'On call', 'call'],
    ['on hold', present('on_call'), call({ held: true }), T0 + 5_000, 'On hold 00:05', 'pause'],
    ['muted', present('on_call'), call({ muted: true }), T0 + 5_000, 'Muted 00:05', 'muted'],
    ['consulted agent', present('on_call'), call({ role: 'consult' }), T0 + 5_000, 'Consult 00:05', 'call'],
    ['conference', present('on_call'), call({ conference: true }), T0 + 5_000, 'Conference 00:05', 'call'],
    ['ended call shows the status', present('after_call_work'), call({ state: 'ended' }), T0, 'After-call work', 'log_a_call'],
    ['connecting', present('available', { connection: 'connecting' }), null, 0, 'Connecting…', 'sync'],
    ['reconnecting, even on a call', present('on_call', { connection: 'reconnecting' }), call({}), T0, 'Reconnecting…', 'sync'],
    ['offline', present('available', { connection: 'offline' }), null, 0, 'Offline', 'offline'],
    ['another tab took over', present('available', { connection: 'replaced' }), call({}), T0, 'Open in another tab', 'warning'],
  ];

  for (const [name, presence, c, now, label, icon] of TABLE) {
    test(name, () => {
      assert.deepEqual(itemLabel(presence, c, now), { label, icon });
    });
  }

  test('every label fits the utility bar and every icon is a known SLDS utility icon', () => {
    const icons = new Set(['call', 'end_call', 'incoming_call', 'outbound_call', 'user', 'away', 'log_a_call', 'pause', 'muted', 'sync', 'offline', 'warning']);
    for (const [, presence, c, now] of TABLE) {
      const { label, icon } = itemLabel(presence, c, now);
      assert.ok([...label].length <= LABEL_MAX, label);
      assert.ok(icons.has(icon), icon);
    }
  });

  test('long and hostile text is cut and cleaned', () => {
    const long = itemLabel(present('on_break', { reason: 'Team meeting about the quarterly numbers' }));
    assert.equal(long.label, 'Break: Team meeting abo…');
    assert.equal([...long.label].length, LABEL_MAX);
    const spoofed = itemLabel(present('available'), call({ state: 'ringing', incoming: true, from: '+1415\u202e555\n\u0000<b>' }), T0);
    assert.equal(spoofed.label, 'Ringing +1415 555 <b>');
    assert.doesNotMatch(spoofed.label, /[\u202e\n\u0000]/);
    const longNumber = itemLabel(present('available'), call({ state: 'ringing', incoming: true, from: '+441234567890123' }), T0);
    assert.equal(longNumber.label, 'Ringing +441234567890123');
    const emoji = itemLabel(present('on_break', { reason: '☕☕☕☕☕☕☕☕☕☕☕☕☕☕☕☕☕☕☕☕' }));
    assert.equal([...emoji.label].length, LABEL_MAX, 'cut by characters, not UTF-16 units');
  });

  test('garbage arguments give a label, not an exception', () => {
    assert.deepEqual(itemLabel(undefined), { label: 'Signed out', icon: 'end_call' });
    assert.deepEqual(itemLabel('available'), { label: 'Signed out', icon: 'end_call' });
    assert.deepEqual(itemLabel(present('available'), 'ringing', 'now'), { label: 'Available', icon: 'user' });
    assert.deepEqual(itemLabel(present('after_call_work', { wrap_up_ends_at: 'soon' }), null, T0), { label: 'After-call work', icon: 'log_a_call' });
    for (const key of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      assert.deepEqual(itemLabel(present('available', { connection: key })), { label: 'Available', icon: 'user' }, key);
      assert.deepEqual(itemLabel(present(key)), { label: 'Phone', icon: 'call' }, key);
    }
  });
});

describe('primaryCall', () => {
  const ringing = { id: 'r', state: 'ringing', incoming: true, direction: 'inbound' };
  const connected = { id: 'c', state: 'connected', role: 'primary' };
  const consult = { id: 'k', state: 'connected', role: 'consult' };
  const dialling = { id: 'd', state: 'ringing', direction: 'outbound' };
  const ended = { id: 'e', state: 'ended' };

  test('a ringing call first, then a connected one, then a dial in progress', () => {
    assert.equal(primaryCall([ended, dialling, connected, ringing]).id, 'r');
    assert.equal(primaryCall([ended, dialling, consult, connected]).id, 'c');
    assert.equal(primaryCall([ended, dialling, consult]).id, 'k');
    assert.equal(primaryCall([ended, dialling]).id, 'd');
    assert.equal(primaryCall([ended]), null);
    assert.equal(primaryCall([]), null);
    assert.equal(primaryCall(null), null);
    assert.equal(primaryCall([null, 'x', 3]), null);
  });
});

describe('clickToDial', () => {
  const payload = (number, extra = {}) => ({
    number,
    recordId: CONTACT,
    recordName: 'Sam Smith',
    objectType: 'Contact',
    accountId: ACCOUNT,
    personAccount: false,
    ...extra,
  });
  const record = { id: CONTACT, name: 'Sam Smith', type: 'Contact', accountId: ACCOUNT, contactId: null };

  test('an international number and its record', () => {
    assert.deepEqual(clickToDial(payload('+1 (415) 555-1212')), { number: '+14155551212', record });
    assert.equal(clickToDial(payload('+1\u00a0415\u00a0555\u00a01212')).number, '+14155551212');
    assert.equal(clickToDial(payload('+44 20 7946 0958')).number, '+442079460958');
    assert.equal(clickToDial(payload('0044 (0)20 7946 0958')).number, '+442079460958', 'the (0) is not dialled');
    assert.equal(clickToDial(payload('+44 (0) 20 7946 0958')).number, '+442079460958');
    assert.equal(clickToDial(payload('(0)20 7946 0958'), { countryCode: '44' }).number, '+442079460958');
    assert.equal(clickToDial(payload('00 49 30/1234567')).number, '+49301234567');
    assert.equal(clickToDial(payload('011 44 20 7946 0958'), { internationalPrefix: '011' }).number, '+442079460958');
  });

  test('a national number needs the default country', () => {
    const refused = clickToDial(payload('(415) 555-1212'));
    assert.equal(refused.error.code, 'no_country_code');
    assert.equal(refused.number, undefined);
    assert.equal(clickToDial(payload('(415) 555-1212'), { countryCode: '1' }).number, '+14155551212');
    assert.equal(clickToDial(payload('1-415-555-1212'), { countryCode: '1', internationalPrefix: '011' }).number, '+14155551212');
    assert.equal(clickToDial(payload('4155550000'), { countryCode: 1 }).number, '+14155550000');
    assert.equal(clickToDial(payload('020 7946 0958'), { countryCode: '44' }).number, '+442079460958');
    assert.equal(clickToDial(payload('06 1234 5678'), { countryCode: '39' }).number, '+390612345678', 'Italy keeps its 0');
    assert.equal(clickToDial(payload(4155551212), { countryCode: '1' }).number, '+14155551212', 'a JS number');
  });

  test('refuses numbers it would dial wrong', () => {
    const cases = [
      ['1-800-FLOWERS', 'bad_number'],
      ['+1 415 555 1212 ext. 12', 'bad_number'],
      ['+1 415 555 1212 x12', 'bad_number'],
      ['+1 415 555 1212#22', 'bad_number'],
      ['+1 415 555 1212,,22', 'bad_number'],
      ['+1 415 555 1212;22', 'bad_number'],
      ['*67 +1 415 555 1212', 'bad_number'],
      ['++14155551212', 'bad_number'],
      ['+1 415 +555 1212', 'bad_number'],
      ['+0123456789', 'bad_number'],
      ['+1234', 'bad_number'],
      ['+1234567890123456', 'bad_number'],
      ['+１４１５５５５１２１２', 'bad_number'], // full-width digits
      ['+١٤١٥٥٥٥١٢١٢', 'bad_number'], // Arabic-Indic digits
      ['+1415\u202e5551212', 'bad_number'],
      ['+1 415 555 1212 <script>', 'bad_number'],
      ['javascript:alert(1)', 'bad_number'],
      [`+1${'5'.repeat(60)}`, 'bad_number'],
      ['', 'no_number'],
      ['   ', 'no_number'],
      [null, 'no_number'],
      [undefined, 'no_number'],
      [NaN, 'no_number'],
      [-4155551212, 'no_number'],
      [4155551212.5, 'no_number'],
      [{ toString: () => '+14155551212' }, 'no_number'],
      [['+14155551212'], 'no_number'],
    ];
    for (const [number, code] of cases) {
      const result = clickToDial(payload(number), { countryCode: '1' });
      assert.equal(result.error?.code, code, String(number));
      assert.equal(typeof result.error.message, 'string');
    }
    for (const bad of [null, undefined, 'x', 3, [], [payload('+14155551212')]]) {
      assert.equal(clickToDial(bad).error.code, 'no_number');
    }
  });

  test('keeps only well-formed record fields', () => {
    assert.equal(clickToDial({ number: '+14155551212' }).record, null);
    assert.equal(clickToDial(payload('+14155551212', { recordId: "003' OR Id != '" })).record, null);
    assert.equal(clickToDial(payload('+14155551212', { recordId: '003000000000001' })).record.id, '003000000000001');
    const odd = clickToDial(payload('+14155551212', {
      recordName: 'Sam\u202e\nSmith',
      objectType: 'Contact; DELETE',
      accountId: 'nope',
      contactId: CONTACT,
      params: 'secret=1,2',
    }));
    assert.deepEqual(odd, { number: '+14155551212', record: { id: CONTACT, name: 'Sam Smith', type: null, accountId: null, contactId: CONTACT } });
    assert.equal(clickToDial(payload('+14155551212', { objectType: 'ns__Thing__c' })).record.type, 'ns__Thing__c');
  });

  test('refuses bad options loudly (a configuration error)', () => {
    assert.throws(() => clickToDial(payload('+14155551212'), { countryCode: 'US' }), /countryCode/);
    assert.throws(() => clickToDial(payload('+14155551212'), { countryCode: '0' }), /countryCode/);
    assert.throws(() => clickToDial(payload('+14155551212'), { internationalPrefix: '+' }), /internationalPrefix/);
  });
});

describe('navigationRecord', () => {
  test('a record page gives its record', () => {
    const payload = { url: `/lightning/r/Account/${ACCOUNT}/view`, recordId: ACCOUNT, recordName: 'Acme Corp', objectType: 'Account' };
    assert.deepEqual(navigationRecord(payload), { id: ACCOUNT, name: 'Acme Corp', type: 'Account', accountId: null, contactId: null });
  });

  test('other pages give null', () => {
    for (const payload of [{ url: '/lightning/page/home' }, { url: '/lightning/o/Contact/list' }, {}, null, undefined, 'x', [], { recordId: '' }, { recordId: 'javascript:alert(1)' }, { recordId: 123 }]) {
      assert.equal(navigationRecord(payload), null, JSON.stringify(payload));
    }
  });

  test('a record without a name or type keeps its id', () => {
    assert.deepEqual(navigationRecord({ recordId: CONTACT }), { id: CONTACT, name: null, type: null, accountId: null, contactId: null });
  });
});

describe('panelShouldOpen', () => {
  test('opens on ring and on an incoming screen pop only', () => {
    assert.equal(panelShouldOpen({ type: 'call.ringing', kind: 'inbound', direction: 'inbound' }), true);
    assert.equal(panelShouldOpen({ type: 'call.ringing', kind: 'consult' }), true);
    assert.equal(panelShouldOpen({ type: 'screen_pop', callType: 'inbound' }), true);
    assert.equal(panelShouldOpen({ type: 'screen_pop', callType: 'INBOUND' }), true);
    for (const event of [
      { type: 'call.ringing', direction: 'outbound' },
      { type: 'screen_pop', callType: 'outbound' },
      { type: 'screen_pop', callType: 'internal' },
      { type: 'screen_pop' },
      { type: 'call.updated', state: 'ringing' },
      { type: 'call.ended' },
      { type: 'click_to_dial' },
      { type: 'navigation' },
      {},
      null,
      'call.ringing',
      ['call.ringing'],
    ]) {
      assert.equal(panelShouldOpen(event), false, JSON.stringify(event));
    }
  });
});

describe('screenPopTypeName', () => {
  test('names, the loaded constants values and Salesforce values all give the name', () => {
    const devorg = { SOBJECT: 'SOBJECT', NEW_RECORD_MODAL: 'NEW_RECORD_MODAL' };
    const odd = { SOBJECT: 'record', NEW_RECORD_MODAL: 'create' };
    assert.equal(screenPopTypeName('SOBJECT'), 'SOBJECT');
    assert.equal(screenPopTypeName('sobject'), 'SOBJECT');
    assert.equal(screenPopTypeName('newRecord', devorg), 'NEW_RECORD_MODAL');
    assert.equal(screenPopTypeName('search'), 'SEARCH');
    assert.equal(screenPopTypeName('record', odd), 'SOBJECT');
    assert.equal(screenPopTypeName('create', odd), 'NEW_RECORD_MODAL');
    for (const type of ['Sobject', 'newrecord', 'toString', '__proto__', 'constructor', '', null, 7, {}]) {
      assert.equal(screenPopTypeName(type, devorg), null, String(type));
    }
    assert.equal(screenPopTypeName('sobject', null), 'SOBJECT');
  });
});

describe('screenPopProblem', () => {
  test('accepts the documented shapes', () => {
    for (const arg of [
      { type: 'SOBJECT', params: { recordId: CONTACT } },
      { type: 'URL', params: { url: `/lightning/r/Contact/${CONTACT}/view` } },
      { type: 'OBJECTHOME', params: { scope: 'Account' } },
      { type: 'LIST', params: { listViewId: '00B000000000001', scope: 'Contact' } },
      { type: 'SEARCH', params: { searchString: '4155551212' } },
      { type: 'NEW_RECORD_MODAL', params: { entityName: 'Case', defaultFieldValues: { Subject: 'Call' } } },
      { type: 'FLOW', params: { flowDevName: 'Call_Intake', flowArgs: [] } },
    ]) {
      assert.equal(screenPopProblem(arg), null, arg.type);
    }
  });

  test('refuses what would fail or mislead', () => {
    for (const arg of [
      null,
      {},
      { type: 'sobject', params: { recordId: CONTACT } },
      { type: 'SOBJECT', params: { recordId: 'x' } },
      { type: 'SOBJECT', params: [] },
      { type: 'URL', params: { url: 'https://evil.io/' } },
      { type: 'URL', params: { url: '//evil.io/' } },
      { type: 'URL', params: { url: '/\\evil.io' } },
      { type: 'URL', params: { url: 'javascript:alert(1)' } },
      { type: 'URL', params: { url: '/a b' } },
      { type: 'URL', params: { url: '/a\nb' } },
      { type: 'OBJECTHOME', params: {} },
      { type: 'LIST', params: { scope: 'Contact' } },
      { type: 'SEARCH', params: { searchString: ' ab ' } },
      { type: 'NEW_RECORD_MODAL', params: {} },
      { type: 'FLOW', params: { flowDevName: 'bad name' } },
      { type: '__proto__', params: {} },
    ]) {
      assert.equal(typeof screenPopProblem(arg), 'string', JSON.stringify(arg));
    }
  });
});

// ---- the adapter ------------------------------------------------------------------------------

function adapter(page, options = {}) {
  const seen = { dials: [], records: [], logs: [] };
  const cti = new OpenCti({
    window: page.window,
    document: page.document,
    origin: ORG,
    apiVersion: '66.0',
    onClickToDial: (result) => seen.dials.push(result),
    onNavigation: (record) => seen.records.push(record),
    log: (text, kind) => seen.logs.push([kind, text]),
    timeoutMs: 50,
    loadTimeoutMs: 50,
    ...options,
  });
  return { cti, seen };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('OpenCti adapter', () => {
  test('load inserts one script from the org, registers the listeners, then initialises', async () => {
    const page = fakePage();
    const { cti, seen } = adapter(page);
    const first = cti.load();
    const second = cti.load();
    assert.equal(first, second, 'one load in flight');
    await first;
    await cti.load();
    assert.equal(page.appended.length, 1);
    assert.equal(page.head.children[0].src, `${ORG}/support/api/66.0/lightning/opencti_min.js`);
    assert.deepEqual(page.fake.methods(), ['onClickToDial', 'onNavigationChange', 'notifyInitializationComplete', 'enableClickToDial']);
    assert.deepEqual(page.fake.calls[0].args, { listener: '<fn>' }, 'a listener method gets no callback');
    assert.equal(page.fake.panel.initialized, true);
    assert.equal(page.fake.panel.clickToDial, true);
    assert.deepEqual(seen.logs, [['info', 'Salesforce phone bridge ready (Open CTI 66.0)']]);
  });

  test('refuses an origin or version the model refuses', () => {
    const page = fakePage();
    for (const origin of ['http://acme.lightning.force.com', `${ORG}/x`, 'javascript:alert(1)', 'HTTPS://ACME.LIGHTNING.FORCE.COM', undefined]) {
      assert.throws(() => adapter(page, { origin }), OpenCtiError, String(origin));
    }
    assert.throws(() => adapter(page, { apiVersion: '66' }), /API version/);
    assert.throws(() => adapter(page, { origin: 'http://127.0.0.1:8081' }), OpenCtiError);
    const { cti } = adapter(page, { origin: 'http://127.0.0.1:8081', allowLoopback: true });
    assert.equal(cti.src, 'http://127.0.0.1:8081/support/api/66.0/lightning/opencti_min.js');
    assert.equal(page.appended.length, 0, 'constructing loads nothing');
  });

  test('a script that fails to load is removed; a retry inserts one new one', async () => {
    const page = fakePage('error');
    const { cti, seen } = adapter(page);
    await assert.rejects(cti.load(), { code: 'load_failed' });
    assert.equal(page.head.children.length, 0);
    assert.deepEqual(seen.logs, [['error', 'Salesforce phone bridge not started (load_failed)']]);
    page.behaviour = 'ok';
    await cti.load();
    assert.equal(page.appended.length, 2);
    assert.equal(page.head.children.length, 1);
  });

  test('a script that defines no sforce.opencti, or never loads, fails load', async () => {
    const empty = fakePage('empty');
    await assert.rejects(adapter(empty).cti.load(), { code: 'not_loaded' });
    assert.equal(empty.head.children.length, 0);
    const hang = fakePage('hang');
    await assert.rejects(adapter(hang).cti.load(), { code: 'timeout' });
    assert.equal(hang.head.children.length, 0);
  });

  test('a refused initialisation rejects load; the retry does not load the script again', async () => {
    const page = fakePage();
    page.fake.overrides.set('notifyInitializationComplete', {
      success: false,
      returnValue: null,
      errors: [{ code: 'SOFTPHONE_CONTAINER_ERROR', description: "container hasn't initialized yet", details: [] }],
    });
    const { cti } = adapter(page);
    await assert.rejects(cti.load(), (err) => err instanceof OpenCtiError && err.code === 'SOFTPHONE_CONTAINER_ERROR' && /container hasn't initialized/.test(err.message));
    page.fake.overrides.clear();
    await cti.load();
    assert.equal(page.appended.length, 1);
    assert.deepEqual(page.fake.methods(), ['onClickToDial', 'onNavigationChange', 'notifyInitializationComplete', 'notifyInitializationComplete', 'enableClickToDial']);
  });

  test('invoke resolves to returnValue and rejects with Salesforce errors', async () => {
    const page = fakePage();
    const { cti } = adapter(page);
    await assert.rejects(cti.invoke('isSoftphonePanelVisible'), { code: 'not_loaded' });
    await cti.load();
    await cti.openPanel();
    assert.deepEqual(page.fake.calls.at(-1), { method: 'setSoftphonePanelVisibility', args: { visible: true, callback: '<fn>' } });
    assert.deepEqual(await cti.invoke('isSoftphonePanelVisible'), { visible: true });
    assert.equal(await cti.invoke('refreshView'), null);
    await assert.rejects(cti.invoke('setSoftphonePanelVisibility', { visible: 'yes' }), (err) => {
      assert.equal(err.code, 'INVALID_PARAM');
      assert.match(err.message, /setSoftphonePanelVisibility: visible must be a boolean/);
      assert.deepEqual(err.details, []);
      return true;
    });
    await assert.rejects(cti.invoke('noSuchMethod'), { code: 'not_loaded' });
  });

  test('malformed, thrown, missing and late answers all settle once', async () => {
    const page = fakePage();
    const { cti } = adapter(page);
    await cti.load();
    for (const response of [undefined, null, 'ok', { success: 'true' }, { success: false }, { success: false, errors: 'x' }]) {
      page.fake.overrides.set('refreshView', response === undefined ? () => undefined : response);
      await assert.rejects(cti.invoke('refreshView'), { code: 'GENERIC_ERROR' }, JSON.stringify(response));
    }
    page.fake.overrides.set('refreshView', 'throw');
    await assert.rejects(cti.invoke('refreshView'), { code: 'GENERIC_ERROR' });
    page.fake.overrides.set('refreshView', 'silent');
    await assert.rejects(cti.invoke('refreshView'), { code: 'timeout' });
    page.fake.pending.at(-1)({ success: true, returnValue: 'late', errors: null }); // ignored
    page.fake.overrides.set('refreshView', (args) => {
      args.callback({ success: true, returnValue: 1, errors: null }); // synchronous, then again
      args.callback({ success: false, returnValue: null, errors: [{ code: 'GENERIC_ERROR' }] });
      return { success: true, returnValue: 2, errors: null };
    });
    assert.equal(await cti.invoke('refreshView'), 1);
  });

  test('showState sends label and icon, and only when they change', async () => {
    const page = fakePage();
    const { cti } = adapter(page);
    await cti.load();
    const before = page.fake.calls.length;
    await cti.showState('Available', 'user');
    await cti.showState('Available', 'user');
    await cti.showState('On call 00:01', 'call');
    await cti.showState('On call 00:02', 'call');
    assert.deepEqual(page.fake.calls.slice(before), [
      { method: 'setSoftphoneItemLabel', args: { label: 'Available', callback: '<fn>' } },
      { method: 'setSoftphoneItemIcon', args: { key: 'user', callback: '<fn>' } },
      { method: 'setSoftphoneItemLabel', args: { label: 'On call 00:01', callback: '<fn>' } },
      { method: 'setSoftphoneItemIcon', args: { key: 'call', callback: '<fn>' } },
      { method: 'setSoftphoneItemLabel', args: { label: 'On call 00:02', callback: '<fn>' } },
    ]);
    assert.equal(page.fake.panel.label, 'On call 00:02');
    assert.equal(page.fake.panel.icon, 'call');
  });

  test('a label Salesforce refused is sent again next time', async () => {
    const page = fakePage();
    const { cti } = adapter(page);
    await cti.load();
    page.fake.overrides.set('setSoftphoneItemLabel', { success: false, returnValue: null, errors: [{ code: 'GENERIC_ERROR', description: 'x' }] });
    await assert.rejects(cti.showState('Available', 'user'), { code: 'GENERIC_ERROR' });
    page.fake.overrides.clear();
    await cti.showState('Available', 'user');
    assert.equal(page.fake.panel.label, 'Available');
    assert.equal(page.fake.methods().filter((m) => m === 'setSoftphoneItemIcon').length, 1);
  });

  test('screenPop sends the loaded script\'s SCREENPOP_TYPE constant', async () => {
    const page = fakePage();
    const { cti } = adapter(page);
    await cti.load();
    await cti.screenPop({ type: 'SOBJECT', params: { recordId: CONTACT } });
    assert.deepEqual(page.fake.calls.at(-1).args, { type: 'sobject', params: { recordId: CONTACT }, callback: '<fn>' });
    // The server's screen-pop policy gives the value, as does a deferred SCREEN_POP_DATA.
    const pop = { type: 'newRecord', params: { entityName: 'Contact', defaultFieldValues: { Phone: '+14155551212' } } };
    await cti.screenPop(pop);
    assert.deepEqual(page.fake.panel.view, pop);
    await cti.screenPop({ type: 'search', params: { searchString: '4155551212' } });
    assert.equal(page.fake.panel.view.type, 'search');
  });

  test('screenPop sends devorg\'s constants (the names) in devorg', async () => {
    const page = fakePage('ok', { constants: 'devorg' });
    const { cti } = adapter(page);
    await cti.load();
    await cti.screenPop({ type: 'sobject', params: { recordId: CONTACT } });
    await cti.screenPop({ type: 'newRecord', params: { entityName: 'Contact' } });
    assert.deepEqual(page.fake.calls.slice(-2).map((c) => c.args.type), ['SOBJECT', 'NEW_RECORD_MODAL']);
    assert.equal(page.fake.panel.view.type, 'NEW_RECORD_MODAL');
  });

  test('screenPop refuses a bad argument without calling Salesforce', async () => {
    const page = fakePage();
    const { cti, seen } = adapter(page);
    await cti.load();
    const before = page.fake.calls.length;
    for (const arg of [{ type: 'URL', params: { url: 'javascript:alert(1)' } }, { type: 'BOGUS' }, null, { type: 'SOBJECT', params: { recordId: 'x' } }]) {
      await assert.rejects(cti.screenPop(arg), { code: 'INVALID_PARAM' });
    }
    assert.equal(page.fake.calls.length, before);
    assert.ok(seen.logs.some(([kind, text]) => kind === 'error' && text.startsWith('Screen pop not sent')));
  });

  test('click-to-dial payloads reach onClickToDial through the model', async () => {
    const page = fakePage();
    const { cti, seen } = adapter(page);
    await cti.load();
    page.fake.fire('onClickToDial', { number: '(415) 555-1212', recordId: CONTACT, recordName: 'Sam Smith', objectType: 'Contact', accountId: ACCOUNT, personAccount: false });
    cti.dialOptions = { countryCode: '1' };
    page.fake.fire('onClickToDial', { number: '(415) 555-1212', recordId: CONTACT, recordName: 'Sam Smith', objectType: 'Contact' });
    page.fake.fire('onClickToDial', { number: '1-800-FLOWERS' });
    assert.equal(seen.dials[0].error.code, 'no_country_code');
    assert.deepEqual(seen.dials[1], { number: '+14155551212', record: { id: CONTACT, name: 'Sam Smith', type: 'Contact', accountId: null, contactId: null } });
    assert.equal(seen.dials[2].error.code, 'bad_number');
  });

  test('navigation reports records only', async () => {
    const page = fakePage();
    const { cti, seen } = adapter(page);
    await cti.load();
    page.fake.fire('onNavigationChange', { url: '/lightning/page/home' });
    page.fake.fire('onNavigationChange', { url: `/lightning/r/Account/${ACCOUNT}/view`, recordId: ACCOUNT, recordName: 'Acme Corp', objectType: 'Account' });
    page.fake.fire('onNavigationChange', undefined);
    assert.deepEqual(seen.records, [{ id: ACCOUNT, name: 'Acme Corp', type: 'Account', accountId: null, contactId: null }]);
  });

  test('a handler that throws is logged and does not break Salesforce\'s dispatch', async () => {
    const page = fakePage();
    const { cti, seen } = adapter(page, {
      onClickToDial: () => {
        throw new Error('handler bug');
      },
    });
    await cti.load();
    assert.doesNotThrow(() => page.fake.fire('onClickToDial', { number: '+14155551212' }));
    assert.deepEqual(seen.logs.at(-1), ['error', 'Salesforce onClickToDial handler failed: handler bug']);
  });

  test('setClickToDial turns the links off and on', async () => {
    const page = fakePage();
    const { cti } = adapter(page);
    await cti.load();
    await cti.setClickToDial(false);
    assert.equal(page.fake.panel.clickToDial, false);
    await cti.setClickToDial(true);
    assert.equal(page.fake.panel.clickToDial, true);
  });

  test('logs name methods and codes, never numbers, records, labels or descriptions', async () => {
    const page = fakePage();
    const { cti, seen } = adapter(page, { dialOptions: { countryCode: '1' } });
    await cti.load();
    page.fake.fire('onClickToDial', { number: '+14155551212', recordId: CONTACT, recordName: 'Sam Smith', objectType: 'Contact' });
    page.fake.fire('onNavigationChange', { recordId: ACCOUNT, recordName: 'Acme Corp', objectType: 'Account' });
    await cti.showState('Ringing +14155551212', 'incoming_call');
    page.fake.overrides.set('screenPop', { success: false, returnValue: null, errors: [{ code: 'INVALID_PARAM', description: `no record ${CONTACT} for Sam Smith` }] });
    await assert.rejects(cti.screenPop({ type: 'SOBJECT', params: { recordId: CONTACT } }));
    await tick();
    const text = JSON.stringify(seen.logs);
    for (const secret of ['4155551212', 'Sam Smith', 'Acme Corp', CONTACT, ACCOUNT, NONCE, 'Ringing']) {
      assert.ok(!text.includes(secret), `${secret} in ${text}`);
    }
    assert.deepEqual(seen.logs.at(-1), ['error', 'Salesforce screenPop failed (INVALID_PARAM)']);
  });
});
