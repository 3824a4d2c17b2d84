"""The call center: agents' presence, the ACD, and calls from dial to CDR.

::

    signaling handlers ──> CallCenter ──> pure cores (AgentPresence, Call, Acd)
                               │  ├──> MediaEngine (legs, bridge, hold, DTMF, recording)
                               │  ├──> store + Outbox.emit_txn (state change and its events,
                               │  │    one transaction)
                               │  └──> Notifier (Socket.IO pushes to softphones, web phones)
                               └── Timers on the injected clock (ring, max wait, wrap-up, grace)

All state changes happen under one lock, so the ACD sees a consistent picture; only the
slow media set-up (``open_leg``: answering an offer) runs outside it, and the state is
checked again afterwards. In-call controls and transfers live in ``control.py``.
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
from server.media import InvalidSdpError, LegState, MediaEngine, MediaError
from server.store import telephony as store
from server.store.db import Database, Tx

from .acd import Acd, AgentCandidate, MaxWait, QueuePolicy, RingTimeout
from .admin import DEFAULT_OVERFLOW_CAUSE, DEFAULT_PAUSE_REASONS
from .call import Call, CallState
from .errors import TelephonyError
from .presence import AgentPresence, State, StatusChange
from .recordings import RecordingUrls
from .runtime import AgentSession, CallerSession, CallRuntime, Notifier
from .timers import Timers

logger = logging.getLogger(__name__)

ANONYMOUS = "anonymous"
DEFAULT_RING_TIMEOUT_S = 20.0


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
        self.urls = urls
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
        self._legs: dict[str, tuple[str, str]] = {}  # leg id -> (call id, party)
        self._candidates: dict[str, list[tuple[str | None, str | None, int | None]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    # -- plumbing ------------------------------------------------------------------------

    async def push_agent(self, agent_id: str, event: str, data: dict[str, Any]) -> None:
        session = self.agents.get(agent_id)
        if self.notifier is not None and session is not None and session.sid is not None:
            await self.notifier.to_agent(session.sid, event, data)

    async def push_caller(self, sid: str | None, event: str, data: dict[str, Any]) -> None:
        if self.notifier is not None and sid is not None and sid in self.callers:
            await self.notifier.to_caller(sid, event, data)

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """End every call (``server_shutdown``) and stop timers; the engine closes the media."""
        self._closed = True
        async with self.lock:
            for rt in list(self.calls.values()):
                await self.end_call(rt, "server_shutdown", "system")
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
            tx,
            tenant_id,
            "agent.status_changed",
            {
                "agent_id": change.agent_id,
                "previous_status": change.previous.value,
                "status": change.status.value,
                "reason": change.reason,
                "changed_at": rfc3339(change.at),
            },
        )
        if change.paused and change.reason is not None:
            await self.outbox.emit_txn(
                tx,
                tenant_id,
                "agent.paused",
                {
                    "agent_id": change.agent_id,
                    "reason": change.reason,
                    "paused_at": rfc3339(change.at),
                },
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
            await self.route()

    async def insert_call_txn(self, tx: Tx, call: Call) -> None:
        row = {"id": call.id, "tenant_id": call.tenant_id, **_call_columns(call)}
        await store.insert_call_txn(tx, row)

    async def save_call_txn(self, tx: Tx, call: Call) -> None:
        await store.update_call_txn(tx, call.tenant_id, call.id, _call_columns(call))

    # -- agents --------------------------------------------------------------------------

    async def agent_connected(self, tenant_id: str, agent_id: str, sid: str) -> dict[str, Any]:
        """A softphone authenticated; it takes over any previous one. Returns ``session.ready``."""
        async with self.db.read() as conn:
            row = await store.get_row(conn, "agents", tenant_id, agent_id)
            settings = await store.get_settings(conn, tenant_id)
        if row is None:
            raise TelephonyError("unknown_agent", "this agent no longer exists")
        reasons = json.loads(settings["pause_reasons"]) if settings else list(DEFAULT_PAUSE_REASONS)
        async with self.lock:
            session = self.agents.get(agent_id)
            if session is None:
                session = AgentSession(
                    agent_id=agent_id,
                    tenant_id=tenant_id,
                    name=row["name"],
                    extension=row["extension"],
                    queue_ids=frozenset(json.loads(row["queue_ids"])),
                    presence=AgentPresence(agent_id, now=self.clock.now()),
                )
                self.agents[agent_id] = session
            else:
                session.name, session.extension = row["name"], row["extension"]
                session.queue_ids = frozenset(json.loads(row["queue_ids"]))
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
                "pause_reasons": reasons,
                "calls": [
                    self.agent_view(self.calls[c], agent_id)
                    for c in sorted(session.calls)
                    if c in self.calls
                ],
            }
            await self.route()
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
                    await self.ring_stopped(waiting_call, "cancelled")
            if session.presence.state is State.LOGGED_OUT and not session.calls:
                return
            grace_ends = self.clock.now() + self.agent_grace_s
            logger.info("agent %s: socket lost, grace %.0f s", agent_id, self.agent_grace_s)
            self.timers.set(f"grace:{agent_id}", grace_ends, lambda: self._grace_over(agent_id))
            await self.route()

    async def _grace_over(self, agent_id: str) -> None:
        async with self.lock:
            session = self.agents.get(agent_id)
            if session is None or session.sid is not None:
                return
            logger.info("agent %s: x grace period over, logging out", agent_id)
            for call_id in sorted(session.calls):
                rt = self.calls.get(call_id)
                if rt is not None:
                    await self.agent_leaves(rt, agent_id, "agent_disconnected")
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
                session.queue_ids = frozenset(json.loads(row["queue_ids"]))
                session.name, session.extension = row["name"], row["extension"]
                await self.route()
                return
        sid = session.sid
        if sid is not None and self.notifier is not None:
            await self.notifier.disconnect_agent(sid)

    async def set_presence(
        self, tenant_id: str, agent_id: str, status: str, reason: str | None
    ) -> dict[str, Any]:
        async with self.db.read() as conn:
            settings = await store.get_settings(conn, tenant_id)
        reasons = json.loads(settings["pause_reasons"]) if settings else list(DEFAULT_PAUSE_REASONS)
        async with self.lock:
            session = self._session(agent_id)
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
            session = self._session(agent_id)
            await self._set_presence(session, session.presence.end_wrap_up(self.clock.now()))
            return {"status": session.presence.state.value}

    async def _set_presence(self, session: AgentSession, change: StatusChange | None) -> None:
        if change is None:
            return
        async with self.db.transaction() as tx:
            await self.emit_status_txn(tx, session.tenant_id, change)
        await self.presence_changed(session, change)
        await self.route()

    def _session(self, agent_id: str) -> AgentSession:
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
                await self.caller_leaves(self.calls[session.call_id], "caller_disconnected")
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
        policy = queue_policy(queue)
        rt = CallRuntime(
            call=call,
            wrap_up_s=policy.wrap_up_s,
            record=bool(settings["record_calls"]) if settings else True,
            ring_timeout_s=policy.ring_timeout_s,
            caller_sid=sid,
        )
        caller.call_id = call.id  # claimed before the slow part: one call per web phone
        try:
            answer = await self.open_leg(rt, "caller", sdp)
        except BaseException:
            caller.call_id = None
            raise
        async with self.lock:
            if sid not in self.callers:  # hung up while the offer was being answered
                await self.close_leg(rt, "caller")
                raise TelephonyError("invalid_state", "the web phone disconnected")
            call.created_at = call.queued_at = call.waiting_since = self.clock.now()
            self.calls[call.id] = rt
            waiting = self.acd.enqueue(call.id, policy, call.created_at)
            async with self.db.transaction() as tx:
                await self.insert_call_txn(tx, call)
                await self.outbox.emit_txn(tx, call.tenant_id, "call.created", created_event(call))
                await self.outbox.emit_txn(
                    tx,
                    call.tenant_id,
                    "queue.entered",
                    {
                        "call_id": call.id,
                        "queue_id": policy.id,
                        "queue_name": policy.name,
                        "position": self.acd.position(call.id) or 1,
                        "entered_at": rfc3339(waiting.entered_at),
                    },
                )
            logger.info(
                "call %s: inbound %s -> %s, queue %s", call.id, call.from_number, to, policy.id
            )
            await self.push_caller(sid, "call.updated", self.caller_view(rt))
            await self.route()
            return {"call_id": call.id, "sdp": answer}

    async def route(self) -> None:
        """Ring the longest-idle free agent for each waiting call (under the lock)."""
        busy = {
            a
            for rt in self.calls.values()
            for a in (rt.ringing_agent, rt.answering, rt.consult.agent_id if rt.consult else None)
            if a
        }
        candidates = [
            AgentCandidate(s.agent_id, s.queue_ids, s.presence.idle_since)
            for s in self.agents.values()
            if s.presence.state is State.AVAILABLE
            and s.sid is not None
            and not s.calls
            and s.agent_id not in busy
        ]
        now = self.clock.now()
        for waiting, agent_id in self.acd.assignments(candidates):
            rt = self.calls[waiting.call_id]
            self.acd.ring_started(rt.id, agent_id, now)
            rt.call.ring(now)
            rt.ringing_agent = agent_id
            kind = "transfer" if waiting.only_agent else "inbound"
            await self.push_agent(agent_id, "call.ringing", self.ringing_view(rt, kind, None))
            await self.push_caller(rt.caller_sid, "call.updated", self.caller_view(rt))
        self._arm_acd_timer()

    def _arm_acd_timer(self) -> None:
        deadline = self.acd.next_deadline()
        if deadline is None:
            self.timers.cancel("acd")
        else:
            self.timers.set("acd", deadline, self._acd_due)

    async def _acd_due(self) -> None:
        async with self.lock:
            for due in self.acd.due(self.clock.now()):
                rt = self.calls.get(due.call_id)
                if rt is None:
                    self.acd.remove(due.call_id)
                elif isinstance(due, MaxWait):
                    await self._overflow(rt, due.policy)
                elif isinstance(due, RingTimeout) and rt.answering is None:
                    await self.ring_stopped(rt, "timeout")
            await self.route()

    async def ring_stopped(self, rt: CallRuntime, reason: str) -> None:
        """The ringing agent did not answer (timeout, decline, gone): try the next one."""
        agent_id = self.acd.ring_ended(rt.id)
        if agent_id is None:
            return
        rt.ringing_agent = None
        session = self.agents.get(agent_id)
        if session is not None:
            session.presence.missed_ring(self.clock.now())
        await self.push_agent(agent_id, "call.ring_cancelled", {"call_id": rt.id, "reason": reason})
        waiting = self.acd.get(rt.id)
        rt.call.unring()
        if waiting is not None and waiting.only_agent is not None:
            # A blind transfer to one agent went unanswered: back to the queue, if any.
            self.acd.remove(rt.id)
            if rt.call.queue_id is None:
                await self.end_call(rt, "no_answer", "system")
                return
            await self.enqueue(rt, rt.call.queue_id)
            return
        await self.push_caller(rt.caller_sid, "call.updated", self.caller_view(rt))

    async def enqueue(self, rt: CallRuntime, queue_id: str) -> bool:
        """Put a call (back) into a queue, with ``queue.entered``; False if it is gone."""
        async with self.db.read() as conn:
            queue = await store.get_row(conn, "queues", rt.call.tenant_id, queue_id)
        if queue is None:
            await self.end_call(rt, "no_route", "system")
            return False
        policy = queue_policy(queue)
        now = self.clock.now()
        rt.call.enqueue(queue_id, now)
        rt.wrap_up_s, rt.ring_timeout_s = policy.wrap_up_s, policy.ring_timeout_s
        waiting = self.acd.enqueue(rt.id, policy, now)
        async with self.db.transaction() as tx:
            await self.save_call_txn(tx, rt.call)
            await self.outbox.emit_txn(
                tx,
                rt.call.tenant_id,
                "queue.entered",
                {
                    "call_id": rt.id,
                    "queue_id": policy.id,
                    "queue_name": policy.name,
                    "position": self.acd.position(rt.id) or 1,
                    "entered_at": rfc3339(waiting.entered_at),
                },
            )
        await self.push_caller(rt.caller_sid, "call.updated", self.caller_view(rt))
        return True

    async def _overflow(self, rt: CallRuntime, policy: QueuePolicy) -> None:
        logger.info("call %s: max wait in queue %s", rt.id, policy.id)
        if rt.ringing_agent is not None:
            await self.push_agent(
                rt.ringing_agent, "call.ring_cancelled", {"call_id": rt.id, "reason": "cancelled"}
            )
            rt.ringing_agent = None
            if rt.call.state is CallState.RINGING:
                rt.call.unring()
        self.acd.remove(rt.id)
        if policy.overflow_queue_id is not None:
            await self.enqueue(rt, policy.overflow_queue_id)
        else:
            await self.end_call(rt, policy.overflow_cause or DEFAULT_OVERFLOW_CAUSE, "system")

    # -- media ---------------------------------------------------------------------------

    async def open_leg(self, rt: CallRuntime, party: str, sdp: str) -> str:
        """Answer a party's offer on a new leg; trickled candidates that came early follow."""
        leg_id = rt.leg_id(party)
        self._legs[leg_id] = (rt.id, party)
        self._candidates.setdefault(leg_id, [])
        try:
            answer = await self.media.open_leg(leg_id, sdp)
        except InvalidSdpError as exc:
            self._legs.pop(leg_id, None)
            self._candidates.pop(leg_id, None)
            raise TelephonyError("invalid_sdp", str(exc), "sdp") from exc
        except MediaError as exc:
            self._legs.pop(leg_id, None)
            self._candidates.pop(leg_id, None)
            raise TelephonyError("invalid_state", str(exc)) from exc
        rt.legs[party] = leg_id
        for candidate, mid, index in self._candidates.pop(leg_id, []):
            await self._add_candidate(leg_id, candidate, mid, index)
        return answer

    async def close_leg(self, rt: CallRuntime, party: str) -> None:
        leg_id = rt.legs.pop(party, None) or rt.leg_id(party)
        self._legs.pop(leg_id, None)
        self._candidates.pop(leg_id, None)
        await self.media.close_leg(leg_id)

    async def add_candidate(
        self, rt: CallRuntime, party: str, candidate: str | None, mid: str | None, index: int | None
    ) -> None:
        leg_id = rt.leg_id(party)
        if leg_id in self._candidates:  # the offer is still being answered
            self._candidates[leg_id].append((candidate, mid, index))
        elif party in rt.legs:
            await self._add_candidate(leg_id, candidate, mid, index)
        else:
            raise TelephonyError("invalid_state", "send the offer before its candidates")

    async def _add_candidate(
        self, leg_id: str, candidate: str | None, mid: str | None, index: int | None
    ) -> None:
        try:
            await self.media.add_remote_candidate(leg_id, candidate, mid, index)
        except InvalidSdpError as exc:
            raise TelephonyError("invalid_sdp", str(exc), "candidate") from exc

    async def new_offer(self, rt: CallRuntime, party: str, sdp: str) -> dict[str, Any]:
        """A party re-offers (reconnect, network change): same leg, or a new one if it died."""
        if party in rt.legs:
            try:
                return {"sdp": await self.media.renegotiate(rt.legs[party], sdp)}
            except InvalidSdpError as exc:
                raise TelephonyError("invalid_sdp", str(exc), "sdp") from exc
        answer = await self.open_leg(rt, party, sdp)
        async with self.lock:
            self.timers.cancel(f"media:{rt.leg_id(party)}")
            if rt.call.ended:
                await self.close_leg(rt, party)
                raise TelephonyError("invalid_state", "the call has ended")
            await self.apply_media(rt)
        return {"sdp": answer}

    def on_leg_state(self, leg_id: str, state: LegState) -> None:
        """MediaEngine callback: a leg we did not close failed or closed."""
        if state not in (LegState.FAILED, LegState.CLOSED) or self._closed:
            return
        owner = self._legs.pop(leg_id, None)
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
                await self.caller_leaves(rt, cause)
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
                await self.agent_leaves(rt, party, "media_failed")

    async def apply_media(self, rt: CallRuntime) -> None:
        """Wire the legs for the call's current shape (talk, consult, conference, waiting)."""
        caller = rt.legs.get("caller")
        primary = rt.legs.get(rt.call.agent_id or "")
        consult = rt.legs.get(rt.consult.agent_id) if rt.consult else None
        try:
            if rt.conference and caller:
                agents = [rt.legs.get(a) for a in sorted(rt.participants)]
                legs = [leg for leg in (caller, *agents) if leg]
                if len(legs) >= 2:
                    await self.media.conference(legs)
            elif rt.consult is not None and primary and consult:
                await self.media.bridge(primary, consult)
            elif caller and primary and rt.call.state is CallState.CONNECTED:
                await self.media.bridge(caller, primary)
            if caller:
                self.media.hold(caller, rt.call.held or rt.wait_on_hold)
            for agent_id, leg in rt.legs.items():
                if agent_id != "caller":
                    self.media.mute(leg, agent_id in rt.muted)
        except MediaError:
            logger.exception("call %s: x media wiring failed", rt.id)

    # -- ending --------------------------------------------------------------------------

    async def caller_leaves(self, rt: CallRuntime, cause: str) -> None:
        """The caller (inbound) or callee (outbound web phone) hung up or vanished."""
        if rt.call.direction == "outbound" and not rt.answered_by_callee:
            await self.end_call(rt, "declined" if cause == "declined" else cause, "caller")
            return
        await self.end_call(rt, cause, "caller")

    async def agent_leaves(self, rt: CallRuntime, agent_id: str, cause: str) -> None:
        """An agent hangs up (or is gone): the call ends, unless another agent stays on it."""
        if rt.consult is not None and agent_id in (rt.consult.agent_id, rt.consult.by_agent_id):
            if agent_id == rt.consult.agent_id or rt.consult.state == "connected":
                from .control import drop_consult_party  # circular at import time

                await drop_consult_party(self, rt, agent_id, cause)
                return
        if rt.conference and len(rt.participants) > 1:
            from .control import leave_conference

            await leave_conference(self, rt, agent_id, cause)
            return
        await self.end_call(rt, cause, "agent")

    async def end_call(self, rt: CallRuntime, cause: str, side: str) -> None:
        """End the call for everyone: CDR, events, pushes, media, recording (under the lock)."""
        call = rt.call
        if call.ended:
            return
        now = self.clock.now()
        abandoned = call.direction == "inbound" and call.answered_at is None and side == "caller"
        waited = now - (call.queued_at or call.created_at)
        if rt.ringing_agent is not None:
            await self.push_agent(
                rt.ringing_agent,
                "call.ring_cancelled",
                {"call_id": rt.id, "reason": "caller_hangup" if side == "caller" else "cancelled"},
            )
        if rt.consult is not None and rt.consult.state == "ringing":
            await self.push_agent(
                rt.consult.agent_id,
                "call.ring_cancelled",
                {"call_id": rt.id, "reason": "cancelled"},
            )
        self.acd.remove(rt.id)
        call.end(cause if not abandoned else "abandoned", side, now)
        changes: list[tuple[AgentSession, StatusChange | None]] = []
        for agent_id in sorted(rt.participants):
            session = self.agents.get(agent_id)
            if session is not None:
                session.calls.discard(rt.id)
                if not session.calls:
                    changes.append((session, session.presence.end_call(now, rt.wrap_up_s)))
        async with self.db.transaction() as tx:
            await self.save_call_txn(tx, call)
            if abandoned and call.queue_id is not None:
                await self.outbox.emit_txn(
                    tx,
                    call.tenant_id,
                    "queue.abandoned",
                    {
                        "call_id": call.id,
                        "queue_id": call.queue_id,
                        "waited_seconds": round(max(0.0, waited), 3),
                        "abandoned_at": rfc3339(now),
                    },
                )
            await self.outbox.emit_txn(tx, call.tenant_id, "call.ended", call.cdr())
            for session, change in changes:
                if change is not None:
                    await self.emit_status_txn(tx, session.tenant_id, change)
        logger.info("call %s: ended (%s, %s)", call.id, call.hangup_cause, side)
        ended = {"call_id": call.id, "cause": call.hangup_cause, "side": side}
        for agent_id in sorted(rt.participants):
            await self.push_agent(agent_id, "call.ended", ended)
        await self.push_caller(rt.caller_sid, "call.ended", ended)
        caller = self.callers.get(rt.caller_sid or "")
        if caller is not None and caller.call_id == rt.id:
            caller.call_id = None
        del self.calls[rt.id]
        self.timers.cancel(f"ring:{rt.id}")
        for party in list(rt.legs):
            self.timers.cancel(f"media:{rt.leg_id(party)}")
            await self.close_leg(rt, party)
        if call.recording_id is not None:
            self.spawn(self._finish_recording(call.tenant_id, call.id, call.recording_id))
        for session, change in changes:
            await self.presence_changed(session, change)
        await self.route()

    async def start_recording(self, rt: CallRuntime, tx: Tx) -> None:
        """At the first answer, when the tenant records calls (inside the answer's txn)."""
        if not rt.record or rt.call.recording_id is not None or "caller" not in rt.legs:
            return
        try:
            self.media.start_recording(rt.id, rt.legs["caller"])
        except MediaError:
            logger.exception("call %s: x cannot record", rt.id)
            return
        now = self.clock.now()
        rt.call.recording_id = new_id("rec", now)
        await store.insert_recording_txn(
            tx,
            {
                "id": rt.call.recording_id,
                "tenant_id": rt.call.tenant_id,
                "call_id": rt.id,
                "file_name": f"{rt.id}.wav",
                "status": "recording",
                "channels": 2,
                "created_at": now,
            },
        )

    async def _finish_recording(self, tenant_id: str, call_id: str, recording_id: str) -> None:
        try:
            recording = await self.media.stop_recording(call_id)
        except MediaError:
            logger.exception("call %s: x recording lost", call_id)
            async with self.db.transaction() as tx:
                await store.update_recording_txn(tx, recording_id, {"status": "failed"})
            return
        url, expires = self.urls.sign(recording_id)
        async with self.db.transaction() as tx:
            await store.update_recording_txn(
                tx,
                recording_id,
                {
                    "status": "ready",
                    "duration_s": recording.duration_s,
                    "ready_at": self.clock.now(),
                },
            )
            await self.outbox.emit_txn(
                tx,
                tenant_id,
                "call.recorded",
                {
                    "call_id": call_id,
                    "recording_id": recording_id,
                    "url": url,
                    "expires_at": rfc3339(expires),
                    "duration_seconds": round(recording.duration_s, 3),
                    "channels": recording.channels,
                    "format": "audio/wav",
                },
            )
        logger.info(
            "call %s: recording %s ready (%.1f s)", call_id, recording_id, recording.duration_s
        )

    # -- views ---------------------------------------------------------------------------

    def agent_view(self, rt: CallRuntime, agent_id: str) -> dict[str, Any]:
        consult = rt.consult
        role = "consult" if consult and consult.agent_id == agent_id else "primary"
        return {
            "call_id": rt.id,
            "state": rt.call.state.value,
            "direction": rt.call.direction,
            "from": rt.call.from_number,
            "to": rt.call.to_number,
            "queue_id": rt.call.queue_id,
            "held": rt.call.held,
            "muted": agent_id in rt.muted,
            "role": role,
            "consult": {"agent_id": consult.agent_id, "state": consult.state} if consult else None,
            "conference": rt.conference,
        }

    def caller_view(self, rt: CallRuntime) -> dict[str, Any]:
        return {
            "call_id": rt.id,
            "state": rt.call.state.value,
            "held": rt.call.held or rt.wait_on_hold,
            "position": self.acd.position(rt.id) if rt.call.state is CallState.QUEUED else None,
        }

    def ringing_view(self, rt: CallRuntime, kind: str, from_agent: str | None) -> dict[str, Any]:
        waiting = self.acd.get(rt.id)
        return {
            "call_id": rt.id,
            "kind": kind,
            "direction": rt.call.direction,
            "from": rt.call.from_number,
            "to": rt.call.to_number,
            "queue_id": rt.call.queue_id,
            "queue_name": waiting.policy.name if waiting else None,
            "from_agent_id": from_agent,
            "ring_timeout_s": rt.ring_timeout_s,
            "created_at": rfc3339(rt.call.created_at),
        }

    async def push_updates(self, rt: CallRuntime) -> None:
        for agent_id in sorted(rt.participants):
            await self.push_agent(agent_id, "call.updated", self.agent_view(rt, agent_id))
        await self.push_caller(rt.caller_sid, "call.updated", self.caller_view(rt))


