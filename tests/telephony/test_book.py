"""The call book, driven directly: each rule is a state and an input in, effects out.

No event loop, no sockets, no media, no database: these run in milliseconds.
"""

from __future__ import annotations

import copy
import itertools
import random
import subprocess
import sys
from pathlib import Path

import pytest

from server.telephony import book, control, outbound, transfers
from server.telephony.acd import Acd, AgentCandidate, QueuePolicy
from server.telephony.effects import (
    AcdDue,
    ArmTimer,
    CallEnded,
    CallRinging,
    CloseLeg,
    Decision,
    DisconnectAgent,
    Emit,
    GraceOver,
    InsertCall,
    PushAgent,
    PushCaller,
    SaveCall,
    Wire,
    WrapUpDue,
)
from server.telephony.errors import TelephonyError
from server.telephony.state import AgentProfile, Engagement, TenantState, leg_id

T0 = 1_800_000_000.0
NUMBER = "+18005550100"
Q = QueuePolicy("q_1", "Support", 15.0, None, None, None, 30.0)
Q2 = QueuePolicy("q_2", "Billing", 20.0, None, None, None, 0.0)

ROOT = Path(__file__).resolve().parents[2]
PURE = ("state", "effects", "book", "control", "outbound", "routing", "ending", "transfers")
PURE += ("notify", "views", "acd", "call", "presence", "errors")


def new_state() -> TenantState:
    ids = itertools.count(1)
    state = TenantState(tenant_id="tn_a", new_id=lambda prefix, now: f"{prefix}_{next(ids)}")
    state.queues = {"q_1": Q, "q_2": Q2}
    return state


def sign_in(
    state: TenantState, agent_id: str, now: float, queues: tuple[str, ...] = ("q_1",)
) -> None:
    profile = AgentProfile(agent_id, agent_id.title(), "100", frozenset(queues))
    book.decide(state, now, lambda: book.agent_connected(state, profile, f"s-{agent_id}", now))
    book.decide(state, now, lambda: book.set_presence(state, agent_id, "available", None, now))


def arrive(state: TenantState, now: float, sid: str = "w1") -> tuple[str, Decision]:
    call_id = state.new_id("call", now)
    d = book.decide(
        state,
        now,
        lambda: book.inbound_arrives(
            state,
            call_id=call_id,
            caller_sid=sid,
            from_number="+14155550000",
            to_number=NUMBER,
            policy=Q,
            leg_id=leg_id(call_id, "caller"),
            now=now,
        ),
    )
    return call_id, d


def answer(state: TenantState, agent_id: str, call_id: str, now: float) -> Decision:
    book.decide(state, now, lambda: control.answer_begin(state, agent_id, call_id))
    leg = leg_id(call_id, agent_id)
    return book.decide(state, now, lambda: control.answer_done(state, agent_id, call_id, leg, now))


def pushes(d: Decision, event: str) -> list[PushAgent | PushCaller]:
    return [p for p in d.pushes if isinstance(p, PushAgent | PushCaller) and p.event == event]


def emitted(d: Decision) -> list[str]:
    return [op.type for op in d.store if isinstance(op, Emit)]


def test_a_caller_is_queued_and_the_longest_idle_agent_rings() -> None:
    """The decision lists, as values, everything the shell will do: store, push, timer."""
    state = new_state()
    sign_in(state, "ag_ann", T0)
    sign_in(state, "ag_bob", T0 + 5)
    call_id, d = arrive(state, T0 + 10)
    assert [type(op) for op in d.store] == [InsertCall, Emit, Emit, Emit]
    assert emitted(d) == ["call.created", "queue.entered", "call.ringing"]
    (ring,) = pushes(d, "call.ringing")
    assert ring.sid == "s-ag_ann" and ring.data["kind"] == "inbound"
    assert ring.data["queue_name"] == "Support" and ring.data["ring_timeout_s"] == 15.0
    caller = [p.data["state"] for p in pushes(d, "call.updated")]
    assert caller == ["queued", "ringing"]
    assert ArmTimer("acd", T0 + 25, AcdDue()) in d.timers
    assert CallRinging(call_id, "ag_ann", "inbound", "+14155550000", NUMBER) in d.notices
    assert state.ringing_agent(call_id) == "ag_ann"


