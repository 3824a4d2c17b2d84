"""Fakes of the core's ports: a destination that is scripted and records what it was sent,
and a ledger in memory, so that the core (and a destination's policy) runs in milliseconds.

``FakeDestination`` answers each job with its scripted outcomes in turn (then delivered),
can park, remove or break a lane, and can hold attempts in flight until released;
``MemoryLedger`` keeps the work rows, the attempt log and how many batches were written.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Generic

from .ports import Attempted, Job, LaneState, Outcome, P, RetrySchedule, Verdict

_STATUS = {Verdict.DELIVERED: "delivered", Verdict.RETRYING: "pending", Verdict.DEAD: "dead"}


class FakeDestination(Generic[P]):
    def __init__(self) -> None:
        self.states: dict[str, LaneState | Exception] = {}  # not named here: open
        self.script: dict[str, list[Outcome | Exception]] = {}  # per job id, in turn
        self.sent: list[str] = []  # job ids, in the order attempts began
        self.inflight: dict[str, int] = {}
        self.max_inflight: dict[str, int] = {}
        self.gates: dict[str, asyncio.Event] = {}  # lane -> attempts wait until it is set
        self.state_gate: asyncio.Event | None = None  # lane_state() waits until it is set
        self.asked = 0  # lane_state() calls
        self._progress = asyncio.Event()

    def script_job(self, job_id: str, *outcomes: Outcome | Exception) -> None:
        self.script.setdefault(job_id, []).extend(outcomes)

    async def lane_state(self, lane: str) -> LaneState:
        self.asked += 1
        self._progress.set()
        if self.state_gate is not None:
            await self.state_gate.wait()
        state = self.states.get(lane, LaneState.OPEN)
        if isinstance(state, Exception):
            raise state
        return state

    async def attempt(self, job: Job[P]) -> Outcome:
        self.sent.append(job.id)
        self.inflight[job.lane] = self.inflight.get(job.lane, 0) + 1
        self.max_inflight[job.lane] = max(
            self.max_inflight.get(job.lane, 0), self.inflight[job.lane]
        )
        self._progress.set()
        try:
            gate = self.gates.get(job.lane)
            if gate is not None:
                await gate.wait()
            script = self.script.get(job.id)
            result = script.pop(0) if script else Outcome.delivered(200, 1.0)
            if isinstance(result, Exception):
                raise result
            return result
        finally:
            self.inflight[job.lane] -= 1

    async def until(self, predicate: Callable[[], bool], timeout: float = 2.0) -> None:
        """Wait until ``predicate()`` holds, checked whenever a lane's state is asked or an
        attempt begins."""
        while not predicate():
            self._progress.clear()
            await asyncio.wait_for(self._progress.wait(), timeout)


@dataclass(slots=True)
class Row(Generic[P]):
    lane: str
    payload: P
    due: float
    status: str = "pending"
    attempts: int = 0


class MemoryLedger(Generic[P]):
    def __init__(self) -> None:
        self.rows: dict[str, Row[P]] = {}  # in the order the work was created
        self.log: list[Attempted[P]] = []
        self.batches = 0

    def add(self, job: Job[P]) -> Job[P]:
        """What a sink does in the emitting transaction: write the job's row."""
        self.rows[job.id] = Row(job.lane, job.payload, job.due, attempts=job.attempts)
        return job

    def status(self, job_id: str) -> tuple[str, int]:
        row = self.rows[job_id]
        return row.status, row.attempts

    async def write(self, batch: Sequence[Attempted[P]]) -> None:
        self.batches += 1
        for record in batch:
            self.log.append(record)
            row = self.rows.get(record.job.id)
            if row is not None and record.decision is not None:
                row.status = _STATUS[record.decision.verdict]
                row.attempts = record.attempt
                row.due = record.decision.at

    async def pending(self, lane: str | None) -> AsyncIterator[Job[P]]:
        for job_id, row in list(self.rows.items()):
            if row.status == "pending" and lane in (None, row.lane):
                yield Job(job_id, row.lane, row.payload, row.due, row.attempts)


def fixed_backoff(*delays_s: float) -> RetrySchedule:
    """Retry after each of ``delays_s`` in turn (``Retry-After`` may postpone), then die."""

    def schedule(
        *, attempts: int, now: float, jitter: float, retry_after_s: float | None
    ) -> float | None:
        if attempts > len(delays_s):
            return None
        return now + max(delays_s[attempts - 1], retry_after_s or 0.0)

    return schedule
