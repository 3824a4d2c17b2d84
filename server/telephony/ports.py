"""The outside parties a tenant shell talks to, each a small Protocol passed in at
construction: the media plane, the sockets, the store (with the outbox), and observers;
and the one the signaling server asks of the store for a softphone reloaded in after-call
work (``SavedLogs``), here so that the store implements it without importing signaling.

The aiortc :class:`~server.media.MediaEngine` is the media port, the Socket.IO server the
notifier, :class:`~server.store.calls.SqlCallStore` the store; ``fakes.py`` has one of each
that records what it was asked, so the rules run through the shell in milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from server.media import Recording, RecordingHandle

from .acd import QueuePolicy
from .effects import Notice, StoreOp
from .state import AgentProfile, TenantSettings


class MediaPort(Protocol):
    """Call legs and how they are wired (implemented by ``MediaEngine``).

    ``open_leg`` raises ``InvalidSdpError`` for an unusable offer and ``MediaError`` when
    the leg cannot be opened; the wiring methods raise ``MediaError`` for unknown legs.
    """

    async def open_leg(self, leg_id: str, offer_sdp: str) -> str: ...

    async def renegotiate(self, leg_id: str, offer_sdp: str) -> str: ...

    async def add_remote_candidate(
        self, leg_id: str, candidate: str | None, sdp_mid: str | None, sdp_mline_index: int | None
    ) -> None: ...

    async def close_leg(self, leg_id: str) -> None: ...

    async def bridge(self, leg_a: str, leg_b: str) -> None: ...

    async def conference(self, leg_ids: Sequence[str]) -> None: ...

    def hold(self, leg_id: str, on: bool) -> None: ...

    def mute(self, leg_id: str, on: bool) -> None: ...

    def send_dtmf(self, to_leg: str, digits: str) -> None: ...

    def start_recording(self, call_id: str, caller_leg: str) -> RecordingHandle: ...

    async def stop_recording(self, call_id: str) -> Recording: ...


class Notifier(Protocol):
    """Pushes server→client events (implemented by the Socket.IO layer)."""

    async def to_agent(self, sid: str, event: str, data: dict[str, Any]) -> None: ...

    async def to_caller(self, sid: str, event: str, data: dict[str, Any]) -> None: ...

    async def disconnect_agent(self, sid: str) -> None: ...


@dataclass(frozen=True, slots=True)
class TenantConfig:
    """What the book keeps of a tenant's configuration: its queues and settings."""

    queues: dict[str, QueuePolicy]
    settings: TenantSettings


@dataclass(frozen=True, slots=True)
class NumberRoute:
    """A published SIVO number and where its calls go."""

    tenant_id: str
    queue_id: str
    published: bool


class CallStore(Protocol):
    """Reads the book needs, and the one write: a batch of decisions in one transaction."""

    async def commit(self, ops: Sequence[StoreOp]) -> None:
        """Apply the operations in order in one transaction (events through the outbox)."""
        ...

    async def tenant_config(self, tenant_id: str) -> TenantConfig: ...

    async def agent_profile(self, tenant_id: str, agent_id: str) -> AgentProfile | None: ...

    async def agent_profiles(self, tenant_id: str) -> list[AgentProfile]:
        """Every agent of the tenant (the roster: server/telephony/roster.py)."""
        ...

    async def number_route(self, e164: str) -> NumberRoute | None: ...

    async def mark_recording_failed(self, recording_id: str) -> None: ...


class RecordingFinisher(Protocol):
    """Finalizes a call's recording after the call (``CallRecordings``)."""

    def finish_later(self, tenant_id: str, call_id: str, recording_id: str) -> None: ...

    async def drain(self) -> None: ...


class WrapUpGate(Protocol):
    """Whether an agent may leave after-call work now (call logging: a disposition may be
    required first). Asked outside the lock before the book decides; the book knows nothing
    of it."""

    async def may_leave_wrap_up(self, tenant_id: str, agent_id: str) -> str | None:
        """None, or what the agent must do first (the refusal's message)."""
        ...


@dataclass(frozen=True, slots=True)
class SavedLog:
    """What the agent saved so far on a call's log."""

    disposition: str | None
    notes: str


class SavedLogs(Protocol):
    """A call's saved log, for a softphone reloaded in after-call work (asked by the
    signaling server for ``session.ready``, not by the shell; the store implements it:
    ``server.store.wrap_up.SqlSavedLogs``)."""

    async def saved(self, tenant_id: str, agent_id: str, call_id: str) -> SavedLog | None: ...


class CallObserver(Protocol):
    """Sees the lifecycle of calls and legs once their effects are applied.

    Called on the event loop, in decision order; it must not block (spawn work instead).
    Later capabilities plug in here: screen pops on ``CallRinging``, transcription on
    ``LegOpened``/``CallHeld``/``LegClosed`` (the media port carries the audio).
    """

    def observe(self, tenant_id: str, notice: Notice) -> None: ...