def test_ring_timeout_moves_to_the_next_agent_and_answer_connects() -> None:
    state = new_state()
    sign_in(state, "ag_ann", T0)
    sign_in(state, "ag_bob", T0 + 1)
    call_id, _ = arrive(state, T0 + 2)
    early = book.decide(state, T0 + 16, lambda: book.timer_due(state, AcdDue(), T0 + 16))
    assert pushes(early, "call.ringing") == []  # not due yet: nothing changes
    d = book.decide(state, T0 + 17, lambda: book.timer_due(state, AcdDue(), T0 + 17))
    (cancelled,) = pushes(d, "call.ring_cancelled")
    assert cancelled.sid == "s-ag_ann" and cancelled.data["reason"] == "timeout"
    assert [p.sid for p in pushes(d, "call.ringing")] == ["s-ag_bob"]
    connected = answer(state, "ag_bob", call_id, T0 + 20)
    assert emitted(connected) == ["call.answered", "agent.status_changed"]
    wire = [op for op in connected.media if isinstance(op, Wire)]
    assert wire[0].bridge == (leg_id(call_id, "caller"), leg_id(call_id, "ag_bob"))
    assert state.engagement("ag_bob") is Engagement.ON_CALL


def test_answer_set_up_suspends_the_ring_timeout_and_a_failure_restores_it() -> None:
    state = new_state()
    sign_in(state, "ag_ann", T0)
    call_id, _ = arrive(state, T0)
    book.decide(state, T0 + 1, lambda: control.answer_begin(state, "ag_ann", call_id))
    assert state.engagement("ag_ann") is Engagement.ANSWERING
    assert book.timer_due(state, AcdDue(), T0 + 60).pushes == []  # no timeout while answering
    book.decide(state, T0 + 2, lambda: control.answer_failed(state, "ag_ann", call_id, T0 + 2))
    d = book.decide(state, T0 + 15, lambda: book.timer_due(state, AcdDue(), T0 + 15))
    assert [p.data["reason"] for p in pushes(d, "call.ring_cancelled")] == ["timeout"]


def test_one_busy_rule_an_agent_rung_for_a_consult_is_engaged_everywhere() -> None:
    """Rung for a consultation: not rung by the ACD, cannot dial out, not a transfer target."""
    state = new_state()
    sign_in(state, "ag_ann", T0)
    sign_in(state, "ag_bob", T0 + 1, queues=())
    sign_in(state, "ag_cid", T0 + 2)
    call_id, _ = arrive(state, T0 + 3)
    answer(state, "ag_ann", call_id, T0 + 4)
    book.decide(
        state,
        T0 + 5,
        lambda: control.consult(state, "ag_ann", call_id, "ag_bob", T0 + 5, exists=True),
    )
    assert state.engagement("ag_bob") is Engagement.RINGING
    with pytest.raises(TelephonyError, match="answer or decline"):
        outbound.dial(state, "ag_bob", "+14155551212", "w9", False, T0 + 6, ring_timeout_s=15)
    other, _ = arrive(state, T0 + 6, sid="w2")
    assert state.ringing_agent(other) == "ag_cid"  # bob is skipped
    answer(state, "ag_cid", other, T0 + 7)
    with pytest.raises(TelephonyError) as refused:
        control.transfer(state, "ag_cid", other, "agent", "ag_bob", T0 + 8, target_exists=True)
    assert refused.value.code == "agent_unavailable"


def test_caller_leaving_the_queue_is_abandoned_and_frees_its_phone() -> None:
    state = new_state()
    call_id, _ = arrive(state, T0)
    d = book.decide(
        state, T0 + 12.5, lambda: control.caller_hangup(state, "w1", call_id, T0 + 12.5)
    )
    assert emitted(d) == ["queue.abandoned", "call.ended"]
    cdr = next(op.data for op in d.store if isinstance(op, Emit) and op.type == "call.ended")
    assert cdr["hangup_cause"] == "abandoned" and cdr["wait_seconds"] == 12.5
    assert CloseLeg(leg_id(call_id, "caller")) in d.media
    assert d.released_phones == [("w1", call_id)]
    assert isinstance(d.notices[-1], CallEnded) and call_id not in state.calls


def test_outbound_without_a_route_leaves_a_cdr_and_a_refusal() -> None:
    state = new_state()
    sign_in(state, "ag_ann", T0)
    d = outbound.dial(state, "ag_ann", "+33123456789", None, False, T0, ring_timeout_s=15)
    assert isinstance(d.refusal, TelephonyError) and d.refusal.code == "no_route"
    assert emitted(d) == ["call.created", "call.ended"] and state.engagement("ag_ann") is None
    busy = outbound.dial(state, "ag_ann", "+14155551212", "w1", True, T0, ring_timeout_s=15)
    assert isinstance(busy.refusal, TelephonyError) and busy.refusal.code == "busy"


