"""Webhook delivery benchmark: SIVO's durable pipeline against a plain HTTP client.

Four local HTTPS receivers (one process each) subscribe to every event. Each run measures,
for each database (SQLite, then PostgreSQL), back to back on the same receivers:

(a) the limit: one aiohttp client posts HMAC-signed bodies to them as fast as it can;
(b) SIVO: events emitted through the outbox by four concurrent emitters (one transaction
    each) and delivered by the durable pipeline (persisted, signed twice, logged);
then, at 200 events/s sustained, the latency from emit to receipt. The ratio b/a is each
run's own, so the machine's noise moves both sides alike.

Every line the processes write to stderr is passed through; the warnings among them (and
the driver's own Python warnings) are counted in the result, which should say 0.

PostgreSQL runs in a database of its own (``sivo_bench_webhooks``, created if missing and
emptied before each run, never the tests' ``test``); it is skipped when unreachable.

Prints one JSON line. Usage: ``python -m bench.webhooks [--seconds 5] [--repeat 3]
[--databases sqlite,postgresql] [--postgres-url URL]``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import re
import statistics
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from server.api.context import SERVICES
from server.app import create_app
from server.schemas.webhooks import EndpointCreate
from server.settings import load_settings
from tests.support.tls import make_pki

ROOT = Path(__file__).resolve().parents[1]
RECEIVERS = 4
POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/sivo_bench_webhooks"
_WARNING = re.compile(r"\w*Warning\b|\bWARNING\b")
BODY = json.dumps(
    {
        "id": "evt_0",
        "type": "call.ended",
        "created_at": "2026-11-21T09:00:00.000Z",
        "tenant_id": "tn_0",
        "data": {"call_id": "c", "pad": "x" * 480},
    }
).encode()


@dataclass
class Printed:
    """What the processes wrote to stderr: passed through, and the warnings counted."""

    warnings: int = 0
    lines: int = 0
    _pumps: set[asyncio.Task[None]] = field(default_factory=set)

    def line(self, text: str) -> None:
        self.lines += 1
        if _WARNING.search(text):
            self.warnings += 1
        sys.stderr.write(text if text.endswith("\n") else text + "\n")

    def watch(self, stream: asyncio.StreamReader) -> None:
        async def pump() -> None:
            while raw := await stream.readline():
                self.line(raw.decode(errors="replace"))

        task = asyncio.ensure_future(pump())
        self._pumps.add(task)
        task.add_done_callback(self._pumps.discard)

    async def drain(self) -> None:
        await asyncio.gather(*self._pumps, return_exceptions=True)


async def _spawn(
    printed: Printed, *args: str, env: dict[str, str] | None = None
) -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    printed.watch(proc.stderr)
    line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode().strip()
    return proc, line


def _cpu_s(pid: int) -> float:
    """A process's CPU time so far (user + system), with its live children's (the webhook
    delivery worker's), from ``/proc``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return own + sum(_cpu_s(int(child)) for child in children)


async def _stats(session: aiohttp.ClientSession, urls: list[str]) -> list[dict[str, Any]]:
    out = []
    for url in urls:
        async with session.get(url.replace("/hook", "/stats")) as resp:
            out.append(await resp.json())
    return out


async def _reset(session: aiohttp.ClientSession, urls: list[str]) -> None:
    for url in urls:
        async with session.post(url.replace("/hook", "/reset")):
            pass


async def measure_limit(session: aiohttp.ClientSession, urls: list[str], seconds: float) -> float:
    """POSTs per second a plain client achieves, 16 in flight per receiver."""
    secret = b"whsec_benchmark"
    deadline = time.perf_counter() + seconds
    sent = 0

    async def worker(url: str) -> None:
        nonlocal sent
        while time.perf_counter() < deadline:
            sig = "sha256=" + hmac.new(secret, BODY, hashlib.sha256).hexdigest()
            headers = {
                "Content-Type": "application/json",
                "X-Sivo-Signature": sig,
                "X-Bench-Measure": "0",
            }
            async with session.post(url, data=BODY, headers=headers) as resp:
                await resp.read()
            sent += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(url) for url in urls for _ in range(16)))
    return sent / (time.perf_counter() - started)


