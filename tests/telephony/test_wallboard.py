"""The wallboard's pure core, driven directly: the book's state in, the model out.

No event loop, no sockets, no database; times are arguments.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

from server.telephony import book, control
from server.telephony.effects import CallEnded, Decision
from server.telephony.state import AgentProfile, TenantSettings
from server.telephony.wallboard import Board, Outcome, ServiceLevel, outcome_of_cdr, snapshot
from server.times import rfc3339
from tests.telephony.test_book import ROOT, T0, answer, arrive, new_state, sign_in


def _ended(d: Decision) -> CallEnded:
    (ended,) = [n for n in d.notices if isinstance(n, CallEnded)]
    return ended


def test_agents_queues_and_calls_follow_a_call_through_the_book() -> None:
    """A call arrives (queue depth 1, longest wait from its arrival, the agent ringing), is
    answered (the agent on the call since the answer, the call with its parties), ends
    (after-call work; the wait counted in the service level)."""
    state = new_state()
    sign_in(state, "ag_ann", T0)
    sign_in(state, "ag_bob", T0 + 5)
    board = Board()
    model = board.update(snapshot(state), T0 + 6)
    assert [(a["id"], a["state"], a["since"]) for a in model["agents"]] == [
        ("ag_ann", "available", T0),
        ("ag_bob", "available", T0 + 5),
    ]
    assert model["totals"]["agents"]["available"] == 2
    assert model["queues"][0]["name"] == "Billing"  # by name
    support = model["queues"][1]
    assert support["waiting"] == 0 and support["longest_wait_since"] is None
    assert support["agents_available"] == 2 and support["agents_signed_in"] == 2
    assert support["service_level"]["percent"] is None

    call_id, _ = arrive(state, T0 + 10)
    model = board.update(snapshot(state), T0 + 10.5)
    ann = model["agents"][0]
    assert (ann["id"], ann["state"], ann["since"]) == ("ag_ann", "ringing", T0 + 10.5)
    support = model["queues"][1]
    assert support["waiting"] == 1 and support["longest_wait_since"] == T0 + 10
    assert model["totals"]["waiting"] == 1
    (call,) = model["calls"]
    assert call["id"] == call_id and call["state"] == "ringing"
    assert call["from"] == "+14155550000" and call["queue_name"] == "Support"
    assert call["agents"] == [{"id": "ag_ann", "name": "Ag_Ann"}]

    answer(state, "ag_ann", call_id, T0 + 14)
    model = board.update(snapshot(state), T0 + 14.5)
    ann = model["agents"][0]
    assert (ann["state"], ann["since"]) == ("on_call", T0 + 14)  # the answer, not the push
    assert model["queues"][1]["waiting"] == 0
    (call,) = model["calls"]
    assert call["state"] == "connected" and call["answered_at"] == T0 + 14
    assert call["started_at"] == T0 + 10
    sl = model["queues"][1]["service_level"]
    assert sl == {"answered": 1, "answered_within": 1, "abandoned": 0, "percent": 100.0}

    d = book.decide(state, T0 + 40, lambda: control.hangup(state, "ag_ann", call_id, T0 + 40))
    board.notice(_ended(d), T0 + 40)
    model = board.update(snapshot(state), T0 + 40.5)
    assert model["calls"] == []
    wrap = [a for a in model["agents"] if a["id"] == "ag_ann"][0]
    assert wrap["state"] == "after_call_work" and wrap["since"] == T0 + 40.5
    assert wrap["wrap_up_ends_at"] == T0 + 70
    assert model["totals"]["service_level"]["answered"] == 1  # once, not twice


def test_an_unchanged_state_gives_an_equal_model() -> None:
    """Nothing new, nothing to push: the model carries no clock, only when things began."""
    state = new_state()
    sign_in(state, "ag_ann", T0)
    board = Board()
    assert board.update(snapshot(state), T0 + 1) == board.update(snapshot(state), T0 + 9)


def test_a_pause_gets_its_own_since_and_reason() -> None:
    state = new_state()
    sign_in(state, "ag_ann", T0)
    board = Board()
    board.update(snapshot(state), T0 + 1)
    book.decide(
        state, T0 + 3, lambda: book.set_presence(state, "ag_ann", "on_break", "lunch", T0 + 3)
    )
    model = board.update(snapshot(state), T0 + 3.4)
    (ann,) = model["agents"]
    assert (ann["state"], ann["reason"], ann["since"]) == ("on_break", "lunch", T0 + 3.4)
    assert model["totals"]["agents"]["on_break"] == 1
    model = board.update(snapshot(state), T0 + 20)
    assert model["agents"][0]["since"] == T0 + 3.4


def test_service_level_counts_answers_within_the_threshold_and_abandons() -> None:
    """answered within / (answered + abandoned), each queue and the whole tenant; the
    tenant's threshold decides, and a changed threshold applies to the window at once."""
    state = new_state()
    board = Board()
    board.seed(
        [
            Outcome("c1", "q_1", T0 - 100, 5.0, True),
            Outcome("c2", "q_1", T0 - 90, 25.0, True),
            Outcome("c3", "q_1", T0 - 80, 40.0, False),
            Outcome("c4", "q_2", T0 - 70, 19.0, True),
        ]
    )
    model = board.update(snapshot(state), T0)
    by_id = {q["id"]: q["service_level"] for q in model["queues"]}
    assert by_id["q_1"] == {"answered": 2, "answered_within": 1, "abandoned": 1, "percent": 33.3}
    assert by_id["q_2"]["percent"] == 100.0
    assert model["totals"]["service_level"]["percent"] == 50.0
    assert model["threshold_s"] == 20.0

    state.settings = TenantSettings(service_level_threshold_s=30.0)
    model = board.update(snapshot(state), T0)
    assert model["queues"][1]["service_level"]["answered_within"] == 2
    assert model["threshold_s"] == 30.0


