"""Call reports benchmark: ``GET /api/v1/reports/calls``'s SQL at 1,000,000 calls.

For each database (SQLite, then PostgreSQL) a fresh schema is migrated (so the indexes are
the migrations', 0013 included), then filled with ``bench/_runs.py``'s history: a year of
calls of one tenant (1,000,000 by default, one every ~31.5 s: 80% answered, 12% abandoned,
3% missed, 5% outbound; 5 queues, 50 agents) beside a second tenant's 100,000, inserted in
bulk (executemany, 50,000 rows a statement), each chunk's ended calls added to the rollup
(migration 0016) by the call store's own statement (``server.store.rollup.add_calls_txn``,
as when calls end), and analysed (``ANALYZE``; ``VACUUM ANALYZE`` on PostgreSQL).
``rollup_rows`` is the rollup's size. ``threshold_change_ms``: what changing the tenant's
service level threshold costs, the admin service's own call
(``TelephonyAdmin.update_settings``, 20 s and 30 s in turn, p50 and p99 of ``--repeat``
changes at least 10), with ``threshold_change_rollup_statements`` the SQL
statements of those changes that named ``call_rollup`` (0: since migration 0017 the rollup
counts every rung of the ladder, and a change writes nothing there; before, the tenant's
rollup was summed again, ``rebuild_txn``: 20.7 s on SQLite and 42.7 s on PostgreSQL at
1,000,000 calls).

Then, for each case (a period, its buckets, a filter), measured in this one process, on the
event loop, with ``time.perf_counter`` around the awaited call:

- ``report_ms``: the whole service call, ``CallReports.report`` (one read connection: the
  threshold, the names, the two GROUP BY statements, the buckets built in Python), what a
  request costs apart from HTTP;
- ``hour_ms``, ``queue_agent_ms``: each aggregate statement alone
  (``server.store.reports.call_sums`` grouped by hour, or by queue and agent, rows fetched),
  reading whole hours from the rollup as the report does;
- ``calls_hour_ms``, ``calls_queue_agent_ms``: the same statements on ``calls`` alone (no
  rollup: what the report cost before migration 0016), in the same run;

each repeated ``--repeat`` times (3 by default) after one unmeasured warm-up run, reported
as p50 and p99 (nearest rank: with 3 repeats the median and the slowest run). The periods
end at midnight UTC, except ``year_daily_edges``'s, whose edges are 17 minutes into an hour
(partial hours read from ``calls``). ``calls`` is how many of the tenant's calls the period
holds; ``plan`` is the database's plan for the hourly statement (which indexes it searches).
With ``--without-0013``, the two indexes of migration 0013 are dropped and the filtered
cases measured again (``without_0013``), which is what they buy.

The machine's 1-minute load average before and after is in the result: the statements run
on one core each, so other processes' load shows in the timings.

PostgreSQL runs in a database of its own (``sivo_bench_reports``, created afresh before each
run and kept after it, never the tests' ``test``); it is skipped when unreachable.

Prints one JSON line. Usage: ``python -m bench.reports [--calls 1000000] [--repeat 20]
[--databases sqlite,postgresql] [--postgres-url URL] [--cases day_hourly,year_daily]
[--without-0013]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from sqlalchemy import event, func, select, text

from bench._runs import (
    AGENTS,
    END,
    QUEUES,
    TENANT,
    each_database,
    literal_sql,
    load_avg,
    load_calls,
    parse,
    parser,
    sqlite_plan,
    timed,
)
from server.clock import SystemClock
from server.schemas.reports import CallReportQuery
from server.schemas.telephony import SettingsUpdate
from server.store import reports as store
from server.store.db import Database
from server.store.tables import call_rollup
from server.telephony.admin import TelephonyAdmin
from server.telephony.reports import CallReports, Period

POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/sivo_bench_reports"


@dataclass(frozen=True)
class Case:
    name: str
    days: int
    bucket: Literal["hour", "day"]
    queue_id: str | None = None
    agent_id: str | None = None
    edges_s: float = 0.0  # both edges this far into their hour


CASES = (
    Case("day_hourly", 1, "hour"),
    Case("week_hourly", 7, "hour"),
    Case("month_hourly", 31, "hour"),
    Case("month_hourly_queue", 31, "hour", queue_id=QUEUES[2]),
    Case("month_hourly_agent", 31, "hour", agent_id=AGENTS[7]),
    Case("year_daily", 365, "day"),
    Case("year_daily_queue", 365, "day", queue_id=QUEUES[2]),
    Case("year_daily_agent", 365, "day", agent_id=AGENTS[7]),
    Case("year_daily_edges", 364, "day", edges_s=17 * 60.0),
)


async def _threshold_changes(db: Database, repeat: int) -> tuple[dict[str, float], int]:
    """The p50 and p99 of changing the tenant's threshold (20 s and 30 s in turn), and how
    many of the changes' statements named ``call_rollup``."""

    async def nothing(*args: str) -> None:  # the call service's config reload: not measured
        return None

    admin = TelephonyAdmin(
        db=db, clock=SystemClock(), on_agent_changed=nothing, on_config_changed=nothing
    )
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    thresholds = iter([20.0, 30.0] * (max(10, repeat) + 1))

    async def change() -> None:
        body = SettingsUpdate(service_level_threshold_s=next(thresholds))
        await admin.update_settings(TENANT, body)

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        timings = await timed(change, max(10, repeat))
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", seen)
    await admin.update_settings(TENANT, SettingsUpdate(service_level_threshold_s=20.0))
    return timings, sum("call_rollup" in statement for statement in statements)