async def command(proc: asyncio.subprocess.Process, line: str, timeout: float) -> None:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(line.encode() + b"\n")
    await proc.stdin.drain()
    done = await asyncio.wait_for(proc.stdout.readline(), timeout)
    assert done.strip() == b"done", done


async def wait_for_count(
    session: aiohttp.ClientSession, urls: list[str], total: int, timeout: float
) -> list[dict[str, Any]]:
    deadline = time.perf_counter() + timeout
    while True:
        stats = await _stats(session, urls)
        if sum(s["count"] for s in stats) >= total or time.perf_counter() > deadline:
            return stats
        await asyncio.sleep(0.05)


async def _fresh_postgres(url: str) -> bool:
    """Create the bench's own database if missing, and empty it; False when unreachable."""
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    base, _, name = dsn.rpartition("/")
    try:
        conn = await asyncpg.connect(dsn, timeout=3)
    except asyncpg.InvalidCatalogNameError:
        admin = await asyncpg.connect(f"{base}/test", timeout=3)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        conn = await asyncpg.connect(dsn, timeout=3)
    except (OSError, asyncpg.PostgresError):
        return False
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await conn.close()
    return True


async def measure_sivo(
    *,
    printed: Printed,
    session: aiohttp.ClientSession,
    pki: Any,
    urls: list[str],
    work: Path,
    database_url: str,
    seconds: float,
) -> dict[str, Any]:
    """(a) then (b) and the latency at 200 events/s, on one database."""
    env = {
        **os.environ,
        "SIVO_DATA_DIR": str(work),
        "SIVO_DATABASE_URL": database_url,
        "SIVO_WEBHOOK_ALLOW_NETWORKS": "127.0.0.0/8",
        "SIVO_WEBHOOK_CA_BUNDLE": str(pki.ca_file),
        "SIVO_LOG_LEVEL": "WARNING",
    }
    # The whole lifecycle, so that every engine it starts is stopped and every connection
    # returned before the database closes (starting it without its cleanup left connections
    # for the garbage collector: SQLAlchemy's SAWarnings).
    setup_env = {**env, "SIVO_WEBHOOK_WORKERS": "0"}  # no delivery here: no worker either
    setup = web.AppRunner(create_app(load_settings(setup_env)), access_log=None)
    await setup.setup()
    svc = setup.app[SERVICES]
    tenant, _key = await svc.identity.create_tenant("bench")
    for url in urls:
        await svc.webhooks.create_endpoint(tenant, EndpointCreate(url=url, events=["*"]))
    await setup.cleanup()

    await _reset(session, urls)
    limit = await measure_limit(session, urls, seconds)
    await _reset(session, urls)

    profile = os.environ.get("SIVO_BENCH_PROFILE")  # a path: cProfile the SIVO process
    args = ("-m", "cProfile", "-o", profile) if profile else ()
    sivo, ready = await _spawn(printed, *args, "bench/_webhook_sivo.py", tenant, env=env)
    try:
        assert ready == "ready", ready
        events_n = max(200, int(limit * seconds / RECEIVERS / 2))
        cpu_before = _cpu_s(sivo.pid)
        started = time.time()
        await command(sivo, f"flood {events_n}", timeout=300)
        emitted_in = time.time() - started
        stats = await wait_for_count(session, urls, events_n * RECEIVERS, timeout=300)
        flood_cpu_s = _cpu_s(sivo.pid) - cpu_before
        delivered = sum(s["count"] for s in stats)
        sivo_rate = delivered / (max(s["last"] for s in stats) - started)
        await _reset(session, urls)

        await command(sivo, "rate 200 10", timeout=120)
        stats = await wait_for_count(session, urls, 2000 * RECEIVERS, timeout=120)
        latencies = sorted(x for s in stats for x in s["latencies"])
        assert sivo.stdin is not None
        sivo.stdin.close()  # lets the SIVO process shut down cleanly (and write a profile)
        try:
            await asyncio.wait_for(sivo.wait(), 15)
        except TimeoutError:
            pass
    finally:
        if sivo.returncode is None:
            sivo.kill()
        await sivo.wait()
    q = statistics.quantiles(latencies, n=100)
    return {
        "limit_deliveries_per_s": round(limit),
        "sivo_deliveries_per_s": round(sivo_rate),
        "sivo_events_per_s": round(sivo_rate / RECEIVERS),
        "ratio": round(sivo_rate / limit, 3),
        "flood_events": events_n,
        "flood_emit_s": round(emitted_in, 2),
        # The SIVO process's CPU (user + system, all its threads) per event of the flood,
        # emitted and delivered to the four receivers: the machine's noise moves it less than
        # the rates.
        "sivo_cpu_us_per_event": round(flood_cpu_s / events_n * 1e6),
        "latency_at_200_events_per_s_ms": {
            "p50": round(q[49], 1),
            "p99": round(q[98], 1),
            "n": len(latencies),
        },
        "delivered_all": delivered == events_n * RECEIVERS,
    }


