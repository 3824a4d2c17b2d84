"""simple-salesforce (a real client, not written here) against devorg over verified HTTPS.

The client logs in with the access token and ``instance_url`` of devorg's OAuth flow and uses
its own code paths: ``query``/``query_more``/``query_all`` (paging by ``nextRecordsUrl``),
``SFType`` create/update/upsert/get/delete/describe, ``describe``, ``limits``, the
``Sforce-Limit-Info`` parsing, and ``restful`` for sObject Collections. simple-salesforce is
synchronous (requests), so it runs in a worker thread while devorg serves on the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceResourceNotFound

from devorg.testing import ReadyOrg, RunningDevorg, running_devorg

ROWS = 2150  # more than one 2,000-record batch


@pytest.fixture
async def tls_sf() -> AsyncIterator[RunningDevorg]:
    async with running_devorg(tls=True) as running:
        yield running


@pytest.fixture
async def tls_acme(tls_sf: RunningDevorg) -> ReadyOrg:
    return await tls_sf.setup_org("Acme", "ada@acme.test")


def client(sf: RunningDevorg, org: ReadyOrg, *, verify: Any = None) -> Salesforce:
    session = requests.Session()
    # requests lets $REQUESTS_CA_BUNDLE override session.verify; ignore the environment (and
    # its proxies: everything stays on the loopback) so that the CA given here is the one used.
    session.trust_env = False
    session.verify = str(sf.ca_file) if verify is None else verify
    return Salesforce(
        instance_url=org.tokens["instance_url"], session_id=org.access_token, session=session
    )


def exercise(api: Salesforce) -> dict[str, Any]:
    """Everything the client does, in one thread; returns what the test asserts on."""
    out: dict[str, Any] = {}
    for start in range(0, ROWS, 200):
        records = [
            {"attributes": {"type": "Contact"}, "LastName": f"Row{n:05d}"}
            for n in range(start, min(ROWS, start + 200))
        ]
        results = api.restful(
            "composite/sobjects", method="POST", json={"allOrNone": True, "records": records}
        )
        assert results is not None and all(r["success"] for r in results)
    first = api.query("SELECT Id, LastName FROM Contact ORDER BY LastName")
    out["first"] = (first["totalSize"], first["done"], len(first["records"]))
    more = api.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    out["more"] = (more["done"], len(more["records"]))
    everything = api.query_all("SELECT Id, LastName FROM Contact ORDER BY LastName")
    out["all"] = (everything["totalSize"], [r["LastName"] for r in everything["records"]])

    created = api.Contact.create({"LastName": "Hopper", "Phone": "(415) 555-1212"})
    contact_id = created["id"]
    out["created"] = created
    out["update_status"] = api.Contact.update(contact_id, {"FirstName": "Grace"})
    out["fetched"] = api.Contact.get(contact_id)["Name"]
    out["upsert_new"] = api.Contact.upsert("External_Id__c/ext-1", {"LastName": "Turing"})
    out["upsert_again"] = api.Contact.upsert("External_Id__c/ext-1", {"FirstName": "Alan"})
    out["by_external_id"] = api.Contact.get_by_custom_id("External_Id__c", "ext-1")["Name"]
    out["delete_status"] = api.Contact.delete(contact_id)
    try:
        api.Contact.get(contact_id)
    except SalesforceResourceNotFound as exc:
        out["after_delete"] = exc.content
    deleted = api.query_all("SELECT Id FROM Contact WHERE IsDeleted = true", include_deleted=True)
    out["deleted_ids"] = [r["Id"] for r in deleted["records"]]

    described = api.Contact.describe()
    out["describe"] = {f["name"]: f for f in described["fields"]}
    out["global"] = [o["name"] for o in (api.describe() or {})["sobjects"]]
    out["limits"] = api.limits()["DailyApiRequests"]
    usage = api.api_usage["api-usage"]
    out["api_usage"] = (usage.used, usage.total)
    return out


async def test_simple_salesforce_end_to_end(tls_sf: RunningDevorg, tls_acme: ReadyOrg) -> None:
    out = await asyncio.to_thread(exercise, client(tls_sf, tls_acme))
    assert out["first"] == (ROWS, False, 2000)
    assert out["more"] == (True, ROWS - 2000)
    total, names = out["all"]
    assert total == ROWS and names == [f"Row{n:05d}" for n in range(ROWS)]
    assert out["created"]["success"] is True and out["created"]["id"].startswith("003")
    assert out["update_status"] == 204
    assert out["fetched"] == "Grace Hopper"
    assert out["upsert_new"] == 201 and out["upsert_again"] == 200  # API 59.0: 200 on update
    assert out["by_external_id"] == "Alan Turing"
    assert out["delete_status"] == 204
    assert out["after_delete"][0]["errorCode"] == "ENTITY_IS_DELETED"
    assert out["deleted_ids"] == [out["created"]["id"]]
    fields = out["describe"]
    assert fields["LastName"]["nillable"] is False and fields["External_Id__c"]["externalId"]
    assert {"Account", "Contact", "Case", "VoiceCall"} <= set(out["global"])
    assert out["limits"]["Max"] == 15000
    used, total_calls = out["api_usage"]
    assert total_calls == 15000 and used == 15000 - out["limits"]["Remaining"]  # same call


async def test_simple_salesforce_verifies_the_certificate(
    tls_sf: RunningDevorg, tls_acme: ReadyOrg
) -> None:
    api = client(tls_sf, tls_acme, verify=True)  # system CAs only: devorg's CA is unknown
    with pytest.raises(requests.exceptions.SSLError):
        await asyncio.to_thread(api.limits)
