"""The pure cores, driven directly: presence, the call and its CDR, the ACD policy, signaling
schema, rate limits, signed recording URLs, timers on a FakeClock."""

from __future__ import annotations

import asyncio

import pytest

from server.clock import FakeClock
from server.signaling.messages import AGENT_MESSAGES
from server.signaling.ratelimit import AddressLimits, TokenBucket
from server.signaling.schema import SchemaError, parse
from server.telephony.acd import Acd, AgentCandidate, MaxWait, QueuePolicy, RingTimeout
from server.telephony.call import Call, CallState, Transfer
from server.telephony.errors import InvalidTransition
from server.telephony.presence import AgentPresence, State
from server.telephony.recordings import RecordingUrls
from server.telephony.timers import Timers

T0 = 1_800_000_000.0
Q = QueuePolicy("q_1", "Support", 15.0, 60.0, None, "closed", 30.0)


def test_presence_transitions_and_wrap_up() -> None:
    p = AgentPresence("ag_1", now=T0)
    with pytest.raises(InvalidTransition):
        p.start_call(T0)
    change = p.set_available(T0 + 1)
    assert change is not None and (change.previous, change.status) == (
        State.LOGGED_OUT,
        State.AVAILABLE,
    )
    assert p.idle_since == T0 + 1 and p.set_available(T0 + 2) is None
    p.start_call(T0 + 5)
    with pytest.raises(InvalidTransition):
        p.pause("lunch", T0 + 6)
    with pytest.raises(InvalidTransition):
        p.log_out(T0 + 6)
    acw = p.end_call(T0 + 10, wrap_up_s=30)
    assert (
        acw is not None and acw.status is State.AFTER_CALL_WORK and acw.wrap_up_ends_at == T0 + 40
    )
    assert p.wrap_up_due(T0 + 39.9) is None
    assert (
        p.wrap_up_due(T0 + 40) is not None
        and p.state is State.AVAILABLE
        and p.idle_since == T0 + 40
    )
    paused = p.pause("lunch", T0 + 50)
    assert paused is not None and paused.paused and paused.reason == "lunch"
    p.start_call(T0 + 60)  # outbound dial while paused
    assert p.end_call(T0 + 70, wrap_up_s=0).status is State.AVAILABLE  # type: ignore[union-attr]
    assert p.log_out(T0 + 80, force=True).status is State.LOGGED_OUT  # type: ignore[union-attr]


def test_call_cdr_durations_agree_with_timestamps() -> None:
    call = Call.inbound(
        id="call_1",
        tenant_id="tn",
        from_number="anonymous",
        to_number="+18005550100",
        queue_id="q_1",
        now=T0,
    )
    call.ring(T0 + 2)
    call.unring()
    call.ring(T0 + 17)
    assert call.answer("ag_1", T0 + 20) == 20.0
    call.hold(True, T0 + 30)
    call.hold(False, T0 + 35)
    call.hold(True, T0 + 50)
    call.transferred(Transfer("blind", "ag_1", "queue", "q_2", T0 + 55))
    call.end("normal_clearing", "caller", T0 + 60)
    cdr = call.cdr()
    assert (cdr["wait_seconds"], cdr["talk_seconds"], cdr["hold_seconds"]) == (20.0, 40.0, 15.0)
    assert (cdr["holds"], cdr["longest_hold_seconds"]) == (2, 10.0)  # the one still on at the end
    assert cdr["transfers"][0]["to_id"] == "q_2" and cdr["hangup_side"] == "caller"
    with pytest.raises(InvalidTransition):
        call.end("again", "agent", T0 + 61)
    assert call.state is CallState.ENDED


def test_unanswered_call_waits_until_the_end() -> None:
    call = Call.inbound(
        id="call_2", tenant_id="tn", from_number="a", to_number="b", queue_id="q_1", now=T0
    )
    with pytest.raises(InvalidTransition):
        call.hold(True, T0)
    call.end("abandoned", "caller", T0 + 9)
    assert call.cdr()["wait_seconds"] == 9.0 and call.cdr()["talk_seconds"] == 0.0


