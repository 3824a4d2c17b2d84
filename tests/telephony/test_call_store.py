"""The shell's store: a batch of decisions is one transaction, a call born and changed in
one batch is inserted in its latest state, and events keep the order they were emitted in."""

from __future__ import annotations

import json

from sqlalchemy import select

from server.api.context import SERVICES
from server.app import OUTBOX
from server.store.calls import SqlCallStore
from server.store.tables import calls, events
from server.telephony import views
from server.telephony.call import Call
from server.telephony.effects import Emit, InsertCall, SaveCall
from tests.conftest import AppFactory
from tests.support.api import new_tenant

T0 = 1_800_000_000.0


async def test_one_batch_one_transaction_latest_state_events_in_order(
    make_client: AppFactory,
) -> None:
    client = await make_client()
    tenant = await new_tenant(client)
    app = client.app
    store = SqlCallStore(db=app[SERVICES].db, outbox=app[OUTBOX])
    call = Call.inbound(
        id="call_1", tenant_id=tenant.id, from_number="a", to_number="b", queue_id="q_1", now=T0
    )
    born = InsertCall({"id": call.id, "tenant_id": tenant.id, **views.call_columns(call)})
    call.end("abandoned", "caller", T0 + 4)
    ended = SaveCall(tenant.id, call.id, views.call_columns(call))
    await store.commit(
        [
            born,
            Emit(tenant.id, "call.created", views.created_event(call)),
            ended,
            Emit(tenant.id, "call.ended", call.cdr()),
        ]
    )
    async with app[SERVICES].db.read() as conn:
        row = (await conn.execute(select(calls).where(calls.c.id == "call_1"))).mappings().one()
        emitted = (
            await conn.execute(
                select(events.c.type, events.c.data)
                .where(events.c.tenant_id == tenant.id)
                .order_by(events.c.seq)
            )
        ).all()
    assert row["state"] == "ended" and row["hangup_cause"] == "abandoned" and row["wait_s"] == 4
    assert [t for t, _ in emitted] == ["call.created", "call.ended"]
    assert json.loads(emitted[1][1])["call_id"] == "call_1"
