"""The agent presence state machine (pure: no I/O; time comes in as arguments).

::

    LOGGED_OUT --available--> AVAILABLE --call--> ON_CALL --end--> AFTER_CALL_WORK
         ^                     |    ^                                    | timer, wrapup.end
         |                   pause  available                           v
         +---- log out ----  ON_BREAK (reason)                      AVAILABLE
    (a queue with 0 wrap-up seconds goes from ON_CALL straight back to AVAILABLE)

An agent may log out or pause from any state but ON_CALL. Outbound dialing is allowed from
AVAILABLE, ON_BREAK and AFTER_CALL_WORK. ``idle_since`` orders agents for the ACD: it is set
whenever the agent becomes AVAILABLE, and pushed back when a call rang the agent unanswered.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass

from .errors import InvalidTransition

logger = logging.getLogger(__name__)


class State(enum.Enum):
    AVAILABLE = "available"
    ON_CALL = "on_call"
    ON_BREAK = "on_break"
    AFTER_CALL_WORK = "after_call_work"
    LOGGED_OUT = "logged_out"


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One transition, to be reported as ``agent.status_changed`` (and ``agent.paused``)."""

    agent_id: str
    previous: State
    status: State
    reason: str | None
    at: float
    wrap_up_ends_at: float | None = None

    @property
    def paused(self) -> bool:
        return self.status is State.ON_BREAK


class AgentPresence:
    """One agent's presence; every method returns the change it made, or ``None``."""

    def __init__(self, agent_id: str, *, now: float) -> None:
        self.agent_id = agent_id
        self.state = State.LOGGED_OUT
        self.reason: str | None = None
        self.idle_since = now
        self.wrap_up_ends_at: float | None = None
        # Told after every change of state or idle_since (the book keeps its ACD order by it).
        self.listener: Callable[[], None] | None = None

    def set_available(self, now: float) -> StatusChange | None:
        if self.state is State.AVAILABLE:
            return None
        if self.state is State.ON_CALL:
            raise InvalidTransition("an agent on a call cannot become available")
        return self._set_state(State.AVAILABLE, None, now)

    def pause(self, reason: str, now: float) -> StatusChange | None:
        if self.state is State.ON_CALL:
            raise InvalidTransition("an agent on a call cannot pause; pause after the call")
        if self.state is State.ON_BREAK and self.reason == reason:
            return None
        return self._set_state(State.ON_BREAK, reason, now)

    def log_out(self, now: float, *, force: bool = False) -> StatusChange | None:
        if self.state is State.LOGGED_OUT:
            return None
        if self.state is State.ON_CALL and not force:
            raise InvalidTransition("an agent on a call cannot log out; hang up first")
        return self._set_state(State.LOGGED_OUT, None, now)

    def start_call(self, now: float) -> StatusChange | None:
        if self.state is State.ON_CALL:
            return None
        if self.state is State.LOGGED_OUT:
            raise InvalidTransition("a logged-out agent cannot take calls")
        return self._set_state(State.ON_CALL, None, now)

    def end_call(self, now: float, wrap_up_s: float) -> StatusChange | None:
        """The agent's last call ended: after-call work for ``wrap_up_s``, or available."""
        if self.state is not State.ON_CALL:
            return None
        if wrap_up_s > 0:
            return self._set_state(State.AFTER_CALL_WORK, None, now, now + wrap_up_s)
        return self._set_state(State.AVAILABLE, None, now)

    def wrap_up_due(self, now: float) -> StatusChange | None:
        """The wrap-up timer fired: available if it really is over."""
        if (
            self.state is State.AFTER_CALL_WORK
            and self.wrap_up_ends_at is not None
            and now >= self.wrap_up_ends_at
        ):
            return self._set_state(State.AVAILABLE, None, now)
        return None

    def end_wrap_up(self, now: float) -> StatusChange | None:
        if self.state is not State.AFTER_CALL_WORK:
            raise InvalidTransition("the agent is not in after-call work")
        return self._set_state(State.AVAILABLE, None, now)

    def missed_ring(self, now: float) -> None:
        """A call rang this agent unanswered: to the back of the longest-idle line."""
        self.idle_since = now
        if self.listener is not None:
            self.listener()

    def _set_state(
        self, state: State, reason: str | None, now: float, wrap_up_ends_at: float | None = None
    ) -> StatusChange:
        change = StatusChange(
            agent_id=self.agent_id,
            previous=self.state,
            status=state,
            reason=reason,
            at=now,
            wrap_up_ends_at=wrap_up_ends_at,
        )
        logger.info(
            "agent %s: %s -> %s%s",
            self.agent_id,
            self.state.value,
            state.value,
            f" ({reason})" if reason else "",
        )
        self.state, self.reason, self.wrap_up_ends_at = state, reason, wrap_up_ends_at
        if state is State.AVAILABLE:
            self.idle_since = now
        if self.listener is not None:
            self.listener()
        return change
