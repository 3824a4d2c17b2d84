"""What an SDP offer or answer says about audio (pure).

Used to reject unusable offers before a peer connection exists, to learn the
codec a leg negotiated, and to decide whether two legs can be bridged in the
encoded domain (same codec) or need transcoding.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiortc import sdp as aiortc_sdp

from .errors import InvalidSdpError

# Codec names as aiortc spells them (mimeType "audio/<name>"), lower-cased.
KNOWN_CODECS = ("opus", "pcmu", "pcma")


@dataclass(frozen=True)
class CodecInfo:
    """An audio codec as negotiated on one leg."""

    name: str  # "opus", "pcmu" or "pcma"
    clock_rate: int
    channels: int
    payload_type: int

    @property
    def frame_samples(self) -> int:
        """RTP timestamp increment of a 20 ms packet."""
        return self.clock_rate // 50

    def same_codec(self, other: CodecInfo) -> bool:
        """Whether packets of ``self`` can be forwarded unchanged to ``other``.

        Opus packets are self-describing (mode, bandwidth, frame size, stereo),
        so any Opus receiver decodes any Opus packet whatever the fmtp says.
        """
        return (self.name, self.clock_rate, self.channels) == (
            other.name,
            other.clock_rate,
            other.channels,
        )


@dataclass(frozen=True)
class OfferInfo:
    ice_ufrag: str
    ice_pwd: str
    codecs: tuple[CodecInfo, ...]


def _parse(text: str) -> aiortc_sdp.SessionDescription:
    if not isinstance(text, str) or not text.strip().startswith("v=0"):
        raise InvalidSdpError("SDP must start with 'v=0'")
    try:
        return aiortc_sdp.SessionDescription.parse(text)
    except Exception as exc:  # aiortc raises ValueError, IndexError, KeyError...
        raise InvalidSdpError(f"unparsable SDP: {exc!r}") from exc


def _audio_codecs(media: aiortc_sdp.MediaDescription) -> list[CodecInfo]:
    codecs = []
    for codec in media.rtp.codecs:
        name = codec.mimeType.split("/", 1)[-1].lower()
        if name in KNOWN_CODECS and codec.payloadType is not None:
            codecs.append(
                CodecInfo(
                    name=name,
                    clock_rate=codec.clockRate,
                    channels=codec.channels or 1,
                    payload_type=codec.payloadType,
                )
            )
    return codecs


def parse_offer(text: str, *, accepted: tuple[str, ...]) -> OfferInfo:
    """Check an offer has one usable audio section; return its ICE credentials.

    Raises:
        InvalidSdpError: unparsable, no audio, no ICE credentials, or no codec
            in ``accepted``.
    """
    description = _parse(text)
    audio = [m for m in description.media if m.kind == "audio"]
    if not audio:
        raise InvalidSdpError("offer has no audio section")
    if len(audio) > 1:
        raise InvalidSdpError("offer has more than one audio section")
    media = audio[0]
    if media.port == 0:
        raise InvalidSdpError("offer's audio section is rejected (port 0)")
    if media.ice is None or not media.ice.usernameFragment or not media.ice.password:
        raise InvalidSdpError("offer has no ICE ufrag/pwd")
    if media.dtls is None or not media.dtls.fingerprints:
        raise InvalidSdpError("offer has no DTLS fingerprint")
    wanted = {c.lower() for c in accepted}
    codecs = tuple(c for c in _audio_codecs(media) if c.name in wanted)
    if not codecs:
        raise InvalidSdpError(f"offer has no audio codec among {', '.join(accepted)}")
    return OfferInfo(
        ice_ufrag=media.ice.usernameFragment, ice_pwd=media.ice.password, codecs=codecs
    )


def negotiated_codec(answer: str) -> CodecInfo:
    """The codec the answerer sends with: the first of its audio section."""
    description = _parse(answer)
    for media in description.media:
        if media.kind == "audio":
            codecs = _audio_codecs(media)
            if codecs:
                return codecs[0]
    raise InvalidSdpError("answer has no known audio codec")


def host_candidate_addresses(text: str) -> list[str]:
    """Connection addresses of all ``a=candidate`` lines (for checks and tests)."""
    return [
        line.split()[4]
        for line in text.splitlines()
        if line.startswith("a=candidate:") and len(line.split()) >= 8
    ]
