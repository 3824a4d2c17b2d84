"""Durable, isolated webhook delivery: the webhook destination of the delivery core.

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
    DeliveryCore (server/delivery/core.py): scheduler, one lane per endpoint with at most
                 ``concurrency`` attempts in flight (a slow or dead endpoint only ever
                 occupies its own lane), parked while the endpoint is disabled, dropped
                 once it is deleted; a failure is retried by ``schedule.after_failure`` or
                 dead-lettered
                                               │  outcome
                                               ▼
    WebhookLedger (ledger.py): delivery updates and attempt-log rows, one transaction
                 per batch

Guarantee: at least once. A crash between an attempt and the write of its outcome makes the
attempt happen again after restart, with the same event id. Order is not guaranteed: events
are attempted in emit order per endpoint, but concurrency and retries can reorder arrivals.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import Any, Protocol

from server.clock import Clock
from server.delivery import DeliveryCore, Job, LanePolicy, LaneState, Ledger, Outcome
from server.events.outbox import EventRecord
from server.ids import new_id
from server.store import webhooks as store
from server.store.db import Database, Tx

from . import schedule
from .directory import EndpointDirectory, EndpointInfo
from .ledger import WebhookJob, WebhookLedger, WebhookPayload
from .sender import AttemptOutcome, WebhookTransport
from .signing import signature_headers
from .worker import DeliveryWorker

logger = logging.getLogger(__name__)

DISPATCH_BATCH = 500
POLL_INTERVAL_S = 1.0
PRUNE_EVERY_S = 10.0


class JobRunner(Protocol):
    """Who makes the attempts: this process's DeliveryCore, or a DeliveryWorker."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def submit(self, jobs: Iterable[WebhookJob]) -> None: ...
    def submit_after_commit(self, tx: Tx, jobs: list[WebhookJob]) -> None: ...
    async def load_pending(self, lane: str | None = None) -> int: ...
    def resume(self, lane_key: str) -> None: ...
    def log_attempt(self, job: WebhookJob, outcome: Outcome, *, attempt: int = 1) -> None: ...
    async def idle(self, timeout: float = 10.0) -> None: ...


class _Endpoints:
    """The core's Destination: an endpoint's lane state, and one signed POST to it."""

    def __init__(
        self, *, directory: EndpointDirectory, transport: WebhookTransport, clock: Clock
    ) -> None:
        self._directory = directory
        self._transport = transport
        self._clock = clock

    async def lane_state(self, lane: str) -> LaneState:
        endpoint = await self._directory.get(lane)
        if endpoint is None:  # endpoint deleted: its deliveries went with it
            return LaneState.GONE
        return LaneState.OPEN if endpoint.enabled else LaneState.PARKED

    async def attempt(self, job: WebhookJob) -> Outcome:
        endpoint = await self._directory.get(job.lane)  # cached by lane_state just now
        if endpoint is None:
            return Outcome.failed("endpoint deleted")
        return self.outcome(await self.post(endpoint, job))

    async def post(self, endpoint: EndpointInfo, job: WebhookJob) -> AttemptOutcome:
        if endpoint.secret is None:
            return AttemptOutcome(None, 0.0, "endpoint secret unreadable: SIVO_SECRET_KEY changed")
        headers = signature_headers(
            secret=endpoint.secret,
            previous_secret=endpoint.previous_secret,
            event_id=job.payload.event_id,
            event_type=job.payload.event_type,
            timestamp=int(self._clock.now()),
            body=job.payload.body,
        )
        return await self._transport.post(endpoint.url, job.payload.body, headers)

    def outcome(self, sent: AttemptOutcome) -> Outcome:
        return Outcome(
            ok=sent.ok,
            status_code=sent.status_code,
            latency_ms=sent.latency_ms,
            error=sent.error,
            retry_after_s=schedule.parse_retry_after(sent.retry_after, self._clock.now()),
        )


