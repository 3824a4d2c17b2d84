"""Sending one SCRT2 request: the delivery core's ``Destination`` for SCRT2.

::

    lane_state("{org row id}/{call id}") ── no such org, or SCRT2 off: GONE
        · needs reconnecting: PARKED (remembered, resumed when the org connects) · else OPEN
    attempt(job) ── its scrt2_requests row (due, or nothing is owed)
        ├─ a PATCH goes to the call's latest VoiceCall id (the vendorCallKey if the create
        │  never got one: the update creates a missed call's VoiceCall after the fact);
        │  a leg_end to the leg before the latest transfer's
        ├─ a fresh JWT (scrt2_jwt.sign) ── POST/PATCH {scrt_base_url}/telephony/v1/…
        ├─ 2xx: a create's voiceCallId kept on the call's row; done
        └─ 429 (Retry-After honoured), 5xx, 401 (the certificate may not be installed
           yet), a timeout, unreachable: retried · any other 4xx: dead (permanent)

A create is idempotent by vendorCallKey (a retried create returns the same VoiceCall), so
at least once never makes two. Bodies are fixed when the event commits.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import httpx

from server.clock import Clock
from server.crypto import SecretBox
from server.delivery import Job, LaneState, Outcome, parse_retry_after
from server.failures import NotFound
from server.store import salesforce as org_store
from server.store import scrt2 as store
from server.store.db import Database

from .scrt2 import API_PREFIX
from .scrt2_jwt import ActiveKeys, ScrtIdentity, request_headers, sign

logger = logging.getLogger(__name__)

LANE_STATE_TTL_S = 5.0
RETRIED = frozenset({401, 408, 409, 425, 429})


@dataclass(frozen=True, slots=True)
class Scrt2Ref:
    """A request row; its lane is ``{org row id}/{call id}``."""

    request_id: int
    tenant_id: str


Scrt2Job = Job[Scrt2Ref]


def lane_of(org_row_id: str, call_id: str) -> str:
    return f"{org_row_id}/{call_id}"


def enabled(org: Any) -> bool:
    """SCRT2 is on for an org with a base URL and a call center (its JWT ``sub``)."""
    return bool(org["scrt_base_url"]) and bool(org["call_center_name"])


class Scrt2Sender:
    def __init__(self, *, db: Database, clock: Clock, box: SecretBox, http: httpx.AsyncClient):
        self._db = db
        self._clock = clock
        self._http = http
        self._keys = ActiveKeys(db=db, box=box)
        self._states: dict[str, tuple[float, LaneState]] = {}
        self.parked: defaultdict[str, set[str]] = defaultdict(set)  # org row id -> lanes

    async def lane_state(self, lane: str) -> LaneState:
        now = self._clock.now()
        org_row_id = lane.partition("/")[0]
        kept = self._states.get(org_row_id)
        if kept is None or kept[0] <= now:
            async with self._db.read() as conn:
                org = await org_store.org_by_any_id(conn, org_row_id)
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
        path = f"{API_PREFIX}/voiceCalls"
        if row["kind"] == "leg_end":
            if call is None or not call["previous_voice_call_id"]:
                logger.info("call %s: no leg before the transfer to end", row["call_id"])
                return Outcome.delivered()
            path = f"{path}/{call['previous_voice_call_id']}"
        elif row["method"] == "PATCH":
            target = (call["voice_call_id"] if call else None) or row["call_id"]
            path = f"{path}/{target}"
        try:
            key = await self._keys.key(ref.tenant_id, org["id"])
        except NotFound:
            return Outcome.failed("the org has no active SCRT2 key")
        identity = ScrtIdentity.of(org["org_id"], org["call_center_name"])
        token = sign(key, identity, now=self._clock.now())
        started = time.perf_counter()
        try:
            response = await self._http.request(
                row["method"],
                f"{org['scrt_base_url'].rstrip('/')}{path}",
                content=row["body"].encode(),
                headers=request_headers(token, identity),
            )
        except httpx.HTTPError as exc:
            latency = (time.perf_counter() - started) * 1000
            return Outcome.failed(f"{type(exc).__name__}"[:300], latency_ms=latency)
        latency = (time.perf_counter() - started) * 1000
        status = response.status_code
        if 200 <= status < 300:
            if row["method"] == "POST":
                await self._created(row, call, response)
            logger.info("call %s: SCRT2 %s %s %d", row["call_id"], row["kind"], path, status)
            return Outcome.delivered(status, latency)
        error = f"{status} {response.text[:200]}"
        if status in RETRIED or status >= 500:
            after = parse_retry_after(response.headers.get("Retry-After"), self._clock.now())
            return Outcome.failed(
                error, status_code=status, latency_ms=latency, retry_after_s=after
            )
        logger.info("call %s: x SCRT2 %s refused: %s", row["call_id"], row["kind"], error)
        return Outcome.failed(error, status_code=status, latency_ms=latency, permanent=True)

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
