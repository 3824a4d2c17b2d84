"""Call reports: a tenant's call figures over a period, per hour or day, queue and agent.

::

    CallReportQuery ──> CallReports.report ── range rules (Invalid: 422), whole hours
                              │ one read: the threshold, the names, two GROUP BYs
                              ▼ server/store/reports.py (sums per hour; per queue and agent:
                              │   whole hours' ended calls from the rollup, the rest from calls)
                        sums ──> Sums.add (hours into local days, buckets into totals,
                              │           pairs into queues and into agents)
                              ▼
                        CallReport (rates and averages)

SQL groups by the hour, counted from ``origin``: the start of the local hour (in the asked
time zone) in which the period begins. Hourly buckets are those hours; daily buckets add up
the hours whose start falls on each local date, so a day in a time zone is exact whenever its
offset changes by whole hours (every zone but Lord Howe Island's half-hour summer time).
Every figure is a sum, so adding hours up loses nothing; rates and averages are computed last.
The same holds for the rollup (``server/store/rollup.py``): the ended calls of each whole UTC
hour of the period are read already summed, the partial hours at its edges and the calls
still going from ``calls``, and their rows add up into the same buckets.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server.failures import Invalid
from server.schemas.reports import (
    DEFAULT_SERVICE_LEVEL_THRESHOLD_S,
    MAX_DAYS,
    AgentFigures,
    CallFigures,
    CallReport,
    CallReportQuery,
    QueueFigures,
    ReportBucket,
)
from server.store import reports as store
from server.store.calls import tenant_settings
from server.store.db import Database
from server.store.telephony import get_settings
from server.times import rfc3339

HOUR_S = 3600
# Beyond these years a bucket's local date cannot always be computed; nobody reports there.
EARLIEST = datetime(2000, 1, 1, tzinfo=ZoneInfo("UTC"))
LATEST = datetime(2100, 1, 1, tzinfo=ZoneInfo("UTC"))


@dataclass(slots=True)
class Sums:
    """The counts and sums of one group, as the store returns them; they add up exactly."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    missed: int = 0
    within: int = 0
    wait_sum: float = 0.0
    handled: int = 0
    handle_sum: float = 0.0
    hold_sum: float = 0.0
    outbound: int = 0

    # Spelled out, not looped over fields(): a year's daily report adds up 8,784 hours.
    def add_row(self, row: Mapping[Any, Any]) -> None:
        """Add one row of the store's sums (its columns are named as these fields)."""
        self.offered += row["offered"]
        self.answered += row["answered"]
        self.abandoned += row["abandoned"]
        self.missed += row["missed"]
        self.within += row["within"]
        self.wait_sum += row["wait_sum"]
        self.handled += row["handled"]
        self.handle_sum += row["handle_sum"]
        self.hold_sum += row["hold_sum"]
        self.outbound += row["outbound"]

    def add(self, other: Sums) -> None:
        self.offered += other.offered
        self.answered += other.answered
        self.abandoned += other.abandoned
        self.missed += other.missed
        self.within += other.within
        self.wait_sum += other.wait_sum
        self.handled += other.handled
        self.handle_sum += other.handle_sum
        self.hold_sum += other.hold_sum
        self.outbound += other.outbound

    def figures(self) -> dict[str, Any]:
        """The :class:`CallFigures` fields: rates and averages, null where nothing counts."""
        finished = self.answered + self.abandoned + self.missed
        return {
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "missed": self.missed,
            "answered_within_threshold": self.within,
            "service_level": round(self.within / finished, 4) if finished else None,
            "avg_wait_s": _avg(self.wait_sum, self.answered),
            "avg_handle_s": _avg(self.handle_sum, self.handled),
            "avg_hold_s": _avg(self.hold_sum, self.handled),
            "outbound": self.outbound,
        }


def _avg(total: float, count: int) -> float | None:
    return round(total / count, 3) if count else None


