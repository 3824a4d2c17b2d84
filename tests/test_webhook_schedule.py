"""The retry schedule as a pure function."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from server.webhooks import schedule


def test_six_retries_then_dead_letter() -> None:
    now = 1000.0
    expected = [5, 30, 120, 600, 3600, 21600]
    for attempt, delay in enumerate(expected, start=1):
        nxt = schedule.after_failure(attempts=attempt, now=now, jitter=0.0)
        assert nxt.at == now + delay
    assert schedule.after_failure(attempts=7, now=now, jitter=0.0).at is None


@pytest.mark.parametrize("jitter", [0.0, 0.25, 0.999])
def test_jitter_only_delays_and_by_at_most_three_percent(jitter: float) -> None:
    for attempt, delay in enumerate(schedule.RETRY_DELAYS_S, start=1):
        at = schedule.after_failure(attempts=attempt, now=0.0, jitter=jitter).at
        assert at is not None and delay <= at <= delay * 1.03


def test_retry_after_postpones_but_never_advances() -> None:
    later = schedule.after_failure(attempts=1, now=0.0, jitter=0.0, retry_after_s=90)
    assert later.at == 90
    sooner = schedule.after_failure(attempts=3, now=0.0, jitter=0.0, retry_after_s=1)
    assert sooner.at == 120
    capped = schedule.after_failure(attempts=1, now=0.0, jitter=0.0, retry_after_s=10**9)
    assert capped.at == schedule.MAX_RETRY_AFTER_S


def test_parse_retry_after_seconds_and_http_date() -> None:
    now = 1_800_000_000.0
    assert schedule.parse_retry_after("120", now) == 120
    date = format_datetime(datetime.fromtimestamp(now + 300, UTC), usegmt=True)
    assert schedule.parse_retry_after(date, now) == pytest.approx(300, abs=1)
    assert schedule.parse_retry_after("soon", now) is None
    assert schedule.parse_retry_after(None, now) is None
