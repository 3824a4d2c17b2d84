"""SQL for the RS256 keys that sign agent tokens (``signing_keys``; not tenant-scoped).

The newest unretired key signs (ties on ``created_at`` break on ``kid``, which is unique).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from .db import Tx
from .tables import signing_keys


async def insert_key_txn(tx: Tx, row: dict[str, Any]) -> None:
    await tx.conn.execute(signing_keys.insert().values(**row))


async def current_key(conn: AsyncConnection) -> RowMapping | None:
    """The signing key: the newest one not yet retired."""
    result = await conn.execute(
        select(signing_keys)
        .where(signing_keys.c.retired_at.is_(None))
        .order_by(signing_keys.c.created_at.desc(), signing_keys.c.kid.desc())
        .limit(1)
    )
    return result.mappings().first()


async def list_keys(conn: AsyncConnection) -> Sequence[RowMapping]:
    """Every stored key, newest first; callers filter out those past their grace period."""
    result = await conn.execute(
        select(signing_keys.c.kid, signing_keys.c.public_jwk, signing_keys.c.retired_at).order_by(
            signing_keys.c.created_at.desc(), signing_keys.c.kid.desc()
        )
    )
    return result.mappings().all()


async def retire_keys_txn(tx: Tx, now: float) -> int:
    """Retire every key still signing; they keep verifying until their grace period ends."""
    result = await tx.conn.execute(
        update(signing_keys).where(signing_keys.c.retired_at.is_(None)).values(retired_at=now)
    )
    return int(result.rowcount)


async def delete_keys_retired_by_txn(tx: Tx, cutoff: float) -> int:
    """Delete keys retired at or before ``cutoff``: no token they signed can still be valid."""
    result = await tx.conn.execute(
        delete(signing_keys).where(
            signing_keys.c.retired_at.is_not(None), signing_keys.c.retired_at <= cutoff
        )
    )
    return int(result.rowcount)


async def delete_key_txn(tx: Tx, kid: str) -> bool:
    """Forget one key (revocation): nothing it signed verifies any more."""
    result = await tx.conn.execute(delete(signing_keys).where(signing_keys.c.kid == kid))
    return bool(result.rowcount)
