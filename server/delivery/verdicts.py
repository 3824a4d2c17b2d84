"""The verdict on one scheduled attempt: pure, so every destination's retries are one rule.

Delivered when the outcome is ok; dead at once when it is a permanent failure; otherwise
the destination's ``RetrySchedule`` names the next attempt's time, or None to dead-letter.
"""

from __future__ import annotations

from collections.abc import Callable
from email.utils import parsedate_to_datetime

from .ports import Decision, Outcome, RetrySchedule, Verdict


def decide(
    outcome: Outcome,
    *,
    attempts: int,
    now: float,
    schedule: RetrySchedule,
    jitter: Callable[[], float],
) -> Decision:
    """The verdict on scheduled attempt number ``attempts`` (1-based) that came to ``outcome``.

    ``jitter`` is drawn only when the schedule is asked, so a seeded generator gives the
    same retries whatever succeeded in between.
    """
    if outcome.ok:
        return Decision(Verdict.DELIVERED, now)
    if outcome.permanent:
        return Decision(Verdict.DEAD, now)
    at = schedule(attempts=attempts, now=now, jitter=jitter(), retry_after_s=outcome.retry_after_s)
    if at is None:
        return Decision(Verdict.DEAD, now)
    return Decision(Verdict.RETRYING, at)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds from ``now`` named by a ``Retry-After`` header (delta-seconds or HTTP-date);
    None when there is none or it cannot be read (a date without its zone among them)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)
