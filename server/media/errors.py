"""Exceptions raised by the media plane.

Hierarchy::

    MediaError
    ├── InvalidSdpError      the offer (or a trickled candidate) cannot be used
    ├── LegNotFoundError     no open leg has this id
    └── PrivateApiError      the installed aiortc no longer matches what the bridge relies on
"""

from __future__ import annotations


class MediaError(Exception):
    """Base class for media-plane errors."""


class InvalidSdpError(MediaError):
    """An SDP offer or ICE candidate was malformed or offered nothing usable."""


class LegNotFoundError(MediaError, KeyError):
    """The leg id is unknown (never opened, or already closed)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown leg"


class PrivateApiError(MediaError):
    """The aiortc/aioice internals used by the bridge changed; see docs/media.md."""
