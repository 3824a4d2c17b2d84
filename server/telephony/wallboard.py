"""The live wallboard of one tenant (pure: no I/O, no clock; times come in as arguments).

::

    the shell's TenantState, its Roster ──snapshot()──> Snapshot ──┐
                                                                   ├─> Board.update(snapshot, now)
    CallEnded notices, the calls table at start ───────────────────┘     ─> model (JSON)
              └─> ServiceLevel.record(Outcome)

What a supervisor sees:

* **agents** by state (available, ringing, on call, after-call work, on break, logged out),
  each with the time it entered that state (``since``; the browser ticks the time in state):
  the whole roster, an agent who has not signed in since the process started as logged out;
* **queues** with their depth (calls waiting, ringing an agent or not), the start of the
  longest current wait, and their service level;
* **calls in progress** with their parties (the caller's number, the agents on it) and when
  they started and were answered.

**Service level** is the share of queued inbound calls whose wait ended in the last
``window_s`` seconds (one hour by default, a rolling window: no time zone to agree on) that
were answered within the tenant's ``service_level_threshold_s``::

    service level = answered within the threshold / (answered + abandoned)

A wait ends when an agent answers (``at`` = the answer) or when the call ends unanswered
(abandoned, max wait without overflow: ``at`` = the end); the wait runs from the call's first
queueing to its first answer, as in the CDR. Each call counts once, in the queue it was in
when its wait ended. ``percent`` is ``None`` while no wait ended in the window.

The state's own times are used where it keeps them (``idle_since`` of an available agent,
a call's answer); otherwise an agent's ``since`` is when a snapshot first showed the change,
at most one push interval late.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .call import CallState
from .effects import CallEnded, Notice
from .presence import State
from .state import AgentProfile, AgentSession, Engagement, TenantState

DEFAULT_WINDOW_S = 3600.0

# The order agents are listed in, and every state the wallboard names.
AGENT_STATES = ("ringing", "on_call", "available", "after_call_work", "on_break", "logged_out")


@dataclass(frozen=True, slots=True)
class AgentLine:
    agent_id: str
    name: str
    extension: str
    state: str  # one of AGENT_STATES
    reason: str | None
    connected: bool
    queue_ids: tuple[str, ...]
    wrap_up_ends_at: float | None
    known_since: float | None  # when the state says it began, where it keeps that


@dataclass(frozen=True, slots=True)
class CallLine:
    call_id: str
    direction: str
    state: str  # queued | ringing | connected
    from_number: str
    to_number: str
    queue_id: str | None
    agent_ids: tuple[str, ...]  # on the call, then any being rung or consulted
    held: bool
    created_at: float
    queued_at: float | None
    answered_at: float | None
    waiting_since: float | None  # in a queue now (ringing an agent or not): since when


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the wallboard reads of a tenant's state at one moment."""

    agents: tuple[AgentLine, ...]
    queues: tuple[tuple[str, str], ...]  # (id, name)
    calls: tuple[CallLine, ...]
    threshold_s: float


