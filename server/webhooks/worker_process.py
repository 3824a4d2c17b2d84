"""The webhook delivery worker process (``python -m server.webhooks.worker_process``).

Started by the server's ``DeliveryWorker`` (``worker.py``, which describes the protocol);
reads its configuration, then jobs, controls and acks, from stdin; writes outcomes,
verdicts and replies to stdout. Stops on ``stop`` or when stdin closes.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import itertools
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from server import logs
from server.clock import SystemClock
from server.crypto import SecretBox
from server.delivery import Attempted, Outcome
from server.store.db import Database

from .directory import EndpointDirectory
from .engine import DeliveryEngine
from .ledger import WebhookJob, WebhookLedger, WebhookPayload
from .sender import AiohttpTransport
from .ssrf import AddressPolicy
from .worker import WorkerConfig, attempted_to_wire, frame, job_from_wire, read_frame

logger = logging.getLogger(__name__)

REPORT_EVERY_S = 0.05  # verdicts go to the server's metrics in batches
ACK_TIMEOUT_S = 60.0


class _Server:
    """The link to the serving process: frames out, replies to this process's questions."""

    def __init__(self, out: asyncio.StreamWriter) -> None:
        self._out = out
        self._replies: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count(1)
        self._verdicts: list[tuple[str, float]] = []
        self._reporting = False
        self.gone = False  # stdin ended: nothing the server answers will arrive

    def send(self, message: dict[str, Any]) -> None:
        if not self._out.is_closing():
            self._out.write(frame(message))

    async def ask(self, message: dict[str, Any]) -> Any:
        if self.gone:
            raise ConnectionError("the server is gone")
        request_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._replies[request_id] = future
        self.send({**message, "id": request_id})
        try:
            return await asyncio.wait_for(future, ACK_TIMEOUT_S)
        finally:
            self._replies.pop(request_id, None)

    def answered(self, request_id: int, value: Any) -> None:
        future = self._replies.pop(request_id, None)
        if future is not None and not future.done():
            future.set_result(value)

    def ended(self) -> None:
        self.gone = True
        for future in self._replies.values():
            if not future.done():
                future.set_exception(ConnectionError("the server is gone"))

    def attempt(self, verdict: str, latency_ms: float) -> None:
        """The engine's ``on_attempt``: for the server's metrics, in batches."""
        self._verdicts.append((verdict, latency_ms))
        if not self._reporting:
            self._reporting = True
            asyncio.get_running_loop().call_later(REPORT_EVERY_S, self.report)

    def report(self) -> None:
        self._reporting = False
        if self._verdicts:
            self.send({"op": "attempts", "items": self._verdicts})
            self._verdicts = []


class PipeLedger:
    """The worker's ledger: outcomes go to the server, which writes them (one writing
    process on SQLite); with the server gone, this process writes them itself."""

    def __init__(self, server: _Server, direct: WebhookLedger) -> None:
        self._server = server
        self._direct = direct

    async def write(self, batch: Sequence[Attempted[WebhookPayload]]) -> None:
        try:
            written = await self._server.ask(
                {"op": "outcomes", "items": [attempted_to_wire(a) for a in batch]}
            )
        except ConnectionError:
            await self._direct.write(batch)
            return
        if not written:
            raise RuntimeError("the server could not write the outcomes")  # the core retries

    def pending(self, lane: str | None) -> AsyncIterator[WebhookJob]:
        return self._direct.pending(lane)


def _engine(
    config: WorkerConfig, server: _Server
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
        on_attempt=server.attempt,
        outcomes=PipeLedger(server, WebhookLedger(db=db)),
        in_worker=True,  # the server fans out and prunes; this process attempts
    )
    return db, transport, engine


async def _answer(engine: DeliveryEngine, server: _Server, message: dict[str, Any]) -> None:
    value: Any
    if message["op"] == "load_pending":
        value = await engine.load_pending(message["lane"])
    else:  # idle
        try:
            await engine.idle(message["timeout"])
            value = True
        except TimeoutError:
            value = False
    server.send({"op": "reply", "id": message["id"], "value": value})


async def _serve(reader: asyncio.StreamReader, engine: DeliveryEngine, server: _Server) -> None:
    """Handle the server's frames until ``stop`` or the end of stdin."""
    questions: set[asyncio.Task[None]] = set()
    try:
        while (message := await read_frame(reader)) is not None:
            op = message["op"]
            if op == "jobs":
                engine.submit([job_from_wire(item) for item in message["jobs"]])
            elif op == "reply":
                server.answered(message["id"], message["value"])
            elif op == "resume":
                engine.resume(message["lane"])
            elif op == "endpoint_changed":
                engine.endpoint_changed(message["endpoint_id"], message["tenant_id"])
            elif op == "log":
                outcome = Outcome(**message["outcome"])
                engine.log_attempt(job_from_wire(message["job"]), outcome, message["attempt"])
            elif op in ("load_pending", "idle"):  # answered later: keep reading meanwhile
                task = asyncio.ensure_future(_answer(engine, server, message))
                questions.add(task)
                task.add_done_callback(questions.discard)
            elif op == "stop":
                break
            else:
                logger.error("x delivery worker: unknown op %r", op)
    finally:
        for task in questions:
            task.cancel()


async def _read_acks(reader: asyncio.StreamReader, server: _Server) -> None:
    while (message := await read_frame(reader)) is not None:
        if message["op"] == "reply":
            server.answered(message["id"], message["value"])
    server.ended()


async def main() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**26)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    # Ctrl-C in a terminal reaches the whole process group: the server stops this worker
    # itself. SIGTERM (a service manager stopping the group) stops it as stdin's end does.
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
    server = _Server(out)
    db, transport, engine = _engine(config, server)
    await engine.start()  # loads every pending delivery (those of a worker that died too)
    await _serve(reader, engine, server)
    acks = None
    if reader.at_eof():
        server.ended()  # the last outcomes are written here, not sent
    else:  # told to stop: the acks of the last outcomes are still to be read
        acks = asyncio.ensure_future(_read_acks(reader, server))
    try:
        await engine.stop()
        server.report()
    finally:
        if acks is not None:
            acks.cancel()
        await transport.close()
        await db.close()
        pipe.close()


if __name__ == "__main__":
    asyncio.run(main())
