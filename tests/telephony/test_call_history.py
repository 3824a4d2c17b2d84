"""The call history over the API: GET /api/v1/calls with its filters (each, combined,
refused values, another tenant's calls never shown), a call's events, and the Salesforce
records it touched.

Calls are seeded as the call store writes them (``calls`` rows), events through the
outbox, Salesforce rows as SCRT2 and call logging keep them.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import text

from server.api.context import SERVICES
from server.store import call_history
from server.store.tables import call_logs, calls, salesforce_orgs, scrt2_calls
from server.times import rfc3339
from tests.conftest import AppFactory
from tests.support.api import Tenant, emit, new_tenant

HOUR = 3600.0


async def _seed_call(
    client: TestClient[Any, Any], tenant: Tenant, call_id: str, **values: Any
) -> None:
    start = values.pop("start", time.time() - 300)
    answered = values.pop("answered", True)
    row: dict[str, Any] = {
        "id": call_id,
        "tenant_id": tenant.id,
        "direction": "inbound",
        "from_number": "+14155550100",
        "to_number": "+18005550100",
        "queue_id": "q_support",
        "agent_id": "ag_ann" if answered else None,
        "state": "ended",
        "created_at": start,
        "queued_at": start + 0.05,
        "answered_at": start + 8 if answered else None,
        "ended_at": start + 120,
        "wait_s": 8.0,
        "talk_s": 112.0 if answered else 0.0,
        "hold_s": 0.0,
        "hangup_cause": "normal_clearing",
        "hangup_side": "caller",
        "transfers": json.dumps([]),
        "recording_id": None,
        **values,
    }
    async with client.app[SERVICES].db.transaction() as tx:
        await tx.conn.execute(calls.insert().values(**row))


async def _ids(client: TestClient[Any, Any], tenant: Tenant, query: str = "") -> list[str]:
    resp = await client.get(f"/api/v1/calls{query}", headers=tenant.headers)
    assert resp.status == 200, await resp.text()
    return [c["id"] for c in (await resp.json())["data"]]


@pytest.fixture
async def history(make_client: AppFactory) -> tuple[TestClient[Any, Any], Tenant, Tenant, float]:
    """Seven calls of one tenant an hour apart (newest first: c7 … c1), one of another."""
    client = await make_client()
    acme, other = await new_tenant(client), await new_tenant(client, "Other")
    t0 = time.time() - 10 * HOUR
    seeds: list[tuple[str, dict[str, Any]]] = [
        ("c1", {}),  # answered by ann in q_support
        ("c2", {"answered": False, "hangup_cause": "abandoned"}),
        ("c3", {"answered": False, "hangup_cause": "max_wait_exceeded", "hangup_side": "system"}),
        ("c4", {"queue_id": "q_sales", "agent_id": "ag_bob"}),
        ("c5", {"direction": "outbound", "queue_id": None, "agent_id": "ag_bob",
                "answered": False, "hangup_cause": "no_answer", "hangup_side": "system"}),
        ("c6", {"direction": "outbound", "queue_id": None, "agent_id": "ag_ann"}),
        ("c7", {"state": "connected", "ended_at": None, "hangup_cause": None,
                "hangup_side": None, "talk_s": None}),
    ]  # fmt: skip
    for n, (call_id, values) in enumerate(seeds):
        await _seed_call(client, acme, call_id, start=t0 + n * HOUR, **values)
    await _seed_call(client, other, "o1", start=t0 + 0.5 * HOUR)
    return client, acme, other, t0


async def test_each_filter_alone(
    history: tuple[TestClient[Any, Any], Tenant, Tenant, float],
) -> None:
    """Each filter narrows the newest-first log to what the CDRs say; one outcome per call."""
    client, acme, _, t0 = history
    assert await _ids(client, acme) == ["c7", "c6", "c5", "c4", "c3", "c2", "c1"]
    since, until = rfc3339(t0 + 2 * HOUR), rfc3339(t0 + 4 * HOUR)
    assert await _ids(client, acme, f"?since={since}") == ["c7", "c6", "c5", "c4", "c3"]
    assert await _ids(client, acme, f"?until={until}") == ["c4", "c3", "c2", "c1"]  # < until
    assert await _ids(client, acme, "?queue_id=q_sales") == ["c4"]
    assert await _ids(client, acme, "?agent_id=ag_bob") == ["c5", "c4"]
    assert await _ids(client, acme, "?direction=outbound") == ["c6", "c5"]
    assert await _ids(client, acme, "?direction=inbound") == ["c7", "c4", "c3", "c2", "c1"]
    outcomes = {
        "answered": ["c6", "c4", "c1"],
        "abandoned": ["c2"],
        "missed": ["c3"],
        "unanswered": ["c5"],
        "in_progress": ["c7"],
    }
    for outcome, expected in outcomes.items():
        assert await _ids(client, acme, f"?outcome={outcome}") == expected, outcome
    resp = await client.get("/api/v1/calls", headers=acme.headers)
    shown = {c["id"]: c["outcome"] for c in (await resp.json())["data"]}
    assert shown == {i: o for o, ids in outcomes.items() for i in ids}  # the same rule


async def test_filters_combined_and_with_a_limit(
    history: tuple[TestClient[Any, Any], Tenant, Tenant, float],
) -> None:
    """All the filters given must hold together; `limit` still takes the newest."""
    client, acme, _, t0 = history
    period = f"since={rfc3339(t0)}&until={rfc3339(t0 + 5 * HOUR)}"
    assert await _ids(client, acme, f"?{period}&outcome=answered") == ["c4", "c1"]
    assert await _ids(client, acme, f"?{period}&outcome=answered&agent_id=ag_ann") == ["c1"]
    query = "?direction=outbound&agent_id=ag_ann&outcome=answered"
    assert await _ids(client, acme, query) == ["c6"]
    assert await _ids(client, acme, "?queue_id=q_support&outcome=missed&limit=5") == ["c3"]
    assert await _ids(client, acme, "?queue_id=q_support&limit=2") == ["c7", "c3"]
    assert await _ids(client, acme, "?queue_id=q_sales&direction=outbound") == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("outcome=hung_up", "outcome"),
        ("direction=sideways", "direction"),
        ("since=yesterday", "since"),
        ("since=1700000000", "since"),  # a Unix time is not RFC 3339
        ("until=2026-12-01T09:00:00", "until"),  # no time zone
        ("queue_id=", "queue_id"),
        ("agent_id=" + "a" * 65, "agent_id"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("colour=red", "colour"),
    ],
)
async def test_bad_filters_are_refused_in_the_one_error_shape(
    make_client: AppFactory, query: str, field: str
) -> None:
    """A value the contract does not take is a 400 naming the field, never an empty list."""
    client = await make_client()
    tenant = await new_tenant(client)
    resp = await client.get(f"/api/v1/calls?{query}", headers=tenant.headers)
    assert resp.status == 400, await resp.text()
    error = (await resp.json())["error"]
    assert error["field"] == field and error["code"] in ("invalid_query", "unknown_field")
    assert error["message"]


async def test_a_period_that_ends_before_it_starts_and_a_repeated_filter(
    make_client: AppFactory,
) -> None:
    """`until` at or before `since` is refused, and so is a filter given twice."""
    client = await make_client()
    tenant = await new_tenant(client)
    query = "since=2026-12-02T10:00:00Z&until=2026-12-02T09:00:00%2B00:00"
    resp = await client.get(f"/api/v1/calls?{query}", headers=tenant.headers)
    assert resp.status == 400
    assert "until must be after since" in (await resp.json())["error"]["message"]
    resp = await client.get("/api/v1/calls?outcome=answered&outcome=missed", headers=tenant.headers)
    assert resp.status == 400 and (await resp.json())["error"]["field"] == "outcome"


async def test_another_tenants_calls_never_match(
    history: tuple[TestClient[Any, Any], Tenant, Tenant, float],
) -> None:
    """The same queue, agent and period select only the asking tenant's calls."""
    client, acme, other, t0 = history
    assert await _ids(client, other) == ["o1"]
    assert await _ids(client, other, "?queue_id=q_support&agent_id=ag_ann") == ["o1"]
    assert "o1" not in await _ids(client, acme, f"?since={rfc3339(t0)}&queue_id=q_support")
    for path in ("/api/v1/calls/o1", "/api/v1/calls/o1/events", "/api/v1/calls/o1/salesforce"):
        resp = await client.get(path, headers=acme.headers)
        assert resp.status == 404, path
        assert (await resp.json())["error"]["code"] == "not_found"


