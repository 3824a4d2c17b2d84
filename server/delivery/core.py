"""The delivery core: durable, isolated, at-least-once work for every destination.

Webhooks, Salesforce Tasks and SCRT2 run on this one machinery; what differs is plugged in
(``ports.py``): the lane each job runs in, how one job is sent, the ledger, the schedule.

::

    emitting transaction ── the destination's OutboxSink writes its work rows there
                         └─ submit_after_commit(tx, jobs): handed over once it commits
    restart, requeue     ── load_pending(): Ledger.pending(), minus the jobs already held
                                               │
                                               ▼
    Scheduler   due now → the job's lane; later → a timer heap on the Clock
                                               │
    Lane        one per lane key (the destination's choice, per job); at most
                LanePolicy.concurrency attempts in flight. Before each attempt,
                Destination.lane_state(): open → attempt; parked → held, in order, until
                resume(lane); gone → dropped. An ordered lane runs one job at a time, and
                a job that failed stays at its head, holding back the rest, until it is
                delivered or dead
                                               │  Destination.attempt(job) -> Outcome
                                               ▼
    decide()    pure: ok → delivered; permanent, or the RetrySchedule says no → dead;
                otherwise retry at the schedule's time (Retry-After may postpone it)
                                               │
    Writer      batches the attempts; Ledger.write() commits each batch at once

Guarantee: at least once. The outcome of an attempt is written behind it: a crash before
the write makes the attempt happen again after restart. A slow or dead lane only ever
occupies its own lane.
"""

from __future__ import annotations

import asyncio
import collections
import heapq
import itertools
import logging
import random
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic

from server.clock import Clock

from .ports import (
    Attempted,
    Destination,
    Job,
    LanePolicy,
    LaneState,
    Ledger,
    Outcome,
    P,
    RetrySchedule,
    Verdict,
)
from .verdicts import decide

if TYPE_CHECKING:
    from server.store.db import Tx

logger = logging.getLogger(__name__)

WRITE_BATCH = 1000
WRITE_LINGER_S = 0.05  # outcomes are write-behind: a crash inside this window only repeats
WRITE_RETRY_S = 1.0
LANE_STATE_RETRY_S = 5.0  # a lane whose state could not be read is asked again this late


@dataclass(eq=False, slots=True)
class _Lane(Generic[P]):
    key: str
    queue: collections.deque[Job[P]] = field(default_factory=collections.deque)
    parked: list[Job[P]] = field(default_factory=list)  # in order, until resume()
    inflight: int = 0
    wake_at: float | None = None  # ordered: a timer is set for when the head comes due


