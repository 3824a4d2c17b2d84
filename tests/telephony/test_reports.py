"""GET /api/v1/reports/calls: SQL aggregates over a generated history of 100,000 calls match
the same figures computed in Python; tenants are isolated; bad parameters are refused.
(Whole hours come from the rollup here; tests/telephony/test_report_rollup.py compares the
rollup's path with the calls' alone.)"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient

from server.api.context import SERVICES
from server.store import rollup
from server.store.tables import calls
from tests.conftest import AppFactory
from tests.support.api import Tenant, new_tenant

SINCE = datetime(2026, 10, 1, tzinfo=UTC).timestamp()
STEP_S = 26.0  # 100,000 calls, one every 26 s: 30.1 days
QUEUES = ("q_sales", "q_support", "q_billing")
AGENTS = ("ag_ana", "ag_ben", "ag_cleo", "ag_dev", "ag_eve")
THRESHOLD_S = 20.0


def _row(tenant_id: str, i: int, created: float) -> dict[str, Any]:
    """Call ``i``: its kind by ``i % 10`` (0-5 answered and ended, 6 answered and still
    talking, 7 abandoned, 8 missed, 9 outbound), its queue and agent from other digits."""
    kind = i % 10
    queue = QUEUES[(i // 10) % 3]
    agent = AGENTS[(i // 10) % 5]
    wait = float(i % 37)  # 0-36 s: 21 of 37 within the threshold
    talk = 60.0 + i % 50
    hold = 5.0 if i % 4 == 0 else 0.0
    row: dict[str, Any] = {
        "id": f"c_{tenant_id[-12:]}_{i}",  # calls.id is VARCHAR(40)
        "tenant_id": tenant_id,
        "direction": "inbound",
        "from_number": "+14155550100",
        "to_number": "+18005550100",
        "queue_id": queue,
        "agent_id": None,
        "state": "ended",
        "created_at": created,
        "queued_at": created,
        "answered_at": None,
        "ended_at": None,
        "wait_s": None,
        "talk_s": None,
        "hold_s": None,
        "hangup_cause": None,
        "hangup_side": None,
        "transfers": "[]",
        "recording_id": None,
    }
    if kind <= 6:
        row.update(agent_id=agent, answered_at=created + wait)
        if kind <= 5:
            ended = created + wait + talk
            row.update(ended_at=ended, wait_s=wait, talk_s=talk, hold_s=hold)
            row.update(hangup_cause="caller_hangup", hangup_side="caller")
        else:
            row.update(state="connected")
    elif kind == 7:
        row.update(ended_at=created + wait, wait_s=wait, talk_s=0.0, hold_s=0.0)
        row.update(hangup_cause="abandoned", hangup_side="caller")
    elif kind == 8:
        row.update(ended_at=created + 60, wait_s=60.0, talk_s=0.0, hold_s=0.0)
        row.update(hangup_cause="no_answer", hangup_side="system")
    else:
        row.update(direction="outbound", queue_id=None, queued_at=None, agent_id=agent)
        row.update(answered_at=created + 3, ended_at=created + 3 + talk, wait_s=3.0)
        row.update(talk_s=talk, hold_s=0.0, hangup_cause="agent_hangup", hangup_side="agent")
    return row


@dataclass
class Expected:
    """The figures, summed in plain Python from the rows themselves."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    missed: int = 0
    within: int = 0
    waits: list[float] = field(default_factory=list)
    talks: list[float] = field(default_factory=list)
    holds: list[float] = field(default_factory=list)
    outbound: int = 0

    def count(self, row: dict[str, Any]) -> None:
        if row["direction"] == "outbound":
            self.outbound += 1
            return
        self.offered += 1
        if row["answered_at"] is not None:
            self.answered += 1
            wait = row["answered_at"] - row["queued_at"]
            self.waits.append(wait)
            self.within += wait <= THRESHOLD_S
            if row["talk_s"] is not None:
                self.talks.append(row["talk_s"])
                self.holds.append(row["hold_s"])
        elif row["hangup_cause"] == "abandoned":
            self.abandoned += 1
        elif row["state"] == "ended":
            self.missed += 1

    def check(self, got: dict[str, Any]) -> None:
        finished = self.answered + self.abandoned + self.missed
        assert (got["offered"], got["answered"]) == (self.offered, self.answered)
        assert (got["abandoned"], got["missed"]) == (self.abandoned, self.missed)
        assert (got["answered_within_threshold"], got["outbound"]) == (self.within, self.outbound)
        assert got["service_level"] == pytest.approx(self.within / finished, abs=1e-4)
        for name, values in (("wait", self.waits), ("handle", self.talks), ("hold", self.holds)):
            assert got[f"avg_{name}_s"] == pytest.approx(sum(values) / len(values), abs=1e-3)


