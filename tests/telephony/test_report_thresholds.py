"""The service level threshold is a rung of the ladder (``SERVICE_LEVEL_THRESHOLDS_S``): any
other value is refused, listing the rungs, and stores nothing; changing it writes nothing to
the reports' rollup (migration 0017: a count per rung), and the next report counts at the new
threshold, as the calls alone do, at every rung. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, update

from server.api.context import SERVICES
from server.schemas.reports import SERVICE_LEVEL_THRESHOLDS_S, CallReportQuery
from server.store.db import Database
from server.store.tables import telephony_settings
from tests.conftest import AppFactory
from tests.support.api import new_tenant

from .test_report_rollup import _both_paths, _iso, _rollup_rows
from .test_reports import SINCE, _history, _insert

SETTINGS = "/api/v1/telephony/settings"
RUNGS_TEXT = "5, 10, 15, 20, 25, 30, 45, 60, 90, 120, 180, 240, 300 or 600 seconds"
MODEL_JS = Path(__file__).parents[2] / "static" / "admin" / "assets" / "telephony-model.js"


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """Every SQL statement run meanwhile."""
    seen: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    engine = db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


async def test_a_change_writes_nothing_to_the_rollup_and_every_rung_reads_its_column(
    make_client: AppFactory,
) -> None:
    """5,000 calls over 17 days, a period with partial hours at both ends: at each rung, the
    PUT touches no rollup row, and the report's sums are the calls' alone and Python's."""
    client = await make_client()
    db = client.app[SERVICES].db
    tenant = await new_tenant(client)
    rows = _history(tenant.id, 5_000, step=300.0)
    await _insert(client, rows)
    since, until = SINCE + 1_800.5, SINCE + 10 * 86_400 + 1_234.0
    query = CallReportQuery.model_validate({"since": _iso(since), "until": _iso(until)})
    rollup_before = await _rollup_rows(db)
    waits = [
        r["answered_at"] - r["queued_at"]
        for r in rows
        if since <= r["created_at"] < until and r["direction"] == "inbound" and r["answered_at"]
    ]
    within: list[int] = []
    for rung in (*SERVICE_LEVEL_THRESHOLDS_S[3:], *SERVICE_LEVEL_THRESHOLDS_S[:3]):  # 20 first
        with statements(db) as seen:
            resp = await client.put(
                SETTINGS, json={"service_level_threshold_s": rung}, headers=tenant.headers
            )
            assert resp.status == 200, await resp.text()
        assert any("telephony_settings" in s for s in seen), seen  # the hook saw the write
        assert [s for s in seen if "call_rollup" in s] == []
        report = await client.app[SERVICES].reports.report(tenant.id, query)
        assert report.service_level_threshold_s == rung
        assert report.totals.answered_within_threshold == sum(w <= rung for w in waits)
        whole, groups = await _both_paths(db, tenant.id, query, float(rung))
        assert whole is not None  # the rollup's path, with partial hours from the calls
        for group, (via_rollup, via_calls) in groups.items():
            assert via_rollup == via_calls, (rung, group)
        within.append(report.totals.answered_within_threshold)
    assert await _rollup_rows(db) == rollup_before
    # The waits are 0-36 s: each rung up to 36 counts more, the rest all of them.
    assert sorted(within) == [within[11], within[12], within[13], *within[:11]]
    assert within[11] < within[12] < within[13] < within[0] < within[1] < within[2]
    assert within[3:11] == [len(waits)] * 8

    # A threshold off the ladder (only a hand-edited row holds one) has no rollup column: the
    # report reads the calls alone, and counts at it all the same.
    async with db.transaction() as tx:
        await tx.conn.execute(
            update(telephony_settings)
            .where(telephony_settings.c.tenant_id == tenant.id)
            .values(service_level_threshold_s=19.0)
        )
    report = await client.app[SERVICES].reports.report(tenant.id, query)
    assert report.service_level_threshold_s == 19.0
    assert report.totals.answered_within_threshold == sum(w <= 19 for w in waits)
    assert within[13] < report.totals.answered_within_threshold < within[0]  # 15 s, 20 s


@pytest.mark.parametrize("value", [19, 21.5, 0, 4.9, 3600, 601])
async def test_a_threshold_off_the_ladder_is_refused_and_stores_nothing(
    make_client: AppFactory, value: float
) -> None:
    client = await make_client()
    tenant = await new_tenant(client)
    before = await (await client.get(SETTINGS, headers=tenant.headers)).json()
    resp = await client.put(
        SETTINGS,
        json={"service_level_threshold_s": value, "record_calls": not before["record_calls"]},
        headers=tenant.headers,
    )
    error = (await resp.json())["error"]
    assert resp.status == 422, error
    assert (error["code"], error["field"]) == ("invalid", "service_level_threshold_s"), error
    assert RUNGS_TEXT in error["message"], error
    after = await (await client.get(SETTINGS, headers=tenant.headers)).json()
    assert after == before and after["service_level_threshold_s"] == 20.0


async def test_the_api_reference_and_the_form_list_the_rungs(make_client: AppFactory) -> None:
    """The OpenAPI schema's enum, and the dashboard's select (telephony-model.js), are the
    ladder."""
    client = await make_client()
    document = await (await client.get("/api/v1/openapi.json")).json()
    update = document["components"]["schemas"]["SettingsUpdate"]["properties"]
    enums = re.findall(r'"enum": (\[[^\]]*\])', json.dumps(update["service_level_threshold_s"]))
    assert [json.loads(e) for e in enums] == [list(SERVICE_LEVEL_THRESHOLDS_S)]
    source = MODEL_JS.read_text()
    found = re.search(r"export const SERVICE_LEVEL_THRESHOLDS = \[([^\]]*)\]", source)
    assert found is not None
    assert [int(s) for s in found.group(1).split(",")] == list(SERVICE_LEVEL_THRESHOLDS_S)
