"""Telephony configuration a tenant's admin manages: agents, queues, numbers, settings.

Requests arrive as validated models (``server.schemas.telephony``); what needs the store
(a queue id names one of the tenant's queues) is checked here, before anything is written,
and each change is written in one transaction, so a 4xx stores nothing. Ids of another
tenant are reported as not found.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal

from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from server.clock import Clock
from server.failures import Conflict, Invalid, NotFound
from server.ids import new_id
from server.schemas.telephony import (
    AgentConfig,
    AgentCreate,
    AgentUpdate,
    Number,
    NumberCreate,
    NumberUpdate,
    OverflowEnd,
    OverflowToQueue,
    Queue,
    QueueCreate,
    QueueUpdate,
    SettingsUpdate,
    TelephonySettings,
)
from server.store import telephony as store
from server.store.calls import tenant_settings
from server.store.db import Database, Tx
from server.times import rfc3339

from .routing import DEFAULT_OVERFLOW_CAUSE

logger = logging.getLogger(__name__)

AgentChanged = Callable[[str, str], Awaitable[None]]  # (tenant_id, agent_id)
ConfigChanged = Callable[[str], Awaitable[None]]  # (tenant_id): queues, numbers or settings
AlsoTxn = Callable[[Tx, list[str]], Awaitable[None]]  # (the transaction, the new agents' ids)
AGENT_CONFLICT = "an agent with this email or extension exists"


def settings_view(row: RowMapping | None) -> TelephonySettings:
    """A tenant's telephony settings as the API shows them (the book reads the same row)."""
    settings = tenant_settings(row)
    return TelephonySettings(
        pause_reasons=list(settings.pause_reasons),
        record_calls=settings.record_calls,
        outbound_wrap_up_s=settings.outbound_wrap_up_s,
        transcribe_calls=settings.transcribe_calls,
        service_level_threshold_s=settings.service_level_threshold_s,
    )


def agent_config(row: RowMapping) -> AgentConfig:
    return AgentConfig(
        id=row["id"],
        name=row["name"],
        email=row["email"],
        extension=row["extension"],
        queue_ids=json.loads(row["queue_ids"]),
        created_at=rfc3339(row["created_at"]),
        updated_at=rfc3339(row["updated_at"]),
    )


def _agent_row(tenant_id: str, body: AgentCreate, now: float) -> dict[str, Any]:
    return {
        "id": new_id("ag", now),
        "tenant_id": tenant_id,
        "created_at": now,
        "updated_at": now,
        "name": body.name,
        "email": body.email,
        "extension": body.extension,
        "queue_ids": json.dumps(sorted(set(body.queue_ids))),
    }


def queue_view(row: RowMapping) -> Queue:
    overflow: OverflowToQueue | OverflowEnd | None = None
    if row["overflow_queue_id"]:
        overflow = OverflowToQueue(action="queue", queue_id=row["overflow_queue_id"])
    elif row["max_wait_s"] is not None:
        overflow = OverflowEnd(action="end", cause=row["overflow_cause"] or DEFAULT_OVERFLOW_CAUSE)
    return Queue(
        id=row["id"],
        name=row["name"],
        ring_timeout_s=row["ring_timeout_s"],
        max_wait_s=row["max_wait_s"],
        overflow=overflow,
        wrap_up_s=row["wrap_up_s"],
        created_at=rfc3339(row["created_at"]),
        updated_at=rfc3339(row["updated_at"]),
    )


def number_view(row: RowMapping) -> Number:
    return Number(
        id=row["id"],
        number=row["e164"],
        queue_id=row["queue_id"],
        published=bool(row["published"]),
        created_at=rfc3339(row["created_at"]),
    )