async def test_a_calls_events_in_order_without_another_calls_or_segments(
    make_client: AppFactory,
) -> None:
    """GET /calls/{id}/events: the events naming the call, in emission order; another
    call's events (even one whose id starts the same) and live segments are left out."""
    client = await make_client()
    tenant = await new_tenant(client)
    start = time.time() - 60
    await _seed_call(client, tenant, "call_1", start=start, ended_at=time.time())
    await _seed_call(client, tenant, "call_10", start=start)

    def at(s: float) -> str:
        return rfc3339(start + s)

    await emit(client, tenant, "call.created", {
        "call_id": "call_1", "direction": "inbound", "from": "+14155550100",
        "to": "+18005550100", "queue_id": "q_support", "agent_id": None, "created_at": at(0),
    })  # fmt: skip
    await emit(client, tenant, "call.created", {
        "call_id": "call_10", "direction": "inbound", "from": "+14155550100",
        "to": "+18005550100", "queue_id": "q_support", "agent_id": None, "created_at": at(0),
    })  # fmt: skip
    await emit(client, tenant, "queue.entered", {
        "call_id": "call_1", "queue_id": "q_support", "position": 1, "entered_at": at(0.05),
    })  # fmt: skip
    await emit(client, tenant, "call.answered", {
        "call_id": "call_1", "agent_id": "ag_ann", "queue_id": "q_support",
        "answered_at": at(8), "wait_seconds": 7.95,
    })  # fmt: skip
    await emit(client, tenant, "transcript.segment", {
        "call_id": "call_1", "segment_id": "seg_1", "speaker": "caller", "text": "Hi",
        "start_seconds": 1.0, "end_seconds": 1.5, "is_final": True,
    })  # fmt: skip
    other = await new_tenant(client, "Other")
    await emit(client, other, "call.answered", {
        "call_id": "call_1", "agent_id": "ag_x", "answered_at": at(9), "wait_seconds": 9.0,
    })  # fmt: skip

    resp = await client.get("/api/v1/calls/call_1/events", headers=tenant.headers)
    assert resp.status == 200, await resp.text()
    found = (await resp.json())["data"]
    assert [e["type"] for e in found] == ["call.created", "queue.entered", "call.answered"]
    assert all(e["data"]["call_id"] == "call_1" and e["id"].startswith("evt_") for e in found)
    assert found[2]["data"]["agent_id"] == "ag_ann"
    resp = await client.get("/api/v1/calls/call_nope/events", headers=tenant.headers)
    assert resp.status == 404


