"""The segmenter on synthetic signals: tones for speech, silence and low noise between."""

from __future__ import annotations

import numpy as np
import pytest

from server.transcription.segmenter import (
    Pcm,
    Segmenter,
    SegmenterConfig,
    Utterance,
    level_dbfs,
)

RATE = 16000
FRAME_MS = 20


def tone(ms: int, dbfs: float = -20.0, hz: float = 440.0) -> Pcm:
    n = ms * RATE // 1000
    amplitude = 32768 * 10 ** (dbfs / 20) * np.sqrt(2)
    t = np.arange(n) / RATE
    wave: Pcm = np.round(amplitude * np.sin(2 * np.pi * hz * t)).astype(np.int16)
    return wave


def silence(ms: int) -> Pcm:
    return np.zeros(ms * RATE // 1000, np.int16)


def noise(ms: int, dbfs: float = -60.0, seed: int = 1) -> Pcm:
    rng = np.random.default_rng(seed)
    n = ms * RATE // 1000
    return np.round(rng.normal(0, 32768 * 10 ** (dbfs / 20), n)).astype(np.int16)


def feed(seg: Segmenter, signal: Pcm, start_ms: int = 0) -> list[Utterance]:
    """Push ``signal`` in 20 ms frames with their media times, then flush."""
    out: list[Utterance] = []
    step = FRAME_MS * RATE // 1000
    for i in range(0, signal.size, step):
        out.extend(seg.push(signal[i : i + step], start_ms + i * 1000 // RATE))
    return out


def test_level_dbfs_of_a_sine_and_of_silence() -> None:
    assert level_dbfs(tone(100, -20.0)) == pytest.approx(-20.0, abs=0.1)
    assert level_dbfs(silence(20)) == float("-inf")
    assert level_dbfs(np.zeros(0, np.int16)) == float("-inf")


def test_two_words_separated_by_a_pause_are_two_utterances() -> None:
    seg = Segmenter(RATE)
    signal = np.concatenate([silence(500), tone(800), silence(1000), tone(600), silence(1000)])
    out = feed(seg, signal, start_ms=10_000)
    assert [(u.start_ms, u.end_ms) for u in out] == [
        (10_300, 11_450),  # 200 ms pre-roll, 800 ms speech, 150 ms tail
        (12_100, 13_050),
    ]
    assert out[0].samples.size == (11_450 - 10_300) * RATE // 1000
    assert out[0].rate == RATE
    assert seg.flush() == []


def test_a_pause_shorter_than_the_hangover_keeps_one_utterance() -> None:
    seg = Segmenter(RATE)
    signal = np.concatenate([tone(400), silence(300), tone(400), silence(800)])
    out = feed(seg, signal)
    assert [(u.start_ms, u.end_ms) for u in out] == [(0, 1250)]


def test_low_noise_is_not_speech_and_quiet_speech_is() -> None:
    quiet = SegmenterConfig(threshold_dbfs=-42.0)
    assert feed(Segmenter(RATE, quiet), noise(3000, dbfs=-55.0)) == []
    out = feed(Segmenter(RATE, quiet), np.concatenate([tone(500, -38.0), silence(700)]))
    assert len(out) == 1


def test_clicks_shorter_than_min_voiced_are_dropped() -> None:
    seg = Segmenter(RATE, SegmenterConfig(min_voiced_ms=120))
    signal = np.concatenate([silence(200), tone(60), silence(1000), tone(200), silence(800)])
    out = feed(seg, signal)
    assert len(out) == 1
    assert out[0].start_ms == 1260 - 200


def test_long_speech_is_cut_at_the_maximum_length() -> None:
    config = SegmenterConfig(max_utterance_ms=2000, preroll_ms=0)
    seg = Segmenter(RATE, config)
    out = feed(seg, tone(5000)) + seg.flush()
    assert [(u.start_ms, u.end_ms) for u in out] == [(0, 2000), (2000, 4000), (4000, 5000)]
    joined = np.concatenate([u.samples for u in out])
    assert np.array_equal(joined, tone(5000))


def test_flush_closes_an_open_utterance_at_its_tail() -> None:
    seg = Segmenter(RATE)
    assert feed(seg, np.concatenate([tone(500), silence(100)])) == []
    assert seg.speaking
    out = seg.flush()
    assert [(u.start_ms, u.end_ms) for u in out] == [(0, 600)]
    assert not seg.speaking


def test_a_gap_in_media_time_counts_as_silence() -> None:
    seg = Segmenter(RATE)
    out = feed(seg, tone(500), start_ms=0)
    # Hold: no frames for 5 s, then speech again.
    out += feed(seg, tone(400), start_ms=5500)
    assert [(u.start_ms, u.end_ms) for u in out] == [(0, 650)]
    assert out[0].samples.size == 650 * RATE // 1000
    out = seg.flush()
    # The pre-roll before the gap is forgotten: the new utterance starts at its speech.
    assert [(u.start_ms, u.end_ms) for u in out] == [(5500, 5900)]  # no audio after


def test_a_short_gap_inside_speech_is_filled_with_zeros() -> None:
    seg = Segmenter(RATE)
    out = feed(seg, tone(300)) + feed(seg, tone(300), start_ms=400) + seg.flush()
    assert [(u.start_ms, u.end_ms) for u in out] == [(0, 700)]  # flush: no tail past the audio
    gap = out[0].samples[300 * RATE // 1000 : 400 * RATE // 1000]
    assert not gap.any()


def test_overlapping_frames_are_placed_after_the_previous_one() -> None:
    seg = Segmenter(RATE, SegmenterConfig(preroll_ms=0, tail_ms=0))
    out = seg.push(tone(20), 0) + seg.push(tone(20), 15) + seg.flush()
    assert [(u.start_ms, u.end_ms) for u in out] == []  # 40 ms < min_voiced
    seg = Segmenter(RATE, SegmenterConfig(preroll_ms=0, tail_ms=0, min_voiced_ms=0))
    out = seg.push(tone(20), 0) + seg.push(tone(20), 15) + seg.flush()
    assert [(u.start_ms, u.end_ms) for u in out] == [(0, 40)]


def test_other_rates_and_frame_sizes() -> None:
    rate = 48000
    seg = Segmenter(rate)
    n = rate // 100  # 10 ms frames
    t = np.arange(rate) / rate
    speech = np.round(3000 * np.sin(2 * np.pi * 300 * t)).astype(np.int16)
    signal = np.concatenate([np.zeros(rate, np.int16), speech, np.zeros(rate, np.int16)])
    out: list[Utterance] = []
    for i in range(0, signal.size, n):
        out.extend(seg.push(signal[i : i + n], i * 1000 // rate))
    assert [(u.start_ms, u.end_ms) for u in out] == [(800, 2150)]
    assert out[0].samples.size == 1350 * rate // 1000


def test_invalid_input_is_refused() -> None:
    with pytest.raises(ValueError):
        Segmenter(0)
    with pytest.raises(ValueError):
        SegmenterConfig(tail_ms=600, hangover_ms=500)
    with pytest.raises(ValueError):
        Segmenter(RATE).push(np.zeros((2, 160), np.int16), 0)
