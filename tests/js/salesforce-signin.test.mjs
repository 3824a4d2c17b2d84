// Unit tests of the softphone's Salesforce sign-in (static/softphone/salesforce-signin.js) and
// of the popup's last page (static/softphone/signin-done.js), with a fake window (timers that
// move by hand, window.open, message events) and a fake fetch. Run with `node --test tests/js/`.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';

import { importStatic } from './helpers/static-modules.mjs';

const { CLOSED_GRACE_MS, POPUP_POLL_MS, POPUP_TIMEOUT_MS, SIGNIN_MESSAGE, SalesforceSession } =
  await importStatic('softphone/salesforce-signin.js');

const PAGE_SCRIPT = await readFile(new URL('../../static/softphone/signin-done.js', import.meta.url), 'utf8');
const SIVO = 'https://sivo.example';
const AGENT = { id: 'ag_1', name: 'Bo', status: 'logged_out' };
const SIGNED = { token: 'eyJ.jwt.sig', expires_at: '2026-12-02T06:00:00Z', agent: AGENT };

function fakeWindow({ blocked = false } = {}) {
  const timers = new Map();
  let now = 0;
  let seq = 0;
  const listeners = new Set();
  const win = {
    location: { origin: SIVO },
    opened: [],
    setTimeout(fn, ms) {
      timers.set(++seq, { fn, at: now + ms });
      return seq;
    },
    setInterval(fn, ms) {
      timers.set(++seq, { fn, at: now + ms, every: ms });
      return seq;
    },
    clearTimeout(id) {
      timers.delete(id);
    },
    clearInterval(id) {
      timers.delete(id);
    },
    addEventListener(type, fn) {
      if (type === 'message') listeners.add(fn);
    },
    removeEventListener(type, fn) {
      if (type === 'message') listeners.delete(fn);
    },
    open(url, name, features) {
      const popup = { url, name, features, closed: false, focused: 0 };
      popup.close = () => {
        popup.closed = true;
      };
      popup.focus = () => {
        popup.focused += 1;
      };
      win.opened.push(popup);
      return blocked ? null : popup;
    },
    /** Deliver a message event as the browser would. */
    post(data, { origin = SIVO, source = win.opened.at(-1) } = {}) {
      for (const fn of [...listeners]) fn({ data, origin, source });
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        const [id, timer] = due;
        now = timer.at;
        if (timer.every) timer.at += timer.every;
        else timers.delete(id);
        timer.fn();
      }
      now = until;
    },
    get listeners() {
      return listeners.size;
    },
    get timers() {
      return timers.size;
    },
  };
  return win;
}

function fakeFetch(answers = {}) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, ...init, body: init.body === undefined ? undefined : JSON.parse(init.body) });
    const answer = answers[`${init.method} ${new URL(url).pathname}`] ?? { status: 200, body: SIGNED };
    if (answer === 'offline') throw new TypeError('Failed to fetch');
    return {
      ok: answer.status >= 200 && answer.status < 300,
      status: answer.status,
      json: async () => {
        if (answer.body === undefined) throw new SyntaxError('no body');
        return answer.body;
      },
    };
  };
  return { fetch, calls };
}

const refusal = (status, code, message = `refused: ${code}`) => ({ status, body: { error: { code, message } } });
const flush = () => new Promise((resolve) => setImmediate(resolve));

function session(win, fetch, log = () => {}) {
  return new SalesforceSession({ window: win, fetch, orgId: 'sfo_01 a/b', log });
}

