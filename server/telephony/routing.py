"""Routing: ring the right agent for each waiting call, and what happens when nobody answers
(pure rules).

The choice of who rings and when a ring or a wait times out is :class:`Acd`'s policy; these
functions apply it to the tenant's state: ring pushes, re-queueing with ``queue.entered``,
overflow, and the one ``acd`` timer for the ACD's next deadline. :func:`route` runs after
every decision of the book.
"""

from __future__ import annotations

import logging

from . import ending, notify, views
from .acd import AgentCandidate, MaxWait, QueuePolicy, RingTimeout
from .call import CallState
from .effects import AcdDue, Decision
from .state import CallRuntime, TenantState

logger = logging.getLogger(__name__)

DEFAULT_OVERFLOW_CAUSE = "max_wait_exceeded"


def route(state: TenantState, d: Decision, now: float) -> None:
    """Ring the longest-idle free agent for each waiting call nobody is rung for."""
    if state.acd.has_unassigned():
        engaged = state.engaged()
        candidates = (  # drawn lazily, longest idle first, only as far as needed
            AgentCandidate(s.agent_id, s.queue_ids, s.presence.idle_since)
            for s in state.idle_order()
            if s.agent_id not in engaged
        )
        for waiting, agent_id in state.acd.assign_in_order(candidates):
            rt = state.calls[waiting.call_id]
            state.acd.ring_started(rt.id, agent_id, now)
            rt.call.ring(now)
            kind = "transfer" if waiting.only_agent else "inbound"
            notify.ringing(state, d, rt, agent_id, kind, now)
            notify.caller_update(state, d, rt)
    _arm_acd_timer(state, d)


def _arm_acd_timer(state: TenantState, d: Decision) -> None:
    deadline = state.acd.next_deadline()
    if deadline == state.acd_timer_at:
        return
    state.acd_timer_at = deadline
    if deadline is None:
        d.cancel("acd")
    else:
        d.arm("acd", deadline, AcdDue())


def acd_due(state: TenantState, d: Decision, now: float) -> None:
    """The ``acd`` timer fired: ring timeouts and max waits that have passed."""
    state.acd_timer_at = None  # it has fired: the next route() arms it again
    for due in state.acd.due(now):
        rt = state.calls.get(due.call_id)
        if rt is None:
            state.acd.remove(due.call_id)
        elif isinstance(due, MaxWait):
            _overflow(state, d, rt, due.policy, now)
        elif isinstance(due, RingTimeout) and rt.answering is None:
            ring_stopped(state, d, rt, "timeout", now)


def ring_stopped(state: TenantState, d: Decision, rt: CallRuntime, reason: str, now: float) -> None:
    """The ringing agent did not answer (timeout, declined, agent_offline): try the next one."""
    agent_id = state.acd.ring_ended(rt.id)
    if agent_id is None:
        return
    session = state.agents.get(agent_id)
    if session is not None:
        session.presence.missed_ring(now)
    pushed = "cancelled" if reason == "agent_offline" else reason
    notify.ring_cancelled(state, d, rt, agent_id, pushed, now, missed=reason)
    waiting = state.acd.get(rt.id)
    rt.call.unring()
    if waiting is not None and waiting.only_agent is not None:
        # A blind transfer to one agent went unanswered: back to the queue, if any.
        state.acd.remove(rt.id)
        if rt.call.queue_id is None:
            ending.end_call(state, d, rt, "no_answer", "system", now)
            return
        enqueue(state, d, rt, rt.call.queue_id, now)
        return
    notify.caller_update(state, d, rt)


def enqueue(state: TenantState, d: Decision, rt: CallRuntime, queue_id: str, now: float) -> bool:
    """Put a call (back) into a queue, with ``queue.entered``; False if the queue is gone."""
    policy = state.queues.get(queue_id)
    if policy is None:
        ending.end_call(state, d, rt, "no_route", "system", now)
        return False
    rt.call.enqueue(queue_id, now)
    rt.wrap_up_s, rt.ring_timeout_s = policy.wrap_up_s, policy.ring_timeout_s
    waiting = state.acd.enqueue(rt.id, policy, now)
    d.save_call(rt.call)
    d.emit(
        rt.call.tenant_id,
        "queue.entered",
        views.queue_entered_event(rt.id, policy, waiting, state.acd.position(rt.id) or 1),
    )
    notify.caller_update(state, d, rt)
    return True


def _overflow(
    state: TenantState, d: Decision, rt: CallRuntime, policy: QueuePolicy, now: float
) -> None:
    logger.info("call %s: max wait in queue %s", rt.id, policy.id)
    ringing = state.ringing_agent(rt.id)
    if ringing is not None:
        notify.ring_cancelled(state, d, rt, ringing, "cancelled", now)
        if rt.call.state is CallState.RINGING:
            rt.call.unring()
    state.acd.remove(rt.id)
    if policy.overflow_queue_id is not None:
        enqueue(state, d, rt, policy.overflow_queue_id, now)
    else:
        cause = policy.overflow_cause or DEFAULT_OVERFLOW_CAUSE
        ending.end_call(state, d, rt, cause, "system", now)
