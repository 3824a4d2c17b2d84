"""Engines: resampling, the fake, the process pool, and PocketSphinx on espeak-ng speech."""

from __future__ import annotations

import asyncio
import os
import time

import numpy as np
import pytest

from server.transcription.engine import (
    ProcessPoolTranscriber,
    Recognized,
    TranscriptionError,
    resample,
)
from server.transcription.fake import FakeTranscriber
from server.transcription.pocketsphinx import pocketsphinx_transcriber
from server.transcription.segmenter import Segmenter, Utterance
from tests.transcription.speech import SENTENCES, espeak_path, synthesize, word_overlap

LEG_RATE = 48000  # what an Opus leg decodes to


def need_espeak() -> None:
    if espeak_path() is None:
        if os.environ.get("SIVO_TEST_REQUIRE_ALL") == "1":
            pytest.fail("espeak-ng is not installed but SIVO_TEST_REQUIRE_ALL=1")
        pytest.skip("espeak-ng is not installed")


def test_resample_keeps_frequency_and_level() -> None:
    t = np.arange(22050) / 22050
    sine = np.round(10000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    out = resample(sine, 22050, 16000)
    assert out.dtype == np.int16 and out.size == 16000
    spectrum = np.abs(np.fft.rfft(out.astype(np.float64)))
    assert int(np.argmax(spectrum)) == 440  # 1 s of audio: bin = Hz
    rms = float(np.sqrt(np.mean(np.square(out.astype(np.float64)))))
    assert rms == pytest.approx(10000 / np.sqrt(2), rel=0.01)
    assert resample(sine, 16000, 16000) is sine
    with pytest.raises(ValueError):
        resample(sine, 0, 16000)


async def test_fake_follows_its_script() -> None:
    fake = FakeTranscriber(["hello", TranscriptionError("boom")], default="?")
    samples = np.zeros(1600, np.int16)
    assert await fake.transcribe(samples, 16000) == Recognized("hello", 0.9)
    with pytest.raises(TranscriptionError):
        await fake.transcribe(samples, 16000)
    assert (await fake.transcribe(samples, 8000)).text == "?"
    assert [h.duration_ms for h in fake.heard] == [100, 100, 200]


def _noop() -> None:
    return None


def _fails(data: bytes, rate: int) -> Recognized:
    raise ValueError(f"cannot decode {len(data)} bytes")


def _dies(data: bytes, rate: int) -> Recognized:
    os._exit(3)


def _dies_at_rate_1(data: bytes, rate: int) -> Recognized:
    if rate == 1:
        os._exit(3)
    return Recognized(f"{len(data)} bytes", 1.0)


async def test_a_dead_worker_is_replaced() -> None:
    pool = ProcessPoolTranscriber(decode=_dies_at_rate_1, initializer=_noop)
    samples = np.zeros(160, np.int16)
    try:
        assert (await pool.transcribe(samples, 16000)).text == "320 bytes"
        with pytest.raises(TranscriptionError, match="worker died"):
            await pool.transcribe(samples, 1)
        assert pool.restarts == 1
        assert (await pool.transcribe(samples, 16000)).text == "320 bytes"
    finally:
        await pool.close()


async def test_engine_errors_become_transcription_errors() -> None:
    samples = np.zeros(160, np.int16)
    for decode, message in ((_fails, "cannot decode 320 bytes"), (_dies, "worker died")):
        pool = ProcessPoolTranscriber(decode=decode, initializer=_noop)
        try:
            with pytest.raises(TranscriptionError, match=message):
                await pool.transcribe(samples, 16000)
        finally:
            await pool.close()
    with pytest.raises(TranscriptionError, match="closed"):
        await pool.transcribe(samples, 16000)


def leg_frames(sentences: list[str], pause_ms: int = 800) -> list[np.ndarray]:
    """The sentences as a leg would deliver them: 48 kHz, 20 ms frames, pauses between."""
    pause = np.zeros(pause_ms * LEG_RATE // 1000, np.int16)
    parts = [pause]
    for sentence in sentences:
        parts += [synthesize(sentence, rate=LEG_RATE), pause]
    signal = np.concatenate(parts)
    step = LEG_RATE // 50
    return [signal[i : i + step] for i in range(0, signal.size, step)]


async def test_pocketsphinx_transcribes_segmented_speech_without_stalling_the_loop() -> None:
    need_espeak()
    chosen = [SENTENCES[0], SENTENCES[2], SENTENCES[4]]
    segmenter = Segmenter(LEG_RATE)
    utterances: list[Utterance] = []
    for i, frame in enumerate(leg_frames(chosen)):
        utterances += segmenter.push(frame, i * 20)
    utterances += segmenter.flush()
    assert len(utterances) == len(chosen)

    transcriber = pocketsphinx_transcriber(workers=1)
    try:
        await transcriber.start()
        gaps: list[float] = []
        done = asyncio.Event()

        async def heartbeat() -> None:
            last = time.perf_counter()
            while not done.is_set():
                await asyncio.sleep(0.01)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        beat = asyncio.create_task(heartbeat())
        results = await asyncio.gather(
            *(transcriber.transcribe(u.samples, u.rate) for u in utterances)
        )
        done.set()
        await beat
    finally:
        await transcriber.close()

    for sentence, result in zip(chosen, results, strict=True):
        assert word_overlap(sentence, result.text) >= 0.6, (sentence, result.text)
        assert 0.0 <= result.confidence <= 1.0
    # One decode takes ~0.8 s of CPU: run on the loop, it would stall it that long.
    assert max(gaps) < 0.25  # the loop kept ticking while the worker decoded