async def run(
    seconds: float, databases: list[str], postgres_url: str, printed: Printed
) -> dict[str, dict[str, Any]]:
    """One run: the receivers, then each database in turn."""
    work = Path(tempfile.mkdtemp(prefix="sivo-bench-"))
    pki = make_pki(work / "pki")
    procs = []
    urls = []
    out: dict[str, dict[str, Any]] = {}
    try:
        for _ in range(RECEIVERS):
            proc, port = await _spawn(
                printed, "bench/_webhook_receiver.py", str(pki.cert_file), str(pki.key_file)
            )
            procs.append(proc)
            urls.append(f"https://127.0.0.1:{port}/hook")
        connector = aiohttp.TCPConnector(limit=0, ssl=pki.client_context())
        async with aiohttp.ClientSession(connector=connector) as session:
            for database in databases:
                (work / database).mkdir()
                if database == "sqlite":
                    url = f"sqlite+aiosqlite:///{work}/sqlite/sivo.db"
                elif await _fresh_postgres(postgres_url):
                    url = postgres_url
                else:
                    out[database] = {"skipped": f"no PostgreSQL at {postgres_url}"}
                    continue
                out[database] = await measure_sivo(
                    printed=printed,
                    session=session,
                    pki=pki,
                    urls=urls,
                    work=work / database,
                    database_url=url,
                    seconds=seconds,
                )
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
            await proc.wait()
        await printed.drain()
    return out


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    return {
        "limit_deliveries_per_s": med("limit_deliveries_per_s"),
        "sivo_deliveries_per_s": med("sivo_deliveries_per_s"),
        "ratio": med("ratio"),
        "sivo_cpu_us_per_event": med("sivo_cpu_us_per_event"),
        "p50_ms": statistics.median(r["latency_at_200_events_per_s_ms"]["p50"] for r in runs),
        "p99_ms": statistics.median(r["latency_at_200_events_per_s_ms"]["p99"] for r in runs),
        "delivered_all": all(r["delivered_all"] for r in runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    args = parser.parse_args()
    databases = [d for d in args.databases.split(",") if d]
    printed = Printed()
    shown = warnings.showwarning

    def count_warning(*a: Any, **kw: Any) -> None:
        printed.warnings += 1
        shown(*a, **kw)

    warnings.showwarning = count_warning
    runs = [
        asyncio.run(run(args.seconds, databases, args.postgres_url, printed))
        for _ in range(args.repeat)
    ]
    result: dict[str, Any] = {"benchmark": "webhooks", "receivers": RECEIVERS, "runs": len(runs)}
    for database in databases:
        measured = [r[database] for r in runs if "skipped" not in r.get(database, {"skipped": 1})]
        result[database] = (
            {"median": _median(measured), "ratios": [r["ratio"] for r in measured]}
            if measured
            else {"skipped": runs[0][database]["skipped"]}
        )
    result["warnings_printed"] = printed.warnings
    result["stderr_lines"] = printed.lines
    result["runs_detail"] = runs
    print(json.dumps(result))


if __name__ == "__main__":
    main()
