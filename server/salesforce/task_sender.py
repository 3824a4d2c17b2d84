"""Sending one call's Task: the delivery core's ``Destination`` for Salesforce Tasks.

::

    lane_state(org row id) ── no such org: GONE · needs reconnecting: PARKED · else OPEN
    attempt(job) ── the call_logs row (due, or nothing is owed)
        ├─ a create was sent before (posted_at): SELECT Id FROM Task WHERE CallObject = …
        │     found ──> record its id: done (the earlier attempt created it)
        ├─ posted_at := now (committed before the request leaves)
        ├─ POST /sobjects/Task ── 201 ──> record the id: done
        │     └─ a dead WhoId/WhatId/OwnerId (Drop): once more without it
        └─ refused: Retry (5xx, unreachable, a timeout, 429) · Fail (permanent); the org
           needs reconnecting: retried, and its lane parked until it is connected again

"Never twice": a create whose answer was lost (a timeout, a crash before the id was
recorded) leaves ``posted_at`` set, so the next attempt looks for the Task by its
``CallObject`` (SIVO's call id) before creating one.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.engine import RowMapping

from server.clock import Clock
from server.delivery import Job, LaneState, Outcome, parse_retry_after
from server.store import call_logs as store
from server.store import salesforce as org_store
from server.store.db import Database

from .call_logs import annotations_of
from .client import ReconnectNeeded, SalesforceClient, SalesforceError
from .tasks import (
    CallFacts,
    Drop,
    Fail,
    Retry,
    TaskFields,
    Verdict,
    find_task_soql,
    task_fields,
    verdict,
)

logger = logging.getLogger(__name__)

LANE_STATE_TTL_S = 5.0


@dataclass(frozen=True, slots=True)
class TaskRef:
    """What a Task job names: the call (its row holds the rest). Its lane is the org's id."""

    tenant_id: str
    call_id: str


TaskJob = Job[TaskRef]


class OrgClients(Protocol):
    """What sending needs of the connected orgs (``SalesforceOrgs`` is one)."""

    def client(self, row: RowMapping) -> SalesforceClient: ...


class _Refused(Exception):
    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.error)
        self.verdict = verdict


class TaskSender:
    def __init__(self, *, db: Database, clock: Clock, orgs: OrgClients, public_url: str) -> None:
        self._db = db
        self._clock = clock
        self._orgs = orgs
        self._recordings = f"{public_url}/admin/recordings/"
        self._states: dict[str, tuple[float, LaneState]] = {}

    async def lane_state(self, lane: str) -> LaneState:
        now = self._clock.now()
        kept = self._states.get(lane)
        if kept is not None and kept[0] > now:
            return kept[1]
        async with self._db.read() as conn:
            org = await org_store.org_by_any_id(conn, lane)
        if org is None:
            state = LaneState.GONE
        else:
            state = LaneState.OPEN if org["status"] == "connected" else LaneState.PARKED
        self._states[lane] = (now + LANE_STATE_TTL_S, state)
        return state

    def forget(self, lane: str) -> None:
        """The org's state changed (reconnected, needs reconnecting): ask again."""
        self._states.pop(lane, None)

    async def attempt(self, job: TaskJob) -> Outcome:
        tenant_id, call_id = job.payload.tenant_id, job.payload.call_id
        async with self._db.read() as conn:
            row = await store.get_log(conn, tenant_id, call_id)
            org = await org_store.get_org(conn, tenant_id, job.lane)
            users = await store.salesforce_users_of(
                conn, tenant_id, [row["agent_id"]] if row else []
            )
        if row is None or row["state"] != "due":
            return Outcome.delivered()  # sent, skipped or failed meanwhile: nothing is owed
        if org is None:
            return Outcome.failed("the org was disconnected", permanent=True)
        user = users.get(row["agent_id"])
        owner = user["user_id"] if user is not None and user["org_row_id"] == job.lane else None
        facts = CallFacts.from_cdr(json.loads(row["cdr"]))
        fields = task_fields(
            facts,
            annotations_of(row),
            kind=row["kind"],
            owner_user_id=owner,
            recording_url=f"{self._recordings}{facts.recording_id}" if facts.recording_id else None,
        )
        client = self._orgs.client(org)
        try:
            task_id = None
            if row["posted_at"] is not None:
                task_id = await self._find(client, call_id)
            if task_id is None:
                await self._posting(tenant_id, call_id)
                task_id = await self._create(client, fields, call_id)
        except ReconnectNeeded as exc:
            self.forget(job.lane)
            return Outcome.failed(f"needs_reconnect: {exc.message}"[:300])
        except _Refused as refused:
            return self._outcome(refused.verdict)
        await self._sent(tenant_id, call_id, task_id)
        return Outcome.delivered(201)

    async def _find(self, client: SalesforceClient, call_id: str) -> str | None:
        try:
            rows = await client.query(find_task_soql(call_id))
        except SalesforceError as exc:
            raise _Refused(self._verdict(exc)) from exc
        if rows and isinstance(rows[0].get("Id"), str):
            logger.info("call %s: its Task was created by an earlier attempt", call_id)
            return str(rows[0]["Id"])
        return None

    async def _create(self, client: SalesforceClient, fields: TaskFields, call_id: str) -> str:
        without: frozenset[str] = frozenset()
        while True:
            try:
                resp = await client.request(
                    "POST", f"{client.data_url}/sobjects/Task", json=fields.body(without=without)
                )
            except SalesforceError as exc:
                found = self._verdict(exc)
                if isinstance(found, Drop) and not without:
                    logger.info(
                        "call %s: x %s, creating its Task without %s",
                        call_id,
                        found.error,
                        ", ".join(sorted(found.fields)),
                    )
                    without = found.fields
                    continue
                raise _Refused(found if not isinstance(found, Drop) else Fail(found.error)) from exc
            return str(resp.json()["id"])

    def _verdict(self, exc: SalesforceError) -> Verdict:
        retry_after = parse_retry_after(exc.retry_after, self._clock.now())
        return verdict(exc.status, exc.sf_code, exc.fields, retry_after)

    @staticmethod
    def _outcome(found: Verdict) -> Outcome:
        if isinstance(found, Retry):
            return Outcome.failed(found.error, retry_after_s=found.after_s)
        return Outcome.failed(found.error, permanent=True)

    async def _posting(self, tenant_id: str, call_id: str) -> None:
        async with self._db.transaction() as tx:
            await store.update_log_txn(
                tx, tenant_id, call_id, {"posted_at": self._clock.now()}, states=("due",)
            )

    async def _sent(self, tenant_id: str, call_id: str, task_id: str) -> None:
        now = self._clock.now()
        values = {
            "state": "sent",
            "task_id": task_id,
            "sent_at": now,
            "reason": None,
            "updated_at": now,
        }
        async with self._db.transaction() as tx:
            await store.update_log_txn(tx, tenant_id, call_id, values, states=("due",))
        logger.info("call %s: Task %s logged", call_id, task_id)
