"""The reports' rollup (migrations 0016 and 0017, server/store/rollup.py): reading whole hours
from it gives the same sums as reading the calls alone, for any period, filter and time zone;
the migrations' backfills sum what the store would, and 0017 (its downgrade too) keeps what
0016 counted; a call's end and its rollup are committed
together or not at all; a real call's end reaches it. SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, delete, select, text
from sqlalchemy.exc import IntegrityError

from server.api.context import SERVICES
from server.app import OUTBOX
from server.schemas.reports import SERVICE_LEVEL_THRESHOLDS_S, CallReportQuery
from server.store import reports as store
from server.store import rollup
from server.store.calls import SqlCallStore
from server.store.db import MIGRATIONS_DIR, Database
from server.store.tables import call_rollup, calls, telephony_settings, tenants
from server.telephony.effects import InsertCall, InsertRecording, SaveCall
from server.telephony.reports import Period, Sums, breakdown
from tests.conftest import AppFactory
from tests.support.api import new_tenant

from .conftest import Center, answer, dial
from .test_reports import AGENTS, QUEUES, SINCE, _history, _insert, _row

ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata")  # Kolkata: +05:30


def _folded(rows: Iterable[Mapping[str, Any]], group: store.Group) -> dict[Any, Sums]:
    """The rows' sums per hour, or per queue and per agent as the report adds them up (the
    rollup's path returns several rows for one key)."""
    if group == "queue_agent":
        by_queue, by_agent = breakdown(rows)
        return {**{("queue", q): v for q, v in by_queue.items()}, **by_agent}
    out: dict[Any, Sums] = {}
    for row in rows:
        out.setdefault(row["key"], Sums()).add_row(row)
    return out


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def _random_query(rng: random.Random) -> CallReportQuery:
    """A period starting anywhere around the history, mostly off the hour, of a few minutes
    to 31 days, in one of ZONES, sometimes of one queue or one agent."""
    since = SINCE + rng.uniform(-7200, 29 * 86400)
    if rng.random() < 0.2:
        since -= since % 3600  # on the hour
    length = rng.choice((rng.uniform(60, 3600), rng.uniform(3600, 86400), rng.uniform(1, 31)))
    length = length if length > 31 else length * 86400
    filters: dict[str, str] = {}
    pick = rng.random()
    if pick < 0.25:
        filters["queue_id"] = rng.choice(QUEUES)
    elif pick < 0.5:
        filters["agent_id"] = rng.choice(AGENTS)
    return CallReportQuery.model_validate(
        {
            "since": _iso(since),
            "until": _iso(since + length),
            "bucket": rng.choice(("hour", "day")),
            "tz": rng.choice(ZONES),
            **filters,
        }
    )


async def _both_paths(
    db: Database, tenant_id: str, query: CallReportQuery, threshold: float
) -> tuple[tuple[int, int] | None, dict[store.Group, tuple[dict[Any, Sums], dict[Any, Sums]]]]:
    """The sums per group of the rollup's path and of the calls' alone."""
    period = Period.of(query)
    whole = period.whole_hours()
    where = store.ReportFilter(
        tenant_id, period.since, period.until, query.queue_id, query.agent_id
    )
    out: dict[store.Group, tuple[dict[Any, Sums], dict[Any, Sums]]] = {}
    groups: tuple[store.Group, ...] = ("hour", "queue_agent")
    async with db.read() as conn:
        for group in groups:
            origin = period.origin if group == "hour" else 0.0
            paths = [
                await store.call_sums(
                    conn, where, group=group, threshold_s=threshold, origin=origin, whole=w
                )
                for w in (whole, None)
            ]
            out[group] = (_folded(paths[0], group), _folded(paths[1], group))
    return whole, out


