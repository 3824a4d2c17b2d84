"""Configuration of the media plane, parsed once into frozen objects."""

from __future__ import annotations

from dataclasses import dataclass, field

LOOPBACK_NETWORKS = ("127.0.0.0/8", "::1/128")


@dataclass(frozen=True, kw_only=True)
class IceServer:
    """One STUN or TURN server, as in the W3C ``RTCIceServer`` dictionary.

    aioice uses only the first STUN and the first TURN URL it is given.
    """

    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None


@dataclass(frozen=True, kw_only=True)
class MediaConfig:
    """Settings of :class:`~server.media.engine.MediaEngine`.

    Attributes:
        ice_servers: STUN/TURN servers given to every peer connection. Default: none,
            so no STUN request ever leaves the host (aiortc's own default would
            query a public Google server).
        host_addresses: local addresses to gather host candidates on. ``None``
            (default) keeps aioice's behaviour: every interface except loopback.
            ``("127.0.0.1",)`` for tests, benchmarks and development.
        remote_networks: CIDR networks remote candidates must belong to. ``None``
            (default) accepts every candidate. When set, mDNS (``.local``) and other
            hostname candidates are dropped too, before aioice would resolve them.
        codecs: audio codecs the server accepts, in preference order. Default
            ``("opus", "PCMU", "PCMA")``.
        setup_timeout_s: a leg not ``connected`` this long after its offer was
            answered is closed and reported failed. Default 15 s.
        max_queue_packets: bound of the per-leg forwarding queue; the oldest
            packet is dropped beyond it. Default 4 (80 ms of 20 ms packets).
        worker_threads: threads decoding for recording, conference and
            transcoding. Default 2.
        recording_sample_rate: sample rate of recording WAV files. Default 16000.
        hold_tone_hz: frequencies of the hold tone. Default 440 Hz.
        direct_rtp: forward RTP from the socket callback that receives it, straight to
            the other leg's socket (decrypt, route, encrypt, send; no task or queue per
            packet). ``False`` uses aiortc's own receive and send tasks through each leg's
            bounded queue (``max_queue_packets``), as before. Default True.
    """

    ice_servers: tuple[IceServer, ...] = ()
    host_addresses: tuple[str, ...] | None = None
    remote_networks: tuple[str, ...] | None = None
    codecs: tuple[str, ...] = ("opus", "PCMU", "PCMA")
    setup_timeout_s: float = 15.0
    max_queue_packets: int = 4
    worker_threads: int = 2
    recording_sample_rate: int = 16000
    hold_tone_hz: tuple[float, ...] = field(default=(440.0,))
    direct_rtp: bool = True

    @classmethod
    def loopback(cls, **overrides: object) -> MediaConfig:
        """Config that never sends a packet beyond 127.0.0.0/8 or ::1."""
        values: dict[str, object] = {
            "ice_servers": (),
            "host_addresses": ("127.0.0.1",),
            "remote_networks": LOOPBACK_NETWORKS,
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
