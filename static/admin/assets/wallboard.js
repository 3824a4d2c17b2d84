// Wallboard: the tenant's agents, queues and calls, live. The server pushes wallboard.update
// over Socket.IO /supervisor (the dashboard's session cookie; at most twice a second, only
// when something changed); times in state tick here, every second, between pushes. What the
// numbers mean is decided in wallboard-model.js.

import { countedHelp } from './counted-help.js';
import { h } from './dom.js';
import { agentRows, callRows, elapsed, formatDuration, queueRows, receive, serverNow, summary } from './wallboard-model.js';

const CLIENT_SRC = '/vendor/socket.io.min.js'; // socket.io-client from npm, served by SIVO
let clientLoading = null;

/** The Socket.IO client, loaded once for the dashboard (the softphone pages load it too). */
function loadClient() {
  if (typeof window.io === 'function') return Promise.resolve(window.io);
  clientLoading ??= new Promise((resolve, reject) => {
    const script = h('script', { src: CLIENT_SRC });
    script.addEventListener('load', () => resolve(window.io));
    script.addEventListener('error', () => {
      clientLoading = null;
      reject(new Error('The live updates client did not load. Ask whoever runs SIVO to run `npm install` on the server.'));
    });
    document.head.append(script);
  });
  return clientLoading;
}

function tile(label, value, ...more) {
  return h('div', { class: 'wb-tile' }, h('p', { class: 'wb-tile-label' }, label), value, ...more);
}

function big(text, attrs = {}) {
  return h('p', { class: 'wb-big', ...attrs }, text);
}

/** A time that ticks: its text is recomputed every second from `data-since`. */
function since(value, text) {
  return h('span', { class: 'wb-time', 'data-since': value ?? '' }, text);
}

function section(id, title, ...body) {
  return h('section', { class: 'card wb-section', 'aria-labelledby': id }, h('h2', { id }, title), ...body);
}

function tableOf(caption, headers, rows, numeric = []) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'wb-table' },
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, headers.map((t, i) => h('th', { scope: 'col', class: numeric.includes(i) ? 'num' : null }, t)))),
      h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((c, i) => h('td', { class: numeric.includes(i) ? 'num' : null }, c))))),
    ),
  );
}

function renderTiles(board, now) {
  const s = summary(board, now);
  return h(
    'div',
    { class: 'wb-tiles' },
    tile('Waiting now', big(String(s.waiting), { 'data-testid': 'waiting' }), h('p', { class: 'wb-how' }, `Calls in ${s.queues === 1 ? 'the queue' : `${s.queues} queues`}, ringing an agent or not`)),
    tile('Longest wait', big(since(s.longestWaitSince, s.longestWait), { 'data-testid': 'longest-wait' }), h('p', { class: 'wb-how' }, 'Of the calls waiting now')),
    tile(
      'Service level',
      big(s.serviceLevel, { 'data-testid': 'service-level' }),
      h('p', { class: `wb-grade wb-grade-${s.grade}` }, s.word, s.serviceLevelCounts ? h('span', { class: 'wb-how' }, ` · ${s.serviceLevelCounts}`) : null),
      h('p', { class: 'wb-how' }, s.serviceLevelHow),
    ),
    tile('Calls in progress', big(String(s.calls), { 'data-testid': 'calls' }), h('p', { class: 'wb-how' }, `${s.callsConnected} connected, ${s.calls - s.callsConnected} waiting or ringing`)),
  );
}

function renderAgents(board, now) {
  const counts = summary(board, now).agents;
  const rows = agentRows(board, now);
  const list = rows.length
    ? h(
        'ul',
        { class: 'wb-agents' },
        rows.map((a) =>
          h(
            'li',
            { class: `wb-agent wb-agent-${a.state}`, 'data-agent': a.id, 'data-state': a.state },
            h('p', { class: 'wb-agent-name' }, a.name, h('span', { class: 'wb-ext' }, ` ext. ${a.extension}`)),
            h('p', {}, h('span', { class: `wb-state wb-state-${a.state}` }, a.label), a.offline ? h('span', { class: 'wb-offline' }, ' · softphone offline') : null),
            h('p', { class: 'wb-agent-time' }, h('span', { class: 'visually-hidden' }, 'Time in state '), since(a.since, a.inState)),
            h('p', { class: 'wb-how wb-agent-queues' }, h('span', { class: 'visually-hidden' }, 'Queues '), a.queues),
            a.wrapUpLeft !== null ? h('p', { class: 'wb-how' }, 'Ends in ', h('span', { class: 'wb-time', 'data-until': a.wrapUpEndsAt }, a.wrapUpLeft)) : null,
          ),
        ),
      )
    : h('p', { class: 'empty' }, 'No agents yet. Create them under Agents.');
  return section(
    'wb-agents-title',
    'Agents',
    h('ul', { class: 'wb-counts', 'aria-label': 'Agents by state' }, counts.map((c) => h('li', { class: `wb-count wb-state-${c.state}` }, h('strong', {}, String(c.count)), ` ${c.label}`))),
    list,
  );
}