async def test_the_rollup_path_equals_the_calls_path(make_client: AppFactory) -> None:
    """100,000 calls (a tenth still talking) and 80 random periods of two tenants: the same
    groups with the same sums; then again after the threshold changes (the rollup as it was:
    its column of the new threshold read)."""
    client = await make_client()
    db = client.app[SERVICES].db
    tenant, other = await new_tenant(client), await new_tenant(client, "Other")
    await _insert(client, _history(tenant.id, 100_000))
    await _insert(client, _history(other.id, 2_000, step=600.0))  # same queues' and agents' ids
    rng = random.Random(16)
    used = edged = others = 0
    for n in range(80):
        if n == 60:
            resp = await client.put(
                "/api/v1/telephony/settings",
                json={"service_level_threshold_s": 30},
                headers=tenant.headers,
            )
            assert resp.status == 200, await resp.text()
        tenant_id = other.id if n % 8 == 7 else tenant.id
        threshold = 30.0 if n >= 60 and tenant_id == tenant.id else 20.0  # the other's: 20
        query = _random_query(rng)
        whole, groups = await _both_paths(db, tenant_id, query, threshold)
        for group, (via_rollup, via_calls) in groups.items():
            assert via_rollup == via_calls, (n, group, query)
        used += whole is not None
        edged += whole is not None and Period.of(query).since % 3600 != 0
        others += tenant_id == other.id and bool(groups["hour"][1])
    # Periods read the rollup, most with partial edge hours; others (shorter than an hour's
    # whole, or on Kolkata's half-hour grid) the calls alone.
    assert used >= 30 and edged >= 25 and 80 - used >= 20, (used, edged)
    assert others >= 2  # the other tenant's periods were not all empty
    async with db.read() as conn:
        rows = (await conn.execute(select(call_rollup.c.tenant_id))).all()
    assert len(rows) > 2_000 and {r.tenant_id for r in rows} == {tenant.id, other.id}

    # A whole month through the API: the buckets and breakdowns of both paths are one report.
    month = CallReportQuery.model_validate(
        {"since": _iso(SINCE), "until": _iso(SINCE + 31 * 86400)}
    )
    report = await client.app[SERVICES].reports.report(tenant.id, month)
    assert report.totals.offered == 90_000 and report.service_level_threshold_s == 30.0
    _, groups = await _both_paths(db, tenant.id, month, 30.0)
    raw_total = Sums()
    for one in groups["hour"][1].values():
        raw_total.add(one)
    assert report.totals.model_dump() == raw_total.figures()


def _migrate_to(revision: str, *, down: bool = False) -> Any:
    def run(conn: Connection) -> None:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)

    return run


async def _migrate(db: Database, revision: str, *, down: bool = False) -> None:
    async with db.engine.begin() as conn:
        await conn.run_sync(_migrate_to(revision, down=down))


async def _raw_rollup(db: Database) -> dict[tuple[str, str, str, int], dict[str, Any]]:
    """The rollup as the database holds it, whatever its revision: key -> columns by name."""
    async with db.read() as conn:
        result = await conn.execute(text("SELECT * FROM call_rollup"))
        rows = [dict(row) for row in result.mappings()]
    return {(r["tenant_id"], r["queue_id"], r["agent_id"], r["hour"]): r for r in rows}


async def _rollup_rows(db: Database) -> list[tuple[Any, ...]]:
    async with db.read() as conn:
        result = await conn.execute(select(call_rollup))
        return sorted(tuple(row) for row in result)


async def _rollup(db: Database) -> dict[tuple[str, str, int], tuple[Any, ...]]:
    """(queue, agent, hour) -> the figures, in the rollup's column order."""
    return {(row[1], row[2], row[3]): row[4:] for row in await _rollup_rows(db)}


