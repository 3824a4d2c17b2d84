"""Hold, mute and DTMF on a bridged call, observed by real peers."""

from __future__ import annotations

import asyncio

from server.media import MediaEngine

from .audio import band_ratio, detect_dtmf, rms
from .conftest import PeerFactory
from .peers import LoopbackPeer, connect_leg, hears


async def _bridged(
    engine: MediaEngine, peers: PeerFactory, codecs: list[str] | None = None
) -> tuple[LoopbackPeer, LoopbackPeer]:
    caller = peers("caller", 440.0 if codecs is None else 1000.0, codecs=codecs)
    agent = peers("agent", 1000.0 if codecs is None else 600.0, codecs=codecs)
    await connect_leg(engine, "caller", caller)
    await connect_leg(engine, "agent", agent)
    await engine.bridge("caller", "agent")
    await asyncio.sleep(0.4)
    return caller, agent


async def test_hold_silences_both_directions_and_plays_hold_tone(
    engine: MediaEngine, peers: PeerFactory
) -> None:
    """The held caller hears the hold tone, not the agent; the agent hears nothing."""
    caller, agent = peers("caller", 700.0), peers("agent", 1000.0)
    await connect_leg(engine, "caller", caller)
    await connect_leg(engine, "agent", agent)
    await engine.bridge("caller", "agent")
    await asyncio.sleep(0.4)
    engine.hold("caller", True)
    await hears(caller, 440)  # hold tone
    assert band_ratio(caller.heard(0.5), 1000) < 0.05  # not the agent
    assert rms(agent.heard(0.5)) < 50  # the held caller is not heard

    engine.hold("caller", False)
    await hears(caller, 1000)
    await hears(agent, 700)


async def test_mute_stops_forwarding_one_way(engine: MediaEngine, peers: PeerFactory) -> None:
    """A muted caller is not heard, but still hears the agent."""
    caller, agent = await _bridged(engine, peers)
    engine.mute("caller", True)
    await asyncio.sleep(0.3)
    agent_hears = await agent.listen(0.6)
    assert rms(agent_hears) < 50
    assert band_ratio(caller.heard(0.6), 1000) > 0.8
    engine.mute("caller", False)
    await asyncio.sleep(0.3)
    assert band_ratio(await agent.listen(0.5), 440) > 0.8


async def test_dtmf_digits_reach_the_other_leg(engine: MediaEngine, peers: PeerFactory) -> None:
    """Digits sent over signaling are played in-band and decoded by Goertzel."""
    caller, agent = await _bridged(engine, peers)
    caller.set_frequency(None)  # a quiet line makes the test about DTMF only
    agent.set_frequency(None)
    await asyncio.sleep(0.2)
    engine.send_dtmf("agent", "19*#")
    heard = await agent.listen(1.2)
    assert detect_dtmf(heard) == "19*#"
    # after the digits, bridged audio resumes
    caller.set_frequency(440.0)
    await asyncio.sleep(0.4)
    assert band_ratio(await agent.listen(0.4), 440) > 0.8


async def test_dtmf_over_g711(engine: MediaEngine, peers: PeerFactory) -> None:
    """In-band DTMF also works on a PCMU leg."""
    caller, agent = await _bridged(engine, peers, codecs=["PCMU"])
    assert engine.leg_codec("agent") == "pcmu"
    caller.set_frequency(None)
    await asyncio.sleep(0.2)
    engine.send_dtmf("agent", "5D")
    assert detect_dtmf(await agent.listen(0.8)) == "5D"
