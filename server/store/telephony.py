"""SQL for agents, queues, numbers, tenant telephony settings, calls and recordings.

Every read is tenant-scoped, except the lookups the signaling plane needs before it knows a
tenant (a dialed number, a recording named by a signed URL).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from .db import Tx
from .tables import agents, calls, phone_numbers, queues, recordings, telephony_settings

_TABLES = {"agents": agents, "queues": queues, "phone_numbers": phone_numbers}


# -- configuration: agents, queues, numbers (same shape, so shared helpers) ----------------


async def insert_row_txn(tx: Tx, table: str, row: dict[str, Any]) -> None:
    await tx.conn.execute(_TABLES[table].insert().values(**row))


async def get_row(conn: AsyncConnection, table: str, tenant_id: str, id: str) -> RowMapping | None:
    t = _TABLES[table]
    result = await conn.execute(select(t).where(t.c.tenant_id == tenant_id, t.c.id == id))
    return result.mappings().first()


async def list_rows(conn: AsyncConnection, table: str, tenant_id: str) -> Sequence[RowMapping]:
    t = _TABLES[table]
    result = await conn.execute(
        select(t).where(t.c.tenant_id == tenant_id).order_by(t.c.created_at, t.c.id)
    )
    return result.mappings().all()


async def update_row_txn(
    tx: Tx, table: str, tenant_id: str, id: str, values: dict[str, Any]
) -> bool:
    t = _TABLES[table]
    result = await tx.conn.execute(
        update(t).where(t.c.tenant_id == tenant_id, t.c.id == id).values(**values)
    )
    return bool(result.rowcount)


async def delete_row_txn(tx: Tx, table: str, tenant_id: str, id: str) -> bool:
    t = _TABLES[table]
    result = await tx.conn.execute(delete(t).where(t.c.tenant_id == tenant_id, t.c.id == id))
    return bool(result.rowcount)


async def number_by_e164(conn: AsyncConnection, e164: str) -> RowMapping | None:
    """Any tenant's number: the caller page dials before a tenant is known."""
    result = await conn.execute(select(phone_numbers).where(phone_numbers.c.e164 == e164))
    return result.mappings().first()


async def queue_in_use(conn: AsyncConnection, tenant_id: str, queue_id: str) -> bool:
    """Whether a number routes to, or another queue overflows into, this queue."""
    by_number = await conn.execute(
        select(phone_numbers.c.id).where(
            phone_numbers.c.tenant_id == tenant_id, phone_numbers.c.queue_id == queue_id
        )
    )
    if by_number.first() is not None:
        return True
    by_overflow = await conn.execute(
        select(queues.c.id).where(
            queues.c.tenant_id == tenant_id, queues.c.overflow_queue_id == queue_id
        )
    )
    return by_overflow.first() is not None


# -- tenant settings -------------------------------------------------------------------------


async def get_settings(conn: AsyncConnection, tenant_id: str) -> RowMapping | None:
    result = await conn.execute(
        select(telephony_settings).where(telephony_settings.c.tenant_id == tenant_id)
    )
    return result.mappings().first()


async def upsert_settings_txn(tx: Tx, row: dict[str, Any]) -> None:
    done = await tx.conn.execute(
        update(telephony_settings)
        .where(telephony_settings.c.tenant_id == row["tenant_id"])
        .values(**row)
    )
    if not done.rowcount:
        await tx.conn.execute(telephony_settings.insert().values(**row))


# -- calls and recordings --------------------------------------------------------------------


async def insert_calls_txn(tx: Tx, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await tx.conn.execute(calls.insert(), list(rows))


async def update_calls_txn(tx: Tx, rows: Sequence[tuple[str, str, dict[str, Any]]]) -> None:
    """``(tenant id, call id, columns)`` per call; every row sets the same columns."""
    if not rows:
        return
    columns = sorted(rows[0][2])
    statement = (
        update(calls)
        .where(calls.c.tenant_id == bindparam("b_tenant"), calls.c.id == bindparam("b_id"))
        .values({name: bindparam(f"v_{name}") for name in columns})
    )
    params = [
        {"b_tenant": tenant, "b_id": call_id, **{f"v_{n}": values[n] for n in columns}}
        for tenant, call_id, values in rows
    ]
    await tx.conn.execute(statement, params if len(params) > 1 else params[0])


async def get_call(conn: AsyncConnection, tenant_id: str, call_id: str) -> RowMapping | None:
    result = await conn.execute(
        select(calls).where(calls.c.tenant_id == tenant_id, calls.c.id == call_id)
    )
    return result.mappings().first()


async def insert_recordings_txn(tx: Tx, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await tx.conn.execute(recordings.insert(), list(rows))


async def update_recording_txn(tx: Tx, recording_id: str, values: dict[str, Any]) -> None:
    await tx.conn.execute(
        update(recordings).where(recordings.c.id == recording_id).values(**values)
    )


async def get_recording(
    conn: AsyncConnection, recording_id: str, tenant_id: str | None = None
) -> RowMapping | None:
    """By id; ``tenant_id=None`` only for the signed-URL download, whose signature names it."""
    query = select(recordings).where(recordings.c.id == recording_id)
    if tenant_id is not None:
        query = query.where(recordings.c.tenant_id == tenant_id)
    return (await conn.execute(query)).mappings().first()
