"""Audio mixing for conferences and transcoding (pure, numpy).

Every participant receives the sum of everyone else ("mix-minus", N-1), so
nobody hears themselves. Frames are 48 kHz mono int16.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

Pcm = npt.NDArray[np.int16]


def mix_minus(frames: Mapping[str, Pcm]) -> dict[str, Pcm]:
    """For each key, the clipped sum of all the other frames (same length)."""
    if not frames:
        return {}
    total = np.zeros(len(next(iter(frames.values()))), dtype=np.int32)
    for frame in frames.values():
        total += frame
    return {
        key: np.clip(total - frame, -32768, 32767).astype(np.int16) for key, frame in frames.items()
    }


class PcmFifo:
    """Samples waiting to be mixed, bounded so latency cannot build up."""

    def __init__(self, *, max_samples: int) -> None:
        self.max_samples = max_samples
        self._chunks: deque[Pcm] = deque()
        self._size = 0
        self.dropped_samples = 0

    def __len__(self) -> int:
        return self._size

    def push(self, pcm: Pcm) -> None:
        self._chunks.append(pcm)
        self._size += len(pcm)
        excess = self._size - self.max_samples
        if excess > 0:
            self.dropped_samples += excess
            self._take(excess)

    def pop(self, n: int) -> Pcm:
        """Exactly ``n`` samples; zero-padded at the end if fewer are queued."""
        out = self._take(min(n, self._size))
        if len(out) < n:
            out = np.concatenate([out, np.zeros(n - len(out), dtype=np.int16)])
        return out

    def _take(self, n: int) -> Pcm:
        parts: list[Pcm] = []
        while n > 0:
            head = self._chunks[0]
            if len(head) <= n:
                parts.append(self._chunks.popleft())
                n -= len(head)
                self._size -= len(head)
            else:
                parts.append(head[:n])
                self._chunks[0] = head[n:]
                self._size -= n
                n = 0
        if not parts:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(parts)
