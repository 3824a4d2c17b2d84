"""SQL for call logging: a call's annotations and Task state, and a tenant's settings.

A row is made by whatever first speaks of the call (the screen pop, the agent, the call's
end) and is only ever changed while its state allows it: ``open`` and ``wrapping`` rows take
annotations; ``due`` rows are the Task jobs; ``sent``, ``skipped`` and ``failed`` are final.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from .db import Tx
from .tables import call_log_settings as settings
from .tables import call_logs as logs
from .tables import calls, salesforce_users

EDITABLE = ("open", "wrapping")

# -- settings ---------------------------------------------------------------------------------


async def get_settings(conn: AsyncConnection, tenant_id: str) -> RowMapping | None:
    query = select(settings).where(settings.c.tenant_id == tenant_id)
    return (await conn.execute(query)).mappings().first()


async def settings_of(conn: AsyncConnection, tenant_ids: Collection[str]) -> dict[str, RowMapping]:
    query = select(settings).where(settings.c.tenant_id.in_(sorted(tenant_ids)))
    return {row["tenant_id"]: row for row in (await conn.execute(query)).mappings()}


async def upsert_settings_txn(tx: Tx, row: dict[str, Any]) -> None:
    done = await tx.conn.execute(
        update(settings).where(settings.c.tenant_id == row["tenant_id"]).values(**row)
    )
    if not done.rowcount:
        await tx.conn.execute(settings.insert().values(**row))


# -- a call's log -----------------------------------------------------------------------------


async def get_log(conn: AsyncConnection, tenant_id: str, call_id: str) -> RowMapping | None:
    query = select(logs).where(logs.c.tenant_id == tenant_id, logs.c.call_id == call_id)
    return (await conn.execute(query)).mappings().first()


async def lock_log_txn(tx: Tx, tenant_id: str, call_id: str, now: float) -> RowMapping | None:
    """The call's row, made ``open`` if there was none, locked for this transaction
    (PostgreSQL; SQLite has one writer anyway). None: the id is another tenant's call's."""
    try:
        async with tx.conn.begin_nested():  # two first words about a call may race
            await tx.conn.execute(
                logs.insert().values(
                    call_id=call_id,
                    tenant_id=tenant_id,
                    state="open",
                    attempts=0,
                    created_at=now,
                    updated_at=now,
                )
            )
    except IntegrityError:
        pass
    query = select(logs).where(logs.c.call_id == call_id).with_for_update()
    row = (await tx.conn.execute(query)).mappings().first()
    return row if row is not None and row["tenant_id"] == tenant_id else None


async def update_log_txn(
    tx: Tx,
    tenant_id: str,
    call_id: str,
    values: dict[str, Any],
    *,
    states: Collection[str] | None = None,
) -> bool:
    """Change the row, only while it is in one of ``states`` (when given)."""
    query = update(logs).where(logs.c.tenant_id == tenant_id, logs.c.call_id == call_id)
    if states is not None:
        query = query.where(logs.c.state.in_(sorted(states)))
    return bool((await tx.conn.execute(query.values(**values))).rowcount)


async def wrapping_of_txn(tx: Tx, tenant_id: str, agent_id: str) -> Sequence[RowMapping]:
    """The calls whose Tasks wait for this agent's wrap-up to end."""
    query = select(logs).where(
        logs.c.tenant_id == tenant_id, logs.c.agent_id == agent_id, logs.c.state == "wrapping"
    )
    return (await tx.conn.execute(query)).mappings().all()


async def undisposed_wrap_up(
    conn: AsyncConnection, tenant_id: str, agent_id: str
) -> RowMapping | None:
    """A call this agent is wrapping up that has no disposition yet."""
    query = (
        select(logs.c.call_id)
        .where(
            logs.c.tenant_id == tenant_id,
            logs.c.agent_id == agent_id,
            logs.c.state == "wrapping",
            logs.c.disposition.is_(None),
        )
        .order_by(logs.c.created_at)
    )
    return (await conn.execute(query)).mappings().first()


async def due_logs(
    conn: AsyncConnection, *, after: str, org_row_id: str | None, limit: int = 500
) -> Sequence[RowMapping]:
    """Tasks owed, by call id from ``after`` (every org, or one)."""
    query = select(logs).where(logs.c.state == "due", logs.c.call_id > after)
    if org_row_id is not None:
        query = query.where(logs.c.org_row_id == org_row_id)
    query = query.order_by(logs.c.call_id).limit(limit)
    return (await conn.execute(query)).mappings().all()


async def stale_wrapping_txn(tx: Tx) -> Sequence[RowMapping]:
    """Every call still waiting for a wrap-up (at start-up: the process that held it is gone)."""
    query = select(logs).where(logs.c.state == "wrapping").order_by(logs.c.call_id)
    return (await tx.conn.execute(query)).mappings().all()


# -- what else a call log reads ---------------------------------------------------------------


async def call_row(conn: AsyncConnection, tenant_id: str, call_id: str) -> RowMapping | None:
    """The call as the call store keeps it (its current agent, its state)."""
    query = select(calls.c.id, calls.c.agent_id, calls.c.state, calls.c.direction).where(
        calls.c.tenant_id == tenant_id, calls.c.id == call_id
    )
    return (await conn.execute(query)).mappings().first()


async def salesforce_users_of(
    conn: AsyncConnection, tenant_id: str, agent_ids: Collection[str]
) -> dict[str, RowMapping]:
    """The active Salesforce user each agent is (the newest import wins), by agent id."""
    query = (
        select(salesforce_users)
        .where(
            salesforce_users.c.tenant_id == tenant_id,
            salesforce_users.c.agent_id.in_(sorted(agent_ids)),
            salesforce_users.c.is_active,
        )
        .order_by(salesforce_users.c.imported_at)
    )
    return {row["agent_id"]: row for row in (await conn.execute(query)).mappings()}
