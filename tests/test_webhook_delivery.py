"""Delivery through the durable pipeline to real HTTPS receivers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from typing import Any

from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from server.api.context import SERVICES
from server.clock import FakeClock
from server.events.catalog import CATALOG
from server.store.tables import deliveries
from server.webhooks.schedule import RETRY_DELAYS_S
from tests.conftest import AppFactory
from tests.support.api import Tenant, create_endpoint, emit, new_tenant
from tests.support.receiver import Reply

EXAMPLE = CATALOG["call.ended"]["example"]


async def _delivery_rows(client: Any) -> list[dict[str, Any]]:
    async with client.app[SERVICES].db.read() as conn:
        rows = (await conn.execute(select(deliveries).order_by(deliveries.c.id))).mappings().all()
    return [dict(r) for r in rows]


async def _log(client: Any, tenant: Tenant, endpoint_id: str) -> list[dict[str, Any]]:
    await client.app[SERVICES].engine.idle()
    resp = await client.get(
        f"/api/v1/webhooks/endpoints/{endpoint_id}/deliveries", headers=tenant.headers
    )
    data: list[dict[str, Any]] = (await resp.json())["data"]
    return data


async def test_delivery_is_signed_filtered_and_logged(
    make_client: AppFactory, receivers: Any
) -> None:
    client = await make_client()
    tenant = await new_tenant(client)
    crm, bi = await receivers(), await receivers()
    crm_ep = await create_endpoint(client, tenant, crm.url, ["call.ended"])
    bi_ep = await create_endpoint(client, tenant, bi.url, ["*"])

    created_id = await emit(client, tenant, "call.created", CATALOG["call.created"]["example"])
    ended_id = await emit(client, tenant, "call.ended", EXAMPLE)
    (got,) = await crm.wait_for(1)
    await bi.wait_for(2)
    await asyncio.sleep(0.2)
    assert len(crm.received) == 1  # the CRM endpoint did not subscribe to call.created
    assert {r.headers["X-Sivo-Event-Id"] for r in bi.received} == {created_id, ended_id}

    envelope = json.loads(got.body)
    assert envelope["id"] == ended_id == got.headers["X-Sivo-Event-Id"] == got.headers["webhook-id"]
    assert envelope["type"] == "call.ended" == got.headers["X-Sivo-Event-Type"]
    assert envelope["tenant_id"] == tenant.id and envelope["data"] == EXAMPLE
    assert envelope["created_at"].endswith("Z")
    expected = "sha256=" + hmac.new(crm_ep["secret"].encode(), got.body, hashlib.sha256).hexdigest()
    assert got.headers["X-Sivo-Signature"] == expected
    Webhook(crm_ep["secret"]).verify(got.body, got.headers)

    log = await _log(client, tenant, bi_ep["id"])
    assert len(log) == 2
    assert all(e["status_code"] == 200 and e["attempt"] == 1 and e["latency_ms"] >= 0 for e in log)
    assert {e["event_type"] for e in log} == {"call.created", "call.ended"}


async def test_retry_schedule_then_dead_letter_then_manual_retry(
    make_client: AppFactory, receivers: Any
) -> None:
    clock = FakeClock()
    client = await make_client(clock=clock)
    tenant = await new_tenant(client)
    down = await receivers(default=Reply(status=500))
    endpoint = await create_endpoint(client, tenant, down.url)
    event_id = await emit(client, tenant, "call.ended", EXAMPLE)
    start = clock.now()

    await down.wait_for(1)
    engine = client.app[SERVICES].engine
    elapsed = 0.0
    for retry, delay in enumerate(RETRY_DELAYS_S, start=1):
        await engine.idle()
        (row,) = await _delivery_rows(client)
        assert row["status"] == "pending" and row["attempts"] == retry
        wait = row["next_attempt_at"] - clock.now()
        assert delay <= wait <= delay * 1.03  # the documented schedule, jitter only delays
        clock.advance(wait - 0.01)
        await asyncio.sleep(0.05)
        assert len(down.received) == retry  # not a moment early
        clock.advance(0.01)
        await down.wait_for(retry + 1)
        elapsed += wait
    await engine.idle()
    (row,) = await _delivery_rows(client)
    assert row["status"] == "dead" and row["attempts"] == 7 and row["last_status_code"] == 500
    assert clock.now() - start == elapsed
    assert {r.headers["X-Sivo-Event-Id"] for r in down.received} == {event_id}

    dlq = await (
        await client.get(
            f"/api/v1/webhooks/dlq?endpoint_id={endpoint['id']}", headers=tenant.headers
        )
    ).json()
    assert [d["event_id"] for d in dlq["data"]] == [event_id]
    export = await client.get("/api/v1/webhooks/dlq/export", headers=tenant.headers)
    assert "attachment" in export.headers["Content-Disposition"]
    exported = json.loads(await export.read())["data"]
    assert exported[0]["event"]["id"] == event_id and exported[0]["event"]["data"] == EXAMPLE

    down.default = Reply(status=204)
    resp = await client.post(
        f"/api/v1/webhooks/dlq/{dlq['data'][0]['id']}/retry", headers=tenant.headers
    )
    assert resp.status == 200
    await down.wait_for(8)
    assert down.received[-1].headers["X-Sivo-Event-Id"] == event_id  # same id after the DLQ
    await engine.idle()
    (row,) = await _delivery_rows(client)
    assert row["status"] == "delivered"
    empty = await (await client.get("/api/v1/webhooks/dlq", headers=tenant.headers)).json()
    assert empty["data"] == []


async def test_retry_after_postpones_a_retry(make_client: AppFactory, receivers: Any) -> None:
    clock = FakeClock()
    client = await make_client(clock=clock)
    tenant = await new_tenant(client)
    busy = await receivers()
    busy.script.append(Reply(status=429, headers={"Retry-After": "90"}))
    await create_endpoint(client, tenant, busy.url)
    await emit(client, tenant, "agent.paused", CATALOG["agent.paused"]["example"])
    await busy.wait_for(1)
    await client.app[SERVICES].engine.idle()
    (row,) = await _delivery_rows(client)
    assert row["next_attempt_at"] - clock.now() == 90  # later than the scheduled 5 s
    clock.advance(30)
    await asyncio.sleep(0.05)
    assert len(busy.received) == 1
    clock.advance(60)
    await busy.wait_for(2)


async def test_redirects_timeouts_and_blocked_addresses_are_failures(
    make_client: AppFactory, receivers: Any
) -> None:
    client = await make_client(webhook_timeout_s=0.5)
    tenant = await new_tenant(client)
    target = await receivers()
    redirect = await receivers(default=Reply(status=302, headers={"Location": target.url}))
    slow = await receivers(default=Reply(delay_s=1.5))
    redirect_ep = await create_endpoint(client, tenant, redirect.url)
    slow_ep = await create_endpoint(client, tenant, slow.url)
    await emit(client, tenant, "queue.entered", CATALOG["queue.entered"]["example"])
    await redirect.wait_for(1)
    await asyncio.sleep(0.7)
    assert target.received == []  # the redirect was not followed
    (r_log,) = await _log(client, tenant, redirect_ep["id"])
    assert r_log["status_code"] == 302 and "redirect" in r_log["error"]
    (s_log,) = await _log(client, tenant, slow_ep["id"])
    assert s_log["status_code"] is None and "timeout" in s_log["error"]


async def test_delivery_time_guard_blocks_loopback_without_allow_list(
    make_client: AppFactory, receivers: Any
) -> None:
    first = await make_client()
    tenant = await new_tenant(first)
    receiver = await receivers()
    endpoint = await create_endpoint(first, tenant, receiver.url)
    await first.close()
    # The same database, now served with an empty allow-list: the guard applies at connect.
    client = await make_client(webhook_allow_networks=())
    await emit(client, tenant, "call.created", CATALOG["call.created"]["example"])
    await asyncio.sleep(0.3)
    (entry,) = await _log(client, tenant, endpoint["id"])
    assert entry["status_code"] is None and "blocked destination: 127.0.0.1" in entry["error"]
    assert receiver.received == []


async def test_a_slow_endpoint_does_not_delay_the_others(
    make_client: AppFactory, receivers: Any
) -> None:
    client = await make_client(webhook_timeout_s=5.0, webhook_endpoint_concurrency=2)
    tenant = await new_tenant(client)
    slow = await receivers(default=Reply(delay_s=2.0))
    fast = await receivers()
    await create_endpoint(client, tenant, slow.url)
    await create_endpoint(client, tenant, fast.url)
    loop = asyncio.get_running_loop()
    started = loop.time()
    for i in range(30):
        await emit(
            client,
            tenant,
            "transcript.segment",
            {**CATALOG["transcript.segment"]["example"], "segment_id": f"s{i}"},
        )
    await fast.wait_for(30, timeout=1.5)
    assert loop.time() - started < 1.5
    assert len(slow.received) == 0  # still busy with its first two


async def test_oversized_event_is_reduced_never_cut(
    make_client: AppFactory, receivers: Any
) -> None:
    client = await make_client()
    tenant = await new_tenant(client)
    receiver = await receivers()
    await create_endpoint(client, tenant, receiver.url)
    segment = {"speaker": "caller", "text": "x" * 1000, "start_seconds": 0, "end_seconds": 1}
    data = {**CATALOG["transcript.completed"]["example"], "segments": [segment] * 400}
    event_id = await emit(client, tenant, "transcript.completed", data)
    (got,) = await receiver.wait_for(1)
    assert len(got.body) < 256 * 1024
    body = json.loads(got.body)
    assert body["id"] == event_id and body["data"]["truncated"] is True
    assert body["data"]["call_id"] == data["call_id"] and body["data"]["original_size"] > 256 * 1024
    assert body["data"]["full_data_url"].endswith(f"/api/v1/events/{event_id}")
    full = await (await client.get(f"/api/v1/events/{event_id}", headers=tenant.headers)).json()
    assert full["data"] == data
    other = await new_tenant(client, "Other")
    assert (await client.get(f"/api/v1/events/{event_id}", headers=other.headers)).status == 404


async def test_rotation_signs_with_both_secrets(make_client: AppFactory, receivers: Any) -> None:
    client = await make_client()
    tenant = await new_tenant(client)
    receiver = await receivers()
    endpoint = await create_endpoint(client, tenant, receiver.url)
    rotated = await (
        await client.post(
            f"/api/v1/webhooks/endpoints/{endpoint['id']}/rotate-secret", headers=tenant.headers
        )
    ).json()
    assert rotated["secret"] != endpoint["secret"] and "previous_secret_expires_at" in rotated
    await emit(client, tenant, "call.answered", CATALOG["call.answered"]["example"])
    (got,) = await receiver.wait_for(1)
    Webhook(endpoint["secret"]).verify(got.body, got.headers)
    Webhook(rotated["secret"]).verify(got.body, got.headers)
    new_sig = "sha256=" + hmac.new(rotated["secret"].encode(), got.body, hashlib.sha256).hexdigest()
    assert got.headers["X-Sivo-Signature"] == new_sig


async def test_tester_fires_a_realistic_event(make_client: AppFactory, receivers: Any) -> None:
    client = await make_client()
    tenant = await new_tenant(client)
    receiver = await receivers()
    endpoint = await create_endpoint(client, tenant, receiver.url, ["call.ended"])
    resp = await client.post(
        f"/api/v1/webhooks/endpoints/{endpoint['id']}/test",
        json={"type": "ivr.completed"},
        headers=tenant.headers,
    )
    result = await resp.json()
    assert result["success"] is True and result["status_code"] == 200
    (got,) = receiver.received
    assert json.loads(got.body)["data"] == CATALOG["ivr.completed"]["example"]
    log = await _log(client, tenant, endpoint["id"])
    assert log[0]["event_id"] == result["event_id"]
    bad = await client.post(
        f"/api/v1/webhooks/endpoints/{endpoint['id']}/test",
        json={"type": "nope"},
        headers=tenant.headers,
    )
    assert bad.status == 422


async def test_disabled_endpoint_holds_events_until_enabled(
    make_client: AppFactory, receivers: Any
) -> None:
    client = await make_client()
    tenant = await new_tenant(client)
    receiver = await receivers()
    endpoint = await create_endpoint(client, tenant, receiver.url)
    path = f"/api/v1/webhooks/endpoints/{endpoint['id']}"
    await client.patch(path, json={"enabled": False}, headers=tenant.headers)
    event_id = await emit(client, tenant, "call.created", CATALOG["call.created"]["example"])
    await asyncio.sleep(0.3)
    assert receiver.received == []
    await client.patch(path, json={"enabled": True}, headers=tenant.headers)
    (got,) = await receiver.wait_for(1)
    assert got.headers["X-Sivo-Event-Id"] == event_id
