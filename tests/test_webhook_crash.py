"""SIGKILL the server mid-flood, restart it: every committed event reaches every endpoint."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import select

from server.store.db import Database
from server.store.tables import events
from tests.conftest import AppFactory
from tests.support.api import create_endpoint, new_tenant
from tests.support.receiver import Receiver, Reply
from tests.support.tls import LocalPKI

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _start(
    env: dict[str, str], tenant: str, events_n: int, first: int
) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.flood_server",
        "--tenant",
        tenant,
        "--events",
        str(events_n),
        "--first",
        str(first),
        "--port",
        str(_free_port()),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 30)
    assert line.strip() == b"ready", line
    return proc


async def test_sigkill_mid_stream_loses_nothing(
    make_client: AppFactory, receivers: Any, database_url: str, tmp_path: Path, pki: LocalPKI
) -> None:
    setup = await make_client()
    tenant = await new_tenant(setup)
    # Slow receivers build a backlog, so the kill lands with deliveries queued and in flight.
    crm: Receiver = await receivers(default=Reply(delay_s=0.03))
    bi: Receiver = await receivers(default=Reply(delay_s=0.03))
    for receiver in (crm, bi):
        await create_endpoint(setup, tenant, receiver.url)
    await setup.close()

    env = {
        **os.environ,
        "SIVO_DATABASE_URL": database_url,
        "SIVO_DATA_DIR": str(tmp_path),  # the same master key file as the setup app
        "SIVO_WEBHOOK_ALLOW_NETWORKS": "127.0.0.0/8",
        "SIVO_WEBHOOK_CA_BUNDLE": str(pki.ca_file),
        "SIVO_LOG_LEVEL": "WARNING",
    }
    first = await _start(env, tenant.id, events_n=600, first=0)
    await crm.wait_for(150, timeout=30)  # mid-stream: emitting and delivering at once
    first.send_signal(signal.SIGKILL)
    await first.wait()
    killed_at = len(crm.received)
    check = Database(database_url)
    async with check.read() as conn:
        before_restart = len(set((await conn.execute(select(events.c.id))).scalars()))

    second = await _start(env, tenant.id, events_n=50, first=10_000)
    try:
        async with check.read() as conn:
            committed: set[str] = set()
            for _ in range(600):
                committed = set((await conn.execute(select(events.c.id))).scalars())
                if len(committed) == before_restart + 50 and all(
                    committed <= {r.headers["X-Sivo-Event-Id"] for r in rec.received}
                    for rec in (crm, bi)
                ):
                    break
                await asyncio.sleep(0.1)
                await conn.rollback()
        await check.close()
    finally:
        second.send_signal(signal.SIGTERM)
        await second.wait()

    assert killed_at < before_restart  # the kill left events undelivered
    assert len(committed) == before_restart + 50
    for receiver in (crm, bi):
        bodies: dict[str, set[bytes]] = defaultdict(set)
        for r in receiver.received:
            bodies[r.headers["X-Sivo-Event-Id"]].add(r.body)
            assert json.loads(r.body)["id"] == r.headers["X-Sivo-Event-Id"]
        assert committed <= set(bodies), f"{len(committed - set(bodies))} events never arrived"
        assert set(bodies) <= committed  # nothing announced that did not commit
        assert all(len(b) == 1 for b in bodies.values())  # a repeat is the same event, same id
