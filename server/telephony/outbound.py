"""Outbound: an agent dials a number (pure rules).

Only registered web phones can be called; anything else is ``no_route`` (or ``busy``), and
still leaves a CDR. The dial is three decisions around the media set-up of the agent's
offer: :func:`dial` reserves the agent and the callee, then :func:`dial_connected` rings the
callee (or :func:`dial_failed` lets both go). The callee answers in two decisions as well.
"""

from __future__ import annotations

import logging

from . import control, ending, notify, views
from .call import Call
from .effects import CallConnected, CalleeUnanswered, CloseLeg, Decision, LegOpened
from .errors import TelephonyError, invalid_state
from .presence import State
from .state import CallRuntime, Engagement, TenantState

logger = logging.getLogger(__name__)


def dial(
    state: TenantState,
    agent_id: str,
    to: str,
    callee_sid: str | None,
    callee_busy: bool,
    now: float,
    *,
    ring_timeout_s: float,
) -> Decision:
    """An agent calls ``to``: reserve the agent (and the callee's web phone, if any).

    ``callee_sid``: the web phone that registered ``to``, if any; ``callee_busy``: it is on
    a call. Without one, the call ends at once with its CDR and the decision's refusal.
    """
    if state.closed:
        raise invalid_state("the server is shutting down")
    session = state.agents.get(agent_id)
    if session is None:
        raise invalid_state("agent session not found")
    engagement = state.engagement(agent_id)
    if engagement is Engagement.ON_CALL or session.presence.state is State.LOGGED_OUT:
        raise invalid_state("sign in and finish your current call first")
    if engagement is not None:
        raise invalid_state("answer or decline the ringing call first")
    call = Call.outbound(
        id=state.new_id("call", now),
        tenant_id=state.tenant_id,
        from_number=session.extension,
        to_number=to,
        agent_id=agent_id,
        now=now,
    )
    d = Decision()
    if callee_sid is None or callee_busy:
        cause = "no_route" if callee_sid is None else "busy"
        call.end(cause, "system", now)
        d.insert_call(call)
        d.emit(call.tenant_id, "call.created", views.created_event(call))
        d.emit(call.tenant_id, "call.ended", call.cdr())
        if callee_sid is None:
            d.refusal = TelephonyError(
                "no_route", f"no route to {to} (only web phones can be called)", "to"
            )
        else:
            d.refusal = TelephonyError("busy", f"{to} is on another call", "to")
        return d
    rt = CallRuntime(
        call=call,
        wrap_up_s=state.settings.outbound_wrap_up_s,
        record=state.settings.record_calls,
        ring_timeout_s=ring_timeout_s,
        caller_sid=callee_sid,
    )
    state.dialing[call.id] = rt
    session.calls.add(call.id)  # reserved while the agent's offer is answered
    d.reply = {"call_id": call.id}
    return d


def dial_failed(state: TenantState, agent_id: str, call_id: str) -> Decision:
    """The agent's media could not be set up: nothing was created; both parties are free."""
    d = Decision()
    rt = state.dialing.pop(call_id, None)
    session = state.agents.get(agent_id)
    if session is not None:
        session.calls.discard(call_id)
    if rt is not None:
        d.release_phone(rt.caller_sid, call_id)
    return d


def dial_connected(
    state: TenantState,
    agent_id: str,
    call_id: str,
    leg_id: str,
    callee_present: bool,
    now: float,
) -> Decision:
    """The agent's leg is up: the call exists, and the callee's web phone rings."""
    rt = state.dialing.pop(call_id, None)
    session = state.agents.get(agent_id)
    d = Decision()
    if rt is None or session is None or not callee_present or state.closed:
        if session is not None:
            session.calls.discard(call_id)
        d.media.append(CloseLeg(leg_id))
        if rt is not None:
            d.release_phone(rt.caller_sid, call_id)
        to = rt.call.to_number if rt is not None else "the callee"
        d.refusal = TelephonyError("no_route", f"{to} went away", "to")
        return d
    call = rt.call
    call.created_at = call.waiting_since = now
    change = session.presence.start_call(now)
    rt.participants.add(agent_id)
    rt.legs[agent_id] = leg_id
    state.calls[call.id] = rt
    d.insert_call(call)
    d.emit(call.tenant_id, "call.created", views.created_event(call))
    if change is not None:
        d.emit_status(call.tenant_id, change)
    logger.info("call %s: outbound %s -> %s", call.id, agent_id, call.to_number)
    d.notices.append(LegOpened(call.id, agent_id, leg_id))
    d.presence_changed(session, change)
    d.arm(f"ring:{call.id}", now + rt.ring_timeout_s, CalleeUnanswered(call.id))
    d.push_caller(
        rt.caller_sid,
        "call.incoming",
        {
            "call_id": call.id,
            "from": call.from_number,
            "to": call.to_number,
            "ring_timeout_s": rt.ring_timeout_s,
        },
    )
    return d


def callee_unanswered(state: TenantState, call_id: str, now: float) -> Decision:
    """The callee's web phone rang out."""
    d = Decision()
    rt = state.calls.get(call_id)
    if rt is not None and not rt.answered_by_callee and rt.answering is None:
        ending.end_call(state, d, rt, "no_answer", "system", now)
    return d


def _ringing_callee(state: TenantState, sid: str, call_id: str) -> CallRuntime:
    rt = control.callers_call(state, sid, call_id)
    if rt.call.direction != "outbound" or rt.answered_by_callee:
        raise invalid_state("this call is not ringing you")
    return rt


def callee_answer_begin(state: TenantState, sid: str, call_id: str) -> Decision:
    rt = _ringing_callee(state, sid, call_id)
    if rt.answering is not None:
        raise invalid_state("this call is not ringing you")
    rt.answering = "caller"
    d = Decision()
    d.cancel(f"ring:{call_id}")
    return d


def callee_answer_failed(state: TenantState, call_id: str, now: float) -> Decision:
    d = Decision()
    rt = state.calls.get(call_id)
    if rt is not None and rt.answering == "caller":
        rt.answering = None
        d.arm(f"ring:{call_id}", now + rt.ring_timeout_s, CalleeUnanswered(call_id))
    return d


def callee_answer_done(state: TenantState, call_id: str, leg_id: str, now: float) -> Decision:
    d = Decision()
    rt = state.calls.get(call_id)
    if rt is not None and rt.answering == "caller":
        rt.answering = None
    if rt is None or rt.call.ended:
        d.media.append(CloseLeg(leg_id))
        d.refusal = invalid_state("the call has ended")
        return d
    rt.legs["caller"] = leg_id
    rt.answered_by_callee = True
    wait = rt.call.answer(rt.call.agent_id or "", now)
    control.start_recording(state, d, rt, now)
    d.save_call(rt.call)
    d.emit(rt.call.tenant_id, "call.answered", views.answered_event(rt.call, wait, now))
    d.notices.append(LegOpened(call_id, "caller", leg_id))
    d.notices.append(CallConnected(call_id, rt.call.agent_id or ""))
    d.wire(rt)
    notify.updates(state, d, rt)
    return d


def callee_decline(state: TenantState, sid: str, call_id: str, now: float) -> Decision:
    rt = _ringing_callee(state, sid, call_id)
    d = Decision()
    ending.end_call(state, d, rt, "declined", "caller", now)
    return d
