"""What is said about a call before its Task is created, and the tenant's call logging.

::

    the screen pop found one record ── suggest(...) ─────────┐   (never over the agent's)
    the agent: call.log, a click-to-dial's record ── annotate ┼─> call_logs row (open/wrapping)
    the book rings an agent ── observe(CallRinging) ─> rung   │   (who owns a missed call)
    presence.set available / wrapup.end ── may_leave_wrap_up ─┘   (a disposition required?)

Only the agent the call is with (or, before an answer, the agent it rings; after the end,
its owner) may annotate it, and only until its Task is due. Who and what are validated as
record ids here; the org says whether they exist when the Task is created.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy.engine import RowMapping

from server.clock import Clock
from server.failures import Conflict, Invalid, NotFound
from server.schemas.call_logs import CallLog, CallLoggingSettings, CallLoggingUpdate
from server.schemas.screenpop import ScreenPopResult
from server.store import call_logs as store
from server.store.db import Database
from server.telephony.effects import CallEnded, CallRinging, Notice
from server.text import free_text

from .tasks import (
    MAX_NOTES,
    Annotations,
    LogSettings,
    Source,
    is_salesforce_id,
    merge,
    who_or_what,
)

logger = logging.getLogger(__name__)

RUNG_KINDS = frozenset({"inbound", "transfer"})  # a consultation rings for the first agent
SETTINGS_TTL_S = 30.0


def log_settings(row: RowMapping | None) -> LogSettings:
    if row is None:
        return LogSettings()
    return LogSettings(
        enabled=bool(row["enabled"]),
        dispositions=tuple(json.loads(row["dispositions"])),
        disposition_required=bool(row["disposition_required"]),
    )


def annotations_of(row: RowMapping | None) -> Annotations:
    if row is None:
        return Annotations()
    return Annotations(
        who_id=row["who_id"],
        who_source=row["who_source"],
        what_id=row["what_id"],
        what_source=row["what_source"],
        notes=row["notes"],
        disposition=row["disposition"],
    )


def log_view(row: Mapping[str, Any]) -> CallLog:
    return CallLog(
        call_id=row["call_id"],
        state=row["state"],
        reason=row["reason"],
        task_id=row["task_id"],
        org_id=row["org_row_id"],
        owner_agent_id=row["agent_id"],
        kind=row["kind"],
        who_id=row["who_id"],
        who_source=row["who_source"],
        what_id=row["what_id"],
        what_source=row["what_source"],
        disposition=row["disposition"],
        has_notes=bool(row["notes"]),
        attempts=row["attempts"],
    )


class CallLogs:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        on_record_opened: Callable[[str, str], Awaitable[None]] | None = None,
    ) -> None:
        """``on_record_opened(tenant_id, call_id)``: told when the agent opens a record during
        a call (``source="navigation"``): the screen pop forgets a caller it did not find."""
        self._db = db
        self._clock = clock
        self._on_record_opened = on_record_opened
        self._rung: dict[str, str] = {}  # live call id -> the last agent it rang
        self._settings: dict[str, tuple[float, LogSettings]] = {}

    # -- settings -----------------------------------------------------------------------

    async def log_settings(self, tenant_id: str) -> LogSettings:
        now = self._clock.now()
        kept = self._settings.get(tenant_id)
        if kept is not None and kept[0] > now:
            return kept[1]
        async with self._db.read() as conn:
            found = log_settings(await store.get_settings(conn, tenant_id))
        self._settings[tenant_id] = (now + SETTINGS_TTL_S, found)
        return found

    async def settings(self, tenant_id: str) -> CallLoggingSettings:
        found = await self.log_settings(tenant_id)
        return CallLoggingSettings(
            enabled=found.enabled,
            dispositions=list(found.dispositions),
            disposition_required=found.disposition_required,
        )

    async def update_settings(self, tenant_id: str, body: CallLoggingUpdate) -> CallLoggingSettings:
        current = await self.log_settings(tenant_id)
        changes = body.changes()
        enabled = changes.get("enabled", current.enabled)
        dispositions = changes.get("dispositions", list(current.dispositions))
        required = changes.get("disposition_required", current.disposition_required)
        async with self._db.transaction() as tx:
            await store.upsert_settings_txn(
                tx,
                {
                    "tenant_id": tenant_id,
                    "enabled": enabled,
                    "dispositions": json.dumps(dispositions),
                    "disposition_required": required,
                    "updated_at": self._clock.now(),
                },
            )
        self._settings.pop(tenant_id, None)
        logger.info("tenant %s: call logging settings changed", tenant_id)
        return await self.settings(tenant_id)

    async def for_agent(self, tenant_id: str, agent_id: str) -> dict[str, object]:
        """``session.ready``'s ``call_logging``: on only for an agent who is a Salesforce user."""
        found = await self.log_settings(tenant_id)
        async with self._db.read() as conn:
            users = await store.salesforce_users_of(conn, tenant_id, [agent_id])
        return {
            "enabled": found.enabled and agent_id in users,
            "dispositions": list(found.dispositions),
            "disposition_required": found.disposition_required,
        }

    # -- annotations --------------------------------------------------------------------

    async def annotate(
        self,
        tenant_id: str,
        agent_id: str,
        call_id: str,
        *,
        who_id: str | None = None,
        what_id: str | None = None,
        notes: str | None = None,
        disposition: str | None = None,
        source: Source = "chooser",
    ) -> CallLog:
        """The agent says who or what the call was about, its notes, its disposition.

        ``None`` leaves a field as it is, ``""`` clears it.

        Raises:
            NotFound: no such call in this tenant, or it is not this agent's.
            Invalid: a record id that is not one, notes too long, a disposition not in the
                tenant's list (``invalid_disposition``).
            Conflict: ``invalid_state``, the call's Task is due or logged already.
        """
        for field, value in (("who_id", who_id), ("what_id", what_id)):
            if value and not is_salesforce_id(value):
                raise Invalid(field, f"{field} must be a Salesforce id (15 or 18 characters)")
        if notes is not None and (len(notes) > MAX_NOTES or not free_text(notes)):
            raise Invalid("notes", f"notes are at most {MAX_NOTES} characters of text")
        if disposition:
            choices = (await self.log_settings(tenant_id)).dispositions
            if disposition not in choices:
                raise Invalid(
                    "disposition",
                    f"disposition must be one of {', '.join(choices)}",
                    "invalid_disposition",
                )
        async with self._db.read() as conn:
            call = await store.call_row(conn, tenant_id, call_id)
            row = await store.get_log(conn, tenant_id, call_id)
        if call is None or agent_id not in (
            call["agent_id"],
            row["agent_id"] if row is not None else None,
            self._rung.get(call_id) if call["agent_id"] is None else None,
        ):
            raise NotFound("call")
        written = await self._write(
            tenant_id,
            call_id,
            source,
            who_id=who_id,
            what_id=what_id,
            notes=notes,
            disposition=disposition,
        )
        if source == "navigation" and self._on_record_opened is not None:
            await self._on_record_opened(tenant_id, call_id)
        return written

    async def annotate_record(
        self, tenant_id: str, agent_id: str, call_id: str, record_id: str, object_type: str
    ) -> CallLog:
        """The record a click-to-dial came from: a Contact or Lead is the Task's WhoId,
        anything else its WhatId."""
        if who_or_what(record_id, object_type) == "who":
            return await self.annotate(
                tenant_id, agent_id, call_id, who_id=record_id, source="clicked"
            )
        return await self.annotate(
            tenant_id, agent_id, call_id, what_id=record_id, source="clicked"
        )

    async def suggest(
        self,
        tenant_id: str,
        call_id: str,
        who_id: str | None = None,
        what_id: str | None = None,
        source: Source = "pop",
    ) -> None:
        """A record the call is probably about (the screen pop found exactly one). What the
        agent chose always wins; a call whose Task is due already is left alone."""
        if any(v and not is_salesforce_id(v) for v in (who_id, what_id)):
            logger.info("%s: x suggestion for %s is not a record id", tenant_id, call_id)
            return
        try:
            await self._write(tenant_id, call_id, source, who_id=who_id, what_id=what_id)
        except (Conflict, NotFound):
            logger.debug("%s: suggestion for %s came too late", tenant_id, call_id)

    async def suggest_pop(self, tenant_id: str, call_id: str, result: ScreenPopResult) -> None:
        """``RingPops``' ``on_found``: the one record a pop found, as a suggestion."""
        pop = result.screen_pop
        if result.status != "found" or pop is None or pop.type != "sobject":
            return
        match = next((m for m in result.matches if m.id == pop.params.recordId), None)
        if match is None:
            return
        if match.type == "Contact":
            await self.suggest(tenant_id, call_id, who_id=match.id)
        else:  # an Account, or a Case (and, if it has one, its Contact)
            await self.suggest(tenant_id, call_id, who_id=match.contact_id, what_id=match.id)

    async def _write(
        self,
        tenant_id: str,
        call_id: str,
        source: Source,
        **sent: str | None,
    ) -> CallLog:
        now = self._clock.now()
        async with self._db.transaction() as tx:
            row = await store.lock_log_txn(tx, tenant_id, call_id, now)
            if row is None:
                raise NotFound("call")
            if row["state"] not in store.EDITABLE:
                raise Conflict("invalid_state", "this call's Task is logged already")
            merged = merge(annotations_of(row), source=source, **sent)
            values = {
                "who_id": merged.who_id,
                "who_source": merged.who_source,
                "what_id": merged.what_id,
                "what_source": merged.what_source,
                "notes": merged.notes,
                "disposition": merged.disposition,
                "updated_at": now,
            }
            await store.update_log_txn(tx, tenant_id, call_id, values)
        logger.debug("%s: call %s annotated (%s)", tenant_id, call_id, source)
        return log_view({**row, **values})

    async def get(self, tenant_id: str, call_id: str) -> CallLog:
        async with self._db.read() as conn:
            row = await store.get_log(conn, tenant_id, call_id)
        if row is None:
            raise NotFound("call log")
        return log_view(dict(row))

    # -- after-call work ----------------------------------------------------------------

    async def may_leave_wrap_up(self, tenant_id: str, agent_id: str) -> str | None:
        """None, or why the agent must stay in after-call work (a ``WrapUpGate``)."""
        found = await self.log_settings(tenant_id)
        if not (found.enabled and found.disposition_required):
            return None
        async with self._db.read() as conn:
            row = await store.undisposed_wrap_up(conn, tenant_id, agent_id)
        if row is None:
            return None
        return f"choose a disposition for call {row['call_id']} (call.log) first"

    # -- who was rung (a CallObserver) --------------------------------------------------

    def observe(self, tenant_id: str, notice: Notice) -> None:
        if isinstance(notice, CallRinging) and notice.kind in RUNG_KINDS:
            self._rung[notice.call_id] = notice.agent_id
        elif isinstance(notice, CallEnded):
            self._rung.pop(notice.call_id, None)

    def rung_agent(self, call_id: str) -> str | None:
        """The last agent a live call rang (kept in memory: calls do not outlive the process)."""
        return self._rung.get(call_id)
