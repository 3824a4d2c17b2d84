"""The call log and recordings as the API shows them."""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from .base import Id, Query, TimeFilter, Timestamp, View

MAX_CALLS = 500

Direction = Literal["inbound", "outbound"]

Outcome = Literal["in_progress", "answered", "abandoned", "missed", "unanswered"]
"""How a call went, from its CDR; each call has exactly one:

- ``in_progress``: not ended yet;
- ``answered``: an agent answered (``answered_at`` is set);
- ``abandoned``: inbound, the caller hung up before an agent answered
  (``hangup_cause`` ``abandoned``);
- ``missed``: inbound, never answered and not abandoned (no agent answered in time, the
  queue's max wait, no route, a shutdown);
- ``unanswered``: outbound, the callee never answered (no answer, declined, busy, no route).
"""

OUTCOME_HELP = (
    "How the call went (one per call): `in_progress` (not ended), `answered` (an agent "
    "answered), `abandoned` (inbound, the caller hung up before an answer), `missed` "
    "(inbound, ended unanswered otherwise: ring or wait timeouts, no route), `unanswered` "
    "(outbound, the callee never answered)."
)


class CallListQuery(Query):
    """Filters of the call log; all of them must hold. Times are of the call's start."""

    limit: int = Field(default=100, ge=1, le=MAX_CALLS, description="Newest first.")
    since: TimeFilter | None = Field(default=None, description="Calls started at or after.")
    until: TimeFilter | None = Field(default=None, description="Calls started before.")
    queue_id: Id | None = Field(default=None, description="The queue on the CDR (the last one).")
    agent_id: Id | None = Field(
        default=None, description="The agent on the CDR (who last handled the call)."
    )
    direction: Direction | None = None
    outcome: Outcome | None = Field(default=None, description=OUTCOME_HELP)

    model_config = {
        "json_schema_extra": {
            "examples": [{"since": "2026-12-01T00:00:00Z", "outcome": "abandoned"}]
        }
    }

    @model_validator(mode="after")
    def _period(self) -> Self:
        if self.since is not None and self.until is not None and self.until <= self.since:
            raise PydanticCustomError("invalid", "until must be after since")
        return self


class CallTransfer(View):
    type: Literal["blind", "attended", "3way"]
    from_agent_id: str | None
    to_type: Literal["agent", "queue"]
    to_id: str
    at: Timestamp


class Call(View):
    """A call (its CDR once ended). ``id`` is the ``call_id`` of its webhook events."""

    id: str
    direction: Literal["inbound", "outbound"]
    from_number: str = Field(
        serialization_alias="from", description="E.164 number, or the caller's label."
    )
    to: str
    queue_id: str | None
    agent_id: str | None
    state: Literal["queued", "ringing", "connected", "ended"]
    created_at: Timestamp
    queued_at: Timestamp | None
    answered_at: Timestamp | None
    ended_at: Timestamp | None
    wait_seconds: float | None
    talk_seconds: float | None
    hold_seconds: float | None
    hangup_cause: str | None
    hangup_side: str | None
    transfers: list[CallTransfer]
    recording_id: str | None
    outcome: Outcome = Field(description=OUTCOME_HELP)


class CallList(View):
    data: list[Call]


class CallEvent(View):
    """One stored event of a call, as its webhook carried it (``data`` as in the catalog)."""

    id: str
    type: str
    created_at: Timestamp
    data: dict[str, Any]


class CallEventList(View):
    """The call's events in the order they were emitted (live transcript segments left out:
    the transcript has them)."""

    data: list[CallEvent]


SalesforceObject = Literal["VoiceCall", "Task"]


class SalesforceRecord(View):
    """A Salesforce record the call touched, with its link in the org's Lightning UI."""

    object: SalesforceObject
    id: str
    org_id: str = Field(description="The connected org (`GET /api/v1/salesforce/orgs/{id}`).")
    org_name: str
    url: str
    note: str | None = Field(default=None, description="e.g. the leg before a transfer.")


class SalesforceRecordList(View):
    data: list[SalesforceRecord]


class Recording(View):
    """A recording; ``url`` (a signed link to the WAV, valid until ``expires_at``) once ready."""

    id: str
    call_id: str
    status: Literal["recording", "ready"]
    duration_seconds: float | None
    channels: int = Field(description="2: the caller on the left, the agent on the right.")
    url: str | None = None
    expires_at: Timestamp | None = None


class RecordingDownloadQuery(Query):
    expires: str = Field(description="From the signed URL.")
    sig: str = Field(description="From the signed URL.")
