"""Named one-shot timers on the injected clock (a ``FakeClock`` in tests moves them exactly)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from server.clock import Clock

logger = logging.getLogger(__name__)


class Timers:
    """``set(key, at, callback)`` replaces any timer of that key; callbacks run as tasks."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._firing: set[asyncio.Task[None]] = set()  # callbacks of timers that went off
        self._closed = False

    def set(self, key: str, at: float, callback: Callable[[], Awaitable[None]]) -> None:
        """Arm (or re-arm) ``key``; a no-op once closed, so a shutdown leaves no timer behind."""
        if self._closed:
            return
        self.cancel(key)
        self._tasks[key] = asyncio.get_running_loop().create_task(self._run(key, at, callback))

    def cancel(self, key: str) -> None:
        task = self._tasks.pop(key, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    def pending(self, key: str) -> bool:
        return key in self._tasks

    async def _run(self, key: str, at: float, callback: Callable[[], Awaitable[None]]) -> None:
        await self._clock.sleep(max(0.0, at - self._clock.now()))
        task = asyncio.current_task()
        if self._tasks.get(key) is task:
            del self._tasks[key]
        if task is not None:
            self._firing.add(task)
        try:
            await callback()
        except Exception:
            logger.exception("timer %s: x callback failed", key)
        finally:
            if task is not None:
                self._firing.discard(task)

    @property
    def busy(self) -> bool:
        return bool(self._firing)

    async def fired(self) -> None:
        """Wait for the callbacks of timers that have gone off (not for timers still due)."""
        while self._firing:
            await asyncio.gather(*list(self._firing), return_exceptions=True)

    async def close(self) -> None:
        self._closed = True
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
