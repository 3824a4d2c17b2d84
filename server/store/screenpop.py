"""SQL for a tenant's screen-pop settings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from .db import Tx
from .tables import screenpop_settings as settings


async def get_settings(conn: AsyncConnection, tenant_id: str) -> RowMapping | None:
    query = select(settings).where(settings.c.tenant_id == tenant_id)
    return (await conn.execute(query)).mappings().first()


async def upsert_settings_txn(tx: Tx, row: dict[str, Any]) -> None:
    done = await tx.conn.execute(
        update(settings).where(settings.c.tenant_id == row["tenant_id"]).values(**row)
    )
    if not done.rowcount:
        await tx.conn.execute(settings.insert().values(**row))
