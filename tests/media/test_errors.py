"""Bad input is refused clearly and leaves nothing open."""

from __future__ import annotations

import pytest

from server.media import InvalidSdpError, LegNotFoundError, MediaEngine, MediaError

from .conftest import PeerFactory

GOOD_HEAD = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


@pytest.mark.parametrize(
    "sdp",
    [
        "",
        "hello",
        GOOD_HEAD,  # no media at all
        GOOD_HEAD + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n",
        GOOD_HEAD + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n",
        GOOD_HEAD + "m=audio nine UDP/TLS/RTP/SAVPF 111\r\n",
    ],
    ids=["empty", "garbage", "no-media", "video-only", "no-ice", "bad-port"],
)
async def test_malformed_offer_is_rejected_without_leak(engine: MediaEngine, sdp: str) -> None:
    """open_leg raises InvalidSdpError and no peer connection stays open."""
    with pytest.raises(InvalidSdpError):
        await engine.open_leg("caller", sdp)
    assert engine.open_peer_connections == 0


async def test_offer_without_common_codec(engine: MediaEngine, peers: PeerFactory) -> None:
    """An offer with only codecs the server refuses is rejected before any pc exists."""
    offer = await peers("caller", 440.0, codecs=["G722"]).offer()
    with pytest.raises(InvalidSdpError, match="no audio codec"):
        await engine.open_leg("caller", offer)
    assert engine.open_peer_connections == 0


async def test_bad_fingerprint_closes_the_new_pc(engine: MediaEngine, peers: PeerFactory) -> None:
    """An offer aiortc itself rejects mid-negotiation leaves no pc open."""
    offer = await peers("caller", 440.0).offer()
    broken = offer.replace("a=fingerprint:sha-256", "a=fingerprint:nosuchalg")
    broken = broken.replace("a=setup:actpass", "a=setup:bogus")
    with pytest.raises(InvalidSdpError):
        await engine.open_leg("caller", broken)
    assert engine.open_peer_connections == 0


async def test_unknown_leg_and_bad_arguments(engine: MediaEngine, peers: PeerFactory) -> None:
    with pytest.raises(LegNotFoundError):
        await engine.bridge("nobody", "nobody-else")
    with pytest.raises(LegNotFoundError):
        engine.hold("nobody", True)
    with pytest.raises(MediaError):
        await engine.stop_recording("no-call")
    await engine.close_leg("nobody")  # idempotent


async def test_duplicate_leg_id_is_refused(engine: MediaEngine, peers: PeerFactory) -> None:
    await engine.open_leg("caller", await peers("a", 440.0).offer())
    with pytest.raises(MediaError, match="already exists"):
        await engine.open_leg("caller", await peers("b", 440.0).offer())
    assert engine.open_peer_connections == 1
    with pytest.raises(ValueError):
        engine.send_dtmf("caller", "12x")
    await engine.close_leg("caller")
    assert engine.open_peer_connections == 0
