"""SIVO's call facts as SCRT2 Telephony Integration API requests (pure: no I/O, no clock).

::

    call.created (inbound) ──create_request──> POST  /telephony/v1/voiceCalls   (Inbound)
    call.created (outbound) ─> None: "Outbound calls aren't supported" (the Task records it)
    call.transferred ───────transfer_request─> POST  /telephony/v1/voiceCalls   (Transfer)
    call.ended (the CDR) ────end_request─────> PATCH /telephony/v1/voiceCalls/{voiceCallId}
    call.recorded + the CDR ─recording_request> PATCH /telephony/v1/voiceCalls/{voiceCallId}
    transcript.segment ──────message_request──> POST  /telephony/v1/voiceCalls/{key}/messages
    a backlog of messages ───bulk_request─────> POST  /telephony/v1/voiceCalls/messages

Field names follow the Voice guide (``../shared/reference/salesforce.md`` §2.7, §2.8), not
the product page. Every SIVO inbound call comes from a web phone (WebRTC through the
server), so ``callSubtype`` is ``WebRTC`` unless the caller says otherwise.

What an admin sees in ``VoiceCall.CallDisposition`` ("Call Status"; ``CallStatus`` is
internal to Salesforce and SIVO never sets it):

- ``new`` from the create until the call ends (SIVO sends no ``isActiveCall: true``
  PATCH: the update is "called once", at the end);
- ``completed`` after the final PATCH (``isActiveCall`` false), for every ending:
  answered, abandoned in the queue (no ``acceptTime``, no ``agent``, interaction 0),
  missed (rang an agent who never answered: the same, the rung agent is not the call's
  agent), overflowed or failed. ``DisconnectReason`` says how it ended (below), and
  ``CallAcceptDateTime`` being empty is how a report finds the unanswered ones.

A transfer is a new leg (a child VoiceCall with the same ``vendorCallKey``, linked by
``parentVoiceCallId``), then a PATCH ends the leg before it (``completed`` at the transfer's
time; its conversation stays open, since it has a NextCallId); the final PATCH goes to the
call's last leg. The recording PATCH
repeats the end's hold and interaction counters: Salesforce overwrites them on every
PATCH ("Don't run this API call more than one time"), so repeating the same values keeps
them. ``recordingLocation`` is SIVO's pre-signed recording URL as ``call.recorded`` gives
it; it expires (``expires_at``), a limit the docs state.

``numberOfHolds`` and ``longestHoldDuration`` come from the CDR's ``holds`` and
``longest_hold_seconds`` (a CDR written before they existed sends neither).

A transcript segment is one message (§2.9): ``messageId`` the segment id, ``startTime`` and
``endTime`` its wall-clock times in ms since the epoch, ``content`` its text; the caller is
``END_USER`` (``{vendorCallKey}END_USER``), the agent ``HUMAN_AGENT`` with its Salesforce
User Id. The path key is SIVO's call id, the vendorCallKey of the call's first leg (§2.5).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "API_PREFIX",
    "BULK_MAX_CALLS",
    "BULK_MAX_MESSAGES",
    "BulkEntry",
    "BulkMessages",
    "DisconnectReason",
    "Participant",
    "ScrtRequest",
    "TranscriptMessage",
    "VoiceCallCreate",
    "VoiceCallUpdate",
    "bulk_request",
    "create_request",
    "disconnect_reason",
    "end_request",
    "epoch_ms",
    "format_time",
    "leg_end_request",
    "message_id",
    "message_request",
    "recording_request",
    "transfer_request",
]

API_PREFIX = "/telephony/v1"
END_USER: Literal["END_USER"] = "END_USER"
BULK_MAX_CALLS = 5  # "at most 5 calls x 5 entries" (voice_rest_voicecalls_transcript_bulk)
BULK_MAX_MESSAGES = 5
MESSAGE_ID_MAX = 36  # ConversationEntry.MessageIdentifier holds 36 characters
CONTENT_MAX = 131_072  # ConversationEntry.Message

# Guess: Salesforce documents only TELECOM_PROBLEM and CALLBACK; the rest are Amazon
# Connect's disconnect reasons, which SCV writes through unchanged to DisconnectReason.
_BY_SIDE = {"caller": "CUSTOMER_DISCONNECT", "agent": "AGENT_DISCONNECT"}
_BY_CAUSE = {
    "media_failed": ("TELECOM_PROBLEM", True),
    "max_wait_exceeded": ("CONTACT_FLOW_DISCONNECT", False),
    "no_answer": ("CONTACT_FLOW_DISCONNECT", False),
}


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def body(self) -> dict[str, Any]:
        """The JSON body: Salesforce's names, unset optional fields left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Participant(_Body):
    participantKey: str
    type: Literal["END_USER"] = END_USER