def test_outbound_reserves_the_agent_while_its_media_is_set_up() -> None:
    state = new_state()
    sign_in(state, "ag_ann", T0)
    d = outbound.dial(state, "ag_ann", "+14155551212", "w1", False, T0, ring_timeout_s=15)
    call_id = d.reply["call_id"]
    assert state.engagement("ag_ann") is Engagement.ON_CALL
    arrive(state, T0 + 1, sid="w2")
    assert state.ringing_agent(next(iter(state.calls))) is None  # reserved: not rung
    up = outbound.dial_connected(state, "ag_ann", call_id, leg_id(call_id, "ag_ann"), True, T0 + 1)
    assert [p.event for p in up.pushes][-1] == "call.incoming"
    assert ArmTimer(f"ring:{call_id}", T0 + 16, outbound.CalleeUnanswered(call_id)) in up.timers
    gone = outbound.callee_unanswered(state, call_id, T0 + 16)
    assert emitted(gone)[:1] == ["call.ended"] and gone.released_phones == [("w1", call_id)]


def test_blind_transfer_to_a_queue_and_wrap_up_for_the_agent_who_left() -> None:
    state = new_state()
    sign_in(state, "ag_ann", T0)
    call_id, _ = arrive(state, T0)
    answer(state, "ag_ann", call_id, T0 + 1)
    with pytest.raises(TelephonyError) as refused:
        control.transfer(state, "ag_ann", call_id, "queue", "q_9", T0 + 2, target_exists=False)
    assert refused.value.code == "not_found" and refused.value.field == "to_id"
    d = control.transfer(state, "ag_ann", call_id, "queue", "q_2", T0 + 2, target_exists=False)
    assert emitted(d) == ["call.transferred", "agent.status_changed", "queue.entered"]
    assert ArmTimer("wrapup:ag_ann", T0 + 32, WrapUpDue("ag_ann")) in d.timers
    assert state.calls[call_id].call.queue_id == "q_2" and state.calls[call_id].wait_on_hold
    back = book.decide(state, T0 + 32, lambda: book.timer_due(state, WrapUpDue("ag_ann"), T0 + 32))
    assert [p.data["status"] for p in pushes(back, "presence.changed")] == ["available"]


def test_a_conference_member_leaving_returns_the_other_two_to_a_bridge() -> None:
    state = new_state()
    sign_in(state, "ag_ann", T0)
    sign_in(state, "ag_bob", T0 + 1, queues=())
    call_id, _ = arrive(state, T0 + 2)
    answer(state, "ag_ann", call_id, T0 + 3)
    control.consult(state, "ag_ann", call_id, "ag_bob", T0 + 4, exists=True)
    answer(state, "ag_bob", call_id, T0 + 5)
    joined = control.conference(state, "ag_ann", call_id, T0 + 6)
    (wire,) = [op for op in joined.media if isinstance(op, Wire)]
    assert set(wire.conference) == {leg_id(call_id, p) for p in ("caller", "ag_ann", "ag_bob")}
    d = Decision()
    transfers.agent_leaves(state, d, state.calls[call_id], "ag_ann", "normal_clearing", T0 + 7)
    (rewire,) = [op for op in d.media if isinstance(op, Wire)]
    assert rewire.bridge == (leg_id(call_id, "caller"), leg_id(call_id, "ag_bob"))
    assert state.calls[call_id].call.agent_id == "ag_bob"


def test_replaced_softphone_is_disconnected_and_grace_logs_out() -> None:
    state = new_state()
    sign_in(state, "ag_ann", T0)
    profile = AgentProfile("ag_ann", "Ann", "100", frozenset({"q_1"}))
    d = book.agent_connected(state, profile, "s-new", T0 + 1)
    assert DisconnectAgent("s-ag_ann") in d.pushes and d.reply["status"] == "available"
    lost = book.agent_disconnected(state, "ag_ann", "s-new", T0 + 2, grace_s=10)
    assert lost.timers == [ArmTimer("grace:ag_ann", T0 + 12, GraceOver("ag_ann"))]
    out = book.timer_due(state, GraceOver("ag_ann"), T0 + 12)
    assert emitted(out) == ["agent.status_changed"]
    assert book.presence_of(state, "ag_ann") == {
        "status": "logged_out",
        "reason": None,
        "connected": False,
    }


