"""A tenant's whole roster: every agent of the ``agents`` table, signed in or not.

The book knows only the agents who signed in since the process started (their sessions); a
supervisor's wallboard and a softphone's transfer directory list every agent of the tenant,
the others as logged out. The roster is read from the store once, the first time it is
asked for, and kept up to date by the admin's notices (an agent created, edited or deleted
through the API reaches ``TenantShell.agent_changed``, which hands the agent's fresh row, or
``None``, to :meth:`Roster.changed`)::

    first wallboard viewer / directory.list ─> Roster.agents() ─> store.agent_profiles (once)
    POST/PATCH/DELETE /api/v1/agents ─> TelephonyAdmin ─> Switchboard.agent_changed
                                        ─> TenantShell.agent_changed ─> Roster.changed

After that, reading it costs no query: the wallboard folds it on every tick from
:meth:`Roster.cached`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence

from .state import AgentProfile

logger = logging.getLogger(__name__)

Loader = Callable[[], Awaitable[Sequence[AgentProfile]]]


class Roster:
    """One tenant's agents by id, read once and then kept by the admin's notices."""

    def __init__(self, *, tenant_id: str, load: Loader) -> None:
        self._tenant_id = tenant_id
        self._load = load
        self._agents: dict[str, AgentProfile] | None = None
        self._loading: asyncio.Future[None] | None = None

    def cached(self) -> Mapping[str, AgentProfile] | None:
        """The roster if it was read already (no I/O), else None."""
        return self._agents

    async def agents(self) -> Mapping[str, AgentProfile]:
        """The roster; the first call (and a retry after a failed read) reads the store."""
        while self._agents is None:
            if self._loading is None:
                self._loading = asyncio.get_running_loop().create_future()
                loading = self._loading
                try:
                    found = await self._load()
                except BaseException as exc:
                    self._loading = None
                    loading.set_exception(exc)
                    loading.exception()  # retrieved: the next caller reads again
                    raise
                self._agents = {p.agent_id: p for p in found}
                self._loading = None
                loading.set_result(None)
                logger.info("roster %s: %d agents read", self._tenant_id, len(found))
            else:
                await asyncio.shield(self._loading)
        return self._agents

    async def changed(self, agent_id: str, profile: AgentProfile | None) -> None:
        """An admin created or edited the agent (``profile``: its row, read after the
        change), or deleted it (``None``). A roster not read yet is left alone: its first
        read sees the change; one being read takes the change once the read is done."""
        if self._loading is not None:
            try:
                await asyncio.shield(self._loading)
            except Exception:
                return  # the read failed: the next one sees the change
        if self._agents is None:
            return
        if profile is None:
            self._agents.pop(agent_id, None)
        else:
            self._agents[agent_id] = profile
