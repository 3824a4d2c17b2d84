"""Where a webhook event's CPU goes, in SIVO's own process: emit, delivery, and the POST.

``bench/webhooks.py`` measures rates against a plain client, which the machine's noise moves
a lot; this one measures CPU time (``time.process_time``: every thread of this process, which
is the whole SIVO app here) per unit of work, which it moves much less. Four local HTTPS
receivers (``bench/_webhook_receiver.py``, one process each) subscribe to every event, on
SQLite (the embedded default) in a temporary directory:

- ``emit_us``: one ``call.ended`` emitted through the outbox by four concurrent emitters (one
  transaction each), its four deliveries written but parked (the endpoints disabled), so no
  POST is made;
- ``deliver_us``: each of those deliveries sent once its endpoint is enabled again (the
  signed POST, the delivery core, the outcome written), per delivery;
- ``post_us``: ``AiohttpTransport.post`` alone, with the headers ``signature_headers`` makes,
  per POST, beside ``bare_post_us``, a bare ``aiohttp`` POST of the same body, alternating,
  in this process, 16 in flight per receiver as the plain client of ``bench/webhooks.py``.

Prints one JSON line, medians of ``--repeat`` rounds. Usage:
``python -m bench.webhook_costs [--events 2000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from server.api.context import SERVICES
from server.app import OUTBOX, create_app
from server.events.catalog import CATALOG
from server.schemas.webhooks import EndpointCreate, EndpointUpdate
from server.settings import load_settings
from server.webhooks.sender import AiohttpTransport
from server.webhooks.signing import signature_headers
from server.webhooks.ssrf import AddressPolicy
from tests.support.tls import LocalPKI, make_pki

ROOT = Path(__file__).resolve().parents[1]
RECEIVERS = 4
BODY = json.dumps({"id": "evt_0", "type": "call.ended", "data": {"pad": "x" * 480}}).encode()


async def _receivers(pki: LocalPKI) -> list[tuple[asyncio.subprocess.Process, str]]:
    out = []
    for _ in range(RECEIVERS):
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "bench/_webhook_receiver.py",
            str(pki.cert_file),
            str(pki.key_file),
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
        )
        assert proc.stdout is not None
        port = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
        out.append((proc, f"https://127.0.0.1:{port}/hook"))
    return out


async def _cpu_us(work: Callable[[], Awaitable[Any]], units: int) -> float:
    before = time.process_time()
    await work()
    return (time.process_time() - before) / units * 1e6


async def pipeline(pki: LocalPKI, urls: list[str], work: Path, events: int) -> dict[str, float]:
    """emit_us and deliver_us, on a fresh SQLite app."""
    env = {
        **os.environ,
        "SIVO_DATA_DIR": str(work),
        "SIVO_DATABASE_URL": f"sqlite+aiosqlite:///{work}/sivo.db",
        "SIVO_WEBHOOK_ALLOW_NETWORKS": "127.0.0.0/8",
        "SIVO_WEBHOOK_CA_BUNDLE": str(pki.ca_file),
        "SIVO_LOG_LEVEL": "WARNING",
        "SIVO_WEBHOOK_WORKERS": "0",  # the deliveries' CPU is this process's, measured here
    }
    runner = web.AppRunner(create_app(load_settings(env)), access_log=None)
    await runner.setup()
    try:
        svc, outbox = runner.app[SERVICES], runner.app[OUTBOX]
        tenant, _key = await svc.identity.create_tenant("bench")
        endpoints = [
            await svc.webhooks.create_endpoint(tenant, EndpointCreate(url=url, events=["*"]))
            for url in urls
        ]
        example = CATALOG["call.ended"]["example"]

        async def emit(i: int) -> None:
            async with svc.db.transaction() as tx:
                await outbox.emit_txn(tx, tenant, "call.ended", {**example, "call_id": f"c{i}"})

        async def flood(first: int, n: int) -> None:
            for start in range(first, first + n, 4):
                await asyncio.gather(*(emit(i) for i in range(start, min(first + n, start + 4))))

        async def switch(enabled: bool) -> None:
            for endpoint in endpoints:
                await svc.webhooks.update_endpoint(
                    tenant, endpoint.id, EndpointUpdate(enabled=enabled)
                )

        await flood(0, 200)  # warm: statements compiled, connections open
        await svc.webhooks._engine.idle(120)
        await switch(False)
        emit_us = await _cpu_us(lambda: flood(1000, events), events)

        async def deliver() -> None:
            await switch(True)
            await svc.webhooks._engine.idle(300)

        deliver_us = await _cpu_us(deliver, events * RECEIVERS)
        return {"emit_us": emit_us, "deliver_us": deliver_us}
    finally:
        await runner.cleanup()


async def posts(pki: LocalPKI, urls: list[str], count: int) -> dict[str, float]:
    """post_us and bare_post_us, alternating, the same receivers and body."""
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, ssl=pki.client_context())
    )
    policy = AddressPolicy([ipaddress.ip_network("127.0.0.0/8")])
    transport = AiohttpTransport(policy=policy, timeout_s=10, ca_bundle=pki.ca_file)

    async def bare(url: str) -> None:
        headers = {"Content-Type": "application/json", "X-Bench-Measure": "0"}
        async with session.post(url, data=BODY, headers=headers) as resp:
            await resp.read()

    async def sivo(url: str) -> None:
        headers = signature_headers(
            secret="whsec_" + "k" * 32,
            previous_secret=None,
            event_id="evt_0",
            event_type="call.ended",
            timestamp=int(time.time()),
            body=BODY,
        )
        headers["X-Bench-Measure"] = "0"
        sent = await transport.post(url, BODY, headers)
        assert sent.ok, sent

    async def many(post: Callable[[str], Awaitable[None]], n: int) -> None:
        left = n

        async def worker(url: str) -> None:
            nonlocal left
            while left > 0:
                left -= 1
                await post(url)

        await asyncio.gather(*(worker(url) for url in urls for _ in range(16)))

    try:
        out: dict[str, list[float]] = {"bare_post_us": [], "post_us": []}
        for _ in range(2):
            for name, post in (("bare_post_us", bare), ("post_us", sivo)):
                await many(post, 200)  # the connections open, unmeasured
                out[name].append(await _cpu_us(lambda p=post: many(p, count), count))  # type: ignore[misc]
        return {name: statistics.median(values) for name, values in out.items()}
    finally:
        await session.close()
        await transport.close()


async def run(events: int) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="sivo-bench-costs-"))
    pki = make_pki(work / "pki")
    receivers = await _receivers(pki)
    try:
        urls = [url for _, url in receivers]
        result = await pipeline(pki, urls, work, events)
        result.update(await posts(pki, urls, events * 2))
        return result
    finally:
        for proc, _ in receivers:
            proc.kill()
            await proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rounds = [asyncio.run(run(args.events)) for _ in range(args.repeat)]
    keys = ("emit_us", "deliver_us", "post_us", "bare_post_us")
    print(
        json.dumps(
            {
                "benchmark": "webhook_costs",
                "database": "sqlite",
                "events": args.events,
                "receivers": RECEIVERS,
                "median": {k: round(statistics.median(r[k] for r in rounds)) for k in keys},
                "rounds": [{k: round(r[k]) for k in keys} for r in rounds],
                "load_average": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
