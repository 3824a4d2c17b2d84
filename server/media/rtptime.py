"""RTP timestamp re-basing for forwarded audio (pure).

A leg's sender emits one continuous RTP stream, while what feeds it changes:
the bridged party, a new party after a transfer, hold tone, DTMF, a mix. Each
source has its own random timestamp origin, so the output timeline is kept
continuous by adding a per-source offset, chosen when the source changes so
that the output advances by the wall-clock time elapsed (at least one frame).
Within a source, 32-bit wrap-around is unwrapped.
"""

from __future__ import annotations

from collections.abc import Hashable

_WRAP = 1 << 32
_HALF = 1 << 31


class TimestampRebaser:
    """Maps (source, source RTP timestamp, now) to a continuous output timestamp."""

    def __init__(self, *, clock_rate: int, frame_samples: int) -> None:
        self.clock_rate = clock_rate
        self.frame_samples = frame_samples
        self._source: Hashable | None = None
        self._last_in = 0
        self._offset = 0
        self._last_out: int | None = None
        self._last_time = 0.0

    def rebase(self, source: Hashable, timestamp: int, now: float) -> int:
        """Output timestamp (unbounded int; the sender wraps it) for a packet."""
        if self._last_out is None:
            self._source = source
            self._last_in = timestamp
            self._offset = -timestamp
        elif source != self._source:
            elapsed = round((now - self._last_time) * self.clock_rate)
            step = max(self.frame_samples, elapsed)
            self._source = source
            self._last_in = timestamp
            self._offset = self._last_out + step - timestamp
        else:
            # Signed 32-bit difference: handles wrap-around and small reordering.
            diff = (timestamp - self._last_in + _HALF) % _WRAP - _HALF
            self._last_in += diff
            timestamp = self._last_in
        out = timestamp + self._offset
        if self._last_out is None or out > self._last_out:
            self._last_out = out
            self._last_time = now
        return out
