"""What others see of a call: softphone and web phone snapshots, catalog event ``data``, the
and the ``calls`` row. Pure functions of the call's state.
"""

from __future__ import annotations

import json
from typing import Any

from server.times import rfc3339

from .acd import QueuePolicy, WaitingCall
from .call import Call
from .presence import StatusChange
from .state import CallRuntime

# -- pushes to softphones and web phones -------------------------------------------------------


def agent_view(rt: CallRuntime, agent_id: str) -> dict[str, Any]:
    """The call as one agent's softphone shows it (``call.updated``, ``session.ready``)."""
    consult = rt.consult
    role = "consult" if consult and consult.agent_id == agent_id else "primary"
    return {
        "call_id": rt.id,
        "state": rt.call.state.value,
        "direction": rt.call.direction,
        "from": rt.call.from_number,
        "to": rt.call.to_number,
        "queue_id": rt.call.queue_id,
        "held": rt.call.held,
        "muted": agent_id in rt.muted,
        "role": role,
        "consult": {"agent_id": consult.agent_id, "state": consult.state} if consult else None,
        "conference": rt.conference,
    }


def wrap_up_view(rt: CallRuntime, agent_id: str, now: float) -> dict[str, Any]:
    """The call an agent's after-call work is for, as it was when the agent left it (at
    ``now``, when the wrap-up began): ``session.ready``'s ``wrap_up.call``, so that a
    reloaded softphone shows its card again (docs/signaling.md, "After-call work")."""
    call = rt.call
    return {
        **agent_view(rt, agent_id),
        "state": "ended",
        "held": False,
        "muted": False,
        "consult": None,
        "answered_at": rfc3339(call.answered_at) if call.answered_at is not None else None,
        "ended_at": rfc3339(now),
        "cause": call.hangup_cause,  # None: the agent left a call that goes on (transfer)
        "side": call.hangup_side,
    }


def caller_view(rt: CallRuntime, position: int | None) -> dict[str, Any]:
    """The call as the web phone shows it; ``position`` in the queue while it waits."""
    return {
        "call_id": rt.id,
        "state": rt.call.state.value,
        "held": rt.call.held or rt.wait_on_hold,
        "position": position,
    }


def ringing_view(
    rt: CallRuntime, kind: str, from_agent: str | None, queue_name: str | None
) -> dict[str, Any]:
    """``call.ringing`` to an agent: ``kind`` is inbound, transfer or consult."""
    return {
        "call_id": rt.id,
        "kind": kind,
        "direction": rt.call.direction,
        "from": rt.call.from_number,
        "to": rt.call.to_number,
        "queue_id": rt.call.queue_id,
        "queue_name": queue_name,
        "from_agent_id": from_agent,
        "ring_timeout_s": rt.ring_timeout_s,
        "created_at": rfc3339(rt.call.created_at),
    }


def ended_push(call: Call, side: str) -> dict[str, Any]:
    """``call.ended`` as pushed to the parties (the catalog event is the CDR), with the call's
    talk time as the CDR counts it, so the ended card shows what a reload would show."""
    return {
        "call_id": call.id,
        "cause": call.hangup_cause,
        "side": side,
        "talk_seconds": call.cdr()["talk_seconds"],
    }


# -- catalog event data (docs/events.md) ------------------------------------------------------


def created_event(call: Call) -> dict[str, Any]:
    return {
        "call_id": call.id,
        "direction": call.direction,
        "from": call.from_number,
        "to": call.to_number,
        "queue_id": call.queue_id,
        "agent_id": call.agent_id,
        "created_at": rfc3339(call.created_at),
    }


def queue_entered_event(
    call_id: str, policy: QueuePolicy, waiting: WaitingCall, position: int
) -> dict[str, Any]:
    return {
        "call_id": call_id,
        "queue_id": policy.id,
        "queue_name": policy.name,
        "position": position,
        "entered_at": rfc3339(waiting.entered_at),
    }


def abandoned_event(call_id: str, queue_id: str, waited_s: float, now: float) -> dict[str, Any]:
    return {
        "call_id": call_id,
        "queue_id": queue_id,
        "waited_seconds": round(max(0.0, waited_s), 3),
        "abandoned_at": rfc3339(now),
    }


def answered_event(call: Call, wait_s: float, now: float) -> dict[str, Any]:
    return {
        "call_id": call.id,
        "agent_id": call.agent_id,
        "queue_id": call.queue_id,
        "answered_at": rfc3339(now),
        "wait_seconds": round(wait_s, 3),
    }


