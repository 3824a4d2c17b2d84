"""SIGKILL the server mid-flood, restart it: every committed event reaches every endpoint."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import select

from server.store.db import Database
from server.store.tables import events
from tests.conftest import AppFactory
from tests.support.api import create_endpoint, new_tenant
from tests.support.flood_process import start_flood_server
from tests.support.receiver import Receiver, Reply
from tests.support.tls import LocalPKI


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
    first = await start_flood_server(env, tenant.id, events_n=600, first=0)
    await crm.wait_for(150, timeout=30)  # mid-stream: emitting and delivering at once
    first.send_signal(signal.SIGKILL)
    await first.wait()
    killed_at = len(crm.received)
    check = Database(database_url)
    async with check.read() as conn:
        before_restart = len(set((await conn.execute(select(events.c.id))).scalars()))

    second = await start_flood_server(env, tenant.id, events_n=50, first=10_000)
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
