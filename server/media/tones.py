"""Tone synthesis: DTMF (ITU-T Q.23) and the hold tone (pure, numpy).

All signals are 48 kHz mono int16, cut into 20 ms frames so they can be
encoded once per codec and injected into a leg's outgoing packet stream.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 48000
FRAME_SAMPLES = 960  # 20 ms at 48 kHz

# Q.23 / Q.24: row (low group) and column (high group) frequencies in Hz.
DTMF_LOW = (697.0, 770.0, 852.0, 941.0)
DTMF_HIGH = (1209.0, 1336.0, 1477.0, 1633.0)
_KEYPAD = ("123A", "456B", "789C", "*0#D")
DTMF_FREQUENCIES: dict[str, tuple[float, float]] = {
    key: (DTMF_LOW[row], DTMF_HIGH[col])
    for row, keys in enumerate(_KEYPAD)
    for col, key in enumerate(keys)
}

Pcm = npt.NDArray[np.int16]


def normalize_digits(digits: str) -> str:
    """Upper-case DTMF digits; ``,`` is kept as a 2-second pause (as in MDN insertDTMF).

    Raises:
        ValueError: a character that is not a DTMF key or ``,``.
    """
    result = digits.upper()
    bad = sorted({d for d in result if d not in DTMF_FREQUENCIES and d != ","})
    if bad:
        raise ValueError(f"not DTMF digits: {''.join(bad)!r}")
    return result


def _sines(freqs: tuple[float, ...], samples: int, amplitude: float) -> npt.NDArray[np.float64]:
    t = np.arange(samples) / SAMPLE_RATE
    wave = np.zeros(samples)
    for freq in freqs:
        wave += np.sin(2 * np.pi * freq * t)
    return wave * amplitude


def _to_frames(signal: npt.NDArray[np.float64]) -> list[Pcm]:
    padded = -len(signal) % FRAME_SAMPLES
    pcm = np.clip(np.concatenate([signal, np.zeros(padded)]), -32768, 32767).astype(np.int16)
    return [pcm[i : i + FRAME_SAMPLES] for i in range(0, len(pcm), FRAME_SAMPLES)]


def dtmf_frames(digits: str, *, tone_ms: int = 100, gap_ms: int = 80) -> list[Pcm]:
    """20 ms frames playing ``digits`` as dual tones, each followed by a gap.

    Durations are rounded up to whole frames. Each of the two tones is at about
    -13 dBFS, with a 5 ms ramp to avoid clicks.
    """
    tone_samples = -(-tone_ms * SAMPLE_RATE // 1000 // FRAME_SAMPLES) * FRAME_SAMPLES
    gap_samples = -(-gap_ms * SAMPLE_RATE // 1000 // FRAME_SAMPLES) * FRAME_SAMPLES
    ramp = np.minimum(1.0, np.arange(tone_samples) / (0.005 * SAMPLE_RATE))
    ramp = np.minimum(ramp, ramp[::-1])
    parts: list[npt.NDArray[np.float64]] = []
    for digit in normalize_digits(digits):
        if digit == ",":
            parts.append(np.zeros(2 * SAMPLE_RATE))
            continue
        parts.append(_sines(DTMF_FREQUENCIES[digit], tone_samples, 7000.0) * ramp)
        parts.append(np.zeros(gap_samples))
    if not parts:
        return []
    return _to_frames(np.concatenate(parts))


def hold_frames(freqs: tuple[float, ...], *, seconds_each: float = 1.0) -> list[Pcm]:
    """One loop of the hold tone: each frequency for ``seconds_each``, at -20 dBFS.

    Each segment holds a whole number of periods (frequencies are rounded to
    1 / ``seconds_each`` Hz), so the loop repeats without a click.
    """
    samples = round(seconds_each * SAMPLE_RATE)
    parts = []
    for freq in freqs or (440.0,):
        whole = round(freq * seconds_each) / seconds_each
        parts.append(_sines((whole,), samples, 3277.0))
    return _to_frames(np.concatenate(parts))


def silence_frame() -> Pcm:
    return np.zeros(FRAME_SAMPLES, dtype=np.int16)