def _history(tenant_id: str, count: int, *, step: float = STEP_S) -> list[dict[str, Any]]:
    return [_row(tenant_id, i, SINCE + i * step) for i in range(count)]


async def _insert(client: TestClient[Any, Any], rows: list[dict[str, Any]]) -> None:
    """A bulk insert (one executemany per 10,000 rows), the ended calls added to the reports'
    rollup as the call store adds them when they end."""
    async with client.app[SERVICES].db.transaction() as tx:
        for start in range(0, len(rows), 10_000):
            chunk = rows[start : start + 10_000]
            await tx.conn.execute(calls.insert(), chunk)
            await rollup.add_calls_txn(tx, [row["id"] for row in chunk])


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


async def _report(client: TestClient[Any, Any], tenant: Tenant, **params: str) -> dict[str, Any]:
    resp = await client.get("/api/v1/reports/calls", params=params, headers=tenant.headers)
    body: dict[str, Any] = await resp.json()
    assert resp.status == 200, body
    return body


async def test_the_aggregates_of_100000_calls_match_python(make_client: AppFactory) -> None:
    """Totals, a few hours, days in a time zone, every queue and agent, and the filters."""
    client = await make_client()
    tenant = await new_tenant(client)
    other = await new_tenant(client, "Other")
    rows = _history(tenant.id, 100_000)
    await _insert(client, rows)
    await _insert(client, _history(other.id, 2_000, step=600.0))  # same ids of queues too
    until = SINCE + 31 * 86400

    body = await _report(client, tenant, since=_iso(SINCE), until=_iso(until))
    assert body["service_level_threshold_s"] == THRESHOLD_S
    total = Expected()
    hours: dict[int, Expected] = defaultdict(Expected)
    per_queue: dict[str | None, Expected] = defaultdict(Expected)
    per_agent: dict[str, Expected] = defaultdict(Expected)
    for row in rows:
        total.count(row)
        hours[math.floor((row["created_at"] - SINCE) / 3600)].count(row)
        per_queue[row["queue_id"]].count(row)
        if row["agent_id"] is not None:
            per_agent[row["agent_id"]].count(row)
    assert total.offered == 90_000 and total.outbound == 10_000
    total.check(body["totals"])
    assert len(body["buckets"]) == 31 * 24
    assert body["buckets"][0]["start"] == "2026-10-01T00:00:00.000Z"
    for hour in (0, 1, 100, 500, 722):
        hours[hour].check(body["buckets"][hour])
    assert body["buckets"][723]["offered"] == 0  # after the last call: an empty bucket
    assert body["buckets"][723]["service_level"] is None
    assert sum(b["offered"] for b in body["buckets"]) == total.offered
    queues = {q["queue_id"]: q for q in body["queues"]}
    assert set(queues) == {*QUEUES, None}
    for queue_id in QUEUES:
        per_queue[queue_id].check(queues[queue_id])
    assert queues[None]["outbound"] == 10_000 and queues[None]["offered"] == 0
    agents = {a["agent_id"]: a for a in body["agents"]}
    assert set(agents) == set(AGENTS)
    for agent_id, expected in per_agent.items():
        expected.check(agents[agent_id])

    # Filtered by a queue, by an agent: the same figures as that row of the breakdown.
    by_queue = await _report(
        client, tenant, since=_iso(SINCE), until=_iso(until), queue_id="q_support"
    )
    per_queue["q_support"].check(by_queue["totals"])
    assert [q["queue_id"] for q in by_queue["queues"]] == ["q_support"]
    by_agent = await _report(
        client, tenant, since=_iso(SINCE), until=_iso(until), agent_id="ag_dev"
    )
    per_agent["ag_dev"].check(by_agent["totals"])

    # Days in Paris (UTC+2 until 25 October, UTC+1 after): local midnights, 23 h and 25 h days.
    paris = ZoneInfo("Europe/Paris")
    days: dict[str, Expected] = defaultdict(Expected)
    for row in rows:
        days[datetime.fromtimestamp(row["created_at"], paris).date().isoformat()].count(row)
    daily = await _report(
        client,
        tenant,
        since="2026-10-01T00:00:00+02:00",
        until="2026-11-01T00:00:00+01:00",
        bucket="day",
        tz="Europe/Paris",
    )
    starts = [b["start"] for b in daily["buckets"]]
    assert len(starts) == 31
    assert starts[0] == "2026-09-30T22:00:00.000Z" and starts[-1] == "2026-10-30T23:00:00.000Z"
    assert starts[23:26] == [
        "2026-10-23T22:00:00.000Z",
        "2026-10-24T22:00:00.000Z",  # 25 October: 25 hours
        "2026-10-25T23:00:00.000Z",
    ]
    for n in (0, 23, 24, 25, 30):
        local_day = datetime.fromisoformat(starts[n]).astimezone(paris).date().isoformat()
        days[local_day].check(daily["buckets"][n])