async def test_the_migrations_backfill_the_calls_that_had_ended(
    database_url: str, tmp_path: Path
) -> None:
    """A database at 0015 with calls of three tenants (thresholds 30 s, none, 19 s) and two
    more (3 s, 4000 s): at 0016 the rollup counts within each threshold; at 0017 the
    thresholds are rungs (19 -> 15, 3 -> 5, 4000 -> 600), the rollup holds what the store's
    own upserts make of the same calls, and each rung's column is what 0016 counted at that
    threshold; back at 0016, the rollup is 0016's again (at 15 s for the mapped tenant)."""
    thresholds = {"tn_mig_a": 30.0, "tn_mig_c": 19.0, "tn_mig_d": 3.0, "tn_mig_e": 4000.0}
    with_calls = ("tn_mig_a", "tn_mig_b", "tn_mig_c")
    db = Database(database_url)
    try:
        await _migrate(db, "0015")
        async with db.transaction() as tx:
            for tenant_id in ("tn_mig_a", "tn_mig_b", "tn_mig_c", "tn_mig_d", "tn_mig_e"):
                await tx.conn.execute(tenants.insert().values(id=tenant_id, name="T", created_at=0))
            for tenant_id in with_calls:
                await tx.conn.execute(calls.insert(), _history(tenant_id, 3_000, step=45.0))
            for tenant_id, threshold in thresholds.items():
                await tx.conn.execute(
                    telephony_settings.insert().values(
                        tenant_id=tenant_id,
                        pause_reasons="[]",
                        record_calls=False,
                        outbound_wrap_up_s=0.0,
                        service_level_threshold_s=threshold,
                        updated_at=0.0,
                    )
                )
        await _migrate(db, "0016")
        at_0016 = await _raw_rollup(db)
        within = dict.fromkeys(with_calls, 0)  # the same calls, at 30, 20 and 19 s
        for (tenant_id, queue, agent, _), row in at_0016.items():
            if (queue, agent) == ("*", "*"):
                within[tenant_id] += row["within"]
        assert within["tn_mig_a"] > within["tn_mig_b"] > within["tn_mig_c"] > 0

        await db.upgrade()
        async with db.read() as conn:
            result = await conn.execute(select(telephony_settings))
            mapped = {r.tenant_id: r.service_level_threshold_s for r in result}
        assert mapped == {"tn_mig_a": 30.0, "tn_mig_c": 15.0, "tn_mig_d": 5.0, "tn_mig_e": 600.0}
        backfilled = await _rollup_rows(db)
        async with db.transaction() as tx:
            await tx.conn.execute(delete(call_rollup))
            for tenant_id in with_calls:
                ids = [row["id"] for row in _history(tenant_id, 3_000, step=45.0)]
                await rollup.add_calls_txn(tx, ids)
        assert backfilled and backfilled == await _rollup_rows(db)
        at_0017 = await _raw_rollup(db)
        assert set(at_0017) == set(at_0016)
        rung = {"tn_mig_a": "within_30", "tn_mig_b": "within_20"}
        for key, row in at_0016.items():
            same = {k: at_0017[key][k] for k in row if k != "within"}
            assert same == {k: v for k, v in row.items() if k != "within"}, key
            if key[0] in rung:  # 0016 counted at a rung: 0017's column of it
                assert at_0017[key][rung[key[0]]] == row["within"], key

        await _migrate(db, "0016", down=True)
        again = await _raw_rollup(db)
        assert set(again) == set(at_0016)
        for key, row in again.items():
            expected = at_0016[key]
            if key[0] == "tn_mig_c":  # its threshold is 15 s now
                expected = {**expected, "within": at_0017[key]["within_15"]}
            assert row == expected, key
        await db.upgrade()  # and up again
        assert await _rollup_rows(db) == backfilled
    finally:
        await db.close()


