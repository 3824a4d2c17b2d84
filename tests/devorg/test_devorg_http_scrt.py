"""SCRT2 Telephony Integration API over HTTP: auth, validation, materialized records."""

from __future__ import annotations

from typing import Any

import pytest

from devorg.testing import ReadyOrg, RunningDevorg, ScrtKeyPair, sign_scrt_jwt

START = "2026-05-20T10:23:45Z"
START_MS = 1779272625000  # START in ms since the epoch


def create_body(key: str = "call-1", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "callCenterApiName": "SIVO_Test",
        "vendorCallKey": key,
        "to": "+14155550000",
        "from": "+14155551212",
        "initiationMethod": "Inbound",
        "startTime": START,
        "participants": [{"participantKey": "+14155551212", "type": "END_USER"}],
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def message(n: int, sender: str = "END_USER") -> dict[str, Any]:
    return {
        "participantId": "x",
        "messageId": f"m{n}",
        "startTime": START_MS + n * 1000,
        "endTime": START_MS + n * 1000 + 500,
        "content": f"utterance {n}",
        "senderType": sender,
    }


class Scrt:
    def __init__(self, sf: RunningDevorg, org: ReadyOrg, keys: ScrtKeyPair) -> None:
        self.sf, self.org, self.keys = sf, org, keys

    def token(self, **kwargs: Any) -> str:
        args = {"org_id15": self.org.org_id15, "call_center": "SIVO_Test", **kwargs}
        return sign_scrt_jwt(self.keys.private_key_pem, **args)

    async def send(
        self, method: str, path: str, body: Any, token: str | None = None
    ) -> tuple[int, Any]:
        headers = {
            "Authorization": f"Bearer {token or self.token()}",
            "Telephony-Provider-Name": "sivo",
        }
        async with self.sf.session.request(
            method, f"{self.sf.scrt_url}/telephony/v1/{path}", json=body, headers=headers
        ) as response:
            return response.status, await response.json()

    async def soql(self, text: str) -> list[dict[str, Any]]:
        async with self.sf.session.get(
            f"{self.sf.base_url}/services/data/v68.0/query",
            params={"q": text},
            headers=self.org.auth,
        ) as response:
            body = await response.json()
            assert response.status == 200, body
            return list(body["records"])


@pytest.fixture
def scrt(sf: RunningDevorg, acme: ReadyOrg, scrt_keys: ScrtKeyPair) -> Scrt:
    return Scrt(sf, acme, scrt_keys)


async def test_create_is_idempotent_and_queryable(scrt: Scrt) -> None:
    status, first = await scrt.send("POST", "voiceCalls", create_body())
    assert status == 200 and first["voiceCallId"].startswith("0LQ") and first["errors"] == []
    _, again = await scrt.send("POST", "voiceCalls", create_body())
    assert again["voiceCallId"] == first["voiceCallId"]
    rows = await scrt.soql(
        "SELECT Id, CallDisposition, FromPhoneNumber, CallStartDateTime "
        "FROM VoiceCall ORDER BY CreatedDate DESC LIMIT 1"
    )
    assert rows[0]["Id"] == first["voiceCallId"]
    assert rows[0]["CallDisposition"] == "new"
    assert rows[0]["FromPhoneNumber"] == "+14155551212"
    assert rows[0]["CallStartDateTime"] == "2026-05-20T10:23:45.000+0000"


@pytest.mark.parametrize(
    "missing",
    [
        "vendorCallKey",
        "callCenterApiName",
        "to",
        "from",
        "initiationMethod",
        "startTime",
        "participants",
    ],
)
async def test_missing_required_field_is_400_naming_it(scrt: Scrt, missing: str) -> None:
    status, body = await scrt.send("POST", "voiceCalls", create_body(**{missing: None}))
    assert status == 400
    assert body["field"] == missing and missing in body["message"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("initiationMethod", "Outbound"),
        ("startTime", "yesterday"),
        ("callOrigin", "Dialer"),
        ("participants", [{"participantKey": "a", "type": "HUMAN_AGENT"}]),
        ("callAttributes", {"not": "a string"}),
        ("callCenterApiName", "Nope"),
    ],
)
async def test_invalid_values_are_400_naming_the_field(scrt: Scrt, field: str, value: Any) -> None:
    status, body = await scrt.send("POST", "voiceCalls", create_body(**{field: value}))
    assert status == 400 and body["field"] == field


async def test_product_doc_message_shape_is_refused(scrt: Scrt) -> None:
    """SIVO's product page body (messageSequenceNumber, ENDUSER, timestamp) is not the API."""
    await scrt.send("POST", "voiceCalls", create_body())
    status, body = await scrt.send(
        "POST",
        "voiceCalls/call-1/messages",
        {
            "messageId": "u1",
            "messageSequenceNumber": 1,
            "senderType": "ENDUSER",
            "content": "Hi",
            "timestamp": START,
        },
    )
    assert status == 400 and body["field"] == "messageSequenceNumber"