function renderQueues(board, now) {
  const rows = queueRows(board, now);
  const body = rows.length
    ? tableOf(
        'Queues',
        ['Queue', 'Waiting', 'Longest wait', 'Service level', 'Answered', 'Abandoned', 'Available agents', 'Signed in'],
        rows.map((q) => [
          h('strong', {}, q.name),
          h('span', { class: 'wb-num', 'data-testid': `queue-waiting-${q.id}` }, String(q.waiting)),
          h('span', { class: 'wb-num' }, since(q.longestWaitSince, q.longestWait)),
          h('span', { class: 'wb-sl' }, h('span', { class: 'wb-num' }, q.serviceLevel), ' ', h('span', { class: `wb-grade wb-grade-${q.grade}` }, q.word)),
          String(q.answered),
          String(q.abandoned),
          String(q.available),
          String(q.signedIn),
        ]),
        [1, 2, 4, 5, 6, 7],
      )
    : h('p', { class: 'empty' }, 'No queues yet. Create one under Queues.');
  return section('wb-queues-title', 'Queues', body);
}

function renderCalls(board, now) {
  const rows = callRows(board, now);
  const body = rows.length
    ? tableOf(
        'Calls in progress',
        ['Caller', 'Dialed', 'Direction', 'Queue', 'Agents', 'State', 'Duration'],
        rows.map((c) => [
          h('span', { class: 'mono' }, c.caller),
          h('span', { class: 'mono' }, c.dialed),
          c.direction,
          c.queue,
          c.agents,
          h('span', { class: `wb-state wb-call-${c.state}`, 'data-call-state': c.state }, c.label),
          h('span', { class: 'wb-num' }, since(c.startedAt, c.duration)),
        ]),
        [6],
      )
    : h('p', { class: 'empty' }, 'No calls in progress.');
  return section('wb-calls-title', 'Calls in progress', body);
}

/** Every ticking time on the page, from the server's clock as of now. */
function tick(root, live) {
  const now = serverNow(live, Date.now());
  for (const el of root.querySelectorAll('[data-since]')) {
    const value = el.dataset.since;
    el.textContent = formatDuration(value === '' ? null : elapsed(Number(value), now));
  }
  for (const el of root.querySelectorAll('[data-until]')) {
    el.textContent = formatDuration(Math.max(0, Number(el.dataset.until) - now));
  }
}

export async function wallboardPage(root) {
  const status = h('p', { class: 'wb-live', role: 'status', 'data-live': 'connecting' }, 'Connecting…');
  const problem = h('p', { class: 'alert alert-error', role: 'alert', hidden: true });
  const board = h('div', { class: 'wb-board stack' }, h('p', { class: 'muted' }, 'Loading the wallboard…'));
  root.append(h('div', { class: 'page-head' }, h('h1', {}, 'Wallboard'), status), countedHelp('wallboard'), problem, board);

  const io = await loadClient();
  const socket = io('/supervisor', { transports: ['websocket'], reconnectionDelay: 500, reconnectionDelayMax: 5000 });
  let live = null;

  function setStatus(state, text) {
    status.dataset.live = state;
    status.textContent = text;
  }

  socket.on('connect', () => {
    problem.hidden = true;
    setStatus('live', 'Live');
  });
  socket.on('disconnect', (reason) => {
    setStatus('offline', 'Reconnecting…');
    // The server closed it (a restart): Socket.IO does not retry that on its own.
    if (reason === 'io server disconnect') setTimeout(() => root.isConnected && socket.connect(), 2000);
  });
  socket.on('connect_error', (err) => {
    setStatus('offline', 'Not connected');
    problem.replaceChildren();
    if (err.data?.code === 'unauthorized') {
      problem.append('Your dashboard session ended. ', h('a', { href: `/admin/login?next=${encodeURIComponent(location.pathname)}` }, 'Log in again'), ' to see the wallboard.');
    } else if (!socket.active) {
      problem.append(`The wallboard was refused: ${err.message}.`);
    } else {
      problem.append('Cannot reach SIVO for live updates; trying again.');
    }
    problem.hidden = false;
  });
  socket.on('wallboard.update', (message) => {
    live = receive(message, Date.now());
    const now = serverNow(live, Date.now());
    board.replaceChildren(renderTiles(live.board, now), renderAgents(live.board, now), renderQueues(live.board, now), renderCalls(live.board, now));
    board.dataset.updated = String(message.now);
  });

  const timer = setInterval(() => {
    if (!root.isConnected) {
      // The supervisor went to another page: stop watching.
      clearInterval(timer);
      socket.disconnect();
      return;
    }
    if (live) tick(root, live);
  }, 1000);
}
