"""Hostile or broken clients get a clear error; the server and other calls are unaffected."""

from __future__ import annotations

import pytest
import socketio

from .conftest import NUMBER, Center, dial

GOOD_SDP_HEAD = "v=0\r\n"


async def _still_works(center: Center) -> None:
    """A normal call still rings an agent after the abuse."""
    agent, _ = await center.agent("sane")
    caller = await center.web_phone("sane-caller")
    call_id, _peer = await dial(center, caller, None)
    await agent.wait_for("call.ringing")
    await caller.ok("call.hangup", {"call_id": call_id})


async def test_malformed_messages_get_error_acks_and_the_connection_stays_up(
    center: Center,
) -> None:
    caller = await center.web_phone()
    cases = [
        ("call.dial", {"to": NUMBER}, "invalid_message", "sdp"),
        ("call.dial", {"to": "12345", "sdp": GOOD_SDP_HEAD}, "invalid_message", "to"),
        ("call.dial", {"to": NUMBER, "sdp": "hello"}, "invalid_message", "sdp"),
        ("call.dial", {"to": NUMBER, "sdp": GOOD_SDP_HEAD, "extra": 1}, "invalid_message", "extra"),
        ("call.dial", ["not", "an", "object"], "invalid_message", None),
        ("call.hangup", {"call_id": 42}, "invalid_message", "call_id"),
        ("call.hangup", {"call_id": "call_nope"}, "not_found", "call_id"),
        ("teleport", {}, "unknown_event", None),
        ("call.dial", {"to": NUMBER, "sdp": "v=0\r\n" + "a" * 70000}, "message_too_large", None),
    ]
    for event, payload, code, field in cases:
        reply = await caller.call(event, payload)
        assert reply["ok"] is False, (event, payload)
        assert reply["error"]["code"] == code, (event, reply)
        assert reply["error"]["field"] == field, (event, reply)
        assert reply["error"]["message"]
    assert caller.sio.connected
    await _still_works(center)


async def test_malformed_sdp_is_refused_without_leaking_a_peer_connection(center: Center) -> None:
    caller = await center.web_phone()
    garbage = (
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
    )
    reply = await caller.call("call.dial", {"to": NUMBER, "sdp": garbage})
    assert reply["error"]["code"] == "invalid_sdp" and reply["error"]["field"] == "sdp"
    assert center.services.media.open_peer_connections == 0
    assert await center.events() == []  # no call was created
    await _still_works(center)


async def test_unpublished_and_other_tenants_numbers_are_unreachable(center: Center) -> None:
    await center.api(
        "POST",
        "/api/v1/numbers",
        {"number": "+18005550199", "queue_id": center.queue_id, "published": False},
        status=201,
    )
    caller = await center.web_phone()
    peer = caller.peer(None)
    sdp = await peer.offer()
    for number in ("+18005550199", "+19995550000"):
        reply = await caller.call("call.dial", {"to": number, "sdp": sdp})
        assert reply["error"] == {
            "code": "unreachable_number",
            "message": "this number cannot be called",
            "field": "to",
        }
    assert center.services.media.open_peer_connections == 0


async def test_flood_is_rate_limited_and_the_connection_survives(center: Center) -> None:
    caller = await center.web_phone()
    codes = [
        (await caller.call("call.hangup", {"call_id": "call_x"}))["error"]["code"]
        for _ in range(40)
    ]
    assert codes[:20] == ["not_found"] * 20  # the burst
    assert "rate_limited" in codes[20:]
    assert caller.sio.connected
    await _still_works(center)


async def _refusal(center: Center, auth: object) -> dict[str, object]:
    """Connect to /agent and return the server's connect_error payload."""
    client = socketio.AsyncClient(reconnection=False)
    refusals: list[dict[str, object]] = []
    client.on("connect_error", refusals.append, namespace="/agent")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            center.url, namespaces=["/agent"], transports=["websocket"], auth=auth, wait_timeout=5
        )
    await client.disconnect()
    assert len(refusals) == 1
    return refusals[0]


async def test_expired_forged_and_missing_tokens_are_refused(center: Center) -> None:
    agent = await center.api(
        "POST",
        "/api/v1/agents",
        {"name": "eve", "email": "eve@example.com", "extension": "77", "queue_ids": []},
        status=201,
    )
    token = await center.token(agent["id"])
    head, body, sig = token.split(".")
    forged = f"{head}.{body}.{sig[:-4]}AAAA"
    for auth, expected in (
        (None, "auth="),
        ({"token": forged}, "invalid token"),
        ({"token": "x"}, "invalid token"),
    ):
        refusal = await _refusal(center, auth)
        assert expected in refusal["message"] and refusal["data"] == {"code": "invalid_token"}
    center.clock.advance(3601 + 5)
    refusal = await _refusal(center, {"token": token})
    assert "invalid token" in refusal["message"]
    await _still_works(center)


async def test_agents_cannot_touch_another_tenants_calls(center: Center) -> None:
    from tests.support.api import new_tenant

    other = await new_tenant(center.client, "Other")
    queue = await center.api("POST", "/api/v1/queues", {"name": "Q"}, status=201, tenant=other)
    intruder, _ = await center.agent("mallory", queues=[queue["id"]], tenant=other)
    victim, _ = await center.agent("ann")
    caller = await center.web_phone()
    call_id, _peer = await dial(center, caller, None)
    await victim.wait_for("call.ringing")
    assert intruder.events("call.ringing") == []
    for event, payload in (
        ("call.answer", {"call_id": call_id, "sdp": GOOD_SDP_HEAD}),
        ("call.hangup", {"call_id": call_id}),
        ("call.hold", {"call_id": call_id, "on": True}),
    ):
        assert (await intruder.call(event, payload))["error"]["code"] == "not_found"
    await caller.ok("call.hangup", {"call_id": call_id})
