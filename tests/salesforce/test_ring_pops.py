"""The caller's record is pushed to the ringing agent after the ring, never before it: a web
caller rings an agent of a connected org, devorg holds the Contact."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from devorg.testing import RunningDevorg
from server.clock import FakeClock
from tests.conftest import AppFactory
from tests.telephony.conftest import NUMBER, Center, Phone, dial

from .conftest import connect, salesforce_settings, sivo_admin

ADMIN = "ada@acme.test"
AGENT = "bo@acme.test"
CALLER = "+14155551212"


@dataclass
class PopCenter:
    center: Center
    sf: RunningDevorg
    org_id: str
    row_id: str
    agent_id: str
    phone: Phone


@pytest.fixture
async def pops(make_client: AppFactory, sf: RunningDevorg) -> AsyncIterator[PopCenter]:
    org = await sf.create_org("Acme")
    await sf.create_call_center(org["orgId"], "SIVO_Acme")
    await sf.create_user(org["orgId"], ADMIN, last_name="Admin", email=ADMIN)
    await sf.create_user(org["orgId"], AGENT, last_name="Bo", email=AGENT)
    clock = FakeClock()
    client = await make_client(clock=clock, salesforce=salesforce_settings(sf), agent_grace_s=10.0)
    sivo = await sivo_admin(make_client, sf, client=client)
    await connect(sivo, sf, ADMIN)
    center = Center(client, clock, sivo.tenant, "")
    queue = await center.api("POST", "/api/v1/queues", {"name": "Support"}, status=201)
    center.queue_id = queue["id"]
    await center.api(
        "POST",
        "/api/v1/numbers",
        {"number": NUMBER, "queue_id": queue["id"], "published": True},
        status=201,
    )
    orgs = await center.api("GET", "/api/v1/salesforce/orgs")
    row = next(o["id"] for o in orgs["data"] if o["org_id"] == org["orgId"])
    users = await center.api("POST", f"/api/v1/salesforce/orgs/{row}/users/import")
    bo = next(u for u in users["users"] if u["email"] == AGENT)
    made = await center.api(
        "POST",
        f"/api/v1/salesforce/orgs/{row}/users/agents",
        {"user_ids": [bo["user_id"]]},
        status=201,
    )
    agent_id = made["created"][0]
    await center.api("PATCH", f"/api/v1/agents/{agent_id}", {"queue_ids": [queue["id"]]})
    phone = await center.softphone("bo", agent_id)
    await phone.wait_for("session.ready")
    await phone.ok("presence.set", {"status": "available"})
    yield PopCenter(center, sf, org["orgId"], row, agent_id, phone)
    for p in center.phones:
        await p.close()


async def _caller(center: Center) -> Phone:
    caller = await center.web_phone()
    await caller.ok("phone.register", {"number": CALLER})
    return caller


async def _ring_and_pop(p: PopCenter) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    caller = await _caller(p.center)
    call_id, _ = await dial(p.center, caller, None)
    ring = await p.phone.wait_for("call.ringing")
    pop = await p.phone.wait_for("call.screenpop", timeout=10.0)
    order = [e for e, _ in p.phone.received if e in ("call.ringing", "call.screenpop")]
    assert ring["call_id"] == call_id == pop["call_id"]
    await caller.ok("call.hangup", {"call_id": call_id})
    await caller.ok("phone.unregister", {})  # the next caller may take the number
    return ring, pop, order


async def test_one_contact_pops_after_the_ring(pops: PopCenter) -> None:
    made = await pops.sf.create_record(
        pops.org_id, "Contact", {"LastName": "Rivera", "Phone": "(415) 555-1212"}
    )
    ring, pop, order = await _ring_and_pop(pops)
    assert order == ["call.ringing", "call.screenpop"]
    assert pop["status"] == "found" and pop["number_e164"] == CALLER
    assert pop["screen_pop"]["params"]["recordId"] == made
    assert [m["id"] for m in pop["matches"]] == [made]


async def test_salesforce_down_rings_at_once_and_says_the_lookup_failed(pops: PopCenter) -> None:
    await pops.sf.control(
        "POST", "faults", {"status": 503, "count": 10, "pathPrefix": "/services/data"}
    )
    ring, pop, order = await _ring_and_pop(pops)
    assert order == ["call.ringing", "call.screenpop"]
    assert pop["status"] == "failed" and pop["matches"] == []


async def test_an_agent_not_from_salesforce_gets_no_pop(pops: PopCenter) -> None:
    other = await pops.center.api(
        "POST",
        "/api/v1/agents",
        {
            "name": "Cy",
            "email": "cy@example.com",
            "extension": "301",
            "queue_ids": [pops.center.queue_id],
        },
        status=201,
    )
    await pops.phone.ok("presence.set", {"status": "on_break", "reason": "lunch"})
    cy = await pops.center.softphone("cy", other["id"])
    await cy.wait_for("session.ready")
    await cy.ok("presence.set", {"status": "available"})
    caller = await _caller(pops.center)
    call_id, _ = await dial(pops.center, caller, None)
    await cy.wait_for("call.ringing")
    await pops.center.services.salesforce.ring_pops.settled()
    assert cy.events("call.screenpop") == []
    await caller.ok("call.hangup", {"call_id": call_id})


async def test_a_record_opened_after_an_unknown_callers_pop_is_found_next_time(
    pops: PopCenter,
) -> None:
    _, pop, _ = await _ring_and_pop(pops)
    assert pop["status"] == "none" and pop["screen_pop"]["type"] == "newRecord"
    # The agent saves the new Contact from the pop, and Salesforce shows it.
    made = await pops.sf.create_record(
        pops.org_id, "Contact", {"LastName": "New", "Phone": "(415) 555-1212"}
    )
    ring_pops = pops.center.services.salesforce.ring_pops
    await ring_pops.record_opened(pops.center.tenant.id, pop["call_id"])
    await ring_pops.record_opened(pops.center.tenant.id, pop["call_id"])  # once is enough
    pops.phone.received.clear()
    _, again, _ = await _ring_and_pop(pops)
    assert again["status"] == "found" and again["screen_pop"]["params"]["recordId"] == made
