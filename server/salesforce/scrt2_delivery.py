"""Every inbound call as a VoiceCall through SCRT2: the OutboxSink and its delivery core.

::

    the call's decision commits: call.created / call.transferred / call.ended / call.recorded
        └─ fan_out_txn (same transaction), per org of the tenant with SCRT2 on (a base URL
           and a call center; connected or needing reconnection):
              call.created inbound ── a scrt2_calls row + the create      (scrt2.py)
              call.transferred ────── the Transfer leg (parent: the vendorCallKey), then
                                      the PATCH ending the leg before it
              call.ended ──────────── the CDR kept on the row + the final PATCH
              call.recorded ───────── the recording PATCH (the CDR's counters repeated)
              transcript.segment ──── a message, when the org pushes transcripts (its
                                      agent's segments only if the agent is a user there)
           each request one scrt2_requests row, ``due``
                                               │  after commit
                                               ▼
    DeliveryCore (server/delivery/): ORDERED lanes keyed by (org, call): a call's create
        before its updates, one at a time; parked while the org needs reconnecting
        (resumed on reconnect), dropped when it is gone; retries by ``task_due.retry_at``
                                               │  Scrt2Sender.attempt (scrt2_sender.py)
                                               ▼
    Scrt2Ledger: attempts, status, latency, a retry's time, a dead letter's ``failed``

Outbound calls send nothing (SCRT2's create does not support them; their Task records
them). The sender may carry several calls' due messages in one bulk request
(``scrt2_sender.py``). A call that began before the org was connected has no row, so its later facts
send nothing either. Guarantee: at least once, in order per call.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from server.clock import Clock
from server.delivery import ORDERED, Attempted, DeliveryCore, Job, Verdict
from server.events.outbox import EventRecord
from server.failures import Conflict, NotFound
from server.store import salesforce as org_store
from server.store import scrt2 as store
from server.store.db import Database, Tx

from .reach import SalesforceReach
from .scrt2 import (
    ScrtRequest,
    create_request,
    end_request,
    leg_end_request,
    message_request,
    recording_request,
    transfer_request,
)
from .scrt2_sender import Scrt2Job, Scrt2Ref, Scrt2Sender, enabled, lane_of
from .task_due import retry_at

logger = logging.getLogger(__name__)

TYPES = frozenset(
    {"call.created", "call.transferred", "call.ended", "call.recorded", "transcript.segment"}
)


def job_of(row: Mapping[str, Any]) -> Scrt2Job:
    ref = Scrt2Ref(int(row["id"]), row["tenant_id"], message=row["kind"] == "message")
    lane = lane_of(row["org_row_id"], row["call_id"])
    return Job(str(row["id"]), lane, ref, row["due_at"], row["attempts"])


class Scrt2Ledger:
    """The requests' rows; the sender is told which messages come due and which settle."""

    def __init__(self, *, db: Database, sender: Scrt2Sender) -> None:
        self._db = db
        self._sender = sender

    async def write(self, batch: Sequence[Attempted[Scrt2Ref]]) -> None:
        async with self._db.transaction() as tx:
            for record in batch:
                decision, outcome = record.decision, record.outcome
                if decision is None:
                    continue
                values: dict[str, Any] = {
                    "attempts": record.attempt,
                    "status_code": outcome.status_code,
                    "latency_ms": round(outcome.latency_ms, 1),
                    "reason": outcome.error[:300] if outcome.error else None,
                }
                if decision.verdict is Verdict.DELIVERED:
                    values.update(state="sent", sent_at=record.at)
                elif decision.verdict is Verdict.RETRYING:
                    values.update(due_at=decision.at)
                else:
                    values.update(state="failed")
                    self._sender.settled(record.job)
                await store.update_request_txn(tx, record.job.payload.request_id, values)

    async def pending(self, lane: str | None) -> AsyncIterator[Scrt2Job]:
        org_row_id, call_id = lane.partition("/")[::2] if lane else (None, None)
        after = 0
        while True:
            async with self._db.read() as conn:
                rows = await store.due_requests(
                    conn, after=after, org_row_id=org_row_id, call_id=call_id
                )
            if not rows:
                return
            after = int(rows[-1]["id"])
            for row in rows:
                job = job_of(dict(row))
                self._sender.owe([job])
                yield job


