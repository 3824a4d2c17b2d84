"""REST data API over HTTP: query, search, sobjects, composite, errors, org isolation."""

from __future__ import annotations

from typing import Any

from devorg.testing import ReadyOrg, RunningDevorg, ScrtKeyPair


async def call(
    sf: RunningDevorg, org: ReadyOrg, method: str, tail: str, **kwargs: Any
) -> tuple[int, Any]:
    url = f"{sf.base_url}/services/data/v68.0/{tail}"
    async with sf.session.request(method, url, headers=org.auth, **kwargs) as response:
        body = await response.json() if response.status != 204 else None
        return response.status, body


async def test_versions_need_no_session(sf: RunningDevorg) -> None:
    async with sf.session.get(f"{sf.base_url}/services/data/") as response:
        versions = await response.json()
    assert versions[-1] == {"label": "Winter '27", "url": "/services/data/v68.0", "version": "68.0"}


async def test_missing_token_and_unknown_version(sf: RunningDevorg, acme: ReadyOrg) -> None:
    async with sf.session.get(f"{sf.base_url}/services/data/v68.0/query?q=x") as response:
        assert response.status == 401
        assert (await response.json())[0]["errorCode"] == "INVALID_SESSION_ID"
    status, body = await call(sf, acme, "GET", "../v99.0/query")
    assert status == 404


async def test_discovery_queries(sf: RunningDevorg, acme: ReadyOrg) -> None:
    status, body = await call(
        sf, acme, "GET", "query", params={"q": "SELECT Id, IsSandbox FROM Organization LIMIT 1"}
    )
    assert status == 200 and body["records"][0]["Id"] == acme.org_id
    status, body = await call(
        sf,
        acme,
        "GET",
        "query",
        params={"q": "SELECT InternalName FROM CallCenter WHERE InternalName LIKE 'SIVO_%'"},
    )
    assert [r["InternalName"] for r in body["records"]] == ["SIVO_Test"]


async def test_syntax_error_is_400_malformed_query(sf: RunningDevorg, acme: ReadyOrg) -> None:
    status, body = await call(sf, acme, "GET", "query", params={"q": "SELEC Id FROM User"})
    assert status == 400
    assert body[0]["errorCode"] == "MALFORMED_QUERY" and set(body[0]) >= {"message", "errorCode"}


