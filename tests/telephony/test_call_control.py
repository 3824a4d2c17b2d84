"""In-call controls over signaling: hold, mute, DTMF, and the recording with its signed URL."""

from __future__ import annotations

import asyncio
import io
import wave
from urllib.parse import parse_qs, urlencode, urlsplit

import numpy as np

from tests.media.audio import band_ratio, detect_dtmf, rms
from tests.media.peers import hears

from .conftest import Center, answer, dial


async def _connected_call(center: Center, caller_hz: float | None, agent_hz: float | None):  # type: ignore[no-untyped-def]
    agent, agent_id = await center.agent("ann")
    caller = await center.web_phone()
    call_id, caller_peer = await dial(center, caller, caller_hz)
    await agent.wait_for("call.ringing")
    agent_peer = await answer(agent, call_id, agent_hz)
    await caller_peer.wait_connected()
    await asyncio.sleep(0.5)
    return agent, caller, call_id, agent_peer, caller_peer


async def test_hold_plays_hold_tone_to_caller_and_silences_agent(center: Center) -> None:
    """On hold the caller hears the 440 Hz hold tone and the agent hears nothing; CDR counts it."""
    agent, caller, call_id, agent_peer, caller_peer = await _connected_call(center, 700.0, 1000.0)
    await agent.ok("call.hold", {"call_id": call_id, "on": True})
    update = await caller.wait_for("call.updated", lambda d: d["held"])
    assert update["state"] == "connected"
    await hears(caller_peer, 440.0)
    assert rms(agent_peer.heard(0.5)) < 50
    await center.advance(7.0)
    await agent.ok("call.hold", {"call_id": call_id, "on": False})
    await hears(caller_peer, 1000.0)
    await hears(agent_peer, 700.0)
    await agent.ok("call.hangup", {"call_id": call_id})
    await caller.wait_for("call.ended")
    cdr = dict(await center.events("call.ended"))["call.ended"]
    assert cdr["hold_seconds"] == 7.0 and cdr["hangup_side"] == "agent"
    assert (cdr["holds"], cdr["longest_hold_seconds"]) == (1, 7.0)


async def test_mute_stops_agent_audio_and_dtmf_is_played_in_band(center: Center) -> None:
    """Muted agent is not heard; keypad digits from either side arrive as DTMF tones."""
    agent, caller, call_id, agent_peer, caller_peer = await _connected_call(center, None, 1000.0)
    await agent.ok("call.mute", {"call_id": call_id, "on": True})
    await asyncio.sleep(0.4)
    assert rms(await caller_peer.listen(0.5)) < 50
    await agent.ok("call.mute", {"call_id": call_id, "on": False})
    agent_peer.set_frequency(None)

    await agent.ok("call.dtmf", {"call_id": call_id, "digits": "159#"})
    assert detect_dtmf(await caller_peer.listen(1.3)) == "159#"
    await caller.ok("call.dtmf", {"call_id": call_id, "digits": "42"})
    assert (await agent.wait_for("call.dtmf")) == {"call_id": call_id, "digits": "42"}
    assert detect_dtmf(await agent_peer.listen(0.9)) == "42"
    await caller.ok("call.hangup", {"call_id": call_id})
    await agent.wait_for("call.ended")


async def test_recording_has_two_channels_and_a_signed_expiring_url(center: Center) -> None:
    """call.recorded: caller left, agent right; the URL works, and 403 when changed or expired."""
    agent, caller, call_id, _agent_peer, _caller_peer = await _connected_call(center, 440.0, 1000.0)
    await asyncio.sleep(1.0)
    await caller.ok("call.hangup", {"call_id": call_id})
    await agent.wait_for("call.ended")
    recorded = None
    for _ in range(100):
        found = await center.events("call.recorded")
        if found:
            recorded = found[0][1]
            break
        await asyncio.sleep(0.05)
    assert recorded is not None and recorded["channels"] == 2 and recorded["call_id"] == call_id
    parts = urlsplit(recorded["url"])
    path = f"{parts.path}?{parts.query}"

    resp = await center.client.get(path)
    assert resp.status == 200 and resp.headers["Content-Type"] == "audio/wav"
    with wave.open(io.BytesIO(await resp.read()), "rb") as wav:
        assert wav.getnchannels() == 2
        rate = wav.getframerate()
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    body = data[-rate : -rate // 4]  # the settled end of the call
    assert band_ratio(body[:, 0], 440.0, rate=rate) > 0.7
    assert band_ratio(body[:, 1], 1000.0, rate=rate) > 0.7

    query = parse_qs(parts.query)
    forged = {"expires": query["expires"][0], "sig": "0" * 64}
    assert (await center.client.get(f"{parts.path}?{urlencode(forged)}")).status == 403
    longer = {"expires": str(int(query["expires"][0]) + 3600), "sig": query["sig"][0]}
    assert (await center.client.get(f"{parts.path}?{urlencode(longer)}")).status == 403
    other = path.replace(recorded["recording_id"], "rec_0000")
    assert (await center.client.get(other)).status == 403
    center.clock.advance(86400 + 1)
    assert (await center.client.get(path)).status == 403
