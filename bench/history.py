"""Call history benchmark: ``GET /api/v1/calls``'s filters at 1,000,000 calls.

For each database (SQLite, then PostgreSQL) a fresh schema is migrated (so the indexes are
the migrations': 0012's ``ix_calls_tenant_created``, 0013's by queue and by agent, 0015's
partial ones), then filled with the calls ``bench/reports.py`` measures too
(``bench/_runs.py``'s history: a year of one tenant's 1,000,000 calls, 80% answered, 12%
abandoned, 3% missed, 5% outbound, all ended, beside a second tenant's 100,000) and
analysed. SQLite loads them with executemany (50,000 rows a transaction,
``bench._runs.load_calls``), PostgreSQL with ``COPY`` (asyncpg's ``copy_records_to_table``),
then ``VACUUM ANALYZE``.

Then each case (a filter of the call log, a page of 100) is measured in this one process,
on the event loop, with ``time.perf_counter`` around the awaited call:

- ``ms``: the whole service call, ``CallHistory.list_calls`` (one read connection, the
  statement, the rows rendered as ``Call`` models), what a request costs apart from HTTP;
- ``sql_ms``: ``call_history.list_calls``'s statement alone, rows fetched;

each the median of ``--repeat`` runs (3) after one unmeasured warm-up run. ``rows`` is how
many calls the page holds (0 for the outcomes no generated call has: in_progress and
unanswered); ``plan`` is the database's plan: SQLite's ``EXPLAIN QUERY PLAN``, PostgreSQL's
``EXPLAIN (ANALYZE, BUFFERS)`` (its plan nodes, the rows each returned, and the time).

The machine's 1-minute load average before and after is in the result: each statement runs
on one core, so other processes' load shows in the timings.

PostgreSQL runs in a database of its own, ``sivo_bench_history`` on 127.0.0.1:5432 (never
the tests' ``test``), created at the start and dropped at the end; skipped when unreachable.

Prints one JSON line. Usage: ``python -m bench.history [--calls 1000000] [--repeat 3]
[--databases sqlite,postgresql] [--postgres-url URL] [--cases none,outcome_missed]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench import _runs as runs
from server.clock import SystemClock
from server.schemas.calls import CallListQuery
from server.store import call_history
from server.store.db import Database
from server.telephony.history import CallHistory, call_filter
from server.telephony.recordings import RecordingUrls

POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/sivo_bench_history"


@dataclass(frozen=True)
class Case:
    name: str
    filters: dict[str, str] = field(default_factory=dict)
    days: int | None = None  # the period: the last ``days`` before END


CASES = (
    Case("none"),
    Case("last_day", days=1),
    Case("queue", {"queue_id": runs.QUEUES[2]}),
    Case("agent", {"agent_id": runs.AGENTS[7]}),
    Case("outbound", {"direction": "outbound"}),
    Case("outcome_answered", {"outcome": "answered"}),
    Case("outcome_abandoned", {"outcome": "abandoned"}),
    Case("outcome_missed", {"outcome": "missed"}),
    Case("outcome_unanswered", {"outcome": "unanswered"}),  # no such call
    Case("outcome_in_progress", {"outcome": "in_progress"}),  # no such call
    Case("queue_abandoned_month", {"queue_id": runs.QUEUES[2], "outcome": "abandoned"}, days=31),
    Case("agent_outbound", {"agent_id": runs.AGENTS[7], "direction": "outbound"}),
)


def _query(case: Case) -> CallListQuery:
    """The case's query as the API would parse it (RFC 3339 strings, like a client sends)."""
    period: dict[str, str] = {}
    if case.days is not None:
        period = {
            "since": (runs.END - timedelta(days=case.days)).isoformat(),
            "until": runs.END.isoformat(),
        }
    return CallListQuery.model_validate({"limit": 100, **period, **case.filters})


