"""One softphone per agent, and the grace period that survives a network blip."""

from __future__ import annotations

import asyncio

from tests.media.peers import hears

from .conftest import Center, answer, dial


async def test_second_softphone_takes_over_and_first_is_told(center: Center) -> None:
    first, agent_id = await center.agent("ann")
    second = await center.softphone("ann-2", agent_id)
    ready = await second.wait_for("session.ready")
    assert ready["status"] == "available" and ready["agent_id"] == agent_id
    assert "message" in await first.wait_for("session.replaced")
    for _ in range(100):
        if not first.sio.connected:
            break
        await asyncio.sleep(0.02)
    assert not first.sio.connected
    caller = await center.web_phone()
    call_id, _peer = await dial(center, caller, None)
    await second.wait_for("call.ringing")  # calls ring the new softphone
    await caller.ok("call.hangup", {"call_id": call_id})
    statuses = [d["status"] for _, d in await center.events("agent.status_changed")]
    assert statuses == ["available"]  # the takeover changed nothing


async def test_socket_drop_within_grace_keeps_call_and_media_comes_back(center: Center) -> None:
    """The agent's socket and peer die; a new softphone re-offers and audio flows again."""
    agent, agent_id = await center.agent("ann")
    caller = await center.web_phone()
    call_id, caller_peer = await dial(center, caller, 440.0)
    await agent.wait_for("call.ringing")
    old_peer = await answer(agent, call_id, 1000.0)
    await center.dropped(agent, agent_id)
    new_agent_peer = await old_peer.restart_offer()  # the old peer goes silent, like a dead path
    await center.advance(9.0)  # within the 10 s grace
    back = await center.softphone("ann-again", agent_id)
    ready = await back.wait_for("session.ready")
    assert [c["call_id"] for c in ready["calls"]] == [call_id] and ready["status"] == "on_call"
    reply = await back.ok("media.offer", {"call_id": call_id, "sdp": await new_agent_peer.offer()})
    await new_agent_peer.accept(reply["sdp"])
    await new_agent_peer.wait_connected()
    await hears(caller_peer, 1000.0)
    await hears(new_agent_peer, 440.0)
    await center.advance(5.0)  # past the original grace: nothing happens, it was cancelled
    await back.ok("call.hangup", {"call_id": call_id})
    await caller.wait_for("call.ended")
    back.peers.append(new_agent_peer)
    statuses = [d["status"] for _, d in await center.events("agent.status_changed")]
    assert "logged_out" not in statuses


async def test_grace_expiry_logs_out_and_ends_the_call(center: Center) -> None:
    agent, agent_id = await center.agent("ann")
    caller = await center.web_phone()
    call_id, _peer = await dial(center, caller, None)
    await agent.wait_for("call.ringing")
    await answer(agent, call_id, None)
    await center.dropped(agent, agent_id)
    await center.advance(10.0)
    ended = await caller.wait_for("call.ended")
    assert ended == {
        "call_id": call_id,
        "cause": "agent_disconnected",
        "side": "agent",
        "talk_seconds": 10.0,
    }
    statuses = [d["status"] for _, d in await center.events("agent.status_changed")]
    assert statuses[-1] == "logged_out"
    listed = await center.api("GET", f"/api/v1/agents/{agent_id}")
    assert listed["status"] == "logged_out" and listed["connected"] is False


async def test_ringing_agent_that_drops_is_skipped(center: Center) -> None:
    first, _ = await center.agent("first")
    await center.advance(1.0)
    second, _ = await center.agent("second")
    caller = await center.web_phone()
    call_id, _peer = await dial(center, caller, None)
    await first.wait_for("call.ringing")
    await first.sio.disconnect()
    await second.wait_for("call.ringing")
    await caller.ok("call.hangup", {"call_id": call_id})


async def test_disconnect_inside_a_push_under_the_center_lock_does_not_deadlock(
    center: Center,
) -> None:
    """engine.io may run the disconnect handler inside an emit made under the center's lock."""
    from server.app import SIGNALING

    signaling = center.client.app[SIGNALING]
    _agent, agent_id = await center.agent("ann")
    (sid,) = [s for s, who in signaling._agents.items() if who.agent_id == agent_id]
    calls = center.services.calls.shell(center.tenant.id)
    async with calls.lock:  # as during a push: the handler must not wait for this lock
        await asyncio.wait_for(signaling._agent_disconnect(sid), timeout=1.0)
        assert calls.presence_of(agent_id)["connected"] is True  # not handled yet: no lock
    await center.until(lambda: not calls.presence_of(agent_id)["connected"])
