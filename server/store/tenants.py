"""SQL for tenants, API keys, dashboard users and their sessions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from .db import Tx
from .tables import admin_sessions, admin_users, api_keys, tenants


async def insert_tenant_txn(tx: Tx, row: dict[str, Any]) -> None:
    await tx.conn.execute(tenants.insert().values(**row))


async def get_tenant(conn: AsyncConnection, tenant_id: str) -> RowMapping | None:
    return (await conn.execute(select(tenants).where(tenants.c.id == tenant_id))).mappings().first()


async def insert_api_key_txn(tx: Tx, row: dict[str, Any]) -> None:
    await tx.conn.execute(api_keys.insert().values(**row))


async def get_api_key(conn: AsyncConnection, key_id: str) -> RowMapping | None:
    return (await conn.execute(select(api_keys).where(api_keys.c.id == key_id))).mappings().first()


async def list_api_keys(conn: AsyncConnection, tenant_id: str) -> Sequence[RowMapping]:
    result = await conn.execute(
        select(api_keys).where(api_keys.c.tenant_id == tenant_id).order_by(api_keys.c.created_at)
    )
    return result.mappings().all()


async def revoke_api_key_txn(tx: Tx, tenant_id: str, key_id: str, now: float) -> bool:
    result = await tx.conn.execute(
        update(api_keys)
        .where(
            api_keys.c.tenant_id == tenant_id,
            api_keys.c.id == key_id,
            api_keys.c.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return bool(result.rowcount)


async def insert_admin_txn(tx: Tx, row: dict[str, Any]) -> None:
    await tx.conn.execute(admin_users.insert().values(**row))


async def admin_by_email(conn: AsyncConnection, email: str) -> RowMapping | None:
    result = await conn.execute(select(admin_users).where(admin_users.c.email == email))
    return result.mappings().first()


async def insert_session_txn(tx: Tx, row: dict[str, Any]) -> None:
    await tx.conn.execute(admin_sessions.insert().values(**row))


async def get_session(conn: AsyncConnection, digest: str) -> RowMapping | None:
    result = await conn.execute(select(admin_sessions).where(admin_sessions.c.digest == digest))
    return result.mappings().first()


async def delete_session_txn(tx: Tx, digest: str) -> None:
    await tx.conn.execute(delete(admin_sessions).where(admin_sessions.c.digest == digest))


async def delete_expired_sessions_txn(tx: Tx, now: float) -> None:
    await tx.conn.execute(delete(admin_sessions).where(admin_sessions.c.expires_at < now))