class VoiceCallCreate(_Body):
    """``POST /voiceCalls`` (``voice_rest_voicecalls_create.htm``)."""

    callCenterApiName: str
    vendorCallKey: str
    to: str
    from_: str = Field(serialization_alias="from")
    initiationMethod: Literal["Inbound", "Transfer"]
    startTime: str
    participants: tuple[Participant, ...]
    parentVoiceCallId: str | None = None
    queue: str | None = None
    callSubtype: Literal["PSTN", "WebRTC"] | None = None


class DisconnectReason(_Body):
    value: str
    isError: bool


class VoiceCallUpdate(_Body):
    """``PATCH /voiceCalls/{CALL ID}`` (``voice_rest_voicecalls_update.htm``)."""

    startTime: str | None = None
    endTime: str | None = None
    enqueueTime: str | None = None
    acceptTime: str | None = None
    queue: str | None = None
    agent: str | None = None
    totalHoldDuration: int | None = None
    longestHoldDuration: int | None = None
    numberOfHolds: int | None = None
    agentInteractionDuration: int | None = None
    recordingLocation: str | None = None
    totalRecordingDuration: int | None = None
    isActiveCall: bool | None = None
    disconnectReason: DisconnectReason | None = None


class TranscriptMessage(_Body):
    """One utterance of ``POST /voiceCalls/{vendorCallKey}/messages`` (every field required)."""

    participantId: str
    messageId: str = Field(max_length=MESSAGE_ID_MAX)
    startTime: int  # ms since the epoch
    endTime: int
    content: str = Field(min_length=1, max_length=CONTENT_MAX)
    senderType: Literal["END_USER", "HUMAN_AGENT"]


class BulkEntry(_Body):
    vendorCallKey: str
    messages: tuple[TranscriptMessage, ...] = Field(min_length=1, max_length=BULK_MAX_MESSAGES)


class BulkMessages(_Body):
    """``POST /voiceCalls/messages`` (``voice_rest_voicecalls_transcript_bulk.htm``)."""

    entries: tuple[BulkEntry, ...] = Field(min_length=1, max_length=BULK_MAX_CALLS)


class ScrtRequest(BaseModel):
    """One request: ``path`` under :data:`API_PREFIX`; ``call_id`` names the VoiceCall to
    patch (``None`` for a create, whose answer is the ``voiceCallId`` to keep); a message
    names its call by ``vendor_call_key``."""

    model_config = ConfigDict(frozen=True)

    method: Literal["POST", "PATCH"]
    body: VoiceCallCreate | VoiceCallUpdate | TranscriptMessage | BulkMessages
    vendor_call_key: str | None = None

    def path(self, voice_call_id: str | None = None) -> str:
        if isinstance(self.body, TranscriptMessage):
            return f"{API_PREFIX}/voiceCalls/{self.vendor_call_key}/messages"
        if isinstance(self.body, BulkMessages):
            return f"{API_PREFIX}/voiceCalls/messages"
        if self.method == "POST":
            return f"{API_PREFIX}/voiceCalls"
        if not voice_call_id:
            raise ValueError("a PATCH needs the VoiceCall id the create returned")
        return f"{API_PREFIX}/voiceCalls/{voice_call_id}"

    def encoded(self) -> bytes:
        return json.dumps(self.body.body(), separators=(",", ":")).encode()


