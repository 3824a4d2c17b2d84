"""Each agent's preferences, kept by SIVO: today its audio devices, by label.

The softphone framed by a Salesforce console has no ``localStorage`` where third-party
cookies are blocked, so the browser cannot remember the agent's microphone, speaker and
ringer; it reads them from here after signing in, and writes them when the agent picks
another device (``server/dashboard/preferences.py``). Only the agent itself reads or writes
its row: the caller passes the tenant and agent a verified agent token names.
"""

from __future__ import annotations

import logging

from server.clock import Clock
from server.failures import Unauthenticated
from server.schemas.preferences import DevicePreferences, DevicePreferencesUpdate
from server.store import preferences as store
from server.store.db import Database
from server.times import rfc3339

logger = logging.getLogger(__name__)

KINDS = ("mic", "speaker", "ringer")


class UnknownAgent(Unauthenticated):
    """The token is valid, but its agent was deleted since it was minted."""

    def __init__(self) -> None:
        super().__init__("unknown_agent", "this agent no longer exists")


class AgentPreferences:
    def __init__(self, *, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def get(self, tenant_id: str, agent_id: str) -> DevicePreferences:
        """The agent's devices; all null when it never picked one.

        Raises:
            UnknownAgent: no such agent in the tenant (any more).
        """
        async with self._db.read() as conn:
            if not await store.agent_exists(conn, tenant_id, agent_id):
                raise UnknownAgent()
            row = await store.get_preferences(conn, tenant_id, agent_id)
        if row is None:
            return DevicePreferences()
        return DevicePreferences(
            **{kind: row[f"{kind}_label"] for kind in KINDS},
            updated_at=rfc3339(row["updated_at"]),
        )

    async def set(
        self, tenant_id: str, agent_id: str, body: DevicePreferencesUpdate
    ) -> DevicePreferences:
        """Replaces the agent's devices with ``body`` (a kind left out: the system default).

        Raises:
            UnknownAgent: no such agent in the tenant (any more); nothing is stored.
        """
        now = self._clock.now()
        row: dict[str, object] = {"tenant_id": tenant_id, "agent_id": agent_id}
        row.update({f"{kind}_label": getattr(body, kind) for kind in KINDS})
        row["updated_at"] = now
        async with self._db.transaction() as tx:
            if not await store.agent_exists(tx.conn, tenant_id, agent_id):
                raise UnknownAgent()
            await store.put_preferences_txn(tx, row)
        # The labels name the agent's hardware: which kinds were chosen is enough for a log.
        chosen = ",".join(kind for kind in KINDS if getattr(body, kind) is not None) or "none"
        logger.info("agent %s: device preferences saved (chosen: %s)", agent_id, chosen)
        return DevicePreferences(
            **{kind: getattr(body, kind) for kind in KINDS}, updated_at=rfc3339(now)
        )
