"""SCRT2 benchmark: how many calls per second the VoiceCall push sustains, and how long after
a call ends its final PATCH reaches Salesforce.

devorg runs in-process over HTTPS (``running_devorg(tls=True)``) as the org and its SCRT2
host, checking every request's RS256 JWT; SIVO's app is built by ``create_app`` on SQLite
in a temp dir and the org connected through the real OAuth flow, with SCRT2 on as an admin
would turn it on: the org's SCRT2 base URL set to devorg's SCRT2 host, the active key's
certificate installed on the call center. Both run on the wall clock.

Calls are not placed through the switchboard (two aiortc peers per call would be the
figure). Instead each call's facts are committed the way the telephony core commits them:
``SqlCallStore.commit`` with the ``call.created`` and ``call.ended`` event bodies the core
emits (``views.created_event``, ``Call.cdr()``: inbound, answered by an agent, queued in a
real queue), one transaction per fact, so the real outbox fan-out (webhooks, Tasks, SCRT2),
the ``scrt2_requests`` lanes, the sender and devorg are all exercised. The agent is not a
Salesforce user, so the Task sink writes its skip row and sends nothing: devorg only sees
SCRT2. ``--recorded`` adds each call's ``call.recorded`` (a third request, the recording
PATCH).

(a) throughput: ``--calls`` calls committed by ``--emitters`` concurrent emitters as fast
    as they go; from the first commit to ``scrt2.idle()`` (the last request sent and its
    outcome written; then every row ``sent``, since ``idle()`` does not wait for a retry
    due later). devorg's SCRT2 rate limit (50 requests/s per org, the documented org
    limit) is lifted for this phase, so that the figure is SIVO's; then every VoiceCall is
    checked in devorg (``CallDisposition`` completed) and every request row ``sent``.
(b) backlog: the same number of calls committed while the org needs reconnecting (the
    sender parks every lane; nothing is sent), then the org connected again: the time to
    send the backlog is the sender's alone, without the commits competing for the loop and
    SQLite's write lock;
(c) end latency: ``--rate`` calls per second offered for ``--seconds``, each ending
    ``HOLD_S`` after it was created, devorg's rate limit back at 50/s. Per call, from the
    moment its ``call.ended`` transaction committed to the moment devorg's SCRT2 host
    received the final PATCH (the ``time`` devorg's request log stamps on arrival, same
    process, same wall clock).

devorg shares the event loop with SIVO, so every figure includes devorg's own work (JWT
verification included).

Prints one JSON line. Usage:
``python -m bench.scrt2 [--calls 200] [--rate 10] [--seconds 15] [--runs 1]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiohttp import web

from devorg.testing import RunningDevorg, running_devorg
from server.api.context import SERVICES, Services
from server.app import OUTBOX, create_app
from server.ids import new_id
from server.schemas.salesforce import SalesforceOrgUpdate
from server.schemas.telephony import AgentCreate, QueueCreate
from server.store import salesforce as org_store
from server.store.calls import SqlCallStore
from server.store.tables import scrt2_requests
from server.telephony.effects import Emit
from server.times import rfc3339

from .screenpop import _connect, bench_settings

USER = "ada@bench.test"
CENTER = "SIVO_Bench"
NUMBER = "+18005550100"
HOLD_S = 2.0  # how long a call of the latency phase lasts
ORG_LIMIT_PER_S = 50  # devorg's default: the documented SCRT2 org limit


def _ms(samples: list[float]) -> dict[str, float]:
    q = statistics.quantiles(samples, n=100)
    return {"p50": round(q[49], 1), "p99": round(q[98], 1), "n": len(samples)}


class _Calls:
    """Inbound calls' facts, committed as the telephony core commits them."""

    def __init__(self, *, store: SqlCallStore, tenant: str, queue_id: str, agent_id: str):
        self._store = store
        self._tenant = tenant
        self._queue_id = queue_id
        self._agent_id = agent_id
        self._created: dict[str, float] = {}
        self.commit_ms: list[float] = []

    async def _commit(self, type: str, data: dict[str, Any]) -> float:
        started = time.time()
        await self._store.commit([Emit(self._tenant, type, data)])
        committed = time.time()
        self.commit_ms.append((committed - started) * 1000)
        return committed

    async def created(self, index: int) -> str:
        now = time.time()
        call_id = new_id("call", now)
        self._created[call_id] = now
        await self._commit(
            "call.created",
            {
                "call_id": call_id,
                "direction": "inbound",
                "from": f"+1415555{index % 10000:04d}",
                "to": NUMBER,
                "queue_id": self._queue_id,
                "agent_id": None,
                "created_at": rfc3339(now),
            },
        )
        return call_id

    async def ended(self, call_id: str) -> float:
        """The CDR of a call answered 0.2 s after it queued; returns when it committed."""
        created, now = self._created[call_id], time.time()
        answered = min(now, created + 0.2)
        cdr = {
            "call_id": call_id,
            "direction": "inbound",
            "from": "+14155550000",
            "to": NUMBER,
            "queue_id": self._queue_id,
            "agent_id": self._agent_id,
            "created_at": rfc3339(created),
            "queued_at": rfc3339(created),
            "answered_at": rfc3339(answered),
            "ended_at": rfc3339(now),
            "wait_seconds": round(answered - created, 3),
            "talk_seconds": round(now - answered, 3),
            "hold_seconds": 0.0,
            "hangup_cause": "normal_clearing",
            "hangup_side": "caller",
            "transfers": [],
            "recording_id": None,
        }
        return await self._commit("call.ended", cdr)

    async def flood(self, count: int, *, emitters: int, recorded: bool) -> set[str]:
        """``count`` calls, created then ended (then recorded), by ``emitters`` concurrent
        committers as fast as they go, as several call handlers would; returns their ids."""
        call_ids: set[str] = set()
        pending = iter(range(count))

        async def emitter() -> None:
            for index in pending:
                call_id = await self.created(index)
                call_ids.add(call_id)
                await self.ended(call_id)
                if recorded:
                    await self.recorded(call_id)

        await asyncio.gather(*(emitter() for _ in range(emitters)))
        return call_ids

    async def recorded(self, call_id: str) -> None:
        now = time.time()
        recording_id = new_id("rec", now)
        await self._commit(
            "call.recorded",
            {
                "call_id": call_id,
                "recording_id": recording_id,
                "url": f"http://127.0.0.1:8080/recordings/{recording_id}.wav?sig=bench",
                "expires_at": rfc3339(now + 86400),
                "duration_seconds": round(now - self._created[call_id], 3),
                "channels": 2,
                "format": "audio/wav",
            },
        )