def test_shutdown_ends_every_call_and_refuses_new_ones() -> None:
    state = new_state()
    sign_in(state, "ag_ann", T0)
    call_id, _ = arrive(state, T0)
    answer(state, "ag_ann", call_id, T0 + 1)
    d = book.shutdown(state, T0 + 2)
    ended = [op for op in d.store if isinstance(op, Emit) and op.type == "call.ended"]
    assert ended[0].data["hangup_cause"] == "server_shutdown" and not state.calls
    assert any(isinstance(op, SaveCall) for op in d.store)
    with pytest.raises(TelephonyError, match="shutting down"):
        outbound.dial(state, "ag_ann", "+14155551212", "w1", False, T0 + 3, ring_timeout_s=15)


def test_the_book_is_pure() -> None:
    """Importing the book brings in no I/O, no event loop, no database and no media."""
    modules = ", ".join(f"server.telephony.{m}" for m in PURE)
    probe = (
        f"import sys, {modules}\n"
        "banned = ('aiohttp', 'socketio', 'engineio', 'aiortc', 'sqlalchemy', 'asyncio',"
        " 'server.store', 'server.media')\n"
        "print(sorted(m for m in sys.modules if m.startswith(banned)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def _reference_assignments(acd: Acd, candidates: list[AgentCandidate]) -> list[tuple[str, str]]:
    """The ACD rule written the plain way: every waiting call filters every free agent."""
    busy = acd.ringing_agents()
    free = sorted(
        (c for c in candidates if c.agent_id not in busy), key=lambda c: (c.idle_since, c.agent_id)
    )
    out = []
    for waiting in sorted(acd._waiting.values(), key=lambda w: w.seq):
        if waiting.ringing is not None:
            continue
        eligible = [
            c
            for c in free
            if (waiting.only_agent is None and waiting.policy.id in c.queue_ids)
            or c.agent_id == waiting.only_agent
        ]
        untried = [c for c in eligible if c.agent_id not in waiting.tried]
        if not untried and eligible and waiting.only_agent is None:
            waiting.tried.clear()
            untried = eligible
        if untried:
            free.remove(untried[0])
            out.append((waiting.call_id, untried[0].agent_id))
    return out


def test_the_lazy_acd_scan_assigns_exactly_as_the_plain_rule() -> None:
    """Random queues, agents, rings and tried sets: both give the same assignments."""
    rng = random.Random(7)
    queues = [QueuePolicy(f"q_{i}", "", 15.0, None, None, None, 0.0) for i in range(3)]
    for _ in range(300):
        acd = Acd()
        for i in range(rng.randint(0, 8)):
            call = f"c{i}"
            if rng.random() < 0.15:
                acd.ring_only(call, f"a{rng.randint(0, 9)}", rng.choice(queues), T0)
            else:
                waiting = acd.enqueue(call, rng.choice(queues), T0 + i)
                waiting.tried = {f"a{j}" for j in range(10) if rng.random() < 0.3}
            if rng.random() < 0.2:
                acd.ring_started(call, f"a{rng.randint(0, 9)}", T0)
        agents = [
            AgentCandidate(
                f"a{j}",
                frozenset(q.id for q in queues if rng.random() < 0.5),
                T0 - rng.randint(0, 5),
            )
            for j in range(rng.randint(0, 10))
        ]
        twin = copy.deepcopy(acd)
        expected = _reference_assignments(twin, agents)
        got = [(w.call_id, a) for w, a in acd.assignments(agents)]
        assert got == expected
        assert {w.call_id: w.tried for w in acd._waiting.values()} == {
            w.call_id: w.tried for w in twin._waiting.values()
        }


def test_the_longest_idle_order_follows_every_presence_change() -> None:
    state = new_state()
    rng = random.Random(3)
    for i in range(12):
        sign_in(state, f"ag_{i:02d}", T0 + rng.random())
    now = T0 + 10
    for _ in range(200):
        now += 1
        agent_id = f"ag_{rng.randint(0, 11):02d}"
        action = rng.random()
        if action < 0.3:
            book.set_presence(state, agent_id, "on_break", "lunch", now)
        elif action < 0.6:
            book.set_presence(state, agent_id, "available", None, now)
        elif action < 0.7:
            book.agent_disconnected(state, agent_id, f"s-{agent_id}", now, grace_s=10)
        elif action < 0.8:
            profile = AgentProfile(agent_id, "x", "100", frozenset({"q_1"}))
            book.agent_connected(state, profile, f"s-{agent_id}", now)
        else:
            state.agents[agent_id].presence.missed_ring(now)
        expected = sorted(
            (s.presence.idle_since, s.agent_id)
            for s in state.agents.values()
            if s.sid is not None and s.presence.state.value == "available"
        )
        assert [(s.presence.idle_since, s.agent_id) for s in state.idle_order()] == expected
