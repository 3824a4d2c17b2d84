"""rtpwire: RTP headers parsed and built as aiortc parses and builds them."""

from __future__ import annotations

import datetime

import pytest
from aiortc import clock
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket

from server.media import rtpwire

MID = "urn:ietf:params:rtp-hdrext:sdes:mid"
ABS_SEND_TIME = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
AUDIO_LEVEL = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"


def _map(*extensions: tuple[int, str]) -> HeaderExtensionsMap:
    extensions_map = HeaderExtensionsMap()
    extensions_map.configure(
        RTCRtpParameters(
            headerExtensions=[RTCRtpHeaderExtensionParameters(id=i, uri=u) for i, u in extensions]
        )
    )
    return extensions_map


def _packet(**fields: object) -> RtpPacket:
    packet = RtpPacket(payload_type=111, sequence_number=65000, timestamp=4_000_000_000)
    packet.ssrc = 0x01020304
    packet.payload = b"\xfc" + bytes(range(60))
    for name, value in fields.items():
        setattr(packet, name, value)
    return packet


@pytest.mark.parametrize(
    "packet",
    [
        _packet(),
        _packet(marker=1, csrc=[7, 8]),
        _packet(padding_size=4),
        _packet(payload=b""),
    ],
    ids=["plain", "marker-csrc", "padding", "empty"],
)
def test_parse_reads_what_aiortc_reads(packet: RtpPacket) -> None:
    extensions_map = _map((1, AUDIO_LEVEL), (3, ABS_SEND_TIME), (4, MID))
    packet.extensions.mid = "0"
    packet.extensions.abs_send_time = 0x123456
    packet.extensions.audio_level = (True, 30)
    data = packet.serialize(extensions_map)
    theirs = RtpPacket.parse(data, extensions_map)
    assert rtpwire.parse(data) == (
        theirs.payload_type,
        theirs.sequence_number,
        theirs.timestamp,
        theirs.ssrc,
        theirs.payload,
    )


@pytest.mark.parametrize(
    "data",
    [
        b"\x80\x6f\x00",  # shorter than a header
        b"\x40\x6f" + bytes(10),  # version 1
        b"\x90\x6f" + bytes(10) + b"\xbe",  # extension header cut short
        b"\x90\x6f" + bytes(10) + b"\xbe\xde\x00\x05",  # extension longer than the packet
        b"\xa0\x6f" + bytes(10) + b"\x00",  # padding length 0
        b"\xa0\x6f" + bytes(10) + b"\x09",  # more padding than payload
    ],
)
def test_parse_refuses_what_aiortc_refuses(data: bytes) -> None:
    with pytest.raises(ValueError):
        RtpPacket.parse(data)
    assert rtpwire.parse(data) is None


def test_ntp_time_matches_aiortc_clock() -> None:
    moment = datetime.datetime(2026, 12, 2, 15, 30, 1, 250_000, tzinfo=datetime.UTC)
    ours = rtpwire.ntp_time(moment.timestamp())
    assert abs(ours - clock.datetime_to_ntp(moment)) < 1 << 12  # under 1 µs apart
    assert rtpwire.abs_send_time(ours) == (clock.datetime_to_ntp(moment) >> 14) & 0xFFFFFF


@pytest.mark.parametrize(
    ("extensions", "mid"),
    [
        (((4, MID), (2, ABS_SEND_TIME)), "0"),
        (((2, ABS_SEND_TIME),), None),
        (((4, MID),), "audio"),
        ((), None),
    ],
    ids=["mid-and-abs-send-time", "abs-send-time", "mid", "none"],
)
def test_extension_layout_rebuilds_aiortc_blocks(
    extensions: tuple[tuple[int, str], ...], mid: str | None
) -> None:
    extensions_map = _map(*extensions)

    def block(abs_send_time: int) -> bytes:
        packet = _packet()
        packet.extensions.mid = mid
        packet.extensions.abs_send_time = abs_send_time
        return packet.serialize(extensions_map)[12 : -len(packet.payload)]

    layout = rtpwire.ExtensionLayout.between(block(0), block(0xFFFFFF))
    assert layout.present == bool(extensions)
    ntp = rtpwire.ntp_time(1_800_000_000.5)
    assert layout.block(ntp) == block(rtpwire.abs_send_time(ntp))


def test_extension_layout_refuses_blocks_that_differ_elsewhere() -> None:
    with pytest.raises(ValueError):
        rtpwire.ExtensionLayout.between(b"\x01\x00\x00\x00\x02", b"\x01\xff\xff\xff\x03")
    with pytest.raises(ValueError):
        rtpwire.ExtensionLayout.between(b"\x01", b"\x01\x02")
