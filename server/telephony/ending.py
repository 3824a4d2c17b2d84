"""How a call ends, and how one agent leaves a call that goes on (pure rules).

A call ends when its caller leaves, when its last agent leaves, or when the system ends it
(no answer, no route, overflow, shutdown). Ending saves the CDR (``call.ended``) with the
agents' status changes, tells the parties, closes the legs, hands the recording over to be
finalized and frees the web phone; the ACD then routes waiting calls to the freed agents.
"""

from __future__ import annotations

import logging

from . import notify, views
from .effects import CallEnded, Decision, FinishRecording
from .presence import State, StatusChange
from .state import AgentSession, CallRuntime, TenantState

logger = logging.getLogger(__name__)

Released = tuple[AgentSession | None, StatusChange | None]


def end_call(
    state: TenantState, d: Decision, rt: CallRuntime, cause: str, side: str, now: float
) -> None:
    """End the call for everyone: CDR, events, pushes, media, recording."""
    call = rt.call
    if call.ended:
        return
    abandoned = call.direction == "inbound" and call.answered_at is None and side == "caller"
    waited = now - (call.queued_at or call.created_at)
    ringing = state.ringing_agent(rt.id)
    reason = "caller_hangup" if side == "caller" else "cancelled"
    if ringing is not None:
        notify.ring_cancelled(state, d, rt, ringing, reason, now)
    if rt.consult is not None and rt.consult.state == "ringing":
        notify.ring_cancelled(state, d, rt, rt.consult.agent_id, "cancelled", now, missed=reason)
    state.acd.remove(rt.id)
    call.end(cause if not abandoned else "abandoned", side, now)
    changes = [_off_call(state, rt, agent_id, now) for agent_id in sorted(rt.participants)]
    d.save_call(call)
    if abandoned and call.queue_id is not None:
        d.emit(
            call.tenant_id,
            "queue.abandoned",
            views.abandoned_event(call.id, call.queue_id, waited, now),
        )
    cdr = call.cdr()
    d.emit(call.tenant_id, "call.ended", cdr)
    for session, change in changes:
        if session is not None and change is not None:
            d.emit_status(call.tenant_id, change)
    logger.info("call %s: ended (%s, %s)", call.id, call.hangup_cause, side)
    ended = views.ended_push(call, side)
    for agent_id in sorted(rt.participants):
        d.push_agent(state.agents.get(agent_id), "call.ended", ended)
    d.push_caller(rt.caller_sid, "call.ended", ended)
    d.release_phone(rt.caller_sid, rt.id)
    del state.calls[rt.id]
    d.cancel(f"ring:{rt.id}")
    for party in sorted(rt.legs):
        d.cancel(f"media:{rt.leg_id(party)}")
        d.close_leg(rt, party)
    if call.recording_id is not None:
        d.media.append(FinishRecording(call.tenant_id, call.id, call.recording_id))
    for session, change in changes:
        if session is not None:
            d.presence_changed(session, change)
    d.notices.append(CallEnded(call.id, cdr))


def _off_call(state: TenantState, rt: CallRuntime, agent_id: str, now: float) -> Released:
    """The agent's session no longer has this call; its presence change if it was the last."""
    session = state.agents.get(agent_id)
    if session is None:
        return None, None
    session.calls.discard(rt.id)
    if session.calls:
        return session, None
    change = session.presence.end_call(now, rt.wrap_up_s)
    if change is not None:
        wrapping = change.status is State.AFTER_CALL_WORK
        session.wrap_up_call = views.wrap_up_view(rt, agent_id, now) if wrapping else None
    return session, change


def release_agent(state: TenantState, rt: CallRuntime, agent_id: str, now: float) -> Released:
    """Take an agent off a call that goes on (state only); returns its presence change."""
    rt.participants.discard(agent_id)
    rt.muted.discard(agent_id)
    return _off_call(state, rt, agent_id, now)


def finish_release(
    d: Decision, rt: CallRuntime, agent_id: str, released: Released, cause: str
) -> None:
    """Close the agent's leg, tell it, arm its wrap-up (after the call's save and events)."""
    session, change = released
    d.close_leg(rt, agent_id)
    d.push_agent(session, "call.ended", {"call_id": rt.id, "cause": cause, "side": "agent"})
    if session is not None:
        d.presence_changed(session, change)
