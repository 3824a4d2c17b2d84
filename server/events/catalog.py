"""The event catalog: every type SIVO emits, its ``data`` JSON Schema and a realistic example.

The catalog is data, not code: ``GET /api/v1/events/schema`` serves it and ``docs/events.md``
documents it. Adding a type means adding an entry here; nothing else enumerates types.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

_TS = {"type": "string", "format": "date-time"}
_TS_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
_ID = {"type": "string", "minLength": 1}
_ID_OR_NULL = {"type": ["string", "null"]}
_SECONDS = {"type": "number", "minimum": 0}
_PHONE = {"type": "string", "description": "E.164 number, or a SIVO extension"}
AGENT_STATUSES = ["available", "on_call", "on_break", "after_call_work", "logged_out"]
# What call.ringing and call.ring_missed both say of a ring (attempt 1: the call's first).
_RING: dict[str, Schema] = {
    "call_id": _ID,
    "agent_id": _ID,
    "queue_id": _ID_OR_NULL,
    "kind": {"enum": ["inbound", "transfer", "consult"]},
    "attempt": {"type": "integer", "minimum": 1},
}


def _obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    return {
        "type": "object",
        "required": sorted(required),
        "properties": {**required, **(optional or {})},
        "additionalProperties": True,  # receivers must ignore fields they do not know
    }


_TRANSFER = _obj(
    {
        "type": {"enum": ["blind", "attended", "3way"]},
        "from_agent_id": _ID_OR_NULL,
        "to_type": {"enum": ["agent", "queue"]},
        "to_id": _ID,
        "at": _TS,
    }
)
_SEGMENT = _obj(
    {
        "speaker": {"enum": ["caller", "agent"]},
        "text": {"type": "string"},
        "start_seconds": _SECONDS,
        "end_seconds": _SECONDS,
    }
)

CATALOG: dict[str, dict[str, Any]] = {
    "call.created": {
        "description": "A new call, inbound or outbound.",
        "schema": _obj(
            {
                "call_id": _ID,
                "direction": {"enum": ["inbound", "outbound"]},
                "from": _PHONE,
                "to": _PHONE,
                "created_at": _TS,
            },
            {"queue_id": _ID_OR_NULL, "agent_id": _ID_OR_NULL},
        ),
        "example": {
            "call_id": "call_01JD2X8K3Q",
            "direction": "inbound",
            "from": "+14155551212",
            "to": "+18005550100",
            "queue_id": "q_support",
            "agent_id": None,
            "created_at": "2026-11-21T09:00:00.000Z",
        },
    },
    "call.ringing": {
        "description": "An agent is offered the call: its softphone rings (one event per "
        "attempt; a ring ends with call.answered by that agent, or call.ring_missed, except "
        "a consultation's ring that is answered: the consultation goes on, and ends with "
        "call.transferred, call.resumed with reason consult_ended, or call.ended).",
        "schema": _obj({**_RING, "ring_timeout_seconds": _SECONDS, "rung_at": _TS}),
        "example": {
            "call_id": "call_01JD2X8K3Q",
            "agent_id": "ag_7f3c",
            "queue_id": "q_support",
            "kind": "inbound",
            "attempt": 2,
            "ring_timeout_seconds": 20.0,
            "rung_at": "2026-11-21T09:00:20.050Z",
        },
    },
    "call.ring_missed": {
        "description": "A rung agent did not take the call: the ring timed out, the agent "
        "declined, went offline or signed out (agent_offline), the caller hung up, or the "
        "ring was cancelled (overflow, the consultation was withdrawn, shutdown).",
        "schema": _obj(
            {
                **_RING,
                "reason": {
                    "enum": ["timeout", "declined", "agent_offline", "caller_hangup", "cancelled"]
                },
                "ring_seconds": _SECONDS,
                "missed_at": _TS,
            }
        ),
        "example": {
            "call_id": "call_01JD2X8K3Q",
            "agent_id": "ag_51aa",
            "queue_id": "q_support",
            "kind": "inbound",
            "attempt": 1,
            "reason": "timeout",
            "ring_seconds": 20.0,
            "missed_at": "2026-11-21T09:00:20.050Z",
        },
    },
    "call.answered": {
        "description": "An agent accepted the call.",
        "schema": _obj(
            {"call_id": _ID, "agent_id": _ID, "answered_at": _TS, "wait_seconds": _SECONDS},
            {"queue_id": _ID_OR_NULL},
        ),
        "example": {
            "call_id": "call_01JD2X8K3Q",
            "agent_id": "ag_7f3c",
            "queue_id": "q_support",
            "answered_at": "2026-11-21T09:00:21.400Z",
            "wait_seconds": 21.4,
        },
    },
    "call.held": {
        "description": "The caller was put on hold: by the agent (reason hold) or for a "
        "consultation (reason consult).",
        "schema": _obj(
            {
                "call_id": _ID,
                "agent_id": _ID_OR_NULL,
                "reason": {"enum": ["hold", "consult"]},
                "hold": {"type": "integer", "minimum": 1},
                "held_at": _TS,
            }
        ),
        "example": {
            "call_id": "call_01JD2X8K3Q",
            "agent_id": "ag_7f3c",
            "reason": "hold",
            "hold": 1,
            "held_at": "2026-11-21T09:01:10.000Z",
        },
    },
    "call.resumed": {
        "description": "The caller is off hold, with how long this hold lasted and the "
        "call's hold time so far. A hold still going when the call ends is closed by "
        "call.ended (its hold_seconds), without call.resumed.",
        "schema": _obj(
            {
                "call_id": _ID,
                "agent_id": _ID_OR_NULL,
                "reason": {"enum": ["resume", "transfer", "conference", "consult_ended"]},
                "hold": {"type": "integer", "minimum": 1},
                "hold_seconds": _SECONDS,
                "total_hold_seconds": _SECONDS,
                "resumed_at": _TS,
            }
        ),
        "example": {
            "call_id": "call_01JD2X8K3Q",
            "agent_id": "ag_7f3c",
            "reason": "resume",
            "hold": 1,
            "hold_seconds": 72.0,
            "total_hold_seconds": 72.0,
            "resumed_at": "2026-11-21T09:02:22.000Z",
        },
    },
    "call.transferred": {
        "description": "A blind, attended or 3-way transfer completed.",
        "schema": _obj(
            {"call_id": _ID, "transfer": _TRANSFER},
        ),
        "example": {
            "call_id": "call_01JD2X8K3Q",
            "transfer": {
                "type": "attended",
                "from_agent_id": "ag_7f3c",
                "to_type": "agent",
                "to_id": "ag_91d0",
                "at": "2026-11-21T09:03:02.000Z",
            },
        },
    },
    "call.ended": {
        "description": "Hang-up, with the full call detail record (CDR).",
        "schema": _obj(
            {
                "call_id": _ID,
                "direction": {"enum": ["inbound", "outbound"]},
                "from": _PHONE,
                "to": _PHONE,
                "queue_id": _ID_OR_NULL,
                "agent_id": _ID_OR_NULL,
                "created_at": _TS,
                "queued_at": _TS_OR_NULL,
                "answered_at": _TS_OR_NULL,
                "ended_at": _TS,
                "wait_seconds": _SECONDS,
                "talk_seconds": _SECONDS,
                "hold_seconds": _SECONDS,
                "holds": {"type": "integer", "minimum": 0},
                "longest_hold_seconds": _SECONDS,
                "hangup_cause": {"type": "string"},
                "hangup_side": {"enum": ["caller", "agent", "system"]},
                "transfers": {"type": "array", "items": _TRANSFER},
                "recording_id": _ID_OR_NULL,
            }
        ),
        "example": {
            "call_id": "call_01JD2X8K3Q",
            "direction": "inbound",
            "from": "+14155551212",
            "to": "+18005550100",
            "queue_id": "q_support",
            "agent_id": "ag_7f3c",
            "created_at": "2026-11-21T09:00:00.000Z",
            "queued_at": "2026-11-21T09:00:00.050Z",
            "answered_at": "2026-11-21T09:00:21.400Z",
            "ended_at": "2026-11-21T09:05:11.400Z",
            "wait_seconds": 21.35,
            "talk_seconds": 290.0,
            "hold_seconds": 12.5,
            "holds": 2,
            "longest_hold_seconds": 9.0,
            "hangup_cause": "normal_clearing",
            "hangup_side": "caller",
            "transfers": [],
            "recording_id": "rec_5b1e",
        },
    },
    "call.recorded": {
        "description": "A recording is available at a pre-signed, expiring URL.",
        "schema": _obj(
            {
                "call_id": _ID,
                "recording_id": _ID,
                "url": {"type": "string", "format": "uri"},
                "expires_at": _TS,
                "duration_seconds": _SECONDS,
                "channels": {"type": "integer", "minimum": 1},
                "format": {"type": "string"},
            }
        ),
        "example": {
            "call_id": "call_01JD2X8K3Q",
            "recording_id": "rec_5b1e",
            "url": "https://sivo.example.com/recordings/rec_5b1e.wav?expires=1795251911&sig=3f9a",
            "expires_at": "2026-11-22T09:05:11.000Z",
            "duration_seconds": 290.0,
            "channels": 2,
            "format": "audio/wav",
        },
    },
    "transcript.segment": {
        "description": "A live transcription segment.",
        "schema": _obj(
            {
                "call_id": _ID,
                "segment_id": _ID,
                "speaker": {"enum": ["caller", "agent"]},
                "text": {"type": "string"},
                "start_seconds": _SECONDS,
                "end_seconds": _SECONDS,
                "is_final": {"type": "boolean"},
            },
            {
                "language": {"type": "string"},
                "agent_id": _ID,
                "started_at": _TS,
                "ended_at": _TS,
                "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            },
        ),
        "example": {
            "call_id": "call_01JD2X8K3Q",
            "segment_id": "seg_0004",
            "speaker": "caller",
            "text": "I'd like to change the delivery address on my order.",
            "start_seconds": 14.2,
            "end_seconds": 17.9,
            "is_final": True,
            "language": "en-US",
            "started_at": "2026-11-21T09:00:35.350Z",
            "ended_at": "2026-11-21T09:00:39.050Z",
            "confidence": 0.82,
        },
    },
    "transcript.completed": {
        "description": "The final, consolidated transcript of a call.",
        "schema": _obj(
            {
                "call_id": _ID,
                "transcript_id": _ID,
                "language": {"type": "string"},
                "segments": {"type": "array", "items": _SEGMENT},
            }
        ),
        "example": {
            "call_id": "call_01JD2X8K3Q",
            "transcript_id": "tr_22aa",
            "language": "en-US",
            "segments": [
                {
                    "speaker": "agent",
                    "text": "Thanks for calling, this is Dana.",
                    "start_seconds": 0.4,
                    "end_seconds": 2.1,
                },
                {
                    "speaker": "caller",
                    "text": "Hi, I'd like to change my delivery address.",
                    "start_seconds": 2.6,
                    "end_seconds": 5.0,
                },
            ],
        },
    },
    "queue.entered": {
        "description": "A call entered an ACD queue.",
        "schema": _obj(
            {"call_id": _ID, "queue_id": _ID, "position": {"type": "integer"}, "entered_at": _TS},
            {"queue_name": {"type": "string"}},
        ),
        "example": {
            "call_id": "call_01JD2X8K3Q",
            "queue_id": "q_support",
            "queue_name": "Support",
            "position": 3,
            "entered_at": "2026-11-21T09:00:00.050Z",
        },
    },
    "queue.abandoned": {
        "description": "The caller hung up before being answered.",
        "schema": _obj(
            {"call_id": _ID, "queue_id": _ID, "waited_seconds": _SECONDS, "abandoned_at": _TS}
        ),
        "example": {
            "call_id": "call_01JD2X9Z01",
            "queue_id": "q_support",
            "waited_seconds": 48.2,
            "abandoned_at": "2026-11-21T09:10:48.250Z",
        },
    },
    "agent.status_changed": {
        "description": "An agent's state changed (Available, On Call, On Break, "
        "After-Call Work, Logged Out).",
        "schema": _obj(
            {
                "agent_id": _ID,
                "previous_status": {"enum": AGENT_STATUSES},
                "status": {"enum": AGENT_STATUSES},
                "changed_at": _TS,
            },
            {"reason": {"type": ["string", "null"]}},
        ),
        "example": {
            "agent_id": "ag_7f3c",
            "previous_status": "available",
            "status": "on_call",
            "reason": None,
            "changed_at": "2026-11-21T09:00:21.400Z",
        },
    },
    "agent.paused": {
        "description": "An agent paused, with a reason from the tenant's list.",
        "schema": _obj({"agent_id": _ID, "reason": {"type": "string"}, "paused_at": _TS}),
        "example": {"agent_id": "ag_7f3c", "reason": "lunch", "paused_at": "2026-11-21T12:00:00Z"},
    },
    "ivr.completed": {
        "description": "An IVR flow finished, with the variables it captured.",
        "schema": _obj(
            {
                "call_id": _ID,
                "flow_id": _ID,
                "variables": {"type": "object"},
                "exit": {"type": "string"},
                "completed_at": _TS,
            }
        ),
        "example": {
            "call_id": "call_01JD2X8K3Q",
            "flow_id": "ivr_main",
            "variables": {"language": "en", "account_number": "0042", "intent": "billing"},
            "exit": "queue:q_billing",
            "completed_at": "2026-11-21T09:00:00.040Z",
        },
    },
    "ai_agent.completed": {
        "description": "An AI conversation finished, with its exit reason.",
        "schema": _obj(
            {
                "call_id": _ID,
                "ai_agent_id": _ID,
                "exit_reason": {
                    "enum": ["resolved", "escalated", "caller_hung_up", "timeout", "error"]
                },
                "completed_at": _TS,
            },
            {"summary": {"type": "string"}, "turns": {"type": "integer", "minimum": 0}},
        ),
        "example": {
            "call_id": "call_01JD2X8K3Q",
            "ai_agent_id": "ai_frontdesk",
            "exit_reason": "escalated",
            "summary": "Caller wants to dispute a charge; handed to billing.",
            "turns": 6,
            "completed_at": "2026-11-21T09:00:55.000Z",
        },
    },
}

EVENT_TYPES: frozenset[str] = frozenset(CATALOG)

ENVELOPE_SCHEMA: Schema = _obj(
    {
        "id": {"type": "string", "pattern": "^evt_[0-9a-z]+$"},
        "type": {"enum": sorted(CATALOG)},
        "created_at": _TS,
        "tenant_id": _ID,
        "data": {"type": "object"},
    }
)

REDUCED_DATA_SCHEMA: Schema = _obj(
    {
        "truncated": {"const": True},
        "original_size": {"type": "integer"},
        "full_data_url": {"type": "string", "format": "uri"},
    },
    {"call_id": _ID, "agent_id": _ID},
)


def schema_document() -> dict[str, Any]:
    """What ``GET /api/v1/events/schema`` serves."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "envelope": ENVELOPE_SCHEMA,
        "reduced_data": REDUCED_DATA_SCHEMA,
        "events": {
            name: {"description": e["description"], "data": e["schema"], "example": e["example"]}
            for name, e in sorted(CATALOG.items())
        },
    }