def format_time(value: str | None) -> str | None:
    """SIVO's RFC 3339 time as SCRT2's UTC ISO-8601 (``2019-07-02T17:32:28Z``)."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")


def _required_time(value: object) -> str:
    formatted = format_time(value if isinstance(value, str) else None)
    if formatted is None:
        raise ValueError("a call fact without its time")
    return formatted


def create_request(
    created: Mapping[str, Any], *, call_center: str, web_caller: bool = True
) -> ScrtRequest | None:
    """``call.created`` as the inbound create; ``None`` for an outbound call."""
    if created.get("direction") != "inbound":
        return None
    caller = str(created.get("from") or "")
    return ScrtRequest(
        method="POST",
        body=VoiceCallCreate(
            callCenterApiName=call_center,
            vendorCallKey=str(created["call_id"]),
            to=str(created.get("to") or ""),
            from_=caller,
            initiationMethod="Inbound",
            startTime=_required_time(created.get("created_at")),
            participants=(Participant(participantKey=caller),),
            callSubtype="WebRTC" if web_caller else "PSTN",
        ),
    )


def transfer_request(
    created: Mapping[str, Any],
    transfer: Mapping[str, Any],
    *,
    call_center: str,
    parent_voice_call_id: str,
    queue: str | None = None,
    web_caller: bool = True,
) -> ScrtRequest:
    """A ``call.transferred`` leg of the inbound call ``created``: a child VoiceCall.

    ``from`` and ``to`` are the contact center number (the number the caller dialed), as the
    guide asks for a transfer; ``queue`` only when the transfer went to a queue.
    """
    number = str(created.get("to") or "")
    return ScrtRequest(
        method="POST",
        body=VoiceCallCreate(
            callCenterApiName=call_center,
            vendorCallKey=str(created["call_id"]),
            to=number,
            from_=number,
            initiationMethod="Transfer",
            startTime=_required_time(transfer.get("at")),
            participants=(Participant(participantKey=str(created.get("from") or "")),),
            parentVoiceCallId=parent_voice_call_id,
            queue=queue if transfer.get("to_type") == "queue" else None,
            callSubtype="WebRTC" if web_caller else "PSTN",
        ),
    )


def leg_end_request(transfer: Mapping[str, Any]) -> ScrtRequest:
    """The leg a ``call.transferred`` left: ended at the transfer's time."""
    return ScrtRequest(
        method="PATCH",
        body=VoiceCallUpdate(endTime=_required_time(transfer.get("at")), isActiveCall=False),
    )


def disconnect_reason(cdr: Mapping[str, Any]) -> DisconnectReason:
    """How the call ended, from the CDR's ``hangup_cause`` and ``hangup_side``."""
    cause = str(cdr.get("hangup_cause") or "")
    if cause in _BY_CAUSE:
        value, is_error = _BY_CAUSE[cause]
        return DisconnectReason(value=value, isError=is_error)
    side = str(cdr.get("hangup_side") or "")
    return DisconnectReason(value=_BY_SIDE.get(side, "OTHER"), isError=False)


class _Counters(TypedDict):
    totalHoldDuration: int
    longestHoldDuration: int | None
    numberOfHolds: int | None
    agentInteractionDuration: int


def _counters(cdr: Mapping[str, Any]) -> _Counters:
    """The hold and interaction counters, in whole seconds (holds: a count)."""
    hold = float(cdr.get("hold_seconds") or 0.0)
    talk = float(cdr.get("talk_seconds") or 0.0)  # from the answer to the end, hold included
    holds, longest = cdr.get("holds"), cdr.get("longest_hold_seconds")
    return {
        "totalHoldDuration": round(hold),
        "longestHoldDuration": None if longest is None else round(float(longest)),
        "numberOfHolds": None if holds is None else int(holds),
        "agentInteractionDuration": round(max(0.0, talk - hold)),
    }


def end_request(
    cdr: Mapping[str, Any], *, agent_username: str | None = None, queue: str | None = None
) -> ScrtRequest:
    """The final PATCH from ``call.ended``: times, agent and queue, counters, closed.

    ``agent_username`` is the Salesforce username of the CDR's agent, sent only when the
    call was answered (a missed call's rung agent is not its agent); ``queue`` the queue's
    name.
    """
    answered = cdr.get("answered_at") is not None
    return ScrtRequest(
        method="PATCH",
        body=VoiceCallUpdate(
            startTime=_required_time(cdr.get("created_at")),
            endTime=_required_time(cdr.get("ended_at")),
            enqueueTime=format_time(cdr.get("queued_at")),
            acceptTime=format_time(cdr.get("answered_at")),
            queue=queue,
            agent=agent_username if answered else None,
            **_counters(cdr),
            isActiveCall=False,
            disconnectReason=disconnect_reason(cdr),
        ),
    )