async def _scrt2_on(svc: Services, sf: RunningDevorg, tenant: str, org_id: str) -> str:
    """SCRT2 on for the connected org, as an admin turns it on; returns the org's row id."""
    row = next(o for o in await svc.salesforce.orgs.list(tenant) if o.org_id == org_id)
    await svc.salesforce.orgs.update(tenant, row.id, SalesforceOrgUpdate(scrt_base_url=sf.scrt_url))
    keys = await svc.salesforce.certificates.list(tenant, row.id)
    active = next(k for k in keys if k.status == "active")
    await sf.control(
        "PUT",
        f"orgs/{org_id}/callcenters/{CENTER}/certificate",
        {"certificate": active.certificate_pem},
    )
    return row.id


def _voice_calls(sf: RunningDevorg, org_id: str) -> dict[str, dict[str, Any]]:
    """The org's VoiceCalls by vendorCallKey (SIVO's call id), as devorg keeps them."""
    org = sf.devorg.store.orgs[org_id]
    return {str(r["VendorCallKey"]): r for r in org.records_of("VoiceCall").values()}


async def _requests(svc: Services, call_ids: set[str]) -> list[dict[str, Any]]:
    """The calls' ``scrt2_requests`` rows, as SIVO's ledger wrote them."""
    query = sa.select(scrt2_requests).where(scrt2_requests.c.call_id.in_(sorted(call_ids)))
    async with svc.db.read() as conn:
        return [dict(r) for r in (await conn.execute(query)).mappings()]


