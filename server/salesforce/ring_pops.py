"""The caller's record, popped on the ringing agent's softphone.

A ``CallObserver`` (telephony/ports.py): it sees ``CallRinging`` once the ring has been pushed,
so the phone always rings first and the lookup can never delay it. For an agent who signs in
through a Salesforce org, it looks the caller's number up in that org (the cached, single-
flight ``ScreenPops.lookup``) and pushes ``call.screenpop`` to the agent's softphone::

    CallRinging(inbound | transfer) ──> the agent's org (salesforce_users) ── none: nothing
        ──> lookup(tenant, org, caller, timeout) ──> push call.screenpop {call_id, ...pop}
              found / several / none / invalid_number / failed (slow or down: said so)

The softphone hands ``screen_pop`` to ``sforce.opencti.screenPop`` and shows ``matches`` as a
chooser when there are several. A consultation rings the second agent with the first one's
number, not a customer's: nothing is looked up. One record found is also suggested for the
call's Task (``on_found``), which the agent's own choice overrides.

When nothing was found, the agent creates the caller's record from the new-Contact pop; the
record the agent then opens during the call (``record_opened``) makes SIVO forget the number's
negative cache entry, so the next call from it pops the new record.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from server.failures import Failure
from server.schemas.screenpop import ScreenPopResult
from server.store import salesforce as store
from server.store.db import Database
from server.telephony.effects import CallRinging, Notice

logger = logging.getLogger(__name__)

POPPED_KINDS = frozenset({"inbound", "transfer"})


class AgentPush(Protocol):
    async def tell_agent(
        self, tenant_id: str, agent_id: str, event: str, data: dict[str, Any]
    ) -> bool: ...


class PopLookup(Protocol):
    async def lookup(
        self, tenant_id: str, org_ref: str, raw: str, *, timeout_s: float | None = None
    ) -> ScreenPopResult: ...

    async def invalidate(self, tenant_id: str, org_ref: str, raw: str) -> None: ...


# (tenant id, call id, the pop) when exactly one record was found.
FoundHook = Callable[[str, str, ScreenPopResult], Awaitable[None]]
# Calls whose caller Salesforce did not know, remembered for record_opened (most recent last).
MAX_UNKNOWN_CALLERS = 1000
CLOSE_GRACE_S = 1.0


class RingPops:
    """Args:
    timeout_s: how long the pop may take after the ring before the softphone is told the
        lookup failed (the search goes on and fills the cache for the next ring).
    """

    def __init__(
        self,
        *,
        db: Database,
        pops: PopLookup,
        push: AgentPush,
        timeout_s: float = 4.0,
        on_found: FoundHook | None = None,
    ) -> None:
        self._db = db
        self._pops = pops
        self._push = push
        self._timeout_s = timeout_s
        self._on_found = on_found
        self._tasks: set[asyncio.Task[None]] = set()
        self._unknown: OrderedDict[tuple[str, str], tuple[str, str]] = OrderedDict()

    def observe(self, tenant_id: str, notice: Notice) -> None:
        if isinstance(notice, CallRinging) and notice.kind in POPPED_KINDS:
            task = asyncio.get_running_loop().create_task(self._pop(tenant_id, notice))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pop(self, tenant_id: str, ring: CallRinging) -> None:
        try:
            async with self._db.read() as conn:
                user = await store.user_of_agent(conn, tenant_id, ring.agent_id)
            if user is None:
                return  # not a Salesforce agent: nothing to pop
            try:
                result = await self._pops.lookup(
                    tenant_id, str(user["org_row_id"]), ring.from_number, timeout_s=self._timeout_s
                )
            except Failure as exc:  # the org was disconnected or needs reconnecting
                logger.info("%s: no screen pop for %s (%s)", tenant_id, ring.call_id, exc.code)
                data: dict[str, Any] = {"call_id": ring.call_id, "status": "failed"}
                data.update(screen_pop=None, matches=[], reason=exc.code)
            else:
                data = {"call_id": ring.call_id, **result.model_dump(mode="json")}
                if result.status == "found" and self._on_found is not None:
                    await self._on_found(tenant_id, ring.call_id, result)
                if result.status == "none":
                    self._remember_unknown(
                        (tenant_id, ring.call_id), (str(user["org_row_id"]), ring.from_number)
                    )
            await self._push.tell_agent(tenant_id, ring.agent_id, "call.screenpop", data)
        except Exception:
            logger.exception("%s x screen pop for %s failed", tenant_id, ring.call_id)

    def _remember_unknown(self, key: tuple[str, str], where: tuple[str, str]) -> None:
        self._unknown[key] = where
        self._unknown.move_to_end(key)
        while len(self._unknown) > MAX_UNKNOWN_CALLERS:
            self._unknown.popitem(last=False)

    async def record_opened(self, tenant_id: str, call_id: str) -> None:
        """The agent opened a record during a call whose caller was not found: it is most
        likely the one just created from the pop, so the number is looked up afresh."""
        where = self._unknown.pop((tenant_id, call_id), None)
        if where is not None:
            await self._pops.invalidate(tenant_id, *where)

    async def settled(self) -> None:
        """Wait for the pops under way (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self) -> None:
        """At shutdown: pops still reading the database get a moment to finish (a read cut
        short by a cancel can lose its connection); what still waits for Salesforce goes."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=CLOSE_GRACE_S)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
