"""How long an agent's socket may act: its token's lifetime, extended by ``session.refresh``.

Pure bookkeeping; the signaling server sweeps it on the injected clock::

    connect / session.refresh ──> expires_at
    expires_at - WARN_S   ──> push session.expiring {expires_at}   (once per token)
    expires_at            ──> push session.expired, disconnect     (not while on a call:
                                                                    right after it instead)
    its signing key revoked ──> push session.expired, disconnect   (at once, call or not)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

WARN_S = 60.0  # how long before expiry the softphone is told to refresh


@dataclass
class LiveSession:
    tenant_id: str
    agent_id: str
    expires_at: float
    kid: str
    warned: bool = False


@dataclass(frozen=True, slots=True)
class Warn:
    sid: str
    expires_at: float


@dataclass(frozen=True, slots=True)
class Expire:
    sid: str
    reason: str  # expired | revoked


Action = Warn | Expire


class SessionClock:
    def __init__(self) -> None:
        self._sessions: dict[str, LiveSession] = {}

    def start(self, sid: str, session: LiveSession) -> None:
        self._sessions[sid] = session

    def end(self, sid: str) -> None:
        self._sessions.pop(sid, None)

    def refresh(self, sid: str, expires_at: float, kid: str) -> None:
        session = self._sessions[sid]
        session.expires_at, session.kid, session.warned = expires_at, kid, False

    def kids(self) -> set[str]:
        return {s.kid for s in self._sessions.values()}

    def sweep(
        self, now: float, trusted: Iterable[str], on_call: Callable[[LiveSession], bool]
    ) -> list[Action]:
        """What is due at ``now``; ``trusted``: the signing keys that still verify."""
        keys = set(trusted)
        out: list[Action] = []
        for sid, session in self._sessions.items():
            if session.kid not in keys:
                out.append(Expire(sid, "revoked"))
            elif now >= session.expires_at:
                if not on_call(session):  # a call in progress finishes first
                    out.append(Expire(sid, "expired"))
            elif now >= session.expires_at - WARN_S and not session.warned:
                session.warned = True
                out.append(Warn(sid, session.expires_at))
        return out
