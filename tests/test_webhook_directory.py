"""The endpoint directory's cache: one read per endpoint when an entry goes stale, and a
change made meanwhile is never covered by the read that began before it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from server.api.context import SERVICES
from server.clock import FakeClock
from server.schemas.webhooks import EndpointCreate, EndpointUpdate
from server.store import webhooks as store
from server.webhooks.directory import CACHE_TTL_S, EndpointDirectory

from .conftest import AppFactory


async def _setup(make_client: AppFactory) -> tuple[Any, EndpointDirectory, str, str, FakeClock]:
    clock = FakeClock()
    client = await make_client(clock=clock)
    svc = client.app[SERVICES]
    tenant, _ = await svc.identity.create_tenant("directory")
    endpoint = await svc.webhooks.create_endpoint(
        tenant, EndpointCreate(url="https://127.0.0.1:9/hook", events=["*"])
    )
    directory = EndpointDirectory(db=svc.db, box=svc.webhooks._box, clock=clock)
    return svc, directory, tenant, endpoint.id, clock


async def test_a_stale_entry_is_read_once_for_all_who_ask(
    make_client: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc, directory, _, endpoint_id, clock = await _setup(make_client)
    reads = 0
    real = store.get_endpoint_any_tenant

    async def counted(conn: Any, wanted: str) -> Any:
        nonlocal reads
        reads += 1
        return await real(conn, wanted)

    monkeypatch.setattr(store, "get_endpoint_any_tenant", counted)
    first = await directory.get(endpoint_id)
    assert first is not None and reads == 1
    clock.advance(CACHE_TTL_S + 1)
    found = await asyncio.gather(*(directory.get(endpoint_id) for _ in range(8)))
    assert reads == 2  # eight attempts in flight, one read
    assert all(info == first for info in found)


async def test_a_change_during_a_read_is_not_hidden_by_it(
    make_client: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc, directory, tenant, endpoint_id, _ = await _setup(make_client)
    release = asyncio.Event()
    real = store.get_endpoint_any_tenant

    async def slow(conn: Any, wanted: str) -> Any:
        row = await real(conn, wanted)
        await release.wait()  # the endpoint is disabled while this read is out
        return row

    monkeypatch.setattr(store, "get_endpoint_any_tenant", slow)
    before = asyncio.ensure_future(directory.get(endpoint_id))
    await asyncio.sleep(0.05)
    await svc.webhooks.update_endpoint(tenant, endpoint_id, EndpointUpdate(enabled=False))
    directory.invalidate(endpoint_id, tenant)
    release.set()
    stale = await before
    assert stale is not None and stale.enabled  # what it read, returned to its own caller
    monkeypatch.setattr(store, "get_endpoint_any_tenant", real)
    after = await directory.get(endpoint_id)
    assert after is not None and not after.enabled  # read again, not the stale answer
