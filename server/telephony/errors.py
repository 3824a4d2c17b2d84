"""Errors of the telephony core, each carrying the code clients see.

Hierarchy::

    TelephonyError(code, message, field)   rendered as a signaling error ack, or an ApiError
    └── InvalidTransition                  a state machine refused a transition (invalid_state)
"""

from __future__ import annotations


class TelephonyError(Exception):
    """A refused request; ``code`` is one of the codes listed in docs/signaling.md."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def ack(self) -> dict[str, object]:
        return {
            "ok": False,
            "error": {"code": self.code, "message": self.message, "field": self.field},
        }


class InvalidTransition(TelephonyError):
    def __init__(self, message: str) -> None:
        super().__init__("invalid_state", message)


def invalid_state(message: str) -> TelephonyError:
    """The request does not fit the call's (or the agent's) current state."""
    return TelephonyError("invalid_state", message)
