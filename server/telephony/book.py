"""The call book: one tenant's agents, calls and queues, and every rule that changes them.

Pure: no I/O, no clock reads, no awaits. Each operation takes the state and an input (and
``now``), checks it against the rules, changes the state and returns a
:class:`~server.telephony.effects.Decision`: what to save and emit, push, wire and time.
Refusals raise :class:`~server.telephony.errors.TelephonyError` before anything changes,
or, where effects must still happen (an outbound call with no route leaves its CDR), travel
as the decision's ``refusal``.

This module holds the agents' side, the caller's arrival, legs and timers; in-call requests
are in ``control.py`` and ``outbound.py``, the ACD in ``routing.py``, endings in
``ending.py`` and ``transfers.py``. :func:`decide` runs the ACD after every operation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from . import control, ending, notify, outbound, routing, transfers, views
from .acd import QueuePolicy
from .call import Call
from .effects import (
    AcdDue,
    CalleeUnanswered,
    CloseLeg,
    ConsultUnanswered,
    Decision,
    DisconnectAgent,
    Due,
    GraceOver,
    LegClosed,
    LegOpened,
    MediaGraceOver,
    PushAgent,
    WrapUpDue,
)
from .errors import TelephonyError, invalid_state
from .presence import AgentPresence, State, StatusChange
from .state import AgentProfile, AgentSession, CallRuntime, TenantState

logger = logging.getLogger(__name__)


def decide(state: TenantState, now: float, operation: Callable[[], Decision]) -> Decision:
    """Run one operation, then let the ACD ring whoever is free for whatever waits."""
    d = operation()
    routing.route(state, d, now)
    return d


# -- agents -----------------------------------------------------------------------------------


def _session(state: TenantState, agent_id: str) -> AgentSession:
    session = state.agents.get(agent_id)
    if session is None:
        raise invalid_state("agent session not found")
    return session


def agent_connected(state: TenantState, profile: AgentProfile, sid: str, now: float) -> Decision:
    """A softphone authenticated; it takes over any previous one. Replies ``session.ready``."""
    agent_id = profile.agent_id
    session = state.agents.get(agent_id)
    if session is None:
        session = AgentSession(
            agent_id=agent_id,
            name=profile.name,
            extension=profile.extension,
            queue_ids=profile.queue_ids,
            presence=AgentPresence(agent_id, now=now),
        )
        state.track(session)
    session.refresh(profile)
    previous, session.sid = session.sid, sid
    state.reindex(session)
    d = Decision()
    d.cancel(f"grace:{agent_id}")
    if previous is not None and previous != sid:
        logger.info("agent %s: softphone %s replaced by %s", agent_id, previous, sid)
        message = {"message": "this agent signed in on another softphone"}
        d.pushes.append(PushAgent(previous, "session.replaced", message))
        d.pushes.append(DisconnectAgent(previous))
    d.reply = {
        "agent_id": agent_id,
        "tenant_id": state.tenant_id,
        "name": session.name,
        "extension": session.extension,
        "status": session.presence.state.value,
        "reason": session.presence.reason,
        "wrap_up_ends_at": views.wrap_up_ends(session.presence.wrap_up_ends_at),
        "wrap_up": _wrap_up(session),
        "pause_reasons": list(state.settings.pause_reasons),
        "calls": [
            views.agent_view(state.calls[c], agent_id)
            for c in sorted(session.calls)
            if c in state.calls
        ],
    }
    return d


def _wrap_up(session: AgentSession) -> dict[str, Any] | None:
    """The after-call work in progress, with the call it is for (None when not wrapping)."""
    if session.presence.state is not State.AFTER_CALL_WORK or session.wrap_up_call is None:
        return None
    return {"call": dict(session.wrap_up_call)}


def agent_disconnected(
    state: TenantState, agent_id: str, sid: str, now: float, grace_s: float
) -> Decision:
    """A softphone's socket closed: keep status and calls for the grace period."""
    d = Decision()
    session = state.agents.get(agent_id)
    if session is None or session.sid != sid:
        return d  # replaced: the new softphone owns the session
    session.sid = None
    state.reindex(session)
    _stop_rings(state, d, agent_id, now)
    if session.presence.state is State.LOGGED_OUT and not session.calls:
        return d
    logger.info("agent %s: socket lost, grace %.0f s", agent_id, grace_s)
    d.arm(f"grace:{agent_id}", now + grace_s, GraceOver(agent_id))
    return d


