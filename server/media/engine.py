"""The media engine: terminates call legs and bridges audio between them.

::

    browser/softphone ==SRTP==> leg A pc --tap--> route --> leg B FeedTrack ==SRTP==> leg B
                                               \\--> Recorder (left channel)
                                               \\--> AudioTap (transcription, per leg)
    route = partner (same codec: packets forwarded unchanged)
          | MixSession (conference, or transcoding when codecs differ)

Signaling, queues and call state live elsewhere and drive the engine through
this small API. Every method runs on the event loop; CPU work (decoding for
recording and mixing) runs in the engine's thread pool.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.sdp import candidate_from_sdp

from . import sdpinfo
from .aiortc_private import (
    RtpWriter,
    SharedCertificate,
    install_direct_rtp,
    install_rtp_tap,
    restrict_host_addresses,
    restrict_remote_sources,
    share_certificate,
    trim_receive_buffers,
)
from .codec import encode_frames
from .conference import MixSession
from .config import MediaConfig
from .errors import InvalidSdpError, LegNotFoundError, MediaError
from .feed import FeedTrack
from .leg import AudioTap, Leg, LegState
from .netfilter import CandidateFilter, strip_candidate_prefix
from .recorder import Recorder, Recording, RecordingHandle
from .tones import dtmf_frames, hold_frames, normalize_digits

logger = logging.getLogger(__name__)

LegStateCallback = Callable[[str, LegState], None]


class MediaEngine:
    """Owns every server-side peer connection of one process.

    Args:
        config: media settings (ICE servers, address restrictions, timeouts).
        recordings_dir: where ``start_recording`` writes ``<call_id>.wav``.
        on_leg_state: called with ``(leg_id, state)`` when a leg connects,
            fails (setup timeout, ICE/DTLS failure) or closes.
        clock: monotonic seconds, for RTP re-basing, pacing and recording.
    """

    def __init__(
        self,
        *,
        config: MediaConfig,
        recordings_dir: Path,
        on_leg_state: LegStateCallback | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._recordings_dir = recordings_dir
        self._on_leg_state = on_leg_state
        self._clock = clock
        self._filter = CandidateFilter.from_cidrs(config.remote_networks)
        self._legs: dict[str, Leg] = {}
        self._opening: set[str] = set()
        self._pcs: set[RTCPeerConnection] = set()
        self._recorders: dict[str, Recorder] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._tone_cache: dict[tuple[sdpinfo.CodecInfo, str], list[bytes]] = {}
        self._executor = ThreadPoolExecutor(
            max_workers=config.worker_threads, thread_name_prefix="media"
        )
        capabilities = RTCRtpSender.getCapabilities("audio").codecs
        wanted = [c.lower() for c in config.codecs]
        self._codec_preferences = sorted(
            (c for c in capabilities if c.mimeType.split("/")[-1].lower() in wanted),
            key=lambda c: wanted.index(c.mimeType.split("/")[-1].lower()),
        )
        self._certificate = SharedCertificate.generateCertificate()
        self._closed = False

    # -- introspection -------------------------------------------------------

    @property
    def open_peer_connections(self) -> int:
        """Peer connections created and not yet closed (retired ones included)."""
        return len(self._pcs)

    def leg_state(self, leg_id: str) -> LegState:
        return self._leg(leg_id).state

    def leg_codec(self, leg_id: str) -> str:
        """Negotiated codec name of a leg: ``opus``, ``pcmu`` or ``pcma``."""
        return self._leg(leg_id).codec.name

    def is_passthrough(self, leg_a: str, leg_b: str) -> bool:
        """Whether two legs are bridged in the encoded domain (no transcoding)."""
        return self._leg(leg_a).partner is self._leg(leg_b)

    # -- legs ----------------------------------------------------------------

    async def open_leg(self, leg_id: str, offer_sdp: str) -> str:
        """Answer a leg's offer; returns the complete answer SDP (all candidates).

        Raises:
            InvalidSdpError: malformed or unusable offer; no peer connection is
                left open.
            MediaError: the leg id is in use, or the engine is closed.
        """
        if self._closed:
            raise MediaError("media engine is closed")
        if leg_id in self._legs or leg_id in self._opening:
            raise MediaError(f"leg {leg_id} already exists")
        offer_sdp, offer = self._check_offer(leg_id, offer_sdp)
        self._opening.add(leg_id)
        try:
            pc, transceiver, answer, codec = await self._answer(leg_id, offer_sdp)
        finally:
            self._opening.discard(leg_id)
        feed = FeedTrack(
            codec=codec,
            max_queue=self._config.max_queue_packets,
            clock=self._clock,
            label=leg_id,
        )
        leg = Leg(
            id=leg_id, pc=pc, codec=codec, feed=feed, remote_ice=(offer.ice_ufrag, offer.ice_pwd)
        )
        self._legs[leg_id] = leg
        self._watch(leg, pc)
        self._wire(leg, pc, transceiver, codec)
        logger.info("leg %s: answered (%s)", leg_id, codec.name)
        return answer

    async def add_remote_candidate(
        self,
        leg_id: str,
        candidate: str | None,
        sdp_mid: str | None = None,
        sdp_mline_index: int | None = None,
    ) -> None:
        """Add a trickled remote candidate; ``None`` or ``""`` = end-of-candidates.

        Candidates outside ``remote_networks`` (and mDNS names, when restricted)
        are dropped here, before aioice could send or resolve anything.

        Raises:
            InvalidSdpError: malformed candidate.
        """
        leg = self._leg(leg_id)
        if not candidate:
            await leg.pc.addIceCandidate(None)
            return
        try:
            allowed = self._filter.allows_candidate(candidate)
            parsed = candidate_from_sdp(strip_candidate_prefix(candidate))
        except (ValueError, AssertionError) as exc:
            raise InvalidSdpError(f"malformed ICE candidate: {candidate!r}") from exc
        if not allowed:
            logger.debug("leg %s: x dropping remote candidate %s", leg_id, parsed.ip)
            return
        parsed.sdpMid = sdp_mid
        parsed.sdpMLineIndex = sdp_mline_index
        if sdp_mid is None and sdp_mline_index is None:
            parsed.sdpMLineIndex = 0  # the only m-line the engine accepts
        await leg.pc.addIceCandidate(parsed)

    async def renegotiate(self, leg_id: str, offer_sdp: str) -> str:
        """Answer a new offer on an existing leg; the leg keeps its bridge.

        Same ICE credentials: renegotiated in place. New credentials (an ICE
        restart, e.g. after a network change): aiortc cannot restart ICE, so a
        new peer connection answers; it takes over the leg's outgoing audio at
        once, and the old one is closed when the new one connects.
        """
        leg = self._leg(leg_id)
        offer_sdp, offer = self._check_offer(leg_id, offer_sdp)
        if (offer.ice_ufrag, offer.ice_pwd) == leg.remote_ice:
            await leg.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            await leg.pc.setLocalDescription(await leg.pc.createAnswer())
            logger.info("leg %s: renegotiated in place", leg_id)
            return str(leg.pc.localDescription.sdp)
        pc, transceiver, answer, codec = await self._answer(leg_id, offer_sdp)
        old = leg.pc
        for old_transceiver in old.getTransceivers():
            old_transceiver.sender.replaceTrack(None)
        leg.pc, leg.retired = pc, [*leg.retired, old]
        leg.remote_ice = (offer.ice_ufrag, offer.ice_pwd)
        self._watch(leg, pc)
        self._wire(leg, pc, transceiver, codec)
        if codec != leg.codec:
            leg.codec = codec
            leg.feed.set_codec(codec)
            if leg.partner is not None or leg.mix is not None:
                await self._reroute(leg)
        logger.info("leg %s: ICE restart, new peer connection (%s)", leg_id, codec.name)
        return answer

    async def close_leg(self, leg_id: str) -> None:
        """Close a leg (idempotent). A conference it was in continues without it."""
        leg = self._legs.pop(leg_id, None)
        if leg is None:
            return
        leg.closing = True
        if leg.setup_timer is not None:
            leg.setup_timer.cancel()
        await self._unroute(leg)
        leg.feed.stop()
        for pc in [leg.pc, *leg.retired]:
            await self._close_pc(pc)
        if leg.set_state(LegState.CLOSED):
            self._report(leg)

    async def close(self) -> None:
        """Stop recordings, close every leg and the thread pool."""
        self._closed = True
        for call_id in list(self._recorders):
            await self.stop_recording(call_id)
        for leg_id in list(self._legs):
            await self.close_leg(leg_id)
        for pc in list(self._pcs):
            await self._close_pc(pc)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._executor.shutdown(wait=True)

    # -- routing -------------------------------------------------------------

    async def bridge(self, leg_a: str, leg_b: str) -> None:
        """Connect two legs (each hears the other), leaving any previous bridge.

        Same codec: packets are forwarded unchanged. Different codecs: a
        two-party mixing session transcodes. A re-bridge (transfer) leaves the
        previous partner unbridged, hearing nothing.
        """
        a, b = self._leg(leg_a), self._leg(leg_b)
        if a is b:
            raise MediaError("cannot bridge a leg to itself")
        await self._unroute(a)
        await self._unroute(b)
        self._connect(a, b)

    async def unbridge(self, leg_id: str) -> None:
        """Disconnect a leg from its bridge or conference."""
        await self._unroute(self._leg(leg_id))

    async def conference(self, leg_ids: Sequence[str]) -> None:
        """Mix the legs: each hears all the others (decoded, mixed, re-encoded)."""
        legs = [self._leg(leg_id) for leg_id in dict.fromkeys(leg_ids)]
        if len(legs) < 2:
            raise MediaError("a conference needs at least two legs")
        for leg in legs:
            await self._unroute(leg)
        self._start_mix(legs)

    def hold(self, leg_id: str, on: bool) -> None:
        """Put a leg on hold: it hears the hold tone and is not heard."""
        leg = self._leg(leg_id)
        leg.held = on
        leg.feed.set_hold(self._tone(leg.codec, "hold") if on else ())
        logger.info("leg %s: hold %s", leg_id, "on" if on else "off")

    def mute(self, leg_id: str, on: bool) -> None:
        """Stop (or resume) forwarding a leg's audio; it still hears the others."""
        self._leg(leg_id).muted = on
        logger.info("leg %s: mute %s", leg_id, "on" if on else "off")

    def send_dtmf(self, to_leg: str, digits: str) -> None:
        """Play DTMF digits as in-band tones to ``to_leg`` (100 ms tone, 80 ms gap).

        Raises:
            ValueError: a character other than 0-9, A-D, ``*``, ``#`` or ``,``.
        """
        leg = self._leg(to_leg)
        for digit in normalize_digits(digits):
            leg.feed.play(self._tone(leg.codec, digit))
        logger.info("leg %s: dtmf %s", to_leg, digits)

    # -- recording -----------------------------------------------------------

    def start_recording(self, call_id: str, caller_leg: str) -> RecordingHandle:
        """Record a call to ``<recordings_dir>/<call_id>.wav``.

        Left channel: the caller. Right channel: what the caller hears (the
        agent, conference parties, hold tone). Follows the caller through
        transfers and conferences.
        """
        if call_id in self._recorders:
            raise MediaError(f"call {call_id} is already recording")
        leg = self._leg(caller_leg)
        if leg.recorder is not None:
            raise MediaError(f"leg {caller_leg} is already recorded")
        if not call_id or "/" in call_id or call_id.startswith("."):
            raise MediaError(f"invalid call id for a file name: {call_id!r}")
        self._recordings_dir.mkdir(parents=True, exist_ok=True)
        recorder = Recorder(
            call_id=call_id,
            path=self._recordings_dir / f"{call_id}.wav",
            executor=self._executor,
            clock=self._clock,
            sample_rate=self._config.recording_sample_rate,
        )
        leg.recorder = recorder
        leg.feed.observer = lambda payload: recorder.add(1, leg.feed.codec, payload)
        self._recorders[call_id] = recorder
        return recorder.handle

    async def stop_recording(self, call_id: str) -> Recording:
        """Finalize a call's recording; returns its path and duration."""
        recorder = self._recorders.pop(call_id, None)
        if recorder is None:
            raise MediaError(f"call {call_id} is not recording")
        for leg in self._legs.values():
            if leg.recorder is recorder:
                leg.recorder = None
                leg.feed.observer = None
        return await recorder.stop()

    # -- taps ----------------------------------------------------------------

    def tap_audio(self, leg_id: str, tap: AudioTap | None) -> None:
        """Hand ``tap`` every payload the leg's party is heard saying (not while muted or
        held), or stop with ``None``. Encoded: whoever taps decodes, off the event loop.
        One tap per leg; it ends with the leg."""
        leg = self._leg(leg_id)
        if tap is not None and leg.audio_tap is not None:
            raise MediaError(f"leg {leg_id} is already tapped")
        leg.audio_tap = tap

    # -- internals -----------------------------------------------------------

    def _leg(self, leg_id: str) -> Leg:
        try:
            return self._legs[leg_id]
        except KeyError:
            raise LegNotFoundError(leg_id) from None

    def _check_offer(self, leg_id: str, offer_sdp: str) -> tuple[str, sdpinfo.OfferInfo]:
        offer = sdpinfo.parse_offer(offer_sdp, accepted=self._config.codecs)
        filtered, removed = self._filter.filter_sdp(offer_sdp)
        if removed:
            logger.info(
                "leg %s: dropped %d remote candidate(s) outside allowed networks", leg_id, removed
            )
        return filtered, offer

    async def _answer(
        self, leg_id: str, offer_sdp: str
    ) -> tuple[RTCPeerConnection, RTCRtpTransceiver, str, sdpinfo.CodecInfo]:
        """A new peer connection answering ``offer_sdp``; closed again on error."""
        servers = [
            RTCIceServer(urls=list(s.urls), username=s.username, credential=s.credential)
            for s in self._config.ice_servers
        ]
        # Always explicit: iceServers=None would make aiortc use Google's STUN server.
        pc = RTCPeerConnection(RTCConfiguration(iceServers=servers))
        share_certificate(pc, self._dtls_identity())
        self._pcs.add(pc)
        try:
            transceiver = pc.addTransceiver("audio", direction="sendrecv")
            transceiver.setCodecPreferences(self._codec_preferences)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            restrict_host_addresses(pc, self._config.host_addresses)
            if self._filter.networks is not None:
                restrict_remote_sources(pc, self._filter.allows_address)
            await pc.setLocalDescription(await pc.createAnswer())
            trim_receive_buffers(pc)
            answer = str(pc.localDescription.sdp)
            codec = sdpinfo.negotiated_codec(answer)
        except Exception as exc:
            await self._close_pc(pc)
            if isinstance(exc, MediaError):
                raise
            raise InvalidSdpError(f"leg {leg_id}: cannot answer offer: {exc}") from exc
        return pc, transceiver, answer, codec

    def _dtls_identity(self) -> SharedCertificate:
        """The engine's DTLS certificate, renewed a day before it expires (aiortc: 30 days)."""
        if self._certificate.expires - datetime.timedelta(days=1) < datetime.datetime.now(
            datetime.UTC
        ):
            self._certificate = SharedCertificate.generateCertificate()
        return self._certificate

    def _watch(self, leg: Leg, pc: RTCPeerConnection) -> None:
        @pc.on("connectionstatechange")
        def on_state() -> None:
            self._on_pc_state(leg, pc)

        if leg.setup_timer is not None:
            leg.setup_timer.cancel()
        leg.setup_timer = asyncio.get_running_loop().call_later(
            self._config.setup_timeout_s, self._setup_expired, leg, pc
        )

    def _on_pc_state(self, leg: Leg, pc: RTCPeerConnection) -> None:
        state = pc.connectionState
        logger.debug("leg %s: pc %s", leg.id, state)
        if leg.closing or pc is not leg.pc:
            return
        if state == "connected":
            if leg.setup_timer is not None:
                leg.setup_timer.cancel()
                leg.setup_timer = None
            for old in leg.retired:
                self._spawn(self._close_pc(old))
            leg.retired = []
            if leg.set_state(LegState.CONNECTED):
                self._report(leg)
        elif state in ("failed", "closed"):
            if state == "failed" and leg.set_state(LegState.FAILED):
                self._report(leg)
            self._spawn(self.close_leg(leg.id))

    def _setup_expired(self, leg: Leg, pc: RTCPeerConnection) -> None:
        leg.setup_timer = None
        if leg.closing or pc is not leg.pc or pc.connectionState == "connected":
            return
        logger.warning(
            "leg %s: x not connected after %.1f s, closing", leg.id, self._config.setup_timeout_s
        )
        if leg.set_state(LegState.FAILED):
            self._report(leg)
        self._spawn(self.close_leg(leg.id))

    def _report(self, leg: Leg) -> None:
        if self._on_leg_state is None:
            return
        try:
            self._on_leg_state(leg.id, leg.state)
        except Exception:
            logger.exception("leg %s: on_leg_state callback failed", leg.id)

    def _spawn(self, coro: object) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)  # type: ignore[call-overload]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _close_pc(self, pc: RTCPeerConnection) -> None:
        try:
            await pc.close()
        except Exception:
            logger.exception("x error closing a peer connection")
        finally:
            self._pcs.discard(pc)

    def _wire(
        self,
        leg: Leg,
        pc: RTCPeerConnection,
        transceiver: RTCRtpTransceiver,
        codec: sdpinfo.CodecInfo,
    ) -> None:
        """Connect a (new) peer connection's RTP to the leg: what it receives, what it sends."""

        def on_rtp(payload_type: int, ssrc: int, timestamp: int, payload: bytes) -> None:
            self._on_rtp(leg, pc, payload_type, ssrc, timestamp, payload)

        if self._config.direct_rtp:
            leg.feed.attach(RtpWriter(transceiver.sender, payload_type=codec.payload_type).send)
            install_direct_rtp(transceiver, on_rtp)
        else:
            leg.feed.attach(None)
            transceiver.sender.replaceTrack(leg.feed)
            install_rtp_tap(
                transceiver.receiver,
                lambda p, _t: on_rtp(p.payload_type, p.ssrc, p.timestamp, p.payload),
            )

    def _on_rtp(
        self,
        leg: Leg,
        pc: RTCPeerConnection,
        payload_type: int,
        ssrc: int,
        timestamp: int,
        payload: bytes,
    ) -> None:
        """Hot path: every received RTP packet of every leg."""
        if leg.muted or leg.held or pc is not leg.pc:
            return
        if not payload or payload_type != leg.codec.payload_type:
            return
        if leg.recorder is not None:
            leg.recorder.add(0, leg.codec, payload)
        if leg.audio_tap is not None:
            leg.audio_tap(leg.codec, payload, self._clock())
        if leg.partner is not None:
            leg.partner.feed.push((leg.id, ssrc), timestamp, payload)
        elif leg.mix is not None:
            leg.mix.add_payload(leg.id, payload)

    def _connect(self, a: Leg, b: Leg) -> None:
        if a.codec.same_codec(b.codec):
            a.partner, b.partner = b, a
            logger.info("bridge %s <-> %s: passthrough (%s)", a.id, b.id, a.codec.name)
        else:
            logger.info(
                "bridge %s <-> %s: transcoding (%s/%s)", a.id, b.id, a.codec.name, b.codec.name
            )
            self._start_mix([a, b])

    def _start_mix(self, legs: list[Leg]) -> None:
        session = MixSession(
            feeds={leg.id: leg.feed for leg in legs}, executor=self._executor, clock=self._clock
        )
        for leg in legs:
            leg.mix = session
        session.start()

    async def _unroute(self, leg: Leg) -> None:
        if leg.partner is not None:
            leg.partner.partner = None
            leg.partner = None
        session = leg.mix
        if session is None:
            return
        remaining = [self._legs[i] for i in session.leg_ids if i != leg.id and i in self._legs]
        for participant in [leg, *remaining]:
            participant.mix = None
        await session.stop()
        if len(remaining) == 2:
            self._connect(*remaining)
        elif len(remaining) > 2:
            self._start_mix(remaining)

    async def _reroute(self, leg: Leg) -> None:
        if leg.partner is not None:
            partner = leg.partner
            await self._unroute(leg)
            self._connect(leg, partner)
        elif leg.mix is not None:
            members = [self._legs[i] for i in leg.mix.leg_ids if i in self._legs]
            for member in members:
                await self._unroute(member)
            if len(members) == 2:
                self._connect(*members)
            else:
                self._start_mix(members)

    def _tone(self, codec: sdpinfo.CodecInfo, name: str) -> list[bytes]:
        """Pre-encoded tone packets, encoded once per codec (a few ms)."""
        key = (codec, name)
        if key not in self._tone_cache:
            frames = hold_frames(self._config.hold_tone_hz) if name == "hold" else dtmf_frames(name)
            self._tone_cache[key] = encode_frames(codec, frames)
        return self._tone_cache[key]
