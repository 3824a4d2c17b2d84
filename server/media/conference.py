"""Mixing sessions: conferences, and bridges between legs with different codecs.

::

    leg taps --payloads--> pending (loop) --every 20 ms--> worker thread:
        decode each leg -> PcmFifo -> mix-minus -> encode per leg
    --payloads--> each leg's FeedTrack.push

A transcoded two-party bridge is a session with two participants: each hears
the other, re-encoded in its own codec. Decoding and encoding run in the
engine's thread pool, one step at a time per session (codec state is serial).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field

from .codec import AudioDecoder, AudioEncoder
from .feed import FRAME_S, FeedTrack
from .mixer import PcmFifo, mix_minus
from .tones import FRAME_SAMPLES

logger = logging.getLogger(__name__)

PREFETCH_SAMPLES = 2 * FRAME_SAMPLES  # start a participant once 40 ms are queued
MAX_BUFFER_SAMPLES = 5 * FRAME_SAMPLES  # beyond 100 ms, drop the oldest audio
_ids = itertools.count(1)


@dataclass
class _Participant:
    feed: FeedTrack
    decoder: AudioDecoder
    encoder: AudioEncoder
    fifo: PcmFifo = field(default_factory=lambda: PcmFifo(max_samples=MAX_BUFFER_SAMPLES))
    pending: list[bytes] = field(default_factory=list)
    primed: bool = False
    timestamp: int = 0


class MixSession:
    """Mixes N legs: each leg hears the sum of the others."""

    def __init__(
        self,
        *,
        feeds: dict[str, FeedTrack],
        executor: Executor,
        clock: Callable[[], float],
    ) -> None:
        self.id = next(_ids)
        self.leg_ids = tuple(feeds)
        self._participants = {
            leg_id: _Participant(
                feed=feed, decoder=AudioDecoder(feed.codec), encoder=AudioEncoder(feed.codec)
            )
            for leg_id, feed in feeds.items()
        }
        self._executor = executor
        self._clock = clock
        self._source = ("mix", self.id)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"mix-{self.id}")
        logger.info("mix %d: started with %s", self.id, ", ".join(self.leg_ids))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
            logger.info("mix %d: stopped", self.id)

    def add_payload(self, leg_id: str, payload: bytes) -> None:
        """Hot path (event loop): queue a received payload for the next step."""
        participant = self._participants.get(leg_id)
        if participant is not None:
            participant.pending.append(payload)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = self._clock()
        while True:
            deadline += FRAME_S
            now = self._clock()
            if deadline < now - 5 * FRAME_S:
                deadline = now  # we fell far behind (loop stall): don't burst
            await asyncio.sleep(max(0.0, deadline - now))
            batch = {}
            for leg_id, participant in self._participants.items():
                batch[leg_id], participant.pending = participant.pending, []
            try:
                output = await loop.run_in_executor(self._executor, self._step, batch)
            except RuntimeError:  # executor shut down during engine close
                return
            for leg_id, payloads in output.items():
                participant = self._participants[leg_id]
                for payload in payloads:
                    participant.timestamp += participant.feed.codec.frame_samples
                    participant.feed.push(self._source, participant.timestamp, payload)

    def _step(self, batch: dict[str, list[bytes]]) -> dict[str, list[bytes]]:
        """Worker thread: decode what arrived, mix one 20 ms frame, encode it."""
        frames = {}
        for leg_id, participant in self._participants.items():
            for payload in batch.get(leg_id, ()):
                participant.fifo.push(participant.decoder.decode(payload))
            if not participant.primed and len(participant.fifo) >= PREFETCH_SAMPLES:
                participant.primed = True
            elif participant.primed and len(participant.fifo) == 0:
                participant.primed = False
            if participant.primed:
                frames[leg_id] = participant.fifo.pop(FRAME_SAMPLES)
            else:
                frames[leg_id] = PcmFifo(max_samples=0).pop(FRAME_SAMPLES)
        return {
            leg_id: self._participants[leg_id].encoder.encode(mix)
            for leg_id, mix in mix_minus(frames).items()
        }