def _stop_rings(state: TenantState, d: Decision, agent_id: str, now: float) -> None:
    """The agent can no longer answer (its softphone is gone, or it signed out): a queued or
    transferred call that rings it goes to the next agent, a consultation that rings it back
    to the consulting agent, each with ``call.ring_missed`` (agent_offline)."""
    for rt in list(state.calls.values()):
        consult = rt.consult
        if state.ringing_agent(rt.id) == agent_id:
            routing.ring_stopped(state, d, rt, "agent_offline", now)
        elif consult is not None and consult.agent_id == agent_id and consult.state == "ringing":
            transfers.cancel(state, d, rt, "agent_disconnected", now)


def grace_over(state: TenantState, agent_id: str, now: float) -> Decision:
    d = Decision()
    session = state.agents.get(agent_id)
    if session is None or session.sid is not None:
        return d
    logger.info("agent %s: x grace period over, logging out", agent_id)
    for call_id in sorted(session.calls):
        rt = state.calls.get(call_id)
        if rt is not None:
            transfers.agent_leaves(state, d, rt, agent_id, "agent_disconnected", now)
    _presence(state, d, session, session.presence.log_out(now, force=True))
    return d


def agent_changed(state: TenantState, agent_id: str, profile: AgentProfile | None) -> Decision:
    """An admin edited the agent (new queues, name) or deleted it (signed out)."""
    d = Decision()
    session = state.agents.get(agent_id)
    if session is None:
        return d
    if profile is not None:
        session.refresh(profile)
    elif session.sid is not None:
        d.pushes.append(DisconnectAgent(session.sid))
    return d


def set_presence(
    state: TenantState, agent_id: str, status: str, reason: str | None, now: float
) -> Decision:
    session = _session(state, agent_id)
    reasons = state.settings.pause_reasons
    if status == "on_break":
        if reason is None or reason not in reasons:
            raise TelephonyError(
                "invalid_reason", f"reason must be one of {', '.join(reasons)}", "reason"
            )
        change = session.presence.pause(reason, now)
    elif reason is not None:
        raise TelephonyError("invalid_message", "only on_break takes a reason", "reason")
    elif status == "available":
        change = session.presence.set_available(now)
    else:
        change = session.presence.log_out(now)
    d = Decision()
    _presence(state, d, session, change)
    d.reply = {"status": session.presence.state.value, "reason": session.presence.reason}
    return d


def end_wrap_up(state: TenantState, agent_id: str, now: float) -> Decision:
    session = _session(state, agent_id)
    d = Decision()
    _presence(state, d, session, session.presence.end_wrap_up(now))
    d.reply = {"status": session.presence.state.value}
    return d


def _wrap_up_due(state: TenantState, agent_id: str, now: float) -> Decision:
    d = Decision()
    session = state.agents.get(agent_id)
    if session is not None:
        _presence(state, d, session, session.presence.wrap_up_due(now))
    return d


def _presence(
    state: TenantState, d: Decision, session: AgentSession, change: StatusChange | None
) -> None:
    if change is not None:
        if change.status is State.LOGGED_OUT:  # signed out: it cannot answer what rings it
            _stop_rings(state, d, session.agent_id, change.at)
        d.emit_status(state.tenant_id, change)
        d.presence_changed(session, change)


def presence_of(state: TenantState, agent_id: str) -> dict[str, Any]:
    """Live status for the REST API (an agent never connected is logged out)."""
    session = state.agents.get(agent_id)
    if session is None:
        return {"status": State.LOGGED_OUT.value, "reason": None, "connected": False}
    return {
        "status": session.presence.state.value,
        "reason": session.presence.reason,
        "connected": session.sid is not None,
    }


# -- a caller arrives -------------------------------------------------------------------------


