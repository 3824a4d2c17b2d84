"""Audio analysis for media tests: FFT tone detection and Goertzel DTMF detection."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from server.media.tones import DTMF_FREQUENCIES, DTMF_HIGH, DTMF_LOW

RATE = 48000

Pcm = npt.NDArray[np.int16]


def rms(pcm: Pcm) -> float:
    if len(pcm) == 0:
        return 0.0
    return float(np.sqrt(np.mean(pcm.astype(np.float64) ** 2)))


def band_ratio(pcm: Pcm, frequency: float, *, rate: int = RATE, width: float = 15.0) -> float:
    """Share of the signal's energy within ``width`` Hz of ``frequency`` (0..1)."""
    if len(pcm) < rate // 20:
        return 0.0
    window = np.hanning(len(pcm))
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64) * window)) ** 2
    freqs = np.fft.rfftfreq(len(pcm), 1 / rate)
    total = float(spectrum[freqs > 50].sum())
    if total == 0:
        return 0.0
    band = float(spectrum[np.abs(freqs - frequency) <= width].sum())
    return band / total


def dominant_frequency(pcm: Pcm, *, rate: int = RATE) -> float:
    window = np.hanning(len(pcm))
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64) * window))
    freqs = np.fft.rfftfreq(len(pcm), 1 / rate)
    spectrum[freqs < 50] = 0
    return float(freqs[int(np.argmax(spectrum))])


def goertzel_power(block: npt.NDArray[np.float64], frequency: float, rate: int = RATE) -> float:
    """Power of one frequency in a block (the Goertzel algorithm)."""
    coeff = 2 * np.cos(2 * np.pi * frequency / rate)
    s1 = s2 = 0.0
    for sample in block:
        s0 = sample + coeff * s1 - s2
        s2, s1 = s1, s0
    return s1 * s1 + s2 * s2 - coeff * s1 * s2


def detect_dtmf(pcm: Pcm, *, rate: int = RATE, block_ms: int = 20) -> str:
    """Digits found by Goertzel on consecutive blocks (repeats collapsed).

    A block counts as a digit when the strongest low-group and high-group
    tones each carry a clear share of the block's energy and dominate the
    other tones of their group.
    """
    # Decimate to 8 kHz first: Goertzel in pure Python is slow at 48 kHz.
    factor = rate // 8000
    signal = pcm[: len(pcm) - len(pcm) % factor].reshape(-1, factor).mean(axis=1)
    rate = 8000
    size = rate * block_ms // 1000
    digits = []
    previous = ""
    lookup = {pair: key for key, pair in DTMF_FREQUENCIES.items()}
    for start in range(0, len(signal) - size + 1, size):
        block = signal[start : start + size]
        energy = float(np.sum(block**2)) * size / 2
        if energy < 1e6:
            previous = ""
            continue
        low = [goertzel_power(block, f, rate) for f in DTMF_LOW]
        high = [goertzel_power(block, f, rate) for f in DTMF_HIGH]
        li, hi = int(np.argmax(low)), int(np.argmax(high))
        ok = (
            low[li] > 0.2 * energy
            and high[hi] > 0.2 * energy
            and all(low[li] > 4 * v for i, v in enumerate(low) if i != li)
            and all(high[hi] > 4 * v for i, v in enumerate(high) if i != hi)
        )
        digit = lookup[(DTMF_LOW[li], DTMF_HIGH[hi])] if ok else ""
        if digit and digit != previous:
            digits.append(digit)
        previous = digit
    return "".join(digits)
