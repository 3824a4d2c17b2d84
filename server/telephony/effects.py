"""What the call book decides: effects for the tenant shell to carry out, as plain values.

A :class:`Decision` collects them in four lists that the shell applies in this order,
outside the tenant's lock: the store operations in one transaction (a state change and its
events together), then the socket pushes, then the media operations, then the timers; last,
the lifecycle notices go to the observers. Within a list, order is the order of decision.

Everything a push or an event carries is rendered when the decision is made, so applying a
decision later never shows a later state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import views
from .call import Call, CallState
from .presence import StatusChange
from .state import AgentSession, CallRuntime

# -- the store: one transaction per batch of decisions -----------------------------------------


@dataclass(frozen=True, slots=True)
class InsertCall:
    row: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SaveCall:
    tenant_id: str
    call_id: str
    columns: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Emit:
    tenant_id: str
    type: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class InsertRecording:
    row: dict[str, Any]


StoreOp = InsertCall | SaveCall | Emit | InsertRecording

# -- the sockets ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PushAgent:
    sid: str
    event: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PushCaller:
    sid: str
    event: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DisconnectAgent:
    sid: str


Push = PushAgent | PushCaller | DisconnectAgent

# -- the media plane --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Wire:
    """How a call's legs are connected now: one bridge or one conference, hold, mutes."""

    call_id: str
    bridge: tuple[str, str] | None = None
    conference: tuple[str, ...] = ()
    hold: tuple[str, bool] | None = None  # the caller's leg, and whether it hears hold tone
    mutes: tuple[tuple[str, bool], ...] = ()


@dataclass(frozen=True, slots=True)
class CloseLeg:
    leg_id: str


@dataclass(frozen=True, slots=True)
class SendDtmf:
    leg_id: str
    digits: str


@dataclass(frozen=True, slots=True)
class StartRecording:
    tenant_id: str
    call_id: str
    caller_leg: str
    recording_id: str


@dataclass(frozen=True, slots=True)
class FinishRecording:
    tenant_id: str
    call_id: str
    recording_id: str


MediaOp = Wire | CloseLeg | SendDtmf | StartRecording | FinishRecording

# -- timers: what comes due, as a value the book decides on again ---------------------------


@dataclass(frozen=True, slots=True)
class AcdDue:
    """A ring timeout or a queue's max wait may have passed."""


@dataclass(frozen=True, slots=True)
class WrapUpDue:
    agent_id: str


@dataclass(frozen=True, slots=True)
class GraceOver:
    """An agent's softphone has been gone for the whole grace period."""

    agent_id: str


@dataclass(frozen=True, slots=True)
class MediaGraceOver:
    call_id: str
    party: str


@dataclass(frozen=True, slots=True)
class ConsultUnanswered:
    call_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class CalleeUnanswered:
    """An outbound call's web phone rang out."""

    call_id: str


Due = AcdDue | WrapUpDue | GraceOver | MediaGraceOver | ConsultUnanswered | CalleeUnanswered


@dataclass(frozen=True, slots=True)
class ArmTimer:
    key: str
    at: float
    due: Due


@dataclass(frozen=True, slots=True)
class CancelTimer:
    key: str


TimerOp = ArmTimer | CancelTimer

# -- lifecycle notices: the consumer seam (docs/architecture.md) ------------------------------


@dataclass(frozen=True, slots=True)
class CallRinging:
    call_id: str
    agent_id: str
    kind: str  # inbound | transfer | consult
    from_number: str
    to_number: str


@dataclass(frozen=True, slots=True)
class CallConnected:
    call_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class LegOpened:
    call_id: str
    party: str
    leg_id: str


@dataclass(frozen=True, slots=True)
class LegClosed:
    call_id: str
    party: str
    leg_id: str


@dataclass(frozen=True, slots=True)
class CallHeld:
    call_id: str
    on: bool


@dataclass(frozen=True, slots=True)
class CallEnded:
    call_id: str
    cdr: dict[str, Any]


Notice = CallRinging | CallConnected | LegOpened | LegClosed | CallHeld | CallEnded