def _query(case: Case) -> CallReportQuery:
    """The case's query as the API would parse it (RFC 3339 strings, like a client sends)."""
    until = END - timedelta(seconds=3600 - case.edges_s if case.edges_s else 0)
    since = until - timedelta(days=case.days)
    return CallReportQuery.model_validate(
        {
            "since": since.isoformat(),
            "until": until.isoformat(),
            "bucket": case.bucket,
            **({"queue_id": case.queue_id} if case.queue_id else {}),
            **({"agent_id": case.agent_id} if case.agent_id else {}),
        }
    )


async def _plan(
    db: Database, where: store.ReportFilter, origin: float, whole: tuple[int, int] | None
) -> str:
    """Which indexes the hourly statement searches, as the database says it (values inline)."""
    statement = store.sums_statement(
        where, group="hour", threshold_s=20.0, origin=origin, whole=whole
    )
    async with db.read() as conn:
        sql = literal_sql(conn, statement)
        if db.is_sqlite:
            return await sqlite_plan(conn, sql)
        rows = (await conn.exec_driver_sql("EXPLAIN " + sql)).all()
        lines = [str(row[0]).strip().lstrip("-> ") for row in rows]
        return "; ".join(line for line in lines if "Scan" in line or "Aggregate" in line)


def _statement_alone(
    db: Database,
    where: store.ReportFilter,
    group: store.Group,
    origin: float,
    whole: tuple[int, int] | None,
) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        async with db.read() as conn:
            await store.call_sums(
                conn, where, group=group, threshold_s=20.0, origin=origin, whole=whole
            )

    return run


async def _case(db: Database, reports: CallReports, case: Case, repeat: int) -> dict[str, Any]:
    query = _query(case)
    period = Period.of(query)
    where = store.ReportFilter(
        tenant_id=TENANT,
        since=period.since,
        until=period.until,
        queue_id=case.queue_id,
        agent_id=case.agent_id,
    )
    out: dict[str, Any] = {"report_ms": await timed(lambda: reports.report(TENANT, query), repeat)}
    groups: tuple[store.Group, ...] = ("hour", "queue_agent")
    whole = period.whole_hours()
    for group in groups:
        origin = period.origin if group == "hour" else 0.0
        out[f"{group}_ms"] = await timed(_statement_alone(db, where, group, origin, whole), repeat)
        out[f"calls_{group}_ms"] = await timed(
            _statement_alone(db, where, group, origin, None), repeat
        )
    report = await reports.report(TENANT, query)
    out["calls"] = report.totals.offered + report.totals.outbound
    out["plan"] = await _plan(db, where, period.origin, whole)
    return out


async def run_database(
    name: str,
    url: str,
    count: int,
    repeat: int,
    only: frozenset[str] = frozenset(),
    without_0013: bool = False,
) -> dict[str, Any]:
    db = Database(url)
    try:
        await db.upgrade()
        load_s = await load_calls(db, count)
        print(f"# {name}: {count} calls loaded in {load_s:.1f} s", file=sys.stderr, flush=True)
        async with db.read() as conn:
            counted = await conn.execute(
                select(func.count())
                .select_from(call_rollup)
                .where(call_rollup.c.tenant_id == TENANT)
            )
            rollup_rows = int(counted.scalar_one())
        changes, rollup_statements = await _threshold_changes(db, repeat)
        reports = CallReports(db=db)
        cases: dict[str, Any] = {}
        chosen = [case for case in CASES if not only or case.name in only]
        for case in chosen:
            cases[case.name] = await _case(db, reports, case, repeat)
            print(
                f"# {name} {case.name}: {json.dumps(cases[case.name])}", file=sys.stderr, flush=True
            )
        result = {
            "load_s": round(load_s, 1),
            "rollup_rows": rollup_rows,
            "threshold_change_ms": changes,
            "threshold_change_rollup_statements": rollup_statements,
            "cases": cases,
        }
        if not without_0013:
            return result
        async with db.transaction() as tx:
            await tx.conn.execute(text("DROP INDEX ix_calls_tenant_queue_created"))
            await tx.conn.execute(text("DROP INDEX ix_calls_tenant_agent_created"))
        await db.engine.dispose()  # no pooled connection plans with what it knew before
        without: dict[str, Any] = {}
        for case in chosen:
            if case.queue_id or case.agent_id:
                without[case.name] = await _case(db, reports, case, max(3, repeat // 4))
        return {**result, "without_0013": without}
    finally:
        await db.close()


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    async def run(name: str, url: str) -> dict[str, Any]:
        return await run_database(name, url, args.calls, args.repeat, args.only, args.without_0013)

    result: dict[str, Any] = {
        "bench": "reports",
        "calls": args.calls,
        "other_tenant_calls": args.calls // 10,
        "repeat": args.repeat,
        "cases": sorted(args.only) or "all",
        "cpus": os.cpu_count(),
        "load_avg_1m_before": load_avg(),
    }
    result["databases"] = await each_database(args, "reports", run, drop_postgres=False)
    result["load_avg_1m_after"] = load_avg()
    return result


def main() -> None:
    args_parser = parser(__doc__, POSTGRES_URL)
    args_parser.add_argument(
        "--without-0013", action="store_true", help="then drop 0013's indexes and measure again"
    )
    print(json.dumps(asyncio.run(main_async(parse(args_parser)))), flush=True)


if __name__ == "__main__":
    main()
