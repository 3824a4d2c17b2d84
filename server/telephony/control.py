"""What parties do to a call: answer, decline, hang up, hold, mute, DTMF, transfer, consult,
conference, and an agent's outbound dial. Thin over :class:`CallCenter`; each method checks
the request against the call's state, changes state and emits events in one transaction,
then rewires the media.

Transfers, in media terms (see docs/media.md):

* blind: agent A leaves; the caller hears the hold tone while agent B or the queue rings.
* attended: the caller is held while A and B talk (consult); complete = B keeps the caller;
  cancel = back to A; A hanging up during a connected consult completes it.
* conference: caller, A and B mixed; an agent leaving returns the other two to a bridge.
"""

from __future__ import annotations

import logging
from typing import Any

from server.events.outbox import rfc3339
from server.ids import new_id
from server.store import telephony as store

from .acd import QueuePolicy
from .call import Call, CallState, Transfer
from .errors import TelephonyError
from .presence import State, StatusChange
from .runtime import AgentSession, CallRuntime, Consult
from .service import CallCenter, created_event

logger = logging.getLogger(__name__)


def _invalid(message: str) -> TelephonyError:
    return TelephonyError("invalid_state", message)


async def _release_agent(
    center: CallCenter, rt: CallRuntime, agent_id: str
) -> tuple[AgentSession | None, StatusChange | None]:
    """Take an agent off the call (state only); returns its presence change, if any."""
    rt.participants.discard(agent_id)
    rt.muted.discard(agent_id)
    session = center.agents.get(agent_id)
    if session is None:
        return None, None
    session.calls.discard(rt.id)
    if session.calls:
        return session, None
    return session, session.presence.end_call(center.clock.now(), rt.wrap_up_s)


async def _finish_release(
    center: CallCenter,
    rt: CallRuntime,
    agent_id: str,
    released: tuple[AgentSession | None, StatusChange | None],
    cause: str,
) -> None:
    """After commit: close the agent's leg, tell it, arm its wrap-up."""
    await center.close_leg(rt, agent_id)
    await center.push_agent(
        agent_id, "call.ended", {"call_id": rt.id, "cause": cause, "side": "agent"}
    )
    session, change = released
    if session is not None:
        await center.presence_changed(session, change)


async def drop_consult_party(
    center: CallCenter, rt: CallRuntime, agent_id: str, cause: str
) -> None:
    """The consulted agent left (cancel), or the consulting agent hung up (complete)."""
    consult = rt.consult
    if consult is None:
        return
    if agent_id == consult.by_agent_id and consult.state == "connected":
        await _complete(center, rt, "attended")
    else:
        await _cancel(center, rt, cause)


async def leave_conference(center: CallCenter, rt: CallRuntime, agent_id: str, cause: str) -> None:
    released = await _release_agent(center, rt, agent_id)
    if rt.call.agent_id == agent_id:
        rt.call.agent_id = sorted(rt.participants)[0]
    if len(rt.participants) < 2:
        rt.conference = False
    async with center.db.transaction() as tx:
        await center.save_call_txn(tx, rt.call)
        if released[1] is not None:
            await center.emit_status_txn(tx, rt.call.tenant_id, released[1])
    await _finish_release(center, rt, agent_id, released, cause)
    await center.apply_media(rt)
    await center.push_updates(rt)
    await center.route()


async def _complete(center: CallCenter, rt: CallRuntime, kind: str) -> None:
    consult = rt.consult
    if consult is None:
        return
    now = center.clock.now()
    from_agent, to_agent = consult.by_agent_id, consult.agent_id
    rt.call.transferred(Transfer(kind, from_agent, "agent", to_agent, now))
    rt.call.hold(False, now)
    rt.consult = None
    rt.call.agent_id = to_agent
    released = await _release_agent(center, rt, from_agent)
    async with center.db.transaction() as tx:
        await center.save_call_txn(tx, rt.call)
        await center.outbox.emit_txn(tx, rt.call.tenant_id, "call.transferred", _transferred(rt))
        if released[1] is not None:
            await center.emit_status_txn(tx, rt.call.tenant_id, released[1])
    await _finish_release(center, rt, from_agent, released, "transferred")
    await center.apply_media(rt)
    await center.push_updates(rt)
    await center.route()


