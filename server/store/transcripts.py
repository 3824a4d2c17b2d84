"""SQL for live transcription: a call's transcript row and its segments.

The row is made when the call's first leg is tapped (``live``) and becomes ``completed`` once
the call has ended and its last utterance is in. Segments are written with their
``transcript.segment`` event, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from .db import Tx
from .tables import calls, telephony_settings, transcripts
from .tables import transcript_segments as segments


async def transcribes(conn: AsyncConnection, tenant_id: str) -> bool:
    """Whether the tenant turned live transcription on (off until an admin does)."""
    query = select(telephony_settings.c.transcribe_calls).where(
        telephony_settings.c.tenant_id == tenant_id
    )
    return bool((await conn.execute(query)).scalar())


async def any_tenant_transcribes(conn: AsyncConnection) -> bool:
    query = select(telephony_settings.c.tenant_id).where(telephony_settings.c.transcribe_calls)
    return (await conn.execute(query.limit(1))).first() is not None


async def call_started_at(conn: AsyncConnection, tenant_id: str, call_id: str) -> float | None:
    query = select(calls.c.created_at).where(calls.c.tenant_id == tenant_id, calls.c.id == call_id)
    value = (await conn.execute(query)).scalar()
    return None if value is None else float(value)


async def call_exists(conn: AsyncConnection, tenant_id: str, call_id: str) -> bool:
    query = select(calls.c.id).where(calls.c.tenant_id == tenant_id, calls.c.id == call_id)
    return (await conn.execute(query)).first() is not None


async def get_transcript(conn: AsyncConnection, tenant_id: str, call_id: str) -> RowMapping | None:
    query = select(transcripts).where(
        transcripts.c.tenant_id == tenant_id, transcripts.c.call_id == call_id
    )
    return (await conn.execute(query)).mappings().first()


async def insert_transcript_txn(tx: Tx, values: dict[str, Any]) -> bool:
    """A call's transcript row, once: False if the call already has one."""
    if await get_transcript(tx.conn, values["tenant_id"], values["call_id"]) is not None:
        return False
    await tx.conn.execute(transcripts.insert().values(**values))
    return True


async def complete_txn(tx: Tx, tenant_id: str, call_id: str, at: float) -> bool:
    """``live`` → ``completed``; False if it was not live (already completed)."""
    result = await tx.conn.execute(
        update(transcripts)
        .where(
            transcripts.c.tenant_id == tenant_id,
            transcripts.c.call_id == call_id,
            transcripts.c.state == "live",
        )
        .values(state="completed", completed_at=at)
    )
    return bool(result.rowcount)


async def left_live(conn: AsyncConnection, ended_before: float) -> Sequence[RowMapping]:
    """Transcripts still ``live`` whose call ended before ``ended_before``."""
    query = (
        select(transcripts.c.tenant_id, transcripts.c.call_id)
        .join(
            calls,
            (calls.c.tenant_id == transcripts.c.tenant_id) & (calls.c.id == transcripts.c.call_id),
        )
        .where(transcripts.c.state == "live", calls.c.ended_at < ended_before)
    )
    return (await conn.execute(query)).mappings().all()


async def insert_segment_txn(tx: Tx, values: dict[str, Any]) -> None:
    await tx.conn.execute(segments.insert().values(**values))


async def segments_of(conn: AsyncConnection, tenant_id: str, call_id: str) -> Sequence[RowMapping]:
    """The call's segments in the order they were said (start, then the order written)."""
    query = (
        select(segments)
        .where(segments.c.tenant_id == tenant_id, segments.c.call_id == call_id)
        .order_by(segments.c.start_ms, segments.c.id)
    )
    return (await conn.execute(query)).mappings().all()
