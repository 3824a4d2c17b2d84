"""Timestamps as SIVO shows them: RFC 3339 in UTC with milliseconds (pure)."""

from __future__ import annotations

from datetime import UTC, datetime


def rfc3339(ts: float) -> str:
    """``1800000000.5`` -> ``"2027-01-15T08:00:00.500Z"``."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