async def _settle(svc: Services, call_ids: set[str]) -> tuple[float, list[dict[str, Any]]]:
    """Wait until the calls' requests are all sent (or dead); returns when (perf_counter)
    and the rows. ``idle()`` does not wait for a retry due later (a 429's Retry-After)."""
    await svc.salesforce.scrt2.idle(timeout=600)
    deadline = time.perf_counter() + 600
    while True:
        settled = time.perf_counter()
        rows = await _requests(svc, call_ids)
        if all(r["state"] != "due" for r in rows) or settled > deadline:
            return settled, rows
        await asyncio.sleep(0.05)


def _refused(sf: RunningDevorg, since: int) -> dict[str, int]:
    """devorg's SCRT2 answers other than 200 since log entry ``since``, by status."""
    out: dict[str, int] = {}
    for entry in list(sf.devorg.request_log)[since:]:
        if entry["host"] == "scrt" and entry["status"] != 200:
            out[str(entry["status"])] = out.get(str(entry["status"]), 0) + 1
    return out


def _checked(
    sf: RunningDevorg, org_id: str, rows: list[dict[str, Any]], call_ids: set[str], since: int
) -> dict[str, Any]:
    """What devorg holds and SIVO wrote, for the calls: a bench that does not look is wrong."""
    voice_calls = _voice_calls(sf, org_id)
    completed = sum(
        1 for c in call_ids if voice_calls.get(c, {}).get("CallDisposition") == "completed"
    )
    states: dict[str, int] = {}
    for row in rows:
        states[row["state"]] = states.get(row["state"], 0) + 1
    return {
        "voice_calls_completed": completed,
        "requests": states,
        "retried_attempts": sum(max(0, row["attempts"] - 1) for row in rows),
        "devorg_refused": _refused(sf, since),
    }


async def _throughput(
    sf: RunningDevorg,
    svc: Services,
    calls: _Calls,
    org_id: str,
    *,
    count: int,
    emitters: int,
    recorded: bool,
) -> dict[str, Any]:
    """(a): every call's facts committed as fast as ``emitters`` go; time to all sent."""
    calls.commit_ms.clear()
    since = len(sf.devorg.request_log)
    started, cpu = time.perf_counter(), time.process_time()
    call_ids = await calls.flood(count, emitters=emitters, recorded=recorded)
    committed = time.perf_counter() - started
    settled, rows = await _settle(svc, call_ids)
    elapsed = settled - started
    cpu = time.process_time() - cpu
    http = [float(r["latency_ms"]) for r in rows if r["latency_ms"] is not None]
    return {
        "calls": count,
        "commits_s": round(committed, 3),
        "elapsed_s": round(elapsed, 3),
        "calls_per_s": round(count / elapsed, 1),
        "requests_per_s": round(len(rows) / elapsed, 1),
        "cpu_per_wall": round(cpu / elapsed, 2),  # one event loop: ~1.0 means CPU-bound
        "commit_ms": _ms(calls.commit_ms),
        "http_ms": _ms(http),
        **_checked(sf, org_id, rows, call_ids, since),
    }


async def _set_status(svc: Services, tenant: str, row_id: str, status: str) -> None:
    async with svc.db.transaction() as tx:
        await org_store.update_org_txn(tx, tenant, row_id, {"status": status})
    svc.salesforce.scrt2.org_connected(row_id)  # the sender asks the org's state again


