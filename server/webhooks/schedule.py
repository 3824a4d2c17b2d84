"""The retry schedule, as a pure function of the attempt number and the response.

Attempt 1 is immediate. Retries 1-6 follow 5 s, 30 s, 2 min, 10 min, 1 h, 6 h after the
failed attempt, each stretched by a jitter of 0-3 % (added only, so a retry never comes
early). ``Retry-After`` (on 429 or 503) may postpone a retry, up to one day, never advance it.
After the sixth retry fails, the delivery is dead-lettered.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.delivery.verdicts import parse_retry_after

RETRY_DELAYS_S: tuple[float, ...] = (5, 30, 120, 600, 3600, 21600)
MAX_JITTER = 0.03
MAX_RETRY_AFTER_S = 86400.0

__all__ = ["MAX_JITTER", "RETRY_DELAYS_S", "Next", "after_failure", "parse_retry_after", "retry_at"]


@dataclass(frozen=True)
class Next:
    """What to do after a failed attempt: retry at ``at``, or dead-letter (``at`` is None)."""

    at: float | None


def after_failure(
    *, attempts: int, now: float, jitter: float, retry_after_s: float | None = None
) -> Next:
    """Decide the next step after failed attempt number ``attempts`` (1-based).

    ``jitter`` is a number in [0, 1) drawn by the caller, so this stays deterministic.
    """
    if attempts > len(RETRY_DELAYS_S):
        return Next(at=None)
    delay = RETRY_DELAYS_S[attempts - 1] * (1.0 + MAX_JITTER * jitter)
    if retry_after_s is not None and retry_after_s > delay:
        delay = min(retry_after_s, MAX_RETRY_AFTER_S)
    return Next(at=now + delay)


def retry_at(
    *, attempts: int, now: float, jitter: float, retry_after_s: float | None
) -> float | None:
    """``after_failure`` in the delivery core's ``RetrySchedule`` shape."""
    return after_failure(attempts=attempts, now=now, jitter=jitter, retry_after_s=retry_after_s).at