class Scrt2Delivery:
    """The SCRT2 OutboxSink, and the delivery core that sends its requests."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        sender: Scrt2Sender,
        reach: SalesforceReach,
        rng: random.Random | None = None,
    ) -> None:
        self._db = db
        self._reach = reach
        self._clock = clock
        self._sender = sender
        self.core: DeliveryCore[Scrt2Ref] = DeliveryCore(
            name="scrt2",
            destination=sender,
            ledger=Scrt2Ledger(db=db, sender=sender),
            schedule=retry_at,
            lanes=ORDERED,
            clock=clock,
            rng=rng,
        )

    async def start(self) -> None:
        await self.core.start()

    async def stop(self) -> None:
        await self.core.stop()

    async def idle(self, timeout: float = 10.0) -> None:
        await self.core.idle(timeout)

    async def log(self, tenant_id: str, row_id: str) -> list[dict[str, Any]]:
        """The org's latest 100 requests, newest first."""
        async with self._db.read() as conn:
            return [dict(r) for r in await store.requests_of(conn, tenant_id, row_id)]

    async def replay(self, tenant_id: str, row_id: str, request_id: int) -> dict[str, Any]:
        """A dead-lettered request sent again, at the end of its call's lane.

        Raises:
            NotFound: no such request of this org.
            Conflict: it is not ``failed`` (still due, or sent).
        """
        async with self._db.transaction() as tx:
            row = await store.replay_request_txn(
                tx, tenant_id, row_id, request_id, self._clock.now()
            )
            if row is None:
                found = await store.get_request(tx.conn, request_id)
                if (
                    found is None
                    or found["tenant_id"] != tenant_id
                    or found["org_row_id"] != row_id
                ):
                    raise NotFound("SCRT2 request")
                raise Conflict("not_failed", f"the request is {found['state']}, not failed")
            self._submit_after_commit(tx, [job_of(dict(row))])
        logger.info("call %s: SCRT2 request %d replayed", row["call_id"], request_id)
        return dict(row)

    def org_connected(self, row_id: str) -> None:
        """An org was connected again: its parked calls go now, each in its order."""
        for lane in sorted(self._sender.forget(row_id)):
            self.core.resume(lane)

    # -- the OutboxSink -----------------------------------------------------------------

    async def fan_out_txn(self, tx: Tx, events: Sequence[EventRecord]) -> None:
        if not any(event.type in TYPES for event in events):
            return
        reach = await self._reach.of_txn(tx, events)
        jobs: list[Scrt2Job] = []
        for event in events:
            if event.type not in TYPES or not reach.has_org(event.tenant_id):
                continue  # no org: no VoiceCall to create, and none created before
            data = event.data
            if event.type == "call.created":
                if data.get("direction") == "inbound":
                    jobs.extend(await self._created_txn(tx, event.tenant_id, data))
                continue
            for call in await store.calls_of(tx.conn, event.tenant_id, str(data["call_id"])):
                jobs.extend(await self._later_txn(tx, event.type, dict(call), data))
        self._submit_after_commit(tx, jobs)

    def _submit_after_commit(self, tx: Tx, jobs: list[Scrt2Job]) -> None:
        """The jobs go to the core once ``tx`` commits, and the sender knows them due."""
        if jobs:
            tx.after_commit(lambda: self._sender.owe(jobs))
            self.core.submit_after_commit(tx, jobs)

    async def _created_txn(self, tx: Tx, tenant_id: str, data: Mapping[str, Any]) -> list[Scrt2Job]:
        jobs = []
        now = self._clock.now()
        for org in await org_store.list_orgs(tx.conn, tenant_id):
            if not enabled(org):
                continue
            request = create_request(data, call_center=org["call_center_name"])
            row = {"tenant_id": tenant_id, "org_row_id": org["id"], "call_id": data["call_id"]}
            if request is None or not await store.insert_call_txn(
                tx, {**row, "created": json.dumps(dict(data)), "updated_at": now}
            ):
                continue
            jobs.append(await self._request_txn(tx, row, "create", request))
        return jobs

    async def _later_txn(
        self, tx: Tx, kind: str, call: Mapping[str, Any], data: Mapping[str, Any]
    ) -> list[Scrt2Job]:
        org = await org_store.get_org(tx.conn, call["tenant_id"], call["org_row_id"])
        if org is None or not enabled(org):
            return []
        row = {k: call[k] for k in ("tenant_id", "org_row_id", "call_id")}
        created = json.loads(call["created"])
        request: ScrtRequest
        if kind == "call.transferred":
            transfer = data["transfer"]
            queue = await store.queue_name(tx.conn, call["tenant_id"], transfer.get("to_id"))
            request = transfer_request(
                created,
                transfer,
                call_center=org["call_center_name"],
                parent_voice_call_id=str(call["call_id"]),  # the vendorCallKey (§2.5)
                queue=queue,
            )
            return [
                await self._request_txn(tx, row, "transfer", request),
                await self._request_txn(tx, row, "leg_end", leg_end_request(transfer)),
            ]
        if kind == "transcript.segment":
            return await self._message_txn(tx, org, row, created, data)
        if kind == "call.ended":
            queue = await store.queue_name(tx.conn, call["tenant_id"], data.get("queue_id"))
            username = await self._username(tx, org, data.get("agent_id"))
            values = {"cdr": json.dumps(dict(data)), "updated_at": self._clock.now()}
            await store.update_call_txn(
                tx, call["tenant_id"], call["org_row_id"], call["call_id"], values
            )
            request = end_request(data, agent_username=username, queue=queue)
            return [await self._request_txn(tx, row, "end", request)]
        if call["cdr"] is None:
            logger.info("call %s: recorded before it ended; no SCRT2 recording", row["call_id"])
            return []
        request = recording_request(data, json.loads(call["cdr"]))
        return [await self._request_txn(tx, row, "recording", request)]

    async def _username(self, tx: Tx, org: Any, agent_id: object) -> str | None:
        """The agent's Salesforce username in this org (SCRT2's ``agent``), if it is a user."""
        if not isinstance(agent_id, str) or not agent_id:
            return None
        user = await org_store.org_user_of_agent(tx.conn, org["tenant_id"], org["id"], agent_id)
        return str(user["username"]) if user is not None and user["username"] else None

    async def _message_txn(
        self,
        tx: Tx,
        org: Any,
        row: dict[str, Any],
        created: Mapping[str, Any],
        segment: Mapping[str, Any],
    ) -> list[Scrt2Job]:
        """A final segment as a message, when the org pushes transcripts. An agent's goes
        as HUMAN_AGENT with its Salesforce User Id; an agent who is no user of this org has
        no participant there, so its segment is not sent to this org."""
        if not org["push_transcripts"] or segment.get("is_final") is False:
            return []
        user_id = None
        if segment.get("speaker") == "agent":
            agent_id = str(segment.get("agent_id") or "")
            user = await org_store.org_user_of_agent(tx.conn, org["tenant_id"], org["id"], agent_id)
            if user is None:
                logger.info(
                    "call %s: agent %s is no Salesforce user of org %s; segment %s not sent",
                    row["call_id"],
                    agent_id or "?",
                    org["id"],
                    segment.get("segment_id"),
                )
                return []
            user_id = str(user["user_id"])
        try:
            request = message_request(
                segment, agent_user_id=user_id, call_created_at=created.get("created_at")
            )
        except (KeyError, TypeError, ValueError) as exc:  # pydantic's errors are ValueErrors
            # Hostile or broken input must not undo the transaction that emitted it.
            logger.info("call %s: x segment not sent to SCRT2: %s", row["call_id"], exc)
            return []
        return [await self._request_txn(tx, row, "message", request)]

    async def _request_txn(
        self, tx: Tx, row: dict[str, Any], kind: str, request: ScrtRequest
    ) -> Scrt2Job:
        now = self._clock.now()
        values = {
            **row,
            "kind": kind,
            "method": request.method,
            "body": request.encoded().decode(),
            "state": "due",
            "attempts": 0,
            "due_at": now,
            "created_at": now,
        }
        request_id = await store.insert_request_txn(tx, values)
        return job_of({**values, "id": request_id})
