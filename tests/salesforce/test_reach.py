"""The Salesforce sinks' gate: one lookup for an emit that cannot concern Salesforce."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import event as sa_event

from server.api.context import SERVICES
from server.app import OUTBOX
from server.events.catalog import CATALOG
from server.store import call_logs as log_store
from tests.conftest import AppFactory

_SALESFORCE_TABLES = re.compile(
    r"\b(salesforce_orgs|salesforce_users|call_logs|call_log_settings|scrt2_calls)\b"
)


async def _emit_ended(app: Any, tenant: str, call_id: str, statements: list[str]) -> None:
    db = app[SERVICES].db

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    sa_event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with db.transaction() as tx:
            data = {**CATALOG["call.ended"]["example"], "call_id": call_id}
            await app[OUTBOX].emit_txn(tx, tenant, "call.ended", data)
    finally:
        sa_event.remove(db.engine.sync_engine, "before_cursor_execute", seen)


async def test_an_emit_for_a_tenant_without_org_asks_salesforce_tables_once(
    make_client: AppFactory,
) -> None:
    client = await make_client()
    app = client.server.app
    tenant, _ = await app[SERVICES].identity.create_tenant("no org")
    statements: list[str] = []
    await _emit_ended(app, tenant, "call_plain", statements)
    touching = [s for s in statements if _SALESFORCE_TABLES.search(s)]
    assert len(touching) == 1, touching  # the gate's one statement, for both sinks
    assert "UNION ALL" in touching[0]


async def test_an_annotated_call_of_a_tenant_without_org_is_still_marked_skipped(
    make_client: AppFactory,
) -> None:
    client = await make_client()
    app = client.server.app
    db = app[SERVICES].db
    tenant, _ = await app[SERVICES].identity.create_tenant("notes, no org")
    async with db.transaction() as tx:  # an agent's note on the call made its log row
        assert await log_store.lock_log_txn(tx, tenant, "call_noted", 1.0) is not None
    await _emit_ended(app, tenant, "call_noted", [])
    async with db.read() as conn:
        row = await log_store.get_log(conn, tenant, "call_noted")
    assert row is not None
    assert row["state"] == "skipped"
    assert row["reason"]


async def test_an_other_tenants_org_does_not_open_the_gate(make_client: AppFactory) -> None:
    client = await make_client()
    app = client.server.app
    db = app[SERVICES].db
    mine, _ = await app[SERVICES].identity.create_tenant("mine")
    other, _ = await app[SERVICES].identity.create_tenant("other")
    async with db.transaction() as tx:  # the other tenant annotated a call of the same id
        await log_store.lock_log_txn(tx, other, "call_same", 1.0)
    statements: list[str] = []
    await _emit_ended(app, mine, "call_same", statements)
    touching = [s for s in statements if _SALESFORCE_TABLES.search(s)]
    assert len(touching) == 1, touching
    async with db.read() as conn:
        row = await log_store.get_log(conn, other, "call_same")
    assert row is not None and row["state"] == "open"