class DeliveryEngine:
    """The webhooks' OutboxSink and their DeliveryCore, with the outbox poller."""

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
        ledger: WebhookLedger | None = None,
        outcomes: Ledger[WebhookPayload] | None = None,
        worker: DeliveryWorker | None = None,
        in_worker: bool = False,
    ) -> None:
        """``on_attempt(outcome, latency_ms)``: told after every scheduled attempt
        (outcome ``delivered``, ``retrying`` or ``dead``), for the metrics.

        ``ledger``: the deliveries' ledger, which this engine prunes (made here if None);
        ``outcomes``: where the core writes its outcomes, if not there (a worker's pipe).
        ``worker``: attempts are made in that process (``worker.py``), not in this one.
        ``in_worker``: this is that process's engine: no poller for events no sink took and
        no pruning (the server does both), and jobs it loads at start may also come through
        the pipe.
        """
        self._db = db
        self._directory = directory
        self._clock = clock
        self._endpoints = _Endpoints(directory=directory, transport=transport, clock=clock)
        self._ledger = ledger or WebhookLedger(db=db)
        self._worker = worker
        self._in_worker = in_worker
        self._core: JobRunner = worker or DeliveryCore(
            name="webhooks",
            destination=self._endpoints,
            ledger=outcomes or self._ledger,
            schedule=schedule.retry_at,
            lanes=LanePolicy(concurrency=concurrency_per_endpoint),
            clock=clock,
            rng=rng,
            on_attempt=on_attempt,
            resubmits=in_worker,
        )
        self._dispatch_wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._running = False

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        self._running = True
        await self._core.start()
        if not self._in_worker:
            self._spawn(self._dispatch_loop())
            self._spawn(self._prune_loop())
        self.wake()

    async def stop(self) -> None:
        self._running = False
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._core.stop()  # outcomes already known are written; unsent jobs stay pending

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
        self._core.submit_after_commit(tx, jobs)

    async def _create_deliveries_txn(
        self, tx: Tx, batch: list[EventRecord], endpoints: dict[str, list[EndpointInfo]]
    ) -> list[WebhookJob]:
        now = self._clock.now()
        rows: list[dict[str, Any]] = []
        jobs: list[WebhookJob] = []
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
                payload = WebhookPayload(ev.tenant_id, ev.id, ev.type, body)
                jobs.append(Job(delivery_id, ep.id, payload, now))
        await store.insert_deliveries_txn(tx, rows)
        return jobs

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
                EventRecord(
                    r["id"],
                    r["tenant_id"],
                    r["type"],
                    r["created_at"],
                    r["body"],
                    json.loads(r["data"]),
                )
                for r in rows
            ]
            endpoints = await self._directory.for_tenants({e.tenant_id for e in batch}, tx.conn)
            jobs = await self._create_deliveries_txn(tx, batch, endpoints)
            await store.mark_dispatched_txn(tx, [r["seq"] for r in rows])
        self._core.submit(jobs)
        return len(rows)

    # -- the core's controls --------------------------------------------------------------

    def submit(self, jobs: Sequence[WebhookJob]) -> None:
        """Take jobs whose rows are committed (a worker's, from the serving process)."""
        self._core.submit(jobs)

    def endpoint_changed(self, endpoint_id: str, tenant_id: str) -> None:
        """An endpoint was created, changed or deleted: no cached copy may be used again."""
        self._directory.invalidate(endpoint_id, tenant_id)
        if self._worker is not None:
            self._worker.endpoint_changed(endpoint_id, tenant_id)

    def log_attempt(self, job: WebhookJob, outcome: Outcome, attempt: int) -> None:
        """Log an attempt made outside the schedule (the tester's, sent by the server)."""
        self._core.log_attempt(job, outcome, attempt=attempt)

    async def load_pending(self, endpoint_id: str | None = None) -> int:
        """Schedule pending deliveries not yet in memory (after a restart or a DLQ retry)."""
        return await self._core.load_pending(endpoint_id)

    def resume(self, endpoint_id: str) -> None:
        """An endpoint was re-enabled: send what was held for it."""
        self._core.resume(endpoint_id)

    async def send_test(
        self, endpoint: EndpointInfo, event_id: str, event_type: str, body: bytes
    ) -> AttemptOutcome:
        """One attempt outside the schedule (the built-in tester); logged, never retried."""
        payload = WebhookPayload(endpoint.tenant_id, event_id, event_type, body)
        job = Job(f"test_{event_id[4:]}", endpoint.id, payload, self._clock.now())
        sent = await self._endpoints.post(endpoint, job)
        self._core.log_attempt(job, self._endpoints.outcome(sent), attempt=1)
        return sent

    async def _prune_loop(self) -> None:
        while self._running:
            await asyncio.sleep(PRUNE_EVERY_S)
            try:
                await self._ledger.prune()
            except Exception:
                logger.exception("x pruning the attempt log failed")

    # -- introspection for tests and the dashboard ------------------------------------------

    async def lag_s(self) -> float:
        """How long the longest-waiting due delivery has waited (0 when none is due)."""
        now = self._clock.now()
        async with self._db.read() as conn:
            oldest = await store.oldest_due_pending(conn, now)
        return max(0.0, now - oldest) if oldest is not None else 0.0

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until nothing is queued or in flight and all outcomes are written."""
        await self._core.idle(timeout)
