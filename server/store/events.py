"""SQL for reading stored events (the outbox writes them: ``server.events.outbox``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import events


async def get_event(conn: AsyncConnection, tenant_id: str, event_id: str) -> RowMapping | None:
    result = await conn.execute(
        select(events).where(events.c.tenant_id == tenant_id, events.c.id == event_id)
    )
    return result.mappings().first()
