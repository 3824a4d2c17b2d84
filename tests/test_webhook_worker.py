"""Webhook attempts in the delivery worker process (``SIVO_WEBHOOK_WORKERS=1``), end to end.

The worker is a real child process; the receivers are real HTTPS servers. A worker killed
mid-stream loses nothing, an endpoint changed in the server is seen by the worker at once,
and the worker never outlives the server.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import signal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from server.api.context import SERVICES
from server.events.catalog import CATALOG
from server.store.tables import deliveries
from server.webhooks.worker import DeliveryWorker
from tests.conftest import AppFactory
from tests.support.api import create_endpoint, emit, new_tenant
from tests.support.flood_process import start_flood_server
from tests.support.receiver import Receiver, Reply
from tests.support.tls import LocalPKI

EXAMPLE = CATALOG["call.ended"]["example"]


def _worker(client: Any) -> DeliveryWorker:
    worker = client.app[SERVICES].engine._worker
    assert isinstance(worker, DeliveryWorker) and worker.pid is not None
    return worker


async def _statuses(client: Any) -> dict[str, int]:
    async with client.app[SERVICES].db.read() as conn:
        rows = await conn.execute(
            select(deliveries.c.status, func.count()).group_by(deliveries.c.status)
        )
        return {row.status: row[1] for row in rows.all()}


def _alive(pid: int) -> bool:
    """Running: neither gone nor a zombie left for its new parent to reap."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


async def test_the_worker_attempts_logs_and_reports_to_the_servers_metrics(
    make_client: AppFactory, receivers: Any
) -> None:
    client = await make_client(webhook_workers=1)
    worker = _worker(client)
    assert worker.pid != os.getpid()
    tenant = await new_tenant(client)
    crm, bi = await receivers(), await receivers()
    await create_endpoint(client, tenant, crm.url, ["call.ended"])
    bi_ep = await create_endpoint(client, tenant, bi.url)

    ids = [await emit(client, tenant, "call.ended", EXAMPLE) for _ in range(20)]
    await crm.wait_for(20)
    await bi.wait_for(20)
    await client.app[SERVICES].engine.idle()
    assert {r.headers["X-Sivo-Event-Id"] for r in crm.received} == set(ids)
    assert await _statuses(client) == {"delivered": 40}

    resp = await client.get(
        f"/api/v1/webhooks/endpoints/{bi_ep['id']}/deliveries", headers=tenant.headers
    )
    log = (await resp.json())["data"]
    assert len(log) == 20 and all(e["status_code"] == 200 for e in log)

    for _ in range(50):  # the verdicts reach the server's metrics in batches
        text = await (await client.get("/metrics")).text()
        if 'sivo_webhook_attempts_total{outcome="delivered"} 40.0' in text:
            break
        await asyncio.sleep(0.05)
    assert 'sivo_webhook_attempts_total{outcome="delivered"} 40.0' in text


async def test_a_killed_worker_is_restarted_and_loses_nothing(
    make_client: AppFactory, receivers: Any
) -> None:
    client = await make_client(webhook_workers=1)
    worker = _worker(client)
    tenant = await new_tenant(client)
    slow: Receiver = await receivers(default=Reply(delay_s=0.02))
    await create_endpoint(client, tenant, slow.url)

    ids = [await emit(client, tenant, "call.ended", EXAMPLE) for _ in range(150)]
    await slow.wait_for(20)
    first_pid = worker.pid
    assert first_pid is not None
    os.kill(first_pid, signal.SIGKILL)  # with deliveries queued and in flight
    killed_at = len(slow.received)
    for _ in range(100):
        if worker.restarts == 1:
            break
        await asyncio.sleep(0.05)
    assert worker.restarts == 1 and worker.pid != first_pid

    await slow.wait_for(150, timeout=30)
    await client.app[SERVICES].engine.idle(timeout=30)
    assert killed_at < 150  # the kill left deliveries unfinished
    assert {r.headers["X-Sivo-Event-Id"] for r in slow.received} == set(ids)
    assert await _statuses(client) == {"delivered": 150}


async def test_endpoint_changes_reach_the_worker_at_once(
    make_client: AppFactory, receivers: Any
) -> None:
    client = await make_client(webhook_workers=1)
    tenant = await new_tenant(client)
    receiver: Receiver = await receivers()
    endpoint = await create_endpoint(client, tenant, receiver.url)
    await emit(client, tenant, "call.ended", EXAMPLE)
    await receiver.wait_for(1)  # the worker has this endpoint cached now

    path = f"/api/v1/webhooks/endpoints/{endpoint['id']}"
    resp = await client.patch(path, json={"enabled": False}, headers=tenant.headers)
    assert resp.status == 200
    held = await emit(client, tenant, "call.ended", EXAMPLE)
    await asyncio.sleep(0.5)
    assert len(receiver.received) == 1  # parked, not sent with the cached "enabled"

    resp = await client.patch(path, json={"enabled": True}, headers=tenant.headers)
    (_, resumed) = await receiver.wait_for(2)
    assert resumed.headers["X-Sivo-Event-Id"] == held

    rotated = await (await client.post(f"{path}/rotate-secret", headers=tenant.headers)).json()
    await emit(client, tenant, "call.ended", EXAMPLE)
    (*_, signed) = await receiver.wait_for(3)
    expected = "sha256=" + hmac.new(rotated["secret"].encode(), signed.body, "sha256").hexdigest()
    assert signed.headers["X-Sivo-Signature"] == expected  # the new secret, not the cached one
    assert "X-Sivo-Signature-Previous" in signed.headers


async def test_the_worker_stops_with_the_server(make_client: AppFactory) -> None:
    client = await make_client(webhook_workers=1)
    pid = _worker(client).pid
    assert pid is not None and _alive(pid)
    await client.close()
    assert not _alive(pid)


async def test_the_worker_exits_when_its_server_is_killed(
    make_client: AppFactory, database_url: str, tmp_path: Path, pki: LocalPKI
) -> None:
    """A SIGKILLed server cannot stop its worker: the worker's stdin closing does."""
    setup = await make_client()
    tenant = await new_tenant(setup)
    await setup.close()
    env = {
        **os.environ,
        "SIVO_DATABASE_URL": database_url,
        "SIVO_DATA_DIR": str(tmp_path),
        "SIVO_WEBHOOK_WORKERS": "1",
        "SIVO_LOG_LEVEL": "WARNING",
    }
    server = await start_flood_server(env, tenant.id, events_n=0, first=0)
    try:
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        (worker_pid,) = (
            int(pid)
            for pid in children
            if b"server.webhooks.worker_process" in Path(f"/proc/{pid}/cmdline").read_bytes()
        )
    finally:
        server.send_signal(signal.SIGKILL)
        await server.wait()
    for _ in range(100):
        if not _alive(worker_pid):
            break
        await asyncio.sleep(0.1)
    assert not _alive(worker_pid)