async def test_the_threshold_is_the_tenants_setting(make_client: AppFactory) -> None:
    """service_level_threshold_s from the telephony settings decides what is in service."""
    client = await make_client()
    tenant = await new_tenant(client)
    rows = _history(tenant.id, 370)
    await _insert(client, rows)
    resp = await client.put(
        "/api/v1/telephony/settings", json={"service_level_threshold_s": 30}, headers=tenant.headers
    )
    assert resp.status == 200, await resp.text()
    body = await _report(client, tenant, since=_iso(SINCE), until=_iso(SINCE + 86400))
    waits = [
        r["answered_at"] - r["queued_at"]
        for r in rows
        if r["direction"] == "inbound" and r["answered_at"]
    ]
    assert body["service_level_threshold_s"] == 30
    assert body["totals"]["answered_within_threshold"] == sum(w <= 30 for w in waits)


async def test_a_tenant_sees_only_its_own_calls(make_client: AppFactory) -> None:
    """Another tenant's calls, queues and agents are in no figure, even asked for by id."""
    client = await make_client()
    a, b = await new_tenant(client, "A"), await new_tenant(client, "B")
    await _insert(client, _history(a.id, 500))
    period = {"since": _iso(SINCE), "until": _iso(SINCE + 86400)}
    mine = await _report(client, a, **period)
    assert mine["totals"]["offered"] == 450
    theirs = await _report(client, b, **period)
    assert theirs["totals"]["offered"] == 0 and theirs["totals"]["service_level"] is None
    assert theirs["queues"] == [] and theirs["agents"] == []
    asked = await _report(client, b, **period, queue_id="q_sales")
    assert asked["totals"]["offered"] == 0
    assert "q_sales" not in str(theirs) and a.id not in str(asked)


@pytest.mark.parametrize(
    ("params", "status", "code", "field"),
    [
        ({"since": None}, 400, "invalid_query", "since"),
        ({"since": "2026-10-01", "until": "2026-10-02T00:00:00Z"}, 400, "invalid_query", "since"),
        ({"since": "1759276800", "until": "2026-10-02T00:00:00Z"}, 400, "invalid_query", "since"),
        ({"bucket": "week"}, 400, "invalid_query", "bucket"),
        ({"tz": "Mars/Olympus"}, 400, "invalid_query", "tz"),
        ({"tz": "../etc/passwd"}, 400, "invalid_query", "tz"),
        ({"colour": "red"}, 400, "unknown_field", "colour"),
        ({"until": "2026-10-01T00:00:00Z"}, 422, "invalid", "until"),
        ({"until": "2026-11-02T00:00:01Z"}, 422, "period_too_long", "until"),
        ({"until": "2027-10-03T00:00:00Z", "bucket": "day"}, 422, "period_too_long", "until"),
        ({"since": "1999-12-31T00:00:00Z"}, 422, "invalid", "since"),
    ],
)
async def test_bad_parameters_are_refused_in_the_one_error_shape(
    make_client: AppFactory, params: dict[str, str], status: int, code: str, field: str
) -> None:
    client = await make_client()
    tenant = await new_tenant(client)
    given = {"since": "2026-10-01T00:00:00Z", "until": "2026-10-02T00:00:00Z", **params}
    query = {k: v for k, v in given.items() if v is not None}  # None: left out
    resp = await client.get("/api/v1/reports/calls", params=query, headers=tenant.headers)
    error = (await resp.json())["error"]
    assert resp.status == status, error
    assert (error["code"], error["field"]) == (code, field), error
    assert error["message"] and error["request_id"]


async def test_a_period_too_long_says_what_to_do(make_client: AppFactory) -> None:
    client = await make_client()
    tenant = await new_tenant(client)
    resp = await client.get(
        "/api/v1/reports/calls",
        params={"since": "2026-10-01T00:00:00Z", "until": "2026-12-01T00:00:00Z"},
        headers=tenant.headers,
    )
    message = (await resp.json())["error"]["message"]
    assert resp.status == 422
    assert message == (
        "the period is 61 days long: at most 31 days with hourly buckets; "
        "choose daily buckets for a longer period"
    )


async def test_without_a_key_nothing_is_shown(make_client: AppFactory) -> None:
    client = await make_client()
    resp = await client.get(
        "/api/v1/reports/calls",
        params={"since": "2026-10-01T00:00:00Z", "until": "2026-10-02T00:00:00Z"},
    )
    assert resp.status == 401
