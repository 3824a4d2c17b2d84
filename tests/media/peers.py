"""Loopback aiortc test peers: a phone that sends a tone and records what it hears.

Reusable by signaling-level tests::

    peer = LoopbackPeer("caller", frequency=440.0)
    answer = await engine.open_leg("leg-1", await peer.offer())   # or via Socket.IO
    await peer.accept(answer)
    await peer.wait_connected()
    ...
    pcm = peer.heard(seconds=1.0)          # 48 kHz mono int16 of the last second
    await peer.close()

Every peer uses ``RTCConfiguration(iceServers=[])``, gathers host candidates on
127.0.0.1 only and drops any remote candidate outside 127.0.0.0/8 and ::1, so
nothing leaves the loopback interface.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from collections.abc import Callable, Sequence

import av
import numpy as np
import numpy.typing as npt
from aiortc import (
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from server.media import MediaEngine
from server.media.aiortc_private import restrict_host_addresses
from server.media.codec import upsample
from server.media.config import LOOPBACK_NETWORKS
from server.media.netfilter import CandidateFilter

from .audio import band_ratio

RATE = 48000
FRAME = 960
LOOPBACK = ("127.0.0.1",)

Pcm = npt.NDArray[np.int16]


class ToneTrack(MediaStreamTrack):
    """Real-time paced 20 ms frames of a sine (``frequency=None``: silence)."""

    kind = "audio"

    def __init__(self, frequency: float | None, amplitude: float = 8000.0) -> None:
        super().__init__()
        self.frequency = frequency
        self.amplitude = amplitude
        self._samples = 0
        self._start: float | None = None

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            wait = self._start + self._samples / RATE - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        pcm = self.next_pcm()
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._samples
        frame.time_base = fractions.Fraction(1, RATE)
        self._samples += FRAME
        return frame

    def next_pcm(self) -> Pcm:
        """The next 20 ms to send (subclasses send other signals)."""
        if self.frequency is None:
            return np.zeros(FRAME, dtype=np.int16)
        t = (self._samples + np.arange(FRAME)) / RATE
        return (np.sin(2 * np.pi * self.frequency * t) * self.amplitude).astype(np.int16)


def _frame_to_pcm(frame: av.AudioFrame) -> Pcm:
    array = frame.to_ndarray()
    channels = len(frame.layout.channels)
    if frame.format.is_planar:
        mono = array.mean(axis=0)
    else:
        mono = array.reshape(-1, channels).mean(axis=1)
    if np.issubdtype(mono.dtype, np.floating) and frame.format.name.startswith("flt"):
        mono = mono * 32767
    pcm = np.asarray(mono, dtype=np.int16)
    return upsample(pcm, RATE // frame.sample_rate)


class LoopbackPeer:
    """An aiortc phone on 127.0.0.1 that offers, sends a tone and records.

    Args:
        name: for error messages.
        frequency: tone to send in Hz; ``None`` sends silence.
        codecs: restrict the offer to these codecs (e.g. ``["PCMU"]``).
    """

    all_peers: list[LoopbackPeer] = []

    def __init__(
        self,
        name: str,
        *,
        frequency: float | None,
        codecs: Sequence[str] | None = None,
        track: ToneTrack | None = None,
    ) -> None:
        self.name = name
        self.track = track or ToneTrack(frequency)
        self.codecs = codecs
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self._filter = CandidateFilter.from_cidrs(LOOPBACK_NETWORKS)
        self._received: list[tuple[float, Pcm]] = []
        self._reader: asyncio.Task[None] | None = None
        self.pc.on("track", self._on_track)
        LoopbackPeer.all_peers.append(self)

    @property
    def closed(self) -> bool:
        return self.pc.connectionState == "closed"

    def set_frequency(self, frequency: float | None) -> None:
        self.track.frequency = frequency

    async def offer(self) -> str:
        """Create a complete offer (gathered on 127.0.0.1 only)."""
        transceiver = self.pc.addTransceiver(self.track, direction="sendrecv")
        if self.codecs is not None:
            wanted = [c.lower() for c in self.codecs]
            capabilities = RTCRtpSender.getCapabilities("audio").codecs
            transceiver.setCodecPreferences(
                [c for c in capabilities if c.mimeType.split("/")[-1].lower() in wanted]
            )
        return await self._local(await self.pc.createOffer())

    async def restart_offer(self) -> LoopbackPeer:
        """A new peer (same tone) to offer after a simulated network change.

        aiortc cannot restart ICE on an existing connection, so the client side
        of an ICE restart is a new connection with new ICE credentials. This
        peer goes silent, as if its network path died (no DTLS close_notify);
        it is still open and must be closed by the caller (or a fixture).
        """
        replacement = LoopbackPeer(
            self.name + "'", frequency=self.track.frequency, codecs=self.codecs
        )
        self.track.stop()
        return replacement

    async def accept(self, answer_sdp: str) -> None:
        sdp, _removed = self._filter.filter_sdp(answer_sdp)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    async def answer(self, offer_sdp: str) -> str:
        """Answer an offer (for direct peer-to-peer comparisons)."""
        sdp, _removed = self._filter.filter_sdp(offer_sdp)
        self.pc.addTrack(self.track)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        return await self._local(await self.pc.createAnswer())

    async def _local(self, description: RTCSessionDescription) -> str:
        restrict_host_addresses(self.pc, LOOPBACK)
        await self.pc.setLocalDescription(description)
        return str(self.pc.localDescription.sdp)

    async def wait_connected(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.pc.connectionState != "connected":
            if time.monotonic() > deadline or self.pc.connectionState in ("failed", "closed"):
                raise AssertionError(f"{self.name}: {self.pc.connectionState} after {timeout} s")
            await asyncio.sleep(0.02)

    def _on_track(self, track: MediaStreamTrack) -> None:
        self._reader = asyncio.ensure_future(self._read(track))

    async def _read(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                self._received.append((time.monotonic(), _frame_to_pcm(frame)))
        except MediaStreamError:
            pass

    def heard(self, seconds: float, *, until: float | None = None) -> Pcm:
        """Audio received during the ``seconds`` before ``until`` (default: now)."""
        end = time.monotonic() if until is None else until
        parts = [pcm for t, pcm in self._received if end - seconds <= t <= end]
        if not parts:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(parts)

    async def listen(self, seconds: float) -> Pcm:
        """Wait ``seconds`` and return what was heard meanwhile."""
        await asyncio.sleep(seconds)
        return self.heard(seconds)

    async def close(self) -> None:
        self.track.stop()
        await self.pc.close()
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except asyncio.CancelledError:
                pass


async def connect_leg(engine: MediaEngine, leg_id: str, peer: LoopbackPeer) -> None:
    """Open a leg for ``peer`` on ``engine`` and wait until both ends are connected."""
    answer = await engine.open_leg(leg_id, await peer.offer())
    await peer.accept(answer)
    await peer.wait_connected()


async def caller_and_two_agents(
    engine: MediaEngine, peers: Callable[[str, float], LoopbackPeer]
) -> tuple[LoopbackPeer, LoopbackPeer, LoopbackPeer]:
    """Legs "caller" (440 Hz), "a" (1000 Hz) and "b" (1500 Hz), connected; caller bridged to a."""
    caller, agent_a, agent_b = peers("caller", 440.0), peers("a", 1000.0), peers("b", 1500.0)
    for leg_id, peer in (("caller", caller), ("a", agent_a), ("b", agent_b)):
        await connect_leg(engine, leg_id, peer)
    await engine.bridge("caller", "a")
    return caller, agent_a, agent_b


async def hears(
    peer: LoopbackPeer, *tones: float, above: float = 0.8, within_s: float = 5.0
) -> None:
    """Wait until the last half second ``peer`` heard holds each of ``tones`` with a band
    ratio over ``above``; fail after ``within_s``.

    What is heard after a change (a transfer, hold, a conference) is checked exactly; when
    it starts is not: the one event loop that runs the server and every peer of a test can
    stall for longer than a fixed sleep on a loaded 2-core machine (two test workers and a
    Chromium beside them), and a window heard during the stall holds nothing at all.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    seen: list[list[float]] = []
    while True:
        heard = await peer.listen(0.5)
        ratios = [band_ratio(heard, tone) for tone in tones]
        if all(ratio > above for ratio in ratios):
            return
        seen.append([round(ratio, 2) for ratio in ratios])
        assert loop.time() < deadline, f"{peer.name} heard {tones} Hz at ratios {seen}"