def queue_policy(row: Any) -> QueuePolicy:
    return QueuePolicy(
        id=row["id"],
        name=row["name"],
        ring_timeout_s=row["ring_timeout_s"],
        max_wait_s=row["max_wait_s"],
        overflow_queue_id=row["overflow_queue_id"],
        overflow_cause=row["overflow_cause"],
        wrap_up_s=row["wrap_up_s"],
    )


def created_event(call: Call) -> dict[str, Any]:
    return {
        "call_id": call.id,
        "direction": call.direction,
        "from": call.from_number,
        "to": call.to_number,
        "queue_id": call.queue_id,
        "agent_id": call.agent_id,
        "created_at": rfc3339(call.created_at),
    }


def _call_columns(call: Call) -> dict[str, Any]:
    cdr = call.cdr() if call.ended else None
    return {
        "direction": call.direction,
        "from_number": call.from_number,
        "to_number": call.to_number,
        "queue_id": call.queue_id,
        "agent_id": call.agent_id,
        "state": call.state.value,
        "created_at": call.created_at,
        "queued_at": call.queued_at,
        "answered_at": call.answered_at,
        "ended_at": call.ended_at,
        "wait_s": cdr["wait_seconds"] if cdr else None,
        "talk_s": cdr["talk_seconds"] if cdr else None,
        "hold_s": cdr["hold_seconds"] if cdr else None,
        "hangup_cause": call.hangup_cause,
        "hangup_side": call.hangup_side,
        "transfers": json.dumps([t.as_event() for t in call.transfers]),
        "recording_id": call.recording_id,
    }


def call_view(row: Any) -> dict[str, Any]:
    """A stored call (the CDR once ended), as the REST API shows it."""
    return {
        "id": row["id"],
        "direction": row["direction"],
        "from": row["from_number"],
        "to": row["to_number"],
        "queue_id": row["queue_id"],
        "agent_id": row["agent_id"],
        "state": row["state"],
        "created_at": rfc3339(row["created_at"]),
        "queued_at": rfc3339(row["queued_at"]) if row["queued_at"] is not None else None,
        "answered_at": rfc3339(row["answered_at"]) if row["answered_at"] is not None else None,
        "ended_at": rfc3339(row["ended_at"]) if row["ended_at"] is not None else None,
        "wait_seconds": row["wait_s"],
        "talk_seconds": row["talk_s"],
        "hold_seconds": row["hold_s"],
        "hangup_cause": row["hangup_cause"],
        "hangup_side": row["hangup_side"],
        "transfers": json.loads(row["transfers"]),
        "recording_id": row["recording_id"],
    }
