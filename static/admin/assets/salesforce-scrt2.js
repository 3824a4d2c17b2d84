// The org page's "Service Cloud Voice (SCRT2)" section: the org's SCRT2 settings (PATCH
// /api/v1/salesforce/orgs/{id}) and its SCRT2 request log with Replay on failed requests
// (GET …/scrt2/requests, POST …/scrt2/requests/{request_id}/replay). The decisions live in
// scrt2-model.js.

import { ApiError, get, patch, post } from './api.js';
import { callPage } from './calls-model.js';
import { h, ms, say, statusBadge, table, timeEl } from './dom.js';
import { orgPath } from './salesforce.js';
import { DEFAULT_PROVIDER_NAME, canReplay, logSummary, replaceRow, replayPath, replayedNote, requestKind, requestState, scrt2Changes, scrt2RequestsPath, scrt2Saved, scrt2Settings } from './scrt2-model.js';

function settingsForm(initial) {
  let org = initial;
  const start = scrt2Settings(org);
  const push = h('input', { type: 'checkbox', id: 'scrt2-push', name: 'push_transcripts', checked: start.pushTranscripts, 'aria-describedby': 'scrt2-push-hint' });
  const name = h('input', {
    type: 'text',
    id: 'scrt2-provider',
    name: 'provider_name',
    value: start.providerName,
    autocomplete: 'off',
    spellcheck: 'false',
    maxlength: '80',
    'aria-describedby': 'scrt2-provider-hint scrt2-provider-error',
  });
  const fieldError = h('p', { class: 'field-error', id: 'scrt2-provider-error', hidden: true });
  const error = h('p', { class: 'alert alert-error', role: 'alert', hidden: true });
  const saved = h('p', { class: 'saved', role: 'status', hidden: true });
  const save = h('button', { type: 'submit', class: 'btn' }, 'Save SCRT2 settings');

  function invalid(message) {
    say(fieldError, message, 'error');
    name.setAttribute('aria-invalid', 'true');
    name.focus();
  }

  const form = h(
    'form',
    { class: 'stack', novalidate: true },
    h(
      'div',
      { class: 'field' },
      h('label', { class: 'check', for: 'scrt2-push' }, push, h('span', {}, 'Push transcripts')),
      h('p', { class: 'hint', id: 'scrt2-push-hint' }, 'Send each call’s live transcript, segment by segment, to its VoiceCall’s conversation in the org (needs “Transcribe calls” in Settings).'),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'scrt2-provider' }, 'Telephony-Provider-Name'),
      name,
      h('p', { class: 'hint', id: 'scrt2-provider-hint' }, `The provider name SIVO sends with every SCRT2 request (default ${DEFAULT_PROVIDER_NAME}). It must match the org’s call center.`),
      fieldError,
    ),
    !start.reported && h('p', { class: 'hint', 'data-testid': 'scrt2-not-reported' }, 'This SIVO does not report these settings yet: the form shows the defaults.'),
    h('div', { class: 'actions' }, save),
    error,
    saved,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    say(error, '');
    say(saved, '');
    say(fieldError, '');
    name.removeAttribute('aria-invalid');
    const change = scrt2Changes(org, { pushTranscripts: push.checked, providerName: name.value });
    if (change.error) {
      invalid(change.error);
      return;
    }
    if (!change.body) {
      say(saved, 'Nothing to save.', 'ok');
      return;
    }
    save.disabled = true;
    try {
      org = await patch(orgPath(org.id), change.body);
      const now = scrt2Settings(org);
      push.checked = now.pushTranscripts;
      name.value = now.providerName;
      say(saved, scrt2Saved(org), 'ok');
    } catch (err) {
      if (err instanceof ApiError && err.field === 'provider_name') invalid(err.message);
      else say(error, err.message, 'error');
    } finally {
      save.disabled = false;
    }
  });
  return form;
}

function requestLog(org, first) {
  const body = h('div', { class: 'log-body' });
  const note = h('p', { class: 'muted small', role: 'status' });
  const error = h('p', { class: 'alert alert-error', role: 'alert', hidden: true });
  const refreshBtn = h('button', { type: 'button', class: 'btn' }, 'Refresh');
  let items = [];

  function replayButton(row) {
    const button = h('button', { type: 'button', class: 'btn btn-small', 'aria-label': `Replay request ${row.id}` }, 'Replay');
    button.addEventListener('click', async () => {
      say(error, '');
      button.disabled = true;
      try {
        const updated = await post(replayPath(org.id, row.id));
        items = replaceRow(items, updated);
        render();
        note.textContent = replayedNote(updated);
      } catch (err) {
        say(error, err.message, 'error');
        button.disabled = false;
      }
    });
    return button;
  }

  function render() {
    if (!items.length) {
      body.replaceChildren(h('p', { class: 'empty' }, 'No SCRT2 requests yet. They start with the org’s first call.'));
      return;
    }
    const rows = items.map((r) => {
      const state = requestState(r);
      return [
        timeEl(r.created_at),
        requestKind(r),
        h('span', { class: 'mono' }, r.method),
        h('a', { href: callPage(r.call_id), 'data-nav': true, class: 'mono' }, r.call_id),
        h('span', { class: `badge badge-${state.kind}`, 'data-state': r.state }, state.label),
        statusBadge(r.status_code),
        ms(r.latency_ms),
        String(r.attempts),
        r.reason ? h('span', { class: 'error-text break' }, r.reason) : '',
        canReplay(r) ? replayButton(r) : '',
      ];
    });
    const log = table('SCRT2 requests', ['Time', 'Kind', 'Method', 'Call', 'State', 'Status', 'Latency', 'Attempts', 'Reason', ''], rows);
    log.querySelectorAll('tbody tr').forEach((tr, i) => {
      tr.dataset.requestId = String(items[i].id);
    });
    body.replaceChildren(log);
  }

  function show(result) {
    if (result.error) {
      say(error, result.error.message, 'error');
      return;
    }
    items = result.data ?? [];
    render();
    note.textContent = `${logSummary(items)} Updated ${new Date().toLocaleTimeString()}.`;
  }

  async function refresh() {
    refreshBtn.disabled = true;
    say(error, '');
    try {
      show(await get(scrt2RequestsPath(org.id)));
    } catch (err) {
      say(error, err.message, 'error');
    } finally {
      refreshBtn.disabled = false;
    }
  }

  refreshBtn.addEventListener('click', refresh);
  show(first);
  return h(
    'div',
    { class: 'log scrt2-log' },
    h('div', { class: 'card-head' }, h('h3', { id: 'scrt2-log-title' }, 'Recent SCRT2 requests'), refreshBtn),
    h('p', { class: 'muted' }, 'The last 100 requests to the org’s SCRT2, newest first. A failed one can be sent again.'),
    error,
    body,
    note,
  );
}

/**
 * The section; `requests` is the first page of the log, already fetched by the org page
 * (or `{error}` when that failed: the section still shows, with the message).
 */
export function scrt2Section(org, requests) {
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'scrt2-title', 'data-testid': 'scrt2-section' },
    h('h2', { id: 'scrt2-title' }, 'Service Cloud Voice (SCRT2)'),
    h('p', { class: 'muted' }, 'How SIVO talks to the org’s Service Cloud Voice, and what it sent.'),
    settingsForm(org),
    requestLog(org, requests),
  );
}

export const loadScrt2Requests = (orgId) => get(scrt2RequestsPath(orgId)).catch((err) => ({ error: err }));
