"""Agents, queues, numbers, telephony settings, agent tokens: what the API accepts and shows.

Create bodies name every field a new row needs (with its default); update bodies are
``Patch``es, where a field left out is left alone and ``null`` means "none" only where the
field is nullable (``max_wait_s``, ``overflow``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from server.telephony.routing import DEFAULT_OVERFLOW_CAUSE

from .base import Body, E164Number, Email, Extension, Id, Name, Patch, Reason, Timestamp, View
from .reports import SERVICE_LEVEL_THRESHOLDS_S

MAX_QUEUES_PER_AGENT = 100
AgentStatus = Literal["logged_out", "available", "on_call", "on_break", "after_call_work"]


QueueIds = Annotated[list[Id], Field(max_length=MAX_QUEUES_PER_AGENT)]


class AgentCreate(Body):
    name: Name
    email: Email
    extension: Extension
    queue_ids: QueueIds = Field(default_factory=list, description="The queues it answers.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "name": "Ada Lovelace",
                    "email": "ada@example.com",
                    "extension": "101",
                    "queue_ids": ["q_01HZX3K4Q2V9N8M7B6C5D4E3F2"],
                }
            ]
        }
    }


class AgentUpdate(Patch):
    name: Name | None = None
    email: Email | None = None
    extension: Extension | None = None
    queue_ids: QueueIds | None = None

    model_config = {"json_schema_extra": {"examples": [{"queue_ids": []}]}}


class AgentConfig(View):
    """An agent as configured (what the store holds)."""

    id: str
    name: str
    email: str
    extension: str
    queue_ids: list[str]
    created_at: Timestamp
    updated_at: Timestamp


class Agent(AgentConfig):
    """An agent as configured, with its live presence."""

    status: AgentStatus = Field(description="Live: an agent never connected is logged_out.")
    reason: str | None = Field(description="The pause reason, while paused.")
    connected: bool = Field(description="A softphone is signed in as this agent now.")


class AgentList(View):
    data: list[Agent]


class OverflowToQueue(Body):
    action: Literal["queue"]
    queue_id: Id = Field(description="Another queue of yours; callers move there.")


class OverflowEnd(Body):
    action: Literal["end"]
    cause: Reason = Field(
        default=DEFAULT_OVERFLOW_CAUSE, description="The hangup cause the call ends with."
    )


Overflow = Annotated[OverflowToQueue | OverflowEnd, Field(discriminator="action")]
RingTimeout = Annotated[float, Field(ge=0.1, le=600)]
MaxWait = Annotated[float, Field(ge=0.1, le=86400)]
WrapUp = Annotated[float, Field(ge=0, le=3600)]
_THRESHOLDS_TEXT = ", ".join(map(str, SERVICE_LEVEL_THRESHOLDS_S[:-1]))
_THRESHOLDS_TEXT += f" or {SERVICE_LEVEL_THRESHOLDS_S[-1]}"


def _on_the_ladder(value: float) -> float:
    # Only the rungs: the rollup counts the calls answered within each of them, and no other.
    if value not in SERVICE_LEVEL_THRESHOLDS_S:
        raise PydanticCustomError("invalid", f"must be one of {_THRESHOLDS_TEXT} seconds")
    return value


ServiceLevelThreshold = Annotated[
    float,
    AfterValidator(_on_the_ladder),
    WithJsonSchema({"type": "number", "enum": list(SERVICE_LEVEL_THRESHOLDS_S)}),
]


class QueueCreate(Body):
    name: Name
    ring_timeout_s: RingTimeout = Field(
        default=20.0, description="How long one agent rings before the next is tried."
    )
    max_wait_s: MaxWait | None = Field(
        default=None, description="A caller waits at most this long; then `overflow` applies."
    )
    overflow: Overflow | None = Field(
        default=None, description="What happens after `max_wait_s` (default: end the call)."
    )
    wrap_up_s: WrapUp = Field(default=30.0, description="After-call work before the next ring.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "name": "Support",
                    "ring_timeout_s": 20,
                    "max_wait_s": 300,
                    "overflow": {"action": "end", "cause": "max_wait_exceeded"},
                    "wrap_up_s": 30,
                }
            ]
        }
    }


class QueueUpdate(Patch):
    NULLABLE = frozenset({"max_wait_s", "overflow"})

    name: Name | None = None
    ring_timeout_s: RingTimeout | None = None
    max_wait_s: MaxWait | None = None
    overflow: Overflow | None = None
    wrap_up_s: WrapUp | None = None

    model_config = {"json_schema_extra": {"examples": [{"wrap_up_s": 15}]}}


class Queue(View):
    id: str
    name: str
    ring_timeout_s: float
    max_wait_s: float | None
    overflow: OverflowToQueue | OverflowEnd | None
    wrap_up_s: float
    created_at: Timestamp
    updated_at: Timestamp


class QueueList(View):
    data: list[Queue]


class NumberCreate(Body):
    number: E164Number
    queue_id: Id = Field(description="The queue its calls go to.")
    published: bool = Field(default=False, description="Callable from the web caller page.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "number": "+18005550100",
                    "queue_id": "q_01HZX3K4Q2V9N8M7B6C5D4E3F2",
                    "published": True,
                }
            ]
        }
    }


class NumberUpdate(Patch):
    queue_id: Id | None = None
    published: bool | None = None

    model_config = {"json_schema_extra": {"examples": [{"published": False}]}}


class Number(View):
    id: str
    number: str
    queue_id: str
    published: bool
    created_at: Timestamp


class NumberList(View):
    data: list[Number]


PauseReasons = Annotated[list[Reason], Field(min_length=1, max_length=20)]


class SettingsUpdate(Patch):
    pause_reasons: PauseReasons | None = None
    record_calls: bool | None = None
    outbound_wrap_up_s: WrapUp | None = None
    transcribe_calls: bool | None = Field(
        default=None,
        description="Transcribe both parties of every call live (default false): "
        "`transcript.segment` per utterance, `transcript.completed` at the end.",
    )
    service_level_threshold_s: ServiceLevelThreshold | None = Field(
        default=None,
        description="Seconds within which a queued call must be answered to count as in "
        "service, on the wallboard and in the reports (default 20): one of "
        f"{_THRESHOLDS_TEXT}.",
    )

    model_config = {
        "json_schema_extra": {
            "examples": [{"pause_reasons": ["break", "lunch", "training"], "record_calls": True}]
        }
    }


class TelephonySettings(View):
    pause_reasons: list[str]
    record_calls: bool
    outbound_wrap_up_s: float
    transcribe_calls: bool
    service_level_threshold_s: float


class TokenRequest(Body):
    ttl_s: int = Field(default=3600, ge=1, le=3600, description="Lifetime in seconds.")

    model_config = {"json_schema_extra": {"examples": [{"ttl_s": 3600}]}}


class AgentToken(View):
    token: str = Field(description="Give it to the softphone in the URL fragment: #token=…")
    kid: str
    agent_id: str
    expires_at: Timestamp
