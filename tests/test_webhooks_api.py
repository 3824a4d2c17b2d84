"""The endpoints API: validation, secrecy, tenant isolation, keys; bad input leaves nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from server.api.context import SERVICES
from server.store.tables import webhook_endpoints
from tests.conftest import AppFactory
from tests.support.api import create_endpoint, new_tenant

GOOD = {"url": "https://127.0.0.1:9/hook", "events": ["call.ended"], "description": "CRM"}


async def _endpoint_count(client: Any) -> int:
    async with client.app[SERVICES].db.read() as conn:
        return int(
            (await conn.execute(select(func.count()).select_from(webhook_endpoints))).scalar()
        )


async def test_create_shows_secret_once_and_stores_it_encrypted(make_client: AppFactory) -> None:
    client = await make_client()
    tenant = await new_tenant(client)
    created = await create_endpoint(client, tenant, GOOD["url"], ["call.ended", "call.created"])
    assert created["secret"].startswith("whsec_")
    assert created["events"] == ["call.created", "call.ended"]
    fetched = await (
        await client.get(f"/api/v1/webhooks/endpoints/{created['id']}", headers=tenant.headers)
    ).json()
    assert "secret" not in fetched
    listed = await (await client.get("/api/v1/webhooks/endpoints", headers=tenant.headers)).json()
    assert [e["id"] for e in listed["data"]] == [created["id"]]
    async with client.app[SERVICES].db.read() as conn:
        stored = (await conn.execute(select(webhook_endpoints.c.secret_enc))).scalar_one()
    assert created["secret"] not in stored and created["secret"][6:] not in stored


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({**GOOD, "url": "http://127.0.0.1/hook"}, 422, "invalid_url", "url"),
        ({**GOOD, "url": "https://"}, 422, "invalid_url", "url"),
        ({**GOOD, "url": "not a url"}, 422, "invalid_url", "url"),
        ({**GOOD, "url": "https://user:pw@127.0.0.1/"}, 422, "invalid_url", "url"),
        ({**GOOD, "url": "https://127.0.0.1:99999/"}, 422, "invalid_url", "url"),
        ({**GOOD, "events": ["call.exploded"]}, 422, "unknown_event_type", "events"),
        ({**GOOD, "events": []}, 422, "invalid", "events"),
        ({**GOOD, "events": ["*", "call.ended"]}, 422, "invalid", "events"),
        ({**GOOD, "description": 5}, 422, "invalid", "description"),
    ],
)
async def test_bad_endpoint_input_is_refused_and_stores_nothing(
    make_client: AppFactory, body: dict[str, Any], status: int, code: str, field: str
) -> None:
    client = await make_client()
    tenant = await new_tenant(client)
    resp = await client.post("/api/v1/webhooks/endpoints", json=body, headers=tenant.headers)
    assert resp.status == status
    err = (await resp.json())["error"]
    assert (err["code"], err["field"]) == (code, field) and err["message"]
    assert await _endpoint_count(client) == 0


async def test_loopback_is_refused_without_the_allow_list(make_client: AppFactory) -> None:
    client = await make_client(webhook_allow_networks=())
    tenant = await new_tenant(client)
    for url in ("https://127.0.0.1/hook", "https://localhost:8443/", "https://[::1]/x"):
        resp = await client.post(
            "/api/v1/webhooks/endpoints", json={**GOOD, "url": url}, headers=tenant.headers
        )
        assert resp.status == 422
        assert (await resp.json())["error"]["code"] == "blocked_destination"
    assert await _endpoint_count(client) == 0


async def test_malformed_json_and_auth_errors(make_client: AppFactory) -> None:
    client = await make_client()
    tenant = await new_tenant(client)
    resp = await client.post(
        "/api/v1/webhooks/endpoints",
        data=b"{not json",
        headers={**tenant.headers, "Content-Type": "application/json"},
    )
    assert resp.status == 400 and (await resp.json())["error"]["code"] == "invalid_json"
    resp = await client.get("/api/v1/webhooks/endpoints")
    assert resp.status == 401
    resp = await client.get(
        "/api/v1/webhooks/endpoints", headers={"Authorization": "Bearer sivo_nope_nope"}
    )
    assert resp.status == 401 and (await resp.json())["error"]["code"] == "unauthorized"


async def test_revoked_key_stops_working(make_client: AppFactory) -> None:
    client = await make_client()
    tenant = await new_tenant(client)
    created = await (
        await client.post("/api/v1/api-keys", json={"name": "ci"}, headers=tenant.headers)
    ).json()
    second = {"Authorization": f"Bearer {created['key']}"}
    assert (await client.get("/api/v1/webhooks/endpoints", headers=second)).status == 200
    assert (
        await client.delete(f"/api/v1/api-keys/{created['id']}", headers=tenant.headers)
    ).status == 204
    assert (await client.get("/api/v1/webhooks/endpoints", headers=second)).status == 401
    keys = await (await client.get("/api/v1/api-keys", headers=tenant.headers)).json()
    assert all("key" not in k and "digest" not in k for k in keys["data"])


async def test_another_tenants_ids_are_404(make_client: AppFactory) -> None:
    client = await make_client()
    alice, bob = await new_tenant(client, "Alice"), await new_tenant(client, "Bob")
    endpoint = await create_endpoint(client, alice, GOOD["url"])
    base = f"/api/v1/webhooks/endpoints/{endpoint['id']}"
    for method, path, body in [
        ("GET", base, None),
        ("PATCH", base, {"enabled": False}),
        ("DELETE", base, None),
        ("POST", f"{base}/rotate-secret", None),
        ("GET", f"{base}/deliveries", None),
        ("POST", f"{base}/test", {"type": "call.created"}),
    ]:
        resp = await client.request(method, path, json=body, headers=bob.headers)
        assert resp.status == 404, (method, path)
    listed = await (await client.get("/api/v1/webhooks/endpoints", headers=bob.headers)).json()
    assert listed["data"] == []
    still = await client.get(base, headers=alice.headers)
    assert still.status == 200 and (await still.json())["enabled"] is True


async def test_patch_validates_and_updates(make_client: AppFactory) -> None:
    client = await make_client()
    tenant = await new_tenant(client)
    endpoint = await create_endpoint(client, tenant, GOOD["url"])
    path = f"/api/v1/webhooks/endpoints/{endpoint['id']}"
    bad = await client.patch(path, json={"url": "http://x/"}, headers=tenant.headers)
    assert bad.status == 422
    bad = await client.patch(path, json={"secret": "mine"}, headers=tenant.headers)
    assert bad.status == 422 and (await bad.json())["error"]["field"] == "secret"
    ok = await client.patch(
        path,
        json={"events": ["queue.entered"], "enabled": False, "description": "BI"},
        headers=tenant.headers,
    )
    body = await ok.json()
    assert (body["events"], body["enabled"], body["description"], body["url"]) == (
        ["queue.entered"],
        False,
        "BI",
        GOOD["url"],
    )
    assert (await client.delete(path, headers=tenant.headers)).status == 204
    assert (await client.get(path, headers=tenant.headers)).status == 404


async def test_event_schema_is_public_and_complete(make_client: AppFactory) -> None:
    client = await make_client()
    doc = await (await client.get("/api/v1/events/schema")).json()
    assert set(doc["events"]) == {
        "call.created",
        "call.ringing",
        "call.ring_missed",
        "call.answered",
        "call.held",
        "call.resumed",
        "call.transferred",
        "call.ended",
        "call.recorded",
        "transcript.segment",
        "transcript.completed",
        "queue.entered",
        "queue.abandoned",
        "agent.status_changed",
        "agent.paused",
        "ivr.completed",
        "ai_agent.completed",
    }
    assert (await client.get("/healthz")).status == 200