async def test_a_call_ends_with_its_rollup_or_not_at_all(make_client: AppFactory) -> None:
    """The call store's commit: a failure later in the transaction leaves neither the ended
    call nor its sums; a CDR saved again is counted once, in its last queue and agent."""
    client = await make_client()
    tenant = await new_tenant(client)
    db = client.app[SERVICES].db
    calls_store = SqlCallStore(db=db, outbox=client.app[OUTBOX])
    live = _row(tenant.id, 6, SINCE)  # answered, still talking
    await calls_store.commit([InsertCall(live)])
    assert await _rollup_rows(db) == []
    columns = {k: v for k, v in _row(tenant.id, 0, SINCE).items() if k not in ("id", "tenant_id")}
    columns.update(agent_id=live["agent_id"], answered_at=live["answered_at"])
    ended = SaveCall(tenant.id, live["id"], columns)
    broken = InsertRecording({"id": "rec_broken"})  # NOT NULL columns missing: fails the txn
    with pytest.raises(IntegrityError):
        await calls_store.commit([ended, broken])
    async with db.read() as conn:
        state = (await conn.execute(select(calls.c.state))).scalar_one()
    assert state == "connected" and await _rollup_rows(db) == []

    await calls_store.commit([ended])
    once = await _rollup(db)
    hour = int(SINCE // 3600)
    pair, queue_row = (QUEUES[0], AGENTS[0], hour), (QUEUES[0], "*", hour)
    assert set(once) == {pair, queue_row, ("*", AGENTS[0], hour), ("*", "*", hour)}
    assert len(set(once.values())) == 1 and once[pair][:2] == (1, 1)  # offered, answered
    await calls_store.commit([ended])  # the same CDR again: still once
    assert await _rollup(db) == once
    moved = SaveCall(tenant.id, live["id"], {**columns, "agent_id": AGENTS[3]})
    await calls_store.commit([moved])
    after = await _rollup(db)
    assert after[(QUEUES[0], AGENTS[3], hour)] == once[pair]  # all of it in the new agent's
    assert set(after[pair]) == set(after[("*", AGENTS[0], hour)]) == {0}
    assert after[queue_row] == once[queue_row]

    born_ended = _row(tenant.id, 19, SINCE + 60)  # AGENTS[1]'s outbound CDR, inserted ended
    await calls_store.commit([InsertCall(born_ended)])
    query = CallReportQuery.model_validate({"since": _iso(SINCE), "until": _iso(SINCE + 3600)})
    report = await client.app[SERVICES].reports.report(tenant.id, query)
    assert (report.totals.answered, report.totals.outbound) == (1, 1)
    # AGENTS[0]'s emptied row is no agent of the report.
    assert {a.agent_id for a in report.agents} == {AGENTS[3], AGENTS[1]}


async def test_a_real_call_that_ends_is_in_the_rollup(center: Center) -> None:
    """An answered call and an abandoned one, through the media and the shell: their hour's
    rollup row, and the report of that hour read from it."""
    agent, agent_id = await center.agent("ann")
    caller = await center.web_phone()
    call_id, _ = await dial(center, caller, 440.0)
    await agent.wait_for("call.ringing")
    await center.advance(4.0)
    await answer(agent, call_id, 1000.0)
    await caller.wait_for("call.updated", lambda d: d["state"] == "connected")
    await center.advance(60.0)
    await caller.ok("call.hangup", {"call_id": call_id})
    await agent.wait_for("call.ended")
    await center.advance(30.0)  # wrap-up over
    second = await center.web_phone("second")
    gone, _ = await dial(center, second, 440.0)
    await agent.wait_for("call.ringing", lambda d: d["call_id"] == gone)
    await center.advance(2.0)
    await second.ok("call.hangup", {"call_id": gone})
    await agent.wait_for("call.ring_cancelled", lambda d: d["call_id"] == gone)
    await center.services.calls.shell(center.tenant.id).idle()

    rows = await _rollup(center.services.db)
    async with center.services.db.read() as conn:
        started = (await conn.execute(select(calls.c.created_at))).scalars().all()
    hour = int(min(started) // 3600)
    assert len(started) == 2 and int(max(started) // 3600) == hour
    queue = center.queue_id
    assert set(rows) == {
        (queue, agent_id, hour),
        (queue, "", hour),  # the abandoned one: no agent
        (queue, "*", hour),
        ("*", agent_id, hour),
        ("*", "", hour),
        ("*", "*", hour),
    }
    # offered, answered, abandoned, missed; within_5 ... within_600; wait_sum, handled,
    # handle_sum, hold_sum
    rungs = len(SERVICE_LEVEL_THRESHOLDS_S)
    assert rows[(queue, agent_id, hour)][:-1] == (1, 1, 0, 0, *[1] * rungs, 4.0, 1, 60.0, 0.0)
    assert rows[(queue, "", hour)][:4] == (1, 0, 1, 0)
    assert rows[("*", "*", hour)][: 5 + rungs] == (2, 1, 1, 0, *[1] * rungs, 4.0)
    query = CallReportQuery.model_validate(
        {"since": _iso(hour * 3600), "until": _iso(hour * 3600 + 3600)}
    )
    assert Period.of(query).whole_hours() == (hour, hour + 1)
    report = await center.services.reports.report(center.tenant.id, query)
    totals = report.totals
    assert (totals.offered, totals.answered, totals.abandoned) == (2, 1, 1)
    assert (totals.avg_wait_s, totals.avg_handle_s) == (4.0, 60.0)
