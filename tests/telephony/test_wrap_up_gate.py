"""A wrap-up gate (call logging's required disposition) through a real shell with fake ports:
Available, a pause and wrapup.end are refused while it holds, the timer running out keeps
the agent in after-call work (not rung), and the agent goes once the gate lets it."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import pytest

from server.clock import FakeClock
from server.telephony.acd import QueuePolicy
from server.telephony.errors import TelephonyError
from server.telephony.fakes import (
    FakeMedia,
    FakeNotifier,
    FakeRecordings,
    FakeWrapUpGate,
    MemoryCallStore,
)
from server.telephony.ports import NumberRoute
from server.telephony.state import AgentProfile
from server.telephony.switchboard import Switchboard

NUMBER = "+18005550100"
OFFER = "v=0 offer"
HELD = "choose a disposition for call call_1 (call.log) first"


class Rig:
    def __init__(self) -> None:
        self.clock = FakeClock(1_800_000_000.0)
        self.store = MemoryCallStore()
        self.gate = FakeWrapUpGate()
        self.notifier = FakeNotifier()
        ids = itertools.count(1)
        self.board = Switchboard(
            store=self.store,
            media=FakeMedia(),
            clock=self.clock,
            recordings=FakeRecordings(),
            agent_grace_s=10.0,
            outbound_ring_timeout_s=15.0,
            ids=lambda prefix, now: f"{prefix}_{next(ids)}",
            wrap_up_gate=self.gate,
        )
        self.board.notifier = self.notifier
        queue = QueuePolicy("q_a", "Support", 15.0, None, None, None, 30.0)
        self.store.queues["tn_a"] = {queue.id: queue}
        self.store.numbers[NUMBER] = NUMBER_ROUTE
        self.shell = self.board.shell("tn_a")

    async def agent(self, agent_id: str) -> None:
        self.store.agents[agent_id] = AgentProfile(agent_id, agent_id, "100", frozenset({"q_a"}))
        self.store.agent_tenants[agent_id] = "tn_a"
        await self.shell.agent_connected(agent_id, f"s-{agent_id}")
        await self.shell.set_presence(agent_id, "available", None)

    async def talk_and_hang_up(self, agent_id: str, sid: str = "w1") -> str:
        self.board.caller_connected(sid, "127.0.0.1")
        call_id = str((await self.board.dial_inbound(sid, NUMBER, OFFER))["call_id"])
        await self.shell.answer(agent_id, call_id, OFFER)
        await self.shell.hangup(agent_id, call_id)
        return call_id

    def status(self, agent_id: str) -> str:
        return str(self.shell.presence_of(agent_id)["status"])

    async def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        for _ in range(20):
            await asyncio.sleep(0)
        await self.shell.idle()


NUMBER_ROUTE = NumberRoute("tn_a", "q_a", True)


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    r = Rig()
    yield r
    await r.board.close()


async def test_leaving_wrap_up_is_refused_while_the_gate_holds(rig: Rig) -> None:
    await rig.agent("ag_ann")
    await rig.talk_and_hang_up("ag_ann")
    assert rig.status("ag_ann") == "after_call_work"
    rig.gate.holding["ag_ann"] = HELD
    for attempt in (
        rig.shell.set_presence("ag_ann", "available", None),
        rig.shell.set_presence("ag_ann", "on_break", "lunch"),
        rig.shell.end_wrap_up("ag_ann"),
    ):
        with pytest.raises(TelephonyError) as refused:
            await attempt
        assert (refused.value.code, refused.value.message) == ("disposition_required", HELD)
    assert rig.status("ag_ann") == "after_call_work"
    del rig.gate.holding["ag_ann"]
    assert (await rig.shell.end_wrap_up("ag_ann"))["status"] == "available"


async def test_the_timer_running_out_keeps_the_agent_until_the_gate_lets_go(rig: Rig) -> None:
    await rig.agent("ag_ann")
    await rig.talk_and_hang_up("ag_ann")
    rig.gate.holding["ag_ann"] = HELD
    await rig.advance(31)
    assert rig.status("ag_ann") == "after_call_work"
    rig.board.caller_connected("w2", "127.0.0.1")
    await rig.board.dial_inbound("w2", NUMBER, OFFER)  # nobody free: it waits, ringing no one
    assert len(rig.notifier.events("s-ag_ann", "call.ringing")) == 1  # the first call's only
    await rig.shell.wrap_up_unblocked("ag_ann")  # still held: nothing changes
    assert rig.status("ag_ann") == "after_call_work"
    del rig.gate.holding["ag_ann"]
    await rig.shell.wrap_up_unblocked("ag_ann")
    assert rig.status("ag_ann") == "available"
    assert len(rig.notifier.events("s-ag_ann", "call.ringing")) == 2  # the waiting call rings


async def test_logging_out_always_works_and_the_gate_is_asked_only_in_wrap_up(rig: Rig) -> None:
    await rig.agent("ag_ann")
    rig.gate.holding["ag_ann"] = HELD
    await rig.shell.set_presence("ag_ann", "on_break", "lunch")  # not in wrap-up: not asked
    await rig.shell.set_presence("ag_ann", "available", None)
    assert rig.gate.asked == []
    await rig.talk_and_hang_up("ag_ann")
    assert (await rig.shell.set_presence("ag_ann", "logged_out", None))["status"] == "logged_out"


async def test_a_gate_that_fails_lets_the_agent_go(rig: Rig) -> None:
    class Broken:
        async def may_leave_wrap_up(self, tenant_id: str, agent_id: str) -> str | None:
            raise RuntimeError("database down")

    rig.board.wrap_up_gate = Broken()
    await rig.agent("ag_ann")
    await rig.talk_and_hang_up("ag_ann")
    assert (await rig.shell.end_wrap_up("ag_ann"))["status"] == "available"
