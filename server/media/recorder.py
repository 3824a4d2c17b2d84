"""Call recording: one stereo WAV per call, caller left, the caller's peer right.

The left channel is what the caller says (when it is forwarded: not while
muted or held); the right channel is everything the caller hears (the agent,
conference parties, hold tone, DTMF). Recording what the caller hears keeps
the right channel correct across transfers and conferences without
re-wiring. Both are encoded in the caller's codec.

::

    tap / feed (event loop) --(channel, arrival time, payload)--> pending
    every 250 ms --> worker thread: decode -> place by arrival time -> WAV

Packets are placed on a wall-clock timeline (arrival time since start), so
gaps (mute, loss) become silence and both channels stay aligned; within a
gap of up to 60 ms, audio is simply appended.
"""

from __future__ import annotations

import asyncio
import logging
import wave
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .codec import AudioDecoder, Pcm, downsample
from .sdpinfo import CodecInfo
from .tones import SAMPLE_RATE

logger = logging.getLogger(__name__)

FLUSH_INTERVAL_S = 0.25
SETTLE_S = 0.3  # audio older than this is final and written out
GAP_S = 0.06


@dataclass(frozen=True)
class Recording:
    """A finished recording."""

    call_id: str
    path: Path
    duration_s: float
    channels: int = 2
    sample_rate: int = 16000


@dataclass(frozen=True)
class RecordingHandle:
    """Identifies a running recording (returned by ``start_recording``)."""

    call_id: str
    path: Path


class _Channel:
    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.chunks: list[Pcm] = []
        self.cursor = 0  # samples placed since start (written + buffered)
        self.decoders: dict[CodecInfo, AudioDecoder] = {}

    def place(self, pcm: Pcm, position: int) -> None:
        if position - self.cursor > GAP_S * self.rate:
            self.pad_to(position - len(pcm))
        self.chunks.append(pcm)
        self.cursor += len(pcm)

    def pad_to(self, position: int) -> None:
        if position > self.cursor:
            self.chunks.append(np.zeros(position - self.cursor, dtype=np.int16))
            self.cursor = position

    def take(self, n: int) -> Pcm:
        data = np.concatenate(self.chunks) if self.chunks else np.zeros(0, dtype=np.int16)
        self.chunks = [data[n:]] if len(data) > n else []
        return data[:n]


Item = tuple[int, float, CodecInfo, bytes]


class Recorder:
    """Writes one call's recording; all file and codec work in the executor."""

    def __init__(
        self,
        *,
        call_id: str,
        path: Path,
        executor: Executor,
        clock: Callable[[], float],
        sample_rate: int,
    ) -> None:
        self.handle = RecordingHandle(call_id=call_id, path=path)
        self._executor = executor
        self._clock = clock
        self._rate = sample_rate
        self._factor = SAMPLE_RATE // sample_rate
        self._start = clock()
        self._pending: list[Item] = []
        self._channels = (_Channel(sample_rate), _Channel(sample_rate))
        self._written = 0
        self._wav = wave.open(str(path), "wb")  # noqa: SIM115 - closed in _finish
        self._wav.setnchannels(2)
        self._wav.setsampwidth(2)
        self._wav.setframerate(sample_rate)
        self._stopping = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name=f"record-{call_id}")
        logger.info("call %s: recording to %s", call_id, path)

    def add(self, channel: int, codec: CodecInfo, payload: bytes) -> None:
        """Hot path (event loop): queue a payload for ``channel`` (0 left, 1 right)."""
        self._pending.append((channel, self._clock(), codec, payload))

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            try:
                await asyncio.wait_for(self._stopping.wait(), FLUSH_INTERVAL_S)
            except TimeoutError:
                pass
            if self._stopping.is_set():
                return
            batch, self._pending = self._pending, []
            until = self._clock() - self._start - SETTLE_S
            await loop.run_in_executor(self._executor, self._process, batch, until)

    async def stop(self) -> Recording:
        """Write what is left, finalize the WAV header, and return the result."""
        # Not cancel(): a worker-thread step must finish before _finish starts.
        self._stopping.set()
        await self._task
        batch, self._pending = self._pending, []
        until = self._clock() - self._start
        loop = asyncio.get_running_loop()
        duration = await loop.run_in_executor(self._executor, self._finish, batch, until)
        logger.info("call %s: recording stopped, %.2f s", self.handle.call_id, duration)
        return Recording(
            call_id=self.handle.call_id,
            path=self.handle.path,
            duration_s=duration,
            sample_rate=self._rate,
        )

    def _process(self, batch: list[Item], until_s: float) -> None:
        """Worker thread: decode, place, and write the settled part."""
        for channel_index, arrival, codec, payload in batch:
            channel = self._channels[channel_index]
            decoder = channel.decoders.get(codec)
            if decoder is None:
                decoder = channel.decoders[codec] = AudioDecoder(codec)
            pcm = downsample(decoder.decode(payload), self._factor)
            channel.place(pcm, round((arrival - self._start) * self._rate))
        settled = max(0, round(until_s * self._rate))
        for channel in self._channels:
            channel.pad_to(settled)
        ready = min(channel.cursor for channel in self._channels) - self._written
        if ready > 0:
            left, right = (channel.take(ready) for channel in self._channels)
            self._wav.writeframes(np.column_stack([left, right]).astype("<i2").tobytes())
            self._written += ready

    def _finish(self, batch: list[Item], until_s: float) -> float:
        self._process(batch, until_s)
        end = max(channel.cursor for channel in self._channels)
        for channel in self._channels:
            channel.pad_to(end)
        self._process([], until_s)
        self._wav.close()
        return self._written / self._rate
