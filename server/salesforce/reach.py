"""Whether an emitted batch of events can concern Salesforce at all, in one statement.

Both Salesforce sinks (Tasks, SCRT2) look at every call event. For a tenant with no
connected org, and a call no one annotated, each of their lookups finds nothing: no org to
create a VoiceCall in, no imported user to own a Task, no call-log row to mark skipped.
Measured on the webhook flood, those four lookups were 70% of an emit's cost for such a
tenant. One statement answers for the whole batch and for both sinks (memoized on the
transaction), read in the emitting transaction, so it is exactly as current as the lookups
it saves: an org connected by another process is seen from its commit on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from server.events.outbox import EventRecord
from server.store import salesforce as store
from server.store.db import Tx

CALL_EVENT_PREFIX = "call."


@dataclass(frozen=True, slots=True)
class Reach:
    tenants: frozenset[str]  # tenants with at least one connected org
    annotated: frozenset[tuple[str, str]]  # (tenant id, call id) with a call-log row

    def has_org(self, tenant_id: str) -> bool:
        return tenant_id in self.tenants

    def may_log(self, tenant_id: str, call_id: str) -> bool:
        """False: a Task sink's work on this call would change nothing."""
        return tenant_id in self.tenants or (tenant_id, call_id) in self.annotated


def call_id_of(event: EventRecord) -> str | None:
    if not event.type.startswith(CALL_EVENT_PREFIX):
        return None
    call_id = event.data.get("call_id")
    return str(call_id) if call_id is not None else None


class SalesforceReach:
    """The sinks' shared gate (one per app)."""

    async def of_txn(self, tx: Tx, events: Sequence[EventRecord]) -> Reach:
        key = (self, id(events))
        found = tx.memo.get(key)
        if isinstance(found, tuple) and found[0] is events:
            reach: Reach = found[1]
            return reach
        tenant_ids = sorted({e.tenant_id for e in events})
        call_ids = sorted({c for e in events if (c := call_id_of(e)) is not None})
        tenants, annotated = await store.reach_of(tx.conn, tenant_ids, call_ids or [""])
        reach = Reach(frozenset(tenants), frozenset(annotated))
        tx.memo[key] = (events, reach)  # the list itself is kept: its id cannot be reused
        return reach
