"""Durable, isolated webhook delivery.

::

    domain transaction ──Outbox.emit_txn──> events row
                        └─ fan_out_txn: one Delivery row per subscribed endpoint, in the
                           same transaction (so persisted before any attempt)
                                               │  after commit: the jobs, in memory
                                               ▼
    (Dispatcher  polls for events no sink took, e.g. written by another process, and fans
                 them out the same way)
                                               │
                                               ▼
    Scheduler    due now → the endpoint's Lane; later → a timer heap on the Clock
                                               │
    Lane         one per endpoint, at most ``concurrency`` attempts in flight; a slow or
                 dead endpoint only ever occupies its own lane
                                               │  outcome
                                               ▼
    Writer       batches delivery updates and attempt-log rows into one transaction;
                 a failure is rescheduled by ``schedule.after_failure`` or dead-lettered

Guarantee: at least once. A crash between an attempt and the write of its outcome makes the
attempt happen again after restart, with the same event id. Order is not guaranteed: events
are attempted in emit order per endpoint, but concurrency and retries can reorder arrivals.
"""

from __future__ import annotations

import asyncio
import collections
import heapq
import itertools
import logging
import random
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import RowMapping

from server.clock import Clock
from server.events.outbox import EventRecord
from server.ids import new_id
from server.store import webhooks as store
from server.store.db import Database, Tx

from . import schedule
from .directory import EndpointDirectory, EndpointInfo
from .sender import AttemptOutcome, WebhookTransport
from .signing import signature_headers

logger = logging.getLogger(__name__)

DISPATCH_BATCH = 500
WRITE_BATCH = 1000
WRITE_LINGER_S = 0.05  # outcomes are write-behind: a crash inside this window only repeats
POLL_INTERVAL_S = 1.0
PRUNE_EVERY_S = 10.0


@dataclass(slots=True, eq=False)
class Job:
    delivery_id: str
    tenant_id: str
    endpoint_id: str
    event_id: str
    event_type: str
    body: bytes
    attempts: int


@dataclass(eq=False)
class _Lane:
    queue: collections.deque[Job] = field(default_factory=collections.deque)
    parked: list[Job] = field(default_factory=list)  # held while the endpoint is disabled
    inflight: int = 0


