"""Reading back what the outbox stored: one event's full envelope, for receivers that got
the reduced form of an event over the size limit."""

from __future__ import annotations

import json

from server.failures import NotFound
from server.schemas.platform import EventEnvelope
from server.store import events as store
from server.store.db import Database
from server.times import rfc3339


class EventLog:
    def __init__(self, *, db: Database) -> None:
        self._db = db

    async def envelope(self, tenant_id: str, event_id: str) -> EventEnvelope:
        async with self._db.read() as conn:
            row = await store.get_event(conn, tenant_id, event_id)
        if row is None:
            raise NotFound("event")
        return EventEnvelope(
            id=row["id"],
            type=row["type"],
            created_at=rfc3339(row["created_at"]),
            tenant_id=row["tenant_id"],
            data=json.loads(row["data"]),
        )
