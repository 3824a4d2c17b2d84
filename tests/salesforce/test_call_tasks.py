"""Every call becomes exactly one Task in the org, at the end of wrap-up: real SIVO, devorg
over HTTPS as Salesforce, calls through the real telephony shell with aiortc peers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from devorg.testing import RunningDevorg
from server.api.context import SERVICES
from server.store import salesforce as org_store
from tests.conftest import AppFactory
from tests.support.api import new_tenant
from tests.support.dashboard import log_in

from .conftest import PASSWORD, connect, salesforce_settings
from .logging_center import ADMIN, CALLER, LogCenter, close, log_center

SETTINGS = "/api/v1/salesforce/call-logging"
CALLEE = "+14155550199"
TASK_PATH = "/services/data/v68.0/sobjects/Task"


@pytest.fixture
async def lc(make_client: AppFactory, sf: RunningDevorg) -> AsyncIterator[LogCenter]:
    center = await log_center(make_client, sf, ("bo",))
    yield center
    await close(center)


async def _log(lc: LogCenter, call_id: str) -> dict[str, Any]:
    log: dict[str, Any] = await lc.api("GET", f"/api/v1/salesforce/call-logs/{call_id}")
    return log


async def _sent(lc: LogCenter) -> None:
    await lc.center.services.salesforce.tasks.idle()


async def test_an_answered_call_is_one_task_after_wrap_up(lc: LogCenter) -> None:
    contact = await lc.sf.create_record(
        lc.org_id, "Contact", {"LastName": "Rivera", "Phone": "(415) 555-1212"}
    )
    call_id, caller, _, _ = await lc.call_in("bo")
    await lc.center.services.salesforce.ring_pops.settled()  # the pop suggested the Contact
    bo = lc.phones["bo"]
    await bo.ok("call.log", {"call_id": call_id, "notes": "Wants the invoice again."})
    await lc.center.advance(42)
    await caller.ok("call.hangup", {"call_id": call_id})
    await bo.wait_for("presence.changed", lambda p: p["status"] == "after_call_work")
    await bo.ok("call.log", {"call_id": call_id, "disposition": "Resolved"})
    await _sent(lc)
    assert lc.tasks() == [] and (await _log(lc, call_id))["state"] == "wrapping"
    await bo.ok("wrapup.end")
    await _sent(lc)
    (task,) = lc.tasks()
    log = await _log(lc, call_id)
    assert log["state"] == "sent" and log["task_id"] == task["Id"]
    recording = (await lc.api("GET", f"/api/v1/calls/{call_id}"))["recording_id"]
    assert {k: task[k] for k in ("Subject", "TaskSubtype", "CallType", "CallObject")} == {
        "Subject": f"Call from {CALLER}",
        "TaskSubtype": "Call",
        "CallType": "Inbound",
        "CallObject": call_id,
    }
    assert task["CallDurationInSeconds"] == 42 and task["CallDisposition"] == "Resolved"
    assert task["Status"] == "Completed" and task["IsClosed"] is True
    assert task["OwnerId"] == lc.users["bo"] and task["WhoId"] == contact
    assert task["Description"] == (
        f"Wants the invoice again.\n\nRecording: http://127.0.0.1:8080/admin/recordings/{recording}"
    )
    await bo.ok("presence.set", {"status": "available"})  # nothing is logged twice
    await _sent(lc)
    assert len(lc.tasks()) == 1


async def test_a_closed_softphone_still_logs_the_call(lc: LogCenter) -> None:
    call_id, caller, _, _ = await lc.call_in("bo")
    await lc.phones["bo"].ok("call.log", {"call_id": call_id, "disposition": "Escalated"})
    await lc.center.dropped(lc.phones["bo"], lc.agents["bo"])
    await lc.center.advance(11)  # the grace period: the server ends the call and logs out
    await caller.wait_for("call.ended")
    await _sent(lc)
    (task,) = lc.tasks(call_id)
    assert task["CallDisposition"] == "Escalated" and task["OwnerId"] == lc.users["bo"]


async def test_a_missed_call_is_the_rung_agents_task(lc: LogCenter) -> None:
    caller = await lc.center.web_phone()
    await caller.ok("phone.register", {"number": CALLER})
    peer = caller.peer(None)
    reply = await caller.ok("call.dial", {"to": "+18005550100", "sdp": await peer.offer()})
    await peer.accept(reply["sdp"])
    await lc.phones["bo"].wait_for("call.ringing")
    await lc.center.advance(4)
    await caller.ok("call.hangup", {"call_id": reply["call_id"]})
    await _sent(lc)
    (task,) = lc.tasks(reply["call_id"])
    assert task["Subject"] == f"Missed call from {CALLER}" and task["CallDisposition"] == "Missed"
    assert task["OwnerId"] == lc.users["bo"] and task["CallDurationInSeconds"] == 0


async def test_abandoned_before_any_ring_gets_no_task(lc: LogCenter) -> None:
    await lc.phones["bo"].ok("presence.set", {"status": "on_break", "reason": "lunch"})
    caller = await lc.center.web_phone()
    peer = caller.peer(None)
    reply = await caller.ok("call.dial", {"to": "+18005550100", "sdp": await peer.offer()})
    await peer.accept(reply["sdp"])
    await caller.ok("call.hangup", {"call_id": reply["call_id"]})
    await _sent(lc)
    assert lc.tasks() == []
    await lc.api("GET", f"/api/v1/salesforce/call-logs/{reply['call_id']}", status=404)


async def test_an_outbound_call_logs_the_record_it_was_dialed_from(lc: LogCenter) -> None:
    contact = await lc.sf.create_record(lc.org_id, "Contact", {"LastName": "Okafor"})
    callee = await lc.center.web_phone("callee")
    await callee.ok("phone.register", {"number": CALLEE})
    bo = lc.phones["bo"]
    peer = bo.peer(None)
    record = {"record_id": contact, "object_type": "Contact"}
    reply = await bo.ok("call.dial", {"to": CALLEE, "sdp": await peer.offer(), "record": record})
    await peer.accept(reply["sdp"])
    incoming = await callee.wait_for("call.incoming")
    callee_peer = callee.peer(None)
    answered = await callee.ok(
        "call.answer", {"call_id": incoming["call_id"], "sdp": await callee_peer.offer()}
    )
    await callee_peer.accept(answered["sdp"])
    await lc.center.advance(15)
    await bo.ok("call.log", {"call_id": reply["call_id"], "notes": "Booked a demo."})
    await bo.ok("call.hangup", {"call_id": reply["call_id"]})  # 0 s outbound wrap-up
    await _sent(lc)
    (task,) = lc.tasks(reply["call_id"])
    assert task["CallType"] == "Outbound" and task["Subject"] == f"Call to {CALLEE}"
    assert task["WhoId"] == contact and task["WhatId"] is None
    assert task["CallDurationInSeconds"] == 15 and task["Description"].startswith("Booked a demo.")


async def test_a_retry_after_a_lost_answer_keeps_one_task(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    lc = await log_center(make_client, sf, ("bo",), salesforce_timeout_s=0.5)
    try:
        call_id, caller, _, _ = await lc.call_in("bo")
        await caller.ok("call.hangup", {"call_id": call_id})
        await lc.phones["bo"].wait_for("presence.changed", lambda p: p["status"] != "on_call")
        # Salesforce creates the Task, but its answer comes after SIVO stopped waiting.
        await sf.control("POST", "faults", {"count": 1, "delayMs": 1500, "pathPrefix": TASK_PATH})
        await sf.control("DELETE", "requests")
        await lc.phones["bo"].ok("wrapup.end")
        await _sent(lc)
        log = await _log(lc, call_id)
        assert log["state"] == "due" and log["attempts"] == 1 and log["task_id"] is None
        for _ in range(100):  # devorg finishes the request SIVO gave up on
            if lc.tasks(call_id):
                break
            await asyncio.sleep(0.05)
        (created,) = lc.tasks(call_id)
        await lc.center.advance(12)  # the first retry
        await _sent(lc)
        log = await _log(lc, call_id)
        assert log["state"] == "sent" and log["task_id"] == created["Id"]
        assert [t["Id"] for t in lc.tasks()] == [created["Id"]]
        seen = (await sf.control("GET", "requests"))["requests"]
        posts = [r for r in seen if r["method"] == "POST" and r["path"] == TASK_PATH]
        looked = [r for r in seen if r["path"].endswith("/query")]
        assert len(posts) == 1 and len(looked) == 1
    finally:
        await close(lc)


async def test_a_required_disposition_holds_the_agent_until_it_is_chosen(lc: LogCenter) -> None:
    await lc.api(
        "PATCH", SETTINGS, {"dispositions": ["Sold", "Lost"], "disposition_required": True}
    )
    call_id, caller, _, _ = await lc.call_in("bo")
    bo = lc.phones["bo"]
    await caller.ok("call.hangup", {"call_id": call_id})
    await bo.wait_for("presence.changed", lambda p: p["status"] == "after_call_work")
    for event, payload in (
        ("presence.set", {"status": "available"}),
        ("presence.set", {"status": "on_break", "reason": "lunch"}),
        ("wrapup.end", {}),
    ):
        reply = await bo.call(event, payload)
        assert reply["ok"] is False and reply["error"]["code"] == "disposition_required"
        assert call_id in reply["error"]["message"]
    await lc.center.advance(31)  # the wrap-up time runs out: the agent stays
    shell = lc.center.services.calls.shell(lc.center.tenant.id)
    assert shell.presence_of(lc.agents["bo"])["status"] == "after_call_work"
    assert lc.tasks() == []
    await bo.ok("call.log", {"call_id": call_id, "disposition": "Sold"})
    await bo.wait_for("presence.changed", lambda p: p["previous_status"] == "after_call_work")
    assert shell.presence_of(lc.agents["bo"])["status"] == "available"
    await _sent(lc)
    (task,) = lc.tasks(call_id)
    assert task["CallDisposition"] == "Sold"


async def test_a_deleted_contact_does_not_lose_the_task(lc: LogCenter) -> None:
    gone = await lc.sf.create_record(lc.org_id, "Contact", {"LastName": "Gone"})
    call_id, caller, _, _ = await lc.call_in("bo")
    bo = lc.phones["bo"]
    await bo.ok("call.log", {"call_id": call_id, "who_id": gone, "disposition": "Resolved"})
    await caller.ok("call.hangup", {"call_id": call_id})
    await bo.wait_for("presence.changed", lambda p: p["status"] == "after_call_work")
    org = lc.sf.devorg.store.orgs[lc.org_id]  # deleted in Salesforce during the wrap-up
    lc.sf.devorg.store.delete(org, "Contact", org.records_of("Contact")[gone], user_id=None)
    await bo.ok("wrapup.end")
    await _sent(lc)
    (task,) = lc.tasks(call_id)
    assert task["WhoId"] is None and task["CallDisposition"] == "Resolved"


async def test_an_org_to_reconnect_holds_its_tasks_until_it_is(lc: LogCenter) -> None:
    services = lc.center.services
    async with services.db.transaction() as tx:  # Salesforce refused the refresh token
        values = {"status": "needs_reconnect", "status_reason": "revoked", "access_token_enc": None}
        await org_store.update_org_txn(tx, lc.center.tenant.id, lc.row_id, values)
    call_id, caller, _, _ = await lc.call_in("bo")
    await caller.ok("call.hangup", {"call_id": call_id})
    await lc.phones["bo"].wait_for("presence.changed", lambda p: p["status"] != "on_call")
    await lc.phones["bo"].ok("wrapup.end")
    await _sent(lc)
    assert lc.tasks() == [] and (await _log(lc, call_id))["state"] == "due"
    assert (await connect(lc.sivo, lc.sf, ADMIN)).status == 303  # the admin connects it again
    await _sent(lc)
    (task,) = lc.tasks(call_id)
    assert (await _log(lc, call_id))["task_id"] == task["Id"]


async def test_a_wrap_up_cut_short_by_a_restart_is_logged_by_the_next_process(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    lc = await log_center(make_client, sf, ("bo",))
    call_id, caller, _, _ = await lc.call_in("bo")
    await caller.ok("call.hangup", {"call_id": call_id})
    await lc.phones["bo"].wait_for("presence.changed", lambda p: p["status"] != "on_call")
    assert (await _log(lc, call_id))["state"] == "wrapping"
    await close(lc)
    await lc.center.client.close()  # the process goes away mid wrap-up
    again = await make_client(clock=lc.center.clock, salesforce=salesforce_settings(sf))
    await again.app[SERVICES].salesforce.tasks.idle()
    (task,) = lc.tasks(call_id)
    assert task["OwnerId"] == lc.users["bo"]


async def test_the_tasks_recording_link_needs_a_sign_in(lc: LogCenter) -> None:
    call_id, caller, _, _ = await lc.call_in("bo")
    await lc.center.advance(5)
    await caller.ok("call.hangup", {"call_id": call_id})
    recording = (await lc.api("GET", f"/api/v1/calls/{call_id}"))["recording_id"]
    for _ in range(100):
        if (await lc.api("GET", f"/api/v1/recordings/{recording}"))["status"] == "ready":
            break
        await asyncio.sleep(0.05)
    client = lc.center.client  # signed in to the dashboard as the tenant's admin
    link = f"/admin/recordings/{recording}"
    resp = await client.get(link, allow_redirects=False)
    assert (
        resp.status == 302 and f"/recordings/{recording}.wav?expires=" in resp.headers["Location"]
    )
    client.session.cookie_jar.clear()
    resp = await client.get(link, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"].startswith("/admin/login?next=")
    other = await new_tenant(client, "Globex")  # another tenant's admin
    await lc.center.services.identity.create_admin(other.id, "eve@globex.test", PASSWORD)
    await log_in(client, "eve@globex.test", PASSWORD)
    assert (await client.get(link, allow_redirects=False)).status == 404
