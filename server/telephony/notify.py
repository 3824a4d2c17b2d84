"""What the parties of a call are told, as pushes added to a decision (pure)."""

from __future__ import annotations

from . import views
from .call import CallState
from .effects import CallHeld, CallRinging, Decision
from .state import CallRuntime, TenantState


def caller_update(state: TenantState, d: Decision, rt: CallRuntime) -> None:
    """``call.updated`` to the web phone, with its place in the queue while it waits."""
    queued = rt.call.state is CallState.QUEUED
    position = state.acd.position(rt.id) if queued else None
    d.push_caller(rt.caller_sid, "call.updated", views.caller_view(rt, position))


def updates(state: TenantState, d: Decision, rt: CallRuntime) -> None:
    """The call's new shape to every agent on it and to the web phone."""
    for agent_id in sorted(rt.participants):
        d.push_agent(state.agents.get(agent_id), "call.updated", views.agent_view(rt, agent_id))
    caller_update(state, d, rt)


def ringing(
    state: TenantState,
    d: Decision,
    rt: CallRuntime,
    agent_id: str,
    kind: str,
    now: float,
    from_agent: str | None = None,
) -> None:
    """``call.ringing`` to an agent (kind: inbound, transfer or consult), and the event."""
    waiting = state.acd.get(rt.id)
    queue_name = waiting.policy.name if waiting is not None else None
    rt.rings += 1
    rt.rung_at, rt.ring_kind = now, kind
    d.push_agent(
        state.agents.get(agent_id),
        "call.ringing",
        views.ringing_view(rt, kind, from_agent, queue_name),
    )
    d.emit(rt.call.tenant_id, "call.ringing", views.ringing_event(rt, agent_id, kind))
    d.notices.append(CallRinging(rt.id, agent_id, kind, rt.call.from_number, rt.call.to_number))


def ring_cancelled(
    state: TenantState,
    d: Decision,
    rt: CallRuntime,
    agent_id: str,
    reason: str,
    now: float,
    *,
    missed: str | None = None,
) -> None:
    """The ring stopped unanswered: ``call.ring_cancelled`` to the agent (``reason``) and
    ``call.ring_missed`` (``missed``, else ``reason``: timeout, declined, agent_offline,
    caller_hangup, cancelled)."""
    d.push_agent(
        state.agents.get(agent_id),
        "call.ring_cancelled",
        {"call_id": rt.id, "reason": reason},
    )
    data = views.ring_missed_event(rt, agent_id, rt.ring_kind, missed or reason, now)
    d.emit(rt.call.tenant_id, "call.ring_missed", data)


def hold(
    d: Decision, rt: CallRuntime, on: bool, agent_id: str | None, reason: str, now: float
) -> bool:
    """Hold or resume the caller, with ``call.held`` / ``call.resumed``; whether it changed.

    ``reason``: on hold for ``hold`` (the agent's button) or ``consult``; resumed by
    ``resume``, ``transfer``, ``conference`` or ``consult_ended``. Observers (live
    transcription) are told of the button's hold, and of every resume: a hold a transfer or
    a consultation closed ends for them too. A consultation's hold is not one for them: the
    agents talk meanwhile.
    """
    call = rt.call
    started = call.hold_started
    if not call.hold(on, now):
        return False
    if reason == "hold" or not on:
        d.notices.append(CallHeld(rt.id, on))
    if on:
        d.emit(call.tenant_id, "call.held", views.held_event(call, agent_id, reason, now))
    else:
        held_s = now - started if started is not None else 0.0
        data = views.resumed_event(call, agent_id, reason, held_s, now)
        d.emit(call.tenant_id, "call.resumed", data)
    return True
