"""Routing: ring the right agent for each waiting call, and what happens when nobody answers.

The pure choice (who rings, when a ring or a wait times out) is :class:`Acd`'s; these
functions apply it to the call center's state, under its lock: ring pushes, re-queueing
with ``queue.entered``, overflow, and the one ``acd`` timer for the next ACD deadline.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from server.store import telephony as store

from . import ending, views
from .acd import AgentCandidate, MaxWait, QueuePolicy, RingTimeout
from .admin import DEFAULT_OVERFLOW_CAUSE
from .call import CallState
from .presence import State
from .runtime import CallRuntime

if TYPE_CHECKING:
    from .service import CallCenter

logger = logging.getLogger(__name__)


def queue_policy(row: Any) -> QueuePolicy:
    """The ACD's view of a ``queues`` row."""
    return QueuePolicy(
        id=row["id"],
        name=row["name"],
        ring_timeout_s=row["ring_timeout_s"],
        max_wait_s=row["max_wait_s"],
        overflow_queue_id=row["overflow_queue_id"],
        overflow_cause=row["overflow_cause"],
        wrap_up_s=row["wrap_up_s"],
    )


async def route(center: CallCenter) -> None:
    """Ring the longest-idle free agent for each waiting call (under the lock)."""
    busy = {
        a
        for rt in center.calls.values()
        for a in (rt.ringing_agent, rt.answering, rt.consult.agent_id if rt.consult else None)
        if a
    }
    candidates = [
        AgentCandidate(s.agent_id, s.queue_ids, s.presence.idle_since)
        for s in center.agents.values()
        if s.presence.state is State.AVAILABLE
        and s.sid is not None
        and not s.calls
        and s.agent_id not in busy
    ]
    now = center.clock.now()
    for waiting, agent_id in center.acd.assignments(candidates):
        rt = center.calls[waiting.call_id]
        center.acd.ring_started(rt.id, agent_id, now)
        rt.call.ring(now)
        rt.ringing_agent = agent_id
        kind = "transfer" if waiting.only_agent else "inbound"
        await center.push_agent(agent_id, "call.ringing", center.ringing_view(rt, kind, None))
        await center.push_caller(rt.caller_sid, "call.updated", center.caller_view(rt))
    _arm_acd_timer(center)


def _arm_acd_timer(center: CallCenter) -> None:
    deadline = center.acd.next_deadline()
    if deadline is None:
        center.timers.cancel("acd")
    else:
        center.timers.set("acd", deadline, lambda: _acd_due(center))


async def _acd_due(center: CallCenter) -> None:
    async with center.lock:
        for due in center.acd.due(center.clock.now()):
            rt = center.calls.get(due.call_id)
            if rt is None:
                center.acd.remove(due.call_id)
            elif isinstance(due, MaxWait):
                await _overflow(center, rt, due.policy)
            elif isinstance(due, RingTimeout) and rt.answering is None:
                await ring_stopped(center, rt, "timeout")
        await route(center)


async def ring_stopped(center: CallCenter, rt: CallRuntime, reason: str) -> None:
    """The ringing agent did not answer (timeout, decline, gone): try the next one."""
    agent_id = center.acd.ring_ended(rt.id)
    if agent_id is None:
        return
    rt.ringing_agent = None
    session = center.agents.get(agent_id)
    if session is not None:
        session.presence.missed_ring(center.clock.now())
    await center.ring_cancelled(agent_id, rt.id, reason)
    waiting = center.acd.get(rt.id)
    rt.call.unring()
    if waiting is not None and waiting.only_agent is not None:
        # A blind transfer to one agent went unanswered: back to the queue, if any.
        center.acd.remove(rt.id)
        if rt.call.queue_id is None:
            await ending.end_call(center, rt, "no_answer", "system")
            return
        await enqueue(center, rt, rt.call.queue_id)
        return
    await center.push_caller(rt.caller_sid, "call.updated", center.caller_view(rt))


async def enqueue(center: CallCenter, rt: CallRuntime, queue_id: str) -> bool:
    """Put a call (back) into a queue, with ``queue.entered``; False if it is gone."""
    async with center.db.read() as conn:
        queue = await store.get_row(conn, "queues", rt.call.tenant_id, queue_id)
    if queue is None:
        await ending.end_call(center, rt, "no_route", "system")
        return False
    policy = queue_policy(queue)
    now = center.clock.now()
    rt.call.enqueue(queue_id, now)
    rt.wrap_up_s, rt.ring_timeout_s = policy.wrap_up_s, policy.ring_timeout_s
    waiting = center.acd.enqueue(rt.id, policy, now)
    async with center.db.transaction() as tx:
        await center.save_call_txn(tx, rt.call)
        await center.outbox.emit_txn(
            tx,
            rt.call.tenant_id,
            "queue.entered",
            views.queue_entered_event(rt.id, policy, waiting, center.acd.position(rt.id) or 1),
        )
    await center.push_caller(rt.caller_sid, "call.updated", center.caller_view(rt))
    return True


async def _overflow(center: CallCenter, rt: CallRuntime, policy: QueuePolicy) -> None:
    logger.info("call %s: max wait in queue %s", rt.id, policy.id)
    if rt.ringing_agent is not None:
        await center.ring_cancelled(rt.ringing_agent, rt.id, "cancelled")
        rt.ringing_agent = None
        if rt.call.state is CallState.RINGING:
            rt.call.unring()
    center.acd.remove(rt.id)
    if policy.overflow_queue_id is not None:
        await enqueue(center, rt, policy.overflow_queue_id)
    else:
        await ending.end_call(center, rt, policy.overflow_cause or DEFAULT_OVERFLOW_CAUSE, "system")