def transferred_event(call: Call) -> dict[str, Any]:
    """``call.transferred`` for the call's latest transfer."""
    return {"call_id": call.id, "transfer": call.transfers[-1].as_event()}


def _ring(rt: CallRuntime, agent_id: str, kind: str) -> dict[str, Any]:
    """What ``call.ringing`` and ``call.ring_missed`` both say of the call's latest ring."""
    return {
        "call_id": rt.id,
        "agent_id": agent_id,
        "queue_id": rt.call.queue_id,
        "kind": kind,
        "attempt": rt.rings,
    }


def ringing_event(rt: CallRuntime, agent_id: str, kind: str) -> dict[str, Any]:
    """``call.ringing``: the ring that :func:`notify.ringing` just started."""
    return {
        **_ring(rt, agent_id, kind),
        "ring_timeout_seconds": rt.ring_timeout_s,
        "rung_at": rfc3339(rt.rung_at),
    }


def ring_missed_event(
    rt: CallRuntime, agent_id: str, kind: str, reason: str, now: float
) -> dict[str, Any]:
    """``call.ring_missed``: the ring started at ``rt.rung_at`` stopped unanswered."""
    return {
        **_ring(rt, agent_id, kind),
        "reason": reason,
        "ring_seconds": round(max(0.0, now - rt.rung_at), 3),
        "missed_at": rfc3339(now),
    }


def held_event(call: Call, agent_id: str | None, reason: str, now: float) -> dict[str, Any]:
    return {
        "call_id": call.id,
        "agent_id": agent_id,
        "reason": reason,
        "hold": call.holds,
        "held_at": rfc3339(now),
    }


def resumed_event(
    call: Call, agent_id: str | None, reason: str, held_s: float, now: float
) -> dict[str, Any]:
    return {
        "call_id": call.id,
        "agent_id": agent_id,
        "reason": reason,
        "hold": call.holds,
        "hold_seconds": round(max(0.0, held_s), 3),
        "total_hold_seconds": round(call.hold_total, 3),
        "resumed_at": rfc3339(now),
    }


def recorded_event(
    call_id: str,
    recording_id: str,
    url: str,
    expires_at: float,
    duration_s: float,
    channels: int,
) -> dict[str, Any]:
    return {
        "call_id": call_id,
        "recording_id": recording_id,
        "url": url,
        "expires_at": rfc3339(expires_at),
        "duration_seconds": round(duration_s, 3),
        "channels": channels,
        "format": "audio/wav",
    }


def status_changed_event(change: StatusChange) -> dict[str, Any]:
    return {
        "agent_id": change.agent_id,
        "previous_status": change.previous.value,
        "status": change.status.value,
        "reason": change.reason,
        "changed_at": rfc3339(change.at),
    }


def wrap_up_ends(at: float | None) -> str | None:
    """When after-call work ends, for a softphone's countdown (``session.ready`` too)."""
    return rfc3339(at) if at is not None else None


def presence_push(change: StatusChange) -> dict[str, Any]:
    """``presence.changed`` to the agent's softphone."""
    ends = change.wrap_up_ends_at
    return {
        "status": change.status.value,
        "previous_status": change.previous.value,
        "reason": change.reason,
        "wrap_up_ends_at": rfc3339(ends) if ends is not None else None,
    }


def paused_event(change: StatusChange, reason: str) -> dict[str, Any]:
    return {"agent_id": change.agent_id, "reason": reason, "paused_at": rfc3339(change.at)}


# -- the calls table and the REST API ----------------------------------------------------------


def call_columns(call: Call) -> dict[str, Any]:
    """The ``calls`` row for this call, less its keys (CDR figures once it has ended)."""
    cdr = call.cdr() if call.ended else None
    return {
        "direction": call.direction,
        "from_number": call.from_number,
        "to_number": call.to_number,
        "queue_id": call.queue_id,
        "agent_id": call.agent_id,
        "state": call.state.value,
        "created_at": call.created_at,
        "queued_at": call.queued_at,
        "answered_at": call.answered_at,
        "ended_at": call.ended_at,
        "wait_s": cdr["wait_seconds"] if cdr else None,
        "talk_s": cdr["talk_seconds"] if cdr else None,
        "hold_s": cdr["hold_seconds"] if cdr else None,
        "hangup_cause": call.hangup_cause,
        "hangup_side": call.hangup_side,
        "transfers": json.dumps([t.as_event() for t in call.transfers]),
        "recording_id": call.recording_id,
    }
