"""SIVO media plane: server-terminated aiortc call legs, bridged in the encoded domain.

See docs/media.md. Run :func:`self_test` once at start-up.
"""

from __future__ import annotations

from .aiortc_private import self_test
from .config import LOOPBACK_NETWORKS, IceServer, MediaConfig
from .engine import LegStateCallback, MediaEngine
from .errors import (
    InvalidSdpError,
    LegNotFoundError,
    MediaError,
    PrivateApiError,
)
from .leg import AudioTap, LegState
from .recorder import Recording, RecordingHandle

__all__ = [
    "LOOPBACK_NETWORKS",
    "AudioTap",
    "IceServer",
    "InvalidSdpError",
    "LegNotFoundError",
    "LegState",
    "LegStateCallback",
    "MediaConfig",
    "MediaEngine",
    "MediaError",
    "PrivateApiError",
    "Recording",
    "RecordingHandle",
    "self_test",
]
