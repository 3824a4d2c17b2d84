"""A test phone that speaks: an aiortc track playing queued PCM in real time, then silence."""

from __future__ import annotations

from collections import deque

import numpy as np

from tests.media.peers import FRAME, Pcm, ToneTrack


class SpeechTrack(ToneTrack):
    """Plays what ``say`` queued (48 kHz mono), 20 ms per frame, and silence in between."""

    def __init__(self) -> None:
        super().__init__(None)
        self._frames: deque[Pcm] = deque()

    def say(self, pcm: Pcm) -> float:
        """Queue ``pcm``; returns how long it takes to say, in seconds."""
        padded = np.pad(pcm.astype(np.int16), (0, -pcm.size % FRAME))
        self._frames.extend(padded.reshape(-1, FRAME))
        return padded.size / 48000

    @property
    def speaking(self) -> bool:
        return bool(self._frames)

    def next_pcm(self) -> Pcm:
        return self._frames.popleft() if self._frames else np.zeros(FRAME, dtype=np.int16)
