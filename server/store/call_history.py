"""SQL for the call history: the filtered call log, one call's stored events, and the
Salesforce records a call touched.

Every read is tenant-scoped. The indexes these reads rely on (migration 0012):

- the log: ``ix_calls_tenant_created`` for a tenant's newest calls and a period; with a
  queue or an agent, ``ix_calls_tenant_queue_created`` / ``ix_calls_tenant_agent_created``
  (migration 0013). Direction and the common outcomes filter the rows one of those walks,
  newest first, until ``limit`` are found; the rare outcomes (calls still going, calls
  that ended unanswered) have partial indexes of their own (migration 0015), so a filter
  that matches few calls or none does not walk them all;
- a call's events: ``ix_events_tenant_created`` bounds them to the call's lifetime (the
  events table has no call column; ``data`` names the call), then ``data`` is matched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, literal_column, or_, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import call_logs, calls, events, salesforce_orgs, scrt2_calls

# Live transcript segments are many per call and the transcript shows them already.
_NOT_ON_TIMELINE = ("transcript.segment",)
MAX_CALL_EVENTS = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class CallFilter:
    """Which calls of a tenant: every field given must hold (times are Unix seconds)."""

    tenant_id: str
    limit: int
    since: float | None = None
    until: float | None = None
    queue_id: str | None = None
    agent_id: str | None = None
    direction: str | None = None
    outcome: str | None = None


def _literal(value: str) -> ColumnElement[str]:
    # Inline, not a bound parameter: a partial index is used only when the query's WHERE
    # names its predicate's constants (SQLite matches the terms as written; PostgreSQL's
    # generic plans cannot prove it from a parameter). Only this module's constants.
    return literal_column("'" + value.replace("'", "''") + "'")


def outcome_clause(outcome: str) -> ColumnElement[bool]:
    """The SQL form of ``server.telephony.history.outcome_of`` (the two must agree). The
    rare outcomes match the partial indexes of migration 0015: ``ix_calls_tenant_live``
    (``state != 'ended'``) and ``ix_calls_tenant_unanswered`` (``state = 'ended' AND
    answered_at IS NULL``, by direction)."""
    ended = calls.c.state == _literal("ended")
    unanswered = and_(ended, calls.c.answered_at.is_(None))
    inbound = calls.c.direction == _literal("inbound")
    abandoned = calls.c.hangup_cause == _literal("abandoned")
    not_abandoned = or_(
        calls.c.hangup_cause.is_(None), calls.c.hangup_cause != _literal("abandoned")
    )
    clauses: dict[str, ColumnElement[bool]] = {
        "in_progress": calls.c.state != _literal("ended"),
        "answered": and_(ended, calls.c.answered_at.is_not(None)),
        "abandoned": and_(unanswered, inbound, abandoned),
        "missed": and_(unanswered, inbound, not_abandoned),
        "unanswered": and_(unanswered, calls.c.direction == _literal("outbound")),
    }
    return clauses[outcome]


def list_calls_query(f: CallFilter) -> Select[Any]:
    """The statement of ``list_calls`` (tests read its plan)."""
    where: list[ColumnElement[bool]] = [calls.c.tenant_id == f.tenant_id]
    if f.since is not None:
        where.append(calls.c.created_at >= f.since)
    if f.until is not None:
        where.append(calls.c.created_at < f.until)
    if f.queue_id is not None:
        where.append(calls.c.queue_id == f.queue_id)
    if f.agent_id is not None:
        where.append(calls.c.agent_id == f.agent_id)
    if f.direction is not None:
        where.append(calls.c.direction == f.direction)
    if f.outcome is not None:
        where.append(outcome_clause(f.outcome))
    return select(calls).where(*where).order_by(calls.c.created_at.desc()).limit(f.limit)


async def list_calls(conn: AsyncConnection, f: CallFilter) -> Sequence[RowMapping]:
    """The tenant's calls that match ``f``, newest first, at most ``f.limit``."""
    rows: Sequence[RowMapping] = (await conn.execute(list_calls_query(f))).mappings().all()
    return rows


def _like_literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def call_events(
    conn: AsyncConnection, tenant_id: str, call_id: str, start: float, end: float | None
) -> Sequence[RowMapping]:
    """Events emitted in ``[start, end]`` whose ``data`` names ``call_id`` (as the outbox
    writes it, compact JSON), in emission order. The caller checks ``data["call_id"]``:
    the text match only narrows the rows read."""
    needle = f'%"call_id":"{_like_literal(call_id)}"%'
    where = [
        events.c.tenant_id == tenant_id,
        events.c.created_at >= start,
        events.c.type.not_in(_NOT_ON_TIMELINE),
        events.c.data.like(needle, escape="\\"),
    ]
    if end is not None:
        where.append(events.c.created_at <= end)
    query = (
        select(events.c.id, events.c.type, events.c.created_at, events.c.data)
        .where(*where)
        .order_by(events.c.seq)
        .limit(MAX_CALL_EVENTS)
    )
    return (await conn.execute(query)).mappings().all()


async def voice_calls(conn: AsyncConnection, tenant_id: str, call_id: str) -> Sequence[RowMapping]:
    """The call's VoiceCalls, one row per connected org that got it (``scrt2_calls``)."""
    query = (
        select(
            scrt2_calls.c.org_row_id,
            scrt2_calls.c.voice_call_id,
            scrt2_calls.c.previous_voice_call_id,
            salesforce_orgs.c.name.label("org_name"),
            salesforce_orgs.c.instance_url,
        )
        .join(salesforce_orgs, salesforce_orgs.c.id == scrt2_calls.c.org_row_id)
        .where(
            scrt2_calls.c.tenant_id == tenant_id,
            scrt2_calls.c.call_id == call_id,
            salesforce_orgs.c.tenant_id == tenant_id,
        )
        .order_by(scrt2_calls.c.org_row_id)
    )
    return (await conn.execute(query)).mappings().all()


async def call_task(conn: AsyncConnection, tenant_id: str, call_id: str) -> RowMapping | None:
    """The call's Salesforce Task once created (``call_logs.task_id``), with its org."""
    query = (
        select(
            call_logs.c.org_row_id,
            call_logs.c.task_id,
            salesforce_orgs.c.name.label("org_name"),
            salesforce_orgs.c.instance_url,
        )
        .join(salesforce_orgs, salesforce_orgs.c.id == call_logs.c.org_row_id)
        .where(
            call_logs.c.tenant_id == tenant_id,
            call_logs.c.call_id == call_id,
            call_logs.c.task_id.is_not(None),
            salesforce_orgs.c.tenant_id == tenant_id,
        )
    )
    return (await conn.execute(query)).mappings().first()
