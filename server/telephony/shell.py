"""One tenant's call center: the shell that asks the book and applies what it decides.

Every operation follows the same path::

    gather inputs (store reads, media set-up)   outside the lock, may await
    lock ── book decides (pure, no await) ── queue the decision ── unlock
    the Applier commits, pushes, wires and arms timers, in decision order

The lock is held only while the book decides, never across a commit, a push or a media
operation, and each tenant has its own: two tenants never wait for each other. Answering
(and dialing) are two decisions around the slow media set-up, which runs unlocked.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from server.clock import Clock
from server.media import LegState

from . import book, control, outbound
from .apply import Applier
from .effects import Decision, Due, WrapUpDue
from .errors import TelephonyError, invalid_state
from .legs import CallLegs, LegDirectory
from .phones import WebPhone, WebPhones
from .ports import (
    CallObserver,
    CallStore,
    MediaPort,
    Notifier,
    NumberRoute,
    RecordingFinisher,
    WrapUpGate,
)
from .presence import State
from .roster import Roster
from .state import Engagement, IdSource, TenantState, leg_id
from .timers import Timers

logger = logging.getLogger(__name__)

ANONYMOUS = "anonymous"

Operation = Callable[[float], Decision]  # given "now", decide


class TenantShell:
    def __init__(
        self,
        *,
        tenant_id: str,
        store: CallStore,
        media: MediaPort,
        clock: Clock,
        phones: WebPhones,
        legs: LegDirectory,
        recordings: RecordingFinisher,
        notifier: Callable[[], Notifier | None],
        observers: list[CallObserver],
        new_id: IdSource,
        wrap_up_gate: Callable[[], WrapUpGate | None] = lambda: None,
        agent_grace_s: float,
        outbound_ring_timeout_s: float,
    ) -> None:
        self.tenant_id = tenant_id
        self.lock = asyncio.Lock()
        self._state = TenantState(tenant_id=tenant_id, new_id=new_id)
        self._store = store
        self._clock = clock
        self._phones = phones
        self._wrap_up_gate = wrap_up_gate
        self._agent_grace_s = agent_grace_s
        self._outbound_ring_timeout_s = outbound_ring_timeout_s
        self._legs = CallLegs(media=media, directory=legs, on_lost=self._leg_state)
        self._timers = Timers(clock)
        self._applier = Applier(
            tenant_id=tenant_id,
            store=store,
            notifier=notifier,
            legs=self._legs,
            timers=self._timers,
            recordings=recordings,
            observers=observers,
            on_due=self._due,
        )
        self._loaded = False
        self._load_lock = asyncio.Lock()
        # Every agent of the tenant, signed in or not (the wallboard, the directory).
        self.roster = Roster(tenant_id=tenant_id, load=lambda: store.agent_profiles(tenant_id))
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def state(self) -> TenantState:
        """The book's state, for reading (tests, views); change it only through the book."""
        return self._state

    # -- the one path -------------------------------------------------------------------

    async def _ready(self) -> None:
        """Load the tenant's queues and settings once, before its first decision."""
        if self._loaded:
            return
        async with self._load_lock:
            if not self._loaded:
                await self.reload_config()

    async def reload_config(self) -> None:
        """An admin changed a queue or the settings: the book decides with them from now on."""
        config = await self._store.tenant_config(self.tenant_id)
        async with self.lock:
            self._state.queues = config.queues
            self._state.settings = config.settings
            self._loaded = True

    def _queue(self, operation: Operation) -> tuple[Decision, asyncio.Future[None]]:
        """Decide and queue the effects; call with the lock held."""
        now = self._clock.now()
        decision = book.decide(self._state, now, lambda: operation(now))
        for sid, call_id in decision.released_phones:
            self._phones.release(sid, call_id)
        return decision, self._applier.submit(decision)

    async def _run(self, operation: Operation) -> dict[str, Any]:
        """Decide under the lock, await the effects, then reply (or raise the refusal)."""
        await self._ready()
        async with self.lock:
            decision, applied = self._queue(operation)
        await applied
        if decision.refusal is not None:
            raise decision.refusal
        return decision.reply

    async def _due(self, due: Due) -> None:
        if isinstance(due, WrapUpDue):
            try:
                await self._may_leave_wrap_up(due.agent_id)
            except TelephonyError as held:
                # The agent stays in after-call work (and is not rung) until it has done
                # what the gate asks; then wrap_up_unblocked ends it as this timer would have.
                logger.info("agent %s: wrap-up time over, held (%s)", due.agent_id, held.code)
                return
        await self._run(lambda now: book.timer_due(self._state, due, now))

    async def _may_leave_wrap_up(self, agent_id: str) -> None:
        """Refuse (``disposition_required``) while the gate keeps the agent in after-call
        work. Asked only of an agent in after-call work; a gate that fails lets it go."""
        session = self._state.agents.get(agent_id)
        gate = self._wrap_up_gate()
        if gate is None or session is None:
            return
        if session.presence.state is not State.AFTER_CALL_WORK:
            return
        try:
            why = await gate.may_leave_wrap_up(self.tenant_id, agent_id)
        except Exception:
            logger.exception("agent %s: x wrap-up gate failed; letting the agent go", agent_id)
            return
        if why is not None:
            raise TelephonyError("disposition_required", why)

    # -- agents -------------------------------------------------------------------------

    async def agent_connected(self, agent_id: str, sid: str) -> dict[str, Any]:
        """A softphone authenticated; returns ``session.ready``."""
        profile = await self._store.agent_profile(self.tenant_id, agent_id)
        if profile is None:
            raise TelephonyError("unknown_agent", "this agent no longer exists")
        return await self._run(lambda now: book.agent_connected(self._state, profile, sid, now))

    async def agent_disconnected(self, agent_id: str, sid: str) -> None:
        await self._run(
            lambda now: book.agent_disconnected(
                self._state, agent_id, sid, now, self._agent_grace_s
            )
        )

    async def agent_changed(self, agent_id: str) -> None:
        """An admin created, edited or deleted the agent."""
        profile = await self._store.agent_profile(self.tenant_id, agent_id)
        await self.roster.changed(agent_id, profile)
        await self._run(lambda now: book.agent_changed(self._state, agent_id, profile))

    def presence_of(self, agent_id: str) -> dict[str, Any]:
        return book.presence_of(self._state, agent_id)

    def on_call(self, agent_id: str) -> bool:
        """On a call, or dialing one (an expiring sign-in waits for it to end)."""
        return self._state.engagement(agent_id) is Engagement.ON_CALL

    async def set_presence(self, agent_id: str, status: str, reason: str | None) -> dict[str, Any]:
        if status != "logged_out":  # Available, or a pause that would skip the disposition
            await self._may_leave_wrap_up(agent_id)
        return await self._run(
            lambda now: book.set_presence(self._state, agent_id, status, reason, now)
        )

    async def end_wrap_up(self, agent_id: str) -> dict[str, Any]:
        await self._may_leave_wrap_up(agent_id)
        return await self._run(lambda now: book.end_wrap_up(self._state, agent_id, now))

    async def wrap_up_unblocked(self, agent_id: str) -> None:
        """The agent did what the gate asked: a wrap-up whose time is over ends now."""
        session = self._state.agents.get(agent_id)
        presence = session.presence if session is not None else None
        if (
            presence is not None
            and presence.state is State.AFTER_CALL_WORK
            and presence.wrap_up_ends_at is not None
            and presence.wrap_up_ends_at <= self._clock.now()
        ):
            await self._due(WrapUpDue(agent_id))

    # -- an agent's calls ---------------------------------------------------------------

    async def answer(self, agent_id: str, call_id: str, sdp: str) -> dict[str, Any]:
        state = self._state
        leg = leg_id(call_id, agent_id)
        answer = await self._open_leg_between(
            leg,
            sdp,
            begin=lambda now: control.answer_begin(state, agent_id, call_id),
            done=lambda now: control.answer_done(state, agent_id, call_id, leg, now),
            failed=lambda now: control.answer_failed(state, agent_id, call_id, now),
        )
        return {"sdp": answer}

    async def _open_leg_between(
        self,
        leg: str,
        sdp: str,
        *,
        begin: Operation | None,
        done: Operation,
        failed: Operation,
    ) -> str:
        """Two decisions around the slow media set-up, which runs unlocked: ``begin``
        reserves what the leg is for, then ``done`` (or ``failed``) decides with it."""
        await self._ready()
        if begin is not None:
            async with self.lock:
                self._queue(begin)
        try:
            answer = await self._legs.open(leg, sdp)
        except TelephonyError:
            await self._run(failed)
            raise
        await self._run(done)
        return answer

    async def decline(self, agent_id: str, call_id: str) -> dict[str, Any]:
        return await self._run(lambda now: control.decline(self._state, agent_id, call_id, now))

    async def hangup(self, agent_id: str, call_id: str) -> dict[str, Any]:
        return await self._run(lambda now: control.hangup(self._state, agent_id, call_id, now))

    async def hold(self, agent_id: str, call_id: str, on: bool) -> dict[str, Any]:
        return await self._run(lambda now: control.hold(self._state, agent_id, call_id, on, now))

    async def mute(self, agent_id: str, call_id: str, on: bool) -> dict[str, Any]:
        return await self._run(lambda now: control.mute(self._state, agent_id, call_id, on))

    async def agent_dtmf(self, agent_id: str, call_id: str, digits: str) -> dict[str, Any]:
        return await self._run(
            lambda now: control.agent_dtmf(self._state, agent_id, call_id, digits)
        )

    async def _agent_exists(self, agent_id: str) -> bool:
        if agent_id in self._state.agents:
            return True
        return await self._store.agent_profile(self.tenant_id, agent_id) is not None

    async def transfer(
        self, agent_id: str, call_id: str, to_type: str, to_id: str
    ) -> dict[str, Any]:
        exists = to_type == "agent" and await self._agent_exists(to_id)
        return await self._run(
            lambda now: control.transfer(
                self._state, agent_id, call_id, to_type, to_id, now, target_exists=exists
            )
        )

    async def consult(self, agent_id: str, call_id: str, to_agent: str) -> dict[str, Any]:
        exists = await self._agent_exists(to_agent)
        return await self._run(
            lambda now: control.consult(
                self._state, agent_id, call_id, to_agent, now, exists=exists
            )
        )

    async def consult_complete(self, agent_id: str, call_id: str) -> dict[str, Any]:
        return await self._run(
            lambda now: control.consult_complete(self._state, agent_id, call_id, now)
        )

    async def consult_cancel(self, agent_id: str, call_id: str) -> dict[str, Any]:
        return await self._run(
            lambda now: control.consult_cancel(self._state, agent_id, call_id, now)
        )

    async def conference(self, agent_id: str, call_id: str) -> dict[str, Any]:
        return await self._run(lambda now: control.conference(self._state, agent_id, call_id, now))

    async def dial(self, agent_id: str, to: str, sdp: str) -> dict[str, Any]:
        """An agent calls a number: a registered web phone rings; anything else: no route."""
        await self._ready()
        callee = self._phones.find(to)
        callee_sid = callee.sid if callee is not None else None
        async with self.lock:
            decision, applied = self._queue(
                lambda now: outbound.dial(
                    self._state,
                    agent_id,
                    to,
                    callee_sid,
                    callee is not None and callee.call_id is not None,
                    now,
                    ring_timeout_s=self._outbound_ring_timeout_s,
                )
            )
            if decision.refusal is None and callee_sid is not None:
                self._phones.claim(callee_sid, decision.reply["call_id"], self.tenant_id)
        await applied
        if decision.refusal is not None:
            raise decision.refusal
        call_id = str(decision.reply["call_id"])
        leg = leg_id(call_id, agent_id)
        answer = await self._open_leg_between(
            leg,
            sdp,
            begin=None,  # the dial above reserved the agent and the callee
            done=lambda now: outbound.dial_connected(
                self._state, agent_id, call_id, leg, self._phone_on(callee_sid, call_id), now
            ),
            failed=lambda now: outbound.dial_failed(self._state, agent_id, call_id),
        )
        return {"call_id": call_id, "sdp": answer}

    def _phone_on(self, sid: str | None, call_id: str) -> bool:
        phone = self._phones.get(sid) if sid is not None else None
        return phone is not None and phone.call_id == call_id

    # -- media messages -----------------------------------------------------------------

    async def media_offer(self, party: str, call_id: str, sdp: str) -> dict[str, Any]:
        """A party re-offers (reconnect, network change): same leg, or a new one if it died."""
        rt = self._state.calls.get(call_id)
        if rt is not None and party in rt.legs:
            return {"sdp": await self._legs.renegotiate(rt.legs[party], sdp)}
        leg = leg_id(call_id, party)
        answer = await self._legs.open(leg, sdp)
        await self._run(lambda now: book.leg_reopened(self._state, call_id, party, leg))
        return {"sdp": answer}

    async def add_candidate(
        self, party: str, call_id: str, candidate: str | None, mid: str | None, index: int | None
    ) -> None:
        await self._legs.add_candidate(leg_id(call_id, party), candidate, mid, index)

    def check_agent_media(self, agent_id: str, call_id: str) -> None:
        control.media_call(self._state, agent_id, call_id)

    def check_caller_call(self, sid: str, call_id: str) -> None:
        control.callers_call(self._state, sid, call_id)

    def _leg_state(self, leg: str, state: LegState) -> None:
        """The engine lost a leg we did not close (from its callback: no await here)."""
        self._legs.lost(leg)
        if self._state.closed:
            return
        call_id, _, party = leg.partition(".")
        failed = state is LegState.FAILED
        self._spawn(
            self._run(
                lambda now: book.leg_lost(
                    self._state, call_id, party, failed, now, self._agent_grace_s
                )
            )
        )

    # -- web phones ---------------------------------------------------------------------

    async def dial_inbound(
        self, phone: WebPhone, to: str, sdp: str, route: NumberRoute
    ) -> dict[str, Any]:
        """A web phone calls a published number of this tenant: answer its media, queue it."""
        await self._ready()
        policy = self._state.queues.get(route.queue_id)
        if not route.published or policy is None:
            raise TelephonyError("unreachable_number", "this number cannot be called", "to")
        if self._state.closed:
            raise invalid_state("the server is shutting down")
        call_id = self._state.new_id("call", self._clock.now())
        if not self._phones.claim(phone.sid, call_id, self.tenant_id):
            raise invalid_state("this web phone already has a call")
        leg = leg_id(call_id, "caller")
        try:
            answer = await self._legs.open(leg, sdp)
        except BaseException:
            self._phones.release(phone.sid, call_id)
            raise
        async with self.lock:
            if not self._phone_on(phone.sid, call_id) or self._state.closed:
                self._legs.close(leg)
                self._phones.release(phone.sid, call_id)
                raise invalid_state("the web phone disconnected")
            _, applied = self._queue(
                lambda now: book.inbound_arrives(
                    self._state,
                    call_id=call_id,
                    caller_sid=phone.sid,
                    from_number=phone.number or ANONYMOUS,
                    to_number=to,
                    policy=policy,
                    leg_id=leg,
                    now=now,
                )
            )
        await applied
        return {"call_id": call_id, "sdp": answer}

    async def callee_answer(self, sid: str, call_id: str, sdp: str) -> dict[str, Any]:
        state = self._state
        leg = leg_id(call_id, "caller")
        answer = await self._open_leg_between(
            leg,
            sdp,
            begin=lambda now: outbound.callee_answer_begin(state, sid, call_id),
            done=lambda now: outbound.callee_answer_done(state, call_id, leg, now),
            failed=lambda now: outbound.callee_answer_failed(state, call_id, now),
        )
        return {"sdp": answer}

    async def callee_decline(self, sid: str, call_id: str) -> dict[str, Any]:
        return await self._run(lambda now: outbound.callee_decline(self._state, sid, call_id, now))

    async def caller_hangup(self, sid: str, call_id: str) -> dict[str, Any]:
        return await self._run(lambda now: control.caller_hangup(self._state, sid, call_id, now))

    async def caller_dtmf(self, sid: str, call_id: str, digits: str) -> dict[str, Any]:
        return await self._run(lambda now: control.caller_dtmf(self._state, sid, call_id, digits))

    async def caller_gone(self, sid: str, call_id: str) -> None:
        await self._run(lambda now: book.caller_gone(self._state, sid, call_id, now))

    # -- lifecycle ----------------------------------------------------------------------

    async def shutdown(self) -> None:
        """End every call (``server_shutdown``) and refuse new ones."""
        if self._loaded:
            await self._run(lambda now: book.shutdown(self._state, now))
        self._state.closed = True

    async def idle(self) -> None:
        """Wait until nothing is under way: timers that went off, the decisions they made,
        and the effects of those (which may arm further timers, not yet due)."""
        while True:
            await self._timers.fired()
            await self._applier.idle()
            if not self._timers.busy and not self._applier.busy:
                return

    async def close(self) -> None:
        """After :meth:`shutdown`: let the effects finish, stop the timers."""
        await self._applier.idle()
        await self._timers.close()
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await self._legs.drain()

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(self._quietly(coro))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _quietly(self, coro: Any) -> None:
        try:
            await coro
        except TelephonyError as exc:
            logger.debug("tenant %s: x background decision refused: %s", self.tenant_id, exc)
        except Exception:
            logger.exception("tenant %s: x background decision failed", self.tenant_id)