def recording_request(recorded: Mapping[str, Any], cdr: Mapping[str, Any]) -> ScrtRequest:
    """The recording PATCH from ``call.recorded``, repeating the end's counters (above)."""
    return ScrtRequest(
        method="PATCH",
        body=VoiceCallUpdate(
            recordingLocation=str(recorded["url"]),
            totalRecordingDuration=round(float(recorded.get("duration_seconds") or 0.0)),
            **_counters(cdr),
            isActiveCall=False,
        ),
    )


def epoch_ms(value: str) -> int:
    """An RFC 3339 time as int milliseconds since the epoch (SCRT2's message times)."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return round(parsed.timestamp() * 1000)


def message_id(segment_id: str) -> str:
    """The segment id as ``messageId``: as is when it fits MessageIdentifier's 36
    characters, else a stable 36-character digest (a retry sends the same id)."""
    if len(segment_id) <= MESSAGE_ID_MAX:
        return segment_id
    return "seg_" + hashlib.sha256(segment_id.encode()).hexdigest()[: MESSAGE_ID_MAX - 4]


def _segment_times(segment: Mapping[str, Any], call_created_at: str | None) -> tuple[int, int]:
    started, ended = segment.get("started_at"), segment.get("ended_at")
    if isinstance(started, str) and isinstance(ended, str):
        start, end = epoch_ms(started), epoch_ms(ended)
    elif call_created_at:  # only offsets: from the call's start
        base = epoch_ms(call_created_at)
        start = base + round(float(segment["start_seconds"]) * 1000)
        end = base + round(float(segment["end_seconds"]) * 1000)
    else:
        raise ValueError("a transcript segment without its times")
    return start, max(start, end)


def message_request(
    segment: Mapping[str, Any],
    *,
    agent_user_id: str | None = None,
    call_created_at: str | None = None,
) -> ScrtRequest:
    """``transcript.segment`` as one message of its call (§2.9).

    Args:
        segment: the event's data.
        agent_user_id: the agent's Salesforce User Id in the org; required when the
            speaker is the agent.
        call_created_at: the call's ``created_at``, for a segment that carries only
            ``start_seconds``/``end_seconds``.

    Raises:
        ValueError: an agent's segment without ``agent_user_id``, or no times.
    """
    key = str(segment["call_id"])
    start, end = _segment_times(segment, call_created_at)
    sender: Literal["END_USER", "HUMAN_AGENT"]
    if segment.get("speaker") == "agent":
        if not agent_user_id:
            raise ValueError("an agent's segment needs the agent's Salesforce User Id")
        participant, sender = agent_user_id, "HUMAN_AGENT"
    else:
        participant, sender = f"{key}{END_USER}", END_USER
    return ScrtRequest(
        method="POST",
        vendor_call_key=key,
        body=TranscriptMessage(
            participantId=participant,
            messageId=message_id(str(segment["segment_id"])),
            startTime=start,
            endTime=end,
            content=str(segment["text"])[:CONTENT_MAX],
            senderType=sender,
        ),
    )


def bulk_request(entries: Sequence[tuple[str, Sequence[Mapping[str, Any]]]]) -> ScrtRequest:
    """Messages of several calls in one request: ``(vendorCallKey, [message body, …])`` in
    the order they are to be stored (at most 5 calls x 5 messages).

    Raises:
        pydantic.ValidationError: more than the limits, or not message bodies.
    """
    return ScrtRequest(
        method="POST",
        body=BulkMessages(
            entries=tuple(
                BulkEntry(
                    vendorCallKey=key,
                    messages=tuple(TranscriptMessage.model_validate(m) for m in messages),
                )
                for key, messages in entries
            )
        ),
    )
