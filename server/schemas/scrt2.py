"""The SCRT2 request log of an org (``GET /api/v1/salesforce/orgs/{id}/scrt2/requests``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import Timestamp, View


class Scrt2Request(View):
    id: int
    call_id: str
    kind: Literal["create", "transfer", "leg_end", "end", "recording", "message"]
    method: Literal["POST", "PATCH"]
    state: Literal["due", "sent", "failed"]
    attempts: int
    status_code: int | None = Field(description="SCRT2's answer to the latest attempt.")
    latency_ms: float | None
    reason: str | None = Field(description="Why the latest attempt failed.")
    created_at: Timestamp
    sent_at: Timestamp | None


class Scrt2RequestList(View):
    data: list[Scrt2Request] = Field(description="The latest 100, newest first.")
