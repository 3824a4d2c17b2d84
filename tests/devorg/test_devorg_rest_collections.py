"""sObject Collections: create, update, upsert, retrieve, delete, allOrNone rollbacks."""

from __future__ import annotations

from typing import Any

from devorg.testing import ReadyOrg, RunningDevorg

ROLLED_BACK = "ALL_OR_NONE_OPERATION_ROLLED_BACK"


async def call(
    sf: RunningDevorg, org: ReadyOrg, method: str, tail: str, **kwargs: Any
) -> tuple[int, Any]:
    url = f"{sf.base_url}/services/data/v68.0/{tail}"
    async with sf.session.request(method, url, headers=org.auth, **kwargs) as response:
        return response.status, await response.json() if response.status != 204 else None


def contact(**fields: Any) -> dict[str, Any]:
    return {"attributes": {"type": "Contact"}, **fields}


async def count(sf: RunningDevorg, org: ReadyOrg, soql: str) -> int:
    status, body = await call(sf, org, "GET", "query", params={"q": soql})
    return int(body["totalSize"])


async def test_create_update_retrieve_delete(sf: RunningDevorg, acme: ReadyOrg) -> None:
    body = {
        "allOrNone": False,
        "records": [
            contact(LastName="One"),
            contact(FirstName="no last name"),
            {"attributes": {"type": "Account"}, "Name": "Acme Corp"},
        ],
    }
    status, results = await call(sf, acme, "POST", "composite/sobjects", json=body)
    assert status == 200 and [r["success"] for r in results] == [True, False, True]
    assert results[1] == {
        "success": False,
        "errors": [
            {
                "statusCode": "REQUIRED_FIELD_MISSING",
                "message": "Required fields are missing: [LastName]",
                "fields": ["LastName"],
            }
        ],
    }
    one, account = results[0]["id"], results[2]["id"]
    update = {
        "records": [
            contact(id=one, Phone="(415) 555-1212", AccountId=account),
            contact(id="0035g000000zzzzAAA", LastName="ghost"),
        ]
    }
    status, results = await call(sf, acme, "PATCH", "composite/sobjects", json=update)
    assert results[0] == {"id": one, "success": True, "errors": []}
    assert results[1]["errors"][0]["statusCode"] == "INVALID_CROSS_REFERENCE_KEY"
    status, records = await call(
        sf,
        acme,
        "GET",
        "composite/sobjects/Contact",
        params={"ids": f"{one},0035g000000zzzzAAA", "fields": "Phone,Account.Name"},
    )
    assert records[0]["Phone"] == "(415) 555-1212" and records[0]["Account"]["Name"] == "Acme Corp"
    assert records[1] is None
    status, results = await call(
        sf, acme, "DELETE", "composite/sobjects", params={"ids": f"{one},{account},bogus"}
    )
    assert [r["success"] for r in results] == [True, True, False]
    assert results[2]["errors"][0]["statusCode"] == "MALFORMED_ID"
    status, results = await call(sf, acme, "DELETE", "composite/sobjects", params={"ids": one})
    assert results == [
        {
            "id": one,
            "success": False,
            "errors": [
                {"statusCode": "ENTITY_IS_DELETED", "message": "entity is deleted", "fields": []}
            ],
        }
    ]


async def test_all_or_none_rolls_back(sf: RunningDevorg, acme: ReadyOrg) -> None:
    body = {"allOrNone": True, "records": [contact(LastName="Kept?"), contact(Email="x@y.test")]}
    status, results = await call(sf, acme, "POST", "composite/sobjects", json=body)
    assert status == 200
    assert results[0] == {
        "success": False,
        "errors": [
            {
                "statusCode": ROLLED_BACK,
                "message": "Record rolled back because not all records were valid and the "
                "request was using AllOrNone header",
                "fields": [],
            }
        ],
    }
    assert results[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert await count(sf, acme, "SELECT Id FROM Contact") == 0
    status, results = await call(
        sf, acme, "POST", "composite/sobjects", json={"records": [contact(LastName="A")]}
    )
    kept = results[0]["id"]
    status, results = await call(
        sf,
        acme,
        "DELETE",
        "composite/sobjects",
        params={"ids": f"{kept},0035g000000zzzzAAA", "allOrNone": "true"},
    )
    assert results[0]["errors"][0]["statusCode"] == ROLLED_BACK and results[0]["id"] == kept
    assert await count(sf, acme, "SELECT Id FROM Contact") == 1


async def test_upsert_collection(sf: RunningDevorg, acme: ReadyOrg) -> None:
    records = [
        contact(External_Id__c="e-1", LastName="First"),
        contact(External_Id__c="e-2", LastName="Second"),
    ]
    status, results = await call(
        sf, acme, "PATCH", "composite/sobjects/Contact/External_Id__c", json={"records": records}
    )
    assert [r["created"] for r in results] == [True, True]
    records = [contact(External_Id__c="E-1", Title="Boss"), contact(LastName="no key")]
    status, results = await call(
        sf, acme, "PATCH", "composite/sobjects/Contact/External_Id__c", json={"records": records}
    )
    assert results[0]["created"] is False and results[0]["success"] is True
    assert results[1]["errors"][0]["statusCode"] == "MISSING_ARGUMENT"
    assert await count(sf, acme, "SELECT Id FROM Contact WHERE Title = 'Boss'") == 1
    status, errors = await call(
        sf, acme, "PATCH", "composite/sobjects/Contact/LastName", json={"records": records}
    )
    assert status == 404 and errors[0]["errorCode"] == "NOT_FOUND"


async def test_request_shape_errors(sf: RunningDevorg, acme: ReadyOrg) -> None:
    too_many = {"records": [contact(LastName=f"n{i}") for i in range(201)]}
    status, errors = await call(sf, acme, "POST", "composite/sobjects", json=too_many)
    assert status == 400 and errors[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
    status, errors = await call(
        sf, acme, "POST", "composite/sobjects", json={"records": [{"LastName": "untyped"}]}
    )
    assert status == 400 and errors[0]["errorCode"] == "INVALID_INPUT"
    status, results = await call(
        sf,
        acme,
        "POST",
        "composite/sobjects",
        json={
            "records": [
                contact(id="0035g000000zzzzAAA", LastName="x"),
                {"attributes": {"type": "VoiceCall"}},
            ]
        },
    )
    assert results[0]["errors"][0]["statusCode"] == "INVALID_FIELD"
    assert results[1]["errors"][0]["statusCode"] == "INVALID_TYPE_FOR_OPERATION"
    status, errors = await call(sf, acme, "GET", "composite/sobjects")
    assert status == 405
    url = f"{sf.base_url}/services/data/v41.0/composite/sobjects"
    async with sf.session.post(url, headers=acme.auth, json={"records": []}) as response:
        assert response.status == 404  # sObject Collections start at API 42.0
