"""The ACD policy (pure: no I/O; time comes in as arguments).

* Calls wait in their queue in arrival order; the oldest waiting call is served first.
* The longest-idle agent that is Available, connected, a member of the queue and not already
  ringing rings (ties: the smaller agent id).
* A ring not answered within the queue's ``ring_timeout_s`` (or declined) goes to the next
  agent; that agent is not rung again for this call until every other candidate has been.
* A call waiting longer than the queue's ``max_wait_s`` overflows: into another queue, or it
  ends with the queue's cause.

The service calls :meth:`Acd.assignments` after every change and :meth:`Acd.due` when the
timer for :meth:`Acd.next_deadline` fires.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from operator import attrgetter


@dataclass(frozen=True, slots=True)
class QueuePolicy:
    id: str
    name: str
    ring_timeout_s: float
    max_wait_s: float | None
    overflow_queue_id: str | None
    overflow_cause: str | None
    wrap_up_s: float


@dataclass(frozen=True, slots=True)
class AgentCandidate:
    """What the ACD needs to know of an agent that could ring now."""

    agent_id: str
    queue_ids: frozenset[str]
    idle_since: float


@dataclass
class WaitingCall:
    call_id: str
    policy: QueuePolicy
    entered_at: float
    seq: int
    tried: set[str] = field(default_factory=set)
    ringing: str | None = None
    ring_deadline: float | None = None
    suspended_deadline: float | None = None  # the ring deadline while its answer is set up
    only_agent: str | None = None  # a blind transfer to one agent rings only that agent

    @property
    def wait_deadline(self) -> float | None:
        if self.policy.max_wait_s is None:
            return None
        return self.entered_at + self.policy.max_wait_s


@dataclass(frozen=True, slots=True)
class RingTimeout:
    call_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class MaxWait:
    call_id: str
    policy: QueuePolicy


_LONGEST_IDLE_FIRST = attrgetter("idle_since", "agent_id")


def _eligible(waiting: WaitingCall, c: AgentCandidate) -> bool:
    if waiting.only_agent is not None:
        return c.agent_id == waiting.only_agent
    return waiting.policy.id in c.queue_ids


class Acd:
    """The waiting calls of one tenant."""

    def __init__(self) -> None:
        self._waiting: dict[str, WaitingCall] = {}
        self._seq = 0

    def enqueue(self, call_id: str, policy: QueuePolicy, now: float) -> WaitingCall:
        self._seq += 1
        waiting = WaitingCall(call_id, policy, now, self._seq)
        self._waiting[call_id] = waiting
        return waiting

    def ring_only(self, call_id: str, agent_id: str, policy: QueuePolicy, now: float) -> None:
        """A call that may ring one agent only (blind transfer to an agent)."""
        self.enqueue(call_id, policy, now).only_agent = agent_id

    def get(self, call_id: str) -> WaitingCall | None:
        return self._waiting.get(call_id)

    def remove(self, call_id: str) -> WaitingCall | None:
        return self._waiting.pop(call_id, None)

    def position(self, call_id: str) -> int | None:
        """1-based place among the calls waiting in the same queue (1 = served next)."""
        waiting = self._waiting.get(call_id)
        if waiting is None:
            return None
        return 1 + sum(
            1
            for w in self._waiting.values()
            if w.policy.id == waiting.policy.id and w.seq < waiting.seq
        )

    def entered_times(self) -> list[float]:
        """When each waiting call entered its queue (for the longest-wait figure)."""
        return [w.entered_at for w in self._waiting.values()]

    def has_unassigned(self) -> bool:
        """Whether some waiting call rings nobody (only then can an assignment change)."""
        return any(w.ringing is None for w in self._waiting.values())

    def ringing_agents(self) -> set[str]:
        return {w.ringing for w in self._waiting.values() if w.ringing is not None}

    def assignments(self, candidates: Iterable[AgentCandidate]) -> list[tuple[WaitingCall, str]]:
        """Which waiting call should ring which agent now (each agent at most once)."""
        return self.assign_in_order(sorted(candidates, key=_LONGEST_IDLE_FIRST))

    def assign_in_order(self, ordered: Iterable[AgentCandidate]) -> list[tuple[WaitingCall, str]]:
        """:meth:`assignments` for candidates already ordered longest-idle first.

        The candidates are drawn lazily, only as far as the waiting calls need: with a
        thousand agents free and one call waiting, the first eligible agent ends the scan.
        """
        busy = self.ringing_agents()
        source = iter(ordered)
        drawn: list[AgentCandidate] = []
        taken: set[str] = set()

        def free() -> Iterator[AgentCandidate]:
            i = 0
            while True:
                if i == len(drawn):
                    nxt = next(source, None)
                    if nxt is None:
                        return
                    drawn.append(nxt)
                c = drawn[i]
                i += 1
                if c.agent_id not in busy and c.agent_id not in taken:
                    yield c

        out: list[tuple[WaitingCall, str]] = []
        unserved: set[str] = set()  # queues with no eligible agent at all: skip their calls
        for waiting in sorted(self._waiting.values(), key=lambda w: w.seq):
            if waiting.ringing is not None:
                continue
            if waiting.only_agent is None and waiting.policy.id in unserved:
                continue
            first: AgentCandidate | None = None
            chosen: AgentCandidate | None = None
            for c in free():
                if not _eligible(waiting, c):
                    continue
                first = first or c
                if c.agent_id not in waiting.tried:
                    chosen = c
                    break
            if chosen is None and first is not None and waiting.only_agent is None:
                waiting.tried.clear()  # everyone had a turn: start a new round
                chosen = first
            if first is None and waiting.only_agent is None:
                unserved.add(waiting.policy.id)
            if chosen is not None:
                taken.add(chosen.agent_id)
                out.append((waiting, chosen.agent_id))
        return out

    def ring_started(self, call_id: str, agent_id: str, now: float) -> None:
        waiting = self._waiting[call_id]
        waiting.ringing = agent_id
        waiting.ring_deadline = now + waiting.policy.ring_timeout_s

    def ring_ended(self, call_id: str) -> str | None:
        """The ring stopped unanswered (timeout, decline, agent gone); returns the agent."""
        waiting = self._waiting.get(call_id)
        if waiting is None or waiting.ringing is None:
            return None
        agent_id = waiting.ringing
        waiting.tried.add(agent_id)
        waiting.ringing = waiting.ring_deadline = None
        return agent_id

    def due(self, now: float) -> list[RingTimeout | MaxWait]:
        """Timers that have expired at ``now``; max wait wins over a ring timeout."""
        out: list[RingTimeout | MaxWait] = []
        for waiting in sorted(self._waiting.values(), key=lambda w: w.seq):
            wait_deadline = waiting.wait_deadline
            if wait_deadline is not None and now >= wait_deadline:
                out.append(MaxWait(waiting.call_id, waiting.policy))
            elif (
                waiting.ringing is not None
                and waiting.ring_deadline is not None
                and now >= waiting.ring_deadline
            ):
                out.append(RingTimeout(waiting.call_id, waiting.ringing))
        return out

    def next_deadline(self) -> float | None:
        deadlines = [
            d
            for w in self._waiting.values()
            for d in (w.wait_deadline, w.ring_deadline)
            if d is not None
        ]
        return min(deadlines, default=None)
