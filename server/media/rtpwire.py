"""RTP packets as bytes, without objects (RFC 3550 section 5.1, RFC 8285; pure).

The bridge forwards every packet of every leg, so it reads and writes RTP headers with
one ``struct`` call each instead of aiortc's ``RtpPacket`` (an object, a header-extension
object and a few dicts per packet). The rules match aiortc 1.16's ``RtpPacket.parse`` and
``RtpPacket.serialize`` (``aiortc_private``'s self-test compares the bytes).
"""

from __future__ import annotations

import struct
from typing import NamedTuple

HEADER = struct.Struct("!BBHII")
_EXTENSION = struct.Struct("!HH")
_RTP_VERSION = 2
# Seconds from the NTP epoch (1900) to the Unix epoch (1970).
NTP_UNIX_OFFSET = 2208988800


class RtpFields(NamedTuple):
    """What the bridge needs of a received RTP packet."""

    payload_type: int
    sequence_number: int
    timestamp: int
    ssrc: int
    payload: bytes


def parse(data: bytes) -> RtpFields | None:
    """The fields of one decrypted RTP packet, or ``None`` if it is malformed.

    Header extensions and CSRCs are skipped; padding is removed from the payload.
    """
    if len(data) < HEADER.size:
        return None
    first, second, sequence_number, timestamp, ssrc = HEADER.unpack_from(data)
    if first >> 6 != _RTP_VERSION:
        return None
    position = HEADER.size + 4 * (first & 0x0F)
    if first & 0x10:
        if len(data) < position + _EXTENSION.size:
            return None
        _profile, length = _EXTENSION.unpack_from(data, position)
        position += _EXTENSION.size + 4 * length
    end = len(data)
    if first & 0x20:
        padding = data[-1]
        if not padding or padding > end - position:
            return None
        end -= padding
    if position > end:
        return None
    return RtpFields(second & 0x7F, sequence_number, timestamp, ssrc, data[position:end])


def ntp_time(unix_s: float) -> int:
    """A 64-bit NTP timestamp (32.32 fixed point) for a Unix time in seconds."""
    return int((unix_s + NTP_UNIX_OFFSET) * (1 << 32))


def abs_send_time(ntp: int) -> int:
    """The 24-bit abs-send-time value (6.18 fixed-point seconds) of an NTP timestamp."""
    return (ntp >> 14) & 0xFFFFFF


class ExtensionLayout(NamedTuple):
    """A sender's header-extension block, split around its abs-send-time value.

    ``suffix`` is ``None`` when abs-send-time is not negotiated: ``prefix`` is then the
    whole block (possibly empty: no extensions).
    """

    prefix: bytes
    suffix: bytes | None

    @classmethod
    def between(cls, low: bytes, high: bytes) -> ExtensionLayout:
        """The layout from the same block serialized with abs-send-time 0 and 0xFFFFFF.

        Raises:
            ValueError: the two blocks differ elsewhere than in one 3-byte value.
        """
        if len(low) != len(high):
            raise ValueError("extension blocks differ in length")
        changed = [i for i, (a, b) in enumerate(zip(low, high, strict=True)) if a != b]
        if not changed:
            return cls(low, None)
        start = changed[0]
        if changed[-1] - start > 2:
            raise ValueError("extension blocks differ beyond one abs-send-time value")
        return cls(low[:start], low[start + 3 :])

    @property
    def present(self) -> bool:
        return bool(self.prefix) or self.suffix is not None

    def block(self, ntp: int) -> bytes:
        """The block for a packet sent at ``ntp``."""
        if self.suffix is None:
            return self.prefix
        return self.prefix + abs_send_time(ntp).to_bytes(3, "big") + self.suffix
