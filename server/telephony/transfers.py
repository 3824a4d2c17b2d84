"""How a consultation or a conference resolves (see docs/media.md for the media side).

* attended: the caller is held while A and B talk (consult); complete = B keeps the caller;
  cancel = back to A; A hanging up during a connected consult completes it.
* conference: caller, A and B mixed; an agent leaving returns the other two to a bridge.

Starting a transfer, a consultation or a conference is a request (``control.py``); these
functions are where they end up, also when a party hangs up or a ring times out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import ending, routing, views
from .call import Transfer
from .runtime import CallRuntime

if TYPE_CHECKING:
    from .service import CallCenter


async def drop_consult_party(
    center: CallCenter, rt: CallRuntime, agent_id: str, cause: str
) -> None:
    """The consulted agent left (cancel), or the consulting agent hung up (complete)."""
    consult = rt.consult
    if consult is None:
        return
    if agent_id == consult.by_agent_id and consult.state == "connected":
        await complete(center, rt, "attended")
    else:
        await cancel(center, rt, cause)


async def leave_conference(center: CallCenter, rt: CallRuntime, agent_id: str, cause: str) -> None:
    """One agent leaves a conference; with one agent left, it is a plain call again."""
    released = ending.release_agent(center, rt, agent_id)
    if rt.call.agent_id == agent_id:
        rt.call.agent_id = sorted(rt.participants)[0]
    if len(rt.participants) < 2:
        rt.conference = False
    async with center.db.transaction() as tx:
        await center.save_call_txn(tx, rt.call)
        if released[1] is not None:
            await center.emit_status_txn(tx, rt.call.tenant_id, released[1])
    await ending.finish_release(center, rt, agent_id, released, cause)
    await _reshaped(center, rt)


async def complete(center: CallCenter, rt: CallRuntime, kind: str) -> None:
    """The consulted agent keeps the caller; the consulting agent leaves (``call.transferred``)."""
    consult = rt.consult
    if consult is None:
        return
    now = center.clock.now()
    from_agent, to_agent = consult.by_agent_id, consult.agent_id
    rt.call.transferred(Transfer(kind, from_agent, "agent", to_agent, now))
    rt.call.hold(False, now)
    rt.consult = None
    rt.call.agent_id = to_agent
    released = ending.release_agent(center, rt, from_agent)
    async with center.db.transaction() as tx:
        await center.save_call_txn(tx, rt.call)
        await center.outbox.emit_txn(
            tx, rt.call.tenant_id, "call.transferred", views.transferred_event(rt.call)
        )
        if released[1] is not None:
            await center.emit_status_txn(tx, rt.call.tenant_id, released[1])
    await ending.finish_release(center, rt, from_agent, released, "transferred")
    await _reshaped(center, rt)


async def cancel(center: CallCenter, rt: CallRuntime, cause: str) -> None:
    """The consultation ends without a transfer: back to the consulting agent and the caller."""
    consult = rt.consult
    if consult is None:
        return
    center.timers.cancel(f"ring:{rt.id}")
    rt.consult = None
    rt.call.hold(False, center.clock.now())
    if consult.state == "ringing":
        await center.ring_cancelled(consult.agent_id, rt.id, "cancelled")
    else:
        released = ending.release_agent(center, rt, consult.agent_id)
        if released[1] is not None:
            async with center.db.transaction() as tx:
                await center.emit_status_txn(tx, rt.call.tenant_id, released[1])
        await ending.finish_release(center, rt, consult.agent_id, released, cause)
    await _reshaped(center, rt)


async def _reshaped(center: CallCenter, rt: CallRuntime) -> None:
    """After commit: rewire the legs, show everyone the call's new shape, route freed agents."""
    await center.call_media.wire(rt)
    await center.push_updates(rt)
    await routing.route(center)
