"""What a softphone that signs in again (a reload) is told of the agent's after-call work."""

from __future__ import annotations

from .conftest import Center, answer, dial


async def test_session_ready_says_when_the_wrap_up_ends(center: Center) -> None:
    """A reload during after-call work gets the same end as presence.changed said (the
    softphone's countdown goes on); outside after-call work it is null."""
    ann, ann_id = await center.agent("ann")
    assert (await ann.wait_for("session.ready"))["wrap_up_ends_at"] is None
    caller = await center.web_phone()
    call_id, _peer = await dial(center, caller, None)
    await ann.wait_for("call.ringing")
    await answer(ann, call_id, None)
    await caller.ok("call.hangup", {"call_id": call_id})
    acw = await ann.wait_for("presence.changed", lambda e: e["status"] == "after_call_work")
    assert acw["wrap_up_ends_at"] is not None

    again = await center.softphone("ann-reloaded", ann_id)
    ready = await again.wait_for("session.ready")
    assert ready["status"] == "after_call_work"
    assert ready["wrap_up_ends_at"] == acw["wrap_up_ends_at"]
