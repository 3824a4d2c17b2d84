"""The call book's state: one tenant's agents, calls, queues and waiting calls (pure data).

The book's rules (``book.py``, ``control.py``, ``routing.py``, ``ending.py``,
``transfers.py``) read and change it while the tenant's shell holds its lock; nothing here
does I/O, reads a clock or awaits. Two facts have exactly one home:

* who is being rung: the ACD's :class:`~server.telephony.acd.WaitingCall` for a queued or
  transferred call, the call's :class:`Consult` for a consultation;
* whether an agent can take something new: :meth:`TenantState.engagement`, the one busy rule.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .acd import Acd, QueuePolicy
from .call import Call
from .presence import AgentPresence, State

DEFAULT_PAUSE_REASONS = ("break", "lunch", "training", "meeting")

IdSource = Callable[[str, float], str]  # (prefix, now) -> a new unique id


@dataclass(frozen=True, slots=True)
class TenantSettings:
    """What an admin set in ``PUT /api/v1/telephony/settings`` (defaults until then)."""

    pause_reasons: tuple[str, ...] = DEFAULT_PAUSE_REASONS
    record_calls: bool = True
    outbound_wrap_up_s: float = 0.0
    transcribe_calls: bool = False  # the book ignores it; live transcription reads it
    service_level_threshold_s: float = 20.0  # the book ignores it; the wallboard reads it


@dataclass(frozen=True, slots=True)
class AgentProfile:
    """An ``agents`` row as the book needs it."""

    agent_id: str
    name: str
    extension: str
    queue_ids: frozenset[str]


@dataclass
class AgentSession:
    agent_id: str
    name: str
    extension: str
    queue_ids: frozenset[str]
    presence: AgentPresence
    sid: str | None = None  # the one connected softphone, if any
    calls: set[str] = field(default_factory=set)  # calls it is on, or dialing out on
    # The call its after-call work is for (views.wrap_up_view), set when the wrap-up begins;
    # read only while it lasts, so that a reloaded softphone shows the call's card again.
    wrap_up_call: dict[str, Any] | None = None

    def refresh(self, profile: AgentProfile) -> None:
        self.name, self.extension, self.queue_ids = (
            profile.name,
            profile.extension,
            profile.queue_ids,
        )


@dataclass
class Consult:
    agent_id: str
    by_agent_id: str
    state: str = "ringing"  # ringing | connected


@dataclass
class CallRuntime:
    call: Call
    wrap_up_s: float
    record: bool
    ring_timeout_s: float
    caller_sid: str | None = None  # inbound caller, or the outbound callee's web phone
    legs: dict[str, str] = field(default_factory=dict)  # "caller" or agent id -> leg id
    answering: str | None = None  # who is setting up media to answer ("caller": the callee)
    consult: Consult | None = None
    conference: bool = False
    muted: set[str] = field(default_factory=set)
    wait_on_hold: bool = False  # hold tone while a blind transfer rings
    participants: set[str] = field(default_factory=set)  # agents on the call (ON_CALL)
    answered_by_callee: bool = False  # outbound: the web phone picked up
    rings: int = 0  # agents rung for it so far: the attempt number of ``call.ringing``
    rung_at: float = 0.0  # when the ring now going (or the last one) started
    ring_kind: str = "inbound"  # and its kind: inbound, transfer or consult

    @property
    def id(self) -> str:
        return self.call.id

    def leg_id(self, party: str) -> str:
        return leg_id(self.call.id, party)


def leg_id(call_id: str, party: str) -> str:
    """A leg is ``<call id>.<party>``; party is ``caller`` or an agent id."""
    return f"{call_id}.{party}"


class Engagement(enum.Enum):
    """Why an agent cannot take something new."""

    ON_CALL = "on_call"  # on a call, or dialing out
    RINGING = "ringing"  # a queued, transferred or consult call rings it
    ANSWERING = "answering"  # its answer's media is being set up


@dataclass
class TenantState:
    tenant_id: str
    new_id: IdSource
    settings: TenantSettings = field(default_factory=TenantSettings)
    queues: dict[str, QueuePolicy] = field(default_factory=dict)
    agents: dict[str, AgentSession] = field(default_factory=dict)
    calls: dict[str, CallRuntime] = field(default_factory=dict)
    dialing: dict[str, CallRuntime] = field(default_factory=dict)  # outbound, media pending
    acd: Acd = field(default_factory=Acd)
    acd_timer_at: float | None = None  # the deadline the "acd" timer is armed for
    closed: bool = False  # shutting down: no new calls
    # Signed-in Available agents, longest idle first: (idle_since, agent id), kept sorted.
    _idle: list[tuple[float, str]] = field(default_factory=list)
    _idle_key: dict[str, tuple[float, str]] = field(default_factory=dict)

    # -- the agents, and the ACD's order of them ------------------------------------------

    def track(self, session: AgentSession) -> None:
        """A new agent session; its presence tells the book whenever it changes."""
        self.agents[session.agent_id] = session
        session.presence.listener = lambda: self.reindex(session)
        self.reindex(session)

    def reindex(self, session: AgentSession) -> None:
        """Its place in the longest-idle order (after a change of presence or softphone)."""
        old = self._idle_key.pop(session.agent_id, None)
        if old is not None:
            del self._idle[bisect.bisect_left(self._idle, old)]
        if session.sid is not None and session.presence.state is State.AVAILABLE:
            key = (session.presence.idle_since, session.agent_id)
            bisect.insort(self._idle, key)
            self._idle_key[session.agent_id] = key

    def idle_order(self) -> Iterator[AgentSession]:
        """Signed-in Available agents, longest idle first (engaged ones included)."""
        for _, agent_id in self._idle:
            yield self.agents[agent_id]

    # -- the one record of who is being rung --------------------------------------------

    def ringing_agent(self, call_id: str) -> str | None:
        """The agent a queued or transferred call rings now (not a consultation)."""
        waiting = self.acd.get(call_id)
        return waiting.ringing if waiting is not None else None

    # -- the one busy rule ----------------------------------------------------------------

    def engaged(self) -> dict[str, Engagement]:
        """Every agent that cannot take something new, and why.

        An agent's ``calls`` are the calls it is a participant of, plus an outbound call
        being set up, so walking the calls finds them all without walking every agent.
        """
        out: dict[str, Engagement] = {}
        for rt in self.calls.values():
            ringing = self.ringing_agent(rt.id)
            if ringing is not None:
                out[ringing] = Engagement.RINGING
            if rt.consult is not None and rt.consult.state == "ringing":
                out[rt.consult.agent_id] = Engagement.RINGING
            if rt.answering is not None and rt.answering != "caller":
                out[rt.answering] = Engagement.ANSWERING
        for rt in self.calls.values():
            for agent_id in rt.participants:
                out[agent_id] = Engagement.ON_CALL
        for rt in self.dialing.values():
            if rt.call.agent_id is not None:
                out[rt.call.agent_id] = Engagement.ON_CALL
        return out

    def engagement(self, agent_id: str) -> Engagement | None:
        return self.engaged().get(agent_id)

    def can_ring(self, session: AgentSession, engaged: dict[str, Engagement]) -> bool:
        """Whether a new call may ring this agent now: signed in, Available, not engaged."""
        return (
            session.sid is not None
            and session.presence.state is State.AVAILABLE
            and session.agent_id not in engaged
        )
