// Calls: the tenant's recent calls (GET /api/v1/calls), and one call's CDR, recording and
// transcript (GET /api/v1/calls/{id} and /calls/{id}/transcript; a live one is asked for
// again every 3 s until it is completed). The decisions live in calls-model.js.

import { get } from './api.js';
import { h, say, table, timeEl } from './dom.js';
import { PAGE_SIZE, callFacts, callPage, callPath, callState, duration, nextLimit, refreshDelay, transcriptNote, transcriptTurns } from './calls-model.js';

function stateBadge(call) {
  const state = callState(call);
  return h('span', { class: `badge badge-${state.kind}`, 'data-state': call.state }, state.label);
}

/** Agent and queue names by id, for labels; a page without them shows the ids. */
async function lookupNames() {
  const [agents, queues] = await Promise.all([
    get('/agents').catch(() => ({ data: [] })),
    get('/queues').catch(() => ({ data: [] })),
  ]);
  const names = {};
  for (const item of [...(agents.data ?? []), ...(queues.data ?? [])]) names[item.id] = item.name;
  return names;
}

export async function callsPage(root) {
  const body = h('div', { class: 'log-body' });
  const error = h('p', { class: 'alert alert-error', role: 'alert', hidden: true });
  const note = h('p', { class: 'muted small', role: 'status' });
  const refreshBtn = h('button', { type: 'button', class: 'btn' }, 'Refresh');
  const moreBtn = h('button', { type: 'button', class: 'btn', hidden: true }, 'Show more');
  let limit = PAGE_SIZE;
  let names = {};

  function render(items) {
    if (!items.length) {
      body.replaceChildren(h('p', { class: 'empty' }, 'No calls yet.'));
      return;
    }
    const name = (id) => (id ? names[id] ?? id : '—');
    const rows = items.map((c) => [
      h('a', { href: callPage(c.id), 'data-nav': true, class: 'mono' }, c.id),
      timeEl(c.created_at),
      c.direction === 'outbound' ? 'Outbound' : 'Inbound',
      h('span', { class: 'mono' }, c.from),
      h('span', { class: 'mono' }, c.to),
      name(c.queue_id),
      name(c.agent_id),
      stateBadge(c),
      duration(c.talk_seconds),
    ]);
    body.replaceChildren(table('Recent calls', ['Call', 'Started', 'Direction', 'From', 'To', 'Queue', 'Agent', 'State', 'Talk'], rows));
  }

  async function load() {
    refreshBtn.disabled = moreBtn.disabled = true;
    say(error, '');
    try {
      const { data } = await get(`/calls?limit=${limit}`);
      render(data);
      const next = nextLimit(limit, data.length);
      moreBtn.hidden = next === null;
      if (next !== null) moreBtn.dataset.next = String(next);
      note.textContent = `${data.length} ${data.length === 1 ? 'call' : 'calls'}, newest first. Updated ${new Date().toLocaleTimeString()}.`;
    } catch (err) {
      say(error, err.message, 'error');
    } finally {
      refreshBtn.disabled = moreBtn.disabled = false;
    }
  }

  refreshBtn.addEventListener('click', load);
  moreBtn.addEventListener('click', () => {
    limit = Number(moreBtn.dataset.next);
    load();
  });
  root.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Calls')),
    h(
      'section',
      { class: 'card log', 'aria-labelledby': 'calls-title' },
      h('div', { class: 'card-head' }, h('h2', { id: 'calls-title' }, 'Recent calls'), refreshBtn),
      error,
      body,
      h('div', { class: 'actions' }, moreBtn),
      note,
    ),
  );
  names = await lookupNames();
  await load();
}

function factsList(call, names) {
  return h(
    'dl',
    { class: 'facts call-facts' },
    callFacts(call, names).map((f) => [
      h('dt', {}, f.label),
      h('dd', { 'data-fact': f.key }, typeof f.value === 'object' ? timeEl(f.value.time) : f.value),
    ]),
  );
}

