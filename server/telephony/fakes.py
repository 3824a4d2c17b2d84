"""Fakes of the shell's ports that record what they were asked: the rules run through a
real :class:`~server.telephony.switchboard.Switchboard` in milliseconds, with no aiortc,
no sockets and no database.

``FakeMedia`` answers every offer at once (``"v=0 bad"`` is refused as invalid SDP) and can
lose a leg as the engine would; ``FakeNotifier`` keeps each socket's pushes;
``MemoryCallStore`` keeps committed batches, the events in order, and the rows of calls.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.media import InvalidSdpError, LegNotFoundError, LegState, Recording, RecordingHandle

from .acd import QueuePolicy
from .effects import Emit, InsertCall, InsertRecording, SaveCall, StoreOp
from .ports import NumberRoute, TenantConfig
from .state import AgentProfile, TenantSettings

BAD_SDP = "v=0 bad"


class FakeWrapUpGate:
    """Keeps in after-call work the agents named in ``holding`` (agent id -> message)."""

    def __init__(self) -> None:
        self.holding: dict[str, str] = {}
        self.asked: list[str] = []

    async def may_leave_wrap_up(self, tenant_id: str, agent_id: str) -> str | None:
        self.asked.append(agent_id)
        return self.holding.get(agent_id)


class FakeMedia:
    """The media port, in memory: which legs are open and how they are wired."""

    def __init__(self) -> None:
        self.open: set[str] = set()
        self.calls: list[tuple[Any, ...]] = []  # every request, in order
        self.bridged: dict[str, str] = {}
        self.held: dict[str, bool] = {}
        self.muted: dict[str, bool] = {}
        self.recording: set[str] = set()
        self.on_leg_state: Callable[[str, LegState], None] | None = None
        self.open_delay_s = 0.0

    async def open_leg(self, leg_id: str, offer_sdp: str) -> str:
        self.calls.append(("open", leg_id))
        if offer_sdp == BAD_SDP:
            raise InvalidSdpError("no audio section")
        if self.open_delay_s:
            await asyncio.sleep(self.open_delay_s)
        self.open.add(leg_id)
        return f"v=0 answer {leg_id}"

    async def renegotiate(self, leg_id: str, offer_sdp: str) -> str:
        self._need(leg_id)
        self.calls.append(("renegotiate", leg_id))
        return f"v=0 answer {leg_id} again"

    async def add_remote_candidate(
        self, leg_id: str, candidate: str | None, sdp_mid: str | None, sdp_mline_index: int | None
    ) -> None:
        self._need(leg_id)
        self.calls.append(("candidate", leg_id, candidate))

    async def close_leg(self, leg_id: str) -> None:
        self.calls.append(("close", leg_id))
        self.open.discard(leg_id)
        partner = self.bridged.pop(leg_id, None)
        if partner is not None:
            self.bridged.pop(partner, None)

    async def bridge(self, leg_a: str, leg_b: str) -> None:
        self._need(leg_a)
        self._need(leg_b)
        for leg in (leg_a, leg_b):
            old = self.bridged.pop(leg, None)
            if old is not None:
                self.bridged.pop(old, None)
        self.bridged[leg_a], self.bridged[leg_b] = leg_b, leg_a
        self.calls.append(("bridge", leg_a, leg_b))

    async def conference(self, leg_ids: Sequence[str]) -> None:
        for leg in leg_ids:
            self._need(leg)
            self.bridged.pop(leg, None)
        self.calls.append(("conference", *leg_ids))

    def hold(self, leg_id: str, on: bool) -> None:
        self._need(leg_id)
        self.held[leg_id] = on

    def mute(self, leg_id: str, on: bool) -> None:
        self._need(leg_id)
        self.muted[leg_id] = on

    def send_dtmf(self, to_leg: str, digits: str) -> None:
        self._need(to_leg)
        self.calls.append(("dtmf", to_leg, digits))

    def start_recording(self, call_id: str, caller_leg: str) -> RecordingHandle:
        self._need(caller_leg)
        self.recording.add(call_id)
        return RecordingHandle(call_id, Path(f"{call_id}.wav"))

    async def stop_recording(self, call_id: str) -> Recording:
        self.recording.discard(call_id)
        return Recording(call_id, Path(f"{call_id}.wav"), duration_s=1.0)

    def lose(self, leg_id: str, state: LegState = LegState.FAILED) -> None:
        """The leg dies by itself (ICE failure, peer gone), as the engine reports it."""
        self.open.discard(leg_id)
        if self.on_leg_state is not None:
            self.on_leg_state(leg_id, state)

    def _need(self, leg_id: str) -> None:
        if leg_id not in self.open:
            raise LegNotFoundError(leg_id)


class FakeNotifier:
    """Every push, per socket id, in order."""

    def __init__(self) -> None:
        self.pushed: list[tuple[str, str, dict[str, Any]]] = []  # (sid, event, data)
        self.disconnected: list[str] = []

    async def to_agent(self, sid: str, event: str, data: dict[str, Any]) -> None:
        self.pushed.append((sid, event, data))

    async def to_caller(self, sid: str, event: str, data: dict[str, Any]) -> None:
        self.pushed.append((sid, event, data))

    async def disconnect_agent(self, sid: str) -> None:
        self.disconnected.append(sid)

    def events(self, sid: str, event: str | None = None) -> list[dict[str, Any]]:
        return [d for s, e, d in self.pushed if s == sid and (event is None or e == event)]


class FakeRecordings:
    """The recording finalizer: which recordings it was asked to finish."""

    def __init__(self) -> None:
        self.finished: list[tuple[str, str, str]] = []  # (tenant, call, recording)

    def finish_later(self, tenant_id: str, call_id: str, recording_id: str) -> None:
        self.finished.append((tenant_id, call_id, recording_id))

    async def drain(self) -> None:
        return None


@dataclass
class MemoryCallStore:
    """The store port in memory; a tenant's ``gates`` entry holds its commits until set."""

    queues: dict[str, dict[str, QueuePolicy]] = field(default_factory=dict)
    settings: dict[str, TenantSettings] = field(default_factory=dict)
    agents: dict[str, AgentProfile] = field(default_factory=dict)
    agent_tenants: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, NumberRoute] = field(default_factory=dict)
    commits: list[list[StoreOp]] = field(default_factory=list)
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)
    recordings: dict[str, dict[str, Any]] = field(default_factory=dict)
    gates: dict[str, asyncio.Event] = field(default_factory=dict)  # tenant -> held commits

    @property
    def events(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(tenant id, type, data) of every committed event, in commit order."""
        return [
            (op.tenant_id, op.type, op.data)
            for batch in self.commits
            for op in batch
            if isinstance(op, Emit)
        ]

    def event_types(self, tenant_id: str) -> list[str]:
        return [t for tenant, t, _ in self.events if tenant == tenant_id]

    async def commit(self, ops: Sequence[StoreOp]) -> None:
        if not ops:
            return
        gate = self.gates.get(_tenant_of(ops[0]))
        if gate is not None:
            await gate.wait()
        for op in ops:
            if isinstance(op, InsertCall):
                self.calls[op.row["id"]] = dict(op.row)
            elif isinstance(op, SaveCall):
                self.calls[op.call_id].update(op.columns)
            elif isinstance(op, InsertRecording):
                self.recordings[op.row["id"]] = dict(op.row)
        self.commits.append(list(ops))

    async def tenant_config(self, tenant_id: str) -> TenantConfig:
        return TenantConfig(
            queues=dict(self.queues.get(tenant_id, {})),
            settings=self.settings.get(tenant_id, TenantSettings()),
        )

    async def agent_profile(self, tenant_id: str, agent_id: str) -> AgentProfile | None:
        if self.agent_tenants.get(agent_id) != tenant_id:
            return None
        return self.agents.get(agent_id)

    async def agent_profiles(self, tenant_id: str) -> list[AgentProfile]:
        return [p for a, p in self.agents.items() if self.agent_tenants.get(a) == tenant_id]

    async def number_route(self, e164: str) -> NumberRoute | None:
        return self.numbers.get(e164)

    async def mark_recording_failed(self, recording_id: str) -> None:
        self.recordings[recording_id]["status"] = "failed"


def _tenant_of(op: StoreOp) -> str:
    if isinstance(op, InsertCall | InsertRecording):
        return str(op.row["tenant_id"])
    return op.tenant_id
