// After-call work across a reload (the pure half): the ended call's card is no longer among
// session.ready's calls, so `wrap_up` carries it (docs/signaling.md, "After-call work across
// a reload"); this turns it into what the page rebuilds. No DOM, no globals, no network.

/** Epoch ms of an RFC 3339 time, or NaN. */
const at = (text) => (typeof text === 'string' ? Date.parse(text) : NaN);

/**
 * What to rebuild from `ready` (session.ready), or null when the agent is not wrapping up a
 * call. `{callId, snapshot, connectedAt, endedAt, startedAt, talkSeconds, cause, side, log}`:
 * `snapshot` is the card's call info; `connectedAt`/`endedAt` (epoch ms, the server's) give
 * its duration; `startedAt` is when the wrap-up began, so that the countdown's length is the
 * whole wrap-up (not what is left at the reload); `log` is the disposition and notes saved so
 * far with the dispositions offered, or null when the call gets no Salesforce log.
 */
export function restoredWrapUp(ready) {
  const wrap = ready?.wrap_up;
  const call = wrap?.call;
  if (ready?.status !== 'after_call_work' || !call?.call_id) return null;
  const endedAt = at(call.ended_at);
  if (Number.isNaN(endedAt)) return null;
  const answered = at(call.answered_at);
  // A call that never connected (an outbound one nobody answered) still had its card.
  const connectedAt = Number.isNaN(answered) ? endedAt : answered;
  return {
    callId: call.call_id,
    snapshot: {
      call_id: call.call_id,
      state: 'ended',
      direction: call.direction ?? 'inbound',
      from: call.from ?? '',
      to: call.to ?? '',
      queue_id: call.queue_id ?? null,
      role: call.role ?? 'primary',
      conference: Boolean(call.conference),
      held: false,
      muted: false,
      consult: null,
    },
    connectedAt,
    endedAt,
    startedAt: endedAt,
    talkSeconds: Math.max(0, Math.round((endedAt - connectedAt) / 1000)),
    cause: call.cause ?? null,
    side: call.side ?? null,
    log: wrap.logging
      ? {
          dispositions: Array.isArray(wrap.dispositions) ? wrap.dispositions : [],
          required: Boolean(wrap.disposition_required),
          disposition: wrap.disposition ?? '',
          notes: wrap.notes ?? '',
        }
      : null,
  };
}

/**
 * Which of the saved log to put in the form: the saved disposition if it is still offered
 * (else none), and the saved notes, unless the agent already typed something in this page.
 */
export function logFields(log, form) {
  if (!log || form.dirty) return null;
  const disposition = log.dispositions.includes(log.disposition) ? log.disposition : '';
  return { disposition, notes: log.notes };
}
