"""Sending one SCRT2 request: the delivery core's ``Destination`` for SCRT2.

::

    lane_state("{org row id}/{call id}") ── no such org, or SCRT2 off: GONE
        · needs reconnecting: PARKED (remembered, resumed when the org connects) · else OPEN
    attempt(job) ── its scrt2_requests row (due, or nothing is owed)
        ├─ a PATCH goes to the call's latest VoiceCall id (the vendorCallKey if the create
        │  never got one: the update creates a missed call's VoiceCall after the fact);
        │  a leg_end to the leg before the latest transfer's
        ├─ a message: alone, POST …/voiceCalls/{vendorCallKey}/messages; with a backlog
        │  (bulk_plan: other calls' due messages at the head of their lanes, and this
        │  lane's next ones), POST …/voiceCalls/messages, ≤ 5 calls × 5 messages, every
        │  row it carried marked sent in one transaction on a 2xx. The org's due requests
        │  are read to plan it only when another of its messages is due (``owe``)
        ├─ a fresh JWT (scrt2_jwt.sign), the org's provider name as Telephony-Provider-Name
        │  ── POST/PATCH {scrt_base_url}/telephony/v1/…
        ├─ 2xx: a create's voiceCallId kept on the call's row; done
        └─ 429 (Retry-After honoured), 5xx, 401 (the certificate may not be installed
           yet), a timeout, unreachable: retried · any other 4xx: dead (permanent)

A create is idempotent by vendorCallKey (a retried create returns the same VoiceCall), so
at least once never makes two. Bodies are fixed when the event commits.

The sender knows which of an org's messages are due without reading them: the delivery
(``scrt2_delivery.py``) tells it each message job it hands the core (``owe``), and it
forgets one when it is delivered or dead (``settled``). It may count one too many (a
dropped lane's, a retry not due yet): then it reads, as it would have.

A bulk keeps each call's order: it takes a call's messages only from the head of its lane
(no earlier due request of another kind, none in flight), consecutive, in id order. The
rows it carries are claimed while it is in flight; their own jobs, when they come up, wait
for it and then find nothing owed. This holds within one process (a tenant's calls are
sent by the process that holds it).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from server.clock import Clock
from server.delivery import Job, LaneState, Outcome, parse_retry_after
from server.failures import NotFound
from server.store import salesforce as org_store
from server.store import scrt2 as store
from server.store.db import Database

from .scrt2 import API_PREFIX, BULK_MAX_CALLS, BULK_MAX_MESSAGES, bulk_request
from .scrt2_jwt import ActiveKeys, ScrtIdentity, request_headers, sign

logger = logging.getLogger(__name__)

LANE_STATE_TTL_S = 5.0
RETRIED = frozenset({401, 408, 409, 425, 429})
RECENT_S = 30.0  # a delivered or failed row's id is remembered this long (its write lags)
NO_BULK_S = 60.0  # after a bulk was refused for good, the org's messages go one by one


class _Claimed(Exception):
    """A bulk claimed the row while its attempt was reading: wait for it, then look again."""


@dataclass(frozen=True, slots=True)
class Scrt2Ref:
    """A request row; its lane is ``{org row id}/{call id}``."""

    request_id: int
    tenant_id: str
    message: bool = False  # a transcript message (one a bulk may carry)


Scrt2Job = Job[Scrt2Ref]


def lane_of(org_row_id: str, call_id: str) -> str:
    return f"{org_row_id}/{call_id}"


def org_of(lane: str) -> str:
    return lane.partition("/")[0]


def enabled(org: Any) -> bool:
    """SCRT2 is on for an org with a base URL and a call center (its JWT ``sub``)."""
    return bool(org["scrt_base_url"]) and bool(org["call_center_name"])


def bulk_plan(
    current: Mapping[str, Any],
    due: Sequence[Mapping[str, Any]],
    *,
    claimed: frozenset[int] | set[int] = frozenset(),
    delivered: frozenset[int] | set[int] = frozenset(),
    now: float,
) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """The messages to send with ``current`` (a due message row), by call, in order (pure).

    ``due`` is the org's due requests in id order, so a call's first row there is the head
    of its lane. ``current``'s call goes first, from ``current`` on; then other calls whose
    lane starts with a message that is due now, in the order of their heads. Each call
    gives its consecutive messages, at most 5, stopping at a row of another kind, one
    ``claimed`` (in flight), or one not due yet; rows ``delivered`` but not yet written
    are passed over. At most 5 calls.
    """
    lanes: dict[str, list[Mapping[str, Any]]] = {}
    for row in due:
        if int(row["id"]) not in delivered:
            lanes.setdefault(str(row["call_id"]), []).append(row)
    own_call = str(current["call_id"])
    own = lanes.pop(own_call, [])
    if not own or int(own[0]["id"]) != int(current["id"]):
        return [(own_call, [current])]  # not this lane's head as seen here: alone
    plan = [(own_call, _run(own, claimed, now, first=True))]
    for call_id, rows in lanes.items():  # dicts keep the order of the heads' ids
        if len(plan) == BULK_MAX_CALLS:
            break
        run = _run(rows, claimed, now, first=False)
        if run:
            plan.append((call_id, run))
    return plan


def _run(
    rows: Sequence[Mapping[str, Any]], claimed: frozenset[int] | set[int], now: float, first: bool
) -> list[Mapping[str, Any]]:
    run: list[Mapping[str, Any]] = []
    for position, row in enumerate(rows):
        head_of_own = first and position == 0
        if len(run) == BULK_MAX_MESSAGES or row["kind"] != "message":
            break
        if not head_of_own and (int(row["id"]) in claimed or float(row["due_at"]) > now):
            break
        run.append(row)
    return run


class Scrt2Sender:
    def __init__(self, *, db: Database, clock: Clock, keys: ActiveKeys, http: httpx.AsyncClient):
        self._db = db
        self._clock = clock
        self._http = http
        self._keys = keys
        self._states: dict[str, tuple[float, LaneState]] = {}
        self.parked: defaultdict[str, set[str]] = defaultdict(set)  # org row id -> lanes
        self._claims: dict[int, asyncio.Future[None]] = {}  # message rows being sent
        self._delivered: dict[int, float] = {}  # row id -> when it was delivered
        self._failed: dict[int, float] = {}  # row id -> when it last failed (it backs off)
        self._no_bulk_until: dict[str, float] = {}  # org row id -> until when
        self._owed: defaultdict[str, set[int]] = defaultdict(set)  # org row id -> messages due

    def owe(self, jobs: Sequence[Scrt2Job]) -> None:
        """Jobs handed to the delivery core (committed rows): their messages are due."""
        for job in jobs:
            if job.payload.message:
                self._owed[org_of(job.lane)].add(job.payload.request_id)

    def settled(self, job: Scrt2Job) -> None:
        """The job's row is owed no more (delivered, or dead)."""
        owed = self._owed.get(org_of(job.lane))
        if owed is not None:
            owed.discard(job.payload.request_id)
            if not owed:
                del self._owed[org_of(job.lane)]

    async def lane_state(self, lane: str) -> LaneState:
        now = self._clock.now()
        org_row_id = org_of(lane)
        kept = self._states.get(org_row_id)
        if kept is None or kept[0] <= now:
            async with self._db.read() as conn:
                org = await org_store.org_by_any_id(conn, org_row_id)
            if org is None:  # disconnected: its row id never comes back
                self._owed.pop(org_row_id, None)
            if org is None or not enabled(org):
                state = LaneState.GONE
            else:
                state = LaneState.OPEN if org["status"] == "connected" else LaneState.PARKED
            kept = self._states[org_row_id] = (now + LANE_STATE_TTL_S, state)
        if kept[1] is LaneState.PARKED:
            self.parked[org_row_id].add(lane)
        return kept[1]

    def forget(self, org_row_id: str) -> set[str]:
        """The org's state changed: ask again. Returns the lanes it had parked."""
        self._states.pop(org_row_id, None)
        return self.parked.pop(org_row_id, set())

    async def attempt(self, job: Scrt2Job) -> Outcome:
        for _ in range(3):
            claim = self._claims.get(job.payload.request_id)
            if claim is not None:  # a bulk carries this row: its outcome first
                await asyncio.shield(claim)
                continue
            try:
                outcome = await self._attempt(job)
            except _Claimed:
                continue
            break
        else:
            return Outcome.failed("the row kept changing under its attempt")
        if outcome.ok:
            self._delivered[job.payload.request_id] = self._clock.now()
            self._failed.pop(job.payload.request_id, None)
        else:
            self._failed[job.payload.request_id] = self._clock.now()
        if outcome.ok or outcome.permanent:
            self.settled(job)
        return outcome

    async def _attempt(self, job: Scrt2Job) -> Outcome:
        ref = job.payload
        async with self._db.read() as conn:
            row = await store.get_request(conn, ref.request_id)
            org = await org_store.get_org(conn, ref.tenant_id, row["org_row_id"]) if row else None
            call = (
                await store.get_call(conn, ref.tenant_id, row["org_row_id"], row["call_id"])
                if row
                else None
            )
        if row is None or row["state"] != "due":
            return Outcome.delivered()  # nothing is owed
        if org is None or not enabled(org):
            return Outcome.failed("the org was disconnected or SCRT2 turned off", permanent=True)
        if org["status"] != "connected":
            self.forget(org["id"])
            return Outcome.failed("needs_reconnect")
        identity = ScrtIdentity.of(org["org_id"], org["call_center_name"], org["provider_name"])
        if row["kind"] == "message":
            return await self._message(row, org, identity)
        path = f"{API_PREFIX}/voiceCalls"
        if row["kind"] == "leg_end":
            if call is None or not call["previous_voice_call_id"]:
                logger.info("call %s: no leg before the transfer to end", row["call_id"])
                return Outcome.delivered()
            path = f"{path}/{call['previous_voice_call_id']}"
        elif row["method"] == "PATCH":
            target = (call["voice_call_id"] if call else None) or row["call_id"]
            path = f"{path}/{target}"
        sent = await self._send(row, org, identity, row["method"], path, row["body"].encode())
        if isinstance(sent, Outcome):
            return sent
        response, latency = sent
        status = response.status_code
        if 200 <= status < 300:
            if row["kind"] in ("create", "transfer"):
                await self._created(row, call, response)
            logger.info("call %s: SCRT2 %s %s %d", row["call_id"], row["kind"], path, status)
            return Outcome.delivered(status, latency)
        return self._refused(row, response, latency)

    async def _send(
        self, row: Any, org: Any, identity: ScrtIdentity, method: str, path: str, body: bytes
    ) -> tuple[httpx.Response, float] | Outcome:
        """One request with a fresh JWT: the response and its latency (ms), or the failure."""
        try:
            key = await self._keys.key(row["tenant_id"], org["id"])
        except NotFound:
            return Outcome.failed("the org has no active SCRT2 key")
        token = sign(key, identity, now=self._clock.now())
        started = time.perf_counter()
        try:
            response = await self._http.request(
                method,
                f"{org['scrt_base_url'].rstrip('/')}{path}",
                content=body,
                headers=request_headers(token, identity),
            )
        except httpx.HTTPError as exc:
            latency = (time.perf_counter() - started) * 1000
            return Outcome.failed(f"{type(exc).__name__}"[:300], latency_ms=latency)
        return response, (time.perf_counter() - started) * 1000

    def _refused(self, row: Any, response: httpx.Response, latency: float) -> Outcome:
        status = response.status_code
        error = f"{status} {response.text[:200]}"
        if status in RETRIED or status >= 500:
            after = parse_retry_after(response.headers.get("Retry-After"), self._clock.now())
            return Outcome.failed(
                error, status_code=status, latency_ms=latency, retry_after_s=after
            )
        logger.info("call %s: x SCRT2 %s refused: %s", row["call_id"], row["kind"], error)
        return Outcome.failed(error, status_code=status, latency_ms=latency, permanent=True)

    # -- messages -------------------------------------------------------------------------

    async def _message(self, row: Any, org: Any, identity: ScrtIdentity) -> Outcome:
        """A message alone, or with the backlog of the org's due messages as one bulk."""
        request_id = int(row["id"])
        self._forget_old()
        due: list[dict[str, Any]] | None = None
        if self._backlog(org["id"], request_id):
            async with self._db.read() as conn:
                rows = await store.org_due_requests(conn, row["tenant_id"], row["org_row_id"])
            due = [dict(r) for r in rows]
        if request_id in self._claims:  # claimed while we read: its bulk goes first
            raise _Claimed
        if request_id in self._delivered:  # a bulk carried it while we read
            return Outcome.delivered()
        if due is not None:
            seen = {int(r["id"]) for r in due}
            if request_id not in seen and (len(due) < store.PAGE or request_id < max(seen)):
                raise _Claimed  # no longer due: read its row again
        if due is None:
            plan: list[tuple[str, list[Mapping[str, Any]]]] = [(str(row["call_id"]), [row])]
        else:
            plan = bulk_plan(
                row,
                due,
                # a row that just failed backs off: its lane waits for its own retry
                claimed=set(self._claims) | set(self._failed),
                delivered=set(self._delivered),
                now=self._clock.now(),
            )
        ids = [int(r["id"]) for _, rows in plan for r in rows]
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        for claimed_id in ids:  # no await since the plan: nothing else claimed them
            self._claims[claimed_id] = done
        try:
            path = f"{API_PREFIX}/voiceCalls/{row['call_id']}/messages"
            if len(ids) == 1:
                return await self._single(row, org, identity, path)
            outcome = await self._bulk(row, org, identity, plan)
            if outcome.ok or not outcome.permanent:
                return outcome
            # Salesforce checks a bulk all or nothing: one call's bad entry (its VoiceCall
            # never made, say) must not dead-letter another call's message. This one goes
            # alone, and so do the org's next ones for a while.
            self._no_bulk_until[org["id"]] = self._clock.now() + NO_BULK_S
            logger.info("call %s: x SCRT2 bulk refused; messages go one by one", row["call_id"])
            return await self._single(row, org, identity, path)
        finally:
            for claimed_id in ids:
                self._claims.pop(claimed_id, None)
            done.set_result(None)

    async def _single(self, row: Any, org: Any, identity: ScrtIdentity, path: str) -> Outcome:
        sent = await self._send(row, org, identity, "POST", path, row["body"].encode())
        if isinstance(sent, Outcome):
            return sent
        response, latency = sent
        if 200 <= response.status_code < 300:
            logger.info("call %s: SCRT2 message %d", row["call_id"], response.status_code)
            return Outcome.delivered(response.status_code, latency)
        return self._refused(row, response, latency)

    async def _bulk(
        self,
        row: Any,
        org: Any,
        identity: ScrtIdentity,
        plan: Sequence[tuple[str, Sequence[Mapping[str, Any]]]],
    ) -> Outcome:
        request = bulk_request(
            [(call_id, [json.loads(r["body"]) for r in rows]) for call_id, rows in plan]
        )
        sent = await self._send(row, org, identity, "POST", request.path(), request.encoded())
        if isinstance(sent, Outcome):
            return sent
        response, latency = sent
        status = response.status_code
        if not 200 <= status < 300:
            return self._refused(row, response, latency)
        ids = [int(r["id"]) for _, rows in plan for r in rows]
        values = {
            "status_code": status,
            "latency_ms": round(latency, 1),
            "sent_at": self._clock.now(),
        }
        async with self._db.transaction() as tx:
            await store.mark_sent_txn(tx, ids, values)
        now = self._clock.now()
        self._delivered.update(dict.fromkeys(ids, now))
        logger.info(
            "call %s: SCRT2 bulk messages %d: %d calls, %d messages",
            row["call_id"],
            status,
            len(plan),
            len(ids),
        )
        return Outcome.delivered(status, latency)

    def _backlog(self, org_row_id: str, request_id: int) -> bool:
        """Whether a bulk could carry more than ``request_id``: bulks are allowed for the
        org, and another of its messages is due that bulk_plan would not pass over (in
        flight, backing off, or delivered)."""
        if self._no_bulk_until.get(org_row_id, 0.0) > self._clock.now():
            return False
        return any(
            other != request_id
            and other not in self._claims
            and other not in self._failed
            and other not in self._delivered
            for other in self._owed.get(org_row_id, ())
        )

    def _forget_old(self) -> None:
        horizon = self._clock.now() - RECENT_S
        for kept in (self._delivered, self._failed):
            for request_id in [k for k, at in kept.items() if at < horizon]:
                del kept[request_id]

    async def _created(self, row: Any, call: Any, response: httpx.Response) -> None:
        try:
            voice_call_id = json.loads(response.text)["voiceCallId"]
        except (ValueError, KeyError, TypeError):
            logger.info("call %s: SCRT2 create answered without voiceCallId", row["call_id"])
            return
        values = {"voice_call_id": str(voice_call_id), "updated_at": self._clock.now()}
        if row["kind"] == "transfer" and call is not None:
            values["previous_voice_call_id"] = call["voice_call_id"]
        async with self._db.transaction() as tx:
            await store.update_call_txn(
                tx, row["tenant_id"], row["org_row_id"], row["call_id"], values
            )
