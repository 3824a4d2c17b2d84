"""Setup timeout, failure/close reporting, renegotiation and ICE restart."""

from __future__ import annotations

import asyncio

import pytest

from server.media import LegState, MediaConfig, MediaEngine

from .audio import band_ratio
from .conftest import PeerFactory, StateLog
from .peers import connect_leg


@pytest.fixture
def media_config() -> MediaConfig:
    return MediaConfig.loopback(setup_timeout_s=0.8)


async def test_leg_not_connected_in_time_is_closed(
    engine: MediaEngine, peers: PeerFactory, states: StateLog
) -> None:
    """The client never applies the answer: the leg fails and its pc is closed."""
    await engine.open_leg("caller", await peers("caller", 440.0).offer())
    assert engine.open_peer_connections == 1
    await asyncio.sleep(1.2)
    assert states.of("caller") == [LegState.FAILED, LegState.CLOSED]
    assert engine.open_peer_connections == 0


async def test_remote_hang_up_is_reported(
    engine: MediaEngine, peers: PeerFactory, states: StateLog
) -> None:
    """The client closes (DTLS close_notify): the leg is reported closed and freed."""
    caller = peers("caller", 440.0)
    await connect_leg(engine, "caller", caller)
    await caller.close()
    for _ in range(50):
        if LegState.CLOSED in states.of("caller"):
            break
        await asyncio.sleep(0.05)
    assert states.of("caller") == [LegState.CONNECTED, LegState.CLOSED]
    assert engine.open_peer_connections == 0


async def test_renegotiation_in_place_keeps_audio(engine: MediaEngine, peers: PeerFactory) -> None:
    """A new offer with the same ICE credentials is answered on the same pc."""
    caller, agent = peers("caller", 440.0), peers("agent", 1000.0)
    await connect_leg(engine, "caller", caller)
    await connect_leg(engine, "agent", agent)
    await engine.bridge("caller", "agent")
    pc_before = engine._legs["caller"].pc
    offer = await caller.pc.createOffer()
    await caller.pc.setLocalDescription(offer)
    answer = await engine.renegotiate("caller", caller.pc.localDescription.sdp)
    await caller.accept(answer)
    assert engine._legs["caller"].pc is pc_before
    await asyncio.sleep(0.5)
    assert band_ratio(await agent.listen(0.5), 440) > 0.8


async def test_ice_restart_replaces_pc_and_keeps_the_bridge(
    engine: MediaEngine, peers: PeerFactory, states: StateLog
) -> None:
    """After a network change the caller re-offers with new ICE credentials.

    The leg keeps its id and bridge: the agent hears the caller's new path
    (a new frequency proves it), the caller hears the agent, and the old pc
    is closed once the new one connects.
    """
    caller, agent = peers("caller", 440.0), peers("agent", 1000.0)
    await connect_leg(engine, "caller", caller)
    await connect_leg(engine, "agent", agent)
    await engine.bridge("caller", "agent")
    await asyncio.sleep(0.3)

    new_caller = await caller.restart_offer()
    new_caller.set_frequency(700.0)
    answer = await engine.renegotiate("caller", await new_caller.offer())
    await new_caller.accept(answer)
    await new_caller.wait_connected()
    await asyncio.sleep(0.5)
    assert band_ratio(await agent.listen(0.5), 700) > 0.8
    assert band_ratio(new_caller.heard(0.5), 1000) > 0.8
    assert engine.open_peer_connections == 2
    await caller.close()  # the dead path's late close_notify must not end the leg
    await asyncio.sleep(0.2)
    assert band_ratio(await agent.listen(0.4), 700) > 0.8
    assert states.of("caller") == [LegState.CONNECTED]
