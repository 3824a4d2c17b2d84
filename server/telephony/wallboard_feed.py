"""The wallboard's shell: one live board per watched tenant, pushed to its supervisors.

::

    Switchboard ──CallEnded──> WallboardFeed.observe ──> Board.notice   (a CallObserver)
    first viewer of a tenant ─> its config, its roster and WaitHistory.waits_since (one read each)
    every interval_s while a tenant is watched:
        snapshot(shell.state, shell.roster) ─> Board.update ─> changed? ─> Publisher.publish

The board reads the shell's state in memory; the database is read once per tenant, when its
first supervisor connects (the service level window's ended waits, the queues and settings,
and the roster of agents unless the directory read it already), never per viewer or per
push: the admin's changes to agents reach the roster as notices (server/telephony/roster.py).
One computation per tenant and interval serves all of its viewers, and a push goes out only
when the model changed: at most ``1 / interval_s`` pushes per second per tenant (2 by
default). Times in state tick in the browser.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from server.clock import Clock

from .effects import Notice
from .switchboard import Switchboard
from .wallboard import DEFAULT_WINDOW_S, Board, Outcome, snapshot

logger = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 0.5


class WaitHistory(Protocol):
    """The waits that ended since a time (``server.store.wallboard.SqlWaitHistory``)."""

    async def waits_since(self, tenant_id: str, since: float) -> list[Outcome]: ...


class Publisher(Protocol):
    """Sends a tenant's wallboard to all of its viewers (the supervisor namespace)."""

    async def publish(self, tenant_id: str, message: dict[str, Any]) -> None: ...


@dataclass
class _Watched:
    board: Board
    ready: asyncio.Future[None]
    viewers: int = 0
    model: dict[str, Any] | None = None
    ticker: asyncio.Task[None] | None = None
    pushes: int = 0


class WallboardFeed:
    """A :class:`~server.telephony.ports.CallObserver` and the tenants' live boards."""

    def __init__(
        self,
        *,
        switchboard: Switchboard,
        history: WaitHistory,
        clock: Clock,
        interval_s: float = DEFAULT_INTERVAL_S,
        window_s: float = DEFAULT_WINDOW_S,
    ) -> None:
        self._switchboard = switchboard
        self._history = history
        self._clock = clock
        self.interval_s = interval_s
        self._window_s = window_s
        self.publisher: Publisher | None = None  # the supervisor namespace sets itself here
        self._tenants: dict[str, _Watched] = {}  # kept once watched: the window's waits

    def observe(self, tenant_id: str, notice: Notice) -> None:
        watched = self._tenants.get(tenant_id)
        if watched is not None:
            watched.board.notice(notice, self._clock.now())

    async def watch(self, tenant_id: str) -> dict[str, Any]:
        """A viewer joined: the message to send it now. The first viewer of a tenant since
        start reads its waits and config; the first of a moment starts its ticker."""
        watched = self._tenants.get(tenant_id)
        if watched is None:
            watched = _Watched(Board(window_s=self._window_s), asyncio.Future())
            self._tenants[tenant_id] = watched  # live notices count from now on
            try:
                await self._load(tenant_id, watched.board)
            except BaseException as exc:
                del self._tenants[tenant_id]
                watched.ready.set_exception(exc)
                watched.ready.exception()  # retrieved: the next viewer tries again
                raise
            watched.ready.set_result(None)
        else:
            await asyncio.shield(watched.ready)
        watched.viewers += 1
        if watched.ticker is None:
            watched.ticker = asyncio.get_running_loop().create_task(self._tick(tenant_id))
        if watched.model is None:
            self._compute(tenant_id, watched)
        return self._message(watched)

    def unwatch(self, tenant_id: str) -> None:
        """A viewer left; with the last one the ticker stops (the board is kept)."""
        watched = self._tenants.get(tenant_id)
        if watched is None or watched.viewers == 0:
            return
        watched.viewers -= 1
        if watched.viewers == 0 and watched.ticker is not None:
            watched.ticker.cancel()
            watched.ticker = None
            watched.model = None  # the next viewer gets a fresh one
            watched.board.forget_times()

    def pushes(self, tenant_id: str) -> int:
        """How many updates went out for a tenant (tests, figures)."""
        watched = self._tenants.get(tenant_id)
        return watched.pushes if watched is not None else 0

    async def close(self) -> None:
        tickers = [w.ticker for w in self._tenants.values() if w.ticker is not None]
        for task in tickers:
            task.cancel()
        await asyncio.gather(*tickers, return_exceptions=True)

    async def _load(self, tenant_id: str, board: Board) -> None:
        shell = self._switchboard.shell(tenant_id)
        await shell.reload_config()  # queue names and the threshold, if no call loaded them
        await shell.roster.agents()  # every agent, those never signed in as logged out
        now = self._clock.now()
        waits = await self._history.waits_since(tenant_id, now - self._window_s)
        board.seed(waits)
        logger.info("wallboard %s: watched, %d waits in the window", tenant_id, len(waits))

    def _compute(self, tenant_id: str, watched: _Watched) -> bool:
        """Fold the shell's state now; returns whether the model changed."""
        shell = self._switchboard.shell(tenant_id)
        snap = snapshot(shell.state, shell.roster.cached())
        model = watched.board.update(snap, self._clock.now())
        if model == watched.model:
            return False
        watched.model = model
        return True

    def _message(self, watched: _Watched) -> dict[str, Any]:
        return {"now": self._clock.now(), **(watched.model or {})}

    async def _tick(self, tenant_id: str) -> None:
        watched = self._tenants[tenant_id]
        while True:
            await self._clock.sleep(self.interval_s)
            try:
                if self._compute(tenant_id, watched) and self.publisher is not None:
                    watched.pushes += 1
                    await self.publisher.publish(tenant_id, self._message(watched))
            except Exception:
                logger.exception("wallboard %s: x update failed", tenant_id)