async def test_messages_land_in_order_as_conversation_entries(scrt: Scrt) -> None:
    _, created = await scrt.send("POST", "voiceCalls", create_body())
    for n in (1, 2):
        status, body = await scrt.send("POST", "voiceCalls/call-1/messages", message(n))
        assert status == 200 and body == {"result": "Accepted"}
    status, body = await scrt.send(
        "POST",
        "voiceCalls/messages",
        {
            "entries": [
                {"vendorCallKey": "call-1", "messages": [message(3, "HUMAN_AGENT"), message(4)]}
            ]
        },
    )
    assert status == 200
    rows = await scrt.soql(
        "SELECT Id, Message, Seq, ActorType FROM ConversationEntry WHERE "
        f"Conversation.RelatedRecordId = '{created['voiceCallId']}' "
        "ORDER BY Seq"
    )
    assert [r["Message"] for r in rows] == [f"utterance {n}" for n in (1, 2, 3, 4)]
    assert [r["Seq"] for r in rows] == [1, 2, 3, 4]
    assert rows[2]["ActorType"] == "Agent" and rows[0]["ActorType"] == "EndUser"


async def test_messages_need_vendor_call_key_not_voice_call_id(scrt: Scrt) -> None:
    _, created = await scrt.send("POST", "voiceCalls", create_body())
    status, _ = await scrt.send("POST", f"voiceCalls/{created['voiceCallId']}/messages", message(1))
    assert status == 404


async def test_bulk_limit_is_five_calls_by_five_entries(scrt: Scrt) -> None:
    await scrt.send("POST", "voiceCalls", create_body())
    six = {"entries": [{"vendorCallKey": "call-1", "messages": [message(n) for n in range(6)]}]}
    status, body = await scrt.send("POST", "voiceCalls/messages", six)
    assert status == 400 and body["field"] == "entries[0].messages"
    calls = {"entries": [{"vendorCallKey": "call-1", "messages": [message(1)]}] * 6}
    status, body = await scrt.send("POST", "voiceCalls/messages", calls)
    assert status == 400 and body["field"] == "entries"


async def test_missing_message_field_names_it(scrt: Scrt) -> None:
    await scrt.send("POST", "voiceCalls", create_body())
    incomplete = message(1)
    del incomplete["endTime"]
    status, body = await scrt.send("POST", "voiceCalls/call-1/messages", incomplete)
    assert status == 400 and body["field"] == "endTime"


async def test_update_completes_call_and_records_recording(scrt: Scrt) -> None:
    _, created = await scrt.send("POST", "voiceCalls", create_body())
    status, body = await scrt.send(
        "PATCH",
        "voiceCalls/call-1",
        {
            "startTime": START,
            "endTime": "2026-05-20T10:25:45Z",
            "isActiveCall": False,
            "recordingLocation": "https://sivo.example/rec/1.wav",
            "totalRecordingDuration": 118,
            "agent": "ada@acme.test",
        },
    )
    assert status == 200 and body == {"status": "pending"}
    rows = await scrt.soql(
        "SELECT CallDisposition, CallDurationInSeconds, IsRecorded, "
        f"UserId FROM VoiceCall WHERE Id = '{created['voiceCallId']}'"
    )
    assert rows[0]["CallDisposition"] == "completed" and rows[0]["CallDurationInSeconds"] == 120
    assert rows[0]["IsRecorded"] is True and rows[0]["UserId"] == scrt.org.user_id
    recordings = await scrt.soql(
        "SELECT DurationInSeconds, VoiceCall.VendorCallKey FROM VoiceCallRecording"
    )
    assert recordings[0]["DurationInSeconds"] == 118
    assert recordings[0]["VoiceCall"]["VendorCallKey"] == "call-1"


async def test_recording_duration_without_location_is_refused(scrt: Scrt) -> None:
    await scrt.send("POST", "voiceCalls", create_body())
    status, body = await scrt.send("PATCH", "voiceCalls/call-1", {"totalRecordingDuration": 5})
    assert status == 400 and body["field"] == "recordingLocation"


async def test_transfer_leg_links_previous_call(scrt: Scrt) -> None:
    _, parent = await scrt.send("POST", "voiceCalls", create_body())
    _, leg = await scrt.send(
        "POST", "voiceCalls", create_body(initiationMethod="Transfer", parentVoiceCallId="call-1")
    )
    assert leg["voiceCallId"] != parent["voiceCallId"]
    rows = await scrt.soql(
        f"SELECT PreviousCallId FROM VoiceCall WHERE Id = '{leg['voiceCallId']}'"
    )
    assert rows[0]["PreviousCallId"] == parent["voiceCallId"]


