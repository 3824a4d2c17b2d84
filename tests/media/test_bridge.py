"""Two real aiortc phones bridged through the engine on loopback."""

from __future__ import annotations

import asyncio

from server.media import LegState, MediaEngine

from .audio import band_ratio, dominant_frequency, rms
from .conftest import PeerFactory, StateLog
from .peers import connect_leg


async def test_tone_crosses_bridge_both_ways(
    engine: MediaEngine, peers: PeerFactory, states: StateLog
) -> None:
    """Each side hears the other's tone at its frequency, in the encoded domain."""
    caller, agent = peers("caller", 440.0), peers("agent", 1000.0)
    await connect_leg(engine, "caller", caller)
    await connect_leg(engine, "agent", agent)
    await engine.bridge("caller", "agent")
    assert engine.is_passthrough("caller", "agent")
    assert engine.open_peer_connections == 2

    await asyncio.sleep(1.2)
    heard_by_agent = agent.heard(0.8)
    heard_by_caller = caller.heard(0.8)
    assert abs(dominant_frequency(heard_by_agent) - 440) < 5
    assert abs(dominant_frequency(heard_by_caller) - 1000) < 5
    assert band_ratio(heard_by_agent, 440) > 0.8
    assert band_ratio(heard_by_caller, 1000) > 0.8
    assert states.of("caller") == [LegState.CONNECTED]
    assert rms(heard_by_agent) > 1000
