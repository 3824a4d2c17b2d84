"""Socket.IO signaling for softphones (``/agent``) and web phones (``/caller``).

See docs/signaling.md for the protocol.
"""

from __future__ import annotations

from .server import SignalingServer

__all__ = ["SignalingServer"]
