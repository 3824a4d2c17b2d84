"""Every use of aiortc/aioice internals, in one place, with a self-test.

The bridge relies on things stock aiortc 1.16 (and asyncio) do not offer publicly:

1. **RTP tap.** ``RTCDtlsTransport._handle_rtp_data`` hands each decrypted RTP
   packet to ``receiver._handle_rtp_packet(packet, arrival_time_ms=...)``,
   looked up on the receiver *instance*. :func:`install_rtp_tap` replaces it
   on one receiver: the packet goes to our sink instead of the jitter buffer
   and decoder thread, while the receiver's per-SSRC statistics (name-mangled
   ``__remote_streams``, ``__active_ssrc``, ``__codecs``) are still updated,
   so RTCP receiver reports keep flowing.
2. **Encoded send.** ``RTCRtpSender`` packs an ``av.Packet`` returned by its
   track instead of encoding it (``encoder.pack``; documented since 1.4.0 for
   ``MediaPlayer(decode=False)``, but only exercised through a private loop).
3. **Host-candidate restriction.** aioice gathers on every non-loopback
   interface, via the module-level ``get_host_addresses``, inside
   ``Connection.gather_candidates``, which passes the list to
   ``self.get_component_candidates(component=, addresses=)``.
   :func:`restrict_host_addresses` wraps that method on the one
   ``Connection`` instance owned by each of our ``RTCIceGatherer``\\ s
   (``gatherer._connection``), replacing the address list. Nothing global is
   patched, so other peer connections in the process are unaffected.
4. aiortc's own ``RTCIceGatherer`` must not be given ``iceServers=None``
   (it would add Google's STUN server); that is public API and enforced by the
   engine always building an ``RTCConfiguration``.
5. **One DTLS identity per engine.** Each ``RTCPeerConnection`` makes its own
   certificate (name-mangled ``__certificates``) and each DTLS transport builds
   a fresh OpenSSL context from it: about a sixth of the server's CPU per call
   set-up. :func:`share_certificate` gives a new peer connection the engine's
   :class:`SharedCertificate`, whose SSL context and fingerprints are made once.
   The DTLS-SRTP keys stay per call (ephemeral ECDHE in every handshake); only
   the identity that the SDP fingerprint pins is shared, as browsers allow with
   ``RTCPeerConnection({certificates})``.

6. **Datagram read size.** asyncio's UDP transports read every datagram into a fresh
   ``max_size`` buffer (``_SelectorDatagramTransport.max_size``, 256 KiB), which glibc
   serves with ``mmap`` and releases again: about 15 µs per received packet, where a 64 KiB
   buffer (which still holds the largest UDP datagram, 65,507 bytes) costs about 1 µs.
   :func:`trim_receive_buffers` sets the instance attribute on each of a peer connection's
   ICE sockets; nothing global changes.

Run :func:`self_test` once at server start: it exercises 1-3, 5 and 6 without any
network traffic beyond binding a UDP socket on 127.0.0.1, and raises
:class:`~server.media.errors.PrivateApiError` if aiortc changed.
"""

from __future__ import annotations