class TelephonyAdmin:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        on_agent_changed: AgentChanged,
        on_config_changed: ConfigChanged,
    ) -> None:
        self._db = db
        self._clock = clock
        self._on_agent_changed = on_agent_changed
        self._on_config_changed = on_config_changed

    # -- agents --------------------------------------------------------------------------

    async def create_agent(self, tenant_id: str, body: AgentCreate) -> AgentConfig:
        await self._check_queues(tenant_id, body.queue_ids)
        now = self._clock.now()
        row = _agent_row(tenant_id, body, now)
        await self._insert("agents", row, AGENT_CONFLICT)
        await self._on_agent_changed(tenant_id, row["id"])  # the roster lists it now
        return await self.agent(tenant_id, row["id"])

    async def create_agents(
        self, tenant_id: str, bodies: Sequence[AgentCreate], *, also_txn: AlsoTxn | None = None
    ) -> list[AgentConfig]:
        """Several agents in one transaction, all or none, in the order given; ``also_txn(tx,
        agent_ids)`` runs in that same transaction (what links them elsewhere), so that a
        failure of either leaves no agent behind and no link to a missing one."""
        for queue_ids in {tuple(sorted(set(body.queue_ids))) for body in bodies}:
            await self._check_queues(tenant_id, list(queue_ids))
        now = self._clock.now()
        rows = [_agent_row(tenant_id, body, now) for body in bodies]
        ids = [row["id"] for row in rows]
        try:
            async with self._db.transaction() as tx:
                for row in rows:
                    await store.insert_row_txn(tx, "agents", row)
                if also_txn is not None:
                    await also_txn(tx, ids)
        except IntegrityError as exc:
            raise Conflict("conflict", AGENT_CONFLICT) from exc
        logger.info("%d agents created for tenant %s: %s", len(ids), tenant_id, " ".join(ids))
        for agent_id in ids:
            await self._on_agent_changed(tenant_id, agent_id)  # the roster lists them now
        made = {a.id: a for a in await self.agents(tenant_id)}
        return [made[agent_id] for agent_id in ids]

    async def update_agent(self, tenant_id: str, agent_id: str, body: AgentUpdate) -> AgentConfig:
        await self.agent(tenant_id, agent_id)
        values = body.changes()
        if body.queue_ids is not None:
            await self._check_queues(tenant_id, body.queue_ids)
            values["queue_ids"] = json.dumps(sorted(set(body.queue_ids)))
        await self._update("agents", tenant_id, agent_id, values, "email or extension in use")
        await self._on_agent_changed(tenant_id, agent_id)
        return await self.agent(tenant_id, agent_id)

    async def _check_queues(self, tenant_id: str, queue_ids: list[str]) -> None:
        async with self._db.read() as conn:
            for queue_id in sorted(set(queue_ids)):  # one lookup per distinct id
                if await store.get_row(conn, "queues", tenant_id, queue_id) is None:
                    raise Invalid("queue_ids", f"queue {queue_id} not found")

    async def agent(self, tenant_id: str, agent_id: str) -> AgentConfig:
        return agent_config(await self._row("agents", tenant_id, agent_id, "agent"))

    async def agents(self, tenant_id: str) -> list[AgentConfig]:
        return [agent_config(row) for row in await self._rows("agents", tenant_id)]

    # -- queues --------------------------------------------------------------------------

    async def create_queue(self, tenant_id: str, body: QueueCreate) -> Queue:
        now = self._clock.now()
        queue_id = new_id("q", now)
        row = {
            "id": queue_id,
            "tenant_id": tenant_id,
            "created_at": now,
            "updated_at": now,
            "name": body.name,
            "ring_timeout_s": body.ring_timeout_s,
            "max_wait_s": body.max_wait_s,
            "wrap_up_s": body.wrap_up_s,
            **await self._overflow(tenant_id, queue_id, body.overflow),
        }
        await self._insert("queues", row, "queue conflict")
        await self._on_config_changed(tenant_id)
        return await self.queue(tenant_id, queue_id)

    async def update_queue(self, tenant_id: str, queue_id: str, body: QueueUpdate) -> Queue:
        await self.queue(tenant_id, queue_id)
        values = body.changes()
        if "overflow" in values:
            values.pop("overflow")
            values.update(await self._overflow(tenant_id, queue_id, body.overflow))
        await self._update("queues", tenant_id, queue_id, values, "queue conflict")
        await self._on_config_changed(tenant_id)
        return await self.queue(tenant_id, queue_id)

    async def _overflow(
        self, tenant_id: str, queue_id: str, overflow: OverflowToQueue | OverflowEnd | None
    ) -> dict[str, str | None]:
        if overflow is None:
            return {"overflow_queue_id": None, "overflow_cause": None}
        if isinstance(overflow, OverflowEnd):
            return {"overflow_queue_id": None, "overflow_cause": overflow.cause}
        if overflow.queue_id == queue_id:
            raise Invalid("overflow", "overflow queue_id must name another queue")
        async with self._db.read() as conn:
            if await store.get_row(conn, "queues", tenant_id, overflow.queue_id) is None:
                raise Invalid("overflow", f"queue {overflow.queue_id} not found")
        return {"overflow_queue_id": overflow.queue_id, "overflow_cause": None}

    async def queue(self, tenant_id: str, queue_id: str) -> Queue:
        return queue_view(await self._row("queues", tenant_id, queue_id, "queue"))

    async def queues(self, tenant_id: str) -> list[Queue]:
        return [queue_view(row) for row in await self._rows("queues", tenant_id)]

    # -- numbers -------------------------------------------------------------------------

    async def create_number(self, tenant_id: str, body: NumberCreate) -> Number:
        await self._check_queue(tenant_id, body.queue_id)
        now = self._clock.now()
        number_id = new_id("num", now)
        row = {
            "id": number_id,
            "tenant_id": tenant_id,
            "e164": body.number,
            "queue_id": body.queue_id,
            "published": body.published,
            "created_at": now,
        }
        await self._insert("phone_numbers", row, "this number is already registered")
        await self._on_config_changed(tenant_id)
        return await self.number(tenant_id, number_id)

    async def update_number(self, tenant_id: str, number_id: str, body: NumberUpdate) -> Number:
        await self.number(tenant_id, number_id)
        values = body.changes()
        if body.queue_id is not None:
            await self._check_queue(tenant_id, body.queue_id)
        await self._update("phone_numbers", tenant_id, number_id, values, "number conflict")
        await self._on_config_changed(tenant_id)
        return await self.number(tenant_id, number_id)

    async def _check_queue(self, tenant_id: str, queue_id: str) -> None:
        async with self._db.read() as conn:
            if await store.get_row(conn, "queues", tenant_id, queue_id) is None:
                raise Invalid("queue_id", "queue_id must name one of your queues")

    async def number(self, tenant_id: str, number_id: str) -> Number:
        return number_view(await self._row("phone_numbers", tenant_id, number_id, "number"))

    async def numbers(self, tenant_id: str) -> list[Number]:
        return [number_view(row) for row in await self._rows("phone_numbers", tenant_id)]

    # -- shared --------------------------------------------------------------------------

    async def _row(self, table: str, tenant_id: str, id: str, what: str) -> RowMapping:
        async with self._db.read() as conn:
            row = await store.get_row(conn, table, tenant_id, id)
        if row is None:
            raise NotFound(what)
        return row

    async def _rows(self, table: str, tenant_id: str) -> Sequence[RowMapping]:
        async with self._db.read() as conn:
            return await store.list_rows(conn, table, tenant_id)

    async def delete(self, table: Table, tenant_id: str, id: str) -> None:
        async with self._db.transaction() as tx:
            if table == "queues" and await store.queue_in_use(tx.conn, tenant_id, id):
                raise Conflict("queue_in_use", "a number or an overflow still uses this queue")
            if not await store.delete_row_txn(tx, table, tenant_id, id):
                raise NotFound(_WHAT[table])
        if table == "agents":
            await self._on_agent_changed(tenant_id, id)
        else:
            await self._on_config_changed(tenant_id)

    async def _insert(self, table: str, row: dict[str, Any], conflict: str) -> None:
        try:
            async with self._db.transaction() as tx:
                await store.insert_row_txn(tx, table, row)
        except IntegrityError as exc:
            raise Conflict("conflict", conflict) from exc
        logger.info("%s + %s created for tenant %s", row["id"], table, row["tenant_id"])

    async def _update(
        self, table: str, tenant_id: str, id: str, values: dict[str, Any], conflict: str
    ) -> None:
        if not values:
            return
        if table != "phone_numbers":  # numbers keep only their creation time
            values["updated_at"] = self._clock.now()
        try:
            async with self._db.transaction() as tx:
                await store.update_row_txn(tx, table, tenant_id, id, values)
        except IntegrityError as exc:
            raise Conflict("conflict", conflict) from exc

    # -- tenant settings -----------------------------------------------------------------

    async def settings(self, tenant_id: str) -> TelephonySettings:
        async with self._db.read() as conn:
            return settings_view(await store.get_settings(conn, tenant_id))

    async def update_settings(self, tenant_id: str, body: SettingsUpdate) -> TelephonySettings:
        current = await self.settings(tenant_id)
        changes = body.changes()
        if body.pause_reasons is not None:
            changes["pause_reasons"] = list(dict.fromkeys(body.pause_reasons))
        updated = current.model_copy(update=changes)
        async with self._db.transaction() as tx:
            await store.upsert_settings_txn(
                tx,
                {
                    "tenant_id": tenant_id,
                    "pause_reasons": json.dumps(updated.pause_reasons),
                    "record_calls": updated.record_calls,
                    "outbound_wrap_up_s": updated.outbound_wrap_up_s,
                    "transcribe_calls": updated.transcribe_calls,
                    "service_level_threshold_s": updated.service_level_threshold_s,
                    "updated_at": self._clock.now(),
                },
            )
        await self._on_config_changed(tenant_id)
        return updated


Table = Literal["agents", "queues", "phone_numbers"]
_WHAT: dict[str, str] = {"agents": "agent", "queues": "queue", "phone_numbers": "number"}