def inbound_arrives(
    state: TenantState,
    *,
    call_id: str,
    caller_sid: str,
    from_number: str,
    to_number: str,
    policy: QueuePolicy,
    leg_id: str,
    now: float,
) -> Decision:
    """A web phone's call to a published number, its media answered: queue it."""
    call = Call.inbound(
        id=call_id,
        tenant_id=state.tenant_id,
        from_number=from_number,
        to_number=to_number,
        queue_id=policy.id,
        now=now,
    )
    rt = CallRuntime(
        call=call,
        wrap_up_s=policy.wrap_up_s,
        record=state.settings.record_calls,
        ring_timeout_s=policy.ring_timeout_s,
        caller_sid=caller_sid,
        legs={"caller": leg_id},
    )
    state.calls[call.id] = rt
    waiting = state.acd.enqueue(call.id, policy, now)
    d = Decision()
    d.insert_call(call)
    d.emit(call.tenant_id, "call.created", views.created_event(call))
    d.emit(
        call.tenant_id,
        "queue.entered",
        views.queue_entered_event(call.id, policy, waiting, state.acd.position(call.id) or 1),
    )
    logger.info("call %s: inbound %s -> %s, queue %s", call.id, from_number, to_number, policy.id)
    d.notices.append(LegOpened(call.id, "caller", leg_id))
    notify.caller_update(state, d, rt)
    d.reply = {"call_id": call.id}
    return d


# -- legs -------------------------------------------------------------------------------------


def leg_reopened(state: TenantState, call_id: str, party: str, leg_id: str) -> Decision:
    """A party re-offered after its leg died (reload, network change): the new leg joins."""
    d = Decision()
    d.cancel(f"media:{leg_id}")
    rt = state.calls.get(call_id)
    if rt is None:
        d.media.append(CloseLeg(leg_id))
        d.refusal = invalid_state("the call has ended")
        return d
    rt.legs[party] = leg_id
    d.notices.append(LegOpened(call_id, party, leg_id))
    d.wire(rt)
    return d


def leg_lost(
    state: TenantState, call_id: str, party: str, failed: bool, now: float, grace_s: float
) -> Decision:
    """A leg failed or closed without being asked to."""
    d = Decision()
    rt = state.calls.get(call_id)
    if rt is None or party not in rt.legs:
        return d
    leg = rt.legs.pop(party)
    d.notices.append(LegClosed(call_id, party, leg))
    logger.info("call %s: x %s media %s", call_id, party, "failed" if failed else "closed")
    if party == "caller":
        cause = "media_failed" if failed else "normal_clearing"
        transfers.caller_leaves(state, d, rt, cause, now)
        return d
    # An agent's media may come back with a new offer (page reload, network change).
    d.arm(f"media:{leg}", now + grace_s, MediaGraceOver(call_id, party))
    return d


def _media_grace_over(state: TenantState, call_id: str, party: str, now: float) -> Decision:
    d = Decision()
    rt = state.calls.get(call_id)
    if rt is not None and party not in rt.legs and party in rt.participants:
        transfers.agent_leaves(state, d, rt, party, "media_failed", now)
    return d


def caller_gone(state: TenantState, sid: str, call_id: str, now: float) -> Decision:
    """The web phone's socket closed during its call."""
    d = Decision()
    rt = state.calls.get(call_id)
    if rt is not None and rt.caller_sid == sid:
        transfers.caller_leaves(state, d, rt, "caller_disconnected", now)
    return d


# -- timers and shutdown ----------------------------------------------------------------------


def timer_due(state: TenantState, due: Due, now: float) -> Decision:
    """A timer armed by an earlier decision fired: decide again with what is true now."""
    if isinstance(due, AcdDue):
        d = Decision()
        routing.acd_due(state, d, now)
        return d
    if isinstance(due, WrapUpDue):
        return _wrap_up_due(state, due.agent_id, now)
    if isinstance(due, GraceOver):
        return grace_over(state, due.agent_id, now)
    if isinstance(due, MediaGraceOver):
        return _media_grace_over(state, due.call_id, due.party, now)
    if isinstance(due, ConsultUnanswered):
        return control.consult_unanswered(state, due.call_id, due.agent_id, now)
    if isinstance(due, CalleeUnanswered):
        return outbound.callee_unanswered(state, due.call_id, now)
    raise TypeError(f"unknown timer {due!r}")


def shutdown(state: TenantState, now: float) -> Decision:
    """End every call (``server_shutdown``); no new call is taken from now on."""
    state.closed = True
    d = Decision()
    for rt in list(state.calls.values()):
        ending.end_call(state, d, rt, "server_shutdown", "system", now)
    return d
