"""A call as one Task, without I/O: which calls get one and whose it is, the fields, how
annotations merge, the look-up SOQL no id can break out of, and what each answer means."""

from __future__ import annotations

from typing import Any

import pytest

from devorg.soql_parser import Comparison, parse_soql
from server.delivery import parse_retry_after
from server.salesforce.task_due import MAX_ATTEMPTS, Ended, WrapUpOver, plan, retry_at
from server.salesforce.tasks import (
    MAX_NOTES,
    Annotations,
    CallFacts,
    Drop,
    Fail,
    Retry,
    find_task_soql,
    is_salesforce_id,
    kind_of,
    merge,
    owner_of,
    soql_string,
    task_fields,
    verdict,
    who_or_what,
)

CONTACT, CONTACT2, ACCOUNT, CASE = (
    "003000000000001AAA",
    "0030000000000029",
    "001000000000001",
    "500000000000001",
)


def cdr(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "call_id": "call_01jd2x8k3q",
        "direction": "inbound",
        "from": "+14155551212",
        "to": "+18005550100",
        "queue_id": "q_support",
        "agent_id": "ag_bo",
        "created_at": "2026-11-21T23:59:58.000Z",
        "queued_at": "2026-11-21T23:59:58.050Z",
        "answered_at": "2026-11-22T00:00:19.400Z",
        "ended_at": "2026-11-22T00:05:09.400Z",
        "wait_seconds": 21.35,
        "talk_seconds": 290.4,
        "hold_seconds": 12.5,
        "hangup_cause": "normal_clearing",
        "hangup_side": "caller",
        "transfers": [],
        "recording_id": "rec_5b1e",
    }
    base.update(over)
    return base


MISSED = cdr(agent_id=None, answered_at=None, talk_seconds=0.0, hangup_cause="abandoned")


# -- which calls, whose ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "rung", "kind", "owner"),
    [
        (cdr(), None, "answered", "ag_bo"),
        (cdr(transfers=[{"type": "blind"}], agent_id="ag_cy"), "ag_cy", "answered", "ag_cy"),
        (MISSED, "ag_bo", "missed", "ag_bo"),
        (MISSED, None, None, None),  # abandoned in the queue: nobody rang, nobody owns it
        (
            cdr(direction="outbound", answered_at=None, hangup_cause="no_answer"),
            None,
            "unanswered",
            "ag_bo",
        ),
        (
            cdr(direction="outbound", answered_at=None, hangup_cause="declined"),
            None,
            "unanswered",
            "ag_bo",
        ),
        (cdr(direction="outbound", answered_at=None, hangup_cause="no_route"), None, None, None),
        (cdr(direction="outbound", answered_at=None, hangup_cause="busy"), None, None, None),
    ],
)
def test_which_calls_get_a_task_and_whose(
    data: dict[str, Any], rung: str | None, kind: str | None, owner: str | None
) -> None:
    facts = CallFacts.from_cdr(data)
    assert kind_of(facts, rung) == kind
    assert owner_of(facts, rung) == owner


# -- the fields --------------------------------------------------------------------------------


def test_an_answered_call_is_a_completed_call_task() -> None:
    notes = Annotations(
        who_id=CONTACT, who_source="pop", notes="Wants a callback.", disposition="Resolved"
    )
    fields = task_fields(
        CallFacts.from_cdr(cdr()),
        notes,
        kind="answered",
        owner_user_id="005000000000001AAA",
        recording_url="https://sivo.example.com/admin/recordings/rec_5b1e",
    )
    assert fields.body() == {
        "Subject": "Call from +14155551212",
        "TaskSubtype": "Call",
        "CallType": "Inbound",
        "CallDurationInSeconds": 290,
        "CallObject": "call_01jd2x8k3q",
        "CallDisposition": "Resolved",
        "Status": "Completed",
        "ActivityDate": "2026-11-21",  # the day the call started, UTC
        "OwnerId": "005000000000001AAA",
        "WhoId": CONTACT,
        "Description": "Wants a callback.\n\n"
        "Recording: https://sivo.example.com/admin/recordings/rec_5b1e",
    }
    assert "Type" not in fields.body()  # hidden in some orgs: it would lose the whole Task


def test_a_missed_call_says_so_and_lasts_nothing() -> None:
    fields = task_fields(
        CallFacts.from_cdr(MISSED),
        Annotations(),
        kind="missed",
        owner_user_id=None,
        recording_url=None,
    )
    assert fields.Subject == "Missed call from +14155551212"
    assert fields.CallDisposition == "Missed" and fields.CallDurationInSeconds == 0
    assert fields.Description == "Missed: the caller waited 21 s (abandoned)."
    assert "OwnerId" not in fields.body()