async def test_create_get_patch_contact_and_errors(sf: RunningDevorg, acme: ReadyOrg) -> None:
    status, created = await call(
        sf, acme, "POST", "sobjects/Contact", json={"LastName": "Smith", "Phone": "(415) 555-1212"}
    )
    assert status == 201 and created["success"] is True and created["id"].startswith("003")
    contact_id = created["id"]
    assert (
        await call(sf, acme, "PATCH", f"sobjects/Contact/{contact_id}", json={"FirstName": "Jo"})
    )[0] == 204
    status, record = await call(
        sf, acme, "GET", f"sobjects/Contact/{contact_id[:15]}", params={"fields": "Name,Phone"}
    )
    assert status == 200 and record["Name"] == "Jo Smith"
    status, errors = await call(sf, acme, "POST", "sobjects/Contact", json={"FirstName": "x"})
    assert status == 400 and errors[0] == {
        "message": "Required fields are missing: [LastName]",
        "errorCode": "REQUIRED_FIELD_MISSING",
        "fields": ["LastName"],
    }
    status, errors = await call(
        sf, acme, "PATCH", f"sobjects/Contact/{contact_id}", json={"Name": "x"}
    )
    assert errors[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    status, errors = await call(
        sf, acme, "PATCH", f"sobjects/Contact/{contact_id}", json={"Bogus": 1}
    )
    assert status == 400 and errors[0]["errorCode"] == "INVALID_FIELD"
    status, errors = await call(sf, acme, "GET", "sobjects/Account/001000000000000AAA")
    assert status == 404 and errors[0]["errorCode"] == "NOT_FOUND"


async def test_case_mirrors_contact_phone_and_task_is_created(
    sf: RunningDevorg, acme: ReadyOrg
) -> None:
    _, contact = await call(
        sf, acme, "POST", "sobjects/Contact", json={"LastName": "Lee", "Phone": "555"}
    )
    _, case = await call(sf, acme, "POST", "sobjects/Case", json={"ContactId": contact["id"]})
    _, record = await call(sf, acme, "GET", f"sobjects/Case/{case['id']}")
    assert record["ContactPhone"] == "555" and record["Status"] == "New"
    status, task = await call(
        sf,
        acme,
        "POST",
        "sobjects/Task",
        json={
            "Subject": "Call",
            "WhoId": contact["id"],
            "CallType": "Inbound",
            "CallDurationInSeconds": 42,
            "TaskSubtype": "Call",
        },
    )
    assert status == 201 and task["id"].startswith("00T")


async def test_voice_objects_are_read_only(sf: RunningDevorg, acme: ReadyOrg) -> None:
    status, errors = await call(sf, acme, "POST", "sobjects/VoiceCall", json={})
    assert status == 405 and errors[0]["errorCode"] == "METHOD_NOT_ALLOWED"


async def test_search_and_parameterized_search(sf: RunningDevorg, acme: ReadyOrg) -> None:
    await call(
        sf, acme, "POST", "sobjects/Contact", json={"LastName": "Smith", "Phone": "(415) 555-1212"}
    )
    sosl = r"FIND {\+14155551212} IN PHONE FIELDS RETURNING Contact(Id, Name, Phone)"
    status, body = await call(sf, acme, "GET", "search", params={"q": sosl})
    assert status == 200 and [r["Name"] for r in body["searchRecords"]] == ["Smith"]
    status, body = await call(
        sf, acme, "GET", "search", params={"q": "FIND {+14155551212} IN PHONE FIELDS"}
    )
    assert status == 400 and body[0]["errorCode"] == "MALFORMED_SEARCH"
    status, body = await call(
        sf,
        acme,
        "GET",
        "parameterizedSearch",
        params={
            "q": "+14155551212",
            "in": "PHONE",
            "sobject": "Contact",
            "Contact.fields": "Id,Phone",
        },
    )
    assert status == 200 and body["searchRecords"][0]["Phone"] == "(415) 555-1212"
    status, body = await call(
        sf,
        acme,
        "POST",
        "parameterizedSearch",
        json={"q": "smith", "sobjects": [{"name": "Contact", "fields": ["Name"]}]},
    )
    assert [r["Name"] for r in body["searchRecords"]] == ["Smith"]


async def test_composite_with_references(sf: RunningDevorg, acme: ReadyOrg) -> None:
    status, body = await call(
        sf,
        acme,
        "POST",
        "composite",
        json={
            "compositeRequest": [
                {
                    "method": "POST",
                    "url": "/services/data/v68.0/sobjects/Account",
                    "referenceId": "acct",
                    "body": {"Name": "Acme"},
                },
                {
                    "method": "POST",
                    "url": "/services/data/v68.0/sobjects/Contact",
                    "referenceId": "c",
                    "body": {"LastName": "Smith", "AccountId": "@{acct.id}"},
                },
                {
                    "method": "GET",
                    "url": "/services/data/v68.0/sobjects/Contact/@{c.id}?fields=AccountId",
                    "referenceId": "read",
                },
            ]
        },
    )
    assert status == 200
    responses = body["compositeResponse"]
    assert [r["httpStatusCode"] for r in responses] == [201, 201, 200]
    assert responses[2]["body"]["AccountId"] == responses[0]["body"]["id"]


async def test_composite_all_or_none_rolls_back(sf: RunningDevorg, acme: ReadyOrg) -> None:
    _, body = await call(
        sf,
        acme,
        "POST",
        "composite",
        json={
            "allOrNone": True,
            "compositeRequest": [
                {
                    "method": "POST",
                    "url": "/services/data/v68.0/sobjects/Account",
                    "referenceId": "ok",
                    "body": {"Name": "Rolled back"},
                },
                {
                    "method": "POST",
                    "url": "/services/data/v68.0/sobjects/Contact",
                    "referenceId": "bad",
                    "body": {"FirstName": "no last name"},
                },
            ],
        },
    )
    codes = [r["body"][0]["errorCode"] for r in body["compositeResponse"]]
    assert codes == ["PROCESSING_HALTED", "REQUIRED_FIELD_MISSING"]
    _, result = await call(sf, acme, "GET", "query", params={"q": "SELECT Id FROM Account"})
    assert result["totalSize"] == 0


async def test_two_orgs_never_see_each_other(
    sf: RunningDevorg, acme: ReadyOrg, scrt_keys: ScrtKeyPair
) -> None:
    globex = await sf.setup_org("Globex", "hank@globex.test")
    _, created = await call(sf, acme, "POST", "sobjects/Account", json={"Name": "Acme only"})
    _, seen = await call(sf, globex, "GET", "query", params={"q": "SELECT Name FROM Account"})
    assert seen["totalSize"] == 0
    status, _ = await call(sf, globex, "GET", f"sobjects/Account/{created['id']}")
    assert status == 404
    status, errors = await call(
        sf, globex, "POST", "sobjects/Contact", json={"LastName": "x", "AccountId": created["id"]}
    )
    assert errors[0]["errorCode"] == "INVALID_CROSS_REFERENCE_KEY"
    _, users = await call(sf, globex, "GET", "query", params={"q": "SELECT Username FROM User"})
    assert [u["Username"] for u in users["records"]] == ["hank@globex.test"]
