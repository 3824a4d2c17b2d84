"""What every REST resource module shares: the request context, the result, error bodies.

Errors follow the REST API Developer Guide, "Status Codes and Error Responses":
``[{"message", "errorCode", "fields"}]``. sObject Collections report per-record errors as
``{"statusCode", "message", "fields"}`` instead (:func:`collection_error`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .query_cursors import QueryCursors
from .store import OrgData, Store

__all__ = [
    "RestContext",
    "RestResult",
    "api_major",
    "collection_error",
    "error_body",
    "field_paths",
    "int_param",
    "method_not_allowed",
    "not_found",
]


@dataclass
class RestContext:
    """One REST request: the org and user of its token, its API version and headers."""

    store: Store
    org: OrgData
    user_id: str
    version: str  # "68.0"
    now: datetime
    headers: Mapping[str, str] = field(default_factory=dict)
    cursors: QueryCursors | None = None  # query locators; None disables paging
    api_usage: tuple[int, int] = (0, 0)  # (used, max) of DailyApiRequests, for /limits


@dataclass
class RestResult:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def api_major(version: str) -> int:
    """68 for "68.0"."""
    return int(version.partition(".")[0])


def error_body(message: str, code: str, fields: list[str] | None = None) -> list[dict[str, Any]]:
    """The REST error list: ``[{"message", "errorCode", "fields"}]``."""
    return [{"message": message, "errorCode": code, "fields": fields or []}]


def collection_error(error: Mapping[str, Any]) -> dict[str, Any]:
    """A REST error item as sObject Collections and SaveResult spell it (``statusCode``)."""
    return {
        "statusCode": error.get("errorCode") or error.get("statusCode"),
        "message": error.get("message", ""),
        "fields": list(error.get("fields") or []),
    }


def not_found() -> RestResult:
    return RestResult(404, error_body("The requested resource does not exist", "NOT_FOUND"))


def method_not_allowed(method: str, allowed: str) -> RestResult:
    return RestResult(
        405,
        error_body(
            f"HTTP Method '{method}' not allowed. Allowed are {allowed}", "METHOD_NOT_ALLOWED"
        ),
    )


def field_paths(text: str | None) -> tuple[tuple[str, ...], ...]:
    """``"Name,Account.Name"`` as ``(("Name",), ("Account", "Name"))``."""
    if not text:
        return ()
    return tuple(tuple(name.strip().split(".")) for name in text.split(",") if name.strip())


def int_param(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None
