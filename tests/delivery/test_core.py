"""The delivery core with a fake destination and ledger, on a FakeClock: order in ordered
lanes, isolation between lanes, park and resume, dead letters, restart, Retry-After."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import random
from collections.abc import AsyncIterator

import pytest

import server.delivery as delivery
from server.clock import FakeClock
from server.delivery import (
    ORDERED,
    DeliveryCore,
    Job,
    LanePolicy,
    LaneState,
    Outcome,
    RetrySchedule,
    Verdict,
    decide,
)
from server.delivery.core import LANE_STATE_RETRY_S
from server.delivery.fakes import FakeDestination, MemoryLedger, fixed_backoff

CALL_1 = "org-1:call-1"
CALL_2 = "org-1:call-2"
CALL_3 = "org-1:call-3"
FAIL = Outcome.failed("HTTP 503", status_code=503)


class World:
    """A core wired to fakes; ``job`` writes a work row and returns its job, as a sink does."""

    def __init__(
        self,
        *,
        lanes: LanePolicy = ORDERED,
        schedule: RetrySchedule | None = None,
        ledger: MemoryLedger[str] | None = None,
        clock: FakeClock | None = None,
        resubmits: bool = False,
    ) -> None:
        self.clock = clock or FakeClock()
        self.dest: FakeDestination[str] = FakeDestination()
        self.ledger: MemoryLedger[str] = ledger or MemoryLedger()
        self.verdicts: list[str] = []
        self.core: DeliveryCore[str] = DeliveryCore(
            name="test",
            destination=self.dest,
            ledger=self.ledger,
            schedule=schedule or fixed_backoff(5, 30),
            lanes=lanes,
            clock=self.clock,
            rng=random.Random(0),
            on_attempt=lambda verdict, _latency: self.verdicts.append(verdict),
            write_linger_s=0.0,
            resubmits=resubmits,
        )

    def job(self, job_id: str, lane: str) -> Job[str]:
        return self.ledger.add(Job(job_id, lane, f"payload of {job_id}", self.clock.now()))

    def submit(self, lane: str, *job_ids: str) -> None:
        self.core.submit([self.job(job_id, lane) for job_id in job_ids])

    async def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        await self.core.idle()


@contextlib.asynccontextmanager
async def running(world: World) -> AsyncIterator[World]:
    await world.core.start()
    try:
        yield world
    finally:
        for gate in world.dest.gates.values():
            gate.set()
        await world.core.stop()


async def test_an_ordered_lane_holds_later_jobs_behind_a_failed_one() -> None:
    """A failed create blocks its call's updates, even ones that arrive later, until retried."""
    async with running(World()) as w:
        w.dest.script_job("create", FAIL)
        w.submit(CALL_1, "create", "update-1", "update-2")
        await w.core.idle()
        assert w.dest.sent == ["create"]
        assert w.ledger.status("create") == ("pending", 1)
        w.submit(CALL_1, "update-3")
        await w.advance(4.9)
        assert w.dest.sent == ["create"]  # not the updates, and not a moment early
        assert w.ledger.status("update-1") == ("pending", 0)
        await w.advance(0.1)
        assert w.dest.sent == ["create", "create", "update-1", "update-2", "update-3"]
        assert {w.ledger.status(j) for j in ("create", "update-3")} == {
            ("delivered", 2),
            ("delivered", 1),
        }
        assert w.verdicts == ["retrying", "delivered", "delivered", "delivered", "delivered"]


async def test_a_dead_head_releases_its_ordered_lane() -> None:
    """A permanent failure dead-letters at once, and the jobs behind it go on."""
    async with running(World()) as w:
        w.dest.script_job("create", Outcome.failed("HTTP 400", status_code=400, permanent=True))
        w.submit(CALL_1, "create", "update")
        await w.core.idle()
        assert w.dest.sent == ["create", "update"]
        assert w.ledger.status("create") == ("dead", 1)
        assert w.ledger.status("update") == ("delivered", 1)


