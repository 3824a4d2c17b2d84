"""What a softphone that signs in again (a reload) is told of the agent's after-call work."""

from __future__ import annotations

from typing import Any

from .conftest import Center, Phone, answer, dial


async def _wrapping_up(center: Center) -> tuple[Phone, str, str, dict[str, Any]]:
    """Ann signed in, a call answered, the caller hung up: her softphone, her id, the call's
    id and the presence.changed into after-call work."""
    ann, ann_id = await center.agent("ann")
    caller = await center.web_phone()
    call_id, _peer = await dial(center, caller, None)
    await ann.wait_for("call.ringing")
    await answer(ann, call_id, None)
    await caller.ok("call.hangup", {"call_id": call_id})
    acw = await ann.wait_for("presence.changed", lambda e: e["status"] == "after_call_work")
    return ann, ann_id, call_id, acw


async def test_session_ready_says_when_the_wrap_up_ends(center: Center) -> None:
    """A reload during after-call work gets the same end as presence.changed said (the
    softphone's countdown goes on); outside after-call work it is null."""
    ann, ann_id, _call_id, acw = await _wrapping_up(center)
    assert ann.events("session.ready")[0]["wrap_up_ends_at"] is None
    assert acw["wrap_up_ends_at"] is not None

    again = await center.softphone("ann-reloaded", ann_id)
    ready = await again.wait_for("session.ready")
    assert ready["status"] == "after_call_work"
    assert ready["wrap_up_ends_at"] == acw["wrap_up_ends_at"]


async def test_session_ready_carries_the_call_being_wrapped_up(center: Center) -> None:
    """The reloaded softphone gets the ended call (the caller hung up), with no log to give
    when the agent is no Salesforce user; once the wrap-up is over there is none."""
    ann, ann_id, call_id, _acw = await _wrapping_up(center)
    assert ann.events("session.ready")[0]["wrap_up"] is None

    ready = await (await center.softphone("ann-reloaded", ann_id)).wait_for("session.ready")
    wrap = ready["wrap_up"]
    assert wrap["call"]["call_id"] == call_id and wrap["call"]["state"] == "ended"
    assert (wrap["call"]["cause"], wrap["call"]["side"]) == ("normal_clearing", "caller")
    assert wrap["call"]["queue_id"] == center.queue_id and wrap["call"]["direction"] == "inbound"
    assert (wrap["logging"], wrap["dispositions"], wrap["disposition_required"]) == (
        False,
        [],
        False,
    )
    assert (wrap["disposition"], wrap["notes"]) == (None, "")

    center.clock.advance(31)  # the queue's 30 s wrap-up runs out
    await center.settle()
    last = await (await center.softphone("ann-later", ann_id)).wait_for("session.ready")
    assert last["status"] == "available" and last["wrap_up"] is None
