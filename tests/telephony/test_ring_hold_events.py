"""The book's ring and hold events, driven directly: ``call.ringing`` for every agent offered
the call, ``call.ring_missed`` with why the ring stopped, ``call.held`` / ``call.resumed``
with the hold's length. Each payload follows its catalog schema."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from server.events.catalog import CATALOG
from server.telephony import book, control
from server.telephony.acd import QueuePolicy
from server.telephony.effects import AcdDue, CallHeld, CancelTimer, Decision, Emit
from server.telephony.errors import TelephonyError
from server.telephony.state import TenantState, leg_id
from server.times import rfc3339

from .test_book import T0, answer, arrive, new_state, sign_in


def events(d: Decision, *types: str) -> list[tuple[str, dict[str, Any]]]:
    """The decision's events (only these types, if given), each checked against the catalog."""
    out = [(op.type, op.data) for op in d.store if isinstance(op, Emit)]
    for type_, data in out:
        jsonschema.validate(data, CATALOG[type_]["schema"])
    return [(t, data) for t, data in out if not types or t in types]


def ring_events(d: Decision) -> list[tuple[str, dict[str, Any]]]:
    return events(d, "call.ringing", "call.ring_missed")


def due(state: TenantState, now: float) -> Decision:
    return book.decide(state, now, lambda: book.timer_due(state, AcdDue(), now))


def two_agents_and_a_call() -> tuple[TenantState, str, Decision]:
    state = new_state()
    sign_in(state, "ag_ann", T0)
    sign_in(state, "ag_bob", T0 + 1)
    call_id, d = arrive(state, T0 + 2)
    return state, call_id, d


def ann_consults_bob() -> tuple[TenantState, str]:
    """Ann has the call (answered at T0 + 4) and consults Bob, whose softphone rings at T0 + 10."""
    state, call_id, _ = two_agents_and_a_call()
    answer(state, "ag_ann", call_id, T0 + 4)
    book.decide(
        state,
        T0 + 10,
        lambda: control.consult(state, "ag_ann", call_id, "ag_bob", T0 + 10, exists=True),
    )
    return state, call_id


def test_the_first_ring_is_attempt_one_in_the_arrival_decision() -> None:
    _state, call_id, d = two_agents_and_a_call()
    assert ring_events(d) == [
        (
            "call.ringing",
            {
                "call_id": call_id,
                "agent_id": "ag_ann",
                "queue_id": "q_1",
                "kind": "inbound",
                "attempt": 1,
                "ring_timeout_seconds": 15.0,
                "rung_at": rfc3339(T0 + 2),
            },
        )
    ]
    assert [t for t, _ in events(d)] == ["call.created", "queue.entered", "call.ringing"]


def test_a_ring_timeout_is_missed_and_the_next_agent_is_attempt_two() -> None:
    state, call_id, _ = two_agents_and_a_call()
    assert ring_events(due(state, T0 + 16)) == []  # not due yet
    d = due(state, T0 + 17)
    (missed, ringing) = ring_events(d)
    assert missed == (
        "call.ring_missed",
        {
            "call_id": call_id,
            "agent_id": "ag_ann",
            "queue_id": "q_1",
            "kind": "inbound",
            "attempt": 1,
            "reason": "timeout",
            "ring_seconds": 15.0,
            "missed_at": rfc3339(T0 + 17),
        },
    )
    assert ringing[1]["agent_id"] == "ag_bob" and ringing[1]["attempt"] == 2
    assert ringing[1]["rung_at"] == rfc3339(T0 + 17)
    connected = answer(state, "ag_bob", call_id, T0 + 20)
    assert ring_events(connected) == []  # the answer ends the ring: call.answered says so
    assert events(connected, "call.answered")[0][1]["agent_id"] == "ag_bob"


def test_a_decline_is_missed_as_declined_after_its_seconds() -> None:
    state, call_id, _ = two_agents_and_a_call()
    d = book.decide(state, T0 + 5, lambda: control.decline(state, "ag_ann", call_id, T0 + 5))
    (missed, ringing) = ring_events(d)
    assert missed[1]["reason"] == "declined" and missed[1]["ring_seconds"] == 3.0
    assert ringing[1]["agent_id"] == "ag_bob" and ringing[1]["attempt"] == 2


def test_an_agent_whose_softphone_goes_offline_misses_the_ring() -> None:
    state, call_id, _ = two_agents_and_a_call()
    d = book.decide(
        state,
        T0 + 4,
        lambda: book.agent_disconnected(state, "ag_ann", "s-ag_ann", T0 + 4, 10.0),
    )
    (missed, ringing) = ring_events(d)
    assert missed[1]["agent_id"] == "ag_ann" and missed[1]["reason"] == "agent_offline"
    assert ringing[1]["agent_id"] == "ag_bob"


