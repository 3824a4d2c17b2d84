"""The call reports as the API shows them: figures per time bucket, per queue and per agent.

Every figure is of inbound calls unless its name says otherwise (``outbound``), counted in
the bucket of the call's start (``created_at``), with the queue and the agent on its CDR (the
last ones). What each figure means is in :class:`CallFigures`.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from .base import Id, Query, TimeFilter, Timestamp, View

# The longest period each bucket may cover: 744 hourly points, 366 daily ones.
MAX_DAYS = {"hour": 31, "day": 366}
DEFAULT_SERVICE_LEVEL_THRESHOLD_S = 20.0
# The service level thresholds a tenant may choose (seconds): Amazon Connect's presets plus 5
# and 10. The rollup keeps one count per rung (answered within it), so a report reads any of
# them and changing the threshold writes nothing there (server/store/rollup.py).
SERVICE_LEVEL_THRESHOLDS_S = (5, 10, 15, 20, 25, 30, 45, 60, 90, 120, 180, 240, 300, 600)

_ZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9][A-Za-z0-9_+-]*){0,2}")


def _zone(value: str) -> str:
    if len(value) > 64 or not _ZONE.fullmatch(value):
        raise PydanticCustomError("invalid", "must be an IANA time zone, e.g. Europe/Paris")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise PydanticCustomError("invalid", "unknown time zone {zone}", {"zone": value}) from exc
    return value


TimeZoneName = Annotated[
    str,
    AfterValidator(_zone),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": 64,
            "pattern": r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9][A-Za-z0-9_+-]*){0,2}$",
            "example": "Europe/Paris",
        }
    ),
]
"""An IANA time zone name (``UTC``, ``Europe/Paris``) that this server knows."""


class CallReportQuery(Query):
    """The period, its buckets and the filters; both filters must hold."""

    since: TimeFilter = Field(description="Calls started at or after (RFC 3339).")
    until: TimeFilter = Field(
        description="Calls started before. At most 31 days after `since` for hourly buckets, "
        "366 for daily ones."
    )
    bucket: Literal["hour", "day"] = Field(default="hour", description="The chart's points.")
    tz: TimeZoneName = Field(
        default="UTC", description="Where days (and hours) begin: an IANA time zone."
    )
    queue_id: Id | None = Field(default=None, description="Only calls of this queue.")
    agent_id: Id | None = Field(default=None, description="Only calls this agent handled.")


class CallFigures(View):
    """What happened to the calls that started in a period.

    ``offered`` inbound calls, of which ``answered`` by an agent, ``abandoned`` (the caller
    hung up before an answer) and ``missed`` (ended by SIVO unanswered: no agent answered, no
    route, the queue's maximum wait); the rest (``offered`` less those three) are still
    waiting. ``service_level`` is the share of the answered, abandoned and missed calls that
    were answered within the tenant's threshold (``service_level_threshold_s``), null when
    there are none. ``avg_wait_s`` is the average time to answer (from joining the queue to
    the answer) of the answered calls; ``avg_handle_s`` the average time from answer to
    hang-up, hold included, of the answered calls that ended (after-call work is not counted:
    SIVO does not record how long each one lasted); ``avg_hold_s`` their average time on hold.
    ``outbound`` counts the calls agents placed.
    """

    offered: int
    answered: int
    abandoned: int
    missed: int
    answered_within_threshold: int
    service_level: float | None = Field(description="0 to 1; null without finished calls.")
    avg_wait_s: float | None = Field(description="Average time to answer; null if none.")
    avg_handle_s: float | None = Field(description="Answer to hang-up, hold included.")
    avg_hold_s: float | None
    outbound: int


class ReportBucket(CallFigures):
    start: Timestamp = Field(description="Where the bucket begins (its end: the next start).")


class QueueFigures(CallFigures):
    queue_id: str | None = Field(description="Null: calls that never joined a queue.")
    name: str | None = Field(description="Null once the queue has been deleted.")


class AgentFigures(CallFigures):
    agent_id: str
    name: str | None = Field(description="Null once the agent has been deleted.")


class CallReport(View):
    """Call figures over a period: in total, per bucket (every bucket, empty ones too), per
    queue and per agent (those with calls in the period), in the order of their figures."""

    since: Timestamp
    until: Timestamp
    bucket: Literal["hour", "day"]
    tz: str
    service_level_threshold_s: float = Field(description="The tenant's, when the report ran.")
    totals: CallFigures
    buckets: list[ReportBucket]
    queues: list[QueueFigures]
    agents: list[AgentFigures]
