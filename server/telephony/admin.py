"""Telephony configuration a tenant's admin manages: agents, queues, numbers, settings.

Every request is validated in full before anything is written, and written in one
transaction, so a 4xx stores nothing. Ids of another tenant are reported as not found.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from server.clock import Clock
from server.failures import Conflict, Invalid, NotFound
from server.ids import new_id
from server.store import telephony as store
from server.store.calls import tenant_settings
from server.store.db import Database
from server.text import single_line
from server.times import rfc3339

from .routing import DEFAULT_OVERFLOW_CAUSE

logger = logging.getLogger(__name__)

# Matched with fullmatch: "$" would also accept a trailing newline.
E164 = re.compile(r"\+[1-9][0-9]{7,14}")
EXTENSION = re.compile(r"[0-9]{2,8}")
REASON = re.compile(r"[a-z0-9][a-z0-9_ -]{0,63}")
MAX_QUEUES_PER_AGENT = 100

AgentChanged = Callable[[str, str], Awaitable[None]]  # (tenant_id, agent_id)
ConfigChanged = Callable[[str], Awaitable[None]]  # (tenant_id): queues, numbers or settings


def _text(body: Mapping[str, Any], name: str, max_len: int, *, required: bool = True) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise Invalid(name, f"{name} must be a string of 1-{max_len} characters")
    if not single_line(value):
        raise Invalid(name, f"{name} must not contain control characters")
    return value.strip()


def _number(body: Mapping[str, Any], name: str, low: float, high: float) -> float:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise Invalid(name, f"{name} must be a number from {low:g} to {high:g}")
    return float(value)


def _unknown(body: Mapping[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(body) - allowed)
    if extra:
        raise Invalid(extra[0], f"unknown field {extra[0]!r}")


def settings_view(row: RowMapping | None) -> dict[str, Any]:
    """A tenant's telephony settings as the API shows them (the book reads the same row)."""
    settings = tenant_settings(row)
    return {
        "pause_reasons": list(settings.pause_reasons),
        "record_calls": settings.record_calls,
        "outbound_wrap_up_s": settings.outbound_wrap_up_s,
    }


def agent_view(row: RowMapping) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "email": row["email"],
        "extension": row["extension"],
        "queue_ids": json.loads(row["queue_ids"]),
        "created_at": rfc3339(row["created_at"]),
        "updated_at": rfc3339(row["updated_at"]),
    }


def queue_view(row: RowMapping) -> dict[str, Any]:
    overflow: dict[str, Any] | None = None
    if row["overflow_queue_id"]:
        overflow = {"action": "queue", "queue_id": row["overflow_queue_id"]}
    elif row["max_wait_s"] is not None:
        overflow = {"action": "end", "cause": row["overflow_cause"] or DEFAULT_OVERFLOW_CAUSE}
    return {
        "id": row["id"],
        "name": row["name"],
        "ring_timeout_s": row["ring_timeout_s"],
        "max_wait_s": row["max_wait_s"],
        "overflow": overflow,
        "wrap_up_s": row["wrap_up_s"],
        "created_at": rfc3339(row["created_at"]),
        "updated_at": rfc3339(row["updated_at"]),
    }


