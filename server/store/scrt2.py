"""SQL for SCRT2: each inbound call's row per org, and its requests (the durable jobs).

A request row is written in the transaction that emitted its event, ``due``; the delivery
core makes it ``sent`` or ``failed``. Rows of one (org, call) go in ``id`` order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from .db import Tx
from .tables import queues
from .tables import scrt2_calls as calls
from .tables import scrt2_requests as requests

PAGE = 500


async def get_call(
    conn: AsyncConnection, tenant_id: str, org_row_id: str, call_id: str
) -> RowMapping | None:
    query = select(calls).where(
        calls.c.tenant_id == tenant_id,
        calls.c.org_row_id == org_row_id,
        calls.c.call_id == call_id,
    )
    return (await conn.execute(query)).mappings().first()


async def calls_of(conn: AsyncConnection, tenant_id: str, call_id: str) -> Sequence[RowMapping]:
    """The call's rows, one per org it was created in."""
    query = select(calls).where(calls.c.tenant_id == tenant_id, calls.c.call_id == call_id)
    return (await conn.execute(query)).mappings().all()


async def insert_call_txn(tx: Tx, row: dict[str, Any]) -> bool:
    """False: the row exists (the same call.created seen twice)."""
    if await get_call(tx.conn, row["tenant_id"], row["org_row_id"], row["call_id"]):
        return False
    await tx.conn.execute(calls.insert().values(**row))
    return True


async def update_call_txn(
    tx: Tx, tenant_id: str, org_row_id: str, call_id: str, values: dict[str, Any]
) -> None:
    await tx.conn.execute(
        update(calls)
        .where(
            calls.c.tenant_id == tenant_id,
            calls.c.org_row_id == org_row_id,
            calls.c.call_id == call_id,
        )
        .values(**values)
    )


async def insert_request_txn(tx: Tx, row: dict[str, Any]) -> int:
    result = await tx.conn.execute(requests.insert().values(**row))
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("scrt2_requests gave no id")
    return int(key[0])


async def get_request(conn: AsyncConnection, request_id: int) -> RowMapping | None:
    query = select(requests).where(requests.c.id == request_id)
    return (await conn.execute(query)).mappings().first()


async def update_request_txn(
    tx: Tx, request_id: int, values: dict[str, Any], *, states: tuple[str, ...] = ("due",)
) -> bool:
    result = await tx.conn.execute(
        update(requests)
        .where(requests.c.id == request_id, requests.c.state.in_(states))
        .values(**values)
    )
    return bool(result.rowcount)


async def due_requests(
    conn: AsyncConnection, *, after: int, org_row_id: str | None, call_id: str | None
) -> Sequence[RowMapping]:
    """A page of due requests in ``id`` order (one lane's, or every lane's)."""
    query = select(requests).where(requests.c.state == "due", requests.c.id > after)
    if org_row_id is not None:
        query = query.where(requests.c.org_row_id == org_row_id)
    if call_id is not None:
        query = query.where(requests.c.call_id == call_id)
    return (await conn.execute(query.order_by(requests.c.id).limit(PAGE))).mappings().all()


async def org_due_requests(
    conn: AsyncConnection, tenant_id: str, org_row_id: str, limit: int = PAGE
) -> Sequence[RowMapping]:
    """The org's oldest due requests, every call's, in ``id`` order: each call's first row
    here is the head of its lane."""
    query = (
        select(requests)
        .where(
            requests.c.state == "due",
            requests.c.org_row_id == org_row_id,
            requests.c.tenant_id == tenant_id,
        )
        .order_by(requests.c.id)
        .limit(limit)
    )
    return (await conn.execute(query)).mappings().all()


async def mark_sent_txn(tx: Tx, request_ids: Sequence[int], values: dict[str, Any]) -> int:
    """Due requests sent together (a bulk): ``sent``, each one more attempt."""
    result = await tx.conn.execute(
        update(requests)
        .where(requests.c.id.in_(list(request_ids)), requests.c.state == "due")
        .values(state="sent", attempts=requests.c.attempts + 1, reason=None, **values)
    )
    return int(result.rowcount or 0)


async def requests_of(
    conn: AsyncConnection, tenant_id: str, org_row_id: str, limit: int = 100
) -> Sequence[RowMapping]:
    """The org's latest requests, newest first (the dashboard's log)."""
    query = (
        select(requests)
        .where(requests.c.tenant_id == tenant_id, requests.c.org_row_id == org_row_id)
        .order_by(requests.c.id.desc())
        .limit(limit)
    )
    return (await conn.execute(query)).mappings().all()


async def replay_request_txn(
    tx: Tx, tenant_id: str, org_row_id: str, request_id: int, now: float
) -> RowMapping | None:
    """A failed request due again, from its first attempt; None: no such failed request."""
    result = await tx.conn.execute(
        update(requests)
        .where(
            requests.c.id == request_id,
            requests.c.tenant_id == tenant_id,
            requests.c.org_row_id == org_row_id,
            requests.c.state == "failed",
        )
        .values(state="due", attempts=0, due_at=now, reason=None)
    )
    if not result.rowcount:
        return None
    return await get_request(tx.conn, request_id)


async def queue_name(conn: AsyncConnection, tenant_id: str, queue_id: str | None) -> str | None:
    if not queue_id:
        return None
    query = select(queues.c.name).where(queues.c.tenant_id == tenant_id, queues.c.id == queue_id)
    name = (await conn.execute(query)).scalar_one_or_none()
    return str(name) if name is not None else None
