"""Webhook delivery benchmark: SIVO's durable pipeline against a plain HTTP client.

Four local HTTPS receivers (one process each) subscribe to every event. In one run:

(a) the limit: one aiohttp client posts HMAC-signed bodies to them as fast as it can;
(b) SIVO: events emitted through the outbox (one transaction each) and delivered by the
    durable pipeline (persisted, signed twice, logged, on SQLite by default);
then, at 200 events/s sustained, the latency from emit to receipt.

Prints one JSON line. Usage: ``python -m bench.webhooks [--seconds 5] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import statistics
import sys
import tempfile
import time
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
BODY = json.dumps(
    {
        "id": "evt_0",
        "type": "call.ended",
        "created_at": "2026-11-21T09:00:00.000Z",
        "tenant_id": "tn_0",
        "data": {"call_id": "c", "pad": "x" * 480},
    }
).encode()


async def _spawn(
    *args: str, env: dict[str, str] | None = None
) -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode().strip()
    return proc, line


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


async def run(seconds: float, database_url: str | None) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="sivo-bench-"))
    pki = make_pki(work / "pki")
    procs = []
    urls = []
    for _ in range(RECEIVERS):
        proc, port = await _spawn(
            "bench/_webhook_receiver.py", str(pki.cert_file), str(pki.key_file)
        )
        procs.append(proc)
        urls.append(f"https://127.0.0.1:{port}/hook")
    env = {
        **os.environ,
        "SIVO_DATA_DIR": str(work),
        "SIVO_DATABASE_URL": database_url or f"sqlite+aiosqlite:///{work}/sivo.db",
        "SIVO_WEBHOOK_ALLOW_NETWORKS": "127.0.0.0/8",
        "SIVO_WEBHOOK_CA_BUNDLE": str(pki.ca_file),
        "SIVO_LOG_LEVEL": "WARNING",
    }
    settings = load_settings(env)
    # The whole lifecycle, so that every engine it starts is stopped and every connection
    # returned before the database closes (starting it without its cleanup left connections
    # for the garbage collector: SQLAlchemy's SAWarnings).
    setup = web.AppRunner(create_app(settings), access_log=None)
    await setup.setup()
    svc = setup.app[SERVICES]
    tenant, _key = await svc.identity.create_tenant("bench")
    for url in urls:
        await svc.webhooks.create_endpoint(tenant, EndpointCreate(url=url, events=["*"]))
    await setup.cleanup()

    connector = aiohttp.TCPConnector(limit=0, ssl=pki.client_context())
    async with aiohttp.ClientSession(connector=connector) as session:
        limit = await measure_limit(session, urls, seconds)
        await _reset(session, urls)

        profile = os.environ.get("SIVO_BENCH_PROFILE")  # a path: cProfile the SIVO process
        args = ("-m", "cProfile", "-o", profile) if profile else ()
        sivo, ready = await _spawn(*args, "bench/_webhook_sivo.py", tenant, env=env)
        assert ready == "ready", ready
        procs.append(sivo)
        events_n = max(200, int(limit * seconds / RECEIVERS / 2))
        started = time.time()
        await command(sivo, f"flood {events_n}", timeout=300)
        emitted_in = time.time() - started
        stats = await wait_for_count(session, urls, events_n * RECEIVERS, timeout=300)
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
    for proc in procs:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()
    q = statistics.quantiles(latencies, n=100)
    return {
        "limit_deliveries_per_s": round(limit),
        "sivo_deliveries_per_s": round(sivo_rate),
        "sivo_events_per_s": round(sivo_rate / RECEIVERS),
        "ratio": round(sivo_rate / limit, 3),
        "flood_events": events_n,
        "flood_emit_s": round(emitted_in, 2),
        "latency_at_200_events_per_s_ms": {
            "p50": round(q[49], 1),
            "p99": round(q[98], 1),
            "n": len(latencies),
        },
        "delivered_all": delivered == events_n * RECEIVERS,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--database-url", help="default: SQLite in a temporary directory")
    args = parser.parse_args()
    runs = [asyncio.run(run(args.seconds, args.database_url)) for _ in range(args.repeat)]
    ratios = [r["ratio"] for r in runs]
    result = {
        "benchmark": "webhooks",
        "database": "postgresql" if args.database_url else "sqlite",
        "receivers": RECEIVERS,
        "runs": len(runs),
        "median": {
            "limit_deliveries_per_s": statistics.median(r["limit_deliveries_per_s"] for r in runs),
            "sivo_deliveries_per_s": statistics.median(r["sivo_deliveries_per_s"] for r in runs),
            "ratio": statistics.median(ratios),
            "p50_ms": statistics.median(r["latency_at_200_events_per_s_ms"]["p50"] for r in runs),
            "p99_ms": statistics.median(r["latency_at_200_events_per_s_ms"]["p99"] for r in runs),
        },
        "runs_detail": runs,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
