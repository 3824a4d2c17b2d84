"""Carrying out the book's decisions for one tenant, in the order they were made.

::

    decision ─┐            ┌─> store.commit(all store ops)      one transaction
    decision ─┼─> pending ─┤─> pushes (Socket.IO), in order
    decision ─┘  (FIFO)    ├─> media (wire, DTMF, recording; closes in the background)
                           ├─> timers (arm, cancel)
                           └─> observers (lifecycle notices)

Decisions are made under the tenant's lock and queued in that order; one drain task applies
them outside the lock. Decisions that queued up while a transaction was being committed are
committed together in the next one (group commit), so a burst costs one commit, not one per
decision, and the order of events and pushes is the order of decisions. Whoever made a
decision awaits its future, which resolves once all of its effects have been applied.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from server.media import MediaError

from .effects import (
    ArmTimer,
    CloseLeg,
    Decision,
    DisconnectAgent,
    Due,
    FinishRecording,
    PushAgent,
    PushCaller,
    SendDtmf,
    StartRecording,
    Wire,
)
from .legs import CallLegs
from .ports import CallObserver, CallStore, Notifier, RecordingFinisher
from .timers import Timers

logger = logging.getLogger(__name__)


class Applier:
    def __init__(
        self,
        *,
        tenant_id: str,
        store: CallStore,
        notifier: Callable[[], Notifier | None],
        legs: CallLegs,
        timers: Timers,
        recordings: RecordingFinisher,
        observers: list[CallObserver],
        on_due: Callable[[Due], Awaitable[None]],
    ) -> None:
        self._tenant_id = tenant_id
        self._store = store
        self._notifier = notifier
        self._legs = legs
        self._timers = timers
        self._recordings = recordings
        self._observers = observers
        self._on_due = on_due
        self._pending: list[tuple[Decision, asyncio.Future[None]]] = []
        self._drainer: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, decision: Decision) -> asyncio.Future[None]:
        """Queue a decision (call this while still holding the lock that made it)."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._pending.append((decision, done))
        if self._drainer is None:
            self._drainer = loop.create_task(self._drain())
        return done

    @property
    def busy(self) -> bool:
        return self._drainer is not None or bool(self._tasks)

    async def idle(self) -> None:
        """Wait until every queued decision and every background task is done."""
        while self._drainer is not None or self._tasks:
            if self._drainer is not None:
                await asyncio.shield(self._drainer)
            if self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    await self._apply([d for d, _ in batch])
                except Exception as exc:
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(exc)
                    continue
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)
        finally:
            self._drainer = None

    async def _apply(self, batch: list[Decision]) -> None:
        failure: Exception | None = None
        try:
            await self._store.commit([op for d in batch for op in d.store])
        except Exception as exc:  # the live parties still follow the book; the loss is logged
            logger.exception(
                "tenant %s: x commit of %d decisions failed", self._tenant_id, len(batch)
            )
            failure = exc
        for d in batch:
            for push in d.pushes:
                await self._push(push)
        for d in batch:
            for op in d.media:
                await self._media(op)
        for d in batch:
            for timer in d.timers:
                if isinstance(timer, ArmTimer):
                    self._timers.set(timer.key, timer.at, self._fire(timer.due))
                else:
                    self._timers.cancel(timer.key)
        for d in batch:
            for notice in d.notices:
                for observer in self._observers:
                    try:
                        observer.observe(self._tenant_id, notice)
                    except Exception:
                        logger.exception("x observer %r failed on %r", observer, notice)
        if failure is not None:
            raise failure

    def _fire(self, due: Due) -> Callable[[], Awaitable[None]]:
        return lambda: self._on_due(due)

    async def _push(self, push: PushAgent | PushCaller | DisconnectAgent) -> None:
        notifier = self._notifier()
        if notifier is None:
            return
        try:
            if isinstance(push, PushAgent):
                await notifier.to_agent(push.sid, push.event, push.data)
            elif isinstance(push, PushCaller):
                await notifier.to_caller(push.sid, push.event, push.data)
            else:  # its disconnect handler may run inside: never wait for it here
                self._spawn(notifier.disconnect_agent(push.sid))
        except Exception:
            logger.exception("socket %s: x push failed", push.sid)

    async def _media(
        self, op: Wire | CloseLeg | SendDtmf | StartRecording | FinishRecording
    ) -> None:
        if isinstance(op, Wire):
            await self._legs.wire(op)
        elif isinstance(op, CloseLeg):
            self._legs.close(op.leg_id)
        elif isinstance(op, SendDtmf):
            try:
                self._legs.media.send_dtmf(op.leg_id, op.digits)
            except (MediaError, ValueError):
                logger.exception("leg %s: x dtmf failed", op.leg_id)
        elif isinstance(op, StartRecording):
            try:
                self._legs.media.start_recording(op.call_id, op.caller_leg)
            except MediaError:
                logger.exception("call %s: x cannot record", op.call_id)
                await self._store.mark_recording_failed(op.recording_id)
        else:
            self._recordings.finish_later(op.tenant_id, op.call_id, op.recording_id)

    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
