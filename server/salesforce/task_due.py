"""When a call's Task is due, and when to try again (pure: no I/O).

::

    a committed batch: call.ended, agent.status_changed ... ──plan──> Ended | WrapUpOver
        Ended(wraps=False)  the Task is due now (missed, no wrap-up, owner not on it)
        Ended(wraps=True)   it waits for its owner's wrap-up (state ``wrapping``)
        WrapUpOver(agent)   the agent left after-call work: its waiting Tasks are due
    a failed attempt ──retry_at──> the next attempt's time, or a dead letter
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_ATTEMPTS", "Ended", "WrapUpOver", "plan", "retry_at"]


@dataclass(frozen=True, slots=True)
class Ended:
    """A call ended; ``wraps``: its owner went into after-call work with it, so its Task
    waits for that wrap-up to end (otherwise it is due now)."""

    tenant_id: str
    cdr: Mapping[str, Any]
    owner: str | None
    wraps: bool


@dataclass(frozen=True, slots=True)
class WrapUpOver:
    """An agent left after-call work: the Tasks waiting for it are due."""

    tenant_id: str
    agent_id: str


Owner = Callable[[str, Mapping[str, Any]], str | None]  # (tenant id, CDR) -> owner


def plan(
    events: Sequence[tuple[str, str, Mapping[str, Any]]], owner: Owner
) -> list[Ended | WrapUpOver]:
    """What a batch of committed events (tenant id, type, data), in order, means for Tasks.

    A call's end and its agents' status changes are one decision, hence one batch: an owner
    whose next change in the batch is ``on_call -> after_call_work`` wraps the call up.
    Leaving after-call work, to anything, ends the wrap-up (Available, a pause, logged out
    by the server after the grace period, or another call).
    """
    steps: list[Ended | WrapUpOver] = []
    for index, (tenant_id, type_, data) in enumerate(events):
        if type_ == "call.ended":
            who = owner(tenant_id, data)
            wraps = who is not None and _wraps(events[index + 1 :], tenant_id, who)
            steps.append(Ended(tenant_id, data, who, wraps))
        elif type_ == "agent.status_changed" and data.get("previous_status") == "after_call_work":
            steps.append(WrapUpOver(tenant_id, str(data["agent_id"])))
    return steps


def _wraps(rest: Sequence[tuple[str, str, Mapping[str, Any]]], tenant_id: str, agent: str) -> bool:
    for other, type_, data in rest:
        if other == tenant_id and type_ == "agent.status_changed" and data.get("agent_id") == agent:
            return data.get("status") == "after_call_work"
    return False


RETRY_DELAYS_S: tuple[float, ...] = (10, 30, 60, 300, 900, 3600)
MAX_ATTEMPTS = 30  # the last delay repeats: about a day of Salesforce down before a dead letter
MAX_RETRY_AFTER_S = 86400.0


def retry_at(
    *, attempts: int, now: float, jitter: float, retry_after_s: float | None
) -> float | None:
    """When to try a Task again after failed attempt ``attempts`` (the delivery core's
    ``RetrySchedule``): 10 s, 30 s, 1 min, 5 min, 15 min, then hourly, stretched by up to
    10 % of jitter; a later ``Retry-After`` wins (at most a day). None: dead-letter."""
    if attempts >= MAX_ATTEMPTS:
        return None
    delay = RETRY_DELAYS_S[min(attempts, len(RETRY_DELAYS_S)) - 1] * (1.0 + 0.1 * jitter)
    if retry_after_s is not None and retry_after_s > delay:
        delay = min(retry_after_s, MAX_RETRY_AFTER_S)
    return now + delay
