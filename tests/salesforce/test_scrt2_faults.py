"""SCRT2 delivery under faults from devorg's control API, and transfer legs: a 429's
Retry-After honoured, 500s retried, an org to reconnect parks its calls; nothing lost,
nothing twice, a call's create before its updates."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from devorg.testing import RunningDevorg
from server.api.context import SERVICES
from server.store import salesforce as org_store
from tests.conftest import AppFactory

from .conftest import connect, salesforce_settings
from .logging_center import ADMIN, LogCenter, close
from .scrt2_center import advance, scrt2_center, scrt_requests, sent, voice_calls

CREATE = "/telephony/v1/voiceCalls"


@pytest.fixture
async def lc(make_client: AppFactory, sf: RunningDevorg) -> AsyncIterator[LogCenter]:
    center = await scrt2_center(make_client, sf, ("bo", "cy"))
    yield center
    await close(center)


async def _answered_call(lc: LogCenter, talk_s: float = 30) -> str:
    call_id, caller, _, _ = await lc.call_in("bo")
    await lc.center.advance(talk_s)
    await caller.ok("call.hangup", {"call_id": call_id})
    return call_id


async def test_429_retry_after_and_500s_keep_the_calls_order(lc: LogCenter) -> None:
    await lc.sf.control(
        "POST", "faults", {"status": 429, "count": 1, "host": "scrt", "retryAfter": 120}
    )
    call_id = await _answered_call(lc)
    await sent(lc)
    assert scrt_requests(lc) == [("POST", CREATE, 429)]  # the PATCHes wait behind the create
    await advance(lc, 60)  # past the schedule's first 10-11 s, not the Retry-After
    await sent(lc)
    assert len(scrt_requests(lc)) == 1
    await lc.sf.control("POST", "faults", {"status": 500, "count": 2, "host": "scrt"})
    await advance(lc, 61)
    await sent(lc)
    assert scrt_requests(lc)[1:] == [("POST", CREATE, 500)]
    for _ in range(4):  # the next retries: 30-33 s, then 60-66 s later
        await advance(lc, 35)
        await sent(lc)
    (call,) = voice_calls(lc)
    statuses = [(m, s) for m, _, s in scrt_requests(lc)]
    assert statuses == [("POST", 429), ("POST", 500), ("POST", 500), ("POST", 200)] + [
        ("PATCH", 200),  # the end
        ("PATCH", 200),  # the recording
    ], statuses
    assert scrt_requests(lc)[-1][1] == f"{CREATE}/{call['Id']}"  # by the create's VoiceCall id
    assert call["VendorCallKey"] == call_id and call["CallDisposition"] == "completed"
    assert call["IsRecorded"] is True and call["CustomerHoldDuration"] == 0


async def test_an_org_to_reconnect_parks_its_calls_until_it_is(lc: LogCenter) -> None:
    services = lc.center.services
    async with services.db.transaction() as tx:  # Salesforce refused the refresh token
        values = {"status": "needs_reconnect", "status_reason": "revoked", "access_token_enc": None}
        await org_store.update_org_txn(tx, lc.center.tenant.id, lc.row_id, values)
    call_id = await _answered_call(lc)
    await sent(lc)
    assert scrt_requests(lc) == [] and voice_calls(lc) == []
    assert (await connect(lc.sivo, lc.sf, ADMIN)).status == 303  # the admin connects it again
    await sent(lc)
    (call,) = voice_calls(lc)
    assert call["VendorCallKey"] == call_id and call["CallDisposition"] == "completed"
    assert [m for m, _, _ in scrt_requests(lc)] == ["POST", "PATCH", "PATCH"]


async def test_a_transfer_is_a_child_voice_call_of_its_parent(lc: LogCenter) -> None:
    call_id, caller, _, _ = await lc.call_in("bo")
    cy = lc.phones["cy"]
    await cy.ok("presence.set", {"status": "available"})
    bo = lc.phones["bo"]
    await lc.center.advance(5)
    await bo.ok("call.transfer", {"call_id": call_id, "to_type": "agent", "to_id": lc.agents["cy"]})
    await cy.wait_for("call.ringing", lambda r: r["call_id"] == call_id)
    await sent(lc)
    await lc.center.advance(5)
    await caller.ok("call.hangup", {"call_id": call_id})
    await sent(lc)
    legs = voice_calls(lc)
    assert [leg["CallType"] for leg in legs] == ["Inbound", "Transfer"], legs
    parent, child = legs
    assert child["PreviousCallId"] == parent["Id"] and parent["NextCallId"] == child["Id"]
    assert child["VendorCallKey"] == parent["VendorCallKey"] == call_id
    assert child["CallDisposition"] == "completed"  # the final PATCH goes to the last leg
    assert parent["CallDisposition"] == "completed" and parent["CallEndDateTime"] is not None
    conversation = lc.sf.devorg.store.orgs[lc.org_id].get(str(parent["ConversationId"]))
    assert conversation is not None and conversation[1]["EndTime"] is not None


async def test_a_timed_out_create_is_retried_into_the_same_voice_call(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    lc = await scrt2_center(make_client, sf, ("bo",), salesforce_timeout_s=0.5)
    try:
        # devorg creates the VoiceCall, but answers after SIVO stopped waiting.
        fault = {"count": 1, "delayMs": 1500, "host": "scrt", "pathPrefix": CREATE}
        await lc.sf.control("POST", "faults", fault)
        call_id = await _answered_call(lc)
        await sent(lc)
        await asyncio.sleep(1.2)  # devorg's late answer goes out
        for _ in range(3):
            await advance(lc, 12)
            await sent(lc)
        (call,) = voice_calls(lc)  # the retried create found it by its vendorCallKey
        assert call["VendorCallKey"] == call_id and call["CallDisposition"] == "completed"
        assert [m for m, _, _ in scrt_requests(lc)] == ["POST", "POST", "PATCH", "PATCH"]
    finally:
        await close(lc)


async def test_a_restart_mid_backlog_loses_nothing(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    lc = await scrt2_center(make_client, sf, ("bo",))
    await lc.sf.control("POST", "faults", {"status": 500, "count": 1, "host": "scrt"})
    call_id = await _answered_call(lc, talk_s=2)
    await sent(lc)
    assert scrt_requests(lc) == [("POST", CREATE, 500)]
    await close(lc)
    await lc.center.client.close()  # the process goes away with the call's requests owed
    again = await make_client(clock=lc.center.clock, salesforce=salesforce_settings(sf))
    scrt2 = again.app[SERVICES].salesforce.scrt2
    await scrt2.idle()
    await lc.sf.control("POST", "clock", {"advanceSeconds": 12})
    lc.center.clock.advance(12)
    await asyncio.sleep(0.05)
    await scrt2.idle()
    (call,) = voice_calls(lc)
    assert call["VendorCallKey"] == call_id and call["CallDisposition"] == "completed"
    assert [m for m, _, s in scrt_requests(lc)] == ["POST", "POST", "PATCH", "PATCH"]
    await again.close()


async def test_a_dead_lettered_request_is_replayed(lc: LogCenter) -> None:
    await lc.sf.control("POST", "faults", {"status": 400, "count": 1, "host": "scrt"})
    call_id = await _answered_call(lc)
    await sent(lc)
    path = f"/api/v1/salesforce/orgs/{lc.row_id}/scrt2/requests"
    log = (await lc.api("GET", path))["data"]
    failed = next(r for r in log if r["kind"] == "create")
    assert failed["state"] == "failed" and failed["status_code"] == 400
    # The end PATCH went by the vendorCallKey: SCRT2 made the VoiceCall after the fact.
    (call,) = voice_calls(lc)
    assert call["CallDisposition"] == "completed"
    replayed = await lc.api("POST", f"{path}/{failed['id']}/replay")
    assert replayed["state"] == "due" and replayed["attempts"] == 0
    await sent(lc)
    again = next(r for r in (await lc.api("GET", path))["data"] if r["id"] == failed["id"])
    assert again["state"] == "sent" and again["status_code"] == 200
    assert [c["Id"] for c in voice_calls(lc)] == [call["Id"]]  # the create found it by key
    assert voice_calls(lc)[0]["VendorCallKey"] == call_id
    await lc.api("POST", f"{path}/{failed['id']}/replay", status=409)
    await lc.api("POST", f"{path}/999999/replay", status=404)
    await lc.api("POST", f"{path}/x/replay", status=404)
