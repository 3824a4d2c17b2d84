"""SQL for the call reports: sums over a tenant's calls in a period, grouped in SQL.

Two statements: by hour, and by queue and agent together (few pairs: an agent answers its
own queues), which the service adds up into per-queue and per-agent figures, one pass over
the calls fewer than grouping by each. Each returns, per group, the counts and sums that
:mod:`server.telephony.reports` turns into rates and averages, so that groups
can be added up exactly (hours into days, buckets into totals). Dialect-neutral: conditional
sums are ``CASE`` expressions, and the one function SQLite and PostgreSQL spell differently
(the floor of the hour index) is compiled per dialect.

Whole hours come from ``call_rollup`` (migration 0016, kept by :mod:`server.store.rollup`)
when the caller says which: the ended calls of those hours already summed, so a statement
reads the rollup's rows for them and ``calls`` only for the rest (the partial hours at the
period's edges, and the calls of the whole hours still going), in one ``UNION ALL`` (one
snapshot, so a call ending meanwhile counts once); the caller adds the rows of a key up.

Indexes: ``ix_calls_tenant_created`` for a period, ``ix_calls_tenant_queue_created`` and
``ix_calls_tenant_agent_created`` (migration 0013) for a period of one queue or one agent,
``ix_calls_tenant_live`` (0015) for the calls still going; the rollup's primary key and its
two indexes by queue and by agent (0016).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    and_,
    case,
    func,
    literal,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from .tables import agents, call_rollup, calls, queues

Group = Literal["hour", "queue_agent"]
HOUR_S = 3600.0
# The figures of one group, in the order the statements return them (the rollup's columns).
FIGURES = (
    "offered",
    "answered",
    "abandoned",
    "missed",
    "within",
    "wait_sum",
    "handled",
    "handle_sum",
    "hold_sum",
    "outbound",
)
ALL = "*"  # the rollup's queue or agent that stands for all of them (server/store/rollup.py)
# Inline, not bound: the planner matches it to ix_calls_tenant_live's predicate.
_ENDED: ColumnElement[str] = literal_column("'ended'")


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


def figures(threshold_s: float | ColumnElement[Any]) -> list[ColumnElement[Any]]:
    """The sums of one group of ``calls``, labelled as :mod:`server.telephony.reports` reads
    them (in :data:`FIGURES`' order): the one definition of what each figure counts, which
    the rollup's contributions use too (with each tenant's threshold as a column)."""
    c = calls.c
    threshold = literal(threshold_s) if isinstance(threshold_s, float | int) else threshold_s
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
        _count(and_(answered, wait <= threshold)).label("within"),
        _sum(answered, wait).label("wait_sum"),
        _count(handled).label("handled"),
        _sum(handled, c.talk_s).label("handle_sum"),
        _sum(handled, func.coalesce(c.hold_s, 0.0)).label("hold_sum"),
        _count(c.direction == "outbound").label("outbound"),
    ]


def sums_statement(
    where: ReportFilter,
    *,
    group: Group,
    threshold_s: float,
    origin: float = 0.0,
    whole: tuple[int, int] | None = None,
) -> Select[Any] | CompoundSelect[Any]:
    """The sums per group: per hour (``key``, the hour index counted from ``origin``, at or
    before ``where.since``), or per queue and agent (``queue_id``, ``agent_id``; null: no
    queue, no agent; ``kind`` ``pair``: the row counts for its queue and for its agent).
    Groups without calls have no row.

    ``whole``: the UTC hours ``[first, end)`` (``floor(t / 3600)``) to read from the rollup,
    inside the period and on ``origin``'s grid; a key may then have several rows, and the
    rollup's rows per queue and agent are of ``kind`` ``queue`` (for its queue only) or
    ``agent`` (for its agent only)."""
    if whole is None:
        return _calls_sums(where, group, threshold_s, origin, (where.since, where.until))
    first, end = whole[0] * HOUR_S, whole[1] * HOUR_S
    parts = [_calls_sums(where, group, threshold_s, origin, (first, end), live_only=True)]
    if where.since < first:
        parts.append(_calls_sums(where, group, threshold_s, origin, (where.since, first)))
    if end < where.until:
        parts.append(_calls_sums(where, group, threshold_s, origin, (end, where.until)))
    parts.extend(_rollup_sums(where, group, origin, whole))
    return union_all(*parts)


def _calls_sums(
    where: ReportFilter,
    group: Group,
    threshold_s: float,
    origin: float,
    started: tuple[float, float],
    *,
    live_only: bool = False,
) -> Select[Any]:
    """The sums of the calls started in ``[started[0], started[1])`` (those not ended yet
    only, with ``live_only``), from ``calls``."""
    c = calls.c
    keys: list[ColumnElement[Any]]
    if group == "hour":
        keys = [hour_index((c.created_at - literal(origin)) / literal(HOUR_S)).label("key")]
    else:  # a pair counts for its queue and for its agent
        keys = [c.queue_id.label("queue_id"), c.agent_id.label("agent_id")]
    kind: list[ColumnElement[Any]] = []
    if group == "queue_agent":
        kind.append(literal_column("'pair'").label("kind"))
    conditions = [
        c.tenant_id == where.tenant_id,
        c.created_at >= started[0],
        c.created_at < started[1],
    ]
    if live_only:
        conditions.append(c.state != _ENDED)
    if where.queue_id is not None:
        conditions.append(c.queue_id == where.queue_id)
    if where.agent_id is not None:
        conditions.append(c.agent_id == where.agent_id)
    statement = select(*kind, *keys, *figures(threshold_s)).where(*conditions)
    return statement.group_by(*keys)


def _rollup_sums(
    where: ReportFilter, group: Group, origin: float, whole: tuple[int, int]
) -> list[Select[Any]]:
    """The sums of the ended calls of the whole hours, from ``call_rollup``: per hour, the
    rows of the filter's (queue or ``*``, agent or ``*``); per queue, the rows of each queue
    with the filter's agent or ``*`` (``kind`` ``queue``), and per agent likewise (``agent``)."""
    r = call_rollup.c
    queue, agent = where.queue_id or ALL, where.agent_id or ALL
    hours = [r.tenant_id == where.tenant_id, r.hour >= whole[0], r.hour < whole[1]]
    sums = [func.sum(r[name]).label(name) for name in FIGURES]
    if group == "hour":
        key = (r.hour - literal(int(origin // HOUR_S))).label("key")
        by_hour = select(key, *sums).where(*hours, r.queue_id == queue, r.agent_id == agent)
        return [by_hour.group_by(key)]
    # A group whose calls all moved elsewhere (a CDR saved again) is zeros: no group at all.
    kept = func.sum(r.offered) + func.sum(r.outbound) > 0
    queues = [r.agent_id == agent, r.queue_id != ALL]
    agents = [r.queue_id == queue, r.agent_id != ALL]
    if where.queue_id is not None:
        queues.append(r.queue_id == where.queue_id)
    if where.agent_id is not None:
        agents.append(r.agent_id == where.agent_id)
    return [
        select(
            literal_column("'queue'").label("kind"),
            func.nullif(r.queue_id, "").label("queue_id"),  # '': no queue, null as in calls
            null().label("agent_id"),
            *sums,
        )
        .where(*hours, *queues)
        .group_by(r.queue_id)
        .having(kept),
        select(
            literal_column("'agent'").label("kind"),
            null().label("queue_id"),
            func.nullif(r.agent_id, "").label("agent_id"),
            *sums,
        )
        .where(*hours, *agents)
        .group_by(r.agent_id)
        .having(kept),
    ]


async def call_sums(
    conn: AsyncConnection,
    where: ReportFilter,
    *,
    group: Group,
    threshold_s: float,
    origin: float = 0.0,
    whole: tuple[int, int] | None = None,
) -> Sequence[RowMapping]:
    """The rows of :func:`sums_statement`."""
    statement = sums_statement(
        where, group=group, threshold_s=threshold_s, origin=origin, whole=whole
    )
    rows: Sequence[RowMapping] = (await conn.execute(statement)).mappings().all()
    return rows


async def names(
    conn: AsyncConnection, table: Literal["queues", "agents"], tenant_id: str
) -> dict[str, str]:
    """The tenant's queues' or agents' names by id."""
    t = queues if table == "queues" else agents
    result = await conn.execute(select(t.c.id, t.c.name).where(t.c.tenant_id == tenant_id))
    return {row.id: row.name for row in result}