async def _backlog(
    sf: RunningDevorg,
    svc: Services,
    calls: _Calls,
    org_id: str,
    row_id: str,
    *,
    tenant: str,
    count: int,
    emitters: int,
    recorded: bool,
) -> dict[str, Any]:
    """(b): the same calls committed while the org needs reconnecting (every lane parked),
    then the org connected again: the time to send the backlog is the sender's alone."""
    await _set_status(svc, tenant, row_id, "needs_reconnect")
    since = len(sf.devorg.request_log)
    call_ids = await calls.flood(count, emitters=emitters, recorded=recorded)
    await svc.salesforce.scrt2.idle(timeout=600)
    sent_while_parked = _scrt_count(sf, since)
    started, cpu = time.perf_counter(), time.process_time()
    await _set_status(svc, tenant, row_id, "connected")
    settled, rows = await _settle(svc, call_ids)
    elapsed = settled - started
    cpu = time.process_time() - cpu
    return {
        "calls": count,
        "elapsed_s": round(elapsed, 3),
        "calls_per_s": round(count / elapsed, 1),
        "requests_per_s": round(len(rows) / elapsed, 1),
        "cpu_per_wall": round(cpu / elapsed, 2),
        "sent_while_parked": sent_while_parked,
        **_checked(sf, org_id, rows, call_ids, since),
    }


def _scrt_count(sf: RunningDevorg, since: int) -> int:
    return sum(1 for e in list(sf.devorg.request_log)[since:] if e["host"] == "scrt")


def _arrivals(sf: RunningDevorg, org_id: str) -> dict[str, list[float]]:
    """When devorg's SCRT2 host received each call's accepted PATCHes (epoch s), by call
    id (a 429 is no PATCH received: the retry is)."""
    by_id = {str(r["Id"]): key for key, r in _voice_calls(sf, org_id).items()}
    out: dict[str, list[float]] = {}
    for entry in sf.devorg.request_log:
        if entry["host"] != "scrt" or entry["method"] != "PATCH" or entry["status"] != 200:
            continue
        target = entry["path"].rsplit("/", 1)[-1]
        call_id = by_id.get(target, target)  # a PATCH names the VoiceCall, or the call
        out.setdefault(call_id, []).append(datetime.fromisoformat(entry["time"]).timestamp())
    return out


async def _latency(
    sf: RunningDevorg,
    svc: Services,
    calls: _Calls,
    org_id: str,
    *,
    rate: float,
    seconds: float,
    recorded: bool,
) -> dict[str, Any]:
    """(c): calls offered at ``rate``; from ``call.ended``'s commit to the final PATCH."""
    await sf.control("PUT", "scrt-rate-limit", {"perSecond": ORG_LIMIT_PER_S})
    # devorg counts per fixed second, the requests of the phase before included: one more.
    await asyncio.sleep(1.1)
    calls.commit_ms.clear()
    since = len(sf.devorg.request_log)
    ended: dict[str, float] = {}
    created: list[float] = []
    loop = asyncio.get_running_loop()
    t0 = loop.time()

    async def call(index: int) -> None:
        await asyncio.sleep(max(0.0, t0 + index / rate - loop.time()))
        call_id = await calls.created(index)
        created.append(time.time())
        await asyncio.sleep(HOLD_S)
        ended[call_id] = await calls.ended(call_id)
        if recorded:
            await calls.recorded(call_id)

    tasks = [asyncio.create_task(call(i)) for i in range(round(rate * seconds))]
    await asyncio.gather(*tasks)
    _, rows = await _settle(svc, set(ended))
    arrivals = _arrivals(sf, org_id)
    delays = []
    for call_id, committed in ended.items():
        # The lane is ordered: the first PATCH after the end committed is the end's.
        after = [at for at in arrivals.get(call_id, []) if at >= committed]
        if after:
            delays.append((min(after) - committed) * 1000)
    ends = [r for r in rows if r["kind"] == "end"]
    return {
        "calls": len(ended),
        "offered_calls_per_s": round((len(created) - 1) / (max(created) - min(created)), 2),
        "ended_to_final_patch_ms": _ms(delays),
        "end_http_ms": _ms([float(r["latency_ms"]) for r in ends if r["latency_ms"] is not None]),
        # SIVO's own view: from the end's row (written in the transaction) to its outcome.
        "end_row_to_outcome_ms": _ms(
            [(r["sent_at"] - r["created_at"]) * 1000 for r in ends if r["sent_at"] is not None]
        ),
        "commit_ms": _ms(calls.commit_ms),
        **_checked(sf, org_id, rows, set(ended), since),
    }


