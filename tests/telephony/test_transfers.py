"""Blind and attended transfers and the 3-way conference, through signaling, with real audio."""

from __future__ import annotations

from tests.media.audio import band_ratio, rms
from tests.media.peers import hears

from .conftest import Center, answer, dial


async def _call_with(center: Center):  # type: ignore[no-untyped-def]
    a, a_id = await center.agent("ann")
    b, b_id = await center.agent("bob", queues=[])
    caller = await center.web_phone()
    call_id, caller_peer = await dial(center, caller, 440.0)
    await a.wait_for("call.ringing")
    a_peer = await answer(a, call_id, 1000.0)
    await caller_peer.wait_connected()
    return a, a_id, b, b_id, caller, call_id, caller_peer, a_peer


async def test_blind_transfer_to_agent_moves_audio(center: Center) -> None:
    """A transfers; A's part ends; B rings, answers, and talks with the caller."""
    a, a_id, b, b_id, caller, call_id, caller_peer, a_peer = await _call_with(center)
    await a.ok("call.transfer", {"call_id": call_id, "to_type": "agent", "to_id": b_id})
    assert (await a.wait_for("call.ended"))["cause"] == "transferred"
    ring = await b.wait_for("call.ringing")
    assert ring["kind"] == "transfer"
    await hears(caller_peer, 440.0)  # hold tone while B rings
    await center.advance(3.0)
    b_peer = await answer(b, call_id, 1500.0)
    await hears(caller_peer, 1500.0)
    await hears(b_peer, 440.0)
    await b.ok("call.hangup", {"call_id": call_id})
    await caller.wait_for("call.ended")
    types = [t for t, _ in await center.events() if t != "call.recorded"]
    assert types[2:] == [
        "call.created",
        "queue.entered",
        "call.ringing",
        "call.answered",
        "agent.status_changed",
        "call.transferred",
        "agent.status_changed",  # A: on_call -> after_call_work
        "call.ringing",  # B, the transfer's target
        "call.answered",
        "agent.status_changed",  # B answers
        "call.ended",
        "agent.status_changed",
    ]
    cdr = dict(await center.events("call.ended"))["call.ended"]
    assert cdr["agent_id"] == b_id
    assert [(t["type"], t["from_agent_id"], t["to_id"]) for t in cdr["transfers"]] == [
        ("blind", a_id, b_id)
    ]


async def test_blind_transfer_to_queue_rings_queue_member(center: Center) -> None:
    a, a_id, b, b_id, caller, call_id, caller_peer, a_peer = await _call_with(center)
    other = await center.api("POST", "/api/v1/queues", {"name": "Billing"}, status=201)
    await center.api("PATCH", f"/api/v1/agents/{b_id}", {"queue_ids": [other["id"]]})
    await a.ok("call.transfer", {"call_id": call_id, "to_type": "queue", "to_id": other["id"]})
    ring = await b.wait_for("call.ringing")
    assert ring["queue_id"] == other["id"]
    await answer(b, call_id, 1500.0)
    await hears(caller_peer, 1500.0)
    await caller.ok("call.hangup", {"call_id": call_id})
    await b.wait_for("call.ended")
    entered = [d["queue_id"] for _, d in await center.events("queue.entered")]
    assert entered == [center.queue_id, other["id"]]


async def test_attended_transfer_consult_then_complete(center: Center) -> None:
    """Consult: caller held while A and B talk; complete: the caller is with B, A is free."""
    a, a_id, b, b_id, caller, call_id, caller_peer, a_peer = await _call_with(center)
    await a.ok("call.consult", {"call_id": call_id, "agent_id": b_id})
    assert (await b.wait_for("call.ringing"))["kind"] == "consult"
    b_peer = await answer(b, call_id, 1500.0)
    await hears(a_peer, 1500.0)
    await hears(b_peer, 1000.0)
    await hears(caller_peer, 440.0)  # the hold tone
    assert band_ratio(caller_peer.heard(0.5), 1000.0) < 0.05
    await center.advance(5.0)
    await a.ok("call.consult_complete", {"call_id": call_id})
    assert (await a.wait_for("call.ended"))["cause"] == "transferred"
    await hears(caller_peer, 1500.0)
    await hears(b_peer, 440.0)
    await caller.ok("call.hangup", {"call_id": call_id})
    await b.wait_for("call.ended")
    cdr = dict(await center.events("call.ended"))["call.ended"]
    assert cdr["agent_id"] == b_id and cdr["hold_seconds"] == 5.0
    assert [t["type"] for t in cdr["transfers"]] == ["attended"]


async def test_attended_transfer_cancel_returns_to_first_agent(center: Center) -> None:
    a, a_id, b, b_id, caller, call_id, caller_peer, a_peer = await _call_with(center)
    await a.ok("call.consult", {"call_id": call_id, "agent_id": b_id})
    await b.wait_for("call.ringing")
    await answer(b, call_id, 1500.0)
    await a.ok("call.consult_cancel", {"call_id": call_id})
    await b.wait_for("call.ended")
    await hears(caller_peer, 1000.0)
    await hears(a_peer, 440.0)
    await a.ok("call.hangup", {"call_id": call_id})
    await caller.wait_for("call.ended")
    cdr = dict(await center.events("call.ended"))["call.ended"]
    assert cdr["agent_id"] == a_id and cdr["transfers"] == []


async def test_three_way_conference_mixes_all_parties(center: Center) -> None:
    """Each party hears the other two; when A leaves, caller and B stay bridged."""
    a, a_id, b, b_id, caller, call_id, caller_peer, a_peer = await _call_with(center)
    await a.ok("call.consult", {"call_id": call_id, "agent_id": b_id})
    await b.wait_for("call.ringing")
    b_peer = await answer(b, call_id, 1500.0)
    await a.ok("call.conference", {"call_id": call_id})
    # Each party hears both others (on a loaded 2-core machine the mix may take a moment).
    await hears(caller_peer, 1000.0, 1500.0, above=0.2, within_s=10.0)
    await hears(a_peer, 440.0, 1500.0, above=0.2, within_s=10.0)
    await hears(b_peer, 440.0, 1000.0, above=0.2, within_s=10.0)

    await a.ok("call.hangup", {"call_id": call_id})
    await a.wait_for("call.ended")
    await hears(caller_peer, 1500.0)
    assert rms(a_peer.heard(0.3)) < 50 or a_peer.closed
    await caller.ok("call.hangup", {"call_id": call_id})
    await b.wait_for("call.ended")
    cdr = dict(await center.events("call.ended"))["call.ended"]
    assert [t["type"] for t in cdr["transfers"]] == ["3way"] and cdr["agent_id"] == b_id