async def test_bad_signature_is_refused(scrt: Scrt, other_keys: ScrtKeyPair) -> None:
    forged = sign_scrt_jwt(
        other_keys.private_key_pem, org_id15=scrt.org.org_id15, call_center="SIVO_Test"
    )
    status, body = await scrt.send("POST", "voiceCalls", create_body(), token=forged)
    assert status == 401 and "signature" in body["message"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"org_id15": "00D5g0000000999"},  # wrong issuer
        {"call_center": "Other_Center"},  # wrong subject
        {"lifetime_seconds": -5},  # expired
        {"lifetime_seconds": 2 * 24 * 3600},  # exp beyond 24 h
    ],
)
async def test_wrong_claims_are_refused(scrt: Scrt, kwargs: dict[str, Any]) -> None:
    status, _ = await scrt.send("POST", "voiceCalls", create_body(), token=scrt.token(**kwargs))
    assert status == 401


async def test_18_character_issuer_is_refused(scrt: Scrt) -> None:
    token = scrt.token(org_id15=scrt.org.org_id)
    status, body = await scrt.send("POST", "voiceCalls", create_body(), token=token)
    assert status == 401 and "15-character" in body["message"]


async def test_replayed_jti_is_refused(scrt: Scrt) -> None:
    token = scrt.token(jti="same")
    assert (await scrt.send("POST", "voiceCalls", create_body(), token=token))[0] == 200
    status, body = await scrt.send("POST", "voiceCalls", create_body(), token=token)
    assert status == 401 and "already been used" in body["message"]


async def test_expired_after_clock_advance(scrt: Scrt) -> None:
    token = scrt.token(lifetime_seconds=60, jti=None)
    assert (await scrt.send("POST", "voiceCalls", create_body(), token=token))[0] == 200
    await scrt.sf.control("POST", "clock", {"advanceSeconds": 61})
    assert (await scrt.send("POST", "voiceCalls", create_body(), token=token))[0] == 401


async def test_rate_limit_answers_429(scrt: Scrt) -> None:
    await scrt.sf.control("PUT", "scrt-rate-limit", {"perSecond": 0})
    status, body = await scrt.send("POST", "voiceCalls", create_body())
    assert status == 429 and body["errorCode"] == "LIMIT_EXCEEDED"
    await scrt.sf.control("PUT", "scrt-rate-limit", {"perSecond": 50})
    assert (await scrt.send("POST", "voiceCalls", create_body()))[0] == 200


async def test_other_org_cannot_use_this_call_center(
    sf: RunningDevorg, scrt: Scrt, scrt_keys: ScrtKeyPair
) -> None:
    globex = await sf.setup_org("Globex", "hank@globex.test", certificate=scrt_keys.certificate_pem)
    await scrt.send("POST", "voiceCalls", create_body())
    other = Scrt(sf, globex, scrt_keys)
    assert await other.soql("SELECT Id FROM VoiceCall") == []
    status, _ = await other.send("POST", "voiceCalls/call-1/messages", message(1))
    assert status == 404


async def test_request_log_names_the_provider(scrt: Scrt) -> None:
    await scrt.send("POST", "voiceCalls", create_body())
    logged = [e for e in scrt.sf.devorg.request_log if e["host"] == "scrt"]
    assert logged and logged[-1]["provider"] == "sivo"


async def test_a_later_patch_without_end_time_keeps_the_conversations_end(scrt: Scrt) -> None:
    _, created = await scrt.send("POST", "voiceCalls", create_body())
    end = {"startTime": START, "endTime": "2026-05-20T10:25:45Z", "isActiveCall": False}
    await scrt.send("PATCH", "voiceCalls/call-1", end)
    recording = {"recordingLocation": "https://sivo.example/rec/1.wav", "isActiveCall": False}
    await scrt.send("PATCH", "voiceCalls/call-1", recording)
    (conversation,) = await scrt.soql(
        f"SELECT EndTime FROM Conversation WHERE RelatedRecordId = '{created['voiceCallId']}'"
    )
    assert conversation["EndTime"] == "2026-05-20T10:25:45.000+0000"
    # So a message spoken before the end is still inside the conversation's window.
    status, _ = await scrt.send("POST", "voiceCalls/call-1/messages", message(3))
    assert status == 200
    rows = await scrt.soql(
        "SELECT Message FROM ConversationEntry "
        f"WHERE Conversation.RelatedRecordId = '{created['voiceCallId']}' ORDER BY Seq"
    )
    assert [r["Message"] for r in rows] == ["utterance 3"]