def number_view(row: RowMapping) -> dict[str, Any]:
    return {
        "id": row["id"],
        "number": row["e164"],
        "queue_id": row["queue_id"],
        "published": bool(row["published"]),
        "created_at": rfc3339(row["created_at"]),
    }


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

    async def create_agent(self, tenant_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        values = await self._agent_values(tenant_id, body, partial=False)
        now = self._clock.now()
        row = {
            "id": new_id("ag", now),
            "tenant_id": tenant_id,
            "created_at": now,
            "updated_at": now,
            **values,
        }
        await self._insert("agents", row, "an agent with this email or extension exists")
        return await self.get("agents", tenant_id, row["id"])

    async def update_agent(
        self, tenant_id: str, agent_id: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        await self.get("agents", tenant_id, agent_id)
        values = await self._agent_values(tenant_id, body, partial=True)
        await self._update("agents", tenant_id, agent_id, values, "email or extension in use")
        await self._on_agent_changed(tenant_id, agent_id)
        return await self.get("agents", tenant_id, agent_id)

    async def _agent_values(
        self, tenant_id: str, body: Mapping[str, Any], *, partial: bool
    ) -> dict[str, Any]:
        _unknown(body, {"name", "email", "extension", "queue_ids"})
        out: dict[str, Any] = {}
        if not partial or "name" in body:
            out["name"] = _text(body, "name", 200)
        if not partial or "email" in body:
            email = _text(body, "email", 320).lower()
            if "@" not in email.strip("@"):
                raise Invalid("email", "email must be an email address")
            out["email"] = email
        if not partial or "extension" in body:
            ext = body.get("extension")
            if not isinstance(ext, str) or not EXTENSION.fullmatch(ext):
                raise Invalid("extension", "extension must be 2-8 digits")
            out["extension"] = ext
        if not partial or "queue_ids" in body:
            ids = body.get("queue_ids", [])
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                raise Invalid("queue_ids", "queue_ids must be a list of queue ids")
            if len(set(ids)) > MAX_QUEUES_PER_AGENT:
                raise Invalid("queue_ids", f"at most {MAX_QUEUES_PER_AGENT} queues per agent")
            async with self._db.read() as conn:
                for queue_id in sorted(set(ids)):  # one lookup per distinct id
                    if await store.get_row(conn, "queues", tenant_id, queue_id) is None:
                        raise Invalid("queue_ids", f"queue {queue_id} not found")
            out["queue_ids"] = json.dumps(sorted(set(ids)))
        return out

    # -- queues --------------------------------------------------------------------------

    async def create_queue(self, tenant_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        now = self._clock.now()
        queue_id = new_id("q", now)
        values = await self._queue_values(tenant_id, queue_id, body, partial=False)
        row = {
            "id": queue_id,
            "tenant_id": tenant_id,
            "created_at": now,
            "updated_at": now,
            **values,
        }
        await self._insert("queues", row, "queue conflict")
        await self._on_config_changed(tenant_id)
        return await self.get("queues", tenant_id, queue_id)

    async def update_queue(
        self, tenant_id: str, queue_id: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        await self.get("queues", tenant_id, queue_id)
        values = await self._queue_values(tenant_id, queue_id, body, partial=True)
        await self._update("queues", tenant_id, queue_id, values, "queue conflict")
        await self._on_config_changed(tenant_id)
        return await self.get("queues", tenant_id, queue_id)

    async def _queue_values(
        self, tenant_id: str, queue_id: str, body: Mapping[str, Any], *, partial: bool
    ) -> dict[str, Any]:
        _unknown(body, {"name", "ring_timeout_s", "max_wait_s", "overflow", "wrap_up_s"})
        out: dict[str, Any] = {}
        if not partial or "name" in body:
            out["name"] = _text(body, "name", 200)
        defaults = {"ring_timeout_s": (20.0, 0.1, 600.0), "wrap_up_s": (30.0, 0.0, 3600.0)}
        for name, (default, low, high) in defaults.items():
            if name in body:
                out[name] = _number(body, name, low, high)
            elif not partial:
                out[name] = default
        if "max_wait_s" in body:
            out["max_wait_s"] = (
                None if body["max_wait_s"] is None else _number(body, "max_wait_s", 0.1, 86400)
            )
        elif not partial:
            out["max_wait_s"] = None
        if "overflow" in body or not partial:
            out.update(await self._overflow(tenant_id, queue_id, body.get("overflow")))
        return out

    async def _overflow(self, tenant_id: str, queue_id: str, raw: object) -> dict[str, Any]:
        if raw is None:
            return {"overflow_queue_id": None, "overflow_cause": None}
        if not isinstance(raw, dict) or raw.get("action") not in ("queue", "end"):
            raise Invalid(
                "overflow",
                'overflow is {"action": "queue", "queue_id"} or {"action": "end", "cause"}',
            )
        if raw["action"] == "end":
            cause = raw.get("cause", DEFAULT_OVERFLOW_CAUSE)
            if (
                set(raw) - {"action", "cause"}
                or not isinstance(cause, str)
                or not REASON.fullmatch(cause)
            ):
                raise Invalid("overflow", "overflow cause must be a short lower-case word")
            return {"overflow_queue_id": None, "overflow_cause": cause}
        target = raw.get("queue_id")
        if set(raw) - {"action", "queue_id"} or not isinstance(target, str) or target == queue_id:
            raise Invalid("overflow", "overflow queue_id must name another queue")
        async with self._db.read() as conn:
            if await store.get_row(conn, "queues", tenant_id, target) is None:
                raise Invalid("overflow", f"queue {target} not found")
        return {"overflow_queue_id": target, "overflow_cause": None}

    # -- numbers -------------------------------------------------------------------------

    async def create_number(self, tenant_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        _unknown(body, {"number", "queue_id", "published"})
        number = body.get("number")
        if not isinstance(number, str) or not E164.fullmatch(number):
            raise Invalid("number", "number must be E.164, e.g. +18005550100")
        values = await self._number_values(tenant_id, body, partial=False)
        now = self._clock.now()
        row = {
            "id": new_id("num", now),
            "tenant_id": tenant_id,
            "e164": number,
            "created_at": now,
            **values,
        }
        await self._insert("phone_numbers", row, "this number is already registered")
        await self._on_config_changed(tenant_id)
        return await self.get("phone_numbers", tenant_id, row["id"])

    async def update_number(
        self, tenant_id: str, number_id: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        await self.get("phone_numbers", tenant_id, number_id)
        _unknown(body, {"queue_id", "published"})
        values = await self._number_values(tenant_id, body, partial=True)
        await self._update("phone_numbers", tenant_id, number_id, values, "number conflict")
        await self._on_config_changed(tenant_id)
        return await self.get("phone_numbers", tenant_id, number_id)

    async def _number_values(
        self, tenant_id: str, body: Mapping[str, Any], *, partial: bool
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if not partial or "queue_id" in body:
            queue_id = body.get("queue_id")
            async with self._db.read() as conn:
                if not isinstance(queue_id, str) or not await store.get_row(
                    conn, "queues", tenant_id, queue_id
                ):
                    raise Invalid("queue_id", "queue_id must name one of your queues")
            out["queue_id"] = queue_id
        if "published" in body:
            if not isinstance(body["published"], bool):
                raise Invalid("published", "published must be a boolean")
            out["published"] = body["published"]
        elif not partial:
            out["published"] = False
        return out

    # -- shared --------------------------------------------------------------------------

    async def get(self, table: str, tenant_id: str, id: str) -> dict[str, Any]:
        async with self._db.read() as conn:
            row = await store.get_row(conn, table, tenant_id, id)
        if row is None:
            raise NotFound(table.rstrip("s").replace("phone_number", "number"))
        return _VIEWS[table](row)

    async def list(self, table: str, tenant_id: str) -> list[dict[str, Any]]:
        async with self._db.read() as conn:
            rows = await store.list_rows(conn, table, tenant_id)
        return [_VIEWS[table](row) for row in rows]

    async def delete(self, table: str, tenant_id: str, id: str) -> None:
        async with self._db.transaction() as tx:
            if table == "queues" and await store.queue_in_use(tx.conn, tenant_id, id):
                raise Conflict("queue_in_use", "a number or an overflow still uses this queue")
            if not await store.delete_row_txn(tx, table, tenant_id, id):
                raise NotFound(table.rstrip("s"))
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
        values["updated_at"] = self._clock.now()
        if table == "phone_numbers":
            values.pop("updated_at")
        try:
            async with self._db.transaction() as tx:
                await store.update_row_txn(tx, table, tenant_id, id, values)
        except IntegrityError as exc:
            raise Conflict("conflict", conflict) from exc

    # -- tenant settings -----------------------------------------------------------------

    async def settings(self, tenant_id: str) -> dict[str, Any]:
        async with self._db.read() as conn:
            return settings_view(await store.get_settings(conn, tenant_id))

    async def update_settings(self, tenant_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        _unknown(body, {"pause_reasons", "record_calls", "outbound_wrap_up_s"})
        current = await self.settings(tenant_id)
        if "pause_reasons" in body:
            reasons = body["pause_reasons"]
            if (
                not isinstance(reasons, list)
                or not 1 <= len(reasons) <= 20
                or not all(isinstance(r, str) and REASON.fullmatch(r) for r in reasons)
            ):
                raise Invalid("pause_reasons", "pause_reasons: 1-20 short lower-case reasons")
            current["pause_reasons"] = list(dict.fromkeys(reasons))
        if "record_calls" in body:
            if not isinstance(body["record_calls"], bool):
                raise Invalid("record_calls", "record_calls must be a boolean")
            current["record_calls"] = body["record_calls"]
        if "outbound_wrap_up_s" in body:
            current["outbound_wrap_up_s"] = _number(body, "outbound_wrap_up_s", 0, 3600)
        async with self._db.transaction() as tx:
            await store.upsert_settings_txn(
                tx,
                {
                    "tenant_id": tenant_id,
                    "pause_reasons": json.dumps(current["pause_reasons"]),
                    "record_calls": current["record_calls"],
                    "outbound_wrap_up_s": current["outbound_wrap_up_s"],
                    "updated_at": self._clock.now(),
                },
            )
        await self._on_config_changed(tenant_id)
        return current


_VIEWS = {"agents": agent_view, "queues": queue_view, "phone_numbers": number_view}