def test_the_window_rolls_and_each_call_counts_once() -> None:
    """A seed and a live answer of one call are one outcome; an hour later it is gone."""
    level = ServiceLevel(window_s=3600)
    assert level.record(Outcome("c1", "q_1", T0, 5.0, True))
    assert not level.record(Outcome("c1", "q_1", T0, 5.0, True))
    total, _ = level.figures(T0 + 3599, 20)
    assert total.answered == 1
    total, per_queue = level.figures(T0 + 3601, 20)
    assert total.answered == 0 and per_queue == {}
    assert level.record(Outcome("c1", "q_1", T0 + 4000, 5.0, True))  # forgotten, so new


def test_an_abandoned_call_counts_from_its_cdr() -> None:
    """A caller who hangs up while queued: abandoned, in the queue it waited in."""
    state = new_state()
    board = Board()
    board.update(snapshot(state), T0)
    call_id, _ = arrive(state, T0 + 1)
    model = board.update(snapshot(state), T0 + 2)
    assert model["queues"][1]["waiting"] == 1
    d = book.decide(state, T0 + 31, lambda: control.caller_hangup(state, "w1", call_id, T0 + 31))
    board.notice(_ended(d), T0 + 31)
    model = board.update(snapshot(state), T0 + 31.5)
    assert model["queues"][1]["waiting"] == 0
    sl = model["queues"][1]["service_level"]
    assert sl == {"answered": 0, "answered_within": 0, "abandoned": 1, "percent": 0.0}


def test_outcome_of_cdr() -> None:
    cdr = {
        "call_id": "c1",
        "direction": "inbound",
        "queue_id": "q_1",
        "queued_at": rfc3339(T0),
        "answered_at": rfc3339(T0 + 12.5),
        "ended_at": rfc3339(T0 + 60),
        "wait_seconds": 12.5,
    }
    assert outcome_of_cdr(cdr) == Outcome("c1", "q_1", T0 + 12.5, 12.5, True)
    unanswered = {**cdr, "answered_at": None, "wait_seconds": 60.0}
    assert outcome_of_cdr(unanswered) == Outcome("c1", "q_1", T0 + 60, 60.0, False)
    assert outcome_of_cdr({**cdr, "direction": "outbound"}) is None
    assert outcome_of_cdr({**cdr, "queue_id": None}) is None


