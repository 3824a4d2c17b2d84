"""The direct RTP path keeps RTCP flowing; aiortc's own loops still bridge when chosen."""

from __future__ import annotations

import asyncio

import pytest

from server.media import MediaConfig, MediaEngine

from .audio import band_ratio
from .conftest import PeerFactory
from .peers import LoopbackPeer, connect_leg


async def _stats(peer: LoopbackPeer) -> dict[str, object]:
    return {stat.type: stat for stat in (await peer.pc.getStats()).values()}


async def test_direct_path_keeps_rtcp_reports_both_ways(
    engine: MediaEngine, peers: PeerFactory
) -> None:
    """The peer gets the server's sender reports (counted by the direct writer) and receiver
    reports (from the statistics the direct receiver keeps)."""
    caller, agent = peers("caller", 440.0), peers("agent", 1000.0)
    await connect_leg(engine, "caller", caller)
    await connect_leg(engine, "agent", agent)
    await engine.bridge("caller", "agent")
    await asyncio.sleep(3.2)  # aiortc sends RTCP every 0.5-1.5 s
    stats = await _stats(caller)
    inbound, reported = stats["inbound-rtp"], stats["remote-outbound-rtp"]
    assert inbound.packetsReceived > 100  # type: ignore[attr-defined]
    # The server's last SR counted what it had sent by then (at most 1.5 s ago).
    assert 0 < reported.packetsSent <= inbound.packetsReceived + 5  # type: ignore[attr-defined]
    assert reported.packetsSent > inbound.packetsReceived - 80  # type: ignore[attr-defined]
    remote_inbound = stats["remote-inbound-rtp"]  # the server's RR about what we send
    assert remote_inbound.packetsLost == 0  # type: ignore[attr-defined]
    assert band_ratio(caller.heard(0.6), 1000) > 0.8


class TestAiortcLoops:
    """``direct_rtp=False``: aiortc's receive and send tasks, through each leg's queue."""

    @pytest.fixture
    def media_config(self) -> MediaConfig:
        return MediaConfig.loopback(setup_timeout_s=10.0, direct_rtp=False)

    async def test_tone_crosses_and_hold_plays(
        self, engine: MediaEngine, peers: PeerFactory
    ) -> None:
        caller, agent = peers("caller", 700.0), peers("agent", 1000.0)
        await connect_leg(engine, "caller", caller)
        await connect_leg(engine, "agent", agent)
        await engine.bridge("caller", "agent")
        await asyncio.sleep(1.0)
        assert band_ratio(caller.heard(0.6), 1000) > 0.8
        assert band_ratio(agent.heard(0.6), 700) > 0.8
        engine.hold("caller", True)
        await asyncio.sleep(0.3)
        assert band_ratio(await caller.listen(0.6), 440) > 0.8
