"""REST surfaces beyond query: delete, upsert by external ID, describe, limits, OAuth scheme."""

from __future__ import annotations

from typing import Any

from devorg.testing import ReadyOrg, RunningDevorg, running_devorg


async def call(
    sf: RunningDevorg, org: ReadyOrg, method: str, tail: str, version: str = "68.0", **kwargs: Any
) -> tuple[int, Any]:
    url = f"{sf.base_url}/services/data/v{version}/{tail}"
    headers = {**org.auth, **kwargs.pop("headers", {})}
    async with sf.session.request(method, url, headers=headers, **kwargs) as response:
        body = await response.json() if response.status != 204 else None
        return response.status, body


async def test_delete_then_entity_is_deleted(sf: RunningDevorg, acme: ReadyOrg) -> None:
    status, created = await call(sf, acme, "POST", "sobjects/Account", json={"Name": "Doomed"})
    account_id = created["id"]
    status, body = await call(sf, acme, "DELETE", f"sobjects/Account/{account_id}")
    assert (status, body) == (204, None)
    gone = [{"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED", "fields": []}]
    for method in ("GET", "DELETE", "PATCH"):
        status, errors = await call(
            sf, acme, method, f"sobjects/Account/{account_id[:15]}", json={"Name": "x"}
        )
        assert (status, errors) == (404, gone), method
    status, errors = await call(sf, acme, "DELETE", "sobjects/Account/0015g000000zzzzAAA")
    assert status == 404 and errors[0]["errorCode"] == "NOT_FOUND"
    status, errors = await call(sf, acme, "DELETE", f"sobjects/User/{acme.user_id}")
    assert status == 405 and errors[0]["errorCode"] == "METHOD_NOT_ALLOWED"


async def test_upsert_by_external_id(sf: RunningDevorg, acme: ReadyOrg) -> None:
    path = "sobjects/Contact/External_Id__c/crm-42"
    status, created = await call(sf, acme, "PATCH", path, json={"LastName": "Lovelace"})
    assert status == 201 and created["created"] is True and created["success"] is True
    assert created["errors"] == [] and created["id"].startswith("003")
    status, updated = await call(sf, acme, "PATCH", path, json={"FirstName": "Ada"})
    assert (status, updated) == (
        200,
        {"id": created["id"], "success": True, "errors": [], "created": False},
    )
    status, record = await call(sf, acme, "GET", "sobjects/Contact/External_Id__c/CRM-42")
    assert status == 200 and record["Name"] == "Ada Lovelace" and record["Id"] == created["id"]
    # Before API 46.0 an update answers 204 and a create has no "created".
    status, body = await call(sf, acme, "PATCH", path, "45.0", json={"Title": "Countess"})
    assert (status, body) == (204, None)
    status, body = await call(
        sf, acme, "PATCH", "sobjects/Contact/External_Id__c/crm-43", "45.0", json={"LastName": "B"}
    )
    assert status == 201 and "created" not in body
    status, errors = await call(
        sf, acme, "PATCH", "sobjects/Contact/Email/x@y.test", json={"LastName": "C"}
    )
    assert status == 404 and errors[0]["errorCode"] == "NOT_FOUND"
    assert "Provided external ID field does not exist" in errors[0]["message"]
    status, errors = await call(
        sf,
        acme,
        "PATCH",
        "sobjects/Contact/External_Id__c/nobody",
        params={"updateOnly": "true"},
        json={"LastName": "D"},
    )
    assert status == 404
    # External IDs are unique: another record cannot take one.
    status, errors = await call(
        sf, acme, "POST", "sobjects/Contact", json={"LastName": "E", "External_Id__c": "CRM-42"}
    )
    assert status == 400 and errors[0]["errorCode"] == "DUPLICATE_VALUE"
    status, body = await call(sf, acme, "DELETE", "sobjects/Contact/External_Id__c/crm-43")
    assert status == 204


