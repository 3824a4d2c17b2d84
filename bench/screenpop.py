"""Screen-pop benchmark: Salesforce round trips per pop, and lookup latency cached and not.

devorg runs in-process over HTTPS (``running_devorg(tls=True)``) with ``--numbers``
Contacts, each with its own phone number stored as ``(415) 555-0001``; SIVO's app is
built by ``create_app`` on SQLite and the org connected through the real OAuth flow. Then:

(a) uncached: each number looked up once through the service (``ScreenPops.lookup``),
    numbers written as a carrier sends them (``+14155550001``); devorg's request log counts
    the REST requests;
(b) cached: every number looked up ``--cached-rounds`` more times, through the service and
    through ``GET /api/v1/screenpop`` on a local socket (API key auth included).

devorg shares the event loop, so the uncached figure includes devorg's own work (a linear
SOSL scan of the org's records). Ring latency with Salesforce slow is not measured here: it
needs the ring integration.

Prints one JSON line. Usage: ``python -m bench.screenpop [--numbers 200] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from yarl import URL

from devorg.testing import RunningDevorg, running_devorg
from server.api.context import SERVICES, Services
from server.app import create_app
from server.salesforce.config import SalesforceSettings
from server.salesforce.orgs import Admin
from server.settings import Settings, load_master_key

USER = "ada@bench.test"


def _ms(samples: list[float]) -> dict[str, float]:
    q = statistics.quantiles(samples, n=100)
    return {"p50": round(q[49], 3), "p99": round(q[98], 3), "n": len(samples)}


async def _data_requests(sf: RunningDevorg) -> int:
    log = await sf.control("GET", "requests")
    await sf.control("DELETE", "requests")
    return sum(1 for r in log["requests"] if r["path"].startswith("/services/data/"))


async def _connect(svc: Services, sf: RunningDevorg, tenant: str) -> str:
    """The org connected as an admin would, minus the browser: authorize, approve, redeem."""
    user_id = await svc.identity.create_admin(tenant, "admin@bench.test", "correct horse battery")
    admin = Admin(tenant, user_id)
    authorize = await svc.salesforce.orgs.begin_connect(admin, "production")
    await sf.control("PUT", "auto-approve", {"username": USER})
    async with sf.session.get(authorize, allow_redirects=False) as approved:
        callback = URL(approved.headers["Location"])
    org = await svc.salesforce.orgs.finish_connect(
        admin, callback.query["code"], callback.query["state"]
    )
    return org.org_id


async def run(numbers: int, cached_rounds: int) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="sivo-bench-"))
    async with running_devorg(tls=True) as sf:
        org = await sf.create_org("Bench")
        await sf.create_call_center(org["orgId"], "SIVO_Bench")
        await sf.create_user(org["orgId"], USER, first_name="Ada", last_name="Admin")
        for i in range(numbers):
            phone = f"(415) 555-{i + 1:04d}"
            await sf.create_record(org["orgId"], "Contact", {"LastName": f"C{i}", "Phone": phone})
        settings = Settings(
            data_dir=work,
            database_url=f"sqlite+aiosqlite:///{work}/sivo.db",
            public_url="http://127.0.0.1:8080",
            secret_key=load_master_key(None, work),
            log_level="WARNING",
            salesforce=SalesforceSettings(
                client_id="sivo-bench",
                login_url=sf.login_url,
                sandbox_login_url=sf.sandbox_login_url,
                ca_bundle=sf.ca_file,
            ),
        )
        app = create_app(settings)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            svc = app[SERVICES]
            tenant, key = await svc.identity.create_tenant("bench")
            org_id = await _connect(svc, sf, tenant)
            pops = svc.salesforce.screen_pops
            await _data_requests(sf)
            wanted = [f"+1415555{i + 1:04d}" for i in range(numbers)]

            uncached: list[float] = []
            statuses: dict[str, int] = {}
            for number in wanted:
                t0 = time.perf_counter()
                result = await pops.lookup(tenant, org_id, number)
                uncached.append((time.perf_counter() - t0) * 1000)
                statuses[result.status] = statuses.get(result.status, 0) + 1
            round_trips = await _data_requests(sf)

            cached: list[float] = []
            for _ in range(cached_rounds):
                for number in wanted:
                    t0 = time.perf_counter()
                    result = await pops.lookup(tenant, org_id, number)
                    cached.append((time.perf_counter() - t0) * 1000)
                    assert result.cached

            http: list[float] = []
            headers = {"Authorization": f"Bearer {key}"}
            url = f"http://127.0.0.1:{port}/api/v1/screenpop"
            async with aiohttp.ClientSession() as session:
                for number in wanted:
                    t0 = time.perf_counter()
                    params = {"number": number, "org_id": org_id}
                    async with session.get(url, params=params, headers=headers) as resp:
                        body = await resp.json()
                    http.append((time.perf_counter() - t0) * 1000)
                    assert body["cached"], body
            cached_requests = await _data_requests(sf)
        finally:
            await runner.cleanup()
    return {
        "round_trips_per_uncached_pop": round(round_trips / numbers, 3),
        "round_trips_for_cached_pops": cached_requests,
        "statuses": statuses,
        "uncached_ms": _ms(uncached),
        "cached_service_ms": _ms(cached),
        "cached_http_ms": _ms(http),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--numbers", type=int, default=200, help="Contacts, one number each")
    parser.add_argument("--cached-rounds", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3, help="runs (medians reported)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    runs = [asyncio.run(run(args.numbers, args.cached_rounds)) for _ in range(args.repeat)]

    def median(path: tuple[str, ...]) -> float:
        values = []
        for r in runs:
            value: Any = r
            for step in path:
                value = value[step]
            values.append(value)
        return round(statistics.median(values), 3)

    result = {
        "benchmark": "screenpop",
        "database": "sqlite",
        "numbers": args.numbers,
        "runs": len(runs),
        "median": {
            "round_trips_per_uncached_pop": median(("round_trips_per_uncached_pop",)),
            "round_trips_for_cached_pops": median(("round_trips_for_cached_pops",)),
            "uncached_p50_ms": median(("uncached_ms", "p50")),
            "uncached_p99_ms": median(("uncached_ms", "p99")),
            "cached_p50_ms": median(("cached_service_ms", "p50")),
            "cached_p99_ms": median(("cached_service_ms", "p99")),
            "cached_http_p99_ms": median(("cached_http_ms", "p99")),
        },
        "runs_detail": runs,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