describe('signIn', () => {
  test('opens the popup at once, takes the ticket from SIVO\'s page in it, redeems it', async () => {
    const win = fakeWindow();
    const { fetch, calls } = fakeFetch();
    const logged = [];
    const pending = session(win, fetch, (line) => logged.push(line)).signIn();
    // Synchronously: nothing awaited between the click and window.open.
    assert.equal(win.opened.length, 1);
    const [popup] = win.opened;
    assert.equal(popup.url, `${SIVO}/softphone/salesforce/signin?org=sfo_01%20a%2Fb`);
    assert.equal(popup.name, 'sivo-salesforce-signin');
    assert.match(popup.features, /popup/);
    win.post({ type: SIGNIN_MESSAGE, ticket: 'T1ck3t' });
    assert.deepEqual(await pending, SIGNED);
    assert.deepEqual(calls, [
      {
        url: `${SIVO}/softphone/session`,
        method: 'POST',
        credentials: 'include',
        cache: 'no-store',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: { ticket: 'T1ck3t' },
      },
    ]);
    assert.equal(win.listeners, 0);
    assert.equal(win.timers, 0);
    assert.ok(logged.every((line) => !line.includes('T1ck3t')));
  });

  test('ignores messages from another origin, another window, or of another kind', async () => {
    const win = fakeWindow();
    const { fetch, calls } = fakeFetch();
    const pending = session(win, fetch).signIn();
    const popup = win.opened[0];
    win.post({ type: SIGNIN_MESSAGE, ticket: 'evil' }, { origin: 'https://evil.example', source: popup });
    win.post({ type: SIGNIN_MESSAGE, ticket: 'evil' }, { source: { closed: false } });
    win.post({ type: 'other', ticket: 'evil' });
    win.post('sivo.softphone.signin');
    win.post(null);
    await flush();
    assert.equal(calls.length, 0);
    win.post({ type: SIGNIN_MESSAGE, ticket: 'good' });
    await pending;
    assert.deepEqual(calls.map((c) => c.body), [{ ticket: 'good' }]);
  });

  test('a blocked popup rejects with popup_blocked', async () => {
    const win = fakeWindow({ blocked: true });
    const { fetch } = fakeFetch();
    await assert.rejects(session(win, fetch).signIn(), { code: 'popup_blocked', message: /Allow pop-ups/ });
  });

  test('a popup closed by the agent rejects with popup_closed, after a grace for its last message', async () => {
    const win = fakeWindow();
    const { fetch } = fakeFetch();
    const pending = session(win, fetch).signIn();
    win.opened[0].closed = true;
    win.advance(POPUP_POLL_MS);
    win.advance(CLOSED_GRACE_MS);
    await assert.rejects(pending, { code: 'popup_closed' });
    assert.equal(win.listeners, 0);
    assert.equal(win.timers, 0);
  });

  test('the ticket posted just before the popup closed still counts', async () => {
    const win = fakeWindow();
    const { fetch } = fakeFetch();
    const pending = session(win, fetch).signIn();
    win.opened[0].closed = true;
    win.advance(POPUP_POLL_MS);
    win.post({ type: SIGNIN_MESSAGE, ticket: 'late' });
    win.advance(CLOSED_GRACE_MS);
    assert.deepEqual(await pending, SIGNED);
  });

  test('no answer in time: the popup is closed and the sign-in rejects with timeout', async () => {
    const win = fakeWindow();
    const { fetch } = fakeFetch();
    const pending = session(win, fetch).signIn();
    win.advance(POPUP_TIMEOUT_MS);
    await assert.rejects(pending, { code: 'timeout' });
    assert.equal(win.opened[0].closed, true);
  });

  test('a refusal the page posts keeps its code and its words', async () => {
    const win = fakeWindow();
    const { fetch, calls } = fakeFetch();
    const pending = session(win, fetch).signIn();
    win.post({ type: SIGNIN_MESSAGE, error: 'no_agent', message: 'Your Salesforce user is not a SIVO agent.' });
    await assert.rejects(pending, { code: 'no_agent', message: 'Your Salesforce user is not a SIVO agent.' });
    assert.equal(calls.length, 0);
  });

  test('a ticket the server refuses rejects with the server\'s code and status', async () => {
    const win = fakeWindow();
    const { fetch } = fakeFetch({ 'POST /softphone/session': refusal(401, 'invalid_ticket') });
    const pending = session(win, fetch).signIn();
    win.post({ type: SIGNIN_MESSAGE, ticket: 'spent' });
    await assert.rejects(pending, { code: 'invalid_ticket', status: 401 });
  });

  test('a second click while the popup is open focuses it instead of opening another', async () => {
    const win = fakeWindow();
    const { fetch } = fakeFetch();
    const s = session(win, fetch);
    const first = s.signIn();
    const second = s.signIn();
    assert.equal(first, second);
    assert.equal(win.opened.length, 1);
    assert.equal(win.opened[0].focused, 1);
    win.post({ type: SIGNIN_MESSAGE, ticket: 't' });
    await first;
    s.signIn();
    assert.equal(win.opened.length, 2);
  });
});

