"""Call logging as the API shows it: a tenant's settings, and one call's Task.

Each call becomes one Salesforce Task at the end of its wrap-up (docs/salesforce.md, "Call
logging"); these are the knobs (on or off, the dispositions agents choose from, whether one
is required before the agent is Available again) and what became of a call's Task.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from .base import Patch, View, single_line_text

MAX_DISPOSITIONS = 50
_SOME_TEXT = (  # one line, not only blanks
    r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
)

Disposition = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=80),
    AfterValidator(single_line_text),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": 80,
            "pattern": _SOME_TEXT,
            "example": "Resolved",
        }
    ),
]
"""What the agent says came of a call: 1-80 characters, one line (Task.CallDisposition)."""


def _distinct(values: list[str]) -> list[str]:
    if len({v.casefold() for v in values}) != len(values):
        raise PydanticCustomError("invalid", "dispositions must differ (ignoring case)")
    return values


Dispositions = Annotated[
    list[Disposition],
    Field(min_length=1, max_length=MAX_DISPOSITIONS),
    AfterValidator(_distinct),
]

CallLogState = Literal["open", "wrapping", "due", "sent", "skipped", "failed"]
RecordSource = Literal["pop", "chooser", "clicked", "navigation"]


class CallLoggingSettings(View):
    enabled: bool = Field(description="Whether calls become Tasks (default true).")
    dispositions: list[str] = Field(description="What agents choose from, in this order.")
    disposition_required: bool = Field(
        description="An agent in after-call work must choose one before becoming Available "
        "(default false)."
    )


class CallLoggingUpdate(Patch):
    enabled: bool | None = None
    dispositions: Dispositions | None = None
    disposition_required: bool | None = None

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "dispositions": ["Resolved", "Callback", "Escalated"],
                    "disposition_required": True,
                }
            ]
        }
    }


class CallLog(View):
    """One call's Task: what it will say, and where it stands."""

    call_id: str
    state: CallLogState = Field(
        description="open: the call is live; wrapping: its agent is in after-call work; due: "
        "the Task is being created; sent; skipped: the call gets no Task (reason); failed: "
        "Salesforce refused it for good (reason)."
    )
    reason: str | None = None
    task_id: str | None = Field(default=None, description="The Task's Salesforce id, once sent.")
    org_id: str | None = Field(default=None, description="SIVO's id of the org it goes to.")
    owner_agent_id: str | None = None
    kind: Literal["answered", "missed", "unanswered"] | None = None
    who_id: str | None = None
    who_source: RecordSource | None = None
    what_id: str | None = None
    what_source: RecordSource | None = None
    disposition: str | None = None
    has_notes: bool
    attempts: int
