"""A softphone's socket lives as long as its token: told a minute before, extended by
``session.refresh``, disconnected at expiry (after the call in progress), and cut at once when
its signing key is revoked."""

from __future__ import annotations

import socketio

from .conftest import Center, Phone, answer, dial


async def _agent_with_token(center: Center, ttl_s: int) -> tuple[str, str]:
    agent = await center.api(
        "POST",
        "/api/v1/agents",
        {
            "name": "Ann",
            "email": "ann@acme.example",
            "extension": "11",
            "queue_ids": [center.queue_id],
        },
        status=201,
    )
    return agent["id"], await _token(center, agent["id"], ttl_s)


async def _token(center: Center, agent_id: str, ttl_s: int) -> str:
    minted = await center.api(
        "POST", f"/api/v1/agents/{agent_id}/tokens", {"ttl_s": ttl_s}, status=201
    )
    return str(minted["token"])


async def _softphone(center: Center, token: str) -> Phone:
    phone = Phone("ann")
    center.phones.append(phone)
    await phone.connect(center.url, "/agent", {"token": token})
    await phone.wait_for("session.ready")
    return phone


async def _gone(center: Center, phone: Phone) -> None:
    await center.until(lambda: not phone.sio.connected)


async def test_warned_then_refreshed_then_expired(center: Center) -> None:
    agent_id, token = await _agent_with_token(center, 120)
    phone = await _softphone(center, token)
    await center.advance(50)
    assert phone.events("session.expiring") == []
    await center.advance(15)  # 65 s: within a minute of expiry (sweeps run every 5 s)
    warned = await phone.wait_for("session.expiring")
    assert warned["expires_at"].endswith("Z")
    bad = await phone.call("session.refresh", {"token": "not.a.token"})
    assert bad["error"]["code"] == "invalid_token" and bad["error"]["field"] == "token"
    fresh = await _token(center, agent_id, 300)
    assert (await phone.ok("session.refresh", {"token": fresh}))["expires_at"]
    await center.advance(70)  # past the first token's expiry
    await center.settle(0.2)
    assert phone.sio.connected and phone.events("session.expired") == []
    await center.advance(300)
    assert (await phone.wait_for("session.expired"))["reason"] == "expired"
    await _gone(center, phone)


async def test_a_token_for_another_agent_does_not_refresh(center: Center) -> None:
    _, token = await _agent_with_token(center, 600)
    phone = await _softphone(center, token)
    other = await center.api(
        "POST",
        "/api/v1/agents",
        {"name": "Bob", "email": "bob@acme.example", "extension": "12", "queue_ids": []},
        status=201,
    )
    stolen = await _token(center, other["id"], 600)
    reply = await phone.call("session.refresh", {"token": stolen})
    assert reply["error"]["code"] == "invalid_token"


async def test_expiry_waits_for_the_call_in_progress(center: Center) -> None:
    _, token = await _agent_with_token(center, 120)
    phone = await _softphone(center, token)
    await phone.ok("presence.set", {"status": "available"})
    caller = await center.web_phone()
    call_id, _peer = await dial(center, caller, None)
    await phone.wait_for("call.ringing")
    await answer(phone, call_id, None)
    await center.advance(125)  # expired mid-call
    await center.advance(5)
    await center.settle(0.2)
    assert phone.sio.connected and phone.events("session.expired") == []
    await caller.ok("call.hangup", {"call_id": call_id})
    await phone.wait_for("call.ended")
    await center.advance(5)
    assert (await phone.wait_for("session.expired"))["reason"] == "expired"
    await _gone(center, phone)


async def test_revoking_the_signing_key_cuts_its_sessions(center: Center) -> None:
    _, token = await _agent_with_token(center, 3600)
    phone = await _softphone(center, token)
    kid = (await center.services.tokens.verify(token)).kid
    assert await center.services.tokens.revoke(kid)
    await center.advance(5)
    assert (await phone.wait_for("session.expired"))["reason"] == "revoked"
    await _gone(center, phone)
    again = socketio.AsyncClient(reconnection=False)
    refused: list[object] = []
    again.on("connect_error", refused.append, namespace="/agent")
    try:
        await again.connect(
            center.url, namespaces=["/agent"], transports=["websocket"], auth={"token": token}
        )
    except socketio.exceptions.ConnectionError:
        pass
    await again.disconnect()
    assert refused and "invalid token" in str(refused[0])
    await center.token(
        (await center.api("GET", "/api/v1/agents"))["data"][0]["id"]
    )  # minting goes on