@dataclass(frozen=True, slots=True)
class Period:
    """The asked period, checked, with the hour grid SQL groups by."""

    since: float
    until: float
    zone: ZoneInfo
    origin: float  # the start of the local hour containing ``since``

    @classmethod
    def of(cls, query: CallReportQuery) -> Period:
        if query.until <= query.since:
            raise Invalid("until", "until must be after since")
        if query.since < EARLIEST or query.until > LATEST:
            raise Invalid("since", "the period must lie between the years 2000 and 2100")
        longest = MAX_DAYS[query.bucket]
        if query.until - query.since > timedelta(days=longest):
            days = (query.until - query.since) / timedelta(days=1)
            longer = "; choose daily buckets for a longer period" if query.bucket == "hour" else ""
            raise Invalid(
                "until",
                f"the period is {days:.4g} days long: at most {longest} days "
                f"with {query.bucket}ly buckets{longer}",
                code="period_too_long",
            )
        zone = ZoneInfo(query.tz)
        since = query.since.timestamp()
        offset = query.since.astimezone(zone).utcoffset() or timedelta()
        into_hour = (since + offset.total_seconds()) % HOUR_S
        return cls(since, query.until.timestamp(), zone, since - into_hour)

    def whole_hours(self) -> tuple[int, int] | None:
        """The UTC hours ``[first, end)`` (``floor(t / 3600)``) wholly inside the period,
        which the rollup sums; None when there is none, or when the grid is not on UTC hours
        (a zone half or a quarter of an hour off UTC: a rollup hour would straddle two
        buckets), and the period is summed from the calls alone."""
        if self.origin % HOUR_S:
            return None
        first, end = math.ceil(self.since / HOUR_S), math.floor(self.until / HOUR_S)
        first += first * HOUR_S < self.since  # a quotient rounded the wrong way
        end -= end * HOUR_S > self.until
        return (first, end) if first < end else None

    def hours(self) -> list[float]:
        """The start of every hour of the grid that overlaps the period."""
        count = int((self.until - self.origin + HOUR_S - 1) // HOUR_S)
        return [self.origin + i * HOUR_S for i in range(count)]

    def days(self) -> list[float]:
        first = datetime.fromtimestamp(self.since, self.zone).date()
        last = datetime.fromtimestamp(self.until - 0.001, self.zone).date()
        return [self._midnight(first + timedelta(days=n)) for n in range((last - first).days + 1)]

    def _midnight(self, day: date) -> float:
        return datetime.combine(day, time(0), tzinfo=self.zone).timestamp()


def bucket_sums(
    period: Period, bucket: str, hour_rows: Iterable[Mapping[Any, Any]]
) -> dict[float, Sums]:
    """Every bucket's start with its sums (empty buckets too), from the sums per hour index."""
    starts = period.hours() if bucket == "hour" else period.days()
    out = {start: Sums() for start in starts}
    for row in hour_rows:
        hour = period.origin + int(row["key"]) * HOUR_S
        if bucket == "hour":
            start = hour
        else:  # the last local midnight at or before the hour (midnights are on the grid)
            start = starts[max(0, bisect.bisect_right(starts, hour) - 1)]
        out.setdefault(start, Sums()).add_row(row)
    return out


def breakdown(
    rows: Iterable[Mapping[Any, Any]],
) -> tuple[dict[str | None, Sums], dict[str, Sums]]:
    """The sums per queue and per agent, from the store's rows per queue and agent: a
    ``pair`` (from the calls) counts for its queue and its agent, a ``queue`` or ``agent``
    row (from the rollup) for that one only."""
    by_queue: dict[str | None, Sums] = {}
    by_agent: dict[str, Sums] = {}
    for row in rows:
        if row["kind"] != "agent":
            by_queue.setdefault(row["queue_id"], Sums()).add_row(row)
        if row["kind"] != "queue" and row["agent_id"] is not None:
            by_agent.setdefault(row["agent_id"], Sums()).add_row(row)
    return by_queue, by_agent


class CallReports:
    """The service behind ``GET /api/v1/reports/calls``."""

    def __init__(self, *, db: Database) -> None:
        self._db = db

    async def report(self, tenant_id: str, query: CallReportQuery) -> CallReport:
        """The tenant's call figures over the period.

        Raises:
            Invalid: ``until`` is not after ``since``, or the period is longer than its
                bucket allows (31 days hourly, 366 daily), or outside 2000-2100.
        """
        period = Period.of(query)
        where = store.ReportFilter(
            tenant_id=tenant_id,
            since=period.since,
            until=period.until,
            queue_id=query.queue_id,
            agent_id=query.agent_id,
        )
        async with self._db.read() as conn:
            settings = await get_settings(conn, tenant_id)
            threshold = (
                tenant_settings(settings).service_level_threshold_s
                if settings is not None
                else DEFAULT_SERVICE_LEVEL_THRESHOLD_S
            )
            whole = period.whole_hours()
            hours = await store.call_sums(
                conn, where, group="hour", threshold_s=threshold, origin=period.origin, whole=whole
            )
            pairs = await store.call_sums(
                conn, where, group="queue_agent", threshold_s=threshold, whole=whole
            )
            queue_names = await store.names(conn, "queues", tenant_id)
            agent_names = await store.names(conn, "agents", tenant_id)
        buckets = bucket_sums(period, query.bucket, hours)
        totals = Sums()
        for one in buckets.values():
            totals.add(one)
        by_queue, by_agent = breakdown(pairs)
        queues = [
            QueueFigures(queue_id=q, name=queue_names.get(q or ""), **one.figures())
            for q, one in by_queue.items()
        ]
        agents = [
            AgentFigures(agent_id=a, name=agent_names.get(a), **one.figures())
            for a, one in by_agent.items()
        ]
        queues.sort(key=lambda q: (-q.offered, q.name or "", q.queue_id or ""))
        agents.sort(key=lambda a: (-a.answered, -a.outbound, a.name or "", a.agent_id))
        return CallReport(
            since=rfc3339(period.since),
            until=rfc3339(period.until),
            bucket=query.bucket,
            tz=query.tz,
            service_level_threshold_s=threshold,
            totals=CallFigures(**totals.figures()),
            buckets=[
                ReportBucket(start=rfc3339(start), **one.figures())
                for start, one in sorted(buckets.items())
            ],
            queues=queues,
            agents=agents,
        )
