"""What the call benchmarks share (``bench/reports.py``, ``bench/history.py``): the generated
history of calls and its loader, the timing of a repeated call, the databases a run goes
through, and their command line.

The history: a year of one tenant's calls before ``END`` (one every ~31.5 s at 1,000,000:
80% answered, 12% abandoned, 3% missed, 5% outbound; 5 queues, 50 agents, all ended),
beside a second tenant's tenth as many, from fixed seeds (the same rows on every run).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable

from server.store import rollup
from server.store.db import Database
from server.store.tables import calls

TENANT, OTHER = "tn_bench_a", "tn_bench_b"
QUEUES = [f"q_bench_{n}" for n in range(5)]
AGENTS = [f"ag_bench_{n:02d}" for n in range(50)]
YEAR_S = 365 * 86400
END = datetime(2026, 12, 1, tzinfo=UTC)  # the history's last day ends here
CHUNK = 50_000


def call_rows(tenant_id: str, count: int, seed: int) -> Iterator[list[dict[str, Any]]]:
    """The tenant's calls over the year before END, in chunks of CHUNK rows."""
    rng = random.Random(seed)
    start = END.timestamp() - YEAR_S
    step = YEAR_S / count
    chunk: list[dict[str, Any]] = []
    for i in range(count):
        created = start + i * step + rng.random() * step
        kind = rng.random()
        wait = rng.expovariate(1 / 18)
        talk = 60 + rng.expovariate(1 / 180)
        row: dict[str, Any] = {
            "id": f"c_{tenant_id}_{i:08d}",
            "tenant_id": tenant_id,
            "direction": "inbound",
            "from_number": "+14155550100",
            "to_number": "+18005550100",
            "queue_id": QUEUES[i % len(QUEUES)],
            "agent_id": None,
            "state": "ended",
            "created_at": created,
            "queued_at": created,
            "answered_at": None,
            "ended_at": created + wait,
            "wait_s": wait,
            "talk_s": 0.0,
            "hold_s": 0.0,
            "hangup_cause": "abandoned",
            "hangup_side": "caller",
            "transfers": "[]",
            "recording_id": None,
        }
        agent = AGENTS[rng.randrange(len(AGENTS))]
        if kind < 0.80:
            row.update(agent_id=agent, answered_at=created + wait, ended_at=created + wait + talk)
            row.update(talk_s=talk, hold_s=15.0 if i % 5 == 0 else 0.0)
            row.update(hangup_cause="caller_hangup")
        elif kind < 0.92:
            pass  # abandoned
        elif kind < 0.95:
            row.update(hangup_cause="no_answer", hangup_side="system")
        else:
            row.update(direction="outbound", queue_id=None, queued_at=None, agent_id=agent)
            row.update(answered_at=created + 4, ended_at=created + 4 + talk, talk_s=talk)
            row.update(hangup_cause="agent_hangup", hangup_side="agent")
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def tenants(count: int) -> tuple[tuple[str, int, int], ...]:
    """``(tenant id, calls, seed)`` of the two tenants at ``count`` calls."""
    return ((TENANT, count, 1), (OTHER, count // 10, 2))


async def load_calls(db: Database, count: int) -> float:
    """Both tenants' calls by executemany (a chunk a transaction), each chunk's ended calls
    added to the rollup by the call store's own statement (as when calls end), then
    analysed; the seconds it took."""
    began = time.perf_counter()
    for tenant_id, n, seed in tenants(count):
        for chunk in call_rows(tenant_id, n, seed):
            async with db.transaction() as tx:
                await tx.conn.execute(calls.insert(), chunk)
                await rollup.add_calls_txn(tx, [row["id"] for row in chunk])
    if db.is_sqlite:
        async with db.transaction() as tx:
            await tx.conn.execute(text("ANALYZE"))
    else:
        async with db.engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await auto.execute(text("VACUUM ANALYZE calls"))
            await auto.execute(text("VACUUM ANALYZE call_rollup"))
    return time.perf_counter() - began


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50 and p99 in ms, nearest rank (with 3 samples: the median and the slowest)."""
    ordered = sorted(samples)

    def rank(p: float) -> float:
        return ordered[max(0, math.ceil(p * len(ordered)) - 1)] * 1000

    return {"p50": round(rank(0.50), 2), "p99": round(rank(0.99), 2)}


async def timed(fn: Callable[[], Awaitable[Any]], repeat: int) -> dict[str, float]:
    """``fn`` awaited ``repeat`` times after one unmeasured warm-up run: its percentiles."""
    await fn()  # warm-up: caches, the statement's compilation
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - began)
    return percentiles(samples)


def literal_sql(conn: AsyncConnection, statement: Executable) -> str:
    """The statement in the connection's dialect with its values inline (for EXPLAIN)."""
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    return str(compiled)


async def sqlite_plan(conn: AsyncConnection, sql: str) -> str:
    """SQLite's ``EXPLAIN QUERY PLAN``, its steps joined by "; "."""
    rows = (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)).all()
    return "; ".join(str(row[-1]) for row in rows)


@asynccontextmanager
async def postgres_database(url: str, *, drop_after: bool) -> AsyncIterator[str | None]:
    """The bench's own PostgreSQL database, created afresh (dropped first if a run left it),
    dropped at the end when ``drop_after``; yields why not when the server is unreachable."""
    import asyncpg

    base, _, name = url.replace("postgresql+asyncpg://", "postgresql://").rpartition("/")

    async def admin(statement: str) -> None:
        conn = await asyncpg.connect(f"{base}/postgres", timeout=3)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    try:
        await admin(f'DROP DATABASE IF EXISTS "{name}"')
    except (OSError, asyncpg.PostgresError) as exc:
        why: str | None = f"PostgreSQL unreachable: {exc}"
    else:
        why = None
    if why is not None:
        yield why
        return
    await admin(f'CREATE DATABASE "{name}"')
    try:
        yield None
    finally:
        if drop_after:
            await admin(f'DROP DATABASE IF EXISTS "{name}"')


async def each_database(
    args: argparse.Namespace,
    bench: str,
    run: Callable[[str, str], Awaitable[dict[str, Any]]],
    *,
    drop_postgres: bool,
) -> dict[str, Any]:
    """``run(name, url)`` for each of ``--databases`` in order: SQLite in a temporary file,
    PostgreSQL in ``--postgres-url`` (``{"skipped": why}`` when unreachable)."""
    out: dict[str, Any] = {}
    for name in args.databases.split(","):
        if name == "sqlite":
            with tempfile.TemporaryDirectory(prefix=f"sivo-bench-{bench}-") as tmp:
                out[name] = await run(name, f"sqlite+aiosqlite:///{Path(tmp) / f'{bench}.db'}")
        elif name == "postgresql":
            async with postgres_database(args.postgres_url, drop_after=drop_postgres) as why:
                out[name] = {"skipped": why} if why else await run(name, args.postgres_url)
    return out


def load_avg() -> float:
    """The machine's 1-minute load average (other processes' load shows in the timings)."""
    return round(os.getloadavg()[0], 2)


def parser(doc: str | None, postgres_url: str) -> argparse.ArgumentParser:
    """The flags both benches take; ``parse`` reads them."""
    out = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    out.add_argument("--calls", type=int, default=1_000_000)
    out.add_argument("--repeat", type=int, default=3)
    out.add_argument("--databases", default="sqlite,postgresql")
    out.add_argument("--postgres-url", default=postgres_url)
    out.add_argument("--cases", default="", help="comma-separated case names (default: all)")
    return out


def parse(args_parser: argparse.ArgumentParser) -> argparse.Namespace:
    """The command line, with ``only``: the chosen cases' names (empty: all)."""
    args = args_parser.parse_args()
    args.only = frozenset(filter(None, args.cases.split(",")))
    return args