async def _copy_postgres(url: str, count: int) -> None:
    """Both tenants' calls through COPY, one chunk of rows a call, in one transaction."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        async with conn.transaction():
            for tenant_id, n, seed in runs.tenants(count):
                for chunk in runs.call_rows(tenant_id, n, seed):
                    columns = list(chunk[0])
                    await conn.copy_records_to_table(
                        "calls", records=[tuple(r.values()) for r in chunk], columns=columns
                    )
    finally:
        await conn.close()


async def _load(db: Database, url: str, count: int) -> float:
    """Both tenants' calls, analysed; SQLite through the loader the reports bench uses."""
    if db.is_sqlite:
        return await runs.load_calls(db, count)
    began = time.perf_counter()
    await _copy_postgres(url, count)
    async with db.engine.connect() as conn:
        auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await auto.execute(text("VACUUM ANALYZE calls"))
    return time.perf_counter() - began


async def _median_ms(fn: Callable[[], Awaitable[Any]], repeat: int) -> float:
    """The median after a warm-up run: the nearest-rank p50, which is the median for an odd
    number of runs (3 by default)."""
    return (await runs.timed(fn, repeat))["p50"]


async def _plan(db: Database, where: call_history.CallFilter) -> str:
    """The database's plan for the case's statement (values inline, as the bench ran it)."""
    statement = call_history.list_calls_query(where)
    async with db.read() as conn:
        sql = runs.literal_sql(conn, statement)
        if db.is_sqlite:
            return await runs.sqlite_plan(conn, sql)
        rows = (await conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql)).all()
        lines = [str(row[0]).strip().removeprefix("->").strip() for row in rows]
        keep = ("Limit", "Sort", "Index Cond", "Filter", "Rows Removed", "Execution")
        found = [line for line in lines if "Scan" in line or line.startswith(keep)]
        buffers = [line for line in lines if line.startswith("Buffers")][:1]  # the whole plan's
        return "; ".join(found + buffers)


async def _case(db: Database, history: CallHistory, case: Case, repeat: int) -> dict[str, Any]:
    query = _query(case)
    where = call_filter(runs.TENANT, query)

    async def statement() -> None:
        async with db.read() as conn:
            await call_history.list_calls(conn, where)

    page = await history.list_calls(runs.TENANT, query)
    return {
        "ms": await _median_ms(lambda: history.list_calls(runs.TENANT, query), repeat),
        "sql_ms": await _median_ms(statement, repeat),
        "rows": len(page),
        "plan": await _plan(db, where),
    }


async def run_database(
    name: str, url: str, count: int, repeat: int, only: frozenset[str] = frozenset()
) -> dict[str, Any]:
    db = Database(url)
    try:
        await db.upgrade()
        load_s = await _load(db, url, count)
        print(f"# {name}: {count} calls loaded in {load_s:.1f} s", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory(prefix="sivo-bench-history-") as tmp:
            urls = RecordingUrls(
                master_key=b"bench", public_url="http://127.0.0.1", ttl_s=60, clock=SystemClock()
            )
            history = CallHistory(db=db, urls=urls, recordings_dir=Path(tmp))
            cases: dict[str, Any] = {}
            for case in CASES:
                if only and case.name not in only:
                    continue
                cases[case.name] = await _case(db, history, case, repeat)
                print(f"# {name} {case.name}: {json.dumps(cases[case.name])}", file=sys.stderr)
        return {"load_s": round(load_s, 1), "cases": cases}
    finally:
        await db.close()


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    async def run(name: str, url: str) -> dict[str, Any]:
        return await run_database(name, url, args.calls, args.repeat, args.only)

    result: dict[str, Any] = {
        "bench": "history",
        "calls": args.calls,
        "other_tenant_calls": args.calls // 10,
        "page": 100,
        "repeat": args.repeat,
        "cpus": os.cpu_count(),
        "load_avg_1m_before": runs.load_avg(),
    }
    result["databases"] = await runs.each_database(args, "history", run, drop_postgres=True)
    result["load_avg_1m_after"] = runs.load_avg()
    return result


def main() -> None:
    print(
        json.dumps(asyncio.run(main_async(runs.parse(runs.parser(__doc__, POSTGRES_URL))))),
        flush=True,
    )


if __name__ == "__main__":
    main()