/** The recording's signed link (fetched fresh: it expires), or where it stands. */
function recordingSlot(call) {
  const slot = h('dd', { 'data-fact': 'recording' });
  if (!call.recording_id) {
    slot.append(h('span', { class: 'muted' }, 'None'));
    return slot;
  }
  slot.append(h('span', { class: 'muted' }, 'Loading…'));
  get(`/recordings/${encodeURIComponent(call.recording_id)}`)
    .then((rec) => {
      if (rec.url) {
        slot.replaceChildren(
          h('a', { href: rec.url, download: `${call.id}.wav` }, 'Download the recording (WAV)'),
          rec.duration_seconds !== null && rec.duration_seconds !== undefined ? ` · ${duration(rec.duration_seconds)}` : '',
        );
      } else {
        slot.replaceChildren(h('span', { class: 'muted' }, 'Still recording'));
      }
    })
    .catch((err) => slot.replaceChildren(h('span', { class: 'error-text' }, err.message)));
  return slot;
}

function transcriptCard(callId, names) {
  const status = h('p', { class: 'muted', role: 'status', 'data-testid': 'transcript-note' });
  const error = h('p', { class: 'alert alert-error', role: 'alert', hidden: true });
  const list = h('ol', { class: 'transcript', 'aria-label': 'Transcript' });
  const badgeSlot = h('span', {});
  const card = h(
    'section',
    { class: 'card', 'aria-labelledby': 'transcript-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'transcript-title' }, 'Transcript'), badgeSlot),
    status,
    error,
    list,
  );

  function render(transcript) {
    card.dataset.state = transcript.state;
    badgeSlot.replaceChildren(
      transcript.state === 'live' ? h('span', { class: 'badge badge-warn' }, 'Live') : '',
      transcript.state === 'completed' ? h('span', { class: 'badge badge-ok' }, 'Completed') : '',
    );
    say(status, transcriptNote(transcript));
    list.replaceChildren(
      ...transcriptTurns(transcript.segments, names).map((t) =>
        h(
          'li',
          { class: `turn turn-${t.speaker}`, 'data-speaker': t.speaker },
          h('span', { class: 'turn-who' }, t.label),
          h('time', { class: 'turn-at mono', title: `${t.startSeconds} s into the call` }, t.start),
          h('p', { class: 'turn-text' }, t.text),
        ),
      ),
    );
  }

  async function load() {
    if (!card.isConnected) return; // the admin left the page: stop asking
    let delay = null;
    try {
      const transcript = await get(`${callPath(callId)}/transcript`);
      say(error, '');
      render(transcript);
      delay = refreshDelay(transcript);
    } catch (err) {
      say(error, err.message, 'error');
      delay = card.dataset.state === 'live' ? refreshDelay({ state: 'live' }) : null;
    }
    if (delay !== null) setTimeout(load, delay);
  }

  return { el: card, load };
}

export async function callDetailPage(root, id) {
  const [call, names] = await Promise.all([get(callPath(id)), lookupNames()]);
  const facts = factsList(call, names);
  facts.append(h('dt', {}, 'Recording'), recordingSlot(call));
  const transcript = transcriptCard(call.id, names);
  root.append(
    h('p', { class: 'crumbs' }, h('a', { href: '/admin/calls', 'data-nav': true }, '← Calls')),
    h('div', { class: 'page-head' }, h('div', { class: 'title-row' }, h('h1', {}, 'Call ', h('code', {}, call.id)), stateBadge(call))),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'cdr-title' },
      h('h2', { id: 'cdr-title' }, 'Call details'),
      facts,
      call.transfers?.length
        ? h('p', { class: 'muted small' }, `${call.transfers.length} ${call.transfers.length === 1 ? 'transfer' : 'transfers'}.`)
        : '',
    ),
    transcript.el,
  );
  await transcript.load();
}
