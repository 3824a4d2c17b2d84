"""Outbound: an agent dials a web phone's registered number, or gets a clear 'no route'."""

from __future__ import annotations

from tests.media.peers import hears

from .conftest import Center


async def test_outbound_call_to_registered_web_phone(center: Center) -> None:
    agent, agent_id = await center.agent("ann")
    callee = await center.web_phone("callee")
    await callee.ok("phone.register", {"number": "+14155551212"})
    agent_peer = agent.peer(1000.0)
    reply = await agent.ok("call.dial", {"to": "+14155551212", "sdp": await agent_peer.offer()})
    await agent_peer.accept(reply["sdp"])
    incoming = await callee.wait_for("call.incoming")
    assert incoming["call_id"] == reply["call_id"] and incoming["to"] == "+14155551212"
    await center.advance(2.0)
    callee_peer = callee.peer(440.0)
    answer = await callee.ok(
        "call.answer", {"call_id": incoming["call_id"], "sdp": await callee_peer.offer()}
    )
    await callee_peer.accept(answer["sdp"])
    await callee_peer.wait_connected()
    await agent_peer.wait_connected()
    await hears(agent_peer, 440.0)
    await hears(callee_peer, 1000.0)
    await center.advance(10.0)
    await agent.ok("call.hangup", {"call_id": reply["call_id"]})
    await callee.wait_for("call.ended")
    timeline = await center.events()
    types = [t for t, _ in timeline if t != "call.recorded"]
    assert types == [
        "agent.status_changed",
        "call.created",
        "agent.status_changed",
        "call.answered",
        "call.ended",
        "agent.status_changed",
    ]
    created = timeline[1][1]
    assert created["direction"] == "outbound" and created["agent_id"] == agent_id
    cdr = dict(await center.events("call.ended"))["call.ended"]
    assert cdr["wait_seconds"] == 2.0 and cdr["talk_seconds"] == 10.0 and cdr["queued_at"] is None
    # outbound wrap-up defaults to 0 s: straight back to available
    assert (await agent.wait_for("presence.changed", lambda d: d["previous_status"] == "on_call"))[
        "status"
    ] == "available"


async def test_outbound_to_unknown_number_has_no_route(center: Center) -> None:
    agent, _ = await center.agent("ann")
    peer = agent.peer(None)
    reply = await agent.call("call.dial", {"to": "+33123456789", "sdp": await peer.offer()})
    assert reply["ok"] is False and reply["error"]["code"] == "no_route"
    assert reply["error"]["field"] == "to"
    cdr = dict(await center.events("call.ended"))["call.ended"]
    assert cdr["hangup_cause"] == "no_route" and cdr["direction"] == "outbound"
    assert center.services.media.open_peer_connections == 0
    assert (await center.api("GET", "/api/v1/agents"))["data"][0]["status"] == "available"


async def test_unanswered_outbound_call_ends_no_answer(center: Center) -> None:
    agent, _ = await center.agent("ann")
    callee = await center.web_phone("callee")
    await callee.ok("phone.register", {"number": "+14155551212"})
    peer = agent.peer(None)
    reply = await agent.ok("call.dial", {"to": "+14155551212", "sdp": await peer.offer()})
    await peer.accept(reply["sdp"])
    await callee.wait_for("call.incoming")
    await center.advance(15.0)
    assert (await agent.wait_for("call.ended"))["cause"] == "no_answer"
    assert (await callee.wait_for("call.ended"))["cause"] == "no_answer"
