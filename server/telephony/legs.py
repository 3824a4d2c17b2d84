"""A shell's call legs on the media port: open, close, wire, and candidates that come early.

ICE candidates may arrive while an offer is still being answered; they wait here and follow
the answer. Media errors become :class:`TelephonyError` (the code the client sees) at this
boundary. The media engine reports a leg that failed or closed by itself through one
process-wide callback; :class:`LegDirectory` hands it to the shell that opened the leg.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from server.media import InvalidSdpError, LegState, MediaError

from .effects import Wire
from .errors import TelephonyError
from .ports import MediaPort

logger = logging.getLogger(__name__)

Candidate = tuple[str | None, str | None, int | None]  # candidate, sdpMid, sdpMLineIndex
LegListener = Callable[[str, LegState], None]


class LegDirectory:
    """Which shell owns each open leg, for the engine's leg-state callback."""

    def __init__(self) -> None:
        self._listeners: dict[str, LegListener] = {}

    def register(self, leg_id: str, listener: LegListener) -> None:
        self._listeners[leg_id] = listener

    def unregister(self, leg_id: str) -> None:
        self._listeners.pop(leg_id, None)

    def on_leg_state(self, leg_id: str, state: LegState) -> None:
        """The engine's callback: a leg nobody asked to close failed or closed."""
        if state not in (LegState.FAILED, LegState.CLOSED):
            return
        listener = self._listeners.pop(leg_id, None)
        if listener is not None:
            listener(leg_id, state)


class CallLegs:
    def __init__(self, *, media: MediaPort, directory: LegDirectory, on_lost: LegListener) -> None:
        self.media = media
        self._directory = directory
        self._on_lost = on_lost
        self._early: dict[str, list[Candidate]] = {}  # leg id -> candidates before the answer
        self._open: set[str] = set()
        self._closing: set[asyncio.Task[None]] = set()

    async def open(self, leg_id: str, sdp: str) -> str:
        """Answer a party's offer on a new leg; trickled candidates that came early follow."""
        self._early.setdefault(leg_id, [])
        self._directory.register(leg_id, self._on_lost)
        try:
            answer = await self.media.open_leg(leg_id, sdp)
        except InvalidSdpError as exc:
            self._forget(leg_id)
            raise TelephonyError("invalid_sdp", str(exc), "sdp") from exc
        except MediaError as exc:
            self._forget(leg_id)
            raise TelephonyError("invalid_state", str(exc)) from exc
        self._open.add(leg_id)
        for candidate, mid, index in self._early.pop(leg_id, []):
            await self._add_candidate(leg_id, candidate, mid, index)
        return answer

    def close(self, leg_id: str) -> None:
        """Close a leg in the background; a requested close is not reported as lost."""
        self._forget(leg_id)
        task = asyncio.get_running_loop().create_task(self.media.close_leg(leg_id))
        self._closing.add(task)
        task.add_done_callback(self._closed)

    def _closed(self, task: asyncio.Task[None]) -> None:
        self._closing.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            logger.error("x closing a leg failed", exc_info=exc)

    async def drain(self) -> None:
        """Wait for the legs being closed."""
        while self._closing:
            await asyncio.gather(*list(self._closing), return_exceptions=True)

    def lost(self, leg_id: str) -> None:
        """The engine lost this leg: it is no longer open."""
        self._open.discard(leg_id)

    async def renegotiate(self, leg_id: str, sdp: str) -> str:
        """A new offer on a live leg (reconnect, network change)."""
        try:
            return await self.media.renegotiate(leg_id, sdp)
        except InvalidSdpError as exc:
            raise TelephonyError("invalid_sdp", str(exc), "sdp") from exc
        except MediaError as exc:
            raise TelephonyError("invalid_state", str(exc)) from exc

    async def add_candidate(
        self, leg_id: str, candidate: str | None, mid: str | None, index: int | None
    ) -> None:
        if leg_id in self._early:  # the offer is still being answered
            self._early[leg_id].append((candidate, mid, index))
        elif leg_id in self._open:
            await self._add_candidate(leg_id, candidate, mid, index)
        else:
            raise TelephonyError("invalid_state", "send the offer before its candidates")

    async def _add_candidate(
        self, leg_id: str, candidate: str | None, mid: str | None, index: int | None
    ) -> None:
        try:
            await self.media.add_remote_candidate(leg_id, candidate, mid, index)
        except InvalidSdpError as exc:
            raise TelephonyError("invalid_sdp", str(exc), "candidate") from exc
        except MediaError as exc:
            raise TelephonyError("invalid_state", str(exc)) from exc

    def _forget(self, leg_id: str) -> None:
        self._directory.unregister(leg_id)
        self._early.pop(leg_id, None)
        self._open.discard(leg_id)

    async def wire(self, plan: Wire) -> None:
        """Connect the legs as the book decided (talk, consult, conference, waiting)."""
        try:
            if plan.conference:
                await self.media.conference(plan.conference)
            elif plan.bridge is not None:
                await self.media.bridge(*plan.bridge)
            if plan.hold is not None:
                self.media.hold(*plan.hold)
            for leg, muted in plan.mutes:
                self.media.mute(leg, muted)
        except MediaError:
            logger.exception("call %s: x media wiring failed", plan.call_id)
