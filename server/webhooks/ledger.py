"""The webhook ledger: deliveries and the attempt log, as the delivery core writes them.

Deliveries keep their tables (``deliveries``, ``delivery_attempts``): a verdict becomes a
delivery's status (``delivered``, ``pending`` for a retry, ``dead``), each attempt one
log row; the log keeps the newest rows of each endpoint (``prune``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import RowMapping

from server.delivery import Attempted, Job, Verdict
from server.store import webhooks as store
from server.store.db import Database

_STATUS = {Verdict.DELIVERED: "delivered", Verdict.RETRYING: "pending", Verdict.DEAD: "dead"}


@dataclass(frozen=True, slots=True)
class WebhookPayload:
    """What a delivery sends; its lane is its endpoint's id."""

    tenant_id: str
    event_id: str
    event_type: str
    body: bytes


WebhookJob = Job[WebhookPayload]


def job_from_row(row: RowMapping) -> WebhookJob:
    payload = WebhookPayload(row["tenant_id"], row["event_id"], row["type"], row["body"].encode())
    return Job(row["id"], row["endpoint_id"], payload, row["next_attempt_at"], row["attempts"])


class WebhookLedger:
    def __init__(self, *, db: Database) -> None:
        self._db = db
        self._touched: set[str] = set()  # endpoints whose log grew since the last prune

    async def write(self, batch: Sequence[Attempted[WebhookPayload]]) -> None:
        updates: list[store.DeliveryUpdate] = []
        attempts: list[store.AttemptRow] = []
        for record in batch:
            job, outcome, decision = record.job, record.outcome, record.decision
            if decision is not None:
                updates.append(
                    store.DeliveryUpdate(
                        job.id,
                        _STATUS[decision.verdict],
                        record.attempt,
                        decision.at,
                        outcome.status_code,
                        outcome.error,
                        record.at,
                        record.at if decision.verdict is Verdict.DEAD else None,
                    )
                )
            attempts.append(
                store.AttemptRow(
                    job.payload.tenant_id,
                    job.lane,
                    job.id,
                    job.payload.event_id,
                    job.payload.event_type,
                    record.attempt,
                    outcome.status_code,
                    outcome.latency_ms,
                    outcome.error,
                    record.at,
                )
            )
        async with self._db.transaction() as tx:
            await store.record_outcomes_txn(tx, updates, attempts)
        self._touched.update(a.endpoint_id for a in attempts)

    async def pending(self, lane: str | None) -> AsyncIterator[WebhookJob]:
        after = ""
        while True:
            async with self._db.read() as conn:
                rows = await store.pending_deliveries(conn, after_id=after, endpoint_id=lane)
            if not rows:
                return
            after = rows[-1]["id"]
            for row in rows:
                yield job_from_row(row)

    async def prune(self) -> None:
        """Trim the attempt log of the endpoints written to since the last prune."""
        touched, self._touched = self._touched, set()
        async with self._db.transaction() as tx:
            await store.prune_attempts_txn(tx, touched)
