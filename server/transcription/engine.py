"""Speech-to-text engines behind one interface, run in worker processes.

::

    Utterance.samples --Transcriber.transcribe(samples, rate)--> Recognized(text, confidence)

    ProcessPoolTranscriber (event loop)          worker process (one per core)
      bounded in-flight, await future  ---->  initializer(*initargs): load the model once
                                       <----  decode(pcm bytes, rate) -> Recognized

An engine is two module-level functions (picklable): an initializer that loads
its model into the worker, and a ``decode`` that recognizes one utterance. The
runner only moves bytes to the workers and awaits their answer, so a decode
never stalls the event loop; workers are spawned (not forked) so they inherit
no event loop, sockets or threads. Engine failures reach the caller as
``TranscriptionError``; a dead worker (crash, OOM kill) fails the utterances it
held and the pool is replaced, so the next utterance is decoded again.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .segmenter import Pcm

logger = logging.getLogger(__name__)

Decode = Callable[[bytes, int], "Recognized"]


@dataclass(frozen=True)
class Recognized:
    """What an engine heard in one utterance; ``confidence`` is in [0, 1]."""

    text: str
    confidence: float


class TranscriptionError(Exception):
    """The engine could not transcribe an utterance (worker crashed, engine error)."""


class Transcriber(Protocol):
    """Turns one utterance (16-bit mono PCM at ``rate``) into text."""

    async def start(self) -> None:
        """Load the engine now (idempotent), so the first utterance does not wait for it."""

    async def transcribe(self, samples: Pcm, rate: int) -> Recognized: ...


def resample(samples: Pcm, from_rate: int, to_rate: int) -> Pcm:
    """Band-limited resampling of a whole utterance (FFT: exact for any rate ratio)."""
    if from_rate <= 0 or to_rate <= 0:
        raise ValueError("rates must be positive")
    if from_rate == to_rate or samples.size == 0:
        return samples
    n = samples.size
    m = max(1, round(n * to_rate / from_rate))
    spectrum = np.fft.rfft(samples.astype(np.float64))
    kept = np.zeros(m // 2 + 1, dtype=np.complex128)
    k = min(spectrum.size, kept.size)
    kept[:k] = spectrum[:k]
    if to_rate < from_rate and m % 2 == 0:
        kept[-1] = kept[-1].real  # the new Nyquist bin of a real signal is real
    out = np.fft.irfft(kept, m) * (m / n)
    return np.clip(np.round(out), -32768, 32767).astype(np.int16)


def _ready() -> int:
    return os.getpid()


class ProcessPoolTranscriber:
    """Runs an engine's ``decode`` in ``workers`` spawned processes.

    At most ``max_in_flight`` utterances are handed to the pool at once; more
    callers wait their turn on the event loop (not in the pool's queue), so a
    backlog stays visible and cancellable.
    """

    def __init__(
        self,
        *,
        decode: Decode,
        initializer: Callable[..., None],
        initargs: tuple[object, ...] = (),
        workers: int = 1,
        max_in_flight: int | None = None,
    ) -> None:
        if workers <= 0:
            raise ValueError("workers must be positive")
        self.workers = workers
        self._decode = decode
        self._initializer = initializer
        self._initargs = initargs
        self._pool = self._new_pool()
        self.restarts = 0
        self._slots = asyncio.Semaphore(max_in_flight or 2 * workers)
        self._closed = False
        self._started: asyncio.Future[None] | None = None

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=self._initializer,
            initargs=self._initargs,
        )

    async def start(self) -> None:
        """Start every worker and load its model now, not on the first utterance. Callers
        after the first wait for the same start."""
        if self._started is None:
            self._started = asyncio.ensure_future(self._start())
        await asyncio.shield(self._started)

    async def _start(self) -> None:
        loop = asyncio.get_running_loop()
        pids: set[int] = set()
        # Each call occupies a worker until its model is loaded; keep asking until all answered.
        for _ in range(20):
            batch = [loop.run_in_executor(self._pool, _ready) for _ in range(self.workers)]
            pids.update(await asyncio.gather(*batch))
            if len(pids) >= self.workers:
                break
        logger.info("transcription workers ready: %d", len(pids))

    async def transcribe(self, samples: Pcm, rate: int) -> Recognized:
        if self._closed:
            raise TranscriptionError("transcriber is closed")
        data = samples.astype("<i2", copy=False).tobytes()
        async with self._slots:
            loop = asyncio.get_running_loop()
            pool = self._pool
            try:
                return await loop.run_in_executor(pool, self._decode, data, rate)
            except BrokenProcessPool as exc:
                self._replace(pool)
                raise TranscriptionError("transcription worker died") from exc
            except Exception as exc:
                raise TranscriptionError(f"engine failed: {exc}") from exc

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """A worker died (crash, OOM kill): the pool is unusable; start a new one, once."""
        if self._closed or broken is not self._pool:
            return  # already replaced by another utterance that failed with it
        self.restarts += 1
        self._started = None  # the new pool's workers load their model on first use
        logger.warning("transcription worker died: restarting the pool (%d)", self.restarts)
        broken.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()

    async def close(self) -> None:
        """Stop the workers (pending utterances are cancelled)."""
        if self._closed:
            return
        self._closed = True
        await asyncio.to_thread(self._pool.shutdown, wait=True, cancel_futures=True)
