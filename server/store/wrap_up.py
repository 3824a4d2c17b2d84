"""SQL for a reloaded softphone's after-call work: what the agent saved so far on the log of
the call being wrapped up (its disposition and notes), read once per softphone connect
while the agent is in after-call work, never otherwise."""

from __future__ import annotations

from server.telephony.ports import SavedLog

from . import call_logs as store
from .db import Database


class SqlSavedLogs:
    """:class:`~server.telephony.ports.SavedLogs` on the ``call_logs`` table."""

    def __init__(self, *, db: Database) -> None:
        self._db = db

    async def saved(self, tenant_id: str, agent_id: str, call_id: str) -> SavedLog | None:
        """The call's saved disposition and notes; None if nothing was saved, or the log is
        another agent's (a transfer took the call on)."""
        async with self._db.read() as conn:
            row = await store.get_log(conn, tenant_id, call_id)
        if row is None or row["agent_id"] not in (None, agent_id):
            return None
        return SavedLog(disposition=row["disposition"], notes=row["notes"] or "")
