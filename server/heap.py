"""Keeping the cyclic garbage collector's pauses off the call path.

A full (generation 2) collection stops the event loop while it traverses every tracked
object. On the signaling benchmark (1,000 agents, 300 calls) the process tracks about
140,000 objects at start-up (modules, the application graph) and 150,000 more for the
agents' sockets (python-socketio and aiohttp keep ~150 per connection), and CPython runs a
full collection whenever the objects promoted since the last one exceed a quarter of the
old ones: every second or so under load, 90-250 ms each. That was the whole 200+ ms tail
of ring latency.

The ratchet: after start-up and after every full collection, the survivors are frozen
(``gc.freeze()``), so the next full collection only walks what was promoted since, a few
milliseconds' worth. Cyclic garbage that was frozen while alive (a call's peer connection
that ended later) is reclaimed by a major collection (``gc.unfreeze()`` then a full
collection) once the frozen heap has grown by ``major_growth`` since the last major, or
``major_interval_s`` has passed: memory stays within that factor of the live heap, and the
one long pause happens that much less often.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import time
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

logger = logging.getLogger(__name__)

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


FULL_EVERY = 2  # generation-1 collections per full collection (CPython's default: 10)


class GcRatchet:
    def __init__(self, *, major_growth: float = 0.5, major_interval_s: float = 600.0) -> None:
        self._major_growth = major_growth
        self._major_interval_s = major_interval_s
        self._baseline = 0  # resident bytes after the last major collection
        self._last_major = time.monotonic()
        self.majors = 0
        self.minors = 0

    def start(self) -> None:
        started = time.perf_counter()
        gc.collect()
        gc.freeze()
        self._baseline = resident_bytes()
        self._last_major = time.monotonic()
        gc.callbacks.append(self._on_gc)
        # With the old heap frozen a full collection only walks what was promoted since the
        # last one; running it every 2nd instead of every 10th young collection keeps each
        # one short (measured: 20-30 ms at 10, a few ms at 2, at 130 calls/s).
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, FULL_EVERY)
        logger.info(
            "heap: start-up heap frozen (%.0f ms, %d MB resident)",
            (time.perf_counter() - started) * 1000,
            self._baseline // 2**20,
        )

    def stop(self) -> None:
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, 10)
        gc.unfreeze()

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        # Runs inside the collector, on whichever thread allocated: only cheap list moves.
        if phase == "stop" and info["generation"] == 2:
            gc.freeze()
            self.minors += 1

    def major_due(self) -> bool:
        grown = resident_bytes() > self._baseline * (1 + self._major_growth)
        late = time.monotonic() - self._last_major >= self._major_interval_s
        return grown or late

    def major(self) -> float:
        """Reclaim frozen garbage: one full collection of the whole heap; returns its ms."""
        started = time.perf_counter()
        gc.unfreeze()
        gc.collect()  # the callback freezes the survivors again
        self._baseline = resident_bytes()
        self._last_major = time.monotonic()
        self.majors += 1
        ms = (time.perf_counter() - started) * 1000
        logger.info("heap: major collection (%.0f ms, %d MB resident)", ms, self._baseline >> 20)
        return ms


def resident_bytes() -> int:
    """This process's resident set size (Linux; 0 where /proc is missing)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


def install(app: web.Application, *, check_every_s: float = 1.0) -> None:
    """Run the ratchet for this app's life (``sivo serve`` and the benchmarks do)."""
    ratchet = GcRatchet()

    async def run(app: web.Application) -> AsyncIterator[None]:
        ratchet.start()

        async def watch() -> None:
            while True:
                await asyncio.sleep(check_every_s)
                if ratchet.major_due():
                    ratchet.major()

        task = asyncio.get_running_loop().create_task(watch())
        yield
        task.cancel()
        ratchet.stop()

    app.cleanup_ctx.append(run)