async def test_lanes_do_not_wait_for_each_other() -> None:
    """A hung call and a failing call hold back only their own lanes."""
    async with running(World()) as w:
        w.dest.gates[CALL_1] = asyncio.Event()  # its first attempt never returns
        w.dest.script_job("c2-a", FAIL, FAIL, FAIL)
        w.submit(CALL_1, "c1-a", "c1-b")
        w.submit(CALL_2, "c2-a", "c2-b")
        w.submit(CALL_3, "c3-a", "c3-b", "c3-c")
        await w.dest.until(lambda: "c3-c" in w.dest.sent)  # the clock has not moved
        assert "c1-b" not in w.dest.sent and w.dest.sent.count("c2-a") == 1
        w.dest.gates[CALL_1].set()
        await w.core.idle()
        assert w.ledger.status("c3-c") == ("delivered", 1)
        assert w.ledger.status("c1-b") == ("delivered", 1)
        assert w.ledger.status("c2-b") == ("pending", 0)  # still behind c2-a's retry
        await w.advance(5)
        await w.advance(30)
        assert w.ledger.status("c2-a") == ("dead", 3)
        assert w.ledger.status("c2-b") == ("delivered", 1)
        assert w.dest.max_inflight == {CALL_1: 1, CALL_2: 1, CALL_3: 1}


async def test_unordered_lanes_run_their_concurrency_and_no_more() -> None:
    """An unordered lane has up to ``concurrency`` attempts in flight; a hung one only those."""
    async with running(World(lanes=LanePolicy(concurrency=2))) as w:
        w.dest.gates["slow"] = asyncio.Event()
        w.submit("slow", *(f"s{i}" for i in range(5)))
        w.submit("fast", *(f"f{i}" for i in range(5)))
        await w.dest.until(lambda: sum(j.startswith("f") for j in w.dest.sent) == 5)
        assert [j for j in w.dest.sent if j.startswith("s")] == ["s0", "s1"]
        w.dest.gates["slow"].set()
        await w.core.idle()
        assert {w.ledger.status(f"s{i}") for i in range(5)} == {("delivered", 1)}
        assert w.dest.max_inflight["slow"] == 2


async def test_a_parked_lane_holds_its_jobs_in_order_until_resumed() -> None:
    """Parked: nothing is attempted or written, the lag ignores it; resume sends in order."""
    async with running(World()) as w:
        w.dest.states[CALL_1] = LaneState.PARKED
        w.submit(CALL_1, "a", "b", "c")
        await w.advance(60)
        assert w.dest.sent == [] and w.ledger.log == []
        assert w.ledger.status("a") == ("pending", 0)
        assert w.core.lag_s() == 0.0
        w.dest.states[CALL_1] = LaneState.OPEN
        w.core.resume(CALL_1)
        await w.core.idle()
        assert w.dest.sent == ["a", "b", "c"]


async def test_resume_while_a_later_job_is_being_checked_keeps_the_order() -> None:
    """Resumed while the lane's next job waits on its state: the held jobs still go first."""
    async with running(World()) as w:
        w.dest.states[CALL_1] = LaneState.PARKED
        w.submit(CALL_1, "create")
        await w.core.idle()
        w.dest.state_gate = asyncio.Event()
        asked = w.dest.asked
        w.submit(CALL_1, "update")
        await w.dest.until(lambda: w.dest.asked > asked)  # "update" is at the head, asking
        w.dest.states[CALL_1] = LaneState.OPEN
        w.core.resume(CALL_1)
        w.dest.state_gate.set()
        await w.core.idle()
        assert w.dest.sent == ["create", "update"]


async def test_a_gone_lane_drops_its_jobs() -> None:
    """A lane whose target was deleted: its jobs are neither attempted nor logged."""
    async with running(World()) as w:
        w.dest.states["deleted"] = LaneState.GONE
        w.submit("deleted", "x")
        w.submit(CALL_1, "y")
        await w.core.idle()
        assert w.dest.sent == ["y"]
        assert [r.job.id for r in w.ledger.log] == ["y"]


