"""The telephony shell's store: a batch of the book's decisions in one transaction, and the
reads the book needs (a tenant's queues and settings, an agent, a dialed number).

Events go through the outbox inside the same transaction, so a call's new state and the
events it caused are committed together or not at all.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from sqlalchemy.engine import RowMapping

from server.events.outbox import Outbox
from server.telephony.acd import QueuePolicy
from server.telephony.effects import Emit, InsertCall, InsertRecording, SaveCall, StoreOp
from server.telephony.ports import NumberRoute, TenantConfig
from server.telephony.state import DEFAULT_PAUSE_REASONS, AgentProfile, TenantSettings

from . import rollup
from . import telephony as store
from .db import Database

logger = logging.getLogger(__name__)


def queue_policy(row: RowMapping) -> QueuePolicy:
    """The ACD's view of a ``queues`` row."""
    return QueuePolicy(
        id=row["id"],
        name=row["name"],
        ring_timeout_s=row["ring_timeout_s"],
        max_wait_s=row["max_wait_s"],
        overflow_queue_id=row["overflow_queue_id"],
        overflow_cause=row["overflow_cause"],
        wrap_up_s=row["wrap_up_s"],
    )


def tenant_settings(row: RowMapping | None) -> TenantSettings:
    """A tenant's telephony settings; the defaults until an admin saves some."""
    if row is None:
        return TenantSettings(pause_reasons=DEFAULT_PAUSE_REASONS)
    return TenantSettings(
        pause_reasons=tuple(json.loads(row["pause_reasons"])),
        record_calls=bool(row["record_calls"]),
        outbound_wrap_up_s=float(row["outbound_wrap_up_s"]),
        transcribe_calls=bool(row["transcribe_calls"]),
        service_level_threshold_s=float(row["service_level_threshold_s"]),
    )


def agent_profile(row: RowMapping) -> AgentProfile:
    return AgentProfile(
        agent_id=row["id"],
        name=row["name"],
        extension=row["extension"],
        queue_ids=frozenset(json.loads(row["queue_ids"])),
    )


class SqlCallStore:
    """:class:`~server.telephony.ports.CallStore` on the database and the outbox."""

    def __init__(self, *, db: Database, outbox: Outbox) -> None:
        self._db = db
        self._outbox = outbox

    async def commit(self, ops: Sequence[StoreOp]) -> None:
        """One transaction, one statement per table: new calls, the latest state of each
        changed call (a save is a whole snapshot, so the last one wins), the calls that
        ended added to the reports' rollup (:mod:`server.store.rollup`), new recordings,
        then the events in the order they were emitted."""
        if not ops:
            return
        inserts = {op.row["id"]: dict(op.row) for op in ops if isinstance(op, InsertCall)}
        saves = {op.call_id: op for op in ops if isinstance(op, SaveCall)}
        for call_id in [c for c in saves if c in inserts]:  # born and changed in one batch:
            inserts[call_id].update(saves.pop(call_id).columns)  # insert its latest state
        new_recordings = [op.row for op in ops if isinstance(op, InsertRecording)]
        events = [(op.tenant_id, op.type, op.data) for op in ops if isinstance(op, Emit)]
        ended = [i for i, row in inserts.items() if row["state"] == "ended"]
        ended += [i for i, op in saves.items() if op.columns["state"] == "ended"]
        async with self._db.transaction() as tx:
            # The reports' rollup: out with a CDR saved again, in with the new ones.
            await rollup.add_calls_txn(tx, [i for i in ended if i in saves], sign=-1)
            await store.insert_calls_txn(tx, list(inserts.values()))
            await store.update_calls_txn(
                tx, [(op.tenant_id, op.call_id, op.columns) for op in saves.values()]
            )
            await rollup.add_calls_txn(tx, ended)
            await store.insert_recordings_txn(tx, new_recordings)
            await self._outbox.emit_many_txn(tx, events)

    async def tenant_config(self, tenant_id: str) -> TenantConfig:
        async with self._db.read() as conn:
            rows = await store.list_rows(conn, "queues", tenant_id)
            policies = {row["id"]: queue_policy(row) for row in rows}
            settings = tenant_settings(await store.get_settings(conn, tenant_id))
        return TenantConfig(queues=policies, settings=settings)

    async def agent_profile(self, tenant_id: str, agent_id: str) -> AgentProfile | None:
        async with self._db.read() as conn:
            row = await store.get_row(conn, "agents", tenant_id, agent_id)
        return agent_profile(row) if row is not None else None

    async def agent_profiles(self, tenant_id: str) -> list[AgentProfile]:
        async with self._db.read() as conn:
            rows = await store.list_rows(conn, "agents", tenant_id)
        return [agent_profile(row) for row in rows]

    async def number_route(self, e164: str) -> NumberRoute | None:
        async with self._db.read() as conn:
            row = await store.number_by_e164(conn, e164)
        if row is None:
            return None
        return NumberRoute(row["tenant_id"], row["queue_id"], bool(row["published"]))

    async def mark_recording_failed(self, recording_id: str) -> None:
        async with self._db.transaction() as tx:
            await store.update_recording_txn(tx, recording_id, {"status": "failed"})
