"""The webhook delivery worker process (``python -m server.webhooks.worker_process``).

Started by the server's ``DeliveryWorker`` (``worker.py``, which describes the protocol);
reads its configuration, then jobs and controls, from stdin; writes verdicts and replies to
stdout. Exits when stdin closes, after writing the outcomes it knows.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from server import logs
from server.clock import SystemClock
from server.crypto import SecretBox
from server.delivery import Outcome
from server.store.db import Database

from .directory import EndpointDirectory
from .engine import DeliveryEngine
from .sender import AiohttpTransport
from .ssrf import AddressPolicy
from .worker import WorkerConfig, frame, job_from_wire, read_frame

logger = logging.getLogger(__name__)

REPORT_EVERY_S = 0.05  # verdicts go to the server's metrics in batches


class _Reports:
    """Verdicts for the server's metrics, written to stdout in batches."""

    def __init__(self, out: asyncio.StreamWriter) -> None:
        self._out = out
        self._items: list[tuple[str, float]] = []
        self._flushing = False

    def attempt(self, verdict: str, latency_ms: float) -> None:
        self._items.append((verdict, latency_ms))
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().call_later(REPORT_EVERY_S, self.flush)

    def flush(self) -> None:
        self._flushing = False
        if self._items:
            self.send({"op": "attempts", "items": self._items})
            self._items = []

    def send(self, message: dict[str, Any]) -> None:
        if not self._out.is_closing():
            self._out.write(frame(message))


def _engine(
    config: WorkerConfig, reports: _Reports
) -> tuple[Database, AiohttpTransport, DeliveryEngine]:
    clock = SystemClock()
    db = Database(config.database_url)
    box = SecretBox(base64.b64decode(config.secret_key_b64))
    policy = AddressPolicy(ipaddress.ip_network(n) for n in config.allow_networks)
    transport = AiohttpTransport(
        policy=policy,
        timeout_s=config.timeout_s,
        ca_bundle=Path(config.ca_bundle) if config.ca_bundle else None,
    )
    engine = DeliveryEngine(
        db=db,
        directory=EndpointDirectory(db=db, box=box, clock=clock),
        transport=transport,
        clock=clock,
        concurrency_per_endpoint=config.concurrency_per_endpoint,
        on_attempt=reports.attempt,
        in_worker=True,  # the server fans out; this process only attempts
    )
    return db, transport, engine


async def _handle(engine: DeliveryEngine, reports: _Reports, message: dict[str, Any]) -> None:
    op = message["op"]
    if op == "jobs":
        engine.submit([job_from_wire(item) for item in message["jobs"]])
    elif op == "resume":
        engine.resume(message["lane"])
    elif op == "endpoint_changed":
        engine.endpoint_changed(message["endpoint_id"], message["tenant_id"])
    elif op == "log":
        engine.log_attempt(
            job_from_wire(message["job"]), Outcome(**message["outcome"]), message["attempt"]
        )
    elif op == "load_pending":
        value: Any = await engine.load_pending(message["lane"])
        reports.send({"op": "reply", "id": message["id"], "value": value})
    elif op == "idle":
        try:
            await engine.idle(message["timeout"])
            value = True
        except TimeoutError:
            value = False
        reports.send({"op": "reply", "id": message["id"], "value": value})
    else:
        logger.error("x delivery worker: unknown op %r", op)


async def main() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**26)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    # Ctrl-C in a terminal reaches the whole process group: the server stops this worker
    # itself. SIGTERM (a service manager stopping the group) stops it as the server would.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    loop.add_signal_handler(signal.SIGTERM, reader.feed_eof)
    pipe, protocol = await loop.connect_write_pipe(
        asyncio.streams.FlowControlMixin, os.fdopen(sys.stdout.fileno(), "wb", 0)
    )
    out = asyncio.StreamWriter(pipe, protocol, None, loop)
    first = await read_frame(reader)
    if first is None or first.pop("op") != "config":
        return
    config = WorkerConfig(**first)
    logs.configure(config.log_level, config.log_format)
    reports = _Reports(out)
    db, transport, engine = _engine(config, reports)
    await engine.start()  # loads every pending delivery (those of a worker that died too)
    controls: set[asyncio.Task[None]] = set()
    try:
        while (message := await read_frame(reader)) is not None:
            if message["op"] in ("load_pending", "idle"):  # awaited: off the reading path
                task = asyncio.ensure_future(_handle(engine, reports, message))
                controls.add(task)
                task.add_done_callback(controls.discard)
            else:
                await _handle(engine, reports, message)
    finally:
        for task in controls:
            task.cancel()
        await engine.stop()
        reports.flush()
        await transport.close()
        await db.close()
        pipe.close()


if __name__ == "__main__":
    asyncio.run(main())