describe('resume, refresh, signOut', () => {
  test('resume gives the session behind the cookie, or null without one', async () => {
    const win = fakeWindow();
    const { fetch, calls } = fakeFetch();
    assert.deepEqual(await session(win, fetch).resume(), SIGNED);
    assert.equal(calls[0].url, `${SIVO}/softphone/session/token`);
    assert.equal(calls[0].method, 'POST');
    assert.equal(calls[0].credentials, 'include');
    assert.equal(calls[0].headers['Content-Type'], 'application/json');
    const none = fakeFetch({ 'POST /softphone/session/token': refusal(401, 'no_session') });
    assert.equal(await session(win, none.fetch).resume(), null);
    const first = fakeFetch({ 'POST /softphone/session/token': { status: 204 } });
    assert.equal(await session(win, first.fetch).resume(), null); // no cookie yet
    await assert.rejects(session(win, first.fetch).refresh(), { code: 'session_ended', reason: 'no_session' });
    const broken = fakeFetch({ 'POST /softphone/session/token': refusal(502, 'salesforce_error') });
    await assert.rejects(session(win, broken.fetch).resume(), { code: 'salesforce_error', status: 502 });
  });

  test('refresh rejects with session_ended when the server ends the session', async () => {
    const win = fakeWindow();
    const ended = fakeFetch({
      'POST /softphone/session/token': refusal(401, 'salesforce_session_ended', 'Salesforce ended your sign-in.'),
    });
    await assert.rejects(session(win, ended.fetch).refresh(), {
      code: 'session_ended',
      reason: 'salesforce_session_ended',
      message: 'Salesforce ended your sign-in.',
      status: 401,
    });
    const { fetch } = fakeFetch();
    assert.deepEqual(await session(win, fetch).refresh(), SIGNED);
  });

  test('the network failing, or an answer of another shape, is an error with a code', async () => {
    const win = fakeWindow();
    const offline = fakeFetch({ 'POST /softphone/session/token': 'offline' });
    await assert.rejects(session(win, offline.fetch).refresh(), { code: 'network' });
    const odd = fakeFetch({ 'POST /softphone/session/token': { status: 200, body: { token: 1 } } });
    await assert.rejects(session(win, odd.fetch).resume(), { code: 'bad_response' });
    const html = fakeFetch({ 'POST /softphone/session/token': { status: 500 } });
    await assert.rejects(session(win, html.fetch).resume(), { code: 'http_500', status: 500 });
  });

  test('signOut deletes the session with the cookie', async () => {
    const win = fakeWindow();
    const { fetch, calls } = fakeFetch({ 'DELETE /softphone/session': { status: 204 } });
    await session(win, fetch).signOut();
    assert.equal(calls[0].method, 'DELETE');
    assert.equal(calls[0].url, `${SIVO}/softphone/session`);
    assert.equal(calls[0].credentials, 'include');
    assert.equal(calls[0].body, undefined);
  });
});

describe('the popup\'s last page (signin-done.js)', () => {
  async function runPage(dataset, { opener = true } = {}) {
    const posted = [];
    let closed = false;
    const handlers = {};
    const texts = {};
    const document = {
      getElementById: (id) =>
        id === 'signin'
          ? { dataset }
          : {
              addEventListener: (type, fn) => {
                handlers[id] = fn;
              },
              set textContent(value) {
                texts[id] = value;
              },
            },
    };
    const window = {
      location: { origin: SIVO },
      opener: opener ? { closed: false, postMessage: (data, target) => posted.push({ data, target }) } : null,
      close: () => {
        closed = true;
      },
    };
    // The page's script imports nothing: run its text with this window and document.
    new Function('window', 'document', `'use strict';\n${PAGE_SCRIPT}`)(window, document);
    return { posted, closed, handlers, texts };
  }

  test('posts the ticket to SIVO\'s own origin only, then closes', async () => {
    const { posted, closed } = await runPage({ ticket: 'T', error: '', message: 'ok' });
    assert.deepEqual(posted, [{ data: { type: SIGNIN_MESSAGE, ticket: 'T' }, target: SIVO }]);
    assert.equal(closed, true);
  });

  test('posts a refusal with its words', async () => {
    const { posted } = await runPage({ ticket: '', error: 'no_agent', message: 'Not an agent. Ask.' });
    assert.deepEqual(posted[0].data, { type: SIGNIN_MESSAGE, error: 'no_agent', message: 'Not an agent. Ask.' });
    assert.equal(posted[0].target, SIVO);
  });

  test('without an opener the page stays, and says the sign-in did not reach the softphone', async () => {
    const { posted, closed, handlers, texts } = await runPage({ ticket: 'T' }, { opener: false });
    assert.deepEqual(posted, []);
    assert.equal(closed, false);
    assert.equal(typeof handlers['signin-close'], 'function');
    assert.equal(texts['signin-title'], 'Not signed in');
    assert.match(texts['signin-todo'], /Sign in with Salesforce in the softphone again/);
    const refused = await runPage({ ticket: '', error: 'no_agent', message: 'm' }, { opener: false });
    assert.deepEqual(refused.texts, {}); // the server's own words stay
  });
});
