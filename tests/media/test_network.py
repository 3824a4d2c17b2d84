"""Loopback confinement: no candidate, STUN request or check beyond 127.0.0.0/8."""

from __future__ import annotations

import pytest

from server.media import InvalidSdpError, MediaConfig, MediaEngine
from server.media.sdpinfo import host_candidate_addresses

from .conftest import PeerFactory

FOREIGN_CANDIDATES = (
    "a=candidate:1 1 udp 2122260223 192.0.2.2 40000 typ host\r\n"
    "a=candidate:2 1 udp 2122262783 fd00::2 40001 typ host\r\n"
    "a=candidate:3 1 udp 2122194687 0d1c7f3e-1b2a-4c5d-9e8f-123456789abc.local 40002 typ host\r\n"
)


def _remote_hosts(engine: MediaEngine, leg_id: str) -> set[str]:
    pc = engine._legs[leg_id].pc
    transport = pc.getTransceivers()[0].receiver.transport.transport
    return {c.ip for c in transport.getRemoteCandidates()}


async def test_answer_has_only_loopback_host_candidates(
    engine: MediaEngine, peers: PeerFactory
) -> None:
    """Host candidates are gathered on 127.0.0.1 only, and no srflx/relay exists."""
    peer = peers("caller", 440.0)
    offer = await peer.offer()
    assert set(host_candidate_addresses(offer)) == {"127.0.0.1"}
    answer = await engine.open_leg("caller", offer)
    addresses = host_candidate_addresses(answer)
    assert addresses and set(addresses) == {"127.0.0.1"}
    assert "typ srflx" not in answer and "typ relay" not in answer
    await peer.accept(answer)
    await peer.wait_connected()


async def test_foreign_and_mdns_offer_candidates_are_dropped(
    engine: MediaEngine, peers: PeerFactory
) -> None:
    """Offer candidates outside loopback (and .local names) never reach aioice."""
    peer = peers("caller", 440.0)
    offer = await peer.offer()
    head, sep, tail = offer.partition("a=candidate:")
    tampered = head + FOREIGN_CANDIDATES + sep + tail
    answer = await engine.open_leg("caller", tampered)
    assert _remote_hosts(engine, "caller") == {"127.0.0.1"}
    await peer.accept(answer)
    await peer.wait_connected()


async def test_trickled_candidates_are_filtered(engine: MediaEngine, peers: PeerFactory) -> None:
    """Trickled foreign and mDNS candidates are dropped; the call connects on loopback."""
    peer = peers("caller", 440.0)
    offer = await peer.offer()
    lines = offer.splitlines()
    own = [line for line in lines if line.startswith("a=candidate:")]
    bare = "\r\n".join(
        line for line in lines if not line.startswith(("a=candidate:", "a=end-of-candidates"))
    )
    answer = await engine.open_leg("caller", bare + "\r\n")
    for line in FOREIGN_CANDIDATES.splitlines() + own:
        await engine.add_remote_candidate("caller", line[2:], sdp_mid="0")
    with pytest.raises(InvalidSdpError):
        await engine.add_remote_candidate("caller", "candidate:garbage", sdp_mid="0")
    await engine.add_remote_candidate("caller", None)
    assert _remote_hosts(engine, "caller") == {"127.0.0.1"}
    await peer.accept(answer)
    await peer.wait_connected()


async def test_default_config_is_unrestricted_but_never_uses_google_stun(tmp_path: object) -> None:
    """Production defaults: no ICE servers at all unless configured."""
    config = MediaConfig()
    assert config.ice_servers == ()
    assert config.host_addresses is None and config.remote_networks is None
    loopback = MediaConfig.loopback()
    assert loopback.host_addresses == ("127.0.0.1",)


class _RecordingProtocol:
    """Stands in for aioice's UDP protocol: records what would be sent, sends nothing."""

    def __init__(self) -> None:
        self.sent: list[tuple[object, tuple[str, int]]] = []

    def send_stun(self, message: object, addr: tuple[str, int]) -> None:
        self.sent.append((message, addr))


async def test_checks_from_outside_the_allowed_networks_are_not_answered() -> None:
    """A peer-reflexive source outside 127.0.0.0/8 gets no answer (injected, never sent)."""
    from aioice import stun
    from aiortc import RTCConfiguration, RTCPeerConnection

    from server.media.aiortc_private import restrict_remote_sources
    from server.media.netfilter import CandidateFilter

    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.addTransceiver("audio")
        restrict_remote_sources(pc, CandidateFilter.from_cidrs(["127.0.0.0/8"]).allows_address)
        connection = pc.getTransceivers()[0].receiver.transport.transport.iceGatherer._connection
        request = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
        request.attributes["USERNAME"] = f"{connection.local_username}:remote"
        request.attributes["PRIORITY"] = 1
        request.add_message_integrity(connection.local_password.encode())
        protocol = _RecordingProtocol()
        connection.request_received(request, ("192.0.2.99", 5000), protocol)
        assert protocol.sent == []
        connection.request_received(request, ("127.0.0.1", 5000), protocol)
        assert [addr for _, addr in protocol.sent] == [("127.0.0.1", 5000)]
    finally:
        await pc.close()
