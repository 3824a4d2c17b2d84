"""The call state machine and its CDR (pure: no I/O; time comes in as arguments).

::

    inbound:  QUEUED --ring--> RINGING --answer--> CONNECTED --end--> ENDED
                 ^                |  (ring timeout, decline: back to QUEUED)
                 +----------------+
    outbound: RINGING --answer--> CONNECTED --end--> ENDED
    blind transfer: CONNECTED --> RINGING (agent) | QUEUED (queue)
    any state --end--> ENDED (abandoned, max wait, no answer, hang-up)

CDR durations: ``wait`` runs from queueing (outbound: creation) to the first answer, or to
the end when never answered; ``talk`` from the first answer to the end (hold included);
``hold`` is the sum of the caller's hold intervals.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field
from typing import Any

from server.times import rfc3339

from .errors import InvalidTransition

logger = logging.getLogger(__name__)


class CallState(enum.Enum):
    QUEUED = "queued"
    RINGING = "ringing"
    CONNECTED = "connected"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class Transfer:
    type: str  # blind | attended | 3way
    from_agent_id: str | None
    to_type: str  # agent | queue
    to_id: str
    at: float

    def as_event(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "from_agent_id": self.from_agent_id,
            "to_type": self.to_type,
            "to_id": self.to_id,
            "at": rfc3339(self.at),
        }


@dataclass
class Call:
    id: str
    tenant_id: str
    direction: str  # inbound | outbound
    from_number: str
    to_number: str
    created_at: float
    state: CallState
    queue_id: str | None = None
    agent_id: str | None = None
    queued_at: float | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    waiting_since: float = 0.0  # start of the current wait (creation, enqueue, transfer)
    held: bool = False
    hold_started: float | None = None
    hold_total: float = 0.0
    holds: int = 0
    longest_hold: float = 0.0
    transfers: list[Transfer] = field(default_factory=list)
    hangup_cause: str | None = None
    hangup_side: str | None = None
    recording_id: str | None = None

    @classmethod
    def inbound(
        cls, *, id: str, tenant_id: str, from_number: str, to_number: str, queue_id: str, now: float
    ) -> Call:
        call = cls(id, tenant_id, "inbound", from_number, to_number, now, CallState.QUEUED)
        call.queue_id, call.queued_at, call.waiting_since = queue_id, now, now
        return call

    @classmethod
    def outbound(
        cls, *, id: str, tenant_id: str, from_number: str, to_number: str, agent_id: str, now: float
    ) -> Call:
        call = cls(id, tenant_id, "outbound", from_number, to_number, now, CallState.RINGING)
        call.agent_id, call.waiting_since = agent_id, now
        return call

    @property
    def ended(self) -> bool:
        return self.state is CallState.ENDED

    def enqueue(self, queue_id: str, now: float) -> None:
        """Into a queue: overflow, a ring that went unanswered, a blind transfer to a queue."""
        self._require(CallState.QUEUED, CallState.RINGING, CallState.CONNECTED)
        if self.state is not CallState.RINGING:
            self.waiting_since = now
        self.queue_id = queue_id
        if self.queued_at is None:
            self.queued_at = now
        self._set_state(CallState.QUEUED)

    def ring(self, now: float) -> None:
        self._require(CallState.QUEUED, CallState.CONNECTED)
        if self.state is CallState.CONNECTED:
            self.waiting_since = now
        self._set_state(CallState.RINGING)

    def unring(self) -> None:
        self._require(CallState.RINGING)
        self._set_state(CallState.QUEUED)

    def answer(self, agent_id: str, now: float) -> float:
        """An agent (or, outbound, the callee) picked up; returns this wait in seconds."""
        self._require(CallState.RINGING)
        self.agent_id = agent_id
        if self.answered_at is None:
            self.answered_at = now
        self._set_state(CallState.CONNECTED)
        return max(0.0, now - self.waiting_since)

    def hold(self, on: bool, now: float) -> bool:
        """Returns whether anything changed."""
        self._require(CallState.CONNECTED)
        if on == self.held:
            return False
        self.held = on
        if on:
            self.hold_started = now
            self.holds += 1
        else:
            self._hold_ended(now)
        return True

    def _hold_ended(self, now: float) -> None:
        if self.hold_started is not None:
            held = now - self.hold_started
            self.hold_total += held
            self.longest_hold = max(self.longest_hold, held)
            self.hold_started = None

    def transferred(self, transfer: Transfer) -> None:
        self.transfers.append(transfer)

    def end(self, cause: str, side: str, now: float) -> None:
        if self.ended:
            raise InvalidTransition(f"call {self.id} has already ended")
        self._hold_ended(now)
        self.held = False
        self.ended_at, self.hangup_cause, self.hangup_side = now, cause, side
        self._set_state(CallState.ENDED)

    def cdr(self) -> dict[str, Any]:
        """The ``call.ended`` data: the call detail record."""
        if self.ended_at is None:
            raise InvalidTransition(f"call {self.id} has not ended")
        wait_from = self.queued_at if self.queued_at is not None else self.created_at
        wait_to = self.answered_at if self.answered_at is not None else self.ended_at
        talk = self.ended_at - self.answered_at if self.answered_at is not None else 0.0
        return {
            "call_id": self.id,
            "direction": self.direction,
            "from": self.from_number,
            "to": self.to_number,
            "queue_id": self.queue_id,
            "agent_id": self.agent_id,
            "created_at": rfc3339(self.created_at),
            "queued_at": rfc3339(self.queued_at) if self.queued_at is not None else None,
            "answered_at": rfc3339(self.answered_at) if self.answered_at is not None else None,
            "ended_at": rfc3339(self.ended_at),
            "wait_seconds": _seconds(wait_to - wait_from),
            "talk_seconds": _seconds(talk),
            "hold_seconds": _seconds(self.hold_total),
            "holds": self.holds,
            "longest_hold_seconds": _seconds(self.longest_hold),
            "hangup_cause": self.hangup_cause,
            "hangup_side": self.hangup_side,
            "transfers": [t.as_event() for t in self.transfers],
            "recording_id": self.recording_id,
        }

    def _require(self, *states: CallState) -> None:
        if self.state not in states:
            raise InvalidTransition(f"call {self.id} is {self.state.value}")

    def _set_state(self, state: CallState) -> None:
        if state is not self.state:
            logger.info("call %s: %s -> %s", self.id, self.state.value, state.value)
        self.state = state


def _seconds(value: float) -> float:
    return round(max(0.0, value), 3)
