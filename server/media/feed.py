"""The track that feeds a leg's sender with already-encoded packets.

``recv()`` returns ``av.Packet``\\ s, which aiortc's sender packetizes without
encoding (see aiortc_private). Three kinds of input, by priority:

1. *Overlay*: a finite run of local packets (DTMF digits), paced at 20 ms.
2. *Hold*: a looping run of local packets (the hold tone), paced at 20 ms;
   while it plays, bridged audio is discarded.
3. *Bridged*: packets pushed by the bridge as they arrive from the other leg
   (or from a mixer), in a small bounded queue that drops the oldest packet,
   so a stall cannot build up latency.

With a *writer* attached (:meth:`FeedTrack.attach`, the engine's direct path), nothing
waits in a queue: a bridged packet is sent from :meth:`FeedTrack.push` itself, on the
stack of the socket callback that received it, and local audio is paced by a task of
the track's own; aiortc's sender then never calls :meth:`FeedTrack.recv`.

Output timestamps are re-based per source (:mod:`.rtptime`), so the receiver
sees one continuous stream whoever is speaking.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from .rtptime import TimestampRebaser
from .sdpinfo import CodecInfo

logger = logging.getLogger(__name__)

FRAME_S = 0.02
_LOCAL = "local"

PacketObserver = Callable[[bytes], None]
# Sends one payload with its (re-based) RTP timestamp now; False if it could not be sent.
PacketWriter = Callable[[int, bytes], bool]


class FeedTrack(MediaStreamTrack):
    """A leg's outgoing audio, as encoded packets."""

    kind = "audio"

    def __init__(
        self, *, codec: CodecInfo, max_queue: int, clock: Callable[[], float], label: str
    ) -> None:
        super().__init__()
        self.label = label
        self._clock = clock
        self._queue: deque[tuple[Hashable, int, bytes]] = deque()
        self._max_queue = max_queue
        self._wake = asyncio.Event()
        self._overlay: deque[bytes] = deque()
        self._hold: Sequence[bytes] = ()
        self._hold_index = 0
        self._local_ts = 0
        self._deadline: float | None = None
        self.observer: PacketObserver | None = None
        self.sent = 0
        self.dropped = 0
        self._writer: PacketWriter | None = None
        self._pump: asyncio.Task[None] | None = None
        self.set_codec(codec)

    def set_codec(self, codec: CodecInfo) -> None:
        self.codec = codec
        self._time_base = fractions.Fraction(1, codec.clock_rate)
        self._rebaser = TimestampRebaser(
            clock_rate=codec.clock_rate, frame_samples=codec.frame_samples
        )
        self._queue.clear()

    def attach(self, writer: PacketWriter | None) -> None:
        """Send through ``writer`` from now on (``None``: back to :meth:`recv`)."""
        self._writer = writer
        self._queue.clear()
        self._start_pump()

    @property
    def playing_local(self) -> bool:
        return bool(self._overlay) or bool(self._hold)

    def push(self, source: Hashable, timestamp: int, payload: bytes) -> None:
        """Send (with a writer) or queue a bridged packet; ignored while local audio plays."""
        if self._overlay or self._hold:
            return
        writer = self._writer
        if writer is not None:
            self._write(writer, self._rebaser.rebase(source, timestamp, self._clock()), payload)
            return
        if len(self._queue) >= self._max_queue:
            self._queue.popleft()
            self.dropped += 1
        self._queue.append((source, timestamp, payload))
        self._wake.set()

    def play(self, payloads: Sequence[bytes]) -> None:
        """Play local packets once (after any already playing), e.g. DTMF."""
        self._overlay.extend(payloads)
        self._queue.clear()
        self._wake.set()
        self._start_pump()

    def set_hold(self, payloads: Sequence[bytes]) -> None:
        """Loop ``payloads`` until called again with an empty sequence."""
        self._hold = payloads
        self._hold_index = 0
        self._queue.clear()
        self._wake.set()
        self._start_pump()

    def stop(self) -> None:
        super().stop()
        self._wake.set()
        if self._pump is not None:
            self._pump.cancel()
            self._pump = None

    def _next_local(self) -> bytes | None:
        if self._overlay:
            return self._overlay.popleft()
        if self._hold:
            payload = self._hold[self._hold_index % len(self._hold)]
            self._hold_index += 1
            return payload
        return None

    async def _pace(self) -> None:
        now = self._clock()
        if self._deadline is None or self._deadline < now - 2 * FRAME_S:
            self._deadline = now
        delay = self._deadline - now
        self._deadline += FRAME_S
        if delay > 0:
            await asyncio.sleep(delay)

    def _packet(self, source: Hashable, timestamp: int, payload: bytes) -> av.Packet[Any]:
        packet = av.Packet(payload)
        packet.pts = self._rebaser.rebase(source, timestamp, self._clock())
        packet.time_base = self._time_base
        self.sent += 1
        if self.observer is not None:
            self.observer(payload)
        return packet

    def _write(self, writer: PacketWriter, timestamp: int, payload: bytes) -> None:
        if writer(timestamp, payload):
            self.sent += 1
            if self.observer is not None:
                self.observer(payload)
        else:
            self.dropped += 1

    def _start_pump(self) -> None:
        """With a writer, play local audio from a task of our own (none while there is none)."""
        if self._writer is None or not self.playing_local or self.readyState != "live":
            return
        if self._pump is None or self._pump.done():
            self._pump = asyncio.get_running_loop().create_task(
                self._play_local(), name=f"feed-{self.label}"
            )

    async def _play_local(self) -> None:
        while self.readyState == "live" and self.playing_local and self._writer is not None:
            await self._pace()
            payload = self._next_local()
            writer = self._writer
            if payload is None or writer is None:  # ended, or detached, while pacing
                continue
            self._local_ts += self.codec.frame_samples
            self._write(
                writer, self._rebaser.rebase(_LOCAL, self._local_ts, self._clock()), payload
            )
        self._deadline = None

    async def recv(self) -> av.Packet[Any]:
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            if self.playing_local:
                await self._pace()
                payload = self._next_local()
                if payload is None:  # hold ended or overlay cleared while pacing
                    continue
                self._local_ts += self.codec.frame_samples
                return self._packet(_LOCAL, self._local_ts, payload)
            self._deadline = None
            if self._queue:
                source, timestamp, payload = self._queue.popleft()
                return self._packet(source, timestamp, payload)
            self._wake.clear()
            await self._wake.wait()
