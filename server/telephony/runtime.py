"""In-memory runtime state of agents, web phones and calls, and the push interface to them.

One process owns every call: the media legs live in its ``MediaEngine``, so the state that
drives them lives here too. A restart logs every agent out and ends every call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from .call import Call
from .presence import AgentPresence


class Notifier(Protocol):
    """Pushes server→client events (implemented by the Socket.IO layer)."""

    async def to_agent(self, sid: str, event: str, data: dict[str, Any]) -> None: ...

    async def to_caller(self, sid: str, event: str, data: dict[str, Any]) -> None: ...

    async def disconnect_agent(self, sid: str) -> None: ...


@dataclass
class AgentSession:
    agent_id: str
    tenant_id: str
    name: str
    extension: str
    queue_ids: frozenset[str]
    presence: AgentPresence
    sid: str | None = None  # the one connected softphone, if any
    calls: set[str] = field(default_factory=set)


@dataclass
class CallerSession:
    """A web phone on ``/caller``: at most one call, optionally a registered number."""

    sid: str
    address: str
    number: str | None = None
    call_id: str | None = None


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
    ringing_agent: str | None = None  # inbound or transfer ring
    answering: str | None = None  # who is setting up media to answer
    consult: Consult | None = None
    conference: bool = False
    muted: set[str] = field(default_factory=set)
    wait_on_hold: bool = False  # hold tone while a blind transfer rings
    participants: set[str] = field(default_factory=set)  # agents on the call (ON_CALL)
    answered_by_callee: bool = False  # outbound: the web phone picked up

    @property
    def id(self) -> str:
        return self.call.id

    def leg_id(self, party: str) -> str:
        return f"{self.call.id}.{party}"