def test_the_caller_hanging_up_while_it_rings_ends_the_ring() -> None:
    state, call_id, _ = two_agents_and_a_call()
    d = book.decide(state, T0 + 9, lambda: control.caller_hangup(state, "w1", call_id, T0 + 9))
    assert [t for t, _ in events(d)] == ["call.ring_missed", "queue.abandoned", "call.ended"]
    assert events(d)[0][1]["reason"] == "caller_hangup"
    assert events(d)[0][1]["ring_seconds"] == 7.0


def test_an_overflow_cancels_the_ring_and_rings_again_in_the_next_queue() -> None:
    state = new_state()
    support = QueuePolicy("q_1", "Support", 60.0, 10.0, "q_2", None, 30.0)
    sign_in(state, "ag_ann", T0, queues=("q_1", "q_2"))
    call_id = "call_overflow"
    book.decide(
        state,
        T0 + 1,
        lambda: book.inbound_arrives(
            state,
            call_id=call_id,
            caller_sid="w1",
            from_number="+14155550000",
            to_number="+18005550100",
            policy=support,
            leg_id=leg_id(call_id, "caller"),
            now=T0 + 1,
        ),
    )
    d = due(state, T0 + 11)
    (missed, ringing) = ring_events(d)
    assert missed[1]["reason"] == "cancelled" and missed[1]["queue_id"] == "q_1"
    assert ringing[1]["queue_id"] == "q_2" and ringing[1]["agent_id"] == "ag_ann"
    assert ringing[1]["attempt"] == 2
    assert [t for t, _ in events(d)] == ["call.ring_missed", "queue.entered", "call.ringing"]


def test_hold_and_resume_give_the_hold_and_its_length() -> None:
    state, call_id, _ = two_agents_and_a_call()
    answer(state, "ag_ann", call_id, T0 + 4)

    def hold(on: bool, now: float) -> Decision:
        return book.decide(state, now, lambda: control.hold(state, "ag_ann", call_id, on, now))

    held = hold(True, T0 + 10)
    assert events(held) == [
        (
            "call.held",
            {
                "call_id": call_id,
                "agent_id": "ag_ann",
                "reason": "hold",
                "hold": 1,
                "held_at": rfc3339(T0 + 10),
            },
        )
    ]
    assert events(hold(True, T0 + 11)) == []  # already on hold: nothing changes
    resumed = hold(False, T0 + 82)
    assert events(resumed) == [
        (
            "call.resumed",
            {
                "call_id": call_id,
                "agent_id": "ag_ann",
                "reason": "resume",
                "hold": 1,
                "hold_seconds": 72.0,
                "total_hold_seconds": 72.0,
                "resumed_at": rfc3339(T0 + 82),
            },
        )
    ]
    hold(True, T0 + 90)
    second = events(hold(False, T0 + 95))[0][1]
    assert second["hold"] == 2 and second["hold_seconds"] == 5.0
    assert second["total_hold_seconds"] == 77.0


def test_a_hold_still_going_at_the_end_is_closed_by_the_cdr() -> None:
    state, call_id, _ = two_agents_and_a_call()
    answer(state, "ag_ann", call_id, T0 + 4)
    book.decide(state, T0 + 10, lambda: control.hold(state, "ag_ann", call_id, True, T0 + 10))
    d = book.decide(state, T0 + 40, lambda: control.hangup(state, "ag_ann", call_id, T0 + 40))
    assert events(d, "call.resumed") == []
    cdr = events(d, "call.ended")[0][1]
    assert cdr["hold_seconds"] == 30.0 and cdr["holds"] == 1


def test_a_consultation_holds_the_caller_and_its_unanswered_ring_is_missed() -> None:
    state, call_id, _ = two_agents_and_a_call()
    answer(state, "ag_ann", call_id, T0 + 4)
    d = book.decide(
        state,
        T0 + 10,
        lambda: control.consult(state, "ag_ann", call_id, "ag_bob", T0 + 10, exists=True),
    )
    assert [t for t, _ in events(d)] == ["call.held", "call.ringing"]
    # Not a hold for the observers: the agents talk meanwhile (their audio is transcribed).
    assert not any(isinstance(n, CallHeld) for n in d.notices)
    held, ringing = events(d)
    assert held[1]["reason"] == "consult" and held[1]["agent_id"] == "ag_ann"
    assert ringing[1]["kind"] == "consult" and ringing[1]["agent_id"] == "ag_bob"
    assert ringing[1]["attempt"] == 2  # Ann's ring was the first
    gone = book.decide(
        state, T0 + 25, lambda: control.consult_unanswered(state, call_id, "ag_bob", T0 + 25)
    )
    assert [t for t, _ in events(gone)] == ["call.resumed", "call.ring_missed"]
    resumed, missed = events(gone)
    assert resumed[1]["reason"] == "consult_ended" and resumed[1]["hold_seconds"] == 15.0
    assert missed[1]["kind"] == "consult" and missed[1]["reason"] == "timeout"
    assert missed[1]["ring_seconds"] == 15.0


