"""Every call as exactly one Salesforce Task: the OutboxSink, and the Tasks' delivery core.

::

    the call's decision commits: call.ended + its agents' agent.status_changed
        └─ fan_out_txn (same transaction): plan() ── no owner, logging off, the owner no
           Salesforce user: the call_logs row (if any) skipped
              ├─ the owner goes into after-call work with it: the row ``wrapping``
              └─ otherwise: ``due`` (the durable Task job)
    later: agent.status_changed from after_call_work (Available, a pause, logged out by the
        server after the softphone went away, another call) ── its ``wrapping`` rows: due
                                               │  after commit
                                               ▼
    DeliveryCore (server/delivery/): one lane per org (SIVO's org row id), 4 attempts at
        a time, no order; parked while the org needs reconnecting (resumed on reconnect),
        dropped when it is disconnected; retries by ``task_due.retry_at``
                                               │  TaskSender.attempt (task_sender.py)
                                               ▼
    TaskLedger: a retry's time and error, a dead letter's ``failed`` state, on the row

At start-up a row still ``wrapping`` is due at once: the process that held that wrap-up is
gone (calls and presence live in one process's memory). Guarantee: at least once, and
idempotent by ``CallObject``, so one Task per call.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import RowMapping

from server.clock import Clock
from server.delivery import Attempted, DeliveryCore, Job, LanePolicy, Verdict
from server.events.outbox import EventRecord
from server.store import call_logs as store
from server.store.db import Database, Tx

from .call_logs import log_settings
from .reach import SalesforceReach
from .task_due import Ended, WrapUpOver, plan, retry_at
from .task_sender import TaskJob, TaskRef, TaskSender
from .tasks import CallFacts, kind_of, owner_of

logger = logging.getLogger(__name__)

CONCURRENCY_PER_ORG = 4

_NO_OWNER = {
    "outbound": "the dial was refused before anything rang",
    "inbound": "no agent was rung (abandoned in the queue)",
}


def job_of(row: Mapping[str, Any]) -> TaskJob:
    ref = TaskRef(row["tenant_id"], row["call_id"])
    return Job(row["call_id"], row["org_row_id"], ref, row["due_at"] or 0.0, row["attempts"])


class TaskLedger:
    """The core's Ledger: what an attempt changes on the call's row, what is still owed."""

    def __init__(self, *, db: Database) -> None:
        self._db = db

    async def write(self, batch: Sequence[Attempted[TaskRef]]) -> None:
        async with self._db.transaction() as tx:
            for record in batch:
                decision, ref = record.decision, record.job.payload
                if decision is None:
                    continue
                values: dict[str, Any] = {"attempts": record.attempt, "updated_at": record.at}
                if decision.verdict is Verdict.RETRYING:
                    values.update(due_at=decision.at, reason=record.outcome.error)
                elif decision.verdict is Verdict.DEAD:
                    values.update(state="failed", reason=record.outcome.error)
                await store.update_log_txn(tx, ref.tenant_id, ref.call_id, values, states=("due",))

    async def pending(self, lane: str | None) -> AsyncIterator[TaskJob]:
        after = ""
        while True:
            async with self._db.read() as conn:
                rows = await store.due_logs(conn, after=after, org_row_id=lane)
            if not rows:
                return
            after = rows[-1]["call_id"]
            for row in rows:
                yield job_of(dict(row))


class TaskDelivery:
    """The Tasks' OutboxSink, and the delivery core that sends them."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        sender: TaskSender,
        rung: Callable[[str], str | None],
        reach: SalesforceReach,
        rng: random.Random | None = None,
    ) -> None:
        """``rung(call id)``: the last agent a live call rang (who owns a missed call)."""
        self._db = db
        self._reach = reach
        self._clock = clock
        self._sender = sender
        self._rung = rung
        self.core: DeliveryCore[TaskRef] = DeliveryCore(
            name="tasks",
            destination=sender,
            ledger=TaskLedger(db=db),
            schedule=retry_at,
            lanes=LanePolicy(concurrency=CONCURRENCY_PER_ORG),
            clock=clock,
            rng=rng,
        )

    async def start(self) -> None:
        now = self._clock.now()
        async with self._db.transaction() as tx:
            for row in await store.stale_wrapping_txn(tx):
                values = {"state": "due", "due_at": now, "updated_at": now}
                await store.update_log_txn(tx, row["tenant_id"], row["call_id"], values)
                logger.info("call %s: its wrap-up ended with the last process", row["call_id"])
        await self.core.start()

    async def stop(self) -> None:
        await self.core.stop()

    def org_connected(self, row_id: str) -> None:
        """An org was connected again: what its lane held goes now."""
        self._sender.forget(row_id)
        self.core.resume(row_id)

    # -- the OutboxSink -----------------------------------------------------------------

    async def fan_out_txn(self, tx: Tx, events: Sequence[EventRecord]) -> None:
        found: list[tuple[str, str, Mapping[str, Any]]] = []
        for event in events:
            if event.type == "call.ended" or (
                event.type == "agent.status_changed"
                and "after_call_work"
                in (event.data.get("status"), event.data.get("previous_status"))
            ):
                found.append((event.tenant_id, event.type, event.data))
        if not found:
            return
        reach = await self._reach.of_txn(tx, events)
        jobs: list[TaskJob] = []
        for step in plan(found, self._owner):
            if isinstance(step, Ended):
                if not reach.may_log(step.tenant_id, str(step.cdr["call_id"])):
                    continue  # no org and no annotation: every lookup below would find nothing
                job = await self._ended_txn(tx, step)
                jobs.extend([job] if job is not None else [])
            else:
                jobs.extend(await self._wrap_up_over_txn(tx, step))
        self.core.submit_after_commit(tx, jobs)

    def _owner(self, tenant_id: str, cdr: Mapping[str, Any]) -> str | None:
        return owner_of(CallFacts.from_cdr(cdr), self._rung(str(cdr["call_id"])))

    async def _ended_txn(self, tx: Tx, step: Ended) -> TaskJob | None:
        facts = CallFacts.from_cdr(step.cdr)
        tenant_id, call_id, now = step.tenant_id, facts.call_id, self._clock.now()
        base = {"cdr": json.dumps(dict(step.cdr)), "updated_at": now}
        if step.owner is None:
            reason = _NO_OWNER.get(facts.direction, "no agent owns it")
            return await self._skip_txn(tx, tenant_id, call_id, base, reason)
        settings = log_settings(await store.get_settings(tx.conn, tenant_id))
        user = (await store.salesforce_users_of(tx.conn, tenant_id, [step.owner])).get(step.owner)
        if not settings.enabled:
            return await self._skip_txn(tx, tenant_id, call_id, base, "call logging is off")
        if user is None:
            reason = "the agent is not a user of a connected Salesforce org"
            return await self._skip_txn(tx, tenant_id, call_id, base, reason)
        row = await store.lock_log_txn(tx, tenant_id, call_id, now)
        if row is None or row["state"] not in store.EDITABLE:
            return None  # the same end seen twice: it was handled the first time
        due = not step.wraps
        values = {
            **base,
            "agent_id": step.owner,
            "kind": kind_of(facts, self._rung(call_id)),
            "org_row_id": user["org_row_id"],
            "state": "due" if due else "wrapping",
            "due_at": now if due else None,
        }
        await store.update_log_txn(tx, tenant_id, call_id, values)
        logger.debug("call %s: Task %s", call_id, "due" if due else "after the wrap-up")
        return job_of({**row, **values}) if due else None

    async def _skip_txn(
        self, tx: Tx, tenant_id: str, call_id: str, base: dict[str, Any], reason: str
    ) -> TaskJob | None:
        """No Task for this call: a row made for it (an annotation) says why."""
        values = {**base, "state": "skipped", "reason": reason}
        if await store.update_log_txn(tx, tenant_id, call_id, values, states=store.EDITABLE):
            logger.info("call %s: no Task (%s)", call_id, reason)
        return None

    async def _wrap_up_over_txn(self, tx: Tx, step: WrapUpOver) -> list[TaskJob]:
        now = self._clock.now()
        jobs = []
        waiting: Sequence[RowMapping] = await store.wrapping_of_txn(
            tx, step.tenant_id, step.agent_id
        )
        for row in waiting:
            values = {"state": "due", "due_at": now, "updated_at": now}
            if await store.update_log_txn(
                tx, step.tenant_id, row["call_id"], values, states=("wrapping",)
            ):
                jobs.append(job_of({**row, **values}))
        return jobs

    async def idle(self, timeout: float = 10.0) -> None:
        await self.core.idle(timeout)
