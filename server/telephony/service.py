"""The call center: agents' presence, web phones, and calls from dial to CDR.

::

    signaling handlers ──> CallCenter ──> pure cores (AgentPresence, Call, Acd) and views
                               │  ├──> routing (ring, re-queue, overflow), ending (CDR)
                               │  ├──> CallMedia ──> MediaEngine (legs, bridge, hold, DTMF)
                               │  ├──> CallRecordings (start at answer, finalize after the call)
                               │  ├──> store + Outbox.emit_txn (state change and its events,
                               │  │    one transaction)
                               │  └──> Notifier (Socket.IO pushes to softphones, web phones)
                               └── Timers on the injected clock (ring, max wait, wrap-up, grace)

``CallCenter`` holds the state and serves the signaling handlers' agent and web phone
requests; ``control.py`` (in-call requests), ``transfers.py``, ``outbound.py``,
``routing.py`` and ``ending.py`` act on that state through it. All state changes happen
under one lock, so the ACD sees a consistent picture; only the slow media set-up
(answering an offer) runs outside it, and the state is checked again afterwards.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Coroutine
from typing import Any

from server.clock import Clock
from server.events.outbox import Outbox, rfc3339
from server.ids import new_id
from server.media import LegState, MediaEngine
from server.store import telephony as store
from server.store.db import Database, Tx

from . import ending, routing, views
from .acd import Acd
from .admin import tenant_settings
from .call import Call, CallState
from .call_media import CallMedia
from .errors import TelephonyError
from .presence import AgentPresence, State, StatusChange
from .recordings import CallRecordings, RecordingUrls
from .routing import route
from .runtime import AgentSession, CallerSession, CallRuntime, Notifier
from .timers import Timers

logger = logging.getLogger(__name__)

ANONYMOUS = "anonymous"


class CallCenter:
    """Coordinates presence, routing and calls for every tenant of this process."""

    def __init__(
        self,
        *,
        db: Database,
        outbox: Outbox,
        clock: Clock,
        media: MediaEngine,
        urls: RecordingUrls,
        agent_grace_s: float,
        outbound_ring_timeout_s: float,
    ) -> None:
        self.db = db
        self.outbox = outbox
        self.clock = clock
        self.media = media
        self.call_media = CallMedia(media)
        self.recordings = CallRecordings(db=db, outbox=outbox, clock=clock, media=media, urls=urls)
        self.agent_grace_s = agent_grace_s
        self.outbound_ring_timeout_s = outbound_ring_timeout_s
        self.notifier: Notifier | None = None
        self.lock = asyncio.Lock()
        self.agents: dict[str, AgentSession] = {}
        self.callers: dict[str, CallerSession] = {}
        self.registered: dict[str, str] = {}  # web phone number -> caller sid
        self.calls: dict[str, CallRuntime] = {}
        self.acd = Acd()
        self.timers = Timers(clock)
        self._tasks: set[asyncio.Task[None]] = set()
        self.closed = False

    # -- plumbing ------------------------------------------------------------------------

    async def push_agent(self, agent_id: str, event: str, data: dict[str, Any]) -> None:
        session = self.agents.get(agent_id)
        if self.notifier is not None and session is not None and session.sid is not None:
            await self.notifier.to_agent(session.sid, event, data)

    async def push_caller(self, sid: str | None, event: str, data: dict[str, Any]) -> None:
        if self.notifier is not None and sid is not None and sid in self.callers:
            await self.notifier.to_caller(sid, event, data)

    async def ring_cancelled(self, agent_id: str, call_id: str, reason: str) -> None:
        await self.push_agent(
            agent_id, "call.ring_cancelled", {"call_id": call_id, "reason": reason}
        )

    async def push_updates(self, rt: CallRuntime) -> None:
        for agent_id in sorted(rt.participants):
            await self.push_agent(agent_id, "call.updated", views.agent_view(rt, agent_id))
        await self.push_caller(rt.caller_sid, "call.updated", self.caller_view(rt))

    def caller_view(self, rt: CallRuntime) -> dict[str, Any]:
        queued = rt.call.state is CallState.QUEUED
        return views.caller_view(rt, self.acd.position(rt.id) if queued else None)

    def ringing_view(self, rt: CallRuntime, kind: str, from_agent: str | None) -> dict[str, Any]:
        waiting = self.acd.get(rt.id)
        return views.ringing_view(rt, kind, from_agent, waiting.policy.name if waiting else None)

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Shut down while the sockets and the media engine still work.

        Ends every call (``server_shutdown``: CDR and ``call.ended`` committed, parties told),
        then finalizes every recording of an ended call (``call.recorded`` committed), then
        stops the timers. New calls are refused from the start. The media engine is closed
        after this, by its owner.
        """
        self.closed = True
        async with self.lock:
            for rt in list(self.calls.values()):
                await ending.end_call(self, rt, "server_shutdown", "system")
        await self.recordings.drain()
        await self.timers.close()
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def presence_of(self, agent_id: str) -> dict[str, Any]:
        """Live status for the REST API (an agent never connected is logged out)."""
        session = self.agents.get(agent_id)
        if session is None:
            return {"status": State.LOGGED_OUT.value, "reason": None, "connected": False}
        return {
            "status": session.presence.state.value,
            "reason": session.presence.reason,
            "connected": session.sid is not None,
        }

    def call_for(self, tenant_id: str, call_id: str) -> CallRuntime:
        rt = self.calls.get(call_id)
        if rt is None or rt.call.tenant_id != tenant_id:
            raise TelephonyError("not_found", "no such call", "call_id")
        return rt

    # -- events --------------------------------------------------------------------------

    async def emit_status_txn(self, tx: Tx, tenant_id: str, change: StatusChange) -> None:
        await self.outbox.emit_txn(
            tx, tenant_id, "agent.status_changed", views.status_changed_event(change)
        )
        if change.paused and change.reason is not None:
            await self.outbox.emit_txn(
                tx, tenant_id, "agent.paused", views.paused_event(change, change.reason)
            )

    async def presence_changed(self, session: AgentSession, change: StatusChange | None) -> None:
        """After commit: tell the softphone, arm the wrap-up timer, route waiting calls."""
        if change is None:
            return
        ends = change.wrap_up_ends_at
        await self.push_agent(
            session.agent_id,
            "presence.changed",
            {
                "status": change.status.value,
                "previous_status": change.previous.value,
                "reason": change.reason,
                "wrap_up_ends_at": rfc3339(ends) if ends is not None else None,
            },
        )
        key = f"wrapup:{session.agent_id}"
        if ends is not None:
            self.timers.set(key, ends, lambda: self._wrap_up_due(session.agent_id))
        else:
            self.timers.cancel(key)

    async def _wrap_up_due(self, agent_id: str) -> None:
        async with self.lock:
            session = self.agents.get(agent_id)
            if session is None:
                return
            change = session.presence.wrap_up_due(self.clock.now())
            if change is None:
                return
            async with self.db.transaction() as tx:
                await self.emit_status_txn(tx, session.tenant_id, change)
            await self.presence_changed(session, change)
            await route(self)

    async def insert_call_txn(self, tx: Tx, call: Call) -> None:
        row = {"id": call.id, "tenant_id": call.tenant_id, **views.call_columns(call)}
        await store.insert_call_txn(tx, row)

    async def save_call_txn(self, tx: Tx, call: Call) -> None:
        await store.update_call_txn(tx, call.tenant_id, call.id, views.call_columns(call))

    # -- agents --------------------------------------------------------------------------

    async def agent_connected(self, tenant_id: str, agent_id: str, sid: str) -> dict[str, Any]:
        """A softphone authenticated; it takes over any previous one. Returns ``session.ready``."""
        async with self.db.read() as conn:
            row = await store.get_row(conn, "agents", tenant_id, agent_id)
            settings = await store.get_settings(conn, tenant_id)
        if row is None:
            raise TelephonyError("unknown_agent", "this agent no longer exists")
        async with self.lock:
            session = self.agents.get(agent_id)
            if session is None:
                session = AgentSession(
                    agent_id=agent_id,
                    tenant_id=tenant_id,
                    name="",
                    extension="",
                    queue_ids=frozenset(),
                    presence=AgentPresence(agent_id, now=self.clock.now()),
                )
                self.agents[agent_id] = session
            _refresh(session, row)
            previous, session.sid = session.sid, sid
            self.timers.cancel(f"grace:{agent_id}")
            if previous is not None and previous != sid and self.notifier is not None:
                logger.info("agent %s: softphone %s replaced by %s", agent_id, previous, sid)
                await self.notifier.to_agent(
                    previous,
                    "session.replaced",
                    {"message": "this agent signed in on another softphone"},
                )
                self.spawn(self.notifier.disconnect_agent(previous))
            ready = {
                "agent_id": agent_id,
                "tenant_id": tenant_id,
                "name": session.name,
                "extension": session.extension,
                "status": session.presence.state.value,
                "reason": session.presence.reason,
                "pause_reasons": tenant_settings(settings)["pause_reasons"],
                "calls": [
                    views.agent_view(self.calls[c], agent_id)
                    for c in sorted(session.calls)
                    if c in self.calls
                ],
            }
            await route(self)
            return ready

    async def agent_disconnected(self, agent_id: str, sid: str) -> None:
        """A softphone's socket closed: keep status and calls for the grace period."""
        async with self.lock:
            session = self.agents.get(agent_id)
            if session is None or session.sid != sid:
                return  # replaced: the new softphone owns the session
            session.sid = None
            for waiting_call in list(self.calls.values()):
                if waiting_call.ringing_agent == agent_id:
                    await routing.ring_stopped(self, waiting_call, "cancelled")
            if session.presence.state is State.LOGGED_OUT and not session.calls:
                return
            grace_ends = self.clock.now() + self.agent_grace_s
            logger.info("agent %s: socket lost, grace %.0f s", agent_id, self.agent_grace_s)
            self.timers.set(f"grace:{agent_id}", grace_ends, lambda: self._grace_over(agent_id))
            await route(self)

    async def _grace_over(self, agent_id: str) -> None:
        async with self.lock:
            session = self.agents.get(agent_id)
            if session is None or session.sid is not None:
                return
            logger.info("agent %s: x grace period over, logging out", agent_id)
            for call_id in sorted(session.calls):
                rt = self.calls.get(call_id)
                if rt is not None:
                    await ending.agent_leaves(self, rt, agent_id, "agent_disconnected")
            await self._set_presence(
                session, session.presence.log_out(self.clock.now(), force=True)
            )

    async def agent_changed(self, tenant_id: str, agent_id: str) -> None:
        """Admin edited or deleted the agent: refresh queues; a deleted agent is signed out."""
        async with self.db.read() as conn:
            row = await store.get_row(conn, "agents", tenant_id, agent_id)
        async with self.lock:
            session = self.agents.get(agent_id)
            if session is None:
                return
            if row is not None:
                _refresh(session, row)
                await route(self)
                return
        sid = session.sid
        if sid is not None and self.notifier is not None:
            await self.notifier.disconnect_agent(sid)

    async def set_presence(
        self, tenant_id: str, agent_id: str, status: str, reason: str | None
    ) -> dict[str, Any]:
        async with self.db.read() as conn:
            reasons = tenant_settings(await store.get_settings(conn, tenant_id))["pause_reasons"]
        async with self.lock:
            session = self.session_of(agent_id)
            now = self.clock.now()
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
            await self._set_presence(session, change)
            return {"status": session.presence.state.value, "reason": session.presence.reason}

    async def end_wrap_up(self, agent_id: str) -> dict[str, Any]:
        async with self.lock:
            session = self.session_of(agent_id)
            await self._set_presence(session, session.presence.end_wrap_up(self.clock.now()))
            return {"status": session.presence.state.value}

    async def _set_presence(self, session: AgentSession, change: StatusChange | None) -> None:
        if change is None:
            return
        async with self.db.transaction() as tx:
            await self.emit_status_txn(tx, session.tenant_id, change)
        await self.presence_changed(session, change)
        await route(self)

    def session_of(self, agent_id: str) -> AgentSession:
        session = self.agents.get(agent_id)
        if session is None:
            raise TelephonyError("invalid_state", "agent session not found")
        return session

    # -- web phones ----------------------------------------------------------------------

    async def caller_connected(self, sid: str, address: str) -> None:
        self.callers[sid] = CallerSession(sid=sid, address=address)

    async def caller_disconnected(self, sid: str) -> None:
        async with self.lock:
            session = self.callers.get(sid)
            if session is None:
                return
            if session.call_id is not None and session.call_id in self.calls:
                await ending.caller_leaves(self, self.calls[session.call_id], "caller_disconnected")
            if session.number is not None and self.registered.get(session.number) == sid:
                del self.registered[session.number]
            self.callers.pop(sid, None)

    async def register_number(self, sid: str, number: str) -> dict[str, Any]:
        async with self.db.read() as conn:
            sivo_number = await store.number_by_e164(conn, number)
        async with self.lock:
            session = self.callers[sid]
            owner = self.registered.get(number)
            if sivo_number is not None or (owner is not None and owner != sid):
                raise TelephonyError("number_taken", "this number is taken", "number")
            if session.number is not None and session.number != number:
                self.registered.pop(session.number, None)
            session.number = number
            self.registered[number] = sid
            logger.info("web phone %s registered %s", sid, number)
            return {"number": number}

    async def unregister_number(self, sid: str) -> dict[str, Any]:
        async with self.lock:
            session = self.callers[sid]
            if session.number is not None and self.registered.get(session.number) == sid:
                del self.registered[session.number]
            session.number = None
            return {}

    # -- inbound calls -------------------------------------------------------------------

    async def dial_inbound(self, sid: str, to: str, sdp: str) -> dict[str, Any]:
        """A web phone calls a published SIVO number: answer its media, queue the call."""
        async with self.db.read() as conn:
            number = await store.number_by_e164(conn, to)
            queue = settings = None
            if number is not None:
                tenant_id = number["tenant_id"]
                queue = await store.get_row(conn, "queues", tenant_id, number["queue_id"])
                settings = await store.get_settings(conn, tenant_id)
        if number is None or not number["published"] or queue is None:
            raise TelephonyError("unreachable_number", "this number cannot be called", "to")
        self.refuse_if_closed()
        caller = self.callers.get(sid)
        if caller is None or caller.call_id is not None:
            raise TelephonyError("invalid_state", "this web phone already has a call")
        now = self.clock.now()
        call = Call.inbound(
            id=new_id("call", now),
            tenant_id=number["tenant_id"],
            from_number=caller.number or ANONYMOUS,
            to_number=to,
            queue_id=queue["id"],
            now=now,
        )
        policy = routing.queue_policy(queue)
        rt = CallRuntime(
            call=call,
            wrap_up_s=policy.wrap_up_s,
            record=tenant_settings(settings)["record_calls"],
            ring_timeout_s=policy.ring_timeout_s,
            caller_sid=sid,
        )
        caller.call_id = call.id  # claimed before the slow part: one call per web phone
        try:
            answer = await self.call_media.open(rt, "caller", sdp)
        except BaseException:
            caller.call_id = None
            raise
        async with self.lock:
            if sid not in self.callers:  # hung up while the offer was being answered
                await self.call_media.close(rt, "caller")
                raise TelephonyError("invalid_state", "the web phone disconnected")
            call.created_at = call.queued_at = call.waiting_since = self.clock.now()
            self.calls[call.id] = rt
            waiting = self.acd.enqueue(call.id, policy, call.created_at)
            async with self.db.transaction() as tx:
                await self.insert_call_txn(tx, call)
                await self.outbox.emit_txn(
                    tx, call.tenant_id, "call.created", views.created_event(call)
                )
                await self.outbox.emit_txn(
                    tx,
                    call.tenant_id,
                    "queue.entered",
                    views.queue_entered_event(
                        call.id, policy, waiting, self.acd.position(call.id) or 1
                    ),
                )
            logger.info(
                "call %s: inbound %s -> %s, queue %s", call.id, call.from_number, to, policy.id
            )
            await self.push_caller(sid, "call.updated", self.caller_view(rt))
            await route(self)
            return {"call_id": call.id, "sdp": answer}

    def refuse_if_closed(self) -> None:
        """No new call once shutdown has begun: it would outlive the media engine."""
        if self.closed:
            raise TelephonyError("invalid_state", "the server is shutting down")

    # -- media ---------------------------------------------------------------------------

    async def add_candidate(
        self, rt: CallRuntime, party: str, candidate: str | None, mid: str | None, index: int | None
    ) -> None:
        await self.call_media.add_candidate(rt, party, candidate, mid, index)

    async def new_offer(self, rt: CallRuntime, party: str, sdp: str) -> dict[str, Any]:
        """A party re-offers (reconnect, network change): same leg, or a new one if it died."""
        if party in rt.legs:
            return {"sdp": await self.call_media.renegotiate(rt, party, sdp)}
        answer = await self.call_media.open(rt, party, sdp)
        async with self.lock:
            self.timers.cancel(f"media:{rt.leg_id(party)}")
            if rt.call.ended:
                await self.call_media.close(rt, party)
                raise TelephonyError("invalid_state", "the call has ended")
            await self.call_media.wire(rt)
        return {"sdp": answer}

    def on_leg_state(self, leg_id: str, state: LegState) -> None:
        """MediaEngine callback: a leg we did not close failed or closed."""
        if state not in (LegState.FAILED, LegState.CLOSED) or self.closed:
            return
        owner = self.call_media.release(leg_id)
        if owner is None:
            return
        self.spawn(self._leg_lost(owner[0], owner[1], state))

    async def _leg_lost(self, call_id: str, party: str, state: LegState) -> None:
        async with self.lock:
            rt = self.calls.get(call_id)
            if rt is None or rt.legs.get(party) is None:
                return
            rt.legs.pop(party, None)
            logger.info("call %s: x %s media %s", call_id, party, state.value)
            if party == "caller":
                cause = "media_failed" if state is LegState.FAILED else "normal_clearing"
                await ending.caller_leaves(self, rt, cause)
                return
            # An agent's media may come back with a new offer (page reload, network change).
            self.timers.set(
                f"media:{rt.leg_id(party)}",
                self.clock.now() + self.agent_grace_s,
                lambda: self._media_grace_over(call_id, party),
            )

    async def _media_grace_over(self, call_id: str, party: str) -> None:
        async with self.lock:
            rt = self.calls.get(call_id)
            if rt is not None and party not in rt.legs and party in rt.participants:
                await ending.agent_leaves(self, rt, party, "media_failed")


def _refresh(session: AgentSession, row: Any) -> None:
    """Name, extension and queues as the ``agents`` row has them now."""
    session.name, session.extension = row["name"], row["extension"]
    session.queue_ids = frozenset(json.loads(row["queue_ids"]))
