"""SQL for the wallboard: the waits that ended in the service level window (one read, when a
tenant's first supervisor opens the wallboard; live waits come from the shell after that)."""

from __future__ import annotations

from sqlalchemy import and_, or_, select

from server.telephony.wallboard import Outcome

from .db import Database
from .tables import calls


class SqlWaitHistory:
    """:class:`~server.telephony.wallboard_feed.WaitHistory` on the ``calls`` table."""

    def __init__(self, *, db: Database) -> None:
        self._db = db

    async def waits_since(self, tenant_id: str, since: float) -> list[Outcome]:
        """Queued inbound calls answered since ``since``, or ended unanswered since then.

        The ``ix_calls_tenant_created`` index bounds the scan: a call created before the
        window began may still have waited into it, but not by more than a day.
        """
        c = calls.c
        query = select(c.id, c.queue_id, c.queued_at, c.answered_at, c.ended_at).where(
            c.tenant_id == tenant_id,
            c.created_at >= since - 86400,
            c.direction == "inbound",
            c.queue_id.is_not(None),
            c.queued_at.is_not(None),
            or_(
                c.answered_at >= since,
                and_(c.answered_at.is_(None), c.ended_at >= since),
            ),
        )
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        out = []
        for row in rows:
            answered = row.answered_at is not None
            at = float(row.answered_at if answered else row.ended_at)
            out.append(
                Outcome(
                    call_id=row.id,
                    queue_id=row.queue_id,
                    at=at,
                    wait_s=max(0.0, at - float(row.queued_at)),
                    answered=answered,
                )
            )
        return out
