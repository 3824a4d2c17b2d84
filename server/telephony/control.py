"""What parties do to a call: answer, decline, hang up, hold, mute, DTMF, transfer, consult,
conference; and the web phone's side of an outbound call. Thin over :class:`CallCenter`;
each method checks the request against the call's state, changes state and emits events in
one transaction, then rewires the media. An agent's dial is in ``outbound.py``.

Transfers, in media terms (see docs/media.md):

* blind: agent A leaves; the caller hears the hold tone while agent B or the queue rings.
* attended and conference: started here, resolved in ``transfers.py``.
"""

from __future__ import annotations

import logging
from typing import Any

from server.store import telephony as store

from . import ending, outbound, routing, transfers, views
from .acd import QueuePolicy
from .call import CallState, Transfer
from .errors import TelephonyError, invalid_state
from .presence import State
from .routing import route
from .runtime import AgentSession, CallRuntime, Consult
from .service import CallCenter

logger = logging.getLogger(__name__)


class CallControl:
    """The operations the signaling handlers call; ``TelephonyError`` for refusals."""

    def __init__(self, center: CallCenter) -> None:
        self.center = center

    # -- answering -------------------------------------------------------------------------

    async def answer(self, tenant_id: str, agent_id: str, call_id: str, sdp: str) -> dict[str, Any]:
        c = self.center
        async with c.lock:
            rt = c.call_for(tenant_id, call_id)
            consult = rt.consult is not None and rt.consult.agent_id == agent_id
            ringing = (
                rt.consult.state == "ringing"
                if consult and rt.consult
                else rt.ringing_agent == agent_id
            )
            if not ringing or rt.answering is not None:
                raise invalid_state("this call is not ringing you")
            rt.answering = agent_id
            waiting = c.acd.get(call_id)
            deadline = waiting.ring_deadline if waiting else None
            if waiting is not None:
                waiting.ring_deadline = None  # no ring timeout while the media is set up
            c.timers.cancel(f"ring:{call_id}")
        try:
            answer = await c.call_media.open(rt, agent_id, sdp)
        except TelephonyError:
            async with c.lock:
                rt.answering = None
                if waiting is not None and waiting.ringing == agent_id:
                    waiting.ring_deadline = deadline
                await route(c)
            raise
        async with c.lock:
            rt.answering = None
            still = (
                rt.consult is not None and rt.consult.agent_id == agent_id
                if consult
                else rt.ringing_agent == agent_id
            )
            session = c.agents.get(agent_id)
            if rt.call.ended or not still or session is None or session.calls:
                await c.call_media.close(rt, agent_id)
                raise invalid_state("the call stopped ringing")
            now = c.clock.now()
            change = session.presence.start_call(now)
            session.calls.add(call_id)
            rt.participants.add(agent_id)
            async with c.db.transaction() as tx:
                if consult and rt.consult is not None:
                    rt.consult.state = "connected"
                else:
                    c.acd.remove(call_id)
                    rt.ringing_agent = None
                    rt.wait_on_hold = False
                    wait = rt.call.answer(agent_id, now)
                    await c.recordings.start_txn(tx, rt)
                    await c.save_call_txn(tx, rt.call)
                    await c.outbox.emit_txn(
                        tx,
                        rt.call.tenant_id,
                        "call.answered",
                        views.answered_event(rt.call, wait, now),
                    )
                if change is not None:
                    await c.emit_status_txn(tx, rt.call.tenant_id, change)
            logger.info(
                "call %s: answered by %s%s", call_id, agent_id, " (consult)" if consult else ""
            )
            await c.call_media.wire(rt)
            await c.presence_changed(session, change)
            await c.push_updates(rt)
            await route(c)
        return {"sdp": answer}

    async def decline(self, tenant_id: str, agent_id: str, call_id: str) -> dict[str, Any]:
        c = self.center
        async with c.lock:
            rt = c.call_for(tenant_id, call_id)
            if (
                rt.consult is not None
                and rt.consult.agent_id == agent_id
                and rt.consult.state == "ringing"
            ):
                await transfers.cancel(c, rt, "declined")
            elif rt.ringing_agent == agent_id and rt.answering is None:
                await routing.ring_stopped(c, rt, "declined")
                await route(c)
            else:
                raise invalid_state("this call is not ringing you")
        return {}

    async def hangup(self, tenant_id: str, agent_id: str, call_id: str) -> dict[str, Any]:
        c = self.center
        async with c.lock:
            rt = c.call_for(tenant_id, call_id)
            if agent_id not in rt.participants:
                ringing = rt.ringing_agent == agent_id or (
                    rt.consult and rt.consult.agent_id == agent_id
                )
                if not ringing:
                    raise TelephonyError("not_found", "you are not on this call", "call_id")
            if agent_id in rt.participants:
                await ending.agent_leaves(c, rt, agent_id, "normal_clearing")
                return {}
        return await self.decline(tenant_id, agent_id, call_id)

    # -- in-call controls ------------------------------------------------------------------

    def _party(self, tenant_id: str, agent_id: str, call_id: str) -> CallRuntime:
        rt = self.center.call_for(tenant_id, call_id)
        if agent_id not in rt.participants:
            raise TelephonyError("not_found", "you are not on this call", "call_id")
        return rt

    def _primary(self, tenant_id: str, agent_id: str, call_id: str) -> CallRuntime:
        rt = self._party(tenant_id, agent_id, call_id)
        if rt.call.agent_id != agent_id or rt.call.state is not CallState.CONNECTED:
            raise invalid_state("only the agent who has the call can do this")
        return rt

    def _talking(self, tenant_id: str, agent_id: str, call_id: str) -> CallRuntime:
        rt = self._primary(tenant_id, agent_id, call_id)
        if rt.consult is not None or rt.conference:
            raise invalid_state("not during a consultation or conference")
        return rt

    async def hold(self, tenant_id: str, agent_id: str, call_id: str, on: bool) -> dict[str, Any]:
        c = self.center
        async with c.lock:
            rt = self._talking(tenant_id, agent_id, call_id)
            if rt.call.hold(on, c.clock.now()):
                await c.call_media.wire(rt)
                await c.push_updates(rt)
        return {}

    async def mute(self, tenant_id: str, agent_id: str, call_id: str, on: bool) -> dict[str, Any]:
        c = self.center
        async with c.lock:
            rt = self._party(tenant_id, agent_id, call_id)
            (rt.muted.add if on else rt.muted.discard)(agent_id)
            await c.call_media.wire(rt)
            await c.push_agent(agent_id, "call.updated", views.agent_view(rt, agent_id))
        return {}

    async def agent_dtmf(
        self, tenant_id: str, agent_id: str, call_id: str, digits: str
    ) -> dict[str, Any]:
        c = self.center
        async with c.lock:
            rt = self._party(tenant_id, agent_id, call_id)
            if "caller" not in rt.legs:
                raise invalid_state("the other party has no audio yet")
            c.media.send_dtmf(rt.legs["caller"], digits)
        return {}

    async def caller_dtmf(self, sid: str, call_id: str, digits: str) -> dict[str, Any]:
        c = self.center
        async with c.lock:
            rt = self._callers_call(sid, call_id)
            for agent_id in sorted(rt.participants):
                if agent_id in rt.legs:
                    c.media.send_dtmf(rt.legs[agent_id], digits)
                    await c.push_agent(
                        agent_id, "call.dtmf", {"call_id": call_id, "digits": digits}
                    )
        return {}

    # -- transfers -------------------------------------------------------------------------

    async def _free_agent(self, tenant_id: str, agent_id: str, field: str) -> AgentSession:
        c = self.center
        session = c.agents.get(agent_id)
        if session is None or session.tenant_id != tenant_id:
            async with c.db.read() as conn:
                if await store.get_row(conn, "agents", tenant_id, agent_id) is None:
                    raise TelephonyError("not_found", "no such agent", field)
            raise TelephonyError("agent_unavailable", "that agent is not signed in", field)
        busy = any(
            agent_id in (rt.ringing_agent, rt.answering)
            or (rt.consult and rt.consult.agent_id == agent_id)
            for rt in c.calls.values()
        )
        if (
            session.sid is None
            or session.presence.state is not State.AVAILABLE
            or session.calls
            or busy
        ):
            raise TelephonyError("agent_unavailable", "that agent is not available", field)
        return session

    async def transfer(
        self, tenant_id: str, agent_id: str, call_id: str, to_type: str, to_id: str
    ) -> dict[str, Any]:
        """Blind transfer: this agent leaves at once; the target agent or queue rings."""
        c = self.center
        async with c.lock:
            rt = self._talking(tenant_id, agent_id, call_id)
            if to_type == "agent":
                if to_id == agent_id:
                    raise TelephonyError("invalid_message", "cannot transfer to yourself", "to_id")
                await self._free_agent(tenant_id, to_id, "to_id")
            else:
                async with c.db.read() as conn:
                    if await store.get_row(conn, "queues", tenant_id, to_id) is None:
                        raise TelephonyError("not_found", "no such queue", "to_id")
            now = c.clock.now()
            rt.call.hold(False, now)
            rt.call.transferred(Transfer("blind", agent_id, to_type, to_id, now))
            released = ending.release_agent(c, rt, agent_id)
            rt.wait_on_hold = True
            if to_type == "agent":  # route() rings B: CONNECTED -> RINGING
                policy = QueuePolicy(
                    rt.call.queue_id or "direct",
                    "",
                    rt.ring_timeout_s,
                    None,
                    None,
                    None,
                    rt.wrap_up_s,
                )
                c.acd.ring_only(call_id, to_id, policy, now)
            async with c.db.transaction() as tx:
                await c.save_call_txn(tx, rt.call)
                await c.outbox.emit_txn(
                    tx, tenant_id, "call.transferred", views.transferred_event(rt.call)
                )
                if released[1] is not None:
                    await c.emit_status_txn(tx, tenant_id, released[1])
            logger.info("call %s: blind transfer %s -> %s %s", call_id, agent_id, to_type, to_id)
            await ending.finish_release(c, rt, agent_id, released, "transferred")
            await c.call_media.wire(rt)
            if to_type == "queue":
                await routing.enqueue(c, rt, to_id)
            await route(c)
        return {}

    async def consult(
        self, tenant_id: str, agent_id: str, call_id: str, to_agent: str
    ) -> dict[str, Any]:
        c = self.center
        async with c.lock:
            rt = self._talking(tenant_id, agent_id, call_id)
            if to_agent == agent_id:
                raise TelephonyError("invalid_message", "cannot consult yourself", "agent_id")
            await self._free_agent(tenant_id, to_agent, "agent_id")
            now = c.clock.now()
            rt.call.hold(True, now)
            rt.consult = Consult(agent_id=to_agent, by_agent_id=agent_id)
            c.timers.set(
                f"ring:{call_id}",
                now + rt.ring_timeout_s,
                lambda: self._consult_timeout(call_id, to_agent),
            )
            await c.call_media.wire(rt)
            await c.push_agent(to_agent, "call.ringing", c.ringing_view(rt, "consult", agent_id))
            await c.push_updates(rt)
        return {}

    async def _consult_timeout(self, call_id: str, to_agent: str) -> None:
        c = self.center
        async with c.lock:
            rt = c.calls.get(call_id)
            if (
                rt
                and rt.consult
                and rt.consult.agent_id == to_agent
                and rt.consult.state == "ringing"
                and rt.answering is None
            ):
                await transfers.cancel(c, rt, "no_answer")

    def _consulting(self, tenant_id: str, agent_id: str, call_id: str) -> CallRuntime:
        rt = self._primary(tenant_id, agent_id, call_id)
        if rt.consult is None or rt.consult.by_agent_id != agent_id:
            raise invalid_state("no consultation in progress")
        return rt

    async def consult_complete(self, tenant_id: str, agent_id: str, call_id: str) -> dict[str, Any]:
        async with self.center.lock:
            rt = self._consulting(tenant_id, agent_id, call_id)
            if rt.consult is None or rt.consult.state != "connected":
                raise invalid_state("the consulted agent has not answered yet")
            await transfers.complete(self.center, rt, "attended")
        return {}

    async def consult_cancel(self, tenant_id: str, agent_id: str, call_id: str) -> dict[str, Any]:
        async with self.center.lock:
            rt = self._consulting(tenant_id, agent_id, call_id)
            await transfers.cancel(self.center, rt, "normal_clearing")
        return {}

    async def conference(self, tenant_id: str, agent_id: str, call_id: str) -> dict[str, Any]:
        c = self.center
        async with c.lock:
            rt = self._consulting(tenant_id, agent_id, call_id)
            consult = rt.consult
            if consult is None or consult.state != "connected":
                raise invalid_state("the consulted agent has not answered yet")
            now = c.clock.now()
            rt.call.hold(False, now)
            rt.call.transferred(Transfer("3way", agent_id, "agent", consult.agent_id, now))
            rt.consult = None
            rt.conference = True
            async with c.db.transaction() as tx:
                await c.save_call_txn(tx, rt.call)
                await c.outbox.emit_txn(
                    tx, tenant_id, "call.transferred", views.transferred_event(rt.call)
                )
            await c.call_media.wire(rt)
            await c.push_updates(rt)
        return {}

    # -- outbound --------------------------------------------------------------------------

    async def dial(self, tenant_id: str, agent_id: str, to: str, sdp: str) -> dict[str, Any]:
        return await outbound.dial(self.center, tenant_id, agent_id, to, sdp)

    # -- web phone side --------------------------------------------------------------------

    def _callers_call(self, sid: str, call_id: str) -> CallRuntime:
        rt = self.center.calls.get(call_id)
        if rt is None or rt.caller_sid != sid:
            raise TelephonyError("not_found", "no such call", "call_id")
        return rt

    async def callee_answer(self, sid: str, call_id: str, sdp: str) -> dict[str, Any]:
        c = self.center
        async with c.lock:
            rt = self._callers_call(sid, call_id)
            if rt.call.direction != "outbound" or rt.answered_by_callee or rt.answering:
                raise invalid_state("this call is not ringing you")
            rt.answering = "caller"
            c.timers.cancel(f"ring:{call_id}")
        try:
            answer = await c.call_media.open(rt, "caller", sdp)
        except TelephonyError:
            rt.answering = None
            raise
        async with c.lock:
            rt.answering = None
            if rt.call.ended:
                await c.call_media.close(rt, "caller")
                raise invalid_state("the call has ended")
            now = c.clock.now()
            rt.answered_by_callee = True
            wait = rt.call.answer(rt.call.agent_id or "", now)
            async with c.db.transaction() as tx:
                await c.recordings.start_txn(tx, rt)
                await c.save_call_txn(tx, rt.call)
                await c.outbox.emit_txn(
                    tx, rt.call.tenant_id, "call.answered", views.answered_event(rt.call, wait, now)
                )
            await c.call_media.wire(rt)
            await c.push_updates(rt)
        return {"sdp": answer}

    async def callee_decline(self, sid: str, call_id: str) -> dict[str, Any]:
        c = self.center
        async with c.lock:
            rt = self._callers_call(sid, call_id)
            if rt.call.direction != "outbound" or rt.answered_by_callee:
                raise invalid_state("this call is not ringing you")
            await ending.end_call(c, rt, "declined", "caller")
        return {}

    async def caller_hangup(self, sid: str, call_id: str) -> dict[str, Any]:
        c = self.center
        async with c.lock:
            rt = self._callers_call(sid, call_id)
            await ending.caller_leaves(c, rt, "normal_clearing")
        return {}

    async def media_offer(self, rt: CallRuntime, party: str, sdp: str) -> dict[str, Any]:
        return await self.center.new_offer(rt, party, sdp)

    def agent_call(self, tenant_id: str, agent_id: str, call_id: str) -> CallRuntime:
        """A call this agent is on, or answering (for media messages)."""
        rt = self.center.call_for(tenant_id, call_id)
        if agent_id not in rt.participants and rt.answering != agent_id:
            raise TelephonyError("not_found", "you are not on this call", "call_id")
        return rt

    def caller_call(self, sid: str, call_id: str) -> CallRuntime:
        return self._callers_call(sid, call_id)