async def test_describe_and_global_describe(sf: RunningDevorg, acme: ReadyOrg) -> None:
    status, described = await call(sf, acme, "GET", "sobjects/Contact/describe")
    assert status == 200
    assert (described["name"], described["keyPrefix"], described["label"]) == (
        "Contact",
        "003",
        "Contact",
    )
    assert described["createable"] and described["deletable"] and described["queryable"]
    fields = {f["name"]: f for f in described["fields"]}
    assert fields["LastName"]["nillable"] is False and fields["LastName"]["createable"] is True
    assert fields["LastName"]["length"] == 80 and fields["LastName"]["type"] == "string"
    assert fields["Name"]["createable"] is False and fields["Name"]["nameField"] is True
    assert fields["Id"]["type"] == "id" and fields["Id"]["nillable"] is False
    assert fields["AccountId"]["referenceTo"] == ["Account"]
    assert fields["AccountId"]["relationshipName"] == "Account"
    assert fields["External_Id__c"]["externalId"] is True and fields["External_Id__c"]["custom"]
    assert fields["Phone"]["type"] == "phone" and fields["Phone"]["label"] == "Phone"
    assert fields["IsDeleted"]["type"] == "boolean" and fields["IsDeleted"]["updateable"] is False
    status, case = await call(sf, acme, "GET", "sobjects/Case/describe")
    statuses = {f["name"]: f for f in case["fields"]}["Status"]["picklistValues"]
    assert [p["value"] for p in statuses if p["defaultValue"]] == ["New"]
    status, account = await call(sf, acme, "GET", "sobjects/Account/describe")
    children = {(c["childSObject"], c["field"]): c for c in account["childRelationships"]}
    assert children[("Contact", "AccountId")]["relationshipName"] == "Contacts"
    status, voice = await call(sf, acme, "GET", "sobjects/VoiceCall/describe")
    assert voice["createable"] is False and voice["label"] == "Voice Call"
    status, everything = await call(sf, acme, "GET", "sobjects")
    assert everything["encoding"] == "UTF-8" and everything["maxBatchSize"] == 200
    names = [o["name"] for o in everything["sobjects"]]
    assert {"Account", "Contact", "Case", "Task", "VoiceCall"} <= set(names)
    assert names == sorted(names)
    contact = next(o for o in everything["sobjects"] if o["name"] == "Contact")
    assert contact["urls"]["describe"] == "/services/data/v68.0/sobjects/Contact/describe"
    status, basic = await call(sf, acme, "GET", "sobjects/Contact")
    assert basic["objectDescribe"]["keyPrefix"] == "003" and basic["recentItems"] == []
    status, errors = await call(sf, acme, "GET", "sobjects/Bogus/describe")
    assert status == 404


async def test_limits_and_limit_info_header(sf: RunningDevorg, acme: ReadyOrg) -> None:
    url = f"{sf.base_url}/services/data/v68.0/limits"
    async with sf.session.get(url, headers=acme.auth) as response:
        limits = await response.json()
        first = response.headers["Sforce-Limit-Info"]
    assert limits["DailyApiRequests"]["Max"] == 15000
    used = 15000 - limits["DailyApiRequests"]["Remaining"]
    assert first == f"api-usage={used}/15000"
    async with sf.session.get(url, headers=acme.auth) as response:
        assert response.headers["Sforce-Limit-Info"] == f"api-usage={used + 1}/15000"
    async with sf.session.get(f"{sf.base_url}/services/data/") as response:
        assert "Sforce-Limit-Info" not in response.headers  # Versions does not count


async def test_request_limit_exceeded() -> None:
    async with running_devorg(daily_api_requests=3) as sf:
        acme = await sf.setup_org("Acme", "ada@acme.test")
        statuses = [(await call(sf, acme, "GET", "limits"))[0] for _ in range(4)]
        assert statuses == [200, 200, 200, 403]
        status, errors = await call(sf, acme, "GET", "limits")
        assert errors == [
            {
                "message": "TotalRequests Limit exceeded.",
                "errorCode": "REQUEST_LIMIT_EXCEEDED",
                "fields": [],
            }
        ]
        await sf.control("POST", "clock", {"advanceSeconds": 24 * 3600})
        fresh = await sf.login("ada@acme.test")  # the old token expired too
        async with sf.session.get(
            f"{sf.base_url}/services/data/v68.0/limits",
            headers={"Authorization": f"Bearer {fresh['access_token']}"},
        ) as response:
            assert response.status == 200  # a rolling 24 hours


async def test_oauth_scheme_is_accepted_like_bearer(sf: RunningDevorg, acme: ReadyOrg) -> None:
    for scheme in ("OAuth", "oauth", "Bearer"):
        status, body = await call(
            sf,
            acme,
            "GET",
            "query",
            params={"q": "SELECT Id FROM Organization"},
            headers={"Authorization": f"{scheme} {acme.access_token}"},
        )
        assert status == 200, scheme
    async with sf.session.get(
        f"{sf.base_url}/services/oauth2/userinfo",
        headers={"Authorization": f"OAuth {acme.access_token}"},
    ) as response:
        assert response.status == 200
    status, errors = await call(
        sf, acme, "GET", "limits", headers={"Authorization": f"Basic {acme.access_token}"}
    )
    assert status == 401 and errors[0]["errorCode"] == "INVALID_SESSION_ID"


async def test_snapshot_keeps_the_recycle_bin(sf: RunningDevorg, acme: ReadyOrg) -> None:
    status, created = await call(sf, acme, "POST", "sobjects/Case", json={"Subject": "Gone"})
    await call(sf, acme, "DELETE", f"sobjects/Case/{created['id']}")
    store = sf.devorg.store
    store.load_json(store.to_json())
    status, body = await call(
        sf, acme, "GET", "queryAll", params={"q": "SELECT Id, IsDeleted FROM Case"}
    )
    assert [(r["Id"], r["IsDeleted"]) for r in body["records"]] == [(created["id"], True)]
    status, errors = await call(sf, acme, "GET", f"sobjects/Case/{created['id']}")
    assert errors[0]["errorCode"] == "ENTITY_IS_DELETED"
