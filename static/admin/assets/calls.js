// Calls: the tenant's call history (GET /api/v1/calls) with its filters (time, queue,
// agent, direction, outcome; kept in the page's URL so that a filtered view can be shared
// or reloaded), and one call: its CDR, its timeline (GET /calls/{id}/events), the
// recording played with a waveform of both channels (call-player.js), the transcript
// beside it (GET /calls/{id}/transcript; a live one is asked for again every 3 s until it
// is completed) and the Salesforce records it touched (GET /calls/{id}/salesforce). The
// decisions live in calls-model.js, call-filters.js and call-timeline.js.

import { get } from './api.js';
import { countedHelp } from './counted-help.js';
import { h, say, table, timeEl } from './dom.js';
import { PAGE_SIZE, callFacts, callPage, callPath, callState, duration, nextLimit, refreshDelay, transcriptNote, transcriptTurns } from './calls-model.js';
import { DIRECTION_CHOICES, OUTCOMES, OUTCOME_KINDS, PERIODS, callsQuery, describeFilters, filtersFromSearch, filtersToSearch, formToFilters, hasFilters, isoToLocalInput, periodFilters } from './call-filters.js';
import { recordingPlayer } from './call-player.js';
import { buildTimeline } from './call-timeline.js';

function stateBadge(call) {
  const state = callState(call);
  return h('span', { class: `badge badge-${state.kind}`, 'data-state': call.state }, state.label);
}

// The list's filters as last shown, so that the call view's "← Calls" goes back to them.
let lastListSearch = '';

function outcomeBadge(call) {
  if (!call.outcome) return '—';
  return h('span', { class: `badge badge-${OUTCOME_KINDS[call.outcome] ?? 'muted'}`, 'data-outcome': call.outcome }, OUTCOMES[call.outcome] ?? call.outcome);
}

/** The tenant's agents and queues, for the filters' choices. */
async function loadDirectory() {
  const [agents, queues] = await Promise.all([
    get('/agents').catch(() => ({ data: [] })),
    get('/queues').catch(() => ({ data: [] })),
  ]);
  return { agents: agents.data ?? [], queues: queues.data ?? [] };
}

/** Agent and queue names by id, for labels; a page without them shows the ids. */
async function lookupNames() {
  const { agents, queues } = await loadDirectory();
  return namesOf(agents, queues);
}

function namesOf(agents, queues) {
  const names = {};
  for (const item of [...agents, ...queues]) names[item.id] = item.name;
  return names;
}

const byName = (a, b) => String(a.name).localeCompare(String(b.name));

function selectField(id, label, choices, value, anyLabel) {
  const select = h(
    'select',
    { id, name: id.replace('calls-', '') },
    h('option', { value: '' }, anyLabel),
    choices.map(([v, text]) => h('option', { value: v, selected: v === value }, text)),
  );
  if (value && !choices.some(([v]) => v === value)) select.append(h('option', { value, selected: true }, value)); // an id from a shared URL
  return { select, field: h('div', { class: 'field' }, h('label', { for: id }, label), select) };
}

