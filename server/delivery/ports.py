"""What a destination plugs into the delivery core: its values and its Protocols.

A destination (webhooks, Salesforce Tasks, SCRT2) supplies three things to
:class:`~server.delivery.core.DeliveryCore`:

- a :class:`Destination`: the state of a lane (open, parked, gone) and how to send one job;
- a :class:`Ledger`: how outcomes and attempts are written in batches, and which work is
  still owed after a restart (each destination keeps its own tables);
- a :class:`RetrySchedule`: a pure function deciding when to retry, or to dead-letter.

and chooses, per job, the key of the lane it runs in, and, per destination, a
:class:`LanePolicy` (how many attempts a lane runs at once, and whether it keeps order).
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

P = TypeVar("P")


@dataclass(slots=True, eq=False)
class Job(Generic[P]):
    """One unit of durable work: a row of the destination's table, held in memory.

    ``id`` is the row's id (unique across the destination), ``lane`` the key of the lane it
    runs in (an endpoint id, an org id, an org and call id...), ``payload`` whatever the
    destination needs to send it. ``due`` is when the next attempt may be made (now, for
    new work) and ``attempts`` counts the scheduled attempts made so far; the core updates
    both.
    """

    id: str
    lane: str
    payload: P
    due: float
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt came to.

    ``retry_after_s`` is how long the other side asked to be left alone (seconds from now,
    already parsed from its ``Retry-After``); a ``permanent`` failure is dead-lettered at
    once, whatever the schedule says (a 400 that no retry can fix).
    """

    ok: bool
    status_code: int | None = None
    latency_ms: float = 0.0
    error: str | None = None
    retry_after_s: float | None = None
    permanent: bool = False

    @classmethod
    def delivered(cls, status_code: int | None = None, latency_ms: float = 0.0) -> Outcome:
        return cls(True, status_code, latency_ms)

    @classmethod
    def failed(
        cls,
        error: str,
        *,
        status_code: int | None = None,
        latency_ms: float = 0.0,
        retry_after_s: float | None = None,
        permanent: bool = False,
    ) -> Outcome:
        return cls(False, status_code, latency_ms, error, retry_after_s, permanent)


class LaneState(enum.Enum):
    OPEN = "open"  # attempts may be made
    PARKED = "parked"  # held in memory, in order, until ``DeliveryCore.resume(lane)``
    GONE = "gone"  # the lane's target no longer exists: its jobs are dropped


@dataclass(frozen=True, slots=True)
class LanePolicy:
    """How a destination's lanes run.

    ``concurrency``: attempts in flight at once per lane. ``ordered``: a lane delivers its
    jobs strictly one after the other; a job that fails holds back every later job of its
    lane until it is delivered or dead-lettered (SCRT2: a call's create before its updates).
    An ordered lane runs one attempt at a time.
    """

    concurrency: int
    ordered: bool = False

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError("a lane needs a concurrency of at least 1")
        if self.ordered and self.concurrency != 1:
            raise ValueError("an ordered lane runs one attempt at a time")


ORDERED = LanePolicy(concurrency=1, ordered=True)


class Verdict(enum.Enum):
    """What becomes of a job after a scheduled attempt (also the metrics' outcome label)."""

    DELIVERED = "delivered"
    RETRYING = "retrying"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class Decision:
    """The verdict on an attempt; ``at`` is the next attempt's time when retrying, else now."""

    verdict: Verdict
    at: float


@dataclass(frozen=True, slots=True)
class Attempted(Generic[P]):
    """One attempt, as the writer hands it to the ledger.

    ``attempt`` is its 1-based number; ``decision`` is None for an attempt made outside the
    schedule (a tester), which is logged but changes no work row.
    """

    job: Job[P]
    attempt: int
    outcome: Outcome
    at: float
    decision: Decision | None


class Destination(Protocol[P]):
    async def lane_state(self, lane: str) -> LaneState:
        """Asked before every attempt; cheap (cached), since it is asked that often."""
        ...

    async def attempt(self, job: Job[P]) -> Outcome:
        """Send one job once. Failures are outcomes; an exception counts as a failure."""
        ...


class Ledger(Protocol[P]):
    async def write(self, batch: Sequence[Attempted[P]]) -> None:
        """Persist a batch of attempts and the work rows they change, in one transaction.

        A batch that raises is written again later, whole: the writes must be idempotent
        or all-or-nothing.
        """
        ...

    def pending(self, lane: str | None) -> AsyncIterator[Job[P]]:
        """The work still owed (every lane, or one), with ``attempts`` and ``due`` set.

        Jobs of one lane come in the order they must be delivered in, for ordered lanes.
        """
        ...


class RetrySchedule(Protocol):
    def __call__(
        self, *, attempts: int, now: float, jitter: float, retry_after_s: float | None
    ) -> float | None:
        """When to make the next attempt after failed attempt ``attempts`` (1-based), or
        None to dead-letter. Pure: ``jitter`` in [0, 1) is drawn by the core."""
        ...
