"""Webhook attempts in a process of their own, so that they run on another core.

::

    serving process                                 delivery worker process
    DeliveryEngine: sink, dispatcher, ── jobs ──>   DeliveryEngine without a dispatcher:
      pruning; its runner: this       ── controls   DeliveryCore, endpoint directory,
      DeliveryWorker                  <── outcomes  transport; its ledger: PipeLedger
    WebhookLedger writes them         ── acks  ──>  (``python -m
                                      <── verdicts   server.webhooks.worker_process``)

The serving process keeps what must happen in the emitting transaction (the deliveries'
rows) and hands each committed job to the worker over a pipe; the worker attempts it and
sends the outcomes back in batches, which the server writes (so that SQLite keeps one
writing process, whose group commits take the outcomes with the emits) and acknowledges.
The handoff holds nothing durable: every job it carries is a committed ``pending`` row, so
a worker that dies loses nothing (an outcome not yet written means the attempt is made
again, as after any crash). It is restarted, and its start loads the pending rows again.
The worker stops when told to, and when its stdin closes (its parent exited or was
killed: it then writes its last outcomes itself), so it never outlives the server.

Frames on both pipes: a 4-byte big-endian length, then a JSON object with an ``op``. The
first frame to the worker is its configuration (the master key among it: a pipe, never an
argument or the environment, which other users of the machine can read).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import logging
import struct
import sys
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from server.delivery import Attempted, Decision, Job, Outcome, Verdict
from server.settings import Settings
from server.store.db import Tx

from .ledger import WebhookJob, WebhookLedger, WebhookPayload

logger = logging.getLogger(__name__)

_LENGTH = struct.Struct(">I")
RESTART_DELAY_S = 1.0  # doubled after each worker that dies young, up to the maximum
RESTART_DELAY_MAX_S = 30.0
HEALTHY_AFTER_S = 30.0  # a worker that lived this long resets the delay
STOP_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class WorkerConfig:
    """What the worker process builds its delivery engine from."""

    database_url: str
    secret_key_b64: str
    allow_networks: list[str]
    timeout_s: float
    ca_bundle: str | None
    concurrency_per_endpoint: int
    log_level: str
    log_format: str


def worker_config(settings: Settings) -> WorkerConfig:
    return WorkerConfig(
        database_url=settings.database_url,
        secret_key_b64=base64.b64encode(settings.secret_key).decode(),
        allow_networks=[str(n) for n in settings.webhook_allow_networks],
        timeout_s=settings.webhook_timeout_s,
        ca_bundle=str(settings.webhook_ca_bundle) if settings.webhook_ca_bundle else None,
        concurrency_per_endpoint=settings.webhook_endpoint_concurrency,
        log_level=settings.log_level,
        log_format=settings.log_format,
    )


def frame(message: dict[str, Any]) -> bytes:
    data = json.dumps(message, separators=(",", ":")).encode()
    return _LENGTH.pack(len(data)) + data


async def read_frame(reader: asyncio.StreamReader) -> dict[str, Any] | None:
    """The next frame, or None at the end of the stream."""
    try:
        head = await reader.readexactly(_LENGTH.size)
        message: dict[str, Any] = json.loads(await reader.readexactly(_LENGTH.unpack(head)[0]))
    except asyncio.IncompleteReadError:
        return None
    return message


def job_to_wire(job: WebhookJob) -> list[Any]:
    p = job.payload
    return [job.id, job.lane, p.tenant_id, p.event_id, p.event_type, p.body.decode(), job.due,
            job.attempts]  # fmt: skip


def job_from_wire(item: list[Any]) -> WebhookJob:
    id_, lane, tenant_id, event_id, event_type, body, due, attempts = item
    return Job(id_, lane, WebhookPayload(tenant_id, event_id, event_type, body.encode()), due,
               attempts)  # fmt: skip


def attempted_to_wire(record: Attempted[WebhookPayload]) -> list[Any]:
    """What the ledger writes of an attempt: the job without its body."""
    job, outcome, decision = record.job, record.outcome, record.decision
    p = job.payload
    return [
        [job.id, job.lane, p.tenant_id, p.event_id, p.event_type, job.due, job.attempts],
        record.attempt,
        [
            outcome.ok,
            outcome.status_code,
            outcome.latency_ms,
            outcome.error,
            outcome.retry_after_s,
            outcome.permanent,
        ],  # fmt: skip
        record.at,
        None if decision is None else [decision.verdict.value, decision.at],
    ]


def attempted_from_wire(item: list[Any]) -> Attempted[WebhookPayload]:
    (id_, lane, tenant_id, event_id, event_type, due, attempts), attempt, outcome, at, decision = (
        item
    )
    return Attempted(
        Job(id_, lane, WebhookPayload(tenant_id, event_id, event_type, b""), due, attempts),
        attempt,
        Outcome(*outcome),
        at,
        None if decision is None else Decision(Verdict(decision[0]), decision[1]),
    )


class DeliveryWorker:
    """The serving process's side: the engine's runner, in place of its own DeliveryCore.

    Supervises the worker process: a worker that exits while this one runs is started
    again after ``RESTART_DELAY_S`` (and loads the pending rows it did not finish).
    """

    def __init__(
        self,
        config: WorkerConfig,
        *,
        ledger: WebhookLedger,
        on_attempt: Callable[[str, float], None] | None = None,
    ) -> None:
        """``ledger`` writes the outcomes the worker sends (the engine's, which prunes)."""
        self._config = config
        self._ledger = ledger
        self._on_attempt = on_attempt
        self._writes: set[asyncio.Task[None]] = set()
        self._proc: asyncio.subprocess.Process | None = None
        self._replies: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count(1)
        self._running = False
        self._supervisor: asyncio.Task[None] | None = None
        self._reader: asyncio.Future[None] | None = None
        self.restarts = 0  # workers started after the first (for the tests and the logs)

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        self._running = True
        await self._spawn()
        self._supervisor = asyncio.ensure_future(self._supervise())

    async def _spawn(self) -> None:
        """Start a worker, without waiting for it: what is sent meanwhile waits in the pipe
        (and a job sent twice, in the pipe and among the pending rows it loads, runs once)."""
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "server.webhooks.worker_process",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        self._send({"op": "config", **asdict(self._config)})
        self._reader = asyncio.ensure_future(self._read(self._proc))
        logger.info("webhook delivery worker started (pid %d)", self._proc.pid)

    def _stopped(self) -> bool:
        return not self._running

    async def _supervise(self) -> None:
        loop = asyncio.get_running_loop()
        delay = RESTART_DELAY_S
        while not self._stopped():
            proc = self._proc
            assert proc is not None and self._reader is not None
            started = loop.time()
            await self._reader
            rc = await proc.wait()
            if self._stopped():
                return
            if loop.time() - started >= HEALTHY_AFTER_S:
                delay = RESTART_DELAY_S
            logger.error("x webhook delivery worker exited (%s); restarting in %g s", rc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RESTART_DELAY_MAX_S)
            if self._stopped():
                return
            try:
                await self._spawn()
                self.restarts += 1
            except Exception:
                logger.exception("x webhook delivery worker failed to start; retrying")

    async def stop(self) -> None:
        """The worker writes the outcomes it knows and exits; unsent jobs stay pending."""
        self._running = False
        proc = self._proc
        if proc is None:
            return
        if proc.returncode is None and self._send({"op": "stop"}):
            # It sends its last outcomes and waits for their acks: the pipe stays open.
            try:
                await asyncio.wait_for(proc.wait(), STOP_TIMEOUT_S)
            except TimeoutError:
                logger.error("x webhook delivery worker did not stop; killing it")
                proc.kill()
                await proc.wait()
        if proc.stdin is not None:
            proc.stdin.close()
        if self._reader is not None and proc.returncode is not None:
            await asyncio.gather(self._reader, return_exceptions=True)  # to its EOF
        if self._supervisor is not None:  # it may be waiting out a restart delay
            self._supervisor.cancel()
            await asyncio.gather(self._supervisor, return_exceptions=True)
        await asyncio.gather(*self._writes, return_exceptions=True)  # the last outcomes

    async def _read(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        while (message := await read_frame(proc.stdout)) is not None:
            op = message["op"]
            if op == "attempts" and self._on_attempt is not None:
                for verdict, latency_ms in message["items"]:
                    self._on_attempt(verdict, latency_ms)
            elif op == "outcomes":
                task = asyncio.ensure_future(self._write(message["id"], message["items"]))
                self._writes.add(task)
                task.add_done_callback(self._writes.discard)
            elif op == "reply":
                future = self._replies.pop(message["id"], None)
                if future is not None and not future.done():
                    future.set_result(message["value"])
        for future in self._replies.values():  # the worker is gone: no answer will come
            if not future.done():
                future.set_exception(ConnectionError("webhook delivery worker exited"))
        self._replies.clear()

    async def _write(self, request_id: int, items: list[list[Any]]) -> None:
        try:
            await self._ledger.write([attempted_from_wire(item) for item in items])
            written = True
        except Exception:
            logger.exception("x writing %d webhook outcomes failed; the worker retries", len(items))
            written = False
        self._send({"op": "reply", "id": request_id, "value": written})

    # -- the engine's runner --------------------------------------------------------------

    def _send(self, message: dict[str, Any]) -> bool:
        proc = self._proc
        if proc is None or proc.stdin is None or proc.stdin.is_closing():
            return False  # a worker being restarted loads the pending rows itself
        proc.stdin.write(frame(message))
        return True

    async def _ask(self, message: dict[str, Any], timeout: float) -> Any:
        request_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._replies[request_id] = future
        if not self._send({**message, "id": request_id}):
            self._replies.pop(request_id, None)
            raise ConnectionError("webhook delivery worker is not running")
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self._replies.pop(request_id, None)

    def submit(self, jobs: Iterable[WebhookJob]) -> None:
        items = [job_to_wire(job) for job in jobs]
        if items:
            self._send({"op": "jobs", "jobs": items})

    def submit_after_commit(self, tx: Tx, jobs: list[WebhookJob]) -> None:
        if jobs:
            tx.after_commit(lambda: self.submit(jobs))

    async def load_pending(self, lane: str | None = None) -> int:
        loaded: int = await self._ask({"op": "load_pending", "lane": lane}, 60.0)
        return loaded

    def resume(self, lane_key: str) -> None:
        self._send({"op": "resume", "lane": lane_key})

    def endpoint_changed(self, endpoint_id: str, tenant_id: str) -> None:
        self._send({"op": "endpoint_changed", "endpoint_id": endpoint_id, "tenant_id": tenant_id})

    def log_attempt(self, job: WebhookJob, outcome: Outcome, *, attempt: int = 1) -> None:
        self._send(
            {"op": "log", "job": job_to_wire(job), "outcome": asdict(outcome), "attempt": attempt}
        )

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until the worker has nothing due, queued or in flight, outcomes written."""
        if not await self._ask({"op": "idle", "timeout": timeout}, timeout + 5.0):
            raise TimeoutError("webhook delivery worker still busy")

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None
