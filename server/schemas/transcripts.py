"""A call's transcript as ``GET /api/v1/calls/{id}/transcript`` shows it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import View


class TranscriptSegment(View):
    segment_id: str = Field(description="The `segment_id` of its `transcript.segment` event.")
    speaker: Literal["caller", "agent"]
    agent_id: str | None = Field(description="The agent who said it (agent segments).")
    text: str
    start_seconds: float = Field(description="Since the call was created.")
    end_seconds: float
    confidence: float = Field(ge=0, le=1, description="The engine's, from 0 to 1.")


class Transcript(View):
    call_id: str
    transcript_id: str | None = Field(description="Null when the call was not transcribed.")
    state: Literal["none", "live", "completed"] = Field(
        description="`none`: not transcribed (transcription was off). `live`: the call is "
        "being transcribed, segments arrive as they are said. `completed`: the whole "
        "transcript, as `transcript.completed` gave it."
    )
    language: str | None
    segments: list[TranscriptSegment] = Field(description="In the order they were said.")