class DeliveryCore(Generic[P]):
    """Runs one destination's jobs: lanes, timers, attempts, retries and the writer."""

    def __init__(
        self,
        *,
        name: str,
        destination: Destination[P],
        ledger: Ledger[P],
        schedule: RetrySchedule,
        lanes: LanePolicy,
        clock: Clock,
        rng: random.Random | None = None,
        on_attempt: Callable[[str, float], None] | None = None,
        write_batch: int = WRITE_BATCH,
        write_linger_s: float = WRITE_LINGER_S,
        resubmits: bool = False,
    ) -> None:
        """``name`` prefixes the core's log lines (``webhooks``, ``scrt2``...).

        ``on_attempt(verdict, latency_ms)`` is told after every scheduled attempt (verdict
        ``delivered``, ``retrying`` or ``dead``), for the metrics.

        ``resubmits``: jobs that ``start`` loads from the ledger may be submitted again later
        (a delivery worker's core, whose pipe carries jobs committed before it started); such
        a job is dropped then, even when it has already been attempted, not run twice.
        """
        self._name = name
        self._destination = destination
        self._ledger = ledger
        self._schedule_fn = schedule
        self._policy = lanes
        self._clock = clock
        self._rng = rng or random.Random()
        self._on_attempt = on_attempt
        self._write_batch = write_batch
        self._write_linger_s = write_linger_s
        self._lanes: dict[str, _Lane[P]] = {}
        self._timers: list[tuple[float, int, Job[P] | _Lane[P]]] = []
        self._seq = itertools.count()
        self._known: set[str] = set()  # job ids held in memory (queued, in flight, timed, parked)
        self._loaded_at_start: set[str] | None = set() if resubmits else None
        self._outcomes: list[Attempted[P]] = []
        self._timer_wake = asyncio.Event()
        self._write_wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._running = False

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        self._running = True
        await self._load(None, self._loaded_at_start)
        self._spawn(self._timer_loop())
        self._spawn(self._write_loop())
        for lane in list(self._lanes.values()):  # work submitted before the start
            self._pump(lane)

    async def stop(self) -> None:
        """Cancel attempts in flight; write the outcomes already known. Unsent work stays
        owed in the ledger."""
        self._running = False
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._flush()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- taking work ----------------------------------------------------------------------

    def submit(self, jobs: Iterable[Job[P]]) -> None:
        """Take jobs whose rows are committed; each runs from its ``due`` time on."""
        for job in jobs:
            if job.id in self._known:
                continue
            if self._loaded_at_start is not None and job.id in self._loaded_at_start:
                self._loaded_at_start.discard(job.id)  # each job is submitted once at most
                continue
            self._known.add(job.id)
            self._schedule(job, job.due)

    def submit_after_commit(self, tx: Tx, jobs: list[Job[P]]) -> None:
        """For an OutboxSink's ``fan_out_txn``: take ``jobs`` once ``tx`` has committed."""
        if jobs:
            tx.after_commit(lambda: self.submit(jobs))

    async def load_pending(self, lane: str | None = None) -> int:
        """Take the ledger's pending work not yet held (after a restart, a requeue)."""
        return await self._load(lane, None)

    async def _load(self, lane: str | None, remember: set[str] | None) -> int:
        loaded = 0
        async for job in self._ledger.pending(lane):
            if job.id in self._known:
                continue
            self._known.add(job.id)
            if remember is not None:
                remember.add(job.id)
            loaded += 1
            self._schedule(job, job.due)
        return loaded

    def resume(self, lane_key: str) -> None:
        """A parked lane may send again: what it held goes first, in its order."""
        lane = self._lanes.get(lane_key)
        if lane is None or not lane.parked:
            return
        lane.queue.extendleft(reversed(lane.parked))
        lane.parked = []
        self._pump(lane)

    # -- scheduling -----------------------------------------------------------------------

    def _lane(self, key: str) -> _Lane[P]:
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane(key)
        return lane

    def _schedule(self, job: Job[P], at: float) -> None:
        job.due = at
        if self._policy.ordered:  # its place in the lane is kept even while it waits
            lane = self._lane(job.lane)
            lane.queue.append(job)
            self._pump(lane)
        elif at <= self._clock.now():
            self._enqueue(job)
        else:
            heapq.heappush(self._timers, (at, next(self._seq), job))
            self._timer_wake.set()

    def _hold(self, lane: _Lane[P], job: Job[P], at: float) -> None:
        """``job`` waits until ``at``: at the head of an ordered lane, else on a timer."""
        if self._policy.ordered:
            job.due = at
            lane.queue.appendleft(job)
        else:
            self._schedule(job, at)

    def _arm(self, lane: _Lane[P], at: float) -> None:
        if lane.wake_at != at:
            lane.wake_at = at
            heapq.heappush(self._timers, (at, next(self._seq), lane))
            self._timer_wake.set()

    async def _timer_loop(self) -> None:
        while self._running:
            now = self._clock.now()
            while self._timers and self._timers[0][0] <= now:
                item = heapq.heappop(self._timers)[2]
                if isinstance(item, _Lane):
                    item.wake_at = None
                    self._pump(item)
                else:
                    self._enqueue(item)
            self._timer_wake.clear()
            waiters: list[asyncio.Future[Any]] = [asyncio.ensure_future(self._timer_wake.wait())]
            if self._timers:
                waiters.append(asyncio.ensure_future(self._clock.sleep(self._timers[0][0] - now)))
            try:
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()

    def _enqueue(self, job: Job[P]) -> None:
        lane = self._lane(job.lane)
        lane.queue.append(job)
        self._pump(lane)

    def _pump(self, lane: _Lane[P]) -> None:
        if self._policy.ordered and lane.queue and lane.queue[0].due > self._clock.now():
            self._arm(lane, lane.queue[0].due)
            return
        while lane.inflight < self._policy.concurrency and len(lane.queue) > lane.inflight:
            lane.inflight += 1
            self._spawn(self._drain(lane))

    # -- attempts -------------------------------------------------------------------------

    async def _drain(self, lane: _Lane[P]) -> None:
        try:
            while self._running and lane.queue:
                if not await self._step(lane):
                    break
        finally:
            lane.inflight -= 1
            if (
                not (lane.queue or lane.parked or lane.inflight)
                and self._lanes.get(lane.key) is lane
            ):
                del self._lanes[lane.key]  # SCRT2 makes a lane per call: do not keep them all

    async def _step(self, lane: _Lane[P]) -> bool:
        """Take the lane's next job through one attempt; False when the lane must wait."""
        ordered = self._policy.ordered
        if ordered:  # the head stays in the queue until it is known to go
            job = lane.queue[0]
            if job.due > self._clock.now():
                self._arm(lane, job.due)
                return False
        else:
            job = lane.queue.popleft()
        try:
            state: LaneState | None = await self._destination.lane_state(lane.key)
        except Exception:
            logger.exception("%s x %s: state of lane %s unreadable", job.id, self._name, lane.key)
            state = None
        if ordered:
            if lane.queue[0] is not job:
                return True  # resume() put held jobs first meanwhile: they go before it
            lane.queue.popleft()
        if state is None:
            self._hold(lane, job, self._clock.now() + LANE_STATE_RETRY_S)
        elif state is LaneState.GONE:
            self._known.discard(job.id)
            logger.debug("%s - %s: lane %s is gone", job.id, self._name, lane.key)
        elif state is LaneState.PARKED:
            lane.parked.append(job)
        else:
            try:
                outcome = await self._destination.attempt(job)
            except Exception as exc:
                logger.exception("%s x %s: the attempt raised", job.id, self._name)
                outcome = Outcome.failed(f"{type(exc).__name__}: {exc}"[:500])
            self._record(lane, job, outcome)
        return True

    def _record(self, lane: _Lane[P], job: Job[P], outcome: Outcome) -> None:
        now = self._clock.now()
        job.attempts += 1
        decision = decide(
            outcome,
            attempts=job.attempts,
            now=now,
            schedule=self._schedule_fn,
            jitter=self._rng.random,
        )
        if decision.verdict is Verdict.RETRYING:
            self._hold(lane, job, decision.at)
        else:
            self._known.discard(job.id)
        if decision.verdict is Verdict.DEAD:
            logger.warning(
                "%s x dead-lettered after %d attempts: %s", job.id, job.attempts, outcome.error
            )
        if self._on_attempt is not None:
            self._on_attempt(decision.verdict.value, outcome.latency_ms)
        self._write(Attempted(job, job.attempts, outcome, now, decision))

    def log_attempt(self, job: Job[P], outcome: Outcome, *, attempt: int = 1) -> None:
        """Log an attempt made outside the schedule (a tester): written, never retried."""
        self._write(Attempted(job, attempt, outcome, self._clock.now(), None))

    # -- writer ---------------------------------------------------------------------------

    def _write(self, record: Attempted[P]) -> None:
        self._outcomes.append(record)
        self._write_wake.set()

    async def _write_loop(self) -> None:
        while self._running:
            await self._write_wake.wait()
            self._write_wake.clear()
            if len(self._outcomes) < self._write_batch:
                await asyncio.sleep(self._write_linger_s)  # a burst of outcomes, one commit
            try:
                await self._flush()
            except Exception:
                logger.exception("x writing %s outcomes failed; will retry", self._name)
                await asyncio.sleep(WRITE_RETRY_S)
                self._write_wake.set()

    async def _flush(self) -> None:
        while self._outcomes:
            batch = self._outcomes[: self._write_batch]
            await self._ledger.write(batch)
            del self._outcomes[: len(batch)]

    # -- introspection --------------------------------------------------------------------

    def _busy(self) -> bool:
        if self._outcomes:
            return True
        now = self._clock.now()
        if self._running and self._timers and self._timers[0][0] <= now:
            return True  # came due: the timer loop is about to hand it to its lane
        return any(
            lane.inflight or (lane.queue and lane.queue[0].due <= now)
            for lane in self._lanes.values()
        )

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until no job is due, queued or in flight and every outcome is written.

        Jobs waiting for a later time (a retry, an ordered lane's head) and parked jobs do
        not count: advance the clock to bring them on.
        """

        async def settled() -> None:
            while self._busy():
                await asyncio.sleep(0.01)

        await asyncio.wait_for(settled(), timeout)

    def lag_s(self) -> float:
        """How long the longest-waiting due job held here has waited (0 when none is).

        Parked jobs are held on purpose and do not count.
        """
        now = self._clock.now()
        dues = [job.due for lane in self._lanes.values() for job in lane.queue if job.due <= now]
        dues += [at for at, _, item in self._timers if at <= now and not isinstance(item, _Lane)]
        return max(0.0, now - min(dues)) if dues else 0.0