async def run(
    count: int, rate: float, seconds: float, emitters: int, recorded: bool
) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="sivo-bench-scrt2-"))
    async with running_devorg(tls=True, request_log_size=100_000) as sf:
        org = await sf.create_org("Bench")
        await sf.create_call_center(org["orgId"], CENTER)
        await sf.create_user(org["orgId"], USER, first_name="Ada", last_name="Admin")
        app = create_app(bench_settings(work, sf, "http://127.0.0.1:8080"))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            svc = app[SERVICES]
            tenant, _key = await svc.identity.create_tenant("bench")
            org_id = await _connect(svc, sf, tenant)
            row_id = await _scrt2_on(svc, sf, tenant, org_id)
            queue = await svc.telephony.create_queue(tenant, QueueCreate(name="Support"))
            agent = await svc.telephony.create_agent(
                tenant,
                AgentCreate(
                    name="Bo Agent", email="bo@bench.test", extension="101", queue_ids=[queue.id]
                ),
            )
            calls = _Calls(
                store=SqlCallStore(db=svc.db, outbox=app[OUTBOX]),
                tenant=tenant,
                queue_id=queue.id,
                agent_id=agent.id,
            )
            await sf.control("PUT", "scrt-rate-limit", {"perSecond": 10**9})
            throughput = await _throughput(
                sf, svc, calls, org_id, count=count, emitters=emitters, recorded=recorded
            )
            backlog = await _backlog(
                sf,
                svc,
                calls,
                org_id,
                row_id,
                tenant=tenant,
                count=count,
                emitters=emitters,
                recorded=recorded,
            )
            latency = await _latency(
                sf, svc, calls, org_id, rate=rate, seconds=seconds, recorded=recorded
            )
        finally:
            await runner.cleanup()
    return {"throughput": throughput, "backlog": backlog, "latency": latency}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200, help="calls of the throughput phase")
    parser.add_argument("--emitters", type=int, default=4, help="concurrent committers")
    parser.add_argument("--rate", type=float, default=10.0, help="calls/s offered, latency")
    parser.add_argument("--seconds", type=float, default=15.0, help="latency phase length")
    parser.add_argument("--recorded", action="store_true", help="add call.recorded per call")
    parser.add_argument("--runs", type=int, default=1, help="runs (medians reported)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    runs = [
        asyncio.run(run(args.calls, args.rate, args.seconds, args.emitters, args.recorded))
        for _ in range(args.runs)
    ]

    def median(*path: str) -> float:
        values: list[float] = []
        for r in runs:
            value: Any = r
            for step in path:
                value = value[step]
            values.append(float(value))
        return round(statistics.median(values), 1)

    result = {
        "benchmark": "scrt2",
        "database": "sqlite (temp dir)",
        "devorg": "in-process, HTTPS, same event loop",
        "calls": args.calls,
        "emitters": args.emitters,
        "rate": args.rate,
        "recorded": args.recorded,
        "requests_per_call": 3 if args.recorded else 2,
        "runs": len(runs),
        "median": {
            "calls_per_s": median("throughput", "calls_per_s"),
            "requests_per_s": median("throughput", "requests_per_s"),
            "throughput_voice_calls_completed": median("throughput", "voice_calls_completed"),
            "backlog_calls_per_s": median("backlog", "calls_per_s"),
            "backlog_requests_per_s": median("backlog", "requests_per_s"),
            "ended_to_final_patch_p50_ms": median("latency", "ended_to_final_patch_ms", "p50"),
            "ended_to_final_patch_p99_ms": median("latency", "ended_to_final_patch_ms", "p99"),
            "latency_voice_calls_completed": median("latency", "voice_calls_completed"),
        },
        "runs_detail": runs,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
