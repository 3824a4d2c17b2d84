"""The call log and recordings as the API shows them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import Query, Timestamp, View

MAX_CALLS = 500


class CallListQuery(Query):
    limit: int = Field(default=100, ge=1, le=MAX_CALLS, description="Newest first.")


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


class CallList(View):
    data: list[Call]


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