async def _cancel(center: CallCenter, rt: CallRuntime, cause: str) -> None:
    consult = rt.consult
    if consult is None:
        return
    center.timers.cancel(f"ring:{rt.id}")
    rt.consult = None
    rt.call.hold(False, center.clock.now())
    if consult.state == "ringing":
        await center.push_agent(
            consult.agent_id, "call.ring_cancelled", {"call_id": rt.id, "reason": "cancelled"}
        )
    else:
        released = await _release_agent(center, rt, consult.agent_id)
        if released[1] is not None:
            async with center.db.transaction() as tx:
                await center.emit_status_txn(tx, rt.call.tenant_id, released[1])
        await _finish_release(center, rt, consult.agent_id, released, cause)
    await center.apply_media(rt)
    await center.push_updates(rt)
    await center.route()


def _transferred(rt: CallRuntime) -> dict[str, Any]:
    return {"call_id": rt.id, "transfer": rt.call.transfers[-1].as_event()}


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
                raise _invalid("this call is not ringing you")
            rt.answering = agent_id
            waiting = c.acd.get(call_id)
            deadline = waiting.ring_deadline if waiting else None
            if waiting is not None:
                waiting.ring_deadline = None  # no ring timeout while the media is set up
            c.timers.cancel(f"ring:{call_id}")
        try:
            answer = await c.open_leg(rt, agent_id, sdp)
        except TelephonyError:
            async with c.lock:
                rt.answering = None
                if waiting is not None and waiting.ringing == agent_id:
                    waiting.ring_deadline = deadline
                await c.route()
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
                await c.close_leg(rt, agent_id)
                raise _invalid("the call stopped ringing")
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
                    await c.start_recording(rt, tx)
                    await c.save_call_txn(tx, rt.call)
                    await c.outbox.emit_txn(
                        tx, rt.call.tenant_id, "call.answered", _answered(rt.call, wait, now)
                    )
                if change is not None:
                    await c.emit_status_txn(tx, rt.call.tenant_id, change)
            logger.info(
                "call %s: answered by %s%s", call_id, agent_id, " (consult)" if consult else ""
            )
            await c.apply_media(rt)
            await c.presence_changed(session, change)
            await c.push_updates(rt)
            await c.route()
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
                await _cancel(c, rt, "declined")
            elif rt.ringing_agent == agent_id and rt.answering is None:
                await c.ring_stopped(rt, "declined")
                await c.route()
            else:
                raise _invalid("this call is not ringing you")
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
                await c.agent_leaves(rt, agent_id, "normal_clearing")
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
            raise _invalid("only the agent who has the call can do this")
        return rt

    def _talking(self, tenant_id: str, agent_id: str, call_id: str) -> CallRuntime:
        rt = self._primary(tenant_id, agent_id, call_id)
        if rt.consult is not None or rt.conference:
            raise _invalid("not during a consultation or conference")
        return rt

    async def hold(self, tenant_id: str, agent_id: str, call_id: str, on: bool) -> dict[str, Any]:
        c = self.center
        async with c.lock:
            rt = self._talking(tenant_id, agent_id, call_id)
            if rt.call.hold(on, c.clock.now()):
                await c.apply_media(rt)
                await c.push_updates(rt)
        return {}

    async def mute(self, tenant_id: str, agent_id: str, call_id: str, on: bool) -> dict[str, Any]:
        c = self.center
        async with c.lock:
            rt = self._party(tenant_id, agent_id, call_id)
            (rt.muted.add if on else rt.muted.discard)(agent_id)
            await c.apply_media(rt)
            await c.push_agent(agent_id, "call.updated", c.agent_view(rt, agent_id))
        return {}

    async def agent_dtmf(
        self, tenant_id: str, agent_id: str, call_id: str, digits: str
    ) -> dict[str, Any]:
        c = self.center
        async with c.lock:
            rt = self._party(tenant_id, agent_id, call_id)
            if "caller" not in rt.legs:
                raise _invalid("the other party has no audio yet")
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
            released = await _release_agent(c, rt, agent_id)
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
                await c.outbox.emit_txn(tx, tenant_id, "call.transferred", _transferred(rt))
                if released[1] is not None:
                    await c.emit_status_txn(tx, tenant_id, released[1])
            logger.info("call %s: blind transfer %s -> %s %s", call_id, agent_id, to_type, to_id)
            await _finish_release(c, rt, agent_id, released, "transferred")
            await c.apply_media(rt)
            if to_type == "queue":
                await c.enqueue(rt, to_id)
            await c.route()
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
            await c.apply_media(rt)
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
                await _cancel(c, rt, "no_answer")

    def _consulting(self, tenant_id: str, agent_id: str, call_id: str) -> CallRuntime:
        rt = self._primary(tenant_id, agent_id, call_id)
        if rt.consult is None or rt.consult.by_agent_id != agent_id:
            raise _invalid("no consultation in progress")
        return rt

    async def consult_complete(self, tenant_id: str, agent_id: str, call_id: str) -> dict[str, Any]:
        async with self.center.lock:
            rt = self._consulting(tenant_id, agent_id, call_id)
            if rt.consult is None or rt.consult.state != "connected":
                raise _invalid("the consulted agent has not answered yet")
            await _complete(self.center, rt, "attended")
        return {}

    async def consult_cancel(self, tenant_id: str, agent_id: str, call_id: str) -> dict[str, Any]:
        async with self.center.lock:
            rt = self._consulting(tenant_id, agent_id, call_id)
            await _cancel(self.center, rt, "normal_clearing")
        return {}

    async def conference(self, tenant_id: str, agent_id: str, call_id: str) -> dict[str, Any]:
        c = self.center
        async with c.lock:
            rt = self._consulting(tenant_id, agent_id, call_id)
            consult = rt.consult
            if consult is None or consult.state != "connected":
                raise _invalid("the consulted agent has not answered yet")
            now = c.clock.now()
            rt.call.hold(False, now)
            rt.call.transferred(Transfer("3way", agent_id, "agent", consult.agent_id, now))
            rt.consult = None
            rt.conference = True
            async with c.db.transaction() as tx:
                await c.save_call_txn(tx, rt.call)
                await c.outbox.emit_txn(tx, tenant_id, "call.transferred", _transferred(rt))
            await c.apply_media(rt)
            await c.push_updates(rt)
        return {}

    # -- outbound --------------------------------------------------------------------------

    async def dial(self, tenant_id: str, agent_id: str, to: str, sdp: str) -> dict[str, Any]:
        """An agent calls a number: a registered web phone rings; anything else: no route."""
        c = self.center
        async with c.db.read() as conn:
            settings = await store.get_settings(conn, tenant_id)
        async with c.lock:
            session = c._session(agent_id)
            if session.calls or session.presence.state is State.LOGGED_OUT:
                raise _invalid("sign in and finish your current call first")
            if any(agent_id in (rt.ringing_agent, rt.answering) for rt in c.calls.values()):
                raise _invalid("answer or decline the ringing call first")
            now = c.clock.now()
            call = Call.outbound(
                id=new_id("call", now),
                tenant_id=tenant_id,
                from_number=session.extension,
                to_number=to,
                agent_id=agent_id,
                now=now,
            )
            callee = c.callers.get(c.registered.get(to, ""))
            if callee is None or callee.call_id is not None:
                cause = "no_route" if callee is None else "busy"
                call.end(cause, "system", now)
                async with c.db.transaction() as tx:
                    await c.insert_call_txn(tx, call)
                    await c.outbox.emit_txn(tx, tenant_id, "call.created", created_event(call))
                    await c.outbox.emit_txn(tx, tenant_id, "call.ended", call.cdr())
                if callee is None:
                    raise TelephonyError(
                        "no_route", f"no route to {to} (only web phones can be called)", "to"
                    )
                raise TelephonyError("busy", f"{to} is on another call", "to")
            wrap_up = float(settings["outbound_wrap_up_s"]) if settings else 0.0
            record = bool(settings["record_calls"]) if settings else True
            rt = CallRuntime(
                call=call,
                wrap_up_s=wrap_up,
                record=record,
                ring_timeout_s=c.outbound_ring_timeout_s,
                caller_sid=callee.sid,
            )
            callee.call_id = call.id
            session.calls.add(call.id)  # reserved while the agent's offer is answered
        try:
            answer = await c.open_leg(rt, agent_id, sdp)
        except TelephonyError:
            async with c.lock:
                session.calls.discard(call.id)
                if callee.call_id == call.id:
                    callee.call_id = None
            raise
        async with c.lock:
            if callee.sid not in c.callers or callee.call_id != call.id:
                session.calls.discard(call.id)
                await c.close_leg(rt, agent_id)
                raise TelephonyError("no_route", f"{to} went away", "to")
            call.created_at = call.waiting_since = c.clock.now()
            change = session.presence.start_call(call.created_at)
            rt.participants.add(agent_id)
            c.calls[call.id] = rt
            async with c.db.transaction() as tx:
                await c.insert_call_txn(tx, call)
                await c.outbox.emit_txn(tx, tenant_id, "call.created", created_event(call))
                if change is not None:
                    await c.emit_status_txn(tx, tenant_id, change)
            logger.info("call %s: outbound %s -> %s", call.id, agent_id, to)
            await c.presence_changed(session, change)
            c.timers.set(
                f"ring:{call.id}",
                call.created_at + rt.ring_timeout_s,
                lambda: self._outbound_timeout(call.id),
            )
            await c.push_caller(
                callee.sid,
                "call.incoming",
                {
                    "call_id": call.id,
                    "from": call.from_number,
                    "to": to,
                    "ring_timeout_s": rt.ring_timeout_s,
                },
            )
        return {"call_id": call.id, "sdp": answer}

    async def _outbound_timeout(self, call_id: str) -> None:
        c = self.center
        async with c.lock:
            rt = c.calls.get(call_id)
            if rt is not None and not rt.answered_by_callee and rt.answering is None:
                await c.end_call(rt, "no_answer", "system")

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
                raise _invalid("this call is not ringing you")
            rt.answering = "caller"
            c.timers.cancel(f"ring:{call_id}")
        try:
            answer = await c.open_leg(rt, "caller", sdp)
        except TelephonyError:
            rt.answering = None
            raise
        async with c.lock:
            rt.answering = None
            if rt.call.ended:
                await c.close_leg(rt, "caller")
                raise _invalid("the call has ended")
            now = c.clock.now()
            rt.answered_by_callee = True
            wait = rt.call.answer(rt.call.agent_id or "", now)
            async with c.db.transaction() as tx:
                await c.start_recording(rt, tx)
                await c.save_call_txn(tx, rt.call)
                await c.outbox.emit_txn(
                    tx, rt.call.tenant_id, "call.answered", _answered(rt.call, wait, now)
                )
            await c.apply_media(rt)
            await c.push_updates(rt)
        return {"sdp": answer}

    async def callee_decline(self, sid: str, call_id: str) -> dict[str, Any]:
        c = self.center
        async with c.lock:
            rt = self._callers_call(sid, call_id)
            if rt.call.direction != "outbound" or rt.answered_by_callee:
                raise _invalid("this call is not ringing you")
            await c.end_call(rt, "declined", "caller")
        return {}

    async def caller_hangup(self, sid: str, call_id: str) -> dict[str, Any]:
        c = self.center
        async with c.lock:
            rt = self._callers_call(sid, call_id)
            await c.caller_leaves(rt, "normal_clearing")
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


def _answered(call: Call, wait: float, now: float) -> dict[str, Any]:
    return {
        "call_id": call.id,
        "agent_id": call.agent_id,
        "queue_id": call.queue_id,
        "answered_at": rfc3339(now),
        "wait_seconds": round(wait, 3),
    }
