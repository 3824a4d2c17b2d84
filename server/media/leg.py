"""One call leg: a peer connection terminated on the server, and its routing state."""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiortc import RTCPeerConnection

from .feed import FeedTrack
from .sdpinfo import CodecInfo

if TYPE_CHECKING:
    from .conference import MixSession
    from .recorder import Recorder

logger = logging.getLogger(__name__)

# What a leg's party says, as it arrives: (its codec, one encoded payload, arrival time in the
# engine's monotonic seconds). Called on the event loop's hot path: it must only queue.
AudioTap = Callable[[CodecInfo, bytes, float], None]


class LegState(enum.Enum):
    """What the calls service is told about a leg (``on_leg_state``)."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    FAILED = "failed"
    CLOSED = "closed"


@dataclass(eq=False)
class Leg:
    """Mutable state of one leg; owned and mutated only by the engine."""

    id: str
    pc: RTCPeerConnection
    codec: CodecInfo
    feed: FeedTrack
    remote_ice: tuple[str, str]
    state: LegState = LegState.CONNECTING
    held: bool = False
    muted: bool = False
    partner: Leg | None = None
    mix: MixSession | None = None
    recorder: Recorder | None = None
    audio_tap: AudioTap | None = None
    closing: bool = False
    # Peer connections replaced by an ICE restart, closed once the new one connects.
    retired: list[RTCPeerConnection] = field(default_factory=list)
    setup_timer: asyncio.TimerHandle | None = None

    def set_state(self, state: LegState) -> bool:
        """Move to ``state``; False if already there or already final."""
        if state == self.state or self.state in (LegState.FAILED, LegState.CLOSED):
            if not (self.state == LegState.FAILED and state == LegState.CLOSED):
                return False
        logger.info("leg %s: %s -> %s", self.id, self.state.value, state.value)
        self.state = state
        return True