def snapshot(state: TenantState, roster: Mapping[str, AgentProfile] | None = None) -> Snapshot:
    """Read the book's state (call it where nothing else changes it: on the event loop).

    Args:
        state: the tenant's call book state.
        roster: every agent of the tenant (``Roster.cached()``): those without a session are
            logged out, a session whose agent is no longer in it (deleted) is left out.
            None: the sessions only.
    """
    engaged = state.engaged()
    calls = [rt for rt in state.calls.values() if not rt.call.ended]
    agent_calls: dict[str, list[float]] = {}
    for rt in calls:
        for agent_id in rt.participants:
            start = rt.call.answered_at if rt.call.answered_at is not None else rt.call.created_at
            agent_calls.setdefault(agent_id, []).append(start)
    agents = []
    for session in state.agents.values():
        if roster is not None and session.agent_id not in roster:
            continue
        agents.append(_agent_line(session, engaged, agent_calls))
    if roster is not None:
        agents.extend(
            _logged_out_line(profile)
            for agent_id, profile in roster.items()
            if agent_id not in state.agents
        )
    lines = []
    for rt in calls:
        call = rt.call
        others = [a for a in (state.ringing_agent(rt.id),) if a is not None]
        if rt.consult is not None:
            others.append(rt.consult.agent_id)
        on_call = sorted(rt.participants)
        waiting = state.acd.get(rt.id) is not None and call.state is not CallState.CONNECTED
        lines.append(
            CallLine(
                call_id=rt.id,
                direction=call.direction,
                state=call.state.value,
                from_number=call.from_number,
                to_number=call.to_number,
                queue_id=call.queue_id,
                agent_ids=tuple(on_call + [a for a in others if a not in on_call]),
                held=call.held,
                created_at=call.created_at,
                queued_at=call.queued_at,
                answered_at=call.answered_at,
                waiting_since=call.waiting_since if waiting else None,
            )
        )
    return Snapshot(
        agents=tuple(agents),
        queues=tuple((q.id, q.name) for q in state.queues.values()),
        calls=tuple(lines),
        threshold_s=state.settings.service_level_threshold_s,
    )


def _agent_line(
    session: AgentSession,
    engaged: Mapping[str, Engagement],
    agent_calls: Mapping[str, list[float]],
) -> AgentLine:
    presence = session.presence
    status = presence.state.value
    known: float | None = None
    if presence.state is State.AVAILABLE:
        known = presence.idle_since
        if engaged.get(session.agent_id) in (Engagement.RINGING, Engagement.ANSWERING):
            status, known = "ringing", None
    elif presence.state is State.ON_CALL and session.agent_id in agent_calls:
        known = min(agent_calls[session.agent_id])
    return AgentLine(
        agent_id=session.agent_id,
        name=session.name,
        extension=session.extension,
        state=status,
        reason=presence.reason,
        connected=session.sid is not None,
        queue_ids=tuple(sorted(session.queue_ids)),
        wrap_up_ends_at=presence.wrap_up_ends_at,
        known_since=known,
    )


def _logged_out_line(profile: AgentProfile) -> AgentLine:
    """An agent who has not signed in since the process started."""
    return AgentLine(
        agent_id=profile.agent_id,
        name=profile.name,
        extension=profile.extension,
        state=State.LOGGED_OUT.value,
        reason=None,
        connected=False,
        queue_ids=tuple(sorted(profile.queue_ids)),
        wrap_up_ends_at=None,
        known_since=None,
    )


# -- service level ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one queued call's wait ended."""

    call_id: str
    queue_id: str
    at: float  # the answer, or the end of a call never answered
    wait_s: float
    answered: bool


def outcome_of_cdr(cdr: dict[str, Any]) -> Outcome | None:
    """A ``call.ended`` CDR's outcome; None for a call that never waited in a queue."""
    if cdr.get("direction") != "inbound" or not cdr.get("queue_id") or not cdr.get("queued_at"):
        return None
    answered = cdr.get("answered_at")
    ended = answered or cdr.get("ended_at")
    if not isinstance(ended, str):
        return None
    return Outcome(
        call_id=str(cdr["call_id"]),
        queue_id=str(cdr["queue_id"]),
        at=datetime.fromisoformat(ended).timestamp(),
        wait_s=float(cdr.get("wait_seconds") or 0.0),
        answered=answered is not None,
    )


@dataclass(frozen=True, slots=True)
class Figures:
    answered: int = 0
    within: int = 0
    abandoned: int = 0

    @property
    def percent(self) -> float | None:
        total = self.answered + self.abandoned
        return round(100.0 * self.within / total, 1) if total else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "answered": self.answered,
            "answered_within": self.within,
            "abandoned": self.abandoned,
            "percent": self.percent,
        }


