"""SQL for connected Salesforce orgs, pending OAuth states, org keys and imported users."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, delete, literal_column, select, union_all, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from .db import Tx
from .tables import call_logs
from .tables import salesforce_oauth_states as states
from .tables import salesforce_org_keys as org_keys
from .tables import salesforce_orgs as orgs
from .tables import salesforce_users as users

# -- OAuth states ---------------------------------------------------------------------------


async def insert_state_txn(tx: Tx, row: dict[str, Any]) -> None:
    await tx.conn.execute(states.insert().values(**row))


async def take_state_txn(tx: Tx, digest: str) -> RowMapping | None:
    """The state, deleted in the same transaction: it can be used once."""
    row = (await tx.conn.execute(select(states).where(states.c.digest == digest))).mappings()
    found = row.first()
    if found is not None:
        await tx.conn.execute(delete(states).where(states.c.digest == digest))
    return found


async def purge_states_txn(tx: Tx, now: float) -> None:
    await tx.conn.execute(delete(states).where(states.c.expires_at < now))


# -- orgs -----------------------------------------------------------------------------------


async def org_by_org_id(conn: AsyncConnection, org_id: str) -> RowMapping | None:
    return (await conn.execute(select(orgs).where(orgs.c.org_id == org_id))).mappings().first()


async def org_by_any_id(conn: AsyncConnection, value: str) -> RowMapping | None:
    """An operator's reference to an org: SIVO's row id, or the 18- or 15-character org id."""
    query = select(orgs).where(
        (orgs.c.id == value) | (orgs.c.org_id == value) | (orgs.c.org_id15 == value)
    )
    return (await conn.execute(query)).mappings().first()


async def get_org(conn: AsyncConnection, tenant_id: str, row_id: str) -> RowMapping | None:
    query = select(orgs).where(orgs.c.tenant_id == tenant_id, orgs.c.id == row_id)
    return (await conn.execute(query)).mappings().first()


async def list_orgs(conn: AsyncConnection, tenant_id: str) -> Sequence[RowMapping]:
    query = select(orgs).where(orgs.c.tenant_id == tenant_id).order_by(orgs.c.connected_at)
    return (await conn.execute(query)).mappings().all()


async def insert_org_txn(tx: Tx, row: dict[str, Any]) -> None:
    await tx.conn.execute(orgs.insert().values(**row))


async def update_org_txn(tx: Tx, tenant_id: str, row_id: str, values: dict[str, Any]) -> bool:
    result = await tx.conn.execute(
        update(orgs).where(orgs.c.tenant_id == tenant_id, orgs.c.id == row_id).values(**values)
    )
    return bool(result.rowcount)


async def delete_org_txn(tx: Tx, tenant_id: str, row_id: str) -> bool:
    await tx.conn.execute(
        delete(users).where(users.c.tenant_id == tenant_id, users.c.org_row_id == row_id)
    )
    await tx.conn.execute(
        delete(org_keys).where(org_keys.c.tenant_id == tenant_id, org_keys.c.org_row_id == row_id)
    )
    result = await tx.conn.execute(
        delete(orgs).where(orgs.c.tenant_id == tenant_id, orgs.c.id == row_id)
    )
    return bool(result.rowcount)


# -- keys -----------------------------------------------------------------------------------


async def org_keys_of(conn: AsyncConnection, tenant_id: str, row_id: str) -> Sequence[RowMapping]:
    query = (
        select(org_keys)
        .where(org_keys.c.tenant_id == tenant_id, org_keys.c.org_row_id == row_id)
        .order_by(org_keys.c.created_at)
    )
    return (await conn.execute(query)).mappings().all()


async def insert_key_txn(tx: Tx, row: dict[str, Any]) -> None:
    await tx.conn.execute(org_keys.insert().values(**row))


async def set_key_status_txn(
    tx: Tx, tenant_id: str, kid: str, status: str, activated_at: float | None = None
) -> None:
    values: dict[str, Any] = {"status": status}
    if activated_at is not None:
        values["activated_at"] = activated_at
    await tx.conn.execute(
        update(org_keys)
        .where(org_keys.c.tenant_id == tenant_id, org_keys.c.kid == kid)
        .values(**values)
    )


# -- users ----------------------------------------------------------------------------------


async def org_users(conn: AsyncConnection, tenant_id: str, row_id: str) -> Sequence[RowMapping]:
    query = (
        select(users)
        .where(users.c.tenant_id == tenant_id, users.c.org_row_id == row_id)
        .order_by(users.c.name, users.c.user_id)
    )
    return (await conn.execute(query)).mappings().all()


async def org_user(
    conn: AsyncConnection, tenant_id: str, row_id: str, user_id: str
) -> RowMapping | None:
    query = select(users).where(
        users.c.tenant_id == tenant_id, users.c.org_row_id == row_id, users.c.user_id == user_id
    )
    return (await conn.execute(query)).mappings().first()


async def user_of_agent(conn: AsyncConnection, tenant_id: str, agent_id: str) -> RowMapping | None:
    """The active Salesforce user an agent is (the org it signs in through), if any."""
    query = (
        select(users)
        .where(users.c.tenant_id == tenant_id, users.c.agent_id == agent_id, users.c.is_active)
        .order_by(users.c.imported_at.desc())
    )
    return (await conn.execute(query)).mappings().first()


async def org_user_of_agent(
    conn: AsyncConnection, tenant_id: str, row_id: str, agent_id: str
) -> RowMapping | None:
    """The active Salesforce user of this org an agent maps to, if any."""
    query = (
        select(users)
        .where(
            users.c.tenant_id == tenant_id,
            users.c.org_row_id == row_id,
            users.c.agent_id == agent_id,
            users.c.is_active,
        )
        .order_by(users.c.imported_at.desc())
    )
    return (await conn.execute(query)).mappings().first()


async def upsert_users_txn(
    tx: Tx, tenant_id: str, row_id: str, rows: Sequence[dict[str, Any]], now: float
) -> None:
    """Insert new users and refresh known ones; a known user missing from ``rows`` is
    marked inactive (it left the active set in Salesforce), never deleted."""
    known = {r["user_id"]: r for r in await org_users(tx.conn, tenant_id, row_id)}
    seen = set()
    for row in rows:
        seen.add(row["user_id"])
        values = {**row, "imported_at": now}
        if row["user_id"] in known:
            await tx.conn.execute(
                update(users)
                .where(users.c.org_row_id == row_id, users.c.user_id == row["user_id"])
                .values(**values)
            )
        else:
            await tx.conn.execute(
                users.insert().values(tenant_id=tenant_id, org_row_id=row_id, **values)
            )
    gone = [uid for uid in known if uid not in seen]
    if gone:
        await tx.conn.execute(
            update(users)
            .where(users.c.org_row_id == row_id, users.c.user_id.in_(gone))
            .values(is_active=False, imported_at=now)
        )


async def link_users_txn(tx: Tx, tenant_id: str, row_id: str, links: dict[str, str | None]) -> None:
    """user_id -> agent_id (or None to unlink)."""
    for user_id, agent_id in links.items():
        await tx.conn.execute(
            update(users)
            .where(
                users.c.tenant_id == tenant_id,
                users.c.org_row_id == row_id,
                users.c.user_id == user_id,
            )
            .values(agent_id=agent_id)
        )


# -- reach ------------------------------------------------------------------------------------


# Built once: a statement made per call spends most of its cost (measured: 38% of a webhook
# emit) generating the cache key that finds its compiled SQL again.
_REACH = union_all(
    select(literal_column("'org'").label("kind"), orgs.c.tenant_id, literal_column("''"))
    .where(orgs.c.tenant_id.in_(bindparam("tenants", expanding=True)))
    .distinct(),
    select(literal_column("'log'"), call_logs.c.tenant_id, call_logs.c.call_id).where(
        call_logs.c.tenant_id.in_(bindparam("tenants", expanding=True)),
        call_logs.c.call_id.in_(bindparam("calls", expanding=True)),
    ),
)


async def reach_of(
    conn: AsyncConnection, tenant_ids: Sequence[str], call_ids: Sequence[str]
) -> tuple[set[str], set[tuple[str, str]]]:
    """One statement: which of these tenants have a connected org, and which of these calls
    have a call-log row (an annotation), as ``(tenant id, call id)``."""
    rows = await conn.execute(_REACH, {"tenants": list(tenant_ids), "calls": list(call_ids)})
    tenants: set[str] = set()
    calls: set[tuple[str, str]] = set()
    for kind, tenant_id, call_id in rows.all():
        if kind == "org":
            tenants.add(tenant_id)
        else:
            calls.add((tenant_id, call_id))
    return tenants, calls