async def _seed_org(
    client: TestClient[Any, Any], tenant: Tenant, org_row_id: str, url: str
) -> None:
    now = time.time()
    async with client.app[SERVICES].db.transaction() as tx:
        await tx.conn.execute(
            salesforce_orgs.insert().values(
                id=org_row_id, tenant_id=tenant.id, org_id="00D" + org_row_id[-12:].rjust(15, "0"),
                org_id15=("00D" + org_row_id[-12:].rjust(15, "0"))[:15], name="Acme Prod",
                environment="production", login_url="https://login.salesforce.com",
                instance_url=url, identity_url=url + "/id/x", connected_by="admin@acme.example",
                status="connected", connected_at=now, updated_at=now, call_centers="[]",
                discovery="{}",
            )
        )  # fmt: skip


async def test_the_salesforce_records_a_call_touched(make_client: AppFactory) -> None:
    """The VoiceCall (and the leg before a transfer) and the Task, each as a Lightning link
    on the org's instance; none for a call that made none."""
    client = await make_client()
    tenant = await new_tenant(client)
    await _seed_call(client, tenant, "call_sf")
    await _seed_call(client, tenant, "call_plain")
    instance = "https://acme.my.salesforce.com"
    await _seed_org(client, tenant, "sforg_1", instance)
    now = time.time()
    async with client.app[SERVICES].db.transaction() as tx:
        await tx.conn.execute(
            scrt2_calls.insert().values(
                tenant_id=tenant.id, org_row_id="sforg_1", call_id="call_sf", created="{}",
                voice_call_id="0LQxx0000000002", previous_voice_call_id="0LQxx0000000001",
                updated_at=now,
            )
        )  # fmt: skip
        await tx.conn.execute(
            call_logs.insert().values(
                call_id="call_sf", tenant_id=tenant.id, org_row_id="sforg_1",
                task_id="00Txx0000000003", state="sent", created_at=now, updated_at=now,
            )
        )  # fmt: skip

    resp = await client.get("/api/v1/calls/call_sf/salesforce", headers=tenant.headers)
    assert resp.status == 200, await resp.text()
    records = (await resp.json())["data"]
    assert [(r["object"], r["id"], r["url"]) for r in records] == [
        ("VoiceCall", "0LQxx0000000002", f"{instance}/lightning/r/VoiceCall/0LQxx0000000002/view"),
        ("VoiceCall", "0LQxx0000000001", f"{instance}/lightning/r/VoiceCall/0LQxx0000000001/view"),
        ("Task", "00Txx0000000003", f"{instance}/lightning/r/Task/00Txx0000000003/view"),
    ]
    assert records[1]["note"] and records[0]["org_name"] == "Acme Prod"
    resp = await client.get("/api/v1/calls/call_plain/salesforce", headers=tenant.headers)
    assert (await resp.json())["data"] == []
    other = await new_tenant(client, "Other")
    resp = await client.get("/api/v1/calls/call_sf/salesforce", headers=other.headers)
    assert resp.status == 404


# The plan is read on SQLite only: PostgreSQL's depends on its statistics.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("outcome", "index"),
    [
        ("in_progress", "ix_calls_tenant_live"),
        ("abandoned", "ix_calls_tenant_unanswered"),
        ("missed", "ix_calls_tenant_unanswered"),
        ("unanswered", "ix_calls_tenant_unanswered"),
    ],
)
async def test_rare_outcomes_read_their_partial_index(
    make_client: AppFactory, outcome: str, index: str
) -> None:
    """The outcomes few calls have read only those calls (migration 0015), not every call
    of the tenant: SQLite's plan names the partial index (docs/calls.md has the timings)."""
    client = await make_client()
    db = client.app[SERVICES].db
    assert db.is_sqlite
    query = call_history.list_calls_query(
        call_history.CallFilter(tenant_id="tn_x", limit=100, outcome=outcome)
    )
    sql = str(query.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
    async with db.read() as conn:
        plan = " ".join(
            str(row[-1]) for row in await conn.execute(text("EXPLAIN QUERY PLAN " + sql))
        )
    assert index in plan, plan
