"""Ring and hold events through the real app: a queued call rings two agents (the first
lets it ring out), the second answers, holds and resumes; the events are in the outbox in
the order of the state changes, at the times they happened, and reach a real HTTPS webhook
receiver subscribed to them, the same envelopes."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from sqlalchemy import select

from server.store.tables import events as events_table
from server.times import rfc3339
from tests.support.receiver import Receiver

from .conftest import Center, answer, dial

WANTED = ["call.ringing", "call.ring_missed", "call.held", "call.resumed", "call.ended"]


async def test_ring_out_then_answer_hold_and_resume_reach_a_webhook(
    center: Center, receivers: Callable[..., Awaitable[Receiver]]
) -> None:
    receiver = await receivers()
    endpoint = {"url": receiver.url, "events": WANTED}
    await center.api("POST", "/api/v1/webhooks/endpoints", endpoint, status=201)
    first, first_id = await center.agent("first")
    await center.advance(1.0)
    second, second_id = await center.agent("second")
    caller = await center.web_phone()
    start = center.clock.now()
    call_id, caller_peer = await dial(center, caller, 440.0)
    await first.wait_for("call.ringing")
    await center.advance(15.0)  # the queue's ring timeout: Ann's ring is missed
    await second.wait_for("call.ringing")
    await center.advance(2.0)
    await answer(second, call_id, 1000.0)
    await caller_peer.wait_connected()
    await second.ok("call.hold", {"call_id": call_id, "on": True})
    await center.advance(72.0)
    await second.ok("call.hold", {"call_id": call_id, "on": False})
    await center.advance(5.0)
    await caller.ok("call.hangup", {"call_id": call_id})
    await second.wait_for("call.ended")

    timeline = [(t, d) for t, d in await center.events() if d.get("call_id") == call_id]
    assert [t for t, _ in timeline if t != "call.recorded"] == [
        "call.created",
        "queue.entered",
        "call.ringing",
        "call.ring_missed",
        "call.ringing",
        "call.answered",
        "call.held",
        "call.resumed",
        "call.ended",
    ]
    missed = dict(timeline)["call.ring_missed"]
    assert missed["agent_id"] == first_id and missed["reason"] == "timeout"
    assert missed["ring_seconds"] == 15.0 and missed["attempt"] == 1
    assert missed["missed_at"] == rfc3339(start + 15.0)
    rings = [d for t, d in timeline if t == "call.ringing"]
    assert [(r["agent_id"], r["attempt"]) for r in rings] == [(first_id, 1), (second_id, 2)]
    assert rings[1]["rung_at"] == missed["missed_at"]  # the next ring, in the same decision
    held = dict(timeline)["call.held"]
    resumed = dict(timeline)["call.resumed"]
    assert held["agent_id"] == second_id and held["held_at"] == rfc3339(start + 17.0)
    assert resumed["hold_seconds"] == 72.0 and resumed["total_hold_seconds"] == 72.0
    cdr = dict(timeline)["call.ended"]
    assert cdr["hold_seconds"] == 72.0 and cdr["holds"] == 1

    # The outbox rows carry the time of the decision that changed the state.
    async with center.services.db.read() as conn:
        rows = (
            await conn.execute(
                select(events_table.c.id, events_table.c.type, events_table.c.created_at)
                .where(events_table.c.tenant_id == center.tenant.id)
                .where(events_table.c.type.in_(WANTED))
                .order_by(events_table.c.seq)
            )
        ).all()
    assert [(r.type, r.created_at - start) for r in rows] == [
        ("call.ringing", 0.0),
        ("call.ring_missed", 15.0),
        ("call.ringing", 15.0),
        ("call.held", 17.0),
        ("call.resumed", 89.0),
        ("call.ended", 94.0),
    ]

    # The receiver gets the same events, one delivery each.
    received = await receiver.wait_for(len(rows))
    bodies = [json.loads(r.body) for r in received]
    assert sorted(b["id"] for b in bodies) == sorted(r.id for r in rows)
    by_type = {b["type"]: b["data"] for b in bodies}
    assert by_type["call.ring_missed"] == missed
    assert by_type["call.resumed"] == resumed