@dataclass
class Decision:
    """The effects of one operation, and what its caller gets back."""

    store: list[StoreOp] = field(default_factory=list)
    pushes: list[Push] = field(default_factory=list)
    media: list[MediaOp] = field(default_factory=list)
    timers: list[TimerOp] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    released_phones: list[tuple[str, str]] = field(default_factory=list)  # (sid, call id)
    reply: dict[str, Any] = field(default_factory=dict)
    refusal: Exception | None = None  # raised to the caller once the effects are applied

    # -- store --------------------------------------------------------------------------

    def insert_call(self, call: Call) -> None:
        self.store.append(
            InsertCall({"id": call.id, "tenant_id": call.tenant_id, **views.call_columns(call)})
        )

    def save_call(self, call: Call) -> None:
        self.store.append(SaveCall(call.tenant_id, call.id, views.call_columns(call)))

    def emit(self, tenant_id: str, type: str, data: dict[str, Any]) -> None:
        self.store.append(Emit(tenant_id, type, data))

    def emit_status(self, tenant_id: str, change: StatusChange) -> None:
        """``agent.status_changed``, and ``agent.paused`` for a pause with its reason."""
        self.emit(tenant_id, "agent.status_changed", views.status_changed_event(change))
        if change.paused and change.reason is not None:
            self.emit(tenant_id, "agent.paused", views.paused_event(change, change.reason))

    # -- pushes -------------------------------------------------------------------------

    def push_agent(self, session: AgentSession | None, event: str, data: dict[str, Any]) -> None:
        if session is not None and session.sid is not None:
            self.pushes.append(PushAgent(session.sid, event, data))

    def push_caller(self, sid: str | None, event: str, data: dict[str, Any]) -> None:
        if sid is not None:
            self.pushes.append(PushCaller(sid, event, data))

    def presence_changed(self, session: AgentSession, change: StatusChange | None) -> None:
        """Tell the softphone, and arm (or cancel) its wrap-up timer."""
        if change is None:
            return
        ends = change.wrap_up_ends_at
        self.push_agent(session, "presence.changed", views.presence_push(change))
        key = f"wrapup:{session.agent_id}"
        if ends is not None:
            self.arm(key, ends, WrapUpDue(session.agent_id))
        else:
            self.cancel(key)

    # -- media --------------------------------------------------------------------------

    def wire(self, rt: CallRuntime) -> None:
        """Connect the call's legs for its current shape (talk, consult, conference, wait)."""
        caller = rt.legs.get("caller")
        primary = rt.legs.get(rt.call.agent_id or "")
        consult = rt.legs.get(rt.consult.agent_id) if rt.consult else None
        bridge: tuple[str, str] | None = None
        conference: tuple[str, ...] = ()
        if rt.conference and caller:
            agents = [rt.legs.get(a) for a in sorted(rt.participants)]
            legs = tuple(leg for leg in (caller, *agents) if leg)
            conference = legs if len(legs) >= 2 else ()
        elif rt.consult is not None and primary and consult:
            bridge = (primary, consult)
        elif caller and primary and rt.call.state is CallState.CONNECTED:
            bridge = (caller, primary)
        hold = (caller, rt.call.held or rt.wait_on_hold) if caller else None
        mutes = tuple(
            (leg, party in rt.muted) for party, leg in rt.legs.items() if party != "caller"
        )
        self.media.append(Wire(rt.id, bridge, conference, hold, mutes))

    def close_leg(self, rt: CallRuntime, party: str) -> None:
        leg = rt.legs.pop(party, None)
        if leg is not None:
            self.media.append(CloseLeg(leg))
            self.notices.append(LegClosed(rt.id, party, leg))

    # -- timers -------------------------------------------------------------------------

    def arm(self, key: str, at: float, due: Due) -> None:
        self.timers.append(ArmTimer(key, at, due))

    def cancel(self, key: str) -> None:
        self.timers.append(CancelTimer(key))

    # -- web phones ---------------------------------------------------------------------

    def release_phone(self, sid: str | None, call_id: str) -> None:
        """The web phone's call is over: it may dial or be called again."""
        if sid is not None:
            self.released_phones.append((sid, call_id))