def test_a_blind_transfer_resumes_the_held_caller_and_rings_the_target() -> None:
    state, call_id, _ = two_agents_and_a_call()
    answer(state, "ag_ann", call_id, T0 + 4)
    book.decide(state, T0 + 10, lambda: control.hold(state, "ag_ann", call_id, True, T0 + 10))
    d = book.decide(
        state,
        T0 + 13,
        lambda: control.transfer(
            state, "ag_ann", call_id, "agent", "ag_bob", T0 + 13, target_exists=True
        ),
    )
    types = [t for t, _ in events(d)]
    assert types[:2] == ["call.resumed", "call.transferred"] and types[-1] == "call.ringing"
    assert events(d, "call.resumed")[0][1]["reason"] == "transfer"
    ringing = events(d, "call.ringing")[0][1]
    assert ringing["kind"] == "transfer" and ringing["agent_id"] == "ag_bob"


def test_a_consulted_agent_whose_softphone_goes_offline_misses_the_consult_ring() -> None:
    """As for a queued call: the ring stops at once (agent_offline), the caller is back with
    the consulting agent; it does not ring a gone softphone until it times out."""
    state, call_id = ann_consults_bob()
    d = book.decide(
        state,
        T0 + 12,
        lambda: book.agent_disconnected(state, "ag_bob", "s-ag_bob", T0 + 12, 20.0),
    )
    assert [t for t, _ in events(d)] == ["call.resumed", "call.ring_missed"]
    resumed, missed = events(d)
    assert resumed[1]["reason"] == "consult_ended" and resumed[1]["hold_seconds"] == 2.0
    assert missed[1]["agent_id"] == "ag_bob" and missed[1]["kind"] == "consult"
    assert missed[1]["reason"] == "agent_offline" and missed[1]["ring_seconds"] == 2.0
    rt = state.calls[call_id]
    assert rt.consult is None and not rt.call.held
    assert state.engagement("ag_bob") is None
    assert any(isinstance(t, CancelTimer) and t.key == f"ring:{call_id}" for t in d.timers)
    later = book.decide(
        state, T0 + 25, lambda: control.consult_unanswered(state, call_id, "ag_bob", T0 + 25)
    )
    assert events(later) == []  # the ring's timer finds nothing left to end


def test_an_agent_who_signs_out_while_rung_misses_the_ring_and_the_next_agent_rings() -> None:
    """Left ringing, a signed-out agent could still answer: its answer then failed (a
    logged-out agent takes no call) with the ring's deadline suspended, and the call rang
    nobody else, for good."""
    state, call_id, _ = two_agents_and_a_call()
    d = book.decide(
        state, T0 + 3, lambda: book.set_presence(state, "ag_ann", "logged_out", None, T0 + 3)
    )
    (missed, ringing) = ring_events(d)
    assert missed[1]["agent_id"] == "ag_ann" and missed[1]["reason"] == "agent_offline"
    assert ringing[1]["agent_id"] == "ag_bob" and ringing[1]["attempt"] == 2
    assert state.ringing_agent(call_id) == "ag_bob"
    with pytest.raises(TelephonyError):
        control.answer_begin(state, "ag_ann", call_id)


def test_a_consulted_agent_who_signs_out_while_rung_ends_the_consultation() -> None:
    state, call_id = ann_consults_bob()
    d = book.decide(
        state, T0 + 11, lambda: book.set_presence(state, "ag_bob", "logged_out", None, T0 + 11)
    )
    missed = events(d, "call.ring_missed")[0][1]
    assert missed["kind"] == "consult" and missed["reason"] == "agent_offline"
    assert state.calls[call_id].consult is None and not state.calls[call_id].call.held


@pytest.mark.parametrize("close", ["transfer", "consult"])
def test_the_callers_hold_ending_any_way_tells_the_observers(close: str) -> None:
    """Live transcription stops on the hold button's CallHeld(on) and goes on at CallHeld(off):
    a hold that a blind transfer or the end of a consultation closed must say so too, or the
    rest of the call is never transcribed."""
    state, call_id, _ = two_agents_and_a_call()
    answer(state, "ag_ann", call_id, T0 + 4)
    held = book.decide(state, T0 + 6, lambda: control.hold(state, "ag_ann", call_id, True, T0 + 6))
    assert CallHeld(call_id, True) in held.notices
    if close == "transfer":
        d = book.decide(
            state,
            T0 + 8,
            lambda: control.transfer(
                state, "ag_ann", call_id, "agent", "ag_bob", T0 + 8, target_exists=True
            ),
        )
    else:
        book.decide(
            state,
            T0 + 8,
            lambda: control.consult(state, "ag_ann", call_id, "ag_bob", T0 + 8, exists=True),
        )
        d = book.decide(
            state, T0 + 9, lambda: control.consult_cancel(state, "ag_ann", call_id, T0 + 9)
        )
    assert events(d, "call.resumed")
    assert CallHeld(call_id, False) in d.notices
