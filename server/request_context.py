"""The id of the HTTP request being served, bound to the task serving it (``server.logs``
sets it; error responses and JSON log lines quote it)."""

from __future__ import annotations

from contextvars import ContextVar

REQUEST_ID: ContextVar[str | None] = ContextVar("sivo_request_id", default=None)
