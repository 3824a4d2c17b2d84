"""SQL for the call reports: sums over a tenant's calls in a period, grouped in SQL.

Two statements: by hour, and by queue and agent together (few pairs: an agent answers its
own queues), which the service adds up into per-queue and per-agent figures, one pass over
the calls fewer than grouping by each. Each returns, per group, the counts and sums that
:mod:`server.telephony.reports` turns into rates and averages, so that groups
can be added up exactly (hours into days, buckets into totals). Dialect-neutral: conditional
sums are ``CASE`` expressions, and the one function SQLite and PostgreSQL spell differently
(the floor of the hour index) is compiled per dialect.

Whole hours come from ``call_rollup`` (migrations 0016 and 0017, kept by
:mod:`server.store.rollup`) when the caller says which: the ended calls of those hours already
summed, so a statement reads the rollup's rows for them and ``calls`` only for the rest (the
partial hours at the period's edges, and the calls of the whole hours still going), in one
``UNION ALL`` (one snapshot, so a call ending meanwhile counts once); the caller adds the rows
of a key up. The rollup counts the calls answered within each rung of the threshold ladder
(``within_5`` ... ``within_600``); a report's ``within`` is the column of its threshold.

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

from server.schemas.reports import SERVICE_LEVEL_THRESHOLDS_S

from .tables import agents, call_rollup, calls, queues, within_column

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
# The rollup's figures: FIGURES with ``within`` once per rung (``within_<s>``: wait <= s).
ROLLUP_FIGURES = tuple(column.name for column in call_rollup.c if not column.primary_key)
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


def figures(threshold_s: float) -> list[ColumnElement[Any]]:
    """The sums of one group of ``calls``, labelled as :mod:`server.telephony.reports` reads
    them (in :data:`FIGURES`' order)."""
    return _figures({"within": literal(threshold_s)})


def rollup_figures() -> list[ColumnElement[Any]]:
    """The same sums as the rollup keeps them (in :data:`ROLLUP_FIGURES`' order): ``within``
    counted at every rung, each a constant (not a bound value: the rollup's statements bind
    thousands of ids already)."""
    return _figures({within_column(s): literal_column(str(s)) for s in SERVICE_LEVEL_THRESHOLDS_S})


def _figures(within: dict[str, ColumnElement[Any]]) -> list[ColumnElement[Any]]:
    """The one definition of what each figure counts, with ``within`` (answered with a wait
    of at most the threshold) once per label of ``within``."""
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
        *(_count(and_(answered, wait <= at_most)).label(name) for name, at_most in within.items()),
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
    ``agent`` (for its agent only). A threshold off the ladder has no column there (only a
    hand-edited settings row could hold one): the calls alone then, slower but the same."""
    if whole is None or threshold_s not in SERVICE_LEVEL_THRESHOLDS_S:
        return _calls_sums(where, group, threshold_s, origin, (where.since, where.until))
    first, end = whole[0] * HOUR_S, whole[1] * HOUR_S
    parts = [_calls_sums(where, group, threshold_s, origin, (first, end), live_only=True)]
    if where.since < first:
        parts.append(_calls_sums(where, group, threshold_s, origin, (where.since, first)))
    if end < where.until:
        parts.append(_calls_sums(where, group, threshold_s, origin, (end, where.until)))
    parts.extend(_rollup_sums(where, group, threshold_s, origin, whole))
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
    where: ReportFilter, group: Group, threshold_s: float, origin: float, whole: tuple[int, int]
) -> list[Select[Any]]:
    """The sums of the ended calls of the whole hours, from ``call_rollup``: per hour, the
    rows of the filter's (queue or ``*``, agent or ``*``); per queue, the rows of each queue
    with the filter's agent or ``*`` (``kind`` ``queue``), and per agent likewise (``agent``);
    ``within`` from the column of the threshold (a rung of the ladder)."""
    r = call_rollup.c
    queue, agent = where.queue_id or ALL, where.agent_id or ALL
    hours = [r.tenant_id == where.tenant_id, r.hour >= whole[0], r.hour < whole[1]]
    column = {"within": within_column(threshold_s)}
    sums = [func.sum(r[column.get(name, name)]).label(name) for name in FIGURES]
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
