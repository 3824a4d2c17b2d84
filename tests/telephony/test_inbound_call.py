"""End to end: a web caller dials a published number, an agent answers, audio both ways."""

from __future__ import annotations

import asyncio

from tests.media.audio import band_ratio

from .conftest import NUMBER, Center, answer, dial


async def test_inbound_call_bridges_audio_and_reports_cdr(center: Center) -> None:
    """Queued -> ring -> answer: tones cross both ways; events and CDR match the timeline."""
    agent, agent_id = await center.agent("ann")
    caller = await center.web_phone()
    call_id, caller_peer = await dial(center, caller, 440.0)
    ring = await agent.wait_for("call.ringing")
    assert ring["call_id"] == call_id and ring["to"] == NUMBER and ring["kind"] == "inbound"

    await center.advance(4.0)  # the caller waits 4 s
    agent_peer = await answer(agent, call_id, 1000.0)
    await caller_peer.wait_connected()
    await caller.wait_for("call.updated", lambda d: d["state"] == "connected")
    await asyncio.sleep(0.8)
    assert band_ratio(caller_peer.heard(0.5), 1000.0) > 0.8
    assert band_ratio(agent_peer.heard(0.5), 440.0) > 0.8

    await center.advance(60.0)  # 60 s of talk
    await caller.ok("call.hangup", {"call_id": call_id})
    ended = await agent.wait_for("call.ended")
    assert ended == {
        "call_id": call_id,
        "cause": "normal_clearing",
        "side": "caller",
        "talk_seconds": 60.0,
    }
    await agent.wait_for("presence.changed", lambda d: d["status"] == "after_call_work")

    await center.advance(30.0)  # the queue's wrap-up
    await agent.wait_for(
        "presence.changed",
        lambda d: d["status"] == "available" and d["previous_status"] == "after_call_work",
    )
    recorded = await _wait_events(center, "call.recorded")

    timeline = await center.events()
    types = [t for t, _ in timeline]
    # call.recorded comes when the file is finalized: after call.ended, in its own transaction
    assert types.index("call.recorded") > types.index("call.ended")
    assert [t for t in types if t != "call.recorded"] == [
        "agent.status_changed",
        "call.created",
        "queue.entered",
        "call.ringing",
        "call.answered",
        "agent.status_changed",
        "call.ended",
        "agent.status_changed",
        "agent.status_changed",
    ]
    statuses = [
        (d["previous_status"], d["status"]) for t, d in timeline if t == "agent.status_changed"
    ]
    assert statuses == [
        ("logged_out", "available"),
        ("available", "on_call"),
        ("on_call", "after_call_work"),
        ("after_call_work", "available"),
    ]
    cdr = dict(await center.events("call.ended"))["call.ended"]
    assert cdr["direction"] == "inbound" and cdr["to"] == NUMBER and cdr["from"] == "anonymous"
    assert cdr["agent_id"] == agent_id and cdr["queue_id"] == center.queue_id
    assert cdr["wait_seconds"] == 4.0 and cdr["talk_seconds"] == 60.0
    assert cdr["hold_seconds"] == 0.0 and cdr["transfers"] == []
    assert cdr["hangup_side"] == "caller" and cdr["recording_id"] == recorded["recording_id"]
    answered = dict(await center.events("call.answered"))["call.answered"]
    assert answered["wait_seconds"] == 4.0 and answered["agent_id"] == agent_id


async def _wait_events(center: Center, type_: str, timeout: float = 10.0) -> dict:  # type: ignore[type-arg]
    for _ in range(int(timeout / 0.05)):
        found = await center.events(type_)
        if found:
            return found[0][1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {type_} event")
