"""SQL for softphone sessions (agents signed in from the console) and the agent kind of
pending OAuth states."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from .db import Tx
from .tables import salesforce_oauth_states as states
from .tables import softphone_sessions as sessions

# A session that ended stays this long after its expiry (what ended it, for support), then goes.
KEEP_ENDED_S = 7 * 86400.0


async def state_kind(conn: AsyncConnection, digest: str) -> str | None:
    """The kind of a pending state (``admin`` or ``agent``), without taking it."""
    query = select(states.c.kind).where(states.c.digest == digest)
    return (await conn.execute(query)).scalar_one_or_none()


async def insert_session_txn(tx: Tx, row: dict[str, Any]) -> None:
    await tx.conn.execute(sessions.insert().values(**row))


async def redeem_ticket_txn(
    tx: Tx, ticket_digest: str, secret_digest: str, now: float
) -> RowMapping | None:
    """The session a live ticket names, now holding ``secret_digest``; the ticket is spent.

    One UPDATE guarded by the ticket's digest: of two redemptions racing, one changes the row.
    """
    live = (
        (sessions.c.ticket_digest == ticket_digest)
        & (sessions.c.ticket_expires_at >= now)
        & sessions.c.revoked_at.is_(None)
        & (sessions.c.expires_at > now)
    )
    result = await tx.conn.execute(
        update(sessions)
        .where(live)
        .values(
            ticket_digest=None,
            ticket_expires_at=None,
            secret_digest=secret_digest,
            last_used_at=now,
        )
        .returning(*sessions.c)
    )
    found = result.mappings().first()
    if found is None:  # unknown, used or expired: spent all the same
        await tx.conn.execute(
            update(sessions)
            .where(sessions.c.ticket_digest == ticket_digest)
            .values(ticket_digest=None, ticket_expires_at=None)
        )
    return found


async def session_by_secret(conn: AsyncConnection, secret_digest: str) -> RowMapping | None:
    query = select(sessions).where(sessions.c.secret_digest == secret_digest)
    return (await conn.execute(query)).mappings().first()


async def update_session_txn(
    tx: Tx, tenant_id: str, session_id: str, values: dict[str, Any]
) -> bool:
    result = await tx.conn.execute(
        update(sessions)
        .where(sessions.c.tenant_id == tenant_id, sessions.c.id == session_id)
        .values(**values)
    )
    return bool(result.rowcount)


async def end_session_txn(tx: Tx, tenant_id: str, session_id: str, now: float, reason: str) -> bool:
    """Revoke a live session: its secret and refresh token are forgotten, the row stays."""
    result = await tx.conn.execute(
        update(sessions)
        .where(
            sessions.c.tenant_id == tenant_id,
            sessions.c.id == session_id,
            sessions.c.revoked_at.is_(None),
        )
        .values(
            revoked_at=now,
            end_reason=reason,
            secret_digest=None,
            ticket_digest=None,
            refresh_token_enc=None,
        )
    )
    return bool(result.rowcount)


async def purge_sessions_txn(tx: Tx, now: float) -> None:
    """Forget sessions long expired, and tickets never redeemed."""
    await tx.conn.execute(delete(sessions).where(sessions.c.expires_at < now - KEEP_ENDED_S))
    await tx.conn.execute(
        delete(sessions).where(
            sessions.c.secret_digest.is_(None),
            sessions.c.revoked_at.is_(None),
            sessions.c.ticket_expires_at.is_(None) | (sessions.c.ticket_expires_at < now),
            sessions.c.created_at < now - 3600,
        )
    )