class ServiceLevel:
    """The outcomes of the last ``window_s`` seconds, each call once (seed and live overlap)."""

    def __init__(self, *, window_s: float = DEFAULT_WINDOW_S) -> None:
        self.window_s = window_s
        self._outcomes: list[tuple[float, str, Outcome]] = []  # sorted by time
        self._seen: dict[str, float] = {}  # call id -> its outcome's time
        # The last figures and what they were computed from (outcomes change rarely).
        self._cached: tuple[float, tuple[Figures, dict[str, Figures]]] | None = None

    def record(self, outcome: Outcome) -> bool:
        """Returns whether it was new."""
        if outcome.call_id in self._seen:
            return False
        self._seen[outcome.call_id] = outcome.at
        bisect.insort(self._outcomes, (outcome.at, outcome.call_id, outcome))
        self._cached = None
        return True

    def expire(self, now: float) -> None:
        """Forget what left the window."""
        cut = bisect.bisect_left(self._outcomes, (now - self.window_s, ""))
        if cut:
            for _, call_id, _ in self._outcomes[:cut]:
                del self._seen[call_id]
            del self._outcomes[:cut]
            self._cached = None

    def figures(self, now: float, threshold_s: float) -> tuple[Figures, dict[str, Figures]]:
        """The whole tenant's figures, and each queue's."""
        self.expire(now)
        if self._cached is not None and self._cached[0] == threshold_s:
            return self._cached[1]
        counts: dict[str, list[int]] = {}  # queue id -> [answered, within, abandoned]
        for _, _, outcome in self._outcomes:
            c = counts.setdefault(outcome.queue_id, [0, 0, 0])
            if outcome.answered:
                c[0] += 1
                c[1] += outcome.wait_s <= threshold_s
            else:
                c[2] += 1
        per_queue = {q: Figures(*c) for q, c in counts.items()}
        total = Figures(*(sum(c[i] for c in counts.values()) for i in range(3)))
        self._cached = (threshold_s, (total, per_queue))
        return total, per_queue


# -- the board ------------------------------------------------------------------------------


def _sort_key(agent: AgentLine) -> tuple[int, str, str]:
    return (AGENT_STATES.index(agent.state), agent.name.lower(), agent.agent_id)


class Board:
    """One tenant's wallboard: folds snapshots and notices, renders the model."""

    def __init__(self, *, window_s: float = DEFAULT_WINDOW_S) -> None:
        self.service = ServiceLevel(window_s=window_s)
        self._since: dict[str, tuple[tuple[str, str | None], float]] = {}
        self._last_update: float | None = None

    def forget_times(self) -> None:
        """Nobody watches: what the snapshots showed of agents' states goes stale."""
        self._since.clear()
        self._last_update = None

    def seed(self, outcomes: Iterable[Outcome]) -> None:
        """What the calls table says of the window's ended calls (at start)."""
        for outcome in outcomes:
            self.service.record(outcome)

    def notice(self, notice: Notice, now: float) -> None:
        """A lifecycle notice from the shell: an ended call's wait counts."""
        if isinstance(notice, CallEnded):
            outcome = outcome_of_cdr(notice.cdr)
            if outcome is not None:
                self.service.record(outcome)
            self.service.expire(now)

    def update(self, snap: Snapshot, now: float) -> dict[str, Any]:
        """Fold a snapshot taken at ``now`` and return the wallboard model (no ``now`` in it:
        two updates with nothing new are equal)."""
        for call in snap.calls:
            if call.answered_at is not None and call.queued_at is not None and call.queue_id:
                if call.direction == "inbound":
                    self.service.record(
                        Outcome(
                            call.call_id,
                            call.queue_id,
                            call.answered_at,
                            max(0.0, call.answered_at - call.queued_at),
                            True,
                        )
                    )
        agents = sorted(snap.agents, key=_sort_key)
        since = {agent.agent_id: self._since_of(agent, now) for agent in agents}
        self._since = {a.agent_id: ((a.state, a.reason), since[a.agent_id]) for a in agents}
        self._last_update = now
        total, per_queue = self.service.figures(now, snap.threshold_s)
        return {
            "threshold_s": snap.threshold_s,
            "window_s": self.service.window_s,
            "agents": [_agent_view(agent, since[agent.agent_id]) for agent in agents],
            "queues": _queues_view(snap, per_queue),
            "calls": _calls_view(snap),
            "totals": _totals_view(snap, total),
        }

    def _since_of(self, agent: AgentLine, now: float) -> float:
        key = (agent.state, agent.reason)
        known = self._since.get(agent.agent_id)
        hint = agent.known_since
        if known is not None and known[0] == key:
            # The state's own time wins when it is later (the state ended and began again
            # between two snapshots).
            return hint if hint is not None and known[1] < hint <= now else known[1]
        after = self._last_update if known is not None else None  # changed since the last
        if hint is not None and hint <= now and (after is None or hint > after):
            return hint
        return now


