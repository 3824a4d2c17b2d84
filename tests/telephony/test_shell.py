"""The tenant shell with fake ports: effects in decision order, no lock across a commit or a
push, group commit, tenants independent, and the call rules end to end without aiortc."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from server.clock import FakeClock
from server.media import LegState
from server.telephony.acd import QueuePolicy
from server.telephony.effects import (
    CallConnected,
    CallEnded,
    CallRinging,
    LegOpened,
    Notice,
)
from server.telephony.errors import TelephonyError
from server.telephony.fakes import (
    BAD_SDP,
    FakeMedia,
    FakeNotifier,
    FakeRecordings,
    MemoryCallStore,
)
from server.telephony.ports import NumberRoute
from server.telephony.shell import TenantShell
from server.telephony.state import AgentProfile, TenantSettings, leg_id
from server.telephony.switchboard import Switchboard

T0 = 1_800_000_000.0
OFFER = "v=0 offer"
NUMBER_A, NUMBER_B = "+18005550100", "+18005550200"


@dataclass
class Seen:
    notices: list[tuple[str, Notice]] = field(default_factory=list)

    def observe(self, tenant_id: str, notice: Notice) -> None:
        self.notices.append((tenant_id, notice))


class Rig:
    def __init__(self) -> None:
        self.clock = FakeClock(T0)
        self.store = MemoryCallStore()
        self.media = FakeMedia()
        self.notifier = FakeNotifier()
        self.recordings = FakeRecordings()
        self.seen = Seen()
        ids = itertools.count(1)
        self.board = Switchboard(
            store=self.store,
            media=self.media,
            clock=self.clock,
            recordings=self.recordings,
            agent_grace_s=10.0,
            outbound_ring_timeout_s=15.0,
            ids=lambda prefix, now: f"{prefix}_{next(ids)}",
        )
        self.board.notifier = self.notifier
        self.board.add_observer(self.seen)
        self.media.on_leg_state = self.board.on_leg_state
        for tenant, number in (("tn_a", NUMBER_A), ("tn_b", NUMBER_B)):
            queue = QueuePolicy(f"q_{tenant}", "Support", 15.0, None, None, None, 30.0)
            self.store.queues[tenant] = {queue.id: queue}
            self.store.numbers[number] = NumberRoute(tenant, queue.id, True)

    def shell(self, tenant: str = "tn_a") -> TenantShell:
        return self.board.shell(tenant)

    async def agent(self, agent_id: str, tenant: str = "tn_a", *, queues: bool = True) -> None:
        self.store.agents[agent_id] = AgentProfile(
            agent_id, agent_id, "100", frozenset({f"q_{tenant}"} if queues else ())
        )
        self.store.agent_tenants[agent_id] = tenant
        await self.shell(tenant).agent_connected(agent_id, f"s-{agent_id}")
        await self.shell(tenant).set_presence(agent_id, "available", None)

    async def call(self, sid: str = "w1", number: str = NUMBER_A) -> str:
        self.board.caller_connected(sid, "127.0.0.1")
        reply = await self.board.dial_inbound(sid, number, OFFER)
        return str(reply["call_id"])

    def pushed(self, sid: str, event: str) -> list[dict[str, Any]]:
        return self.notifier.events(sid, event)

    async def settle(self) -> None:
        for _ in range(20):
            await asyncio.sleep(0)

    async def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        await self.settle()


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    r = Rig()
    yield r
    await r.board.close()


async def test_a_call_rings_answers_bridges_holds_and_ends(rig: Rig) -> None:
    """The whole inbound flow through the shell, media and sockets faked."""
    await rig.agent("ag_ann")
    call_id = await rig.call()
    caller_leg, agent_leg = leg_id(call_id, "caller"), leg_id(call_id, "ag_ann")
    (ring,) = rig.pushed("s-ag_ann", "call.ringing")
    assert ring["call_id"] == call_id and ring["kind"] == "inbound"
    assert await rig.shell().answer("ag_ann", call_id, OFFER) == {"sdp": f"v=0 answer {agent_leg}"}
    assert rig.media.bridged[caller_leg] == agent_leg and call_id in rig.media.recording
    await rig.shell().hold("ag_ann", call_id, True)
    assert rig.media.held[caller_leg] is True
    await rig.shell().hold("ag_ann", call_id, False)
    await rig.shell().hangup("ag_ann", call_id)
    await rig.settle()
    assert rig.media.open == set()
    assert rig.pushed("w1", "call.ended") == [
        {"call_id": call_id, "cause": "normal_clearing", "side": "agent", "talk_seconds": 0.0}
    ]
    types = rig.store.event_types("tn_a")
    assert types[types.index("call.created") :] == [
        "call.created",
        "queue.entered",
        "call.ringing",
        "call.answered",
        "agent.status_changed",
        "call.held",
        "call.resumed",
        "call.ended",
        "agent.status_changed",
    ]
    assert rig.recordings.finished == [("tn_a", call_id, rig.store.calls[call_id]["recording_id"])]
    assert [type(n) for _, n in rig.seen.notices][:4] == [
        LegOpened,
        CallRinging,
        LegOpened,
        CallConnected,
    ]
    assert isinstance(rig.seen.notices[-1][1], CallEnded)


async def test_no_lock_spans_a_commit_and_waiting_decisions_commit_together(rig: Rig) -> None:
    """While a commit is stuck, the tenant's lock is free, the next decisions are made, and
    they all commit in one transaction once it goes through, in decision order."""
    await rig.agent("ag_ann")
    await rig.agent("ag_bob")
    before = len(rig.store.commits)
    gate = rig.store.gates["tn_a"] = asyncio.Event()
    first = asyncio.ensure_future(rig.shell().set_presence("ag_ann", "on_break", "lunch"))
    await rig.settle()
    assert not first.done() and not rig.shell().lock.locked()
    second = asyncio.ensure_future(rig.shell().set_presence("ag_bob", "on_break", "break"))
    third = asyncio.ensure_future(rig.shell().set_presence("ag_bob", "available", None))
    await rig.settle()
    assert not rig.shell().lock.locked()
    assert rig.pushed("s-ag_ann", "presence.changed")[-1]["status"] == "available"  # not yet
    gate.set()
    await asyncio.gather(first, second, third)
    assert len(rig.store.commits) == before + 2  # the first alone, then the two that waited
    statuses = [d["status"] for _, t, d in rig.store.events if t == "agent.status_changed"]
    assert statuses[-3:] == ["on_break", "on_break", "available"]


async def test_one_tenants_stuck_commit_never_delays_anothers_ring(rig: Rig) -> None:
    await rig.agent("ag_ann", "tn_a")
    await rig.agent("ag_zed", "tn_b")
    rig.store.gates["tn_a"] = asyncio.Event()
    stuck = asyncio.ensure_future(rig.call("w1", NUMBER_A))
    await rig.settle()
    assert rig.pushed("s-ag_ann", "call.ringing") == []  # its push waits for its commit
    await asyncio.wait_for(rig.call("w2", NUMBER_B), 1.0)
    assert len(rig.pushed("s-ag_zed", "call.ringing")) == 1
    rig.store.gates["tn_a"].set()
    await stuck
    assert len(rig.pushed("s-ag_ann", "call.ringing")) == 1


async def test_ring_timeout_decline_and_max_wait_through_the_shell(rig: Rig) -> None:
    rig.store.queues["tn_a"]["q_tn_a"] = QueuePolicy(
        "q_tn_a", "Support", 15.0, 40.0, None, "closed", 30.0
    )
    await rig.agent("ag_ann")
    await rig.advance(1)
    await rig.agent("ag_bob")
    call_id = await rig.call()
    await rig.advance(15)
    assert rig.pushed("s-ag_ann", "call.ring_cancelled")[0]["reason"] == "timeout"
    assert len(rig.pushed("s-ag_bob", "call.ringing")) == 1
    await rig.shell().decline("ag_bob", call_id)
    assert len(rig.pushed("s-ag_ann", "call.ringing")) == 2  # a new round
    await rig.advance(25)
    assert rig.pushed("w1", "call.ended") == [
        {"call_id": call_id, "cause": "closed", "side": "system", "talk_seconds": 0.0}
    ]


async def test_transfer_consult_and_conference_rules_with_fake_media(rig: Rig) -> None:
    await rig.agent("ag_ann")
    await rig.agent("ag_bob", queues=False)
    call_id = await rig.call()
    await rig.shell().answer("ag_ann", call_id, OFFER)
    with pytest.raises(TelephonyError) as unknown:
        await rig.shell().consult("ag_ann", call_id, "ag_nobody")
    assert unknown.value.code == "not_found" and unknown.value.field == "agent_id"
    await rig.shell().consult("ag_ann", call_id, "ag_bob")
    assert rig.pushed("s-ag_bob", "call.ringing")[0]["kind"] == "consult"
    with pytest.raises(TelephonyError, match="answer or decline"):
        await rig.shell().dial("ag_bob", "+14155551212", OFFER)
    await rig.shell().answer("ag_bob", call_id, OFFER)
    a, b = leg_id(call_id, "ag_ann"), leg_id(call_id, "ag_bob")
    assert rig.media.bridged[a] == b and rig.media.held[leg_id(call_id, "caller")]
    await rig.shell().conference("ag_ann", call_id)
    assert rig.media.calls[-1][0] == "conference"
    await rig.shell().hangup("ag_ann", call_id)
    assert rig.media.bridged[leg_id(call_id, "caller")] == b
    await rig.shell().hangup("ag_bob", call_id)
    types = rig.store.event_types("tn_a")
    assert types.count("call.transferred") == 1 and types[-2] == "call.ended"


async def test_outbound_to_a_web_phone_and_no_route(rig: Rig) -> None:
    await rig.agent("ag_ann")
    rig.board.caller_connected("w-callee", "127.0.0.1")
    await rig.board.register_number("w-callee", "+14155551212")
    with pytest.raises(TelephonyError) as taken:
        await rig.board.register_number("w1x", NUMBER_A)
    assert taken.value.code == "number_taken"
    reply = await rig.shell().dial("ag_ann", "+14155551212", OFFER)
    call_id = reply["call_id"]
    assert rig.pushed("w-callee", "call.incoming")[0]["call_id"] == call_id
    await rig.advance(2)
    callee = rig.board.callers_shell("w-callee", call_id)
    await callee.callee_answer("w-callee", call_id, OFFER)
    assert rig.media.bridged[leg_id(call_id, "caller")] == leg_id(call_id, "ag_ann")
    await callee.caller_hangup("w-callee", call_id)
    with pytest.raises(TelephonyError) as refused:
        await rig.shell().dial("ag_ann", "+33123456789", OFFER)
    assert refused.value.code == "no_route"
    assert rig.store.event_types("tn_a")[-2:] == ["call.created", "call.ended"]


async def test_media_loss_caller_ends_the_call_agent_gets_a_grace(rig: Rig) -> None:
    await rig.agent("ag_ann")
    call_id = await rig.call()
    await rig.shell().answer("ag_ann", call_id, OFFER)
    rig.media.lose(leg_id(call_id, "ag_ann"))
    await rig.advance(9.9)
    assert rig.pushed("w1", "call.ended") == []
    reply = await rig.shell().media_offer("ag_ann", call_id, OFFER)  # the softphone came back
    assert reply["sdp"].startswith("v=0 answer")
    await rig.advance(1)
    assert rig.pushed("w1", "call.ended") == []
    rig.media.lose(leg_id(call_id, "caller"))
    await rig.settle()
    assert rig.pushed("s-ag_ann", "call.ended")[0]["cause"] == "media_failed"


async def test_bad_sdp_leaves_nothing_behind_and_the_phone_can_dial_again(rig: Rig) -> None:
    await rig.agent("ag_ann")
    rig.board.caller_connected("w1", "127.0.0.1")
    with pytest.raises(TelephonyError) as bad:
        await rig.board.dial_inbound("w1", NUMBER_A, BAD_SDP)
    assert bad.value.code == "invalid_sdp" and rig.media.open == set()
    assert "call.created" not in rig.store.event_types("tn_a")
    call_id = (await rig.board.dial_inbound("w1", NUMBER_A, OFFER))["call_id"]
    call_id2 = await rig.call("w2")
    assert rig.shell().state.ringing_agent(call_id) == "ag_ann"
    assert rig.shell().state.ringing_agent(call_id2) is None


async def test_settings_and_queue_changes_reach_the_book(rig: Rig) -> None:
    await rig.agent("ag_ann")
    rig.store.settings["tn_a"] = TenantSettings(pause_reasons=("coffee",))
    await rig.board.config_changed("tn_a")
    with pytest.raises(TelephonyError) as refused:
        await rig.shell().set_presence("ag_ann", "on_break", "lunch")
    assert refused.value.code == "invalid_reason"
    await rig.shell().set_presence("ag_ann", "on_break", "coffee")


async def test_a_leg_closed_by_request_is_not_reported_lost(rig: Rig) -> None:
    await rig.agent("ag_ann")
    call_id = await rig.call()
    await rig.shell().answer("ag_ann", call_id, OFFER)
    await rig.shell().hangup("ag_ann", call_id)
    await rig.settle()
    rig.media.lose(leg_id(call_id, "caller"), LegState.CLOSED)  # the engine's own report
    await rig.settle()
    assert len(rig.pushed("w1", "call.ended")) == 1


async def test_a_number_moved_or_unpublished_is_seen_at_once(rig: Rig) -> None:
    """Numbers are cached for the dial path; an admin's change clears the cache."""
    await rig.agent("ag_ann")
    await rig.call("w1")
    rig.store.numbers[NUMBER_A] = NumberRoute("tn_a", "q_tn_a", False)
    await rig.board.config_changed("tn_a")
    rig.board.caller_connected("w2", "127.0.0.1")
    with pytest.raises(TelephonyError) as refused:
        await rig.board.dial_inbound("w2", NUMBER_A, OFFER)
    assert refused.value.code == "unreachable_number"


async def test_a_failed_commit_is_reported_and_does_not_wedge_the_tenant(rig: Rig) -> None:
    """The database refuses one batch: its caller gets the error, later decisions go on."""
    await rig.agent("ag_ann")
    original = rig.store.commit
    calls = 0

    async def flaky(ops: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database went away")
        await original(ops)

    rig.store.commit = flaky  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        await rig.shell().set_presence("ag_ann", "on_break", "lunch")
    assert rig.pushed("s-ag_ann", "presence.changed")[-1]["status"] == "on_break"  # told anyway
    await rig.shell().set_presence("ag_ann", "available", None)
    assert rig.store.event_types("tn_a")[-1] == "agent.status_changed"
    call_id = await rig.call()
    assert rig.shell().state.ringing_agent(call_id) == "ag_ann"
