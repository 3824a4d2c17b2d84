"""SQL for the call reports: sums over a tenant's calls in a period, grouped in SQL.

Two statements: by hour, and by queue and agent together (few pairs: an agent answers its
own queues), which the service adds up into per-queue and per-agent figures, one pass over
the calls fewer than grouping by each. Each returns, per group, the counts and sums that
:mod:`server.telephony.reports` turns into rates and averages, so that groups
can be added up exactly (hours into days, buckets into totals). Dialect-neutral: conditional
sums are ``CASE`` expressions, and the one function SQLite and PostgreSQL spell differently
(the floor of the hour index) is compiled per dialect.

Indexes: ``ix_calls_tenant_created`` for a period, ``ix_calls_tenant_queue_created`` and
``ix_calls_tenant_agent_created`` (migration 0013) for a period of one queue or one agent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, Integer, Select, and_, case, func, literal, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from .tables import agents, calls, queues

Group = Literal["hour", "queue_agent"]
HOUR_S = 3600.0


class hour_index(FunctionElement[int]):  # noqa: N801 (a SQL function's name)
    """``floor((created_at - origin) / 3600)`` as an integer, for offsets that are never
    negative (the period starts at or after ``origin``)."""

    type = Integer()
    inherit_cache = True
    name = "hour_index"


@compiles(hour_index)
def _hour_index(element: hour_index, compiler: SQLCompiler, **kw: Any) -> str:
    # PostgreSQL's CAST of a double rounds to the nearest integer; FLOOR first.
    return f"CAST(FLOOR({compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(hour_index, "sqlite")
def _hour_index_sqlite(element: hour_index, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite's CAST truncates toward zero, the floor of a non-negative number; its FLOOR()
    # exists only when the library was built with the math functions.
    return f"CAST({compiler.process(element.clauses, **kw)} AS INTEGER)"


@dataclass(frozen=True, slots=True)
class ReportFilter:
    """Which calls: a tenant's, started in ``[since, until)``, of a queue or an agent."""

    tenant_id: str
    since: float
    until: float
    queue_id: str | None = None
    agent_id: str | None = None


def _count(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _sum(condition: ColumnElement[bool], value: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, value), else_=0.0)), 0.0)


def _figures(threshold_s: float) -> list[ColumnElement[Any]]:
    """The sums of one group, labelled as :mod:`server.telephony.reports` reads them."""
    c = calls.c
    inbound = c.direction == "inbound"
    answered = and_(inbound, c.answered_at.is_not(None))
    wait = c.answered_at - func.coalesce(c.queued_at, c.created_at)
    abandoned = and_(inbound, c.hangup_cause == "abandoned")
    missed = and_(
        inbound,
        c.state == "ended",
        c.answered_at.is_(None),
        func.coalesce(c.hangup_cause, "") != "abandoned",
    )
    handled = and_(answered, c.talk_s.is_not(None))
    return [
        _count(inbound).label("offered"),
        _count(answered).label("answered"),
        _count(abandoned).label("abandoned"),
        _count(missed).label("missed"),
        _count(and_(answered, wait <= literal(threshold_s))).label("within"),
        _sum(answered, wait).label("wait_sum"),
        _count(handled).label("handled"),
        _sum(handled, c.talk_s).label("handle_sum"),
        _sum(handled, func.coalesce(c.hold_s, 0.0)).label("hold_sum"),
        _count(c.direction == "outbound").label("outbound"),
    ]


def sums_statement(
    where: ReportFilter, *, group: Group, threshold_s: float, origin: float = 0.0
) -> Select[Any]:
    """The sums per group: per hour (``key``, the hour index counted from ``origin``, at or
    before ``where.since``), or per queue and agent (``queue_id``, ``agent_id``; null: no
    queue, no agent). Groups without calls have no row."""
    c = calls.c
    keys: list[ColumnElement[Any]]
    if group == "hour":
        keys = [hour_index((c.created_at - literal(origin)) / literal(HOUR_S)).label("key")]
    else:
        keys = [c.queue_id.label("queue_id"), c.agent_id.label("agent_id")]
    conditions = [
        c.tenant_id == where.tenant_id,
        c.created_at >= where.since,
        c.created_at < where.until,
    ]
    if where.queue_id is not None:
        conditions.append(c.queue_id == where.queue_id)
    if where.agent_id is not None:
        conditions.append(c.agent_id == where.agent_id)
    return select(*keys, *_figures(threshold_s)).where(*conditions).group_by(*keys)


async def call_sums(
    conn: AsyncConnection,
    where: ReportFilter,
    *,
    group: Group,
    threshold_s: float,
    origin: float = 0.0,
) -> Sequence[RowMapping]:
    """The rows of :func:`sums_statement`."""
    statement = sums_statement(where, group=group, threshold_s=threshold_s, origin=origin)
    rows: Sequence[RowMapping] = (await conn.execute(statement)).mappings().all()
    return rows


async def names(
    conn: AsyncConnection, table: Literal["queues", "agents"], tenant_id: str
) -> dict[str, str]:
    """The tenant's queues' or agents' names by id."""
    t = queues if table == "queues" else agents
    result = await conn.execute(select(t.c.id, t.c.name).where(t.c.tenant_id == tenant_id))
    return {row.id: row.name for row in result}
