"""ACD through the real app: abandon, ring timeout to the next agent, max wait and overflow,
pauses with reasons, and longest-idle first."""

from __future__ import annotations

from .conftest import Center, answer, dial


async def test_caller_hangs_up_while_queued_is_abandoned(center: Center) -> None:
    caller = await center.web_phone()
    call_id, _peer = await dial(center, caller, 440.0)
    update = await caller.wait_for("call.updated")
    assert update == {"call_id": call_id, "state": "queued", "held": False, "position": 1}
    await center.advance(12.5)
    await caller.ok("call.hangup", {"call_id": call_id})
    await caller.wait_for("call.ended")
    timeline = await center.events()
    assert [t for t, _ in timeline] == [
        "call.created",
        "queue.entered",
        "queue.abandoned",
        "call.ended",
    ]
    abandoned, cdr = timeline[2][1], timeline[3][1]
    assert abandoned["waited_seconds"] == 12.5 and abandoned["queue_id"] == center.queue_id
    assert cdr["hangup_cause"] == "abandoned" and cdr["hangup_side"] == "caller"
    assert cdr["wait_seconds"] == 12.5 and cdr["talk_seconds"] == 0 and cdr["answered_at"] is None


async def test_ring_timeout_rings_the_next_longest_idle_agent(center: Center) -> None:
    """The longest-idle agent rings first; after the queue's 15 s ring timeout, the next."""
    first, first_id = await center.agent("first")
    await center.advance(1.0)
    second, second_id = await center.agent("second")
    caller = await center.web_phone()
    call_id, caller_peer = await dial(center, caller, 440.0)
    await first.wait_for("call.ringing")
    assert second.events("call.ringing") == []
    await center.advance(14.9)
    assert second.events("call.ringing") == []
    await center.advance(0.1)
    assert (await first.wait_for("call.ring_cancelled"))["reason"] == "timeout"
    await second.wait_for("call.ringing")
    await answer(second, call_id, 1000.0)
    await caller_peer.wait_connected()
    answered = dict(await center.events("call.answered"))["call.answered"]
    assert answered["agent_id"] == second_id and answered["wait_seconds"] == 15.0
    await caller.ok("call.hangup", {"call_id": call_id})
    await second.wait_for("call.ended")


async def test_decline_rings_next_agent(center: Center) -> None:
    first, _ = await center.agent("first")
    await center.advance(1.0)
    second, _ = await center.agent("second")
    caller = await center.web_phone()
    call_id, _peer = await dial(center, caller, None)
    await first.wait_for("call.ringing")
    await first.ok("call.decline", {"call_id": call_id})
    await second.wait_for("call.ringing")
    await caller.ok("call.hangup", {"call_id": call_id})
    assert (await second.wait_for("call.ring_cancelled"))["reason"] == "caller_hangup"


async def test_max_wait_overflows_to_another_queue_then_ends_with_cause(center: Center) -> None:
    """Support (max 30 s) overflows into Backup (max 20 s), which ends the call 'closed'."""
    backup = await center.api(
        "POST",
        "/api/v1/queues",
        {"name": "Backup", "max_wait_s": 20, "overflow": {"action": "end", "cause": "closed"}},
        status=201,
    )
    await center.api(
        "PATCH",
        f"/api/v1/queues/{center.queue_id}",
        {"max_wait_s": 30, "overflow": {"action": "queue", "queue_id": backup["id"]}},
    )
    caller = await center.web_phone()
    call_id, _peer = await dial(center, caller, None)
    await center.advance(30.0)
    await center.advance(20.0)
    ended = await caller.wait_for("call.ended")
    assert ended == {"call_id": call_id, "cause": "closed", "side": "system", "talk_seconds": 0.0}
    timeline = await center.events()
    assert [t for t, _ in timeline] == [
        "call.created",
        "queue.entered",
        "queue.entered",
        "call.ended",
    ]
    assert timeline[2][1]["queue_id"] == backup["id"]
    cdr = timeline[3][1]
    assert cdr["queue_id"] == backup["id"] and cdr["wait_seconds"] == 50.0


async def test_pause_with_reason_and_only_available_agents_ring(center: Center) -> None:
    agent, agent_id = await center.agent("ann")
    bad = await agent.call("presence.set", {"status": "on_break", "reason": "nap"})
    assert bad["error"]["code"] == "invalid_reason" and bad["error"]["field"] == "reason"
    await agent.ok("presence.set", {"status": "on_break", "reason": "lunch"})
    caller = await center.web_phone()
    call_id, _peer = await dial(center, caller, None)
    await center.settle()
    assert agent.events("call.ringing") == []
    await agent.ok("presence.set", {"status": "available"})
    await agent.wait_for("call.ringing")
    await caller.ok("call.hangup", {"call_id": call_id})
    paused = await center.events("agent.paused")
    assert [d["reason"] for _, d in paused] == ["lunch"] and paused[0][1]["agent_id"] == agent_id
    listed = await center.api("GET", f"/api/v1/agents/{agent_id}")
    assert listed["status"] == "available" and listed["connected"] is True