import asyncio
import asyncio.selector_events
import datetime
import fractions
import inspect
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import aiortc
import av
import pylibsrtp
from aiortc import (
    RTCCertificate,
    RTCConfiguration,
    RTCIceGatherer,
    RTCIceTransport,
    RTCPeerConnection,
    RTCRtpCodecParameters,
    RTCRtpHeaderExtensionParameters,
    RTCRtpTransceiver,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcdtlstransport import RTCDtlsFingerprint, RtpRouter, SRTPProtectionProfile
from aiortc.rtcdtlstransport import State as DtlsState
from aiortc.rtcrtpparameters import RTCRtpSendParameters
from aiortc.rtcrtpreceiver import RTCRtpReceiver, StreamStatistics
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import HeaderExtensionsMap, RtpPacket
from aiortc.utils import random16, random32

from . import rtpwire
from .errors import PrivateApiError

logger = logging.getLogger(__name__)

TESTED_AIORTC_VERSIONS = ("1.16.0",)

RtpSink = Callable[[RtpPacket, int], None]
# (payload type, SSRC, RTP timestamp, payload) of one received RTP packet.
DirectRtpSink = Callable[[int, int, int, bytes], None]

# The largest UDP payload is 65,507 bytes (IPv4), 65,527 (IPv6 without jumbograms).
DATAGRAM_READ_SIZE = 65536


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def install_rtp_tap(receiver: RTCRtpReceiver, sink: RtpSink) -> None:
    """Divert a receiver's RTP packets to ``sink(packet, arrival_time_ms)``.

    Call before the receiver starts (e.g. right after ``setRemoteDescription``).
    The sink runs on the event loop for every packet: keep it cheap. Packets
    with a payload type that was not negotiated are dropped, as aiortc does.
    """
    codecs: dict[int, Any] = receiver._RTCRtpReceiver__codecs  # type: ignore[attr-defined]
    streams: dict[int, Any] = receiver._RTCRtpReceiver__remote_streams  # type: ignore[attr-defined]
    active: dict[int, Any] = receiver._RTCRtpReceiver__active_ssrc  # type: ignore[attr-defined]

    async def handle_rtp_packet(packet: RtpPacket, arrival_time_ms: int) -> None:
        if not receiver._enabled:
            return
        codec = codecs.get(packet.payload_type)
        if codec is None:
            return
        stream = streams.get(packet.ssrc)
        if stream is None:
            stream = streams[packet.ssrc] = StreamStatistics(codec.clockRate)
            active[packet.ssrc] = _now()
        stream.add(packet)
        sink(packet, arrival_time_ms)

    receiver._handle_rtp_packet = handle_rtp_packet  # type: ignore[method-assign]


class _SequenceAndTimestamp:
    """What ``StreamStatistics.add`` reads of a packet (one reused per receiver)."""

    __slots__ = ("sequence_number", "timestamp")

    def __init__(self) -> None:
        self.sequence_number = 0
        self.timestamp = 0


def install_direct_rtp(transceiver: RTCRtpTransceiver, sink: DirectRtpSink) -> None:
    """Hand a transceiver's RTP to ``sink`` from the socket callback, with no task in between.

    aiortc moves each datagram through an ``asyncio.Queue`` (aioice) to the DTLS transport's
    task, which decrypts it, parses it into an ``RtpPacket`` and awaits the receiver. Here
    the ICE sockets' ``datagram_received`` decrypts SRTP with the DTLS transport's own
    session, parses the header (:mod:`.rtpwire`), updates the receiver's RTCP statistics as
    aiortc does, and calls ``sink(payload_type, ssrc, timestamp, payload)``. Everything else
    (STUN, DTLS, SRTCP) takes aiortc's path unchanged, and so do RTP packets that arrive
    through it (:func:`install_rtp_tap` feeds them to the same sink).

    Call after ``setLocalDescription`` (gathering creates the sockets), on a peer connection
    with this one transceiver. A packet that fails to decrypt or parse is dropped, as aiortc
    drops it.
    """
    receiver = transceiver.receiver
    dtls = receiver.transport
    codecs: dict[int, Any] = receiver._RTCRtpReceiver__codecs  # type: ignore[attr-defined]
    streams: dict[int, Any] = receiver._RTCRtpReceiver__remote_streams  # type: ignore[attr-defined]
    active: dict[int, Any] = receiver._RTCRtpReceiver__active_ssrc  # type: ignore[attr-defined]
    seen = _SequenceAndTimestamp()

    def deliver(payload_type: int, sequence_number: int, timestamp: int, ssrc: int,
                payload: bytes) -> None:  # fmt: skip
        if not receiver._enabled:
            return
        codec = codecs.get(payload_type)
        if codec is None:
            return
        stream = streams.get(ssrc)
        if stream is None:
            stream = streams[ssrc] = StreamStatistics(codec.clockRate)
            active[ssrc] = _now()
        seen.sequence_number, seen.timestamp = sequence_number, timestamp
        stream.add(seen)  # type: ignore[arg-type]
        sink(payload_type, ssrc, timestamp, payload)

    install_rtp_tap(
        receiver,
        lambda p, _arrival: deliver(p.payload_type, p.sequence_number, p.timestamp, p.ssrc,
                                    p.payload),
    )  # fmt: skip

    def on_srtp(data: bytes) -> None:
        try:
            plain = dtls._rx_srtp.unprotect(data)
        except pylibsrtp.Error as exc:
            logger.debug("x SRTP unprotect failed: %s", exc)
            return
        dtls._RTCDtlsTransport__rx_bytes += len(data)  # type: ignore[attr-defined]
        dtls._RTCDtlsTransport__rx_packets += 1  # type: ignore[attr-defined]
        fields = rtpwire.parse(plain)
        if fields is not None:
            deliver(*fields)

    router = dtls._rtp_router
    for protocol in dtls.transport._connection._protocols:
        original = protocol.datagram_received

        def datagram_received(
            data: bytes, addr: tuple[Any, ...], _original: Any = original
        ) -> None:
            # SRTP, not SRTCP (RFC 7983 first byte 128-191; RFC 5761 payload types 192-208),
            # once the DTLS handshake has produced the keys.
            if (
                len(data) > rtpwire.HEADER.size
                and 127 < data[0] < 192
                and not 191 < data[1] < 209
                and dtls._rx_srtp is not None
                and dtls._state is DtlsState.CONNECTED
                and len(router.receivers) == 1
            ):
                # An error here would reach asyncio's read callback, which closes the socket.
                try:
                    on_srtp(data)
                except Exception:
                    logger.exception("x direct RTP: packet dropped")
            else:
                _original(data, addr)

        protocol.datagram_received = datagram_received  # type: ignore[method-assign,assignment]


class _ParkedTrack(MediaStreamTrack):
    """The track of a sender that :class:`RtpWriter` sends for: it never yields a frame.

    aiortc's send loop awaits ``recv()`` once and stays there, costing nothing, until the
    sender stops (cancelling it) or the track is stopped.
    """

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def recv(self) -> av.Packet[Any]:
        await self._ended
        raise MediaStreamError

    def stop(self) -> None:
        super().stop()
        if not self._ended.done():
            self._ended.set_result(None)


def _not_connected(_data: bytes, _addr: tuple[str, int]) -> None:
    raise ConnectionError("no nominated ICE pair")


class RtpWriter:
    """Sends already-encoded payloads on one sender's RTP stream, synchronously.

    aiortc's sender wakes a task per packet, wraps the payload in an ``av.Packet``, builds an
    ``RtpPacket`` and awaits four coroutines down to ``sendto``. :meth:`send` does the same
    work in one call: the RTP header as aiortc writes it (the sender's SSRC, its negotiated
    header extensions, marker set on every audio packet), SRTP with the DTLS transport's
    session, ``sendto`` on the nominated ICE pair's socket, and the sender's RTCP sender-report
    counters. The sender keeps its RTCP loop; its RTP loop idles on a :class:`_ParkedTrack`.

    Create it before the sender starts (right after ``setLocalDescription``); :meth:`send`
    returns False until the leg is connected.
    """

    def __init__(self, sender: RTCRtpSender, *, payload_type: int) -> None:
        self._sender = sender
        self._dtls = sender.transport
        self._second_byte = 0x80 | payload_type  # marker bit: one payload per frame
        self._sequence_number = random16()
        self._timestamp_origin = random32()
        self._layout: rtpwire.ExtensionLayout | None = None
        self._first_byte = 0x80
        self._pair: Any = None
        self._sendto: Callable[[bytes, tuple[str, int]], None] = _not_connected
        self._remote: tuple[str, int] = ("", 0)
        sender.replaceTrack(_ParkedTrack())

    def _prepare(self) -> bool:
        sender = self._sender
        if not sender._RTCRtpSender__started:  # type: ignore[attr-defined]
            return False
        extensions_map = sender._RTCRtpSender__rtp_header_extensions_map  # type: ignore[attr-defined]
        mid = sender._RTCRtpSender__mid  # type: ignore[attr-defined]
        self._layout = _extension_layout(extensions_map, mid)
        self._first_byte = 0x90 if self._layout.present else 0x80
        return True

    def send(self, timestamp: int, payload: bytes) -> bool:
        """Send one payload with RTP timestamp ``timestamp`` (before the stream's origin).

        Returns False, sending nothing, until the leg is connected, or after it closed.
        """
        dtls = self._dtls
        if dtls._state is not DtlsState.CONNECTED or not self._sender._enabled:
            return False
        if self._layout is None and not self._prepare():
            return False
        pair = dtls.transport._connection._nominated.get(1)
        if pair is not self._pair:
            if pair is None:
                return False
            # StunProtocol.send_data is transport.sendto(data, addr), behind two awaits.
            self._pair, self._sendto, self._remote = (
                pair,
                pair.protocol.transport.sendto,
                pair.remote_addr,
            )
        sender = self._sender
        rtp_timestamp = (self._timestamp_origin + timestamp) & 0xFFFFFFFF
        ntp = rtpwire.ntp_time(time.time())
        data = dtls._tx_srtp.protect(
            rtpwire.HEADER.pack(
                self._first_byte, self._second_byte, self._sequence_number, rtp_timestamp,
                sender._ssrc,
            )
            + self._layout.block(ntp)  # type: ignore[union-attr]
            + payload
        )  # fmt: skip
        self._sendto(data, self._remote)
        self._sequence_number = (self._sequence_number + 1) & 0xFFFF
        dtls._RTCDtlsTransport__tx_bytes += len(data)  # type: ignore[attr-defined]
        dtls._RTCDtlsTransport__tx_packets += 1  # type: ignore[attr-defined]
        # What aiortc's send loop records for the next RTCP sender report.
        sender._RTCRtpSender__ntp_timestamp = ntp  # type: ignore[attr-defined]
        sender._RTCRtpSender__rtp_timestamp = rtp_timestamp  # type: ignore[attr-defined]
        sender._RTCRtpSender__octet_count += len(payload)  # type: ignore[attr-defined]
        sender._RTCRtpSender__packet_count += 1  # type: ignore[attr-defined]
        return True


def _extension_layout(
    extensions_map: HeaderExtensionsMap, mid: str | None
) -> rtpwire.ExtensionLayout:
    """Where a sender's header extensions go, from aiortc's own serializer."""

    def block(abs_send_time: int) -> bytes:
        packet = RtpPacket(payload_type=0, sequence_number=0, timestamp=0, ssrc=0)
        packet.extensions.mid = mid
        packet.extensions.abs_send_time = abs_send_time
        return packet.serialize(extensions_map)[rtpwire.HEADER.size :]

    return rtpwire.ExtensionLayout.between(block(0), block(0xFFFFFF))


def _gatherers(pc: RTCPeerConnection) -> list[RTCIceGatherer]:
    return [t.receiver.transport.transport.iceGatherer for t in pc.getTransceivers()]


def restrict_gatherer(gatherer: RTCIceGatherer, addresses: Sequence[str]) -> None:
    """Make one gatherer bind host candidates on ``addresses`` only."""
    connection = gatherer._connection
    original = connection.get_component_candidates
    allowed = list(addresses)

    async def get_component_candidates(
        component: int, addresses: list[str], timeout: int = 5
    ) -> list[Any]:
        return await original(component=component, addresses=allowed, timeout=timeout)

    connection.get_component_candidates = get_component_candidates  # type: ignore[method-assign]


def restrict_host_addresses(pc: RTCPeerConnection, addresses: Sequence[str] | None) -> None:
    """Restrict host-candidate gathering of every transport of ``pc``.

    Call after the transceivers exist and before ``setLocalDescription`` (which
    gathers). ``None`` leaves aioice's default (all non-loopback interfaces).
    """
    if addresses is None:
        return
    for gatherer in _gatherers(pc):
        if gatherer.state == "new":
            restrict_gatherer(gatherer, addresses)


def trim_receive_buffers(pc: RTCPeerConnection) -> None:
    """Read ``pc``'s UDP datagrams into 64 KiB buffers instead of asyncio's 256 KiB.

    Call after ``setLocalDescription`` (which gathers, creating the sockets). Transports
    without a ``max_size`` (a TURN relay's) are left as they are.
    """
    for gatherer in _gatherers(pc):
        for protocol in gatherer._connection._protocols:
            transport = getattr(protocol, "transport", None)
            if isinstance(getattr(transport, "max_size", None), int):
                transport.max_size = DATAGRAM_READ_SIZE  # type: ignore[union-attr]


def restrict_remote_sources(pc: RTCPeerConnection, allows_address: Callable[[str], bool]) -> None:
    """Ignore ICE connectivity checks arriving from addresses ``allows_address`` refuses.

    Filtering the SDP and trickled candidates is not enough: aioice answers any authenticated
    check and learns the sender as a peer-reflexive candidate (RFC 8445 section 7.3.1.3), so
    a browser checking from a non-loopback interface would get answers sent to that address.
    Dropping such requests before aioice sees them keeps media inside the allowed networks.
    """
    for gatherer in _gatherers(pc):
        connection = gatherer._connection
        original = connection.request_received

        def request_received(
            message: Any, addr: tuple[str, int], protocol: Any, _original: Any = original
        ) -> None:
            if allows_address(addr[0]):
                _original(message, addr, protocol)
            else:
                logger.debug("x ICE check from %s dropped: outside the allowed networks", addr[0])

        connection.request_received = request_received  # type: ignore[method-assign]


class SharedCertificate(RTCCertificate):
    """A DTLS certificate for many peer connections; its OpenSSL context is built once.

    An ``SSL_CTX`` may back any number of connections of one thread: each connection
    keeps its own handshake and keys.
    """

    def __init__(self, key: Any, cert: Any) -> None:
        super().__init__(key=key, cert=cert)
        self._fingerprints: list[RTCDtlsFingerprint] | None = None
        self._contexts: dict[tuple[bytes, ...], Any] = {}

    def getFingerprints(self) -> list[RTCDtlsFingerprint]:
        if self._fingerprints is None:
            self._fingerprints = super().getFingerprints()
        return list(self._fingerprints)

    def _create_ssl_context(self, srtp_profiles: list[SRTPProtectionProfile]) -> Any:
        key = tuple(p.openssl_profile for p in srtp_profiles)
        context = self._contexts.get(key)
        if context is None:
            context = self._contexts[key] = super()._create_ssl_context(srtp_profiles)
        return context


def share_certificate(pc: RTCPeerConnection, certificate: SharedCertificate) -> None:
    """Make ``pc`` use ``certificate``; call right after constructing it."""
    pc._RTCPeerConnection__certificates = [certificate]  # type: ignore[attr-defined]


class _StubTransport:
    """Just enough of an RTCDtlsTransport to construct a receiver or sender."""

    state = "new"
    _stats_id = "stub"


class _OnePacketTrack(MediaStreamTrack):
    kind = "audio"

    def __init__(self, packet: av.Packet[Any]) -> None:
        super().__init__()
        self._packet = packet

    async def recv(self) -> av.Packet[Any]:
        return self._packet


def _check(condition: bool, what: str) -> None:
    if not condition:
        raise PrivateApiError(
            f"aiortc {aiortc.__version__}: {what}; the encoded bridge cannot run "
            "(see docs/media.md, 'Private aiortc API')"
        )


async def _check_tap() -> None:
    receiver = RTCRtpReceiver("audio", _StubTransport())  # type: ignore[arg-type]
    for name in ("__codecs", "__remote_streams", "__active_ssrc"):
        _check(
            isinstance(getattr(receiver, "_RTCRtpReceiver" + name, None), dict),
            f"RTCRtpReceiver.{name} is not a dict",
        )
    params = inspect.signature(RTCRtpReceiver._handle_rtp_packet).parameters
    _check(list(params) == ["self", "packet", "arrival_time_ms"], "_handle_rtp_packet changed")
    source = inspect.getsource(aiortc.rtcdtlstransport.RTCDtlsTransport._handle_rtp_data)
    _check("receiver._handle_rtp_packet(" in source, "DTLS no longer calls _handle_rtp_packet")

    seen: list[bytes] = []
    install_rtp_tap(receiver, lambda packet, _arrival: seen.append(packet.payload))
    receiver._RTCRtpReceiver__codecs[111] = RTCRtpCodecParameters(  # type: ignore[attr-defined]
        mimeType="audio/opus", clockRate=48000, channels=2, payloadType=111
    )
    packet = RtpPacket(payload_type=111, sequence_number=1, timestamp=960, ssrc=1234)
    packet.payload = b"\xfc\x01"
    await receiver._handle_rtp_packet(packet, arrival_time_ms=0)
    streams = receiver._RTCRtpReceiver__remote_streams  # type: ignore[attr-defined]
    _check(seen == [b"\xfc\x01"], "RTP tap did not deliver the packet")
    _check(streams[1234].packets_received == 1, "RTP tap did not update RTCP statistics")


async def _check_encoded_send() -> None:
    packet = av.Packet(b"\xfc\x02\x03")
    packet.pts = 1920
    packet.time_base = fractions.Fraction(1, 48000)
    sender = RTCRtpSender(_OnePacketTrack(packet), _StubTransport())  # type: ignore[arg-type]
    codec = RTCRtpCodecParameters(
        mimeType="audio/opus", clockRate=48000, channels=2, payloadType=111
    )
    frame = await sender._next_encoded_frame(codec)
    _check(
        frame is not None and frame.payloads == [b"\xfc\x02\x03"] and frame.timestamp == 1920,
        "RTCRtpSender no longer sends av.Packet payloads unchanged",
    )


def _source(function: Any) -> str:
    return inspect.getsource(function)


async def _check_direct_rtp() -> None:
    """What :func:`install_direct_rtp` and :class:`RtpWriter` stand in for, still as they were."""
    import aioice.ice

    dtls_class = aiortc.rtcdtlstransport.RTCDtlsTransport
    recv_next = _source(dtls_class._recv_next)
    _check(
        "self._rx_srtp.unprotect(data)" in recv_next and "__rx_packets += 1" in recv_next,
        "RTCDtlsTransport._recv_next no longer decrypts RTP with _rx_srtp",
    )
    send_rtp = _source(dtls_class._send_rtp)
    _check(
        "self._tx_srtp.protect(data)" in send_rtp
        and "await self.transport._send(data)" in send_rtp,
        "RTCDtlsTransport._send_rtp no longer encrypts with _tx_srtp and sends on its transport",
    )
    _check(
        "self.receiver.data_received(data, self.local_candidate.component)"
        in _source(aioice.ice.StunProtocol.datagram_received),
        "aioice StunProtocol.datagram_received no longer hands data to its connection",
    )
    _check(
        "self.transport.sendto(data, addr)" in _source(aioice.ice.StunProtocol.send_data)
        and "active_pair = self._nominated.get(component)" in _source(aioice.ice.Connection.sendto),
        "aioice no longer sends data on the nominated pair's protocol",
    )
    run_rtp = _source(RTCRtpSender._run_rtp)
    for fragment in (
        "packet.extensions.abs_send_time = (",
        "clock.current_ntp_time() >> 14",
        "packet.extensions.mid = self.__mid",
        "packet.marker = (i == len(enc_frame.payloads) - 1) and 1 or 0",
        "self.__ntp_timestamp = clock.current_ntp_time()",
        "self.__rtp_timestamp = packet.timestamp",
        "self.__octet_count += len(payload)",
        "self.__packet_count += 1",
    ):
        _check(fragment in run_rtp, f"RTCRtpSender._run_rtp changed: {fragment!r} is gone")
    _check(
        "if isinstance(packet, RtcpPsfbPacket)" in _source(RtpRouter.route_rtcp)
        and "self.ssrc_table.get(packet.ssrc)" in _source(RtpRouter.route_rtp),
        "RtpRouter changed",
    )

    gatherer = RTCIceGatherer(iceServers=[])
    dtls = dtls_class(RTCIceTransport(gatherer), [RTCCertificate.generateCertificate()])
    for name in ("_rx_srtp", "_tx_srtp", "_state", "_rtp_router"):
        _check(hasattr(dtls, name), f"RTCDtlsTransport.{name} is gone")
    for name in ("__rx_bytes", "__rx_packets", "__tx_bytes", "__tx_packets"):
        _check(
            isinstance(getattr(dtls, "_RTCDtlsTransport" + name, None), int),
            f"RTCDtlsTransport.{name} is not a counter",
        )
    _check(
        isinstance(getattr(dtls.transport._connection, "_nominated", None), dict),
        "aioice Connection._nominated is not a dict",
    )
    sender = RTCRtpSender("audio", dtls)
    for name in ("__ntp_timestamp", "__rtp_timestamp", "__octet_count", "__packet_count"):
        _check(
            isinstance(getattr(sender, "_RTCRtpSender" + name, None), int),
            f"RTCRtpSender.{name} is not a counter",
        )
    for name in ("__started", "__rtp_header_extensions_map", "__mid"):
        _check(hasattr(sender, "_RTCRtpSender" + name), f"RTCRtpSender.{name} is gone")
    _check(isinstance(sender._ssrc, int), "RTCRtpSender._ssrc is gone")

    # Our bytes are aiortc's bytes: header extensions as negotiated by a browser (mid,
    # abs-send-time, and one aiortc does not send), then no extension at all.
    parameters = RTCRtpSendParameters(
        headerExtensions=[
            RTCRtpHeaderExtensionParameters(id=4, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
            RTCRtpHeaderExtensionParameters(
                id=2, uri="http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
            ),
            RTCRtpHeaderExtensionParameters(
                id=1, uri="urn:ietf:params:rtp-hdrext:ssrc-audio-level"
            ),
        ]
    )
    configured = HeaderExtensionsMap()
    configured.configure(parameters)
    for extensions_map, mid in ((configured, "0"), (HeaderExtensionsMap(), None)):
        layout = _extension_layout(extensions_map, mid)
        ntp = rtpwire.ntp_time(time.time())
        packet = RtpPacket(payload_type=111, sequence_number=65535, timestamp=4294967295)
        packet.ssrc, packet.marker, packet.payload = 0xDEADBEEF, 1, b"\xfc\xff\xfe"
        packet.extensions.mid = mid
        packet.extensions.abs_send_time = (ntp >> 14) & 0x00FFFFFF
        ours = (
            rtpwire.HEADER.pack(
                0x90 if layout.present else 0x80, 0x80 | 111, 65535, 4294967295, 0xDEADBEEF
            )
            + layout.block(ntp)
            + packet.payload
        )
        _check(ours == packet.serialize(extensions_map), "RTP bytes differ from aiortc's")
        parsed = RtpPacket.parse(ours, extensions_map)
        _check(
            rtpwire.parse(ours)
            == (
                parsed.payload_type,
                parsed.sequence_number,
                parsed.timestamp,
                parsed.ssrc,
                parsed.payload,
            ),
            "RTP parsing differs from aiortc's",
        )


async def _check_gather_restriction() -> None:
    source = inspect.getsource(aiortc.rtcicetransport.RTCIceGatherer.__init__)
    _check("self._connection = Connection(" in source, "RTCIceGatherer._connection changed")
    import aioice.ice

    params = list(inspect.signature(aioice.ice.Connection.request_received).parameters)
    _check(
        params == ["self", "message", "addr", "protocol"],
        "aioice Connection.request_received(message, addr, protocol) changed",
    )
    gather_source = inspect.getsource(aioice.ice.Connection.gather_candidates)
    _check(
        "self.get_component_candidates(component=component, addresses=addresses)" in gather_source,
        "aioice gather_candidates no longer calls get_component_candidates(addresses=)",
    )
    datagram_transport = asyncio.selector_events._SelectorDatagramTransport  # type: ignore[attr-defined]
    read_source = inspect.getsource(datagram_transport._read_ready)
    _check(
        "self._sock.recvfrom(self.max_size)" in read_source,
        "asyncio's datagram transport no longer reads max_size bytes",
    )
    gatherer = RTCIceGatherer(iceServers=[])
    restrict_gatherer(gatherer, ["127.0.0.1"])
    try:
        await gatherer.gather()
        hosts = {c.ip for c in gatherer.getLocalCandidates()}
        protocols = list(gatherer._connection._protocols)
        _check(bool(protocols), "aioice Connection._protocols is empty after gathering")
        for protocol in protocols:
            _check(
                isinstance(getattr(protocol.transport, "max_size", None), int),
                "an ICE socket's transport has no max_size",
            )
            protocol.transport.max_size = DATAGRAM_READ_SIZE  # type: ignore[attr-defined]
    finally:
        await gatherer._connection.close()
    _check(hosts == {"127.0.0.1"}, f"host restriction failed, gathered {sorted(hosts)}")


async def _check_shared_certificate() -> None:
    shared = SharedCertificate.generateCertificate()
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        _check(
            hasattr(pc, "_RTCPeerConnection__certificates"),
            "RTCPeerConnection.__certificates changed",
        )
        share_certificate(pc, shared)
        pc.addTransceiver("audio", direction="sendrecv")
        restrict_host_addresses(pc, ["127.0.0.1"])
        await pc.setLocalDescription(await pc.createOffer())
        sdp = str(pc.localDescription.sdp)
    finally:
        await pc.close()
    want = next(f.value for f in shared.getFingerprints() if f.algorithm == "sha-256")
    _check(want.lower() in sdp.lower(), "a shared certificate does not reach the SDP fingerprint")
    source = inspect.getsource(aiortc.rtcdtlstransport.RTCDtlsTransport.start)
    _check(
        "self.__local_certificate._create_ssl_context(" in source,
        "RTCDtlsTransport.start no longer asks its certificate for the SSL context",
    )


async def self_test() -> None:
    """Verify the aiortc internals the media plane relies on (a few ms).

    Raises:
        PrivateApiError: an internal changed; pin aiortc or update this module.
    """
    if aiortc.__version__ not in TESTED_AIORTC_VERSIONS:
        logger.warning(
            "aiortc %s is untested with the encoded bridge (tested: %s)",
            aiortc.__version__,
            ", ".join(TESTED_AIORTC_VERSIONS),
        )
    try:
        await _check_tap()
        await _check_encoded_send()
        await _check_gather_restriction()
        await _check_shared_certificate()
        await _check_direct_rtp()
    except PrivateApiError:
        raise
    except Exception as exc:
        raise PrivateApiError(f"aiortc {aiortc.__version__}: self-test failed: {exc!r}") from exc
    logger.info("- media self-test passed (aiortc %s)", aiortc.__version__)
