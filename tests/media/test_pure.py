"""The pure cores: candidate filter, SDP check, re-basing, tones, mixing."""

from __future__ import annotations

import numpy as np
import pytest

from server.media import InvalidSdpError
from server.media.codec import AudioDecoder, encode_frames
from server.media.config import LOOPBACK_NETWORKS
from server.media.mixer import PcmFifo, mix_minus
from server.media.netfilter import CandidateFilter, parse_candidate_address
from server.media.rtptime import TimestampRebaser
from server.media.sdpinfo import CodecInfo, negotiated_codec, parse_offer
from server.media.tones import DTMF_FREQUENCIES, dtmf_frames, hold_frames

from .audio import band_ratio, detect_dtmf

LOOP = CandidateFilter.from_cidrs(LOOPBACK_NETWORKS)
OPUS = CodecInfo("opus", 48000, 2, 111)
PCMU = CodecInfo("pcmu", 8000, 1, 0)


@pytest.mark.parametrize(
    ("candidate", "allowed"),
    [
        ("candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host", True),
        ("1 1 udp 2122260223 127.8.9.10 5000 typ host", True),
        ("candidate:1 1 udp 2122260223 ::1 5000 typ host", True),
        ("candidate:1 1 udp 2122260223 192.0.2.2 5000 typ host", False),
        ("candidate:1 1 udp 2122260223 fd00::2 5000 typ host", False),
        ("candidate:1 1 udp 2122260223 fe80::1%eth0 5000 typ host", False),
        ("candidate:1 1 udp 2122260223 abc-def.local 5000 typ host", False),
        ("candidate:1 1 udp 1 203.0.113.9 5000 typ srflx raddr 127.0.0.1 rport 1", False),
    ],
)
def test_loopback_candidate_filter(candidate: str, allowed: bool) -> None:
    assert LOOP.allows_candidate(candidate) is allowed
    assert CandidateFilter.from_cidrs(None).allows_candidate(candidate)


def test_filter_sdp_drops_lines_and_malformed_candidates() -> None:
    sdp = (
        "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
        "a=candidate:1 1 udp 1 127.0.0.1 5000 typ host\r\n"
        "a=candidate:2 1 udp 1 192.0.2.2 5000 typ host\r\n"
        "a=candidate:broken\r\na=end-of-candidates\r\n"
    )
    filtered, removed = LOOP.filter_sdp(sdp)
    assert removed == 2
    assert "127.0.0.1" in filtered and "192.0.2.2" not in filtered
    assert filtered.endswith("a=end-of-candidates\r\n")
    with pytest.raises(ValueError):
        parse_candidate_address("candidate:1 1 udp")


OFFER = (
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendrecv\r\n"
    "a=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
    "a=fingerprint:sha-256 " + ":".join(["AB"] * 32) + "\r\na=setup:actpass\r\n"
)


def test_parse_offer_and_codec_check() -> None:
    info = parse_offer(OFFER, accepted=("opus", "PCMU"))
    assert (info.ice_ufrag, info.ice_pwd) == ("abcd", "abcdefghijklmnopqrstuvwx")
    assert [c.name for c in info.codecs] == ["opus", "pcmu"]
    assert negotiated_codec(OFFER) == OPUS
    assert OPUS.same_codec(CodecInfo("opus", 48000, 2, 109))
    assert not OPUS.same_codec(PCMU)
    assert PCMU.frame_samples == 160 and OPUS.frame_samples == 960
    with pytest.raises(InvalidSdpError, match="no audio codec"):
        parse_offer(OFFER, accepted=("G722",))
    with pytest.raises(InvalidSdpError, match="ufrag"):
        parse_offer(OFFER.replace("a=ice-ufrag:abcd\r\n", ""), accepted=("opus",))


def test_rebaser_is_continuous_across_sources_and_wraps() -> None:
    rebaser = TimestampRebaser(clock_rate=48000, frame_samples=960)
    assert rebaser.rebase("a", 1_000_000, 0.0) == 0
    assert rebaser.rebase("a", 1_000_960, 0.02) == 960
    # new source (transfer), 20 ms later: exactly one frame on
    assert rebaser.rebase("b", 4_000_000_000, 0.04) == 1920
    # source b wraps around 2**32
    assert rebaser.rebase("b", (4_000_000_000 + 960) % 2**32, 0.06) == 2880
    assert rebaser.rebase("b", (4_000_000_000 + 300_000_000) % 2**32, 6.3) == 1920 + 300_000_000
    # a source switch after a 2 s pause advances by the pause
    assert rebaser.rebase("a", 5, 8.3) == 1920 + 300_000_000 + 96_000
    # reordered packet of the same source stays behind
    assert rebaser.rebase("a", 5 - 960, 8.31) == 1920 + 300_000_000 + 96_000 - 960


@pytest.mark.parametrize("codec", [OPUS, PCMU], ids=["opus", "pcmu"])
def test_all_dtmf_digits_survive_encoding(codec: CodecInfo) -> None:
    digits = "".join(DTMF_FREQUENCIES)
    decoder = AudioDecoder(codec)
    payloads = encode_frames(codec, dtmf_frames(digits))
    pcm = np.concatenate([decoder.decode(p) for p in payloads])
    assert detect_dtmf(pcm) == digits


def test_hold_frames_loop_without_click() -> None:
    frames = hold_frames((440.0,))
    assert len(frames) == 50 and all(len(f) == 960 for f in frames)
    loop = np.concatenate(frames * 2)
    assert band_ratio(loop, 440) > 0.99
    assert abs(int(loop[48000]) - int(loop[47999])) < 300  # no jump at the loop point


def test_mix_minus_and_fifo() -> None:
    frames = {
        "a": np.full(4, 1000, np.int16),
        "b": np.full(4, 2000, np.int16),
        "c": np.full(4, 30000, np.int16),
    }
    mixed = mix_minus(frames)
    assert mixed["a"][0] == 32000 and mixed["b"][0] == 31000
    assert mixed["c"][0] == 3000
    assert (
        mix_minus(
            {
                "a": np.full(2, 30000, np.int16),
                "b": np.full(2, 30000, np.int16),
                "c": np.full(2, 30000, np.int16),
            }
        )["a"][0]
        == 32767
    )
    fifo = PcmFifo(max_samples=5)
    fifo.push(np.arange(4, dtype=np.int16))
    fifo.push(np.arange(4, 7, dtype=np.int16))
    assert len(fifo) == 5 and fifo.dropped_samples == 2
    assert fifo.pop(3).tolist() == [2, 3, 4]
    assert fifo.pop(4).tolist() == [5, 6, 0, 0]
