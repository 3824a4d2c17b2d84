"""Date and time formats used on Salesforce's wire.

The REST API renders dateTime fields as ``2026-05-20T10:23:45.000+0000`` (REST API
Developer Guide, "Valid Date and DateTime Formats"); SOQL dateTime literals are ISO 8601 with
``Z`` or an offset (SOQL and SOSL Reference, "Date Formats and Date Literals").
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["format_datetime", "from_epoch_ms", "parse_datetime", "to_epoch_ms"]


def format_datetime(moment: datetime) -> str:
    """Render ``moment`` in UTC the way the REST API renders dateTime fields."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def parse_datetime(text: str) -> datetime:
    """Parse an ISO 8601 date-time (``Z``, ``+0000`` or ``+00:00`` offsets).

    Raises:
        ValueError: if ``text`` is not an ISO 8601 date-time with a time zone.
    """
    normalized = text.strip()
    if normalized.endswith("Z"):
        normalized = normalized[:-1] + "+00:00"
    elif len(normalized) > 5 and normalized[-5] in "+-" and normalized[-4:].isdigit():
        normalized = normalized[:-2] + ":" + normalized[-2:]
    if "T" not in normalized:
        raise ValueError(f"not a date-time: {text!r}")
    parsed = datetime.fromisoformat(normalized)
    if parsed.tzinfo is None:
        raise ValueError(f"date-time without a time zone: {text!r}")
    return parsed.astimezone(UTC)


def to_epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_epoch_ms(millis: int) -> datetime:
    return datetime.fromtimestamp(millis / 1000, tz=UTC)
