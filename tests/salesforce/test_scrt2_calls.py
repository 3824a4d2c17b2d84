"""Every inbound call becomes a VoiceCall through SCRT2: real SIVO, devorg over HTTPS as
Salesforce (its SCRT2 host checking every JWT), calls through the telephony shell with
aiortc peers; read back with SOQL as an admin would."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from devorg.testing import RunningDevorg
from server.clock import FakeClock
from tests.conftest import AppFactory

from .logging_center import ADMIN, CALLER, LogCenter, close, log_center

PRODUCT_PAGE_QUERY = (
    "SELECT Id, CallStatus, FromPhoneNumber, StartDateTime FROM VoiceCall "
    "ORDER BY CreatedDate DESC LIMIT 1"
)
DOCUMENTED_QUERY = (
    "SELECT Id, CallDisposition, FromPhoneNumber, CallStartDateTime, CallEndDateTime, "
    "CallAcceptDateTime, CallDurationInSeconds, CallType, CallSubtype, QueueName, "
    "DisconnectReason, VendorCallKey FROM VoiceCall ORDER BY CreatedDate DESC LIMIT 1"
)


@pytest.fixture
async def lc(make_client: AppFactory, sf: RunningDevorg) -> AsyncIterator[LogCenter]:
    # SIVO runs on a FakeClock: devorg's clock moves to it first, so tokens and JWTs agree.
    await sf.control("POST", "clock", {"advanceSeconds": FakeClock().now() - time.time()})
    center = await log_center(make_client, sf, ("bo",))
    org = f"/api/v1/salesforce/orgs/{center.row_id}"
    await center.api("PATCH", org, {"scrt_base_url": sf.scrt_url})
    keys = await center.api("GET", f"{org}/keys")
    active = next(k for k in keys["data"] if k["status"] == "active")
    await sf.control(
        "PUT",
        f"orgs/{center.org_id}/callcenters/SIVO_Acme/certificate",
        {"certificate": active["certificate_pem"]},
    )
    yield center
    await close(center)


async def _soql(lc: LogCenter, text: str) -> tuple[int, Any]:
    """The admin's query through the REST API, as on the product page."""
    tokens = await lc.sf.login(ADMIN)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    async with lc.sf.session.get(
        f"{lc.sf.base_url}/services/data/v68.0/query", params={"q": text}, headers=headers
    ) as response:
        return response.status, await response.json()


async def _sent(lc: LogCenter) -> None:
    await lc.center.services.salesforce.scrt2.idle()


async def test_an_answered_call_is_a_completed_voice_call(lc: LogCenter) -> None:
    call_id, caller, _, _ = await lc.call_in("bo")
    await lc.center.advance(42)
    await caller.ok("call.hangup", {"call_id": call_id})
    await _sent(lc)
    status, body = await _soql(lc, DOCUMENTED_QUERY)
    assert status == 200, body
    (call,) = body["records"]
    assert call["VendorCallKey"] == call_id and call["FromPhoneNumber"] == CALLER
    assert call["CallDisposition"] == "completed" and call["CallType"] == "Inbound"
    assert call["CallSubtype"] == "WebRTC" and call["QueueName"] == "Support"
    assert call["CallAcceptDateTime"] is not None and call["CallEndDateTime"] is not None
    assert call["CallDurationInSeconds"] >= 42
    assert call["DisconnectReason"] == "CUSTOMER_DISCONNECT"
    # The product page's query as written: StartDateTime is no VoiceCall field (Salesforce
    # answers INVALID_FIELD); CallStatus exists but is "for internal use only".
    status, body = await _soql(lc, PRODUCT_PAGE_QUERY)
    assert status == 400 and "StartDateTime" in str(body)
    status, body = await _soql(
        lc, PRODUCT_PAGE_QUERY.replace(" StartDateTime", " CallStartDateTime")
    )
    assert status == 200 and body["records"][0]["Id"] == call["Id"]


async def test_an_abandoned_call_ends_its_voice_call(lc: LogCenter) -> None:
    await lc.phones["bo"].ok("presence.set", {"status": "on_break", "reason": "lunch"})
    caller = await lc.center.web_phone()
    await caller.ok("phone.register", {"number": CALLER})
    peer = caller.peer(None)
    reply = await caller.ok("call.dial", {"to": "+18005550100", "sdp": await peer.offer()})
    await peer.accept(reply["sdp"])
    await lc.center.advance(7)
    await caller.ok("call.hangup", {"call_id": reply["call_id"]})
    await _sent(lc)
    _, body = await _soql(lc, DOCUMENTED_QUERY)
    (call,) = body["records"]
    assert call["VendorCallKey"] == reply["call_id"] and call["CallDisposition"] == "completed"
    assert call["CallAcceptDateTime"] is None and call["CallDurationInSeconds"] == 7


async def test_an_outbound_call_sends_nothing(lc: LogCenter) -> None:
    callee = await lc.center.web_phone("callee")
    await callee.ok("phone.register", {"number": "+14155550199"})
    bo = lc.phones["bo"]
    peer = bo.peer(None)
    reply = await bo.ok("call.dial", {"to": "+14155550199", "sdp": await peer.offer()})
    await peer.accept(reply["sdp"])
    await callee.wait_for("call.incoming")
    await bo.ok("call.hangup", {"call_id": reply["call_id"]})
    await _sent(lc)
    assert lc.sf.devorg.store.orgs[lc.org_id].records_of("VoiceCall") == {}
    _, body = await _soql(lc, DOCUMENTED_QUERY)
    assert body["records"] == []