/** The filters form; `onApply(filters)` with what it holds once valid. */
function filtersForm(filters, directory, onApply) {
  const since = h('input', { id: 'calls-since', name: 'since', type: 'datetime-local', value: isoToLocalInput(filters.since) });
  const until = h('input', { id: 'calls-until', name: 'until', type: 'datetime-local', value: isoToLocalInput(filters.until) });
  const queue = selectField('calls-queue_id', 'Queue', [...directory.queues].sort(byName).map((q) => [q.id, q.name]), filters.queue_id, 'All queues');
  const agent = selectField('calls-agent_id', 'Agent', [...directory.agents].sort(byName).map((a) => [a.id, a.name]), filters.agent_id, 'All agents');
  const direction = selectField('calls-direction', 'Direction', Object.entries(DIRECTION_CHOICES), filters.direction, 'Both');
  const outcome = selectField('calls-outcome', 'Outcome', Object.entries(OUTCOMES), filters.outcome, 'Any outcome');
  const error = h('p', { class: 'field-error', role: 'alert', hidden: true });
  const periods = h(
    'div',
    { class: 'period-buttons', role: 'group', 'aria-label': 'Quick periods' },
    Object.entries(PERIODS).map(([key, [label]]) =>
      h('button', { type: 'button', class: 'btn btn-small', 'data-period': key, onclick: () => {
        since.value = isoToLocalInput(periodFilters(key).since);
        until.value = '';
        since.closest('form').requestSubmit(); // a quick period applies at once
      } }, label),
    ),
  );
  const clear = h('a', { href: '/admin/calls', 'data-nav': true, class: 'btn', hidden: !hasFilters(filters) }, 'Clear filters');
  const form = h(
    'form',
    { class: 'card call-filters', 'aria-label': 'Filter calls', novalidate: true },
    h(
      'div',
      { class: 'call-filter-fields' },
      h('div', { class: 'field' }, h('label', { for: 'calls-since' }, 'From'), since),
      h('div', { class: 'field' }, h('label', { for: 'calls-until' }, 'To'), until),
      queue.field,
      agent.field,
      direction.field,
      outcome.field,
    ),
    error,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Apply filters'), periods, clear),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const read = formToFilters({
      since: since.value,
      until: until.value,
      queue_id: queue.select.value,
      agent_id: agent.select.value,
      direction: direction.select.value,
      outcome: outcome.select.value,
    });
    for (const input of [since, until]) input.removeAttribute('aria-invalid');
    if (read.error) {
      say(error, read.error, 'error');
      const wrong = read.field === 'since' ? since : until;
      wrong.setAttribute('aria-invalid', 'true');
      wrong.focus();
      return;
    }
    say(error, '');
    clear.hidden = !hasFilters(read.filters);
    onApply(read.filters);
  });
  return form;
}