def test_an_unanswered_outbound_call_keeps_the_agents_disposition() -> None:
    facts = CallFacts.from_cdr(
        cdr(direction="outbound", answered_at=None, hangup_cause="no_answer", recording_id=None)
    )
    plain = task_fields(
        facts, Annotations(), kind="unanswered", owner_user_id=None, recording_url="x"
    )
    assert plain.CallType == "Outbound" and plain.Subject == "Unanswered call to +18005550100"
    assert plain.CallDisposition == "No Answer" and plain.Description == "Not answered (no_answer)."
    chosen = task_fields(
        facts,
        Annotations(disposition="Left voicemail"),
        kind="unanswered",
        owner_user_id=None,
        recording_url=None,
    )
    assert chosen.CallDisposition == "Left voicemail"


def test_notes_are_bounded_and_the_body_can_leave_refused_fields_out() -> None:
    fields = task_fields(
        CallFacts.from_cdr(cdr(transfers=[{}, {}])),
        Annotations(who_id=CONTACT, what_id=CASE, notes="x" * 40_000),
        kind="answered",
        owner_user_id="005000000000001",
        recording_url="https://s/admin/recordings/rec_5b1e",
    )
    assert fields.Description is not None and len(fields.Description) <= 32_000
    assert fields.Description.startswith("Transferred 2 times.\n\n" + "x" * 10)
    assert fields.Description.count("x") == MAX_NOTES
    assert fields.Description.endswith("Recording: https://s/admin/recordings/rec_5b1e")
    body = fields.body(without=frozenset({"WhoId", "OwnerId"}))
    assert "WhoId" not in body and "OwnerId" not in body and body["WhatId"] == CASE


# -- annotations -------------------------------------------------------------------------------


def test_a_suggestion_never_overrides_the_agent() -> None:
    picked = merge(Annotations(), source="chooser", who_id=CONTACT2)
    assert merge(picked, source="pop", who_id=CONTACT).who_id == CONTACT2
    clicked = merge(Annotations(), source="clicked", what_id=ACCOUNT)
    assert merge(clicked, source="navigation", what_id=CASE).what_id == ACCOUNT
    assert merge(clicked, source="chooser", what_id=CASE).what_id == CASE


def test_a_pick_replaces_the_whole_suggestion() -> None:
    popped = merge(Annotations(), source="pop", who_id=CONTACT, what_id=CASE)
    picked = merge(popped, source="chooser", who_id=CONTACT2)
    assert (picked.who_id, picked.who_source) == (CONTACT2, "chooser")
    assert (picked.what_id, picked.what_source) == (None, None)
    # the page the agent is on adds to what the pop found, and replaces nothing stronger
    visited = merge(popped, source="navigation", what_id=ACCOUNT)
    assert (visited.who_id, visited.what_id) == (CONTACT, ACCOUNT)


def test_none_leaves_a_field_and_empty_clears_it() -> None:
    a = merge(Annotations(), source="chooser", who_id=CONTACT, notes="n", disposition="Resolved")
    assert merge(a, source="chooser") == a
    cleared = merge(a, source="chooser", who_id="", notes="", disposition="")
    assert cleared == Annotations()


@pytest.mark.parametrize(
    ("record_id", "object_type", "field"),
    [
        (CONTACT, "Contact", "who"),
        ("00Q000000000001", "Lead", "who"),
        (ACCOUNT, "Account", "what"),
        (CASE, "Case", "what"),
        ("006000000000001", "Opportunity", "what"),
        (CONTACT, None, "who"),
        ("00Q000000000001", None, "who"),
        (ACCOUNT, None, "what"),
    ],
)
def test_contacts_and_leads_are_who_the_rest_what(
    record_id: str, object_type: str | None, field: str
) -> None:
    assert who_or_what(record_id, object_type) == field


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (CONTACT, True),
        (ACCOUNT, True),
        ("00300000000000", False),
        ("003' OR Id != '", False),
        ("0030000000000011234", False),
        ("", False),
        ("003000000000001\n", False),
    ],
)
def test_record_ids_are_15_or_18_letters_and_digits(value: str, ok: bool) -> None:
    assert is_salesforce_id(value) is ok


# -- the look-up -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "hostile", ["call_1", "x' OR CallObject != '", "a\\' OR Id != null --", 'q"\n\r\t\b\f']
)
def test_the_lookup_keeps_any_id_one_literal(hostile: str) -> None:
    query = parse_soql(find_task_soql(hostile))
    assert query.object_name == "Task"
    assert query.limit == 1
    assert soql_string(hostile).startswith("'") and soql_string(hostile).endswith("'")
    assert isinstance(query.where, Comparison) and query.where.path == ("CallObject",)
    assert query.where.value.value == hostile


