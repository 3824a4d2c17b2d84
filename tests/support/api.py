"""Small helpers for tests that drive the API and emit events like domain code does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp.test_utils import TestClient

from server.api.context import SERVICES
from server.app import OUTBOX


@dataclass(frozen=True)
class Tenant:
    id: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


async def new_tenant(client: TestClient[Any, Any], name: str = "Acme") -> Tenant:
    tenant_id, key = await client.app[SERVICES].identity.create_tenant(name)
    return Tenant(tenant_id, key)


async def emit(
    client: TestClient[Any, Any], tenant: Tenant, type: str, data: dict[str, Any]
) -> str:
    services = client.app[SERVICES]
    async with services.db.transaction() as tx:
        return await client.app[OUTBOX].emit_txn(tx, tenant.id, type, data)


async def create_endpoint(
    client: TestClient[Any, Any], tenant: Tenant, url: str, events: list[str] | None = None
) -> dict[str, Any]:
    resp = await client.post(
        "/api/v1/webhooks/endpoints",
        json={"url": url, "events": events or ["*"], "description": "test"},
        headers=tenant.headers,
    )
    assert resp.status == 201, await resp.text()
    body: dict[str, Any] = await resp.json()
    return body