def test_an_agent_first_seen_on_a_call_is_on_it_since_the_answer() -> None:
    """A board opened mid-call takes the state's own times, not the moment it opened."""
    state = new_state()
    sign_in(state, "ag_ann", T0)
    call_id, _ = arrive(state, T0 + 1)
    answer(state, "ag_ann", call_id, T0 + 3)
    model = Board().update(snapshot(state), T0 + 100)
    assert model["agents"][0]["since"] == T0 + 3
    state.settings = replace(state.settings, service_level_threshold_s=1.5)
    model = Board().update(snapshot(state), T0 + 100)
    assert model["queues"][1]["service_level"]["answered_within"] == 0


def test_the_core_does_no_io() -> None:
    """Importing the wallboard's core pulls in no networking, database or event loop."""
    probe = (
        "import sys, server.telephony.wallboard\n"
        "banned = ('aiohttp', 'socketio', 'engineio', 'aiortc', 'sqlalchemy', 'asyncio',"
        " 'server.store', 'server.media')\n"
        "print(sorted(m for m in sys.modules if m.startswith(banned)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_a_state_that_ended_and_began_again_between_snapshots_starts_again() -> None:
    """Available, a whole call and its wrap-up between two snapshots, available again:
    since the wrap-up's end (the state's idle_since), not since the first time."""
    state = new_state()
    sign_in(state, "ag_ann", T0)
    board = Board()
    assert board.update(snapshot(state), T0 + 1)["agents"][0]["since"] == T0
    call_id, _ = arrive(state, T0 + 2)
    answer(state, "ag_ann", call_id, T0 + 3)
    book.decide(state, T0 + 9, lambda: control.hangup(state, "ag_ann", call_id, T0 + 9))
    book.decide(state, T0 + 9.5, lambda: book.end_wrap_up(state, "ag_ann", T0 + 9.5))
    (ann,) = board.update(snapshot(state), T0 + 9.7)["agents"]
    assert (ann["state"], ann["since"]) == ("available", T0 + 9.5)
    board.forget_times()
    assert board.update(snapshot(state), T0 + 50)["agents"][0]["since"] == T0 + 9.5


def test_the_roster_lists_agents_never_signed_in_and_drops_deleted_ones() -> None:
    """With the roster: Cy (never signed in) is logged out with his queues and counts in the
    totals, not among a queue's signed-in agents; Bob (signed in, since deleted) is gone."""
    state = new_state()
    sign_in(state, "ag_ann", T0)
    sign_in(state, "ag_bob", T0)
    roster = {
        "ag_ann": AgentProfile("ag_ann", "Ann", "100", frozenset({"q_1"})),
        "ag_cy": AgentProfile("ag_cy", "Cy", "103", frozenset({"q_1", "q_2"})),
    }
    model = Board().update(snapshot(state, roster), T0 + 1)
    assert [(a["id"], a["state"], a["queue_ids"]) for a in model["agents"]] == [
        ("ag_ann", "available", ["q_1"]),
        ("ag_cy", "logged_out", ["q_1", "q_2"]),
    ]
    cy = model["agents"][1]
    assert (cy["connected"], cy["since"], cy["wrap_up_ends_at"]) == (False, T0 + 1, None)
    assert model["totals"]["agents"]["logged_out"] == 1
    assert next(q for q in model["queues"] if q["id"] == "q_1")["agents_signed_in"] == 1
    # Without one (the sessions only), as before: Bob is there, Cy is not.
    assert [a["id"] for a in Board().update(snapshot(state), T0 + 1)["agents"]] == [
        "ag_ann",
        "ag_bob",
    ]