def test_acd_longest_idle_ring_timeout_next_agent_and_max_wait() -> None:
    acd = Acd()
    acd.enqueue("c1", Q, T0)
    acd.enqueue("c2", Q, T0 + 1)
    agents = [
        AgentCandidate("ag_b", frozenset({"q_1"}), T0 - 10),
        AgentCandidate("ag_a", frozenset({"q_1"}), T0 - 50),  # idle longest
        AgentCandidate("ag_x", frozenset({"q_other"}), T0 - 99),  # not in the queue
    ]
    plan = [(w.call_id, agent) for w, agent in acd.assignments(agents)]
    assert plan == [("c1", "ag_a"), ("c2", "ag_b")]
    acd.ring_started("c1", "ag_a", T0 + 2)
    assert acd.position("c2") == 2 and acd.next_deadline() == T0 + 17
    assert acd.due(T0 + 16.9) == []
    assert acd.due(T0 + 17) == [RingTimeout("c1", "ag_a")]
    assert acd.ring_ended("c1") == "ag_a"
    # ag_a was tried: c1 goes to the other free agent; with only ag_a left, a new round
    two = agents[:2]
    assert [(w.call_id, a) for w, a in acd.assignments(two)] == [("c1", "ag_b"), ("c2", "ag_a")]
    assert [(w.call_id, a) for w, a in acd.assignments(agents[1:2])] == [("c1", "ag_a")]
    assert acd.due(T0 + 60) == [MaxWait("c1", Q)]
    acd.remove("c1")
    assert acd.position("c2") == 1


def test_acd_transfer_to_one_agent_rings_only_that_agent() -> None:
    acd = Acd()
    acd.ring_only("c1", "ag_b", Q, T0)
    agents = [
        AgentCandidate("ag_a", frozenset({"q_1"}), T0 - 50),
        AgentCandidate("ag_b", frozenset(), T0),
    ]
    assert [(w.call_id, a) for w, a in acd.assignments(agents)] == [("c1", "ag_b")]
    acd.ring_started("c1", "ag_b", T0)
    acd.ring_ended("c1")
    assert acd.assignments(agents) == []  # never another agent


def test_signaling_schema_is_strict() -> None:
    schema = AGENT_MESSAGES["call.hold"]
    assert parse(schema, {"call_id": "call_1a", "on": True}) == {"call_id": "call_1a", "on": True}
    for payload, field in (
        ({"call_id": "call_1a", "on": 1}, "on"),
        ({"call_id": "call_1a"}, "on"),
        ({"call_id": "x", "on": True}, "call_id"),
        ({"call_id": "call_1a", "on": True, "x": 1}, "x"),
        ("string", None),
    ):
        with pytest.raises(SchemaError) as info:
            parse(schema, payload)
        assert info.value.field == field
    cand = AGENT_MESSAGES["media.candidate"]
    assert parse(cand, {"call_id": "call_1", "candidate": None})["sdpMid"] is None


def test_rate_limits() -> None:
    bucket = TokenBucket(rate=2, burst=3, now=0)
    assert [bucket.take(0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(0.5) and not bucket.take(0.5)
    limits = AddressLimits(rate=100, burst=100, max_connections=2)
    assert limits.connect("1.2.3.4", 0) and limits.connect("1.2.3.4", 0)
    assert not limits.connect("1.2.3.4", 0) and limits.connect("5.6.7.8", 0)
    limits.disconnect("1.2.3.4")
    assert limits.connect("1.2.3.4", 0)


def test_recording_urls_are_signed_and_expire() -> None:
    clock = FakeClock(T0)
    urls = RecordingUrls(master_key=b"k" * 32, public_url="http://x", ttl_s=60, clock=clock)
    url, expires = urls.sign("rec_1")
    sig = url.split("sig=")[1]
    assert url.startswith("http://x/recordings/rec_1.wav?expires=") and expires == T0 + 60
    assert urls.check("rec_1", str(int(expires)), sig)
    assert not urls.check("rec_2", str(int(expires)), sig)
    assert not urls.check("rec_1", str(int(expires) + 1), sig)
    assert not urls.check("rec_1", "soon", sig)
    other = RecordingUrls(master_key=b"j" * 32, public_url="http://x", ttl_s=60, clock=clock)
    assert not other.check("rec_1", str(int(expires)), sig)
    clock.advance(60)
    assert not urls.check("rec_1", str(int(expires)), sig)


async def test_timers_fire_exactly_when_the_fake_clock_reaches_them() -> None:
    clock = FakeClock(T0)
    timers = Timers(clock)
    fired: list[float] = []

    async def record() -> None:
        fired.append(clock.now())

    timers.set("a", T0 + 10, record)
    timers.set("b", T0 + 5, record)
    timers.set("b", T0 + 7, record)  # replaces the first "b"
    await asyncio.sleep(0)
    clock.advance(6.9)
    await asyncio.sleep(0.01)
    assert fired == []
    clock.advance(0.1)
    await asyncio.sleep(0.01)
    assert fired == [T0 + 7]
    timers.cancel("a")
    clock.advance(10)
    await asyncio.sleep(0.01)
    assert fired == [T0 + 7]
    await timers.close()
