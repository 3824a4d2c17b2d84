"""Voice-activity segmentation of one leg's audio: frames in, utterances out.

A pure core (no I/O, no clock reads): the shell that taps a leg hands it each
decoded frame with its media time, and gets back the utterances that frame
completed. One ``Segmenter`` per leg and per direction of speech.

::

    (pcm int16 mono, at_ms) --push--> energy per frame --> idle / speaking
                                                            |
        Utterance(start_ms, end_ms, samples) <-- hangover elapsed, max length, flush

A frame is voiced when its RMS level is at or above ``threshold_dbfs``. An
utterance opens on the first voiced frame (with ``preroll_ms`` of the audio
before it), and closes once ``hangover_ms`` of unvoiced audio follow the last
voiced frame; it keeps ``tail_ms`` of that silence. One longer than
``max_utterance_ms`` is cut there and the speech goes on in a new one.
Utterances with less than ``min_voiced_ms`` of voiced audio (clicks, a cough)
are dropped. Media time drives everything: a gap in the times (packet loss,
mute, hold) counts as silence, so a leg put on hold closes its utterance.

Feeding it from a leg (the shell, not this module): one ``Segmenter`` per leg
id, created on ``LegOpened``; each payload the leg's feed observes is decoded
by ``server.media.codec.AudioDecoder`` (48 kHz mono, off the event loop) and
pushed with its media time in ms since the leg opened (arrival time, as the
recorder places packets); ``flush`` on ``LegClosed``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

Pcm = npt.NDArray[np.int16]

_FULL_SCALE = 32768.0


@dataclass(frozen=True, kw_only=True)
class SegmenterConfig:
    """Tuning of the segmentation; the defaults suit 8-48 kHz telephone speech."""

    threshold_dbfs: float = -42.0
    hangover_ms: int = 500
    preroll_ms: int = 200
    tail_ms: int = 150
    min_voiced_ms: int = 120
    max_utterance_ms: int = 15_000

    def __post_init__(self) -> None:
        if self.hangover_ms <= 0 or self.max_utterance_ms <= 0:
            raise ValueError("hangover_ms and max_utterance_ms must be positive")
        if min(self.preroll_ms, self.tail_ms, self.min_voiced_ms) < 0:
            raise ValueError("preroll_ms, tail_ms and min_voiced_ms must not be negative")
        if self.tail_ms > self.hangover_ms:
            raise ValueError("tail_ms cannot exceed hangover_ms")


@dataclass(frozen=True, eq=False)
class Utterance:
    """One stretch of speech: media times in ms, and its samples at ``rate``."""

    start_ms: int
    end_ms: int
    samples: Pcm
    rate: int

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


def level_dbfs(pcm: Pcm) -> float:
    """RMS level of ``pcm`` in dB below full scale (-inf for digital silence)."""
    if pcm.size == 0:
        return -math.inf
    mean_square = float(np.mean(np.square(pcm.astype(np.float64))))
    if mean_square == 0.0:
        return -math.inf
    return 10.0 * math.log10(mean_square / (_FULL_SCALE * _FULL_SCALE))


@dataclass
class _Open:
    start: int  # sample position of the utterance's first sample
    chunks: list[Pcm] = field(default_factory=list)
    length: int = 0  # samples held in chunks
    voiced: int = 0  # voiced samples
    last_voiced_end: int = 0  # sample position just after the last voiced frame

    @property
    def end(self) -> int:
        return self.start + self.length


class Segmenter:
    """Segments one leg's speech. Feed ``push``; call ``flush`` when the leg closes."""

    def __init__(self, rate: int, config: SegmenterConfig | None = None) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.config = config or SegmenterConfig()
        self._cursor: int | None = None  # sample position after the last frame
        self._preroll: list[Pcm] = []
        self._preroll_len = 0
        self._open: _Open | None = None

    # -- public ---------------------------------------------------------------

    def push(self, pcm: Pcm, at_ms: int) -> list[Utterance]:
        """Take one frame starting at media time ``at_ms``; return the utterances it ended.

        Frames should arrive in media-time order. A frame that starts before
        the end of the previous one (jitter) is placed right after it; a frame
        that starts later leaves a gap that counts as silence.
        """
        if pcm.ndim != 1:
            raise ValueError("pcm must be mono (one dimension)")
        out: list[Utterance] = []
        position = self._samples(at_ms)
        if self._cursor is None:
            self._cursor = position
        gap = position - self._cursor
        if gap > 0:
            out.extend(self._silence_gap(gap))
            self._cursor = position
        if pcm.size:
            start = self._cursor
            self._cursor += pcm.size
            out.extend(self._frame(pcm.astype(np.int16, copy=False), start, self._cursor))
        return out

    def flush(self) -> list[Utterance]:
        """End of the leg: close the open utterance, if any."""
        self._preroll.clear()
        self._preroll_len = 0
        if self._open is None:
            return []
        current = self._open
        return self._close(current, current.last_voiced_end + self._samples(self.config.tail_ms))

    @property
    def speaking(self) -> bool:
        return self._open is not None

    # -- internals ------------------------------------------------------------

    def _samples(self, ms: int) -> int:
        return ms * self.rate // 1000

    def _ms(self, samples: int) -> int:
        return samples * 1000 // self.rate

    def _silence_gap(self, gap: int) -> list[Utterance]:
        """A gap in media time: silence for the open utterance, forgets the pre-roll."""
        self._preroll.clear()
        self._preroll_len = 0
        current = self._open
        if current is None:
            return []
        hangover = self._samples(self.config.hangover_ms)
        silent_so_far = current.end - current.last_voiced_end
        if silent_so_far + gap >= hangover:
            # Keep what the tail wants of the gap (as zeros), then close.
            tail_end = current.last_voiced_end + self._samples(self.config.tail_ms)
            self._append(current, np.zeros(max(0, tail_end - current.end), np.int16))
            return self._close(current, tail_end)
        self._append(current, np.zeros(gap, np.int16))
        return []

    def _frame(self, pcm: Pcm, start: int, cursor: int) -> list[Utterance]:
        voiced = level_dbfs(pcm) >= self.config.threshold_dbfs
        current = self._open
        if current is None:
            if not voiced:
                self._remember(pcm)
                return []
            current = self._begin(start)
        out: list[Utterance] = []
        if voiced:
            room = self._samples(self.config.max_utterance_ms) - current.length
            if pcm.size > room:
                # Cut at the maximum length; the rest of the frame opens the next one.
                self._append(current, pcm[:room])
                current.voiced += room
                current.last_voiced_end = start + room
                out.extend(self._close(current, start + room))
                current = self._begin(start + room)
                pcm = pcm[room:]
                start += room
            self._append(current, pcm)
            current.voiced += pcm.size
            current.last_voiced_end = start + pcm.size
            return out
        self._append(current, pcm)
        if cursor - current.last_voiced_end >= self._samples(self.config.hangover_ms):
            tail_end = current.last_voiced_end + self._samples(self.config.tail_ms)
            out.extend(self._close(current, tail_end))
        elif current.length >= self._samples(self.config.max_utterance_ms):
            out.extend(self._close(current, current.end))
        return out

    def _remember(self, pcm: Pcm) -> None:
        """Keep the last ``preroll_ms`` of unvoiced audio for the next utterance's start."""
        self._preroll.append(pcm)
        self._preroll_len += pcm.size
        keep = self._samples(self.config.preroll_ms)
        while self._preroll and self._preroll_len - self._preroll[0].size >= keep:
            self._preroll_len -= self._preroll.pop(0).size
        if self._preroll_len > keep and self._preroll:
            cut = self._preroll_len - keep
            self._preroll[0] = self._preroll[0][cut:]
            self._preroll_len = keep

    def _begin(self, start: int) -> _Open:
        current = _Open(start=start - self._preroll_len, last_voiced_end=start)
        for chunk in self._preroll:
            self._append(current, chunk)
        self._preroll.clear()
        self._preroll_len = 0
        self._open = current
        return current

    @staticmethod
    def _append(current: _Open, pcm: Pcm) -> None:
        if pcm.size:
            current.chunks.append(pcm)
            current.length += pcm.size

    def _close(self, current: _Open, end: int) -> list[Utterance]:
        """Close ``current`` at sample position ``end`` (audio after it is dropped)."""
        self._open = None
        end = min(end, current.end)
        if current.voiced < self._samples(self.config.min_voiced_ms):
            return []
        samples = np.concatenate(current.chunks)[: end - current.start]
        return [
            Utterance(
                start_ms=self._ms(current.start),
                end_ms=self._ms(end),
                samples=samples,
                rate=self.rate,
            )
        ]
