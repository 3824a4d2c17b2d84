"""Transfers (blind, attended), conferences and transcoded bridges."""

from __future__ import annotations

import asyncio

from server.media import MediaEngine

from .audio import band_ratio, rms
from .conftest import PeerFactory
from .peers import caller_and_two_agents, connect_leg, hears


async def test_blind_transfer_moves_audio_to_new_agent(
    engine: MediaEngine, peers: PeerFactory
) -> None:
    """Re-bridging the caller to agent B: B and the caller hear each other, A nothing."""
    caller, agent_a, agent_b = await caller_and_two_agents(engine, peers)
    await asyncio.sleep(0.5)
    assert band_ratio(caller.heard(0.3), 1000) > 0.8

    await engine.bridge("caller", "b")
    await hears(caller, 1500)
    await hears(agent_b, 440)
    assert rms(agent_a.heard(0.5)) < 50


async def test_attended_transfer_consult_then_complete(
    engine: MediaEngine, peers: PeerFactory
) -> None:
    """Consult: caller on hold while A talks to B; complete: caller with B."""
    caller, agent_a, agent_b = await caller_and_two_agents(engine, peers)

    engine.hold("caller", True)  # consult
    await engine.bridge("a", "b")
    await hears(caller, 440)  # hold tone (caller's own tone is not echoed)
    assert band_ratio(caller.heard(0.5), 1000) < 0.05
    await hears(agent_a, 1500)
    await hears(agent_b, 1000)

    engine.hold("caller", False)  # complete
    await engine.bridge("caller", "b")
    await engine.close_leg("a")
    await hears(caller, 1500)
    await hears(agent_b, 440)
    assert engine.open_peer_connections == 2


async def test_attended_transfer_cancel_returns_to_first_agent(
    engine: MediaEngine, peers: PeerFactory
) -> None:
    caller, agent_a, agent_b = await caller_and_two_agents(engine, peers)
    engine.hold("caller", True)
    await engine.bridge("a", "b")
    await asyncio.sleep(0.3)

    await engine.close_leg("b")  # B declines
    engine.hold("caller", False)
    await engine.bridge("caller", "a")
    await hears(caller, 1000)
    await hears(agent_a, 440)


async def test_three_way_conference_mixes_the_other_two(
    engine: MediaEngine, peers: PeerFactory
) -> None:
    """Each party hears the two others' frequencies and not its own."""
    tones = {"caller": 440.0, "a": 1000.0, "b": 1500.0}
    parties = {leg_id: peers(leg_id, freq) for leg_id, freq in tones.items()}
    for leg_id, peer in parties.items():
        await connect_leg(engine, leg_id, peer)
    await engine.bridge("caller", "a")
    await engine.conference(["caller", "a", "b"])
    await asyncio.sleep(0.8)
    for leg_id, peer in parties.items():
        heard = peer.heard(0.8)
        for other, freq in tones.items():
            share = band_ratio(heard, freq)
            if other == leg_id:
                assert share < 0.05, (leg_id, other, share)
            else:
                assert share > 0.3, (leg_id, other, share)

    await engine.close_leg("b")  # back to a two-party passthrough bridge
    await hears(parties["caller"], 1000)
    assert engine.is_passthrough("caller", "a")


async def test_different_codecs_are_transcoded(engine: MediaEngine, peers: PeerFactory) -> None:
    """Opus caller and PCMU agent: audio flows both ways through a transcoder."""
    caller, agent = peers("caller", 440.0), peers("agent", 1000.0, codecs=["PCMU"])
    await connect_leg(engine, "caller", caller)
    await connect_leg(engine, "agent", agent)
    assert (engine.leg_codec("caller"), engine.leg_codec("agent")) == ("opus", "pcmu")
    await engine.bridge("caller", "agent")
    assert not engine.is_passthrough("caller", "agent")
    await asyncio.sleep(1.0)
    assert band_ratio(agent.heard(0.6), 440) > 0.7
    assert band_ratio(caller.heard(0.6), 1000) > 0.7