async def test_the_schedule_runs_out_then_dead_letter() -> None:
    """Each retry waits its delay; after the last one fails the job is dead, never retried."""
    async with running(World(lanes=LanePolicy(concurrency=8))) as w:
        w.dest.script_job("d", FAIL, FAIL, FAIL, Outcome.delivered())
        w.submit("endpoint", "d")
        await w.core.idle()
        await w.advance(4.9)
        assert w.dest.sent == ["d"]
        await w.advance(0.1)
        assert w.dest.sent == ["d", "d"]
        await w.advance(30)
        await w.advance(86400)
        assert w.dest.sent == ["d", "d", "d"]
        assert w.ledger.status("d") == ("dead", 3)
        assert w.verdicts == ["retrying", "retrying", "dead"]
        assert [r.attempt for r in w.ledger.log] == [1, 2, 3]
        assert w.ledger.log[-1].outcome.status_code == 503


async def test_retry_after_postpones_the_retry() -> None:
    """A Retry-After longer than the schedule's delay is waited out, to the second."""
    async with running(World(lanes=LanePolicy(concurrency=8))) as w:
        start = w.clock.now()
        w.dest.script_job("r", Outcome.failed("HTTP 429", status_code=429, retry_after_s=90))
        w.submit("endpoint", "r")
        await w.core.idle()
        assert w.ledger.rows["r"].due == start + 90
        await w.advance(89.9)
        assert w.dest.sent == ["r"]
        await w.advance(0.1)
        assert w.dest.sent == ["r", "r"] and w.ledger.status("r") == ("delivered", 2)


async def test_restart_reloads_what_is_owed_in_order() -> None:
    """After a stop mid-attempt, a new core loads the pending work; order and waits hold."""
    ledger: MemoryLedger[str] = MemoryLedger()
    clock = FakeClock()
    first = World(ledger=ledger, clock=clock)
    async with running(first) as w:
        w.dest.gates[CALL_2] = asyncio.Event()
        w.dest.script_job("create", FAIL)
        w.submit(CALL_1, "create", "update")
        w.submit(CALL_2, "hung")
        await w.dest.until(lambda: {"create", "hung"} <= set(w.dest.sent))
    assert ledger.status("create") == ("pending", 1)  # its outcome was written at stop
    assert ledger.status("hung") == ("pending", 0)  # cancelled in flight: still owed

    second = World(ledger=ledger, clock=clock)
    async with running(second) as w:
        await w.core.idle()
        assert w.dest.sent == ["hung"]  # "create" waits for its retry, "update" behind it
        assert await w.core.load_pending() == 0  # what is held is not loaded twice
        await w.advance(5)
        assert w.dest.sent == ["hung", "create", "update"]
        assert {r.status for r in ledger.rows.values()} == {"delivered"}


async def test_a_job_loaded_at_start_and_submitted_again_runs_once() -> None:
    """A delivery worker's core: the pipe from the server may carry jobs committed before
    the worker started, which its start loaded too, even after they were attempted."""
    ledger: MemoryLedger[str] = MemoryLedger()
    clock = FakeClock()
    owed = [ledger.add(Job(i, CALL_1, f"payload of {i}", clock.now())) for i in ("a", "b")]
    async with running(World(ledger=ledger, clock=clock, resubmits=True)) as w:
        await w.core.idle()
        assert w.dest.sent == ["a", "b"]
        w.core.submit(owed)  # already delivered: dropped
        w.submit(CALL_1, "c")  # new: runs
        w.core.submit([Job("c", CALL_1, "payload of c", clock.now())])  # held: dropped
        await w.core.idle()
        assert w.dest.sent == ["a", "b", "c"]
        assert {r.status for r in ledger.rows.values()} == {"delivered"}


