"""Screen-pop benchmark: Salesforce round trips per pop, and lookup latency cached and not.

devorg runs in-process over HTTPS (``running_devorg(tls=True)``) with ``--numbers``
Contacts, each with its own phone number stored as ``(415) 555-0001``; SIVO's app is
built by ``create_app`` on SQLite and the org connected through the real OAuth flow. Then:

(a) uncached: each number looked up once through the service (``ScreenPops.lookup``),
    numbers written as a carrier sends them (``+14155550001``); devorg's request log counts
    the REST requests;
(b) cached: every number looked up ``--cached-rounds`` more times, through the service and
    through ``GET /api/v1/screenpop`` on a local socket (API key auth included).

(c) ring: an agent of the org (imported from it) on a Socket.IO softphone, a web caller
    that registers an uncached Contact's number and dials; per call, the time from sending
    ``call.dial`` to the agent's ``call.ringing``, and from the ring to ``call.screenpop``.
    Calls alternate between Salesforce as it is and Salesforce 2 s slower (a devorg fault
    delaying the search by 2,000 ms), so both are measured in the same conditions; the
    ratio of the two ring p50s is the figure (target: 1 within noise).

devorg shares the event loop, so the uncached figure includes devorg's own work (a linear
SOSL scan of the org's records).

Prints one JSON line. Usage:
``python -m bench.screenpop [--numbers 200] [--ring-calls 30] [--repeat 3]``.
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
import socketio
from aiohttp import web
from yarl import URL

from devorg.testing import RunningDevorg, running_devorg
from server.api.context import SERVICES, Services
from server.app import create_app
from server.salesforce.config import SalesforceSettings
from server.salesforce.orgs import Admin
from server.schemas.salesforce import AgentsFromUsers
from server.schemas.telephony import NumberCreate, QueueCreate
from server.settings import Settings, load_master_key

from .signaling import _offer

USER = "ada@bench.test"
AGENT = "bo@bench.test"
NUMBER = "+18005550100"
SLOW_MS = 2000


def _ms(samples: list[float]) -> dict[str, float]:
    q = statistics.quantiles(samples, n=100)
    return {"p50": round(q[49], 3), "p99": round(q[98], 3), "n": len(samples)}


async def _data_requests(sf: RunningDevorg) -> int:
    log = await sf.control("GET", "requests")
    await sf.control("DELETE", "requests")
    return sum(1 for r in log["requests"] if r["path"].startswith("/services/data/"))


def bench_settings(work: Path, sf: RunningDevorg, public_url: str) -> Settings:
    """SIVO on SQLite under ``work``, connecting to the in-process devorg."""
    return Settings(
        data_dir=work,
        database_url=f"sqlite+aiosqlite:///{work}/sivo.db",
        public_url=public_url,
        secret_key=load_master_key(None, work),
        log_level="WARNING",
        salesforce=SalesforceSettings(
            client_id="sivo-bench",
            login_url=sf.login_url,
            sandbox_login_url=sf.sandbox_login_url,
            ca_bundle=sf.ca_file,
        ),
    )


async def _connect(svc: Services, sf: RunningDevorg, tenant: str, username: str = USER) -> str:
    """The org connected as an admin would, minus the browser: authorize, approve, redeem."""
    user_id = await svc.identity.create_admin(tenant, "admin@bench.test", "correct horse battery")
    admin = Admin(tenant, user_id)
    authorize = await svc.salesforce.orgs.begin_connect(admin, "production")
    await sf.control("PUT", "auto-approve", {"username": username})
    try:
        async with sf.session.get(authorize, allow_redirects=False) as approved:
            callback = URL(approved.headers["Location"])
    finally:
        await sf.control("PUT", "auto-approve", {"username": None})
    org = await svc.salesforce.orgs.finish_connect(
        admin, callback.query["code"], callback.query["state"]
    )
    return org.org_id


async def _ring_phase(
    svc: Services, sf: RunningDevorg, tenant: str, org_id: str, port: int, calls: int
) -> dict[str, Any]:
    """(c): ring latency with Salesforce as it is and 2 s slower, calls interleaved."""
    queue = await svc.telephony.create_queue(tenant, QueueCreate(name="Bench", wrap_up_s=0))
    await svc.telephony.create_number(
        tenant, NumberCreate(number=NUMBER, queue_id=queue.id, published=True)
    )
    org = next(o for o in await svc.salesforce.orgs.list(tenant) if o.org_id == org_id)
    users = await svc.salesforce.users.import_users(tenant, org.id)
    bo = next(u for u in users.users if u.email == AGENT)
    made = await svc.salesforce.users.create_agents(
        tenant, org.id, AgentsFromUsers(user_ids=[bo.user_id], queue_ids=[queue.id])
    )
    minted = await svc.tokens.mint(agent_id=made.created[0], tenant_id=tenant)
    url = f"http://127.0.0.1:{port}"
    loop = asyncio.get_running_loop()
    rings: dict[str, asyncio.Future[float]] = {}
    pops: dict[str, asyncio.Future[float]] = {}

    def arrived(table: dict[str, asyncio.Future[float]], data: dict[str, Any]) -> None:
        fut = table.setdefault(data["call_id"], loop.create_future())
        if not fut.done():
            fut.set_result(time.perf_counter())

    agent = socketio.AsyncClient(reconnection=False)
    agent.on("call.ringing", lambda d: arrived(rings, d), namespace="/agent")
    agent.on("call.screenpop", lambda d: arrived(pops, d), namespace="/agent")
    await agent.connect(
        url, namespaces=["/agent"], transports=["websocket"], auth={"token": minted.token}
    )
    assert (await agent.call("presence.set", {"status": "available"}, namespace="/agent"))["ok"]
    caller = socketio.AsyncClient(reconnection=False)
    await caller.connect(url, namespaces=["/caller"], transports=["websocket"])
    sdp = await _offer()
    ring_ms: dict[str, list[float]] = {"normal": [], "slow": []}
    pop_ms: dict[str, list[float]] = {"normal": [], "slow": []}
    try:
        for i in range(calls * 2):
            kind = "slow" if i % 2 else "normal"
            # Contacts past the first --numbers were never looked up: every pop searches.
            number = f"+1415556{i + 1:04d}"
            await caller.call("phone.unregister", {}, namespace="/caller")
            reply = await caller.call("phone.register", {"number": number}, namespace="/caller")
            assert reply["ok"], reply
            if kind == "slow":
                fault = {"delayMs": SLOW_MS, "count": 1, "pathPrefix": "/services/data"}
                await sf.control("POST", "faults", fault)
            sent = time.perf_counter()
            dialed = await caller.call(
                "call.dial", {"to": NUMBER, "sdp": sdp}, namespace="/caller", timeout=30
            )
            assert dialed["ok"], dialed
            call_id = dialed["call_id"]
            rang = await asyncio.wait_for(rings.setdefault(call_id, loop.create_future()), 30)
            popped = await asyncio.wait_for(pops.setdefault(call_id, loop.create_future()), 30)
            ring_ms[kind].append((rang - sent) * 1000)
            pop_ms[kind].append((popped - rang) * 1000)
            await caller.call("call.hangup", {"call_id": call_id}, namespace="/caller")
            await asyncio.sleep(0.05)  # the agent is Available again (no wrap-up)
    finally:
        await caller.disconnect()
        await agent.disconnect()
    normal, slow = statistics.median(ring_ms["normal"]), statistics.median(ring_ms["slow"])
    return {
        "calls_per_condition": calls,
        "dial_to_ring_ms": {k: _ms(v) for k, v in ring_ms.items()},
        "ring_to_pop_ms": {k: _ms(v) for k, v in pop_ms.items()},
        "ring_p50_slow_over_normal": round(slow / normal, 3),
    }


async def run(numbers: int, cached_rounds: int, ring_calls: int) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="sivo-bench-"))
    async with running_devorg(tls=True) as sf:
        org = await sf.create_org("Bench")
        await sf.create_call_center(org["orgId"], "SIVO_Bench")
        await sf.create_user(org["orgId"], USER, first_name="Ada", last_name="Admin")
        await sf.create_user(org["orgId"], AGENT, first_name="Bo", last_name="Agent", email=AGENT)
        for i in range(numbers):
            phone = f"(415) 555-{i + 1:04d}"
            await sf.create_record(org["orgId"], "Contact", {"LastName": f"C{i}", "Phone": phone})
        for i in range(ring_calls * 2):
            phone = f"(415) 556-{i + 1:04d}"
            await sf.create_record(org["orgId"], "Contact", {"LastName": f"R{i}", "Phone": phone})
        settings = bench_settings(work, sf, "http://127.0.0.1:8080")
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
            ring = await _ring_phase(svc, sf, tenant, org_id, port, ring_calls)
        finally:
            await runner.cleanup()
    return {
        "round_trips_per_uncached_pop": round(round_trips / numbers, 3),
        "round_trips_for_cached_pops": cached_requests,
        "statuses": statuses,
        "uncached_ms": _ms(uncached),
        "cached_service_ms": _ms(cached),
        "cached_http_ms": _ms(http),
        "ring": ring,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--numbers", type=int, default=200, help="Contacts, one number each")
    parser.add_argument("--cached-rounds", type=int, default=10)
    parser.add_argument("--ring-calls", type=int, default=30, help="calls per condition")
    parser.add_argument("--repeat", type=int, default=3, help="runs (medians reported)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    runs = [
        asyncio.run(run(args.numbers, args.cached_rounds, args.ring_calls))
        for _ in range(args.repeat)
    ]

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
            "ring_p50_ms": median(("ring", "dial_to_ring_ms", "normal", "p50")),
            "ring_p99_ms": median(("ring", "dial_to_ring_ms", "normal", "p99")),
            "ring_p50_ms_salesforce_slow": median(("ring", "dial_to_ring_ms", "slow", "p50")),
            "ring_p99_ms_salesforce_slow": median(("ring", "dial_to_ring_ms", "slow", "p99")),
            "ring_p50_slow_over_normal": median(("ring", "ring_p50_slow_over_normal")),
            "ring_to_pop_p50_ms": median(("ring", "ring_to_pop_ms", "normal", "p50")),
            "ring_to_pop_p50_ms_salesforce_slow": median(("ring", "ring_to_pop_ms", "slow", "p50")),
        },
        "runs_detail": runs,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