class DeliveryEngine:
    def __init__(
        self,
        *,
        db: Database,
        directory: EndpointDirectory,
        transport: WebhookTransport,
        clock: Clock,
        concurrency_per_endpoint: int = 8,
        rng: random.Random | None = None,
        on_attempt: Callable[[str, float], None] | None = None,
    ) -> None:
        """``on_attempt(outcome, latency_ms)``: told after every scheduled attempt
        (outcome ``delivered``, ``retrying`` or ``dead``), for the metrics."""
        self._on_attempt = on_attempt
        self._db = db
        self._directory = directory
        self._transport = transport
        self._clock = clock
        self._concurrency = concurrency_per_endpoint
        self._rng = rng or random.Random()
        self._lanes: dict[str, _Lane] = {}
        self._timers: list[tuple[float, int, Job]] = []
        self._seq = itertools.count()
        self._known: set[str] = set()  # delivery ids held in memory (queued, in flight, timed)
        self._outcomes: list[tuple[store.DeliveryUpdate | None, store.AttemptRow]] = []
        self._dispatch_wake = asyncio.Event()
        self._timer_wake = asyncio.Event()
        self._write_wake = asyncio.Event()
        self._touched: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._running = False

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        self._running = True
        await self.load_pending()
        for coro in (
            self._dispatch_loop(),
            self._timer_loop(),
            self._write_loop(),
            self._prune_loop(),
        ):
            self._spawn(coro)
        self.wake()

    async def stop(self) -> None:
        self._running = False
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._flush()  # outcomes already known are written; unsent jobs stay pending

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def wake(self) -> None:
        """New events were committed: fan them out now rather than at the next poll."""
        self._dispatch_wake.set()

    # -- dispatcher -----------------------------------------------------------------------

    async def _dispatch_loop(self) -> None:
        while self._running:
            try:
                while await self.dispatch_once() == DISPATCH_BATCH:
                    pass
            except Exception:
                logger.exception("x webhook dispatch failed; retrying")
            try:
                await asyncio.wait_for(self._dispatch_wake.wait(), POLL_INTERVAL_S)
            except TimeoutError:
                pass
            self._dispatch_wake.clear()

    async def fan_out_txn(self, tx: Tx, events: Sequence[EventRecord]) -> None:
        """Outbox sink: create these events' deliveries in the emitting transaction."""
        endpoints = await self._directory.for_tenants({e.tenant_id for e in events}, tx.conn)
        jobs = await self._create_deliveries_txn(tx, list(events), endpoints)
        if jobs:
            tx.after_commit(lambda: self._accept(jobs))

    async def _create_deliveries_txn(
        self, tx: Tx, batch: list[EventRecord], endpoints: dict[str, list[EndpointInfo]]
    ) -> list[Job]:
        now = self._clock.now()
        rows: list[dict[str, Any]] = []
        jobs: list[Job] = []
        for ev in batch:
            body = ev.body.encode()
            for ep in endpoints.get(ev.tenant_id, ()):
                if not ep.wants(ev.type):
                    continue
                delivery_id = new_id("dlv", now)
                rows.append(
                    {
                        "id": delivery_id,
                        "tenant_id": ev.tenant_id,
                        "endpoint_id": ep.id,
                        "event_id": ev.id,
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                jobs.append(Job(delivery_id, ev.tenant_id, ep.id, ev.id, ev.type, body, 0))
        await store.insert_deliveries_txn(tx, rows)
        return jobs

    def _accept(self, jobs: list[Job]) -> None:
        for job in jobs:
            self._known.add(job.delivery_id)
            self._enqueue(job)

    async def dispatch_once(self) -> int:
        """Fan out one batch of events no sink took; returns how many it handled."""
        async with self._db.read() as conn:  # cheap check first: no write lock when idle
            if not await store.has_undispatched(conn):
                return 0
        async with self._db.transaction() as tx:
            rows = await store.claim_undispatched_txn(tx, DISPATCH_BATCH)
            if not rows:
                return 0
            batch = [
                EventRecord(r["id"], r["tenant_id"], r["type"], r["created_at"], r["body"])
                for r in rows
            ]
            endpoints = await self._directory.for_tenants({e.tenant_id for e in batch}, tx.conn)
            jobs = await self._create_deliveries_txn(tx, batch, endpoints)
            await store.mark_dispatched_txn(tx, [r["seq"] for r in rows])
        self._accept(jobs)
        return len(rows)

    # -- loading what the database owes -------------------------------------------------------

    async def load_pending(self, endpoint_id: str | None = None) -> int:
        """Schedule pending deliveries not yet in memory (after a restart or a DLQ retry)."""
        loaded = 0
        after = ""
        while True:
            async with self._db.read() as conn:
                rows = await store.pending_deliveries(conn, after_id=after, endpoint_id=endpoint_id)
            if not rows:
                return loaded
            after = rows[-1]["id"]
            for row in rows:
                if row["id"] in self._known:
                    continue
                self._known.add(row["id"])
                loaded += 1
                self._schedule(_job_from_row(row), row["next_attempt_at"])

    # -- scheduling ---------------------------------------------------------------------------

    def _schedule(self, job: Job, at: float) -> None:
        if at <= self._clock.now():
            self._enqueue(job)
            return
        heapq.heappush(self._timers, (at, next(self._seq), job))
        self._timer_wake.set()

    async def _timer_loop(self) -> None:
        while self._running:
            now = self._clock.now()
            while self._timers and self._timers[0][0] <= now:
                self._enqueue(heapq.heappop(self._timers)[2])
            self._timer_wake.clear()
            waiters: list[asyncio.Future[Any]] = [asyncio.ensure_future(self._timer_wake.wait())]
            if self._timers:
                waiters.append(asyncio.ensure_future(self._clock.sleep(self._timers[0][0] - now)))
            try:
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()

    def _enqueue(self, job: Job) -> None:
        lane = self._lanes.get(job.endpoint_id)
        if lane is None:
            lane = self._lanes[job.endpoint_id] = _Lane()
        lane.queue.append(job)
        while lane.inflight < self._concurrency and len(lane.queue) > lane.inflight:
            lane.inflight += 1
            self._spawn(self._drain(job.endpoint_id, lane))

    async def _drain(self, endpoint_id: str, lane: _Lane) -> None:
        try:
            while lane.queue and self._running:
                job = lane.queue.popleft()
                endpoint = await self._directory.get(endpoint_id)
                if endpoint is None:  # endpoint deleted: its deliveries went with it
                    self._known.discard(job.delivery_id)
                    continue
                if not endpoint.enabled:
                    lane.parked.append(job)
                    continue
                outcome = await self._attempt(endpoint, job)
                self._record(job, outcome)
        finally:
            lane.inflight -= 1

    def resume(self, endpoint_id: str) -> None:
        """An endpoint was re-enabled: send what was held for it."""
        lane = self._lanes.get(endpoint_id)
        if lane is not None:
            parked, lane.parked = lane.parked, []
            for job in parked:
                self._enqueue(job)

    # -- attempts -----------------------------------------------------------------------------

    async def _attempt(self, endpoint: EndpointInfo, job: Job) -> AttemptOutcome:
        if endpoint.secret is None:
            return AttemptOutcome(None, 0.0, "endpoint secret unreadable: SIVO_SECRET_KEY changed")
        headers = signature_headers(
            secret=endpoint.secret,
            previous_secret=endpoint.previous_secret,
            event_id=job.event_id,
            event_type=job.event_type,
            timestamp=int(self._clock.now()),
            body=job.body,
        )
        return await self._transport.post(endpoint.url, job.body, headers)

    async def send_test(
        self, endpoint: EndpointInfo, event_id: str, event_type: str, body: bytes
    ) -> AttemptOutcome:
        """One attempt outside the schedule (the built-in tester); logged, never retried."""
        job = Job(
            f"test_{event_id[4:]}", endpoint.tenant_id, endpoint.id, event_id, event_type, body, 0
        )
        outcome = await self._attempt(endpoint, job)
        self._log_attempt(job, outcome, attempt=1, update=None)
        return outcome

    async def lag_s(self) -> float:
        """How long the longest-waiting due delivery has waited (0 when none is due)."""
        now = self._clock.now()
        async with self._db.read() as conn:
            oldest = await store.oldest_due_pending(conn, now)
        return max(0.0, now - oldest) if oldest is not None else 0.0

    def _record(self, job: Job, outcome: AttemptOutcome) -> None:
        now = self._clock.now()
        job.attempts += 1
        if outcome.ok:
            status, next_at, dead_at = "delivered", now, None
            self._known.discard(job.delivery_id)
        else:
            retry_after = schedule.parse_retry_after(outcome.retry_after, now)
            nxt = schedule.after_failure(
                attempts=job.attempts, now=now, jitter=self._rng.random(), retry_after_s=retry_after
            )
            if nxt.at is None:
                status, next_at, dead_at = "dead", now, now
                self._known.discard(job.delivery_id)
                logger.warning(
                    "%s x dead-lettered after %d attempts: %s",
                    job.delivery_id,
                    job.attempts,
                    outcome.error,
                )
            else:
                status, next_at, dead_at = "pending", nxt.at, None
                self._schedule(job, nxt.at)
        if self._on_attempt is not None:
            label = {"delivered": "delivered", "dead": "dead"}.get(status, "retrying")
            self._on_attempt(label, outcome.latency_ms)
        update = store.DeliveryUpdate(
            job.delivery_id,
            status,
            job.attempts,
            next_at,
            outcome.status_code,
            outcome.error,
            now,
            dead_at,
        )
        self._log_attempt(job, outcome, attempt=job.attempts, update=update)

    def _log_attempt(
        self,
        job: Job,
        outcome: AttemptOutcome,
        *,
        attempt: int,
        update: store.DeliveryUpdate | None,
    ) -> None:
        row = store.AttemptRow(
            job.tenant_id,
            job.endpoint_id,
            job.delivery_id,
            job.event_id,
            job.event_type,
            attempt,
            outcome.status_code,
            outcome.latency_ms,
            outcome.error,
            self._clock.now(),
        )
        self._outcomes.append((update, row))
        self._touched.add(job.endpoint_id)
        self._write_wake.set()

    # -- writer -------------------------------------------------------------------------------

    async def _write_loop(self) -> None:
        while self._running:
            await self._write_wake.wait()
            self._write_wake.clear()
            if len(self._outcomes) < WRITE_BATCH:
                await asyncio.sleep(WRITE_LINGER_S)  # let a burst of outcomes share one commit
            try:
                await self._flush()
            except Exception:
                logger.exception("x writing webhook outcomes failed; will retry")
                await asyncio.sleep(1.0)
                self._write_wake.set()

    async def _flush(self) -> None:
        while self._outcomes:
            batch = self._outcomes[:WRITE_BATCH]
            async with self._db.transaction() as tx:
                await store.record_outcomes_txn(
                    tx, [u for u, _ in batch if u is not None], [a for _, a in batch]
                )
            del self._outcomes[: len(batch)]

    async def _prune_loop(self) -> None:
        while self._running:
            await asyncio.sleep(PRUNE_EVERY_S)
            touched, self._touched = self._touched, set()
            try:
                async with self._db.transaction() as tx:
                    await store.prune_attempts_txn(tx, touched)
            except Exception:
                logger.exception("x pruning the attempt log failed")

    # -- introspection for tests and the dashboard ------------------------------------------

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until nothing is queued or in flight and all outcomes are written."""

        async def settled() -> None:
            while (
                any(lane.queue or lane.inflight for lane in self._lanes.values()) or self._outcomes
            ):
                await asyncio.sleep(0.01)

        await asyncio.wait_for(settled(), timeout)


def _job_from_row(row: RowMapping) -> Job:
    return Job(
        row["id"],
        row["tenant_id"],
        row["endpoint_id"],
        row["event_id"],
        row["type"],
        row["body"].encode(),
        row["attempts"],
    )
