"""Webhook endpoints, their delivery logs, the tester and the dead-letter queue."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, JsonValue, WithJsonSchema
from pydantic_core import PydanticCustomError

from server.events.catalog import EVENT_TYPES
from server.text import single_line

from .base import Body, Description, Id, Patch, Query, TimeFilter, Timestamp, View

MAX_URL_LENGTH = 2048


def _url(raw: str) -> str:
    """The shape of a receiver URL; whether its address may be reached is the service's call."""
    url = raw.strip()
    if not url:
        raise PydanticCustomError("invalid_url", "url is required")
    if not single_line(url) or any(c.isspace() for c in url):
        raise PydanticCustomError(
            "invalid_url", "url must not contain spaces or control characters"
        )
    if len(url) > MAX_URL_LENGTH:
        raise PydanticCustomError("invalid_url", f"url is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port
    except ValueError as exc:
        raise PydanticCustomError(
            "invalid_url", "url is malformed: {why}", {"why": str(exc)}
        ) from exc
    if parts.scheme != "https":
        raise PydanticCustomError("invalid_url", "url must use https:// (plain HTTP is refused)")
    if not host:
        raise PydanticCustomError("invalid_url", "url has no host")
    if parts.username or parts.password:
        raise PydanticCustomError("invalid_url", "url must not embed credentials")
    if parts.fragment:
        raise PydanticCustomError("invalid_url", "url must not have a #fragment")
    return url


ReceiverUrl = Annotated[
    str,
    AfterValidator(_url),
    WithJsonSchema(
        {
            "type": "string",
            "description": (
                "https:// with a host; no credentials, no #fragment, no spaces. The host must "
                "resolve to an address the deployment allows (public ones by default)."
            ),
            "maxLength": MAX_URL_LENGTH,
            "pattern": r"^https://[^\s/?#@]+([/?][^\s#]*)?$",
            "example": "https://hooks.example.com/sivo",
        }
    ),
]


def _event_types(raw: list[str]) -> list[str]:
    if not raw:
        raise PydanticCustomError("invalid", 'events must list event types, or be ["*"]')
    if "*" in raw:
        if len(raw) != 1:
            raise PydanticCustomError("invalid", '"*" subscribes to everything and stands alone')
        return ["*"]
    unknown = sorted(set(raw) - EVENT_TYPES)
    if unknown:
        raise PydanticCustomError(
            "unknown_event_type", "unknown event type(s): {types}", {"types": ", ".join(unknown)}
        )
    return sorted(set(raw))


def _event_schema(schema: dict[str, Any]) -> None:
    schema["items"] = {"type": "string", "enum": ["*", *sorted(EVENT_TYPES)]}


EventTypes = Annotated[
    list[str],
    Field(min_length=1, max_length=len(EVENT_TYPES) + 1, json_schema_extra=_event_schema),
    AfterValidator(_event_types),
]


def _event_type(raw: str) -> str:
    if raw not in EVENT_TYPES:
        raise PydanticCustomError("unknown_event_type", "type must be one of the catalog's types")
    return raw


EventType = Annotated[
    str,
    AfterValidator(_event_type),
    WithJsonSchema({"type": "string", "enum": sorted(EVENT_TYPES)}),
]


class EndpointCreate(Body):
    url: ReceiverUrl
    events: EventTypes = Field(description='Event types to receive, or ["*"] for all.')
    description: Description = ""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "url": "https://hooks.example.com/sivo",
                    "events": ["call.created", "call.ended"],
                    "description": "CRM sync",
                }
            ]
        }
    }


class EndpointUpdate(Patch):
    url: ReceiverUrl | None = None
    events: EventTypes | None = None
    description: Description | None = None
    enabled: bool | None = Field(
        default=None, description="true again resumes delivery of what waited meanwhile."
    )

    model_config = {"json_schema_extra": {"examples": [{"enabled": False}]}}


class Endpoint(View):
    id: str
    url: str
    events: list[str]
    description: str
    enabled: bool
    created_at: Timestamp
    updated_at: Timestamp
    previous_secret_expires_at: Timestamp | None = Field(
        default=None, description="After a rotation, the old secret still signs until then."
    )


class EndpointWithSecret(Endpoint):
    secret: str = Field(description="Shown once (on create and rotation): keep it.")


class EndpointList(View):
    data: list[Endpoint]


class WebhookTestRequest(Body):
    type: EventType = Field(description="Sends the catalog's example of this event type.")

    model_config = {"json_schema_extra": {"examples": [{"type": "call.created"}]}}


class WebhookTestResult(View):
    event_id: str
    type: str
    success: bool
    status_code: int | None
    latency_ms: float
    error: str | None


class DeliveryAttempt(View):
    event_id: str
    event_type: str
    delivery_id: str
    attempt: int
    status_code: int | None
    latency_ms: float
    error: str | None
    at: Timestamp


class DeliveryAttemptList(View):
    data: list[DeliveryAttempt]


class DeadLetterSelection(Body):
    """Which dead letters: all of the tenant's, or those of one endpoint, dead in a period."""

    endpoint_id: Id | None = None
    since: TimeFilter | None = None
    until: TimeFilter | None = None

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"endpoint_id": "we_01HZX3K4Q2V9N8M7B6C5D4E3F2", "since": "2026-12-01T00:00:00Z"}
            ]
        }
    }


class DeadLetterQuery(Query):
    endpoint_id: Id | None = None
    since: TimeFilter | None = None
    until: TimeFilter | None = None
    limit: int = Field(default=100, ge=1, le=1000)


class DeadLetterExportQuery(DeadLetterQuery):
    limit: int = Field(default=10000, ge=1, le=10000)


class DeadLetter(View):
    id: str
    endpoint_id: str
    event_id: str
    event_type: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: Timestamp
    dead_at: Timestamp
    event: dict[str, JsonValue] | None = Field(
        default=None, description="The body that was sent (in the export only)."
    )


class DeadLetterList(View):
    data: list[DeadLetter]


class RetryResult(View):
    retried: int
    ids: list[str] = Field(description="The deliveries put back in the queue.")
