"""A softphone that reconnects during after-call work (a reload) gets the call back: the
``session.ready`` snapshot carries the ended call (parties, direction, queue), the same
wrap-up deadline, the dispositions offered and whether one is required, and the disposition
and notes saved so far. Real SIVO, real shell, aiortc peers; the agents are Salesforce
users of a devorg org."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from devorg.testing import RunningDevorg
from tests.conftest import AppFactory
from tests.telephony.conftest import NUMBER

from .logging_center import CALLER, LogCenter, close, log_center

HELD = "disposition_required"


@pytest.fixture
async def lc(make_client: AppFactory, sf: RunningDevorg) -> AsyncIterator[LogCenter]:
    center = await log_center(make_client, sf, ("bo",), wrap_up_s=120.0)
    await center.api(
        "PATCH",
        "/api/v1/salesforce/call-logging",
        {"dispositions": ["Resolved", "Callback"], "disposition_required": True},
    )
    yield center
    await close(center)


async def reload(lc: LogCenter, name: str) -> dict[str, Any]:
    """The page goes (its socket closes) and comes back: a new softphone, its snapshot."""
    await lc.phones[name].close()
    phone = await lc.log_in(name)
    return phone.events("session.ready")[-1]


async def test_a_reload_in_after_call_work_gets_the_ended_call_and_its_log(
    lc: LogCenter,
) -> None:
    bo = lc.phones["bo"]
    call_id, _caller, _, _ = await lc.call_in("bo")
    answered = await bo.wait_for("call.updated", lambda u: u["state"] == "connected")
    assert answered["call_id"] == call_id
    lc.center.clock.advance(7)
    await bo.ok("call.hangup", {"call_id": call_id})
    wrapping = await bo.wait_for("presence.changed", lambda s: s["status"] == "after_call_work")
    await bo.ok("call.log", {"call_id": call_id, "notes": "Wants a callback"})
    lc.center.clock.advance(20)  # the reload comes 20 s into the wrap-up

    ready = await reload(lc, "bo")
    assert ready["status"] == "after_call_work" and ready["calls"] == []
    assert ready["wrap_up_ends_at"] == wrapping["wrap_up_ends_at"]  # not restarted
    wrap = ready["wrap_up"]
    call = wrap["call"]
    assert (call["call_id"], call["state"], call["direction"]) == (call_id, "ended", "inbound")
    assert (call["from"], call["to"], call["queue_id"]) == (CALLER, NUMBER, lc.center.queue_id)
    assert call["cause"] == "normal_clearing" and call["side"] == "agent"
    assert call["answered_at"] is not None and call["ended_at"] > call["answered_at"]
    assert wrap["logging"] is True
    assert wrap["dispositions"] == ["Resolved", "Callback"]
    assert wrap["disposition_required"] is True
    assert (wrap["disposition"], wrap["notes"]) == (None, "Wants a callback")

    phone = lc.phones["bo"]
    held = await phone.call("wrapup.end", {})
    assert held["ok"] is False and held["error"]["code"] == HELD
    await phone.ok("call.log", {"call_id": call_id, "disposition": "Resolved"})
    again = (await reload(lc, "bo"))["wrap_up"]
    assert (again["disposition"], again["notes"]) == ("Resolved", "Wants a callback")
    phone = lc.phones["bo"]
    assert (await phone.ok("wrapup.end", {}))["status"] == "available"
    assert (await reload(lc, "bo"))["wrap_up"] is None  # no wrap-up, no card
