"""Call history benchmark: ``GET /api/v1/calls``'s filters at 1,000,000 calls.

For each database (SQLite, then PostgreSQL) a fresh schema is migrated (so the indexes are
the migrations': 0012's ``ix_calls_tenant_created``, 0013's by queue and by agent, 0015's
partial ones), then filled with the calls of ``bench/reports.py`` (its generator: a year of
one tenant's 1,000,000 calls, 80% answered, 12% abandoned, 3% missed, 5% outbound, all
ended, beside a second tenant's 100,000) and analysed. SQLite loads them with executemany
(50,000 rows a transaction), PostgreSQL with ``COPY`` (asyncpg's ``copy_records_to_table``),
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

from bench.reports import AGENTS, END, OTHER, QUEUES, TENANT, _rows, _timed
from bench.reports import _load as load_by_executemany
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
    Case("queue", {"queue_id": QUEUES[2]}),
    Case("agent", {"agent_id": AGENTS[7]}),
    Case("outbound", {"direction": "outbound"}),
    Case("outcome_answered", {"outcome": "answered"}),
    Case("outcome_abandoned", {"outcome": "abandoned"}),
    Case("outcome_missed", {"outcome": "missed"}),
    Case("outcome_unanswered", {"outcome": "unanswered"}),  # no such call
    Case("outcome_in_progress", {"outcome": "in_progress"}),  # no such call
    Case("queue_abandoned_month", {"queue_id": QUEUES[2], "outcome": "abandoned"}, days=31),
    Case("agent_outbound", {"agent_id": AGENTS[7], "direction": "outbound"}),
)


def _query(case: Case) -> CallListQuery:
    """The case's query as the API would parse it (RFC 3339 strings, like a client sends)."""
    period: dict[str, str] = {}
    if case.days is not None:
        period = {"since": (END - timedelta(days=case.days)).isoformat(), "until": END.isoformat()}
    return CallListQuery.model_validate({"limit": 100, **period, **case.filters})


async def _create_postgres(url: str) -> str | None:
    """Create the bench's database afresh (dropped first if a run left it); why not, if not."""
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    base, _, name = dsn.rpartition("/")
    try:
        admin = await asyncpg.connect(f"{base}/postgres", timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        return f"PostgreSQL unreachable: {exc}"
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return None


async def _drop_postgres(url: str) -> None:
    import asyncpg

    base, _, name = url.replace("postgresql+asyncpg://", "postgresql://").rpartition("/")
    admin = await asyncpg.connect(f"{base}/postgres", timeout=3)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        await admin.close()


async def _copy_postgres(url: str, count: int) -> None:
    """Both tenants' calls through COPY, one chunk of rows a call, in one transaction."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        async with conn.transaction():
            for tenant_id, n, seed in ((TENANT, count, 1), (OTHER, count // 10, 2)):
                for chunk in _rows(tenant_id, n, seed):
                    columns = list(chunk[0])
                    await conn.copy_records_to_table(
                        "calls", records=[tuple(r.values()) for r in chunk], columns=columns
                    )
    finally:
        await conn.close()


async def _load(db: Database, url: str, count: int) -> float:
    """Both tenants' calls, analysed; SQLite through the reports bench's own loader."""
    if db.is_sqlite:
        return await load_by_executemany(db, count)
    began = time.perf_counter()
    await _copy_postgres(url, count)
    async with db.engine.connect() as conn:
        auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await auto.execute(text("VACUUM ANALYZE calls"))
    return time.perf_counter() - began


async def _median_ms(fn: Callable[[], Awaitable[Any]], repeat: int) -> float:
    """The median after a warm-up run: the reports bench's nearest-rank p50, which is the
    median for an odd number of runs (3 by default)."""
    return (await _timed(fn, repeat))["p50"]


async def _plan(db: Database, where: call_history.CallFilter) -> str:
    """The database's plan for the case's statement (values inline, as the bench ran it)."""
    statement = call_history.list_calls_query(where)
    async with db.read() as conn:
        sql = str(statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        if db.is_sqlite:
            rows = (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)).all()
            return "; ".join(str(row[-1]) for row in rows)
        rows = (await conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql)).all()
        lines = [str(row[0]).strip().removeprefix("->").strip() for row in rows]
        keep = ("Limit", "Sort", "Index Cond", "Filter", "Rows Removed", "Execution")
        found = [line for line in lines if "Scan" in line or line.startswith(keep)]
        buffers = [line for line in lines if line.startswith("Buffers")][:1]  # the whole plan's
        return "; ".join(found + buffers)


async def _case(db: Database, history: CallHistory, case: Case, repeat: int) -> dict[str, Any]:
    query = _query(case)
    where = call_filter(TENANT, query)

    async def statement() -> None:
        async with db.read() as conn:
            await call_history.list_calls(conn, where)

    page = await history.list_calls(TENANT, query)
    return {
        "ms": await _median_ms(lambda: history.list_calls(TENANT, query), repeat),
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
    result: dict[str, Any] = {
        "bench": "history",
        "calls": args.calls,
        "other_tenant_calls": args.calls // 10,
        "page": 100,
        "repeat": args.repeat,
        "cpus": os.cpu_count(),
        "load_avg_1m_before": round(os.getloadavg()[0], 2),
        "databases": {},
    }
    for name in args.databases.split(","):
        if name == "sqlite":
            with tempfile.TemporaryDirectory(prefix="sivo-bench-history-") as tmp:
                url = f"sqlite+aiosqlite:///{Path(tmp) / 'history.db'}"
                result["databases"]["sqlite"] = await run_database(
                    name, url, args.calls, args.repeat, args.only
                )
        elif name == "postgresql":
            why = await _create_postgres(args.postgres_url)
            if why is not None:
                result["databases"]["postgresql"] = {"skipped": why}
                continue
            try:
                result["databases"]["postgresql"] = await run_database(
                    name, args.postgres_url, args.calls, args.repeat, args.only
                )
            finally:
                await _drop_postgres(args.postgres_url)
    result["load_avg_1m_after"] = round(os.getloadavg()[0], 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--cases", default="", help="comma-separated case names (default: all)")
    args = parser.parse_args()
    args.only = frozenset(filter(None, args.cases.split(",")))
    print(json.dumps(asyncio.run(main_async(args))), flush=True)


if __name__ == "__main__":
    main()
