"""The schema of every client→server message, per namespace (docs/signaling.md)."""

from __future__ import annotations

from .schema import Schema, boolean, choice, integer, nested, text

MAX_SDP = 32 * 1024
CALL_ID = text(64, pattern=r"call_[0-9a-z]+", hint="a call id")
SDP = text(MAX_SDP, pattern=r"v=0\r?\n[\s\S]*", hint="an SDP offer (starting with v=0)")
E164 = text(16, pattern=r"\+[1-9][0-9]{7,14}", hint="an E.164 number like +18005550100")
DIGITS = text(32, pattern=r"[0-9A-D*#,]+", hint="1-32 DTMF keys (0-9 * # A-D ,)")
ID = text(64, pattern=r"[a-z]+_[0-9a-z]+", hint="an id")
MAX_NOTES = 30_000  # Task.Description holds 32,000 characters (server.salesforce.tasks)
_SF_ID = r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?"
_RECORD = text(
    18, pattern=f"(?:{_SF_ID})?", required=False, nullable=True, hint="a Salesforce id, or empty"
)

_CALL: Schema = {"call_id": CALL_ID}
_OFFER: Schema = {"call_id": CALL_ID, "sdp": SDP}
_CANDIDATE: Schema = {
    "call_id": CALL_ID,
    "candidate": text(1024, nullable=True),
    "sdpMid": text(32, required=False, nullable=True),
    "sdpMLineIndex": integer(0, 15, required=False, nullable=True),
}

AGENT_MESSAGES: dict[str, Schema] = {
    "presence.set": {
        "status": choice("available", "on_break", "logged_out"),
        "reason": text(64, required=False, nullable=True),
    },
    "wrapup.end": {},
    "directory.list": {},
    "session.refresh": {"token": text(8192, hint="a fresh agent token")},
    "call.answer": _OFFER,
    "call.decline": _CALL,
    "call.hangup": _CALL,
    "call.hold": {"call_id": CALL_ID, "on": boolean()},
    "call.mute": {"call_id": CALL_ID, "on": boolean()},
    "call.dtmf": {"call_id": CALL_ID, "digits": DIGITS},
    "call.transfer": {"call_id": CALL_ID, "to_type": choice("agent", "queue"), "to_id": ID},
    "call.consult": {"call_id": CALL_ID, "agent_id": ID},
    "call.consult_complete": _CALL,
    "call.consult_cancel": _CALL,
    "call.conference": _CALL,
    "call.dial": {
        "to": E164,
        "sdp": SDP,
        # The record a click-to-dial came from: the Task's WhoId (Contact, Lead) or WhatId.
        "record": nested(
            {
                "record_id": text(18, pattern=_SF_ID, hint="a Salesforce id"),
                "object_type": text(80, pattern=r"[A-Za-z][A-Za-z0-9_]*", hint="an sObject"),
            },
            required=False,
            nullable=True,
        ),
    },
    "call.log": {
        "call_id": CALL_ID,
        "disposition": text(80, required=False, nullable=True),
        "notes": text(MAX_NOTES, required=False, nullable=True),
        "who_id": _RECORD,
        "what_id": _RECORD,
        "source": choice("chooser", "navigation", required=False),
    },
    "media.offer": _OFFER,
    "media.candidate": _CANDIDATE,
}

CALLER_MESSAGES: dict[str, Schema] = {
    "call.dial": {"to": E164, "sdp": SDP},
    "call.answer": _OFFER,
    "call.decline": _CALL,
    "call.hangup": _CALL,
    "call.dtmf": {"call_id": CALL_ID, "digits": DIGITS},
    "phone.register": {"number": E164},
    "phone.unregister": {},
    "media.offer": _OFFER,
    "media.candidate": _CANDIDATE,
}