async def test_an_attempt_that_raises_is_a_failure() -> None:
    """An exception from the destination is logged as a failed attempt and retried."""
    async with running(World()) as w:
        w.dest.script_job("x", RuntimeError("boom"))
        w.submit(CALL_1, "x")
        await w.core.idle()
        assert w.ledger.log[0].outcome.error == "RuntimeError: boom"
        await w.advance(5)
        assert w.ledger.status("x") == ("delivered", 2)


async def test_an_unreadable_lane_state_delays_without_counting() -> None:
    """When the lane's state cannot be read, the job waits and no attempt is counted."""
    async with running(World()) as w:
        w.dest.states[CALL_1] = RuntimeError("database down")
        w.submit(CALL_1, "x")
        await w.core.idle()
        assert w.dest.sent == [] and w.ledger.log == []
        del w.dest.states[CALL_1]
        await w.advance(LANE_STATE_RETRY_S)
        assert w.ledger.status("x") == ("delivered", 1)


async def test_lag_is_how_long_due_work_has_waited() -> None:
    """Jobs due but stuck behind a busy lane make the lag; it is 0 once they are sent."""
    async with running(World(lanes=LanePolicy(concurrency=1))) as w:
        w.dest.gates["busy"] = asyncio.Event()
        w.submit("busy", "first", "second")
        await w.dest.until(lambda: w.dest.sent == ["first"])
        w.clock.advance(30)
        assert w.core.lag_s() == 30.0
        w.dest.gates["busy"].set()
        await w.core.idle()
        assert w.core.lag_s() == 0.0 and w.dest.sent == ["first", "second"]


async def test_an_attempt_outside_the_schedule_is_logged_only() -> None:
    """``log_attempt`` (a tester) writes an attempt and leaves the work row alone."""
    async with running(World()) as w:
        job = w.job("t", CALL_1)
        w.core.log_attempt(job, Outcome.delivered(200, 3.0))
        await w.core.idle()
        (record,) = w.ledger.log
        assert record.decision is None and record.attempt == 1
        assert w.ledger.status("t") == ("pending", 0) and w.dest.sent == []


def test_decide_asks_the_schedule_only_for_a_retryable_failure() -> None:
    """Delivered and permanent verdicts neither consult the schedule nor draw jitter."""
    asked: list[float | None] = []

    def schedule(
        *, attempts: int, now: float, jitter: float, retry_after_s: float | None
    ) -> float | None:
        asked.append(retry_after_s)
        return now + 5 * jitter if attempts < 3 else None

    def jitter() -> float:
        drawn.append(1)
        return 1.0

    drawn: list[int] = []
    assert decide(Outcome.delivered(), attempts=1, now=100.0, schedule=schedule, jitter=jitter) == (
        delivery.Decision(Verdict.DELIVERED, 100.0)
    )
    permanent = Outcome.failed("bad", permanent=True)
    assert decide(permanent, attempts=1, now=100.0, schedule=schedule, jitter=jitter).verdict is (
        Verdict.DEAD
    )
    assert asked == [] and drawn == []
    retry = decide(
        Outcome.failed("busy", retry_after_s=7),
        attempts=2,
        now=100.0,
        schedule=schedule,
        jitter=jitter,
    )
    assert retry == delivery.Decision(Verdict.RETRYING, 105.0) and asked == [7]
    assert (
        decide(FAIL, attempts=3, now=100.0, schedule=schedule, jitter=jitter).verdict
        is Verdict.DEAD
    )


def test_an_ordered_lane_runs_one_attempt_at_a_time() -> None:
    """Ordered with more than one attempt in flight could not keep the order: refused."""
    with pytest.raises(ValueError, match="one attempt at a time"):
        LanePolicy(concurrency=2, ordered=True)
    with pytest.raises(ValueError):
        LanePolicy(concurrency=0)


def test_exported_members() -> None:
    """The package exports exactly its public names."""
    public = {
        name
        for name, value in vars(delivery).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert sorted(delivery.__all__) == sorted(public)
