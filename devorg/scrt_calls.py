"""SCRT2 Telephony Integration API semantics: validate bodies, materialize the records.

Creates, updates and transcripts become VoiceCall, Conversation, ConversationEntry and
VoiceCallRecording records of the org, so that SOQL sees them. Sources, in the Voice guide:
``voice_rest_voicecalls_create.htm`` (create, idempotent by vendorCallKey),
``voice_rest_voicecalls_update.htm`` (update, recording, isActiveCall),
``voice_rest_voicecalls_transcript.htm`` and ``..._transcript_bulk.htm`` (messages).
Pure over the :class:`~devorg.store.Store`: time comes in as ``now``.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from . import ids
from .sftime import format_datetime, from_epoch_ms, parse_datetime, to_epoch_ms
from .store import OrgData, Record, Store

__all__ = ["ScrtRequestError", "add_bulk_messages", "add_messages", "create_call", "update_call"]

logger = logging.getLogger(__name__)

CREATE_REQUIRED = (
    "callCenterApiName",
    "vendorCallKey",
    "to",
    "from",
    "initiationMethod",
    "startTime",
    "participants",
)
CREATE_OPTIONAL = ("parentVoiceCallId", "queue", "callOrigin", "callSubtype", "callAttributes")
UPDATE_FIELDS = (
    "startTime",
    "endTime",
    "enqueueTime",
    "acceptTime",
    "fromNumber",
    "queue",
    "agent",
    "totalHoldDuration",
    "longestHoldDuration",
    "numberOfHolds",
    "agentInteractionDuration",
    "callOrigin",
    "recordingLocation",
    "totalRecordingDuration",
    "callAttributes",
    "isActiveCall",
    "disconnectReason",
)
MESSAGE_FIELDS = ("participantId", "messageId", "startTime", "endTime", "content", "senderType")
INITIATION_METHODS = ("Inbound", "Transfer")  # "Outbound calls aren't supported."
CALL_ORIGINS = ("Preview", "Progressive", "Voicemail")
CALL_SUBTYPES = ("PSTN", "WebRTC")
# senderType -> ConversationEntry.ActorType (Object Reference, ConversationEntry).
SENDER_TYPES = {
    "END_USER": "EndUser",
    "HUMAN_AGENT": "Agent",
    "VIRTUAL_AGENT": "Bot",
    "SUPERVISOR": "Supervisor",
    "EXTERNAL_USER": "EndUser",
}
BULK_MAX_CALLS = 5
BULK_MAX_MESSAGES = 5
WINDOW_TOLERANCE = timedelta(seconds=1)  # Guess: slack on the conversation time window


class ScrtRequestError(Exception):
    """A refused SCRT2 request; ``field`` names the offending body field, if any."""

    def __init__(self, status: int, error_code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.field = field


def _invalid(field: str, message: str) -> ScrtRequestError:
    return ScrtRequestError(400, "INVALID_INPUT", f"{field}: {message}", field)


def _require_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ScrtRequestError(400, "INVALID_INPUT", "request body must be a JSON object")
    return body


def _reject_unknown(body: dict[str, Any], allowed: tuple[str, ...], prefix: str = "") -> None:
    # Guess: unknown fields are refused, so drift from the documented body shows up in tests.
    for name in body:
        if name not in allowed:
            raise _invalid(prefix + name, "unrecognized field")


def _string(body: dict[str, Any], name: str, *, required: bool, prefix: str = "") -> str | None:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise ScrtRequestError(
                400,
                "MISSING_REQUIRED_FIELD",
                f"Required field is missing: {prefix}{name}",
                prefix + name,
            )
        return None
    if not isinstance(value, str):
        raise _invalid(prefix + name, "must be a string")
    return value


def _enum(
    body: dict[str, Any], name: str, allowed: tuple[str, ...], *, required: bool
) -> str | None:
    value = _string(body, name, required=required)
    if value is not None and value not in allowed:
        raise _invalid(name, f"invalid value '{value}'; allowed: {', '.join(allowed)}")
    return value


def _datetime(body: dict[str, Any], name: str, *, required: bool) -> datetime | None:
    value = _string(body, name, required=required)
    if value is None:
        return None
    try:
        return parse_datetime(value)
    except ValueError as exc:
        raise _invalid(name, "must be a UTC ISO-8601 date-time") from exc


def _integer(
    body: dict[str, Any], name: str, *, prefix: str = "", required: bool = False
) -> int | None:
    value = body.get(name)
    if value is None:
        if required:
            raise ScrtRequestError(
                400,
                "MISSING_REQUIRED_FIELD",
                f"Required field is missing: {prefix}{name}",
                prefix + name,
            )
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _invalid(prefix + name, "must be a non-negative integer")
    return value


def _call_attributes(body: dict[str, Any]) -> dict[str, Any]:
    # callAttributes is a JSON-encoded *string* (create and update pages).
    raw = _string(body, "callAttributes", required=False)
    if raw is None:
        return {}
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise _invalid("callAttributes", "must be a JSON-encoded object string") from exc
    if not isinstance(parsed, dict):
        raise _invalid("callAttributes", "must be a JSON-encoded object string")
    return parsed


def _apply_attributes(call: Record, attributes: dict[str, Any]) -> list[str]:
    errors = []
    for name, value in attributes.items():
        if name in call and name not in ("Id", "VendorCallKey", "ConversationId"):
            call[name] = value
        else:
            errors.append(f"No such column '{name}' on sobject of type VoiceCall")
    return errors


def find_call(org: OrgData, key: str) -> Record | None:
    """A VoiceCall by Id (15 or 18 chars) or vendorCallKey (the newest leg with that key)."""
    if ids.is_salesforce_id(key) and key.startswith("0LQ"):
        found = org.get(key)
        return found[1] if found else None
    legs = list(org.find("VoiceCall", VendorCallKey=key))
    return max(legs, key=lambda r: str(r["Id"])) if legs else None


def _first_leg(org: OrgData, vendor_call_key: str) -> Record | None:
    # /messages accepts only the vendorCallKey of the conversation's first VoiceCall.
    return org.first("VoiceCall", VendorCallKey=vendor_call_key, PreviousCallId=None)


def _default_owner(org: OrgData) -> str | None:
    users = sorted(org.find("User", IsActive=True), key=lambda r: str(r["Id"]))
    return str(users[0]["Id"]) if users else None


def create_call(store: Store, org: OrgData, body: Any, now: datetime) -> dict[str, Any]:
    """POST /voiceCalls: returns ``{"voiceCallId", "errors"}``."""
    body = _require_object(body)
    _reject_unknown(body, CREATE_REQUIRED + CREATE_OPTIONAL)
    for name in CREATE_REQUIRED:
        if name != "participants":
            _string(body, name, required=True)
    method = _enum(body, "initiationMethod", INITIATION_METHODS, required=True)
    start = _datetime(body, "startTime", required=True)
    participants = body.get("participants")
    if not participants:
        raise ScrtRequestError(
            400, "MISSING_REQUIRED_FIELD", "Required field is missing: participants", "participants"
        )
    if not isinstance(participants, list) or len(participants) != 1:
        raise _invalid("participants", "must hold exactly one END_USER participant")
    participant = participants[0]
    if not isinstance(participant, dict) or not isinstance(participant.get("participantKey"), str):
        raise _invalid("participants", "participantKey is required")
    if participant.get("type") != "END_USER":
        raise _invalid("participants", "type must be END_USER")
    origin = _enum(body, "callOrigin", CALL_ORIGINS, required=False)
    subtype = _enum(body, "callSubtype", CALL_SUBTYPES, required=False) or "PSTN"
    attributes = _call_attributes(body)
    call_center = org.first("CallCenter", InternalName=body["callCenterApiName"])
    if call_center is None:
        raise _invalid("callCenterApiName", "no call center with this API name")
    key = str(body["vendorCallKey"])
    parent: Record | None = None
    if method == "Transfer":
        parent_key = _string(body, "parentVoiceCallId", required=True)
        parent = find_call(org, str(parent_key))
        if parent is None:
            raise _invalid("parentVoiceCallId", "no VoiceCall with this Id or vendorCallKey")
    existing = org.first(
        "VoiceCall", VendorCallKey=key, PreviousCallId=parent["Id"] if parent else None
    )
    if existing is not None:
        # Idempotent: "nothing is created and its voiceCallId is returned".
        return {"voiceCallId": existing["Id"], "errors": []}
    owner = _default_owner(org)
    if parent is not None:
        conversation_id = parent["ConversationId"]
    else:
        conversation = store.insert(
            org,
            "Conversation",
            {
                "ConversationIdentifier": key,
                "ConversationChannelId": call_center["Id"],
                "StartTime": format_datetime(start or now),
            },
            user_id=owner,
        )
        conversation_id = conversation["Id"]
    call = store.insert(
        org,
        "VoiceCall",
        {
            "VendorCallKey": key,
            "CallType": method,
            "CallDisposition": "new",
            "CallOrigin": origin,
            "CallSubtype": subtype,
            "FromPhoneNumber": body["from"],
            "ToPhoneNumber": body["to"],
            "CallStartDateTime": format_datetime(start or now),
            "CallCenterId": call_center["Id"],
            "ConversationId": conversation_id,
            "PreviousCallId": parent["Id"] if parent else None,
            "QueueName": body.get("queue"),
            "IsRecorded": False,
            "VendorType": "ContactCenter",
            "OwnerId": owner,
        },
        user_id=owner,
    )
    if parent is not None:
        parent["NextCallId"] = call["Id"]
    else:
        conversation_record = org.get(conversation_id)
        if conversation_record is not None:
            conversation_record[1]["RelatedRecordId"] = call["Id"]
    errors = _apply_attributes(call, attributes)
    logger.info("scrt %s: VoiceCall %s created (%s)", key, call["Id"], method)
    if errors:
        return {
            "voiceCallId": call["Id"],
            "errors": [
                "We created your voice call but there were some errors: " + "; ".join(errors)
            ],
        }
    return {"voiceCallId": call["Id"], "errors": []}


def update_call(
    store: Store, org: OrgData, call_center_name: str, key: str, body: Any, now: datetime
) -> dict[str, Any]:
    """PATCH /voiceCalls/{id or vendorCallKey}: returns ``{"status": "pending"}``."""
    body = _require_object(body)
    _reject_unknown(body, UPDATE_FIELDS)
    times = {
        n: _datetime(body, n, required=False)
        for n in ("startTime", "endTime", "enqueueTime", "acceptTime")
    }
    counts = {
        n: _integer(body, n)
        for n in (
            "totalHoldDuration",
            "longestHoldDuration",
            "numberOfHolds",
            "agentInteractionDuration",
            "totalRecordingDuration",
        )
    }
    origin = _enum(body, "callOrigin", CALL_ORIGINS, required=False)
    active = body.get("isActiveCall", False)
    if not isinstance(active, bool):
        raise _invalid("isActiveCall", "must be a boolean")
    recording = _string(body, "recordingLocation", required=False)
    if counts["totalRecordingDuration"] is not None and recording is None:
        # "required when updating any fields related to a recording"
        raise ScrtRequestError(
            400,
            "MISSING_REQUIRED_FIELD",
            "Required field is missing: recordingLocation",
            "recordingLocation",
        )
    reason = body.get("disconnectReason")
    if reason is not None and not (
        isinstance(reason, dict)
        and isinstance(reason.get("value"), str)
        and isinstance(reason.get("isError", False), bool)
    ):
        raise _invalid("disconnectReason", "must be {value: string, isError: boolean}")
    agent: Record | None = None
    if body.get("agent") is not None:
        agent = org.first("User", Username=_string(body, "agent", required=True))
        if agent is None:
            raise _invalid("agent", "no user with this username")
    attributes = _call_attributes(body)
    call = find_call(org, key)
    if call is None:
        # The update "can also create a VoiceCall after the call has ended" (missed calls).
        call_center = org.first("CallCenter", InternalName=call_center_name)
        create_body = {
            "callCenterApiName": call_center_name,
            "vendorCallKey": key,
            "to": "unknown",
            "from": body.get("fromNumber") or "unknown",
            "initiationMethod": "Inbound",
            "startTime": format_datetime(times["startTime"] or now),
            "participants": [{"participantKey": body.get("fromNumber") or key, "type": "END_USER"}],
        }
        if call_center is None or ids.is_salesforce_id(key):
            raise ScrtRequestError(404, "NOT_FOUND", f"No VoiceCall found for {key}")
        created = create_call(store, org, create_body, now)
        call = find_call(org, str(created["voiceCallId"]))
        if call is None:
            raise ScrtRequestError(500, "UNKNOWN_EXCEPTION", "VoiceCall vanished after create")
    changes: Record = {}
    for name, field in (
        ("startTime", "CallStartDateTime"),
        ("endTime", "CallEndDateTime"),
        ("enqueueTime", "CallQueuedDateTime"),
        ("acceptTime", "CallAcceptDateTime"),
    ):
        if times[name] is not None:
            changes[field] = format_datetime(times[name])  # type: ignore[arg-type]
    if times["startTime"] and times["endTime"]:
        # CallDurationInSeconds only when both startTime and endTime are sent.
        changes["CallDurationInSeconds"] = int(
            (times["endTime"] - times["startTime"]).total_seconds()
        )
    if body.get("fromNumber") is not None:
        changes["FromPhoneNumber"] = _string(body, "fromNumber", required=True)
    if body.get("queue") is not None:
        changes["QueueName"] = _string(body, "queue", required=True)
    if agent is not None:
        changes["UserId"] = agent["Id"]
        changes["OwnerId"] = agent["Id"]
    changes["CustomerHoldDuration"] = counts["totalHoldDuration"] or 0
    for name, field in (
        ("longestHoldDuration", "LongestHoldDuration"),
        ("numberOfHolds", "NumberOfHolds"),
    ):
        if counts[name] is not None:
            changes[field] = counts[name]
    if origin is not None:
        changes["CallOrigin"] = origin
    if reason is not None:
        changes["DisconnectReason"] = reason["value"]
    changes["CallDisposition"] = "in-progress" if active else "completed"
    store.update(org, "VoiceCall", call, changes, user_id=call.get("OwnerId"))
    errors = _apply_attributes(call, attributes)
    if recording is not None:
        duration = counts["totalRecordingDuration"]
        if duration is None:
            duration = (counts["agentInteractionDuration"] or 0) + (
                counts["totalHoldDuration"] or 0
            )
        _record_recording(store, org, call, duration, now)
    if not active and call.get("NextCallId") is None:
        # The conversation closes when the call ends and no later leg exists.
        conversation = org.get(str(call["ConversationId"]))
        if conversation is not None:
            # A later PATCH without endTime (the recording's) keeps the time it closed at.
            if times["endTime"] is not None:
                conversation[1]["EndTime"] = format_datetime(times["endTime"])
            elif not conversation[1].get("EndTime"):
                conversation[1]["EndTime"] = format_datetime(now)
    logger.info("scrt %s: VoiceCall %s updated (%s)", key, call["Id"], changes["CallDisposition"])
    if errors:
        logger.info("scrt %s: ignored callAttributes: %s", key, "; ".join(errors))
    return {"status": "pending"}


def _record_recording(
    store: Store, org: OrgData, call: Record, duration: int, now: datetime
) -> None:
    existing = org.first("VoiceCallRecording", VoiceCallId=call["Id"])
    values = {"DurationInSeconds": duration, "UploadDateTime": format_datetime(now)}
    if existing is not None:
        store.update(org, "VoiceCallRecording", existing, values, user_id=call.get("OwnerId"))
        return
    recording = store.insert(
        org,
        "VoiceCallRecording",
        {"VoiceCallId": call["Id"], **values},
        user_id=call.get("OwnerId"),
    )
    call["CallRecordingId"] = recording["Id"]
    call["IsRecorded"] = True


def _validate_message(message: Any, prefix: str) -> dict[str, Any]:
    if not isinstance(message, dict):
        raise _invalid(prefix.rstrip("."), "must be a JSON object")
    _reject_unknown(message, MESSAGE_FIELDS, prefix)
    for name in ("participantId", "messageId", "content", "senderType"):
        _string(message, name, required=True, prefix=prefix)
    if message["senderType"] not in SENDER_TYPES:
        raise _invalid(prefix + "senderType", f"invalid value; allowed: {', '.join(SENDER_TYPES)}")
    start = _integer(message, "startTime", prefix=prefix, required=True)
    end = _integer(message, "endTime", prefix=prefix, required=True)
    if start is not None and end is not None and end < start:
        raise _invalid(prefix + "endTime", "must not be before startTime")
    return message


def _store_message(
    store: Store, org: OrgData, call: Record, message: dict[str, Any], now: datetime
) -> bool:
    conversation_id = str(call["ConversationId"])
    entries = list(org.find("ConversationEntry", ConversationId=conversation_id))
    if any(e["MessageIdentifier"] == message["messageId"] for e in entries):
        return False  # Guess: a repeated messageId is ignored (unique per conversation)
    start = from_epoch_ms(message["startTime"])
    conversation = org.get(conversation_id)
    if conversation is not None:
        # "a message is stored only if it falls inside the conversation's start and end"
        opened = parse_datetime(str(conversation[1]["StartTime"]))
        closed = conversation[1].get("EndTime")
        if start < opened - WINDOW_TOLERANCE or (
            closed and start > parse_datetime(str(closed)) + WINDOW_TOLERANCE
        ):
            logger.info(
                "scrt %s: message %s outside the conversation window, dropped",
                call["VendorCallKey"],
                message["messageId"],
            )
            return False
    sender = message["senderType"]
    key = call["VendorCallKey"]
    # Salesforce rewrites participant ids "for privacy reasons" (transcript page).
    participant = (
        message["participantId"] if sender in ("HUMAN_AGENT", "EXTERNAL_USER") else f"{key}{sender}"
    )
    actor = org.get(participant) if sender == "HUMAN_AGENT" else None
    store.insert(
        org,
        "ConversationEntry",
        {
            "ConversationId": conversation_id,
            "ActorId": actor[1]["Id"] if actor else None,
            "ActorName": actor[1]["Name"] if actor else participant,
            "ActorType": SENDER_TYPES[sender],
            "EntryType": "Text",
            "EntryTime": format_datetime(start),
            "EntryEndTime": format_datetime(from_epoch_ms(message["endTime"])),
            "EntryTimeMilliSecs": message["startTime"],
            "ClientTimestamp": message["startTime"],
            "ClientDuration": message["endTime"] - message["startTime"],
            "ServerReceivedTimestamp": to_epoch_ms(now),
            "Message": message["content"],
            "MessageIdentifier": message["messageId"],
            "MessageStatus": "Sent",
            "Seq": len(entries) + 1,
            "HasAttachments": False,
        },
        user_id=call.get("OwnerId"),
    )
    if call["CallDisposition"] == "new":
        call["CallDisposition"] = "in-progress"
    return True


def add_messages(
    store: Store, org: OrgData, vendor_call_key: str, body: Any, now: datetime
) -> dict[str, Any]:
    """POST /voiceCalls/{vendorCallKey}/messages: one utterance."""
    message = _validate_message(_require_object(body), "")
    call = _first_leg(org, vendor_call_key)
    if call is None:
        raise ScrtRequestError(
            404, "NOT_FOUND", f"No VoiceCall with vendorCallKey {vendor_call_key}"
        )
    _store_message(store, org, call, message, now)
    return {"result": "Accepted"}


def add_bulk_messages(store: Store, org: OrgData, body: Any, now: datetime) -> dict[str, Any]:
    """POST /voiceCalls/messages: at most 5 calls x 5 entries, validated all or nothing."""
    body = _require_object(body)
    _reject_unknown(body, ("entries",))
    entries = body.get("entries")
    if not isinstance(entries, list) or not entries:
        raise ScrtRequestError(
            400, "MISSING_REQUIRED_FIELD", "Required field is missing: entries", "entries"
        )
    if len(entries) > BULK_MAX_CALLS:
        raise _invalid("entries", f"at most {BULK_MAX_CALLS} calls per request")
    planned: list[tuple[Record, list[dict[str, Any]]]] = []
    for position, entry in enumerate(entries):
        prefix = f"entries[{position}]."
        if not isinstance(entry, dict):
            raise _invalid(prefix.rstrip("."), "must be a JSON object")
        _reject_unknown(entry, ("vendorCallKey", "messages"), prefix)
        key = _string(entry, "vendorCallKey", required=True, prefix=prefix)
        messages = entry.get("messages")
        if not isinstance(messages, list) or not messages:
            raise ScrtRequestError(
                400,
                "MISSING_REQUIRED_FIELD",
                f"Required field is missing: {prefix}messages",
                prefix + "messages",
            )
        if len(messages) > BULK_MAX_MESSAGES:
            raise _invalid(prefix + "messages", f"at most {BULK_MAX_MESSAGES} entries per call")
        checked = [_validate_message(m, f"{prefix}messages[{i}].") for i, m in enumerate(messages)]
        call = _first_leg(org, str(key))
        if call is None:
            raise _invalid(prefix + "vendorCallKey", "no VoiceCall with this vendorCallKey")
        planned.append((call, checked))
    for call, messages in planned:
        for message in messages:
            _store_message(store, org, call, message, now)
    return {"result": "Accepted"}
