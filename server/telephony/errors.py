"""Errors of the telephony core, each carrying the code clients see.

Hierarchy::

    Failure (server.failures)
    └── TelephonyError(code, message, field)   a signaling error ack, or an API error
        └── InvalidTransition                  a state machine refused a transition (invalid_state)
"""

from __future__ import annotations

from server.failures import Failure


class TelephonyError(Failure):
    """A refused request; ``code`` is one of the codes listed in docs/signaling.md."""

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


def not_found(message: str, field: str | None = "call_id") -> TelephonyError:
    return TelephonyError("not_found", message, field)
