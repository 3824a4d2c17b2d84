"""What the parties of a call are told, as pushes added to a decision (pure)."""

from __future__ import annotations

from . import views
from .call import CallState
from .effects import CallRinging, Decision
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
    from_agent: str | None = None,
) -> None:
    """``call.ringing`` to an agent (kind: inbound, transfer or consult)."""
    waiting = state.acd.get(rt.id)
    queue_name = waiting.policy.name if waiting is not None else None
    d.push_agent(
        state.agents.get(agent_id),
        "call.ringing",
        views.ringing_view(rt, kind, from_agent, queue_name),
    )
    d.notices.append(CallRinging(rt.id, agent_id, kind, rt.call.from_number, rt.call.to_number))


def ring_cancelled(
    state: TenantState, d: Decision, agent_id: str, call_id: str, reason: str
) -> None:
    d.push_agent(
        state.agents.get(agent_id),
        "call.ring_cancelled",
        {"call_id": call_id, "reason": reason},
    )
