"""SQL for agents' preferences (their audio devices, by label): one row per agent."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from .db import Tx
from .tables import agent_preferences as prefs
from .tables import agents

KEY = ("tenant_id", "agent_id")


async def get_preferences(
    conn: AsyncConnection, tenant_id: str, agent_id: str
) -> RowMapping | None:
    query = select(prefs).where(prefs.c.tenant_id == tenant_id, prefs.c.agent_id == agent_id)
    return (await conn.execute(query)).mappings().first()


async def agent_exists(conn: AsyncConnection, tenant_id: str, agent_id: str) -> bool:
    query = select(agents.c.id).where(agents.c.tenant_id == tenant_id, agents.c.id == agent_id)
    return (await conn.execute(query)).first() is not None


async def put_preferences_txn(tx: Tx, row: dict[str, Any]) -> None:
    """Insert or replace the agent's row in one statement: two tabs saving at once never
    collide on the key (an update-then-insert would, on PostgreSQL)."""
    changed = {name: value for name, value in row.items() if name not in KEY}
    if tx.conn.dialect.name == "postgresql":
        pg = postgresql.insert(prefs).values(**row)
        await tx.conn.execute(pg.on_conflict_do_update(index_elements=list(KEY), set_=changed))
    else:
        lite = sqlite.insert(prefs).values(**row)
        await tx.conn.execute(lite.on_conflict_do_update(index_elements=list(KEY), set_=changed))
