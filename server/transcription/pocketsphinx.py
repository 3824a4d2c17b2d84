"""The default engine: PocketSphinx with the US English model its wheel ships.

No download and no network: the acoustic model, language model and dictionary
are package data of ``pocketsphinx`` from PyPI. The model expects 16 kHz audio;
other rates are resampled in the worker. ``PocketsphinxDecoder`` decodes in the
calling process (benchmarks, one-off use); ``pocketsphinx_transcriber`` runs it
in a process pool for the event loop.
"""

from __future__ import annotations

import math

import numpy as np
from pocketsphinx import Decoder

from .engine import ProcessPoolTranscriber, Recognized, resample
from .segmenter import Pcm

MODEL_RATE = 16000


class PocketsphinxDecoder:
    """One PocketSphinx decoder (not thread-safe: one utterance at a time)."""

    def __init__(self) -> None:
        self._decoder = Decoder(samprate=MODEL_RATE, loglevel="FATAL")

    def decode(self, samples: Pcm, rate: int) -> Recognized:
        pcm = resample(samples, rate, MODEL_RATE)
        self._decoder.start_utt()
        self._decoder.process_raw(pcm.astype("<i2", copy=False).tobytes(), full_utt=True)
        self._decoder.end_utt()
        hyp = self._decoder.hyp()
        if hyp is None:
            return Recognized(text="", confidence=0.0)
        confidence = float(hyp.prob)
        if not math.isfinite(confidence):
            confidence = 0.0
        return Recognized(text=hyp.hypstr.strip(), confidence=min(1.0, max(0.0, confidence)))


# -- worker process side (module level: the pool pickles these by name) --------

_worker: PocketsphinxDecoder | None = None


def _init_worker() -> None:
    global _worker
    _worker = PocketsphinxDecoder()


def _decode(data: bytes, rate: int) -> Recognized:
    if _worker is None:
        raise RuntimeError("pocketsphinx worker not initialized")
    return _worker.decode(np.frombuffer(data, dtype="<i2"), rate)


def pocketsphinx_transcriber(
    *, workers: int = 1, max_in_flight: int | None = None
) -> ProcessPoolTranscriber:
    """The default ``Transcriber``: PocketSphinx in ``workers`` processes."""
    return ProcessPoolTranscriber(
        decode=_decode,
        initializer=_init_worker,
        workers=workers,
        max_in_flight=max_in_flight,
    )
