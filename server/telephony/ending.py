"""How a call ends, and how one agent leaves a call that goes on.

A call ends when its caller leaves, when its last agent leaves, or when the system ends it
(no answer, no route, overflow, shutdown). Ending commits the CDR (``call.ended``) with the
agents' status changes in one transaction, then tells the parties, closes the legs, hands
the recording over to be finalized, and routes waiting calls to the agents it freed.
All under the call center's lock.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from . import routing, transfers, views
from .presence import StatusChange
from .runtime import AgentSession, CallRuntime

if TYPE_CHECKING:
    from .service import CallCenter

logger = logging.getLogger(__name__)

Released = tuple[AgentSession | None, StatusChange | None]


async def caller_leaves(center: CallCenter, rt: CallRuntime, cause: str) -> None:
    """The caller (inbound) or callee (outbound web phone) hung up or vanished."""
    if rt.call.direction == "outbound" and not rt.answered_by_callee:
        await end_call(center, rt, "declined" if cause == "declined" else cause, "caller")
        return
    await end_call(center, rt, cause, "caller")


async def agent_leaves(center: CallCenter, rt: CallRuntime, agent_id: str, cause: str) -> None:
    """An agent hangs up (or is gone): the call ends, unless another agent stays on it."""
    if rt.consult is not None and agent_id in (rt.consult.agent_id, rt.consult.by_agent_id):
        if agent_id == rt.consult.agent_id or rt.consult.state == "connected":
            await transfers.drop_consult_party(center, rt, agent_id, cause)
            return
    if rt.conference and len(rt.participants) > 1:
        await transfers.leave_conference(center, rt, agent_id, cause)
        return
    await end_call(center, rt, cause, "agent")


async def end_call(center: CallCenter, rt: CallRuntime, cause: str, side: str) -> None:
    """End the call for everyone: CDR, events, pushes, media, recording (under the lock)."""
    call = rt.call
    if call.ended:
        return
    now = center.clock.now()
    abandoned = call.direction == "inbound" and call.answered_at is None and side == "caller"
    waited = now - (call.queued_at or call.created_at)
    if rt.ringing_agent is not None:
        reason = "caller_hangup" if side == "caller" else "cancelled"
        await center.ring_cancelled(rt.ringing_agent, rt.id, reason)
    if rt.consult is not None and rt.consult.state == "ringing":
        await center.ring_cancelled(rt.consult.agent_id, rt.id, "cancelled")
    center.acd.remove(rt.id)
    call.end(cause if not abandoned else "abandoned", side, now)
    changes = [_off_call(center, rt, agent_id, now) for agent_id in sorted(rt.participants)]
    async with center.db.transaction() as tx:
        await center.save_call_txn(tx, call)
        if abandoned and call.queue_id is not None:
            await center.outbox.emit_txn(
                tx,
                call.tenant_id,
                "queue.abandoned",
                views.abandoned_event(call.id, call.queue_id, waited, now),
            )
        await center.outbox.emit_txn(tx, call.tenant_id, "call.ended", call.cdr())
        for session, change in changes:
            if session is not None and change is not None:
                await center.emit_status_txn(tx, session.tenant_id, change)
    logger.info("call %s: ended (%s, %s)", call.id, call.hangup_cause, side)
    ended = views.ended_push(call, side)
    for agent_id in sorted(rt.participants):
        await center.push_agent(agent_id, "call.ended", ended)
    await center.push_caller(rt.caller_sid, "call.ended", ended)
    caller = center.callers.get(rt.caller_sid or "")
    if caller is not None and caller.call_id == rt.id:
        caller.call_id = None
    del center.calls[rt.id]
    center.timers.cancel(f"ring:{rt.id}")
    for party in list(rt.legs):
        center.timers.cancel(f"media:{rt.leg_id(party)}")
        await center.call_media.close(rt, party)
    if call.recording_id is not None:
        center.recordings.finish_later(call.tenant_id, call.id, call.recording_id)
    for session, change in changes:
        if session is not None:
            await center.presence_changed(session, change)
    await routing.route(center)


def _off_call(center: CallCenter, rt: CallRuntime, agent_id: str, now: float) -> Released:
    """The agent's session no longer has this call; its presence change if it was the last."""
    session = center.agents.get(agent_id)
    if session is None:
        return None, None
    session.calls.discard(rt.id)
    if session.calls:
        return session, None
    return session, session.presence.end_call(now, rt.wrap_up_s)


def release_agent(center: CallCenter, rt: CallRuntime, agent_id: str) -> Released:
    """Take an agent off a call that goes on (state only); returns its presence change."""
    rt.participants.discard(agent_id)
    rt.muted.discard(agent_id)
    return _off_call(center, rt, agent_id, center.clock.now())


async def finish_release(
    center: CallCenter, rt: CallRuntime, agent_id: str, released: Released, cause: str
) -> None:
    """After commit: close the agent's leg, tell it, arm its wrap-up."""
    await center.call_media.close(rt, agent_id)
    await center.push_agent(
        agent_id, "call.ended", {"call_id": rt.id, "cause": cause, "side": "agent"}
    )
    session, change = released
    if session is not None:
        await center.presence_changed(session, change)