export async function callsPage(root) {
  const body = h('div', { class: 'log-body' });
  const error = h('p', { class: 'alert alert-error', role: 'alert', hidden: true });
  const note = h('p', { class: 'muted small', role: 'status' });
  const refreshBtn = h('button', { type: 'button', class: 'btn' }, 'Refresh');
  const moreBtn = h('button', { type: 'button', class: 'btn', hidden: true }, 'Show more');
  let limit = PAGE_SIZE;
  let names = {};
  let filters = filtersFromSearch(location.search);
  lastListSearch = filtersToSearch(filters);

  function render(items) {
    if (!items.length) {
      body.replaceChildren(h('p', { class: 'empty' }, hasFilters(filters) ? 'No calls match these filters.' : 'No calls yet.'));
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
      c.state === 'ended' ? outcomeBadge(c) : stateBadge(c), // a live call: where it stands
      duration(c.talk_seconds),
    ]);
    body.replaceChildren(table('Call history', ['Call', 'Started', 'Direction', 'From', 'To', 'Queue', 'Agent', 'Outcome', 'Talk'], rows));
  }

  async function load() {
    refreshBtn.disabled = moreBtn.disabled = true;
    say(error, '');
    try {
      const { data } = await get(callsQuery(filters, limit));
      render(data);
      const next = nextLimit(limit, data.length);
      moreBtn.hidden = next === null;
      if (next !== null) moreBtn.dataset.next = String(next);
      const what = hasFilters(filters) ? `${describeFilters(filters, names)}: ` : '';
      note.textContent = `${what.charAt(0).toUpperCase()}${what.slice(1)}${data.length} ${data.length === 1 ? 'call' : 'calls'}, newest first. Updated ${new Date().toLocaleTimeString()}.`;
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
  const directory = await loadDirectory();
  names = namesOf(directory.agents, directory.queues);
  const form = filtersForm(filters, directory, (chosen) => {
    filters = chosen;
    limit = PAGE_SIZE;
    // The URL keeps the filters: Back returns to the previous ones (popstate re-renders).
    lastListSearch = filtersToSearch(filters);
    if (lastListSearch !== location.search) history.pushState(null, '', `/admin/calls${lastListSearch}`);
    load();
  });
  root.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Calls')),
    countedHelp('calls'),
    form,
    h(
      'section',
      { class: 'card log', 'aria-labelledby': 'calls-title' },
      h('div', { class: 'card-head' }, h('h2', { id: 'calls-title' }, 'Call history'), refreshBtn),
      error,
      body,
      h('div', { class: 'actions' }, moreBtn),
      note,
    ),
  );
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

/** The recording's id in the facts (the player below plays it), or "None". */
function recordingFact(call) {
  return h('dd', { 'data-fact': 'recording' }, call.recording_id ? h('span', { class: 'mono' }, call.recording_id) : h('span', { class: 'muted' }, 'None'));
}

/** The call's timeline: its events (and what the CDR adds), timed from the start. */
// A call still going: its timeline (with the CDR it is built with) is asked for again this
// often, until the call has ended; then the recording and the transcript complete.
const LIVE_TIMELINE_MS = 5000;

function timelineCard(initial, names) {
  let call = initial;
  const status = h('p', { class: 'muted', role: 'status' });
  const list = h('ol', { class: 'timeline', 'aria-label': 'Timeline' });
  const card = h(
    'section',
    { class: 'card', 'aria-labelledby': 'timeline-title' },
    h('h2', { id: 'timeline-title' }, 'Timeline'),
    status,
    list,
  );

  function render(events) {
    const entries = buildTimeline(call, events, names);
    list.replaceChildren(
      ...entries.map((e) =>
        h(
          'li',
          { class: `tl tl-${e.kind}`, 'data-kind': e.kind },
          h('span', { class: 'tl-at mono', title: e.at ?? '' }, e.offset || '—'),
          h('span', { class: 'tl-what' }, e.label),
          h('span', { class: 'tl-detail' }, e.detail),
        ),
      ),
    );
    say(status, entries.length ? '' : 'Nothing recorded about this call yet.');
  }

  let first = true;

  async function load() {
    if (!card.isConnected) return; // the admin left the page: stop asking
    try {
      if (!first) call = await get(callPath(call.id)); // a live call's CDR moves on
      const { data } = await get(`${callPath(call.id)}/events`);
      render(data);
    } catch (err) {
      render([]);
      say(status, `Only the CDR is shown: ${err.message}`);
    }
    first = false;
    if (call.state !== 'ended') setTimeout(load, LIVE_TIMELINE_MS);
  }

  return { el: card, load };
}

/** Links to the Salesforce records the call touched (VoiceCall, Task); nothing when none. */
function salesforceSlot(call) {
  const slot = h('div', { class: 'call-salesforce', hidden: true });
  get(`${callPath(call.id)}/salesforce`)
    .then(({ data }) => {
      const safe = (data ?? []).filter((r) => /^https:\/\//.test(r.url ?? ''));
      if (!safe.length) return;
      slot.replaceChildren(
        h('h3', {}, 'In Salesforce'),
        h(
          'ul',
          { class: 'plain-list' },
          safe.map((r) =>
            h(
              'li',
              { 'data-object': r.object },
              h('a', { href: r.url, target: '_blank', rel: 'noopener noreferrer' }, `${r.object} ${r.id}`, h('span', { class: 'visually-hidden' }, ' (opens in a new tab)')),
              ` in ${r.org_name || r.org_id}`,
              r.note ? h('span', { class: 'muted' }, ` (${r.note})`) : '',
            ),
          ),
        ),
      );
      slot.hidden = false;
    })
    .catch(() => {}); // the links are extra: the page stands without them
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
  facts.append(h('dt', {}, 'Outcome'), h('dd', { 'data-fact': 'outcome' }, OUTCOMES[call.outcome] ?? call.outcome ?? '—'));
  facts.append(h('dt', {}, 'Recording'), recordingFact(call));
  const transcript = transcriptCard(call.id, names);
  const timeline = timelineCard(call, names);
  const player = recordingPlayer(call);
  root.append(
    h('p', { class: 'crumbs' }, h('a', { href: `/admin/calls${lastListSearch}`, 'data-nav': true }, '← Calls')),
    h('div', { class: 'page-head' }, h('div', { class: 'title-row' }, h('h1', {}, 'Call ', h('code', {}, call.id)), call.state === 'ended' ? outcomeBadge(call) : stateBadge(call))),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'cdr-title' },
      h('h2', { id: 'cdr-title' }, 'Call details'),
      facts,
      call.transfers?.length
        ? h('p', { class: 'muted small' }, `${call.transfers.length} ${call.transfers.length === 1 ? 'transfer' : 'transfers'}.`)
        : '',
      salesforceSlot(call),
    ),
    h('div', { class: 'call-media' }, h('div', { class: 'call-media-main' }, player.el, timeline.el), transcript.el),
  );
  player.load(); // in the background: a long recording takes a moment to decode
  await Promise.all([transcript.load(), timeline.load()]);
}