# -- what answers mean -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "fields", "retry_after", "expected"),
    [
        (0, "UNREACHABLE", frozenset(), None, Retry("0 UNREACHABLE")),
        (503, "SERVER_UNAVAILABLE", frozenset(), None, Retry("503 SERVER_UNAVAILABLE")),
        (429, "REQUEST_LIMIT_EXCEEDED", frozenset(), 7.0, Retry("429 REQUEST_LIMIT_EXCEEDED", 7.0)),
        (
            403,
            "REQUEST_LIMIT_EXCEEDED",
            frozenset(),
            None,
            Retry("403 REQUEST_LIMIT_EXCEEDED", 3600.0),
        ),
        (
            400,
            "ENTITY_IS_DELETED",
            frozenset({"WhoId"}),
            None,
            Drop(frozenset({"WhoId"}), "400 ENTITY_IS_DELETED"),
        ),
        (
            400,
            "INVALID_CROSS_REFERENCE_KEY",
            frozenset({"WhatId", "Subject"}),
            None,
            Drop(frozenset({"WhatId"}), "400 INVALID_CROSS_REFERENCE_KEY"),
        ),
        (
            400,
            "INACTIVE_OWNER_OR_USER",
            frozenset(),
            None,
            Drop(frozenset({"OwnerId"}), "400 INACTIVE_OWNER_OR_USER"),
        ),
        (
            400,
            "ENTITY_IS_DELETED",
            frozenset(),
            None,
            Drop(frozenset({"WhoId", "WhatId"}), "400 ENTITY_IS_DELETED"),
        ),
        (400, "INVALID_FIELD", frozenset({"CallDisposition"}), None, Fail("400 INVALID_FIELD")),
        (403, "INSUFFICIENT_ACCESS", frozenset(), None, Fail("403 INSUFFICIENT_ACCESS")),
    ],
)
def test_what_each_answer_means(
    status: int, code: str, fields: frozenset[str], retry_after: float | None, expected: object
) -> None:
    assert verdict(status, code, fields, retry_after) == expected


def test_retry_after_is_seconds_or_a_date() -> None:
    assert parse_retry_after("12", 0.0) == 12.0
    assert parse_retry_after("Thu, 01 Jan 1970 00:01:40 GMT", 40.0) == 60.0
    assert parse_retry_after("soon", 0.0) is None
    assert parse_retry_after(None, 0.0) is None


# -- when a Task is due ------------------------------------------------------------------------


def _status(agent: str, previous: str, status: str, tenant: str = "tn_a") -> Any:
    data = {"agent_id": agent, "previous_status": previous, "status": status}
    return (tenant, "agent.status_changed", data)


def _ended(agent: str | None, tenant: str = "tn_a", call: str = "call_1") -> Any:
    return (tenant, "call.ended", cdr(call_id=call, agent_id=agent))


def _owner(tenant: str, data: Any) -> str | None:
    return data.get("agent_id")


def test_a_call_whose_agent_goes_into_wrap_up_waits_for_it() -> None:
    steps = plan([_ended("ag_bo"), _status("ag_bo", "on_call", "after_call_work")], _owner)
    assert steps == [Ended("tn_a", cdr(call_id="call_1"), "ag_bo", True)]
    over = plan([_status("ag_bo", "after_call_work", "available")], _owner)
    assert over == [WrapUpOver("tn_a", "ag_bo")]


@pytest.mark.parametrize(
    "after",
    [
        [_status("ag_bo", "on_call", "available")],  # no wrap-up seconds
        [],  # the owner was not on the call any more (it took a transfer away)
        [_status("ag_bo", "on_call", "after_call_work", tenant="tn_b")],  # another tenant's
        [_status("ag_cy", "on_call", "after_call_work")],  # another agent's wrap-up
    ],
)
def test_otherwise_the_task_is_due_at_the_end(after: list[Any]) -> None:
    (first, *_) = plan([_ended("ag_bo"), *after], _owner)
    assert isinstance(first, Ended) and first.wraps is False


def test_wrap_up_ends_whatever_comes_next_and_an_unowned_call_is_reported_too() -> None:
    steps = plan(
        [
            _ended(None, call="call_0"),
            _ended("ag_bo"),
            _status("ag_bo", "on_call", "after_call_work"),
            _status("ag_bo", "after_call_work", "logged_out"),  # the grace period ran out
            _status("ag_cy", "after_call_work", "on_call"),  # dialed out during wrap-up
            _status("ag_dee", "available", "on_call"),
        ],
        _owner,
    )
    assert [type(s).__name__ for s in steps] == ["Ended", "Ended", "WrapUpOver", "WrapUpOver"]
    assert steps[0] == Ended("tn_a", cdr(call_id="call_0", agent_id=None), None, False)
    assert [s.agent_id for s in steps[2:] if isinstance(s, WrapUpOver)] == ["ag_bo", "ag_cy"]


def test_retries_back_off_honour_retry_after_and_end() -> None:
    assert retry_at(attempts=1, now=100.0, jitter=0.0, retry_after_s=None) == 110.0
    assert retry_at(attempts=2, now=100.0, jitter=0.5, retry_after_s=None) == 131.5
    assert retry_at(attempts=9, now=0.0, jitter=0.0, retry_after_s=None) == 3600.0
    assert retry_at(attempts=1, now=0.0, jitter=0.0, retry_after_s=120.0) == 120.0
    assert retry_at(attempts=1, now=0.0, jitter=0.0, retry_after_s=10**9) == 86400.0
    assert retry_at(attempts=MAX_ATTEMPTS, now=0.0, jitter=0.0, retry_after_s=None) is None