def _call_order(call: CallLine) -> tuple[float, str]:
    return (call.created_at, call.call_id)


def _agent_view(agent: AgentLine, since: float) -> dict[str, Any]:
    return {
        "id": agent.agent_id,
        "name": agent.name,
        "extension": agent.extension,
        "state": agent.state,
        "reason": agent.reason,
        "connected": agent.connected,
        "queue_ids": list(agent.queue_ids),
        "since": since,
        "wrap_up_ends_at": agent.wrap_up_ends_at,
    }


def _queues_view(snap: Snapshot, per_queue: dict[str, Figures]) -> list[dict[str, Any]]:
    waits: dict[str, list[float]] = {}
    for c in snap.calls:
        if c.queue_id is not None and c.waiting_since is not None:
            waits.setdefault(c.queue_id, []).append(c.waiting_since)
    signed_in: dict[str, int] = {}
    available: dict[str, int] = {}
    for a in snap.agents:
        if a.state == "logged_out":
            continue
        for queue_id in a.queue_ids:
            signed_in[queue_id] = signed_in.get(queue_id, 0) + 1
            if a.state == "available" and a.connected:
                available[queue_id] = available.get(queue_id, 0) + 1
    out = []
    for queue_id, name in sorted(snap.queues, key=lambda q: (q[1].lower(), q[0])):
        queued = waits.get(queue_id, [])
        out.append(
            {
                "id": queue_id,
                "name": name,
                "waiting": len(queued),
                "longest_wait_since": min(queued) if queued else None,
                "agents_available": available.get(queue_id, 0),
                "agents_signed_in": signed_in.get(queue_id, 0),
                "service_level": per_queue.get(queue_id, Figures()).as_dict(),
            }
        )
    return out


def _calls_view(snap: Snapshot) -> list[dict[str, Any]]:
    names = {a.agent_id: a.name for a in snap.agents}
    queues = dict(snap.queues)
    return [
        {
            "id": call.call_id,
            "direction": call.direction,
            "state": "on_hold" if call.held else call.state,
            "from": call.from_number,
            "to": call.to_number,
            "queue_id": call.queue_id,
            "queue_name": queues.get(call.queue_id) if call.queue_id else None,
            "agents": [{"id": a, "name": names.get(a, a)} for a in call.agent_ids],
            "started_at": call.created_at,
            "answered_at": call.answered_at,
        }
        for call in sorted(snap.calls, key=_call_order)
    ]


def _totals_view(snap: Snapshot, total: Figures) -> dict[str, Any]:
    waits = [c.waiting_since for c in snap.calls if c.waiting_since is not None]
    by_state = dict.fromkeys(AGENT_STATES, 0)
    for a in snap.agents:
        by_state[a.state] += 1
    return {
        "agents": by_state,
        "waiting": len(waits),
        "longest_wait_since": min(waits) if waits else None,
        "calls": len(snap.calls),
        "service_level": total.as_dict(),
    }
