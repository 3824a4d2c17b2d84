"""Call logging settings and a call's annotations: who may say what about a call, and a
screen pop's suggestion never overriding the agent. Real SIVO, devorg over HTTPS, real
calls through the telephony shell."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from devorg.testing import RunningDevorg
from server.failures import Invalid, NotFound
from tests.conftest import AppFactory
from tests.support.api import new_tenant

from .logging_center import LogCenter, close, log_center

SETTINGS = "/api/v1/salesforce/call-logging"
CONTACT, CONTACT2, ACCOUNT = "003000000000001AAA", "003000000000002AAA", "001000000000001AAA"
CALLER_OUT = "+14155550199"


@pytest.fixture
async def lc(make_client: AppFactory, sf: RunningDevorg) -> AsyncIterator[LogCenter]:
    center = await log_center(make_client, sf)
    yield center
    await close(center)


async def test_settings_have_defaults_and_change(lc: LogCenter) -> None:
    assert await lc.api("GET", SETTINGS) == {
        "enabled": True,
        "dispositions": ["Resolved", "Follow-up needed", "Escalated", "Wrong number"],
        "disposition_required": False,
    }
    changed = await lc.api(
        "PATCH", SETTINGS, {"dispositions": [" Sold ", "Callback"], "disposition_required": True}
    )
    assert changed == {
        "enabled": True,
        "dispositions": ["Sold", "Callback"],
        "disposition_required": True,
    }
    assert await lc.api("GET", SETTINGS) == changed
    for bad in (
        {"dispositions": []},
        {"dispositions": ["Sold", "sold"]},
        {"dispositions": ["x" * 81]},
        {"dispositions": ["two\nlines"]},
        {"enabled": None},
        {"enabled": "yes"},
        {"colour": "red"},
    ):
        await lc.api("PATCH", SETTINGS, bad, status=422)
    assert await lc.api("GET", SETTINGS) == changed


async def test_only_the_agent_on_the_call_annotates_it(lc: LogCenter) -> None:
    await lc.phones["cy"].ok("presence.set", {"status": "on_break", "reason": "lunch"})
    call_id, caller, _, _ = await lc.call_in("bo")
    bo, cy = lc.agents["bo"], lc.agents["cy"]
    tenant = lc.center.tenant.id
    view = await lc.logs.annotate(tenant, bo, call_id, who_id=CONTACT, disposition="Resolved")
    assert (view.who_id, view.who_source, view.disposition) == (CONTACT, "chooser", "Resolved")
    with pytest.raises(NotFound):  # another agent of the tenant
        await lc.logs.annotate(tenant, cy, call_id, notes="not mine")
    other = await new_tenant(lc.center.client, "Globex")
    with pytest.raises(NotFound):  # the same agent id presented under another tenant
        await lc.logs.annotate(other.id, bo, call_id, notes="not ours")
    with pytest.raises(NotFound):  # no such call
        await lc.logs.annotate(tenant, bo, "call_nosuchcall", notes="x")
    got = await lc.api("GET", f"/api/v1/salesforce/call-logs/{call_id}")
    assert got["who_id"] == CONTACT and got["has_notes"] is False and got["state"] == "open"
    await lc.api("GET", f"/api/v1/salesforce/call-logs/{call_id}", tenant=other, status=404)
    await caller.ok("call.hangup", {"call_id": call_id})


async def test_annotations_are_checked(lc: LogCenter) -> None:
    call_id, caller, _, _ = await lc.call_in("bo")
    tenant, bo = lc.center.tenant.id, lc.agents["bo"]
    with pytest.raises(Invalid) as refused:
        await lc.logs.annotate(tenant, bo, call_id, disposition="Sold")
    assert refused.value.code == "invalid_disposition"
    with pytest.raises(Invalid):
        await lc.logs.annotate(tenant, bo, call_id, who_id="003' OR Id != '")
    with pytest.raises(Invalid):
        await lc.logs.annotate(tenant, bo, call_id, notes="x" * 30_001)
    with pytest.raises(Invalid):
        await lc.logs.annotate(tenant, bo, call_id, notes="bell\x07")
    await caller.ok("call.hangup", {"call_id": call_id})


async def test_a_suggestion_never_overrides_the_agent(lc: LogCenter) -> None:
    call_id, caller, _, _ = await lc.call_in("bo")
    tenant, bo = lc.center.tenant.id, lc.agents["bo"]
    await lc.logs.suggest(tenant, call_id, who_id=CONTACT, what_id=ACCOUNT)
    assert (await lc.logs.get(tenant, call_id)).who_source == "pop"
    await lc.logs.annotate(tenant, bo, call_id, who_id=CONTACT2)
    await lc.logs.suggest(tenant, call_id, who_id=CONTACT)
    view = await lc.logs.get(tenant, call_id)
    assert (view.who_id, view.who_source) == (CONTACT2, "chooser")
    assert view.what_id is None  # the pick replaced the whole suggestion
    await lc.logs.suggest(tenant, call_id, who_id="not an id")  # ignored, not raised
    other = await new_tenant(lc.center.client, "Globex")
    await lc.logs.suggest(other.id, call_id, who_id=CONTACT)  # another tenant's call: ignored
    assert (await lc.logs.get(tenant, call_id)).who_id == CONTACT2
    await caller.ok("call.hangup", {"call_id": call_id})


# -- over Socket.IO ----------------------------------------------------------------------------


async def test_session_ready_says_how_calls_are_logged(lc: LogCenter) -> None:
    await lc.api("PATCH", SETTINGS, {"dispositions": ["Sold"], "disposition_required": True})
    ready = await (await lc.log_in("bo")).wait_for("session.ready")
    assert ready["call_logging"] == {
        "enabled": True,
        "dispositions": ["Sold"],
        "disposition_required": True,
    }
    plain, _ = await lc.center.agent("dee")  # not a Salesforce user: nothing to log to
    assert (await plain.wait_for("session.ready"))["call_logging"]["enabled"] is False


async def test_call_log_annotates_the_agents_own_call(lc: LogCenter) -> None:
    await lc.phones["cy"].ok("presence.set", {"status": "on_break", "reason": "lunch"})
    call_id, caller, _, _ = await lc.call_in("bo")
    bo, cy = lc.phones["bo"], lc.phones["cy"]
    ack = await bo.ok(
        "call.log",
        {
            "call_id": call_id,
            "who_id": CONTACT,
            "notes": "Line 1\nLine 2",
            "disposition": "Escalated",
        },
    )
    assert ack == {
        "ok": True,
        "call_id": call_id,
        "state": "open",
        "who_id": CONTACT,
        "what_id": None,
        "disposition": "Escalated",
    }
    visited = await bo.ok(
        "call.log", {"call_id": call_id, "what_id": ACCOUNT, "source": "navigation"}
    )
    assert (visited["who_id"], visited["what_id"]) == (CONTACT, ACCOUNT)
    refusals = [
        (cy, {"call_id": call_id, "notes": "x"}, "not_found", None),
        (bo, {"call_id": call_id, "disposition": "Sold"}, "invalid_disposition", "disposition"),
        (bo, {"call_id": call_id, "who_id": "003' OR Id != '"}, "invalid_message", "who_id"),
        (bo, {"call_id": call_id, "source": "pop"}, "invalid_message", "source"),
        (bo, {"call_id": call_id, "notes": "x" * 30_001}, "invalid_message", "notes"),
        (bo, {"call_id": "call_nosuch"}, "not_found", None),
    ]
    for phone, payload, code, field in refusals:
        reply = await phone.call("call.log", payload)
        assert reply["ok"] is False and reply["error"]["code"] == code, (payload, reply)
        assert reply["error"]["field"] == field or code == "not_found", reply
    view = await lc.logs.get(lc.center.tenant.id, call_id)
    assert (view.disposition, view.what_source, view.has_notes) == ("Escalated", "navigation", True)
    await caller.ok("call.hangup", {"call_id": call_id})


async def test_a_click_to_dial_keeps_the_record_it_came_from(lc: LogCenter) -> None:
    callee = await lc.center.web_phone("callee")
    await callee.ok("phone.register", {"number": CALLER_OUT})
    bo = lc.phones["bo"]
    peer = bo.peer(None)
    reply = await bo.ok(
        "call.dial",
        {
            "to": CALLER_OUT,
            "sdp": await peer.offer(),
            "record": {"record_id": ACCOUNT, "object_type": "Account"},
        },
    )
    await peer.accept(reply["sdp"])
    view = await lc.logs.get(lc.center.tenant.id, reply["call_id"])
    assert (view.what_id, view.what_source, view.who_id) == (ACCOUNT, "clicked", None)
    bad = await bo.call(
        "call.dial",
        {"to": CALLER_OUT, "sdp": await bo.peer(None).offer(), "record": {"record_id": "x"}},
    )
    assert bad["ok"] is False and bad["error"]["field"] == "record.record_id"
    await bo.ok("call.hangup", {"call_id": reply["call_id"]})
