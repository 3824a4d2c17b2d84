"""Call facts as SCRT2 requests, without I/O: the bodies' exact field names, each ending,
and devorg's own SCRT2 semantics (called in-process) accepting and materializing them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from devorg.scrt_calls import add_bulk_messages, add_messages, create_call, update_call
from devorg.settings import Clock
from devorg.store import OrgData, Store
from server.salesforce.scrt2 import (
    ScrtRequest,
    bulk_request,
    create_request,
    disconnect_reason,
    end_request,
    format_time,
    leg_end_request,
    message_id,
    message_request,
    recording_request,
    transfer_request,
)
from server.salesforce.scrt2_sender import bulk_plan

CENTER = "SIVO_Acme"
CALL = "call_01jd2x8k3q"


def created(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "call_id": CALL,
        "direction": "inbound",
        "from": "+14155551212",
        "to": "+18005550100",
        "queue_id": "q_support",
        "agent_id": None,
        "created_at": "2026-11-21T09:00:00.000Z",
    }
    base.update(over)
    return base


def cdr(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        **created(agent_id="ag_7f3c"),
        "queued_at": "2026-11-21T09:00:00.050Z",
        "answered_at": "2026-11-21T09:00:21.400Z",
        "ended_at": "2026-11-21T09:05:11.400Z",
        "wait_seconds": 21.35,
        "talk_seconds": 290.0,
        "hold_seconds": 12.5,
        "holds": 2,
        "longest_hold_seconds": 9.6,
        "hangup_cause": "normal_clearing",
        "hangup_side": "caller",
        "transfers": [],
        "recording_id": "rec_5b1e",
    }
    base.update(over)
    return base


ABANDONED: dict[str, Any] = {"answered_at": None, "agent_id": None, "talk_seconds": 0.0}
ABANDONED |= {"hold_seconds": 0.0, "holds": 0, "longest_hold_seconds": 0.0}
ABANDONED |= {"hangup_cause": "abandoned", "hangup_side": "caller"}


def test_inbound_create_uses_the_guides_field_names() -> None:
    request = create_request(created(), call_center=CENTER)
    assert request is not None and request.method == "POST"
    assert request.path() == "/telephony/v1/voiceCalls"
    assert request.body.body() == {
        "callCenterApiName": CENTER,
        "vendorCallKey": CALL,
        "to": "+18005550100",
        "from": "+14155551212",
        "initiationMethod": "Inbound",
        "startTime": "2026-11-21T09:00:00Z",
        "participants": [{"participantKey": "+14155551212", "type": "END_USER"}],
        "callSubtype": "WebRTC",
    }


def test_outbound_calls_send_nothing() -> None:
    assert create_request(created(direction="outbound"), call_center=CENTER) is None


def test_pstn_caller_and_times_in_other_offsets() -> None:
    request = create_request(
        created(created_at="2026-11-21T10:00:00.999+01:00"), call_center=CENTER, web_caller=False
    )
    assert request is not None
    body = request.body.body()
    assert body["callSubtype"] == "PSTN" and body["startTime"] == "2026-11-21T09:00:00Z"
    assert format_time(None) is None


def test_transfer_leg_names_its_parent_and_queue() -> None:
    transfer = {"type": "blind", "to_type": "queue", "to_id": "q_b", "at": "2026-11-21T09:03:02Z"}
    body = transfer_request(
        created(), transfer, call_center=CENTER, parent_voice_call_id="0LQ000000000001", queue="B"
    ).body.body()
    assert body["initiationMethod"] == "Transfer" and body["parentVoiceCallId"] == "0LQ000000000001"
    assert body["from"] == body["to"] == "+18005550100" and body["queue"] == "B"
    assert body["startTime"] == "2026-11-21T09:03:02Z" and body["vendorCallKey"] == CALL
    to_agent = {**transfer, "to_type": "agent", "to_id": "ag_2"}
    leg = transfer_request(created(), to_agent, call_center=CENTER, parent_voice_call_id="x")
    assert "queue" not in leg.body.body()


def test_answered_end_is_the_final_patch() -> None:
    request = end_request(cdr(), agent_username="ada@acme.test", queue="Support")
    assert request.method == "PATCH"
    assert request.path("0LQ000000000001") == "/telephony/v1/voiceCalls/0LQ000000000001"
    assert request.body.body() == {
        "startTime": "2026-11-21T09:00:00Z",
        "endTime": "2026-11-21T09:05:11Z",
        "enqueueTime": "2026-11-21T09:00:00Z",
        "acceptTime": "2026-11-21T09:00:21Z",
        "queue": "Support",
        "agent": "ada@acme.test",
        "totalHoldDuration": 12,
        "longestHoldDuration": 10,
        "numberOfHolds": 2,
        "agentInteractionDuration": 278,
        "isActiveCall": False,
        "disconnectReason": {"value": "CUSTOMER_DISCONNECT", "isError": False},
    }
    with pytest.raises(ValueError):
        request.path(None)


@pytest.mark.parametrize("over", [ABANDONED, {**ABANDONED, "agent_id": "ag_rung"}])
def test_abandoned_and_missed_end_without_accept_or_agent(over: dict[str, Any]) -> None:
    body = end_request(cdr(**over), agent_username="rung@acme.test").body.body()
    assert "acceptTime" not in body and "agent" not in body
    assert body["agentInteractionDuration"] == 0 and body["isActiveCall"] is False
    assert body["endTime"] == "2026-11-21T09:05:11Z"


@pytest.mark.parametrize(
    ("cause", "side", "value", "is_error"),
    [
        ("normal_clearing", "agent", "AGENT_DISCONNECT", False),
        ("media_failed", "system", "TELECOM_PROBLEM", True),
        ("max_wait_exceeded", "system", "CONTACT_FLOW_DISCONNECT", False),
        ("odd", "system", "OTHER", False),
    ],
)
def test_disconnect_reasons(cause: str, side: str, value: str, is_error: bool) -> None:
    reason = disconnect_reason(cdr(hangup_cause=cause, hangup_side=side))
    assert (reason.value, reason.isError) == (value, is_error)


def test_recording_patch_repeats_the_counters() -> None:
    recorded = {"call_id": CALL, "recording_id": "rec_5b1e", "url": "https://h/r.wav?sig=1"}
    body = recording_request({**recorded, "duration_seconds": 290.4}, cdr()).body.body()
    assert body == {
        "recordingLocation": "https://h/r.wav?sig=1",
        "totalRecordingDuration": 290,
        "totalHoldDuration": 12,
        "longestHoldDuration": 10,
        "numberOfHolds": 2,
        "agentInteractionDuration": 278,
        "isActiveCall": False,
    }


def test_a_cdr_from_before_hold_counts_sends_no_hold_counts() -> None:
    older = cdr()
    del older["holds"], older["longest_hold_seconds"]
    body = end_request(older).body.body()
    assert "numberOfHolds" not in body and "longestHoldDuration" not in body
    assert body["totalHoldDuration"] == 12


def test_the_leg_a_transfer_left_ends_at_the_transfer() -> None:
    body = leg_end_request({"at": "2026-11-21T09:03:02.250Z"}).body.body()
    assert body == {"endTime": "2026-11-21T09:03:02Z", "isActiveCall": False}


# -- devorg's SCRT2 semantics take these bodies as Salesforce would --------------------------


def _org() -> tuple[Store, OrgData]:
    store = Store(Clock())
    org = store.create_org("Acme", is_sandbox=False)
    store.insert(org, "CallCenter", {"InternalName": CENTER, "Name": "SIVO"}, user_id=None)
    store.insert(org, "User", {"Username": "ada@acme.test", "IsActive": True}, user_id=None)
    return store, org


def _send(store: Store, org: OrgData, request: ScrtRequest, call_id: str = "") -> Any:
    body = request.body.body()
    now = datetime(2026, 11, 21, 9, 6, tzinfo=UTC)
    if request.method == "POST":
        return create_call(store, org, body, now)
    return update_call(store, org, CENTER, call_id, body, now)


def test_devorg_materializes_the_call_from_create_to_recording() -> None:
    store, org = _org()
    create = create_request(created(), call_center=CENTER)
    assert create is not None
    voice_call_id = _send(store, org, create)["voiceCallId"]
    call = org.first("VoiceCall", Id=voice_call_id)
    assert call is not None and call["CallDisposition"] == "new"
    _send(store, org, end_request(cdr(), agent_username="ada@acme.test"), voice_call_id)
    recorded = {"url": "https://h/r.wav", "duration_seconds": 290.0}
    _send(store, org, recording_request(recorded, cdr()), voice_call_id)
    assert call["CallDisposition"] == "completed" and call["CallDurationInSeconds"] == 311
    assert call["CustomerHoldDuration"] == 12 and call["DisconnectReason"] == "CUSTOMER_DISCONNECT"
    assert call["CallAcceptDateTime"] is not None and call["IsRecorded"] in (True, False)
    assert org.first("VoiceCallRecording", VoiceCallId=voice_call_id) is not None


def test_devorg_links_the_transfer_leg_to_its_parent() -> None:
    store, org = _org()
    create = create_request(created(), call_center=CENTER)
    assert create is not None
    parent = _send(store, org, create)["voiceCallId"]
    transfer = {"type": "blind", "to_type": "queue", "to_id": "q_b", "at": "2026-11-21T09:03:02Z"}
    leg = transfer_request(created(), transfer, call_center=CENTER, parent_voice_call_id=parent)
    child = _send(store, org, leg)["voiceCallId"]
    assert child != parent
    child_row = org.first("VoiceCall", Id=child)
    assert child_row is not None and child_row["PreviousCallId"] == parent
    assert child_row["CallType"] == "Transfer"


def segment(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "call_id": CALL,
        "segment_id": "seg_0004",
        "speaker": "caller",
        "text": "I'd like to change the delivery address.",
        "start_seconds": 1.24,
        "end_seconds": 3.5,
        "started_at": "2026-11-21T09:00:01.240Z",
        "ended_at": "2026-11-21T09:00:03.500Z",
        "confidence": 0.8,
        "is_final": True,
        "language": "en-US",
    }
    base.update(over)
    return base


def test_a_callers_segment_is_an_end_user_message() -> None:
    request = message_request(segment())
    assert request.method == "POST"
    assert request.path() == f"/telephony/v1/voiceCalls/{CALL}/messages"
    assert request.body.body() == {
        "participantId": f"{CALL}END_USER",
        "messageId": "seg_0004",
        "startTime": 1795251601240,
        "endTime": 1795251603500,
        "content": "I'd like to change the delivery address.",
        "senderType": "END_USER",
    }


def test_an_agents_segment_is_a_human_agent_message_by_user_id() -> None:
    request = message_request(
        segment(speaker="agent", agent_id="agt_1"), agent_user_id="005AAAAAAAAAAAAAAA"
    )
    body = request.body.body()
    assert body["participantId"] == "005AAAAAAAAAAAAAAA" and body["senderType"] == "HUMAN_AGENT"
    with pytest.raises(ValueError):
        message_request(segment(speaker="agent", agent_id="agt_1"))


def test_segment_times_from_offsets_and_long_ids() -> None:
    bare = segment(started_at=None, ended_at=None)
    body = message_request(bare, call_created_at="2026-11-21T09:00:00.000Z").body.body()
    assert (body["startTime"], body["endTime"]) == (1795251601240, 1795251603500)
    with pytest.raises(ValueError):
        message_request(bare)
    long = "seg_" + "x" * 36  # 40 characters: MessageIdentifier holds 36
    assert len(message_id(long)) == 36 and message_id(long) == message_id(long)
    assert message_id("seg_0004") == "seg_0004"


def test_bulk_request_holds_at_most_five_calls_of_five() -> None:
    one = message_request(segment()).body.body()
    request = bulk_request([("call_a", [one, one]), ("call_b", [one])])
    assert request.path() == "/telephony/v1/voiceCalls/messages"
    body = request.body.body()
    assert [e["vendorCallKey"] for e in body["entries"]] == ["call_a", "call_b"]
    assert body["entries"][0]["messages"] == [one, one]
    with pytest.raises(ValueError):
        bulk_request([("call_a", [one] * 6)])
    with pytest.raises(ValueError):
        bulk_request([(f"call_{i}", [one]) for i in range(6)])


def _row(request_id: int, call_id: str, kind: str = "message", due_at: float = 0.0) -> Any:
    return {"id": request_id, "call_id": call_id, "kind": kind, "due_at": due_at}


def _ids(plan: list[tuple[str, list[Any]]]) -> list[tuple[str, list[int]]]:
    return [(call, [r["id"] for r in rows]) for call, rows in plan]


def test_bulk_plan_takes_the_heads_of_other_lanes_in_order() -> None:
    due = [
        _row(1, "a"),
        _row(2, "b"),
        _row(3, "a"),
        _row(4, "c", "end"),  # c's head is no message: c waits
        _row(5, "c"),
        _row(6, "b"),
        _row(7, "a", "end"),  # a's run stops here
        _row(8, "a"),
        _row(9, "d", due_at=50.0),  # d's head backs off until 50
    ]
    plan = bulk_plan(due[0], due, now=10.0)
    assert _ids(plan) == [("a", [1, 3]), ("b", [2, 6])]
    assert _ids(bulk_plan(due[0], due, claimed={2}, now=10.0)) == [("a", [1, 3])]
    # b's head was delivered, its write not yet made: b's next message heads it
    assert _ids(bulk_plan(due[0], due, delivered={2}, now=10.0)) == [("a", [1, 3]), ("b", [6])]
    assert _ids(bulk_plan(due[0], due, now=60.0))[-1] == ("d", [9])


def test_bulk_plan_caps_and_a_row_not_at_its_head_goes_alone() -> None:
    due = [_row(i, f"call_{i % 7}") for i in range(1, 71)]
    plan = bulk_plan(due[0], due, now=0.0)
    assert len(plan) == 5 and all(len(rows) == 5 for _, rows in plan)
    assert _ids(plan)[0] == ("call_1", [1, 8, 15, 22, 29])
    assert _ids(bulk_plan(due[7], due, now=0.0)) == [("call_1", [8])]


def test_devorg_stores_messages_single_and_bulk_in_order() -> None:
    store, org = _org()
    create = create_request(created(), call_center=CENTER)
    assert create is not None
    voice_call_id = _send(store, org, create)["voiceCallId"]
    now = datetime(2026, 11, 21, 9, 0, 5, tzinfo=UTC)
    first = message_request(segment())
    assert add_messages(store, org, CALL, first.body.body(), now) == {"result": "Accepted"}
    later = [
        message_request(segment(segment_id=f"seg_{i}", text=f"t{i}")).body.body() for i in (5, 6)
    ]
    assert add_bulk_messages(store, org, bulk_request([(CALL, later)]).body.body(), now) == {
        "result": "Accepted"
    }
    call = org.first("VoiceCall", Id=voice_call_id)
    assert call is not None
    entries = sorted(
        org.find("ConversationEntry", ConversationId=call["ConversationId"]),
        key=lambda e: e["Seq"],
    )
    assert [e["Message"] for e in entries] == [
        "I'd like to change the delivery address.",
        "t5",
        "t6",
    ]
    assert {e["ActorType"] for e in entries} == {"EndUser"}
