"""SQL for webhook endpoints, deliveries and the attempt log. Every read is tenant-scoped."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from .db import Tx
from .tables import deliveries, delivery_attempts, events, webhook_endpoints

KEEP_ATTEMPTS_PER_ENDPOINT = 100


@dataclass(frozen=True, slots=True)
class DeliveryUpdate:
    delivery_id: str
    status: str
    attempts: int
    next_attempt_at: float
    status_code: int | None
    error: str | None
    at: float
    dead_at: float | None


@dataclass(frozen=True, slots=True)
class AttemptRow:
    tenant_id: str
    endpoint_id: str
    delivery_id: str
    event_id: str
    event_type: str
    attempt: int
    status_code: int | None
    latency_ms: float
    error: str | None
    at: float


# -- endpoints ------------------------------------------------------------------------------


async def insert_endpoint_txn(tx: Tx, row: dict[str, Any]) -> None:
    await tx.conn.execute(webhook_endpoints.insert().values(**row))


async def get_endpoint(
    conn: AsyncConnection, tenant_id: str, endpoint_id: str
) -> RowMapping | None:
    result = await conn.execute(
        select(webhook_endpoints).where(
            webhook_endpoints.c.tenant_id == tenant_id, webhook_endpoints.c.id == endpoint_id
        )
    )
    return result.mappings().first()


async def get_endpoint_any_tenant(conn: AsyncConnection, endpoint_id: str) -> RowMapping | None:
    """For the delivery engine only, which acts on deliveries it already owns."""
    result = await conn.execute(
        select(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id)
    )
    return result.mappings().first()


async def list_endpoints(conn: AsyncConnection, tenant_id: str) -> Sequence[RowMapping]:
    result = await conn.execute(
        select(webhook_endpoints)
        .where(webhook_endpoints.c.tenant_id == tenant_id)
        .order_by(webhook_endpoints.c.created_at)
    )
    return result.mappings().all()


async def endpoints_for_tenants(
    conn: AsyncConnection, tenant_ids: Iterable[str]
) -> Sequence[RowMapping]:
    result = await conn.execute(
        select(webhook_endpoints).where(webhook_endpoints.c.tenant_id.in_(list(tenant_ids)))
    )
    return result.mappings().all()


async def update_endpoint_txn(
    tx: Tx, tenant_id: str, endpoint_id: str, values: dict[str, Any]
) -> bool:
    result = await tx.conn.execute(
        update(webhook_endpoints)
        .where(webhook_endpoints.c.tenant_id == tenant_id, webhook_endpoints.c.id == endpoint_id)
        .values(**values)
    )
    return bool(result.rowcount)


async def delete_endpoint_txn(tx: Tx, tenant_id: str, endpoint_id: str) -> bool:
    result = await tx.conn.execute(
        delete(webhook_endpoints).where(
            webhook_endpoints.c.tenant_id == tenant_id, webhook_endpoints.c.id == endpoint_id
        )
    )
    if not result.rowcount:
        return False
    for table in (deliveries, delivery_attempts):
        await tx.conn.execute(delete(table).where(table.c.endpoint_id == endpoint_id))
    return True


# -- outbox fan-out -------------------------------------------------------------------------


async def has_undispatched(conn: AsyncConnection) -> bool:
    result = await conn.execute(select(events.c.seq).where(events.c.dispatched.is_(False)).limit(1))
    return result.first() is not None


async def claim_undispatched_txn(tx: Tx, limit: int) -> Sequence[RowMapping]:
    # SKIP LOCKED lets several PostgreSQL dispatchers share the outbox; SQLite has one writer.
    result = await tx.conn.execute(
        select(
            events.c.seq,
            events.c.id,
            events.c.tenant_id,
            events.c.type,
            events.c.created_at,
            events.c.body,
            events.c.data,
        )
        .where(events.c.dispatched.is_(False))
        .order_by(events.c.seq)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return result.mappings().all()


async def insert_deliveries_txn(tx: Tx, rows: list[dict[str, Any]]) -> None:
    await tx.write(_INSERT_DELIVERIES, rows)


async def mark_dispatched_txn(tx: Tx, seqs: list[int]) -> None:
    for i in range(0, len(seqs), 500):
        await tx.conn.execute(
            update(events).where(events.c.seq.in_(seqs[i : i + 500])).values(dispatched=True)
        )


# -- delivery engine ------------------------------------------------------------------------

_PENDING_COLUMNS = (
    deliveries.c.id,
    deliveries.c.tenant_id,
    deliveries.c.endpoint_id,
    deliveries.c.event_id,
    deliveries.c.attempts,
    deliveries.c.next_attempt_at,
    events.c.type,
    events.c.body,
)


async def pending_deliveries(
    conn: AsyncConnection, *, after_id: str = "", limit: int = 1000, endpoint_id: str | None = None
) -> Sequence[RowMapping]:
    query = (
        select(*_PENDING_COLUMNS)
        .join(events, events.c.id == deliveries.c.event_id)
        .where(deliveries.c.status == "pending", deliveries.c.id > after_id)
        .order_by(deliveries.c.id)
        .limit(limit)
    )
    if endpoint_id is not None:
        query = query.where(deliveries.c.endpoint_id == endpoint_id)
    return (await conn.execute(query)).mappings().all()


# The delivery path's statements, built once (a statement built per call costs more in
# SQLAlchemy's cache-key generation than SQLite takes to run it).
_INSERT_DELIVERIES = deliveries.insert()
_INSERT_ATTEMPTS = delivery_attempts.insert()
_RECORD_OUTCOME = (
    update(deliveries)
    .where(deliveries.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        attempts=bindparam("b_attempts"),
        next_attempt_at=bindparam("b_next"),
        last_status_code=bindparam("b_code"),
        last_error=bindparam("b_error"),
        updated_at=bindparam("b_at"),
        dead_at=bindparam("b_dead"),
    )
)


async def record_outcomes_txn(
    tx: Tx, updates: Sequence[DeliveryUpdate], attempts: Sequence[AttemptRow]
) -> None:
    if updates:
        await tx.write(
            _RECORD_OUTCOME,
            [
                {
                    "b_id": u.delivery_id,
                    "b_status": u.status,
                    "b_attempts": u.attempts,
                    "b_next": u.next_attempt_at,
                    "b_code": u.status_code,
                    "b_error": u.error,
                    "b_at": u.at,
                    "b_dead": u.dead_at,
                }
                for u in updates
            ],
        )
    if attempts:
        await tx.write(
            _INSERT_ATTEMPTS,
            [
                {
                    "tenant_id": a.tenant_id,
                    "endpoint_id": a.endpoint_id,
                    "delivery_id": a.delivery_id,
                    "event_id": a.event_id,
                    "event_type": a.event_type,
                    "attempt": a.attempt,
                    "status_code": a.status_code,
                    "latency_ms": a.latency_ms,
                    "error": a.error,
                    "created_at": a.at,
                }
                for a in attempts
            ],
        )


async def prune_attempts_txn(tx: Tx, endpoint_ids: Iterable[str]) -> None:
    """Keep the newest ``KEEP_ATTEMPTS_PER_ENDPOINT`` attempt rows of each endpoint."""
    for endpoint_id in endpoint_ids:
        cutoff = (
            select(delivery_attempts.c.id)
            .where(delivery_attempts.c.endpoint_id == endpoint_id)
            .order_by(delivery_attempts.c.id.desc())
            .offset(KEEP_ATTEMPTS_PER_ENDPOINT)
            .limit(1)
            .scalar_subquery()
        )
        await tx.conn.execute(
            delete(delivery_attempts).where(
                delivery_attempts.c.endpoint_id == endpoint_id, delivery_attempts.c.id <= cutoff
            )
        )


# -- logs and dead letters ------------------------------------------------------------------


async def recent_attempts(
    conn: AsyncConnection, tenant_id: str, endpoint_id: str, limit: int = KEEP_ATTEMPTS_PER_ENDPOINT
) -> Sequence[RowMapping]:
    result = await conn.execute(
        select(delivery_attempts)
        .where(
            delivery_attempts.c.tenant_id == tenant_id,
            delivery_attempts.c.endpoint_id == endpoint_id,
        )
        .order_by(delivery_attempts.c.id.desc())
        .limit(limit)
    )
    return result.mappings().all()


@dataclass(frozen=True)
class DeadLetterFilter:
    tenant_id: str
    endpoint_id: str | None = None
    since: float | None = None
    until: float | None = None
    delivery_id: str | None = None

    def clause(self) -> Any:
        parts = [deliveries.c.tenant_id == self.tenant_id, deliveries.c.status == "dead"]
        if self.endpoint_id is not None:
            parts.append(deliveries.c.endpoint_id == self.endpoint_id)
        if self.since is not None:
            parts.append(deliveries.c.dead_at >= self.since)
        if self.until is not None:
            parts.append(deliveries.c.dead_at < self.until)
        if self.delivery_id is not None:
            parts.append(deliveries.c.id == self.delivery_id)
        return and_(*parts)


async def dead_letters(
    conn: AsyncConnection, flt: DeadLetterFilter, *, limit: int, with_body: bool = False
) -> Sequence[RowMapping]:
    columns = [
        deliveries.c.id,
        deliveries.c.endpoint_id,
        deliveries.c.event_id,
        events.c.type.label("event_type"),
        deliveries.c.attempts,
        deliveries.c.last_status_code,
        deliveries.c.last_error,
        deliveries.c.created_at,
        deliveries.c.dead_at,
    ]
    if with_body:
        columns.append(events.c.body)
    result = await conn.execute(
        select(*columns)
        .join(events, events.c.id == deliveries.c.event_id)
        .where(flt.clause())
        .order_by(deliveries.c.dead_at.desc(), deliveries.c.id)
        .limit(limit)
    )
    return result.mappings().all()


async def requeue_dead_txn(tx: Tx, flt: DeadLetterFilter, now: float) -> list[str]:
    """Move matching dead letters back to pending with a fresh schedule; returns their ids."""
    ids = list((await tx.conn.execute(select(deliveries.c.id).where(flt.clause()))).scalars())
    for i in range(0, len(ids), 500):
        await tx.conn.execute(
            update(deliveries)
            .where(deliveries.c.id.in_(ids[i : i + 500]))
            .values(status="pending", attempts=0, next_attempt_at=now, dead_at=None, updated_at=now)
        )
    return ids


async def oldest_due_pending(conn: AsyncConnection, now: float) -> float | None:
    """When the longest-waiting delivery that is due now became due (None: nothing due)."""
    result = await conn.execute(
        select(func.min(deliveries.c.next_attempt_at)).where(
            deliveries.c.status == "pending", deliveries.c.next_attempt_at <= now
        )
    )
    value = result.scalar()
    return float(value) if value is not None else None
