"""API keys, stored events, the error shape, health and the JWKS."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, JsonValue, RootModel

from .base import Body, Label, Timestamp, View


class ErrorDetail(View):
    code: str = Field(description="Stable and machine-readable, e.g. invalid_url.")
    message: str = Field(description="For people; may change.")
    field: str | None = Field(
        default=None, description="The offending field, dotted for nested ones."
    )
    request_id: str | None = Field(default=None, description="Quote it to support.")


class Error(View):
    """Every 4xx and 5xx of the API has this shape."""

    error: ErrorDetail


class ApiKeyCreate(Body):
    name: Label = ""

    model_config = {"json_schema_extra": {"examples": [{"name": "CRM integration"}]}}


class ApiKey(View):
    id: str
    name: str
    created_at: Timestamp
    revoked_at: Timestamp | None = None


class NewApiKey(View):
    id: str
    name: str
    created_at: Timestamp
    key: str = Field(description="Shown once: send it as Authorization: Bearer <key>.")


class ApiKeyList(View):
    data: list[ApiKey]


class EventEnvelope(View):
    id: str
    type: str
    created_at: Timestamp
    tenant_id: str
    data: dict[str, JsonValue]


class EventCatalog(RootModel[dict[str, JsonValue]]):
    """The event catalog as JSON Schema (one schema per event type)."""


class Health(View):
    status: Literal["ok"]


class Jwk(View):
    kty: Literal["RSA"]
    n: str
    e: str
    kid: str
    alg: Literal["RS256"]
    use: Literal["sig"]


class Jwks(View):
    keys: list[Jwk]
