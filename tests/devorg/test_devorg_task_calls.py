"""Task's call fields as the Object Reference documents them: CallType and TaskSubtype are
restricted picklists, TaskSubtype is set on create only, WhoId is a Contact or Lead and
WhatId never a person, a deleted record or an inactive owner is refused."""

from __future__ import annotations

from typing import Any

from devorg.testing import ReadyOrg, RunningDevorg


async def call(
    sf: RunningDevorg, org: ReadyOrg, method: str, tail: str, **kwargs: Any
) -> tuple[int, Any]:
    url = f"{sf.base_url}/services/data/v68.0/{tail}"
    async with sf.session.request(method, url, headers=org.auth, **kwargs) as response:
        return response.status, await response.json() if response.status != 204 else None


CALL = {
    "Subject": "Call from +14155551212",
    "TaskSubtype": "Call",
    "CallType": "Inbound",
    "CallDurationInSeconds": 290,
    "CallObject": "call_01jd2x8k3q",
    "CallDisposition": "Resolved",
    "Status": "Completed",
    "ActivityDate": "2026-11-21",
}


async def _create(sf: RunningDevorg, org: ReadyOrg, **fields: Any) -> tuple[int, Any]:
    return await call(sf, org, "POST", "sobjects/Task", json={**CALL, **fields})


async def test_a_logged_call_is_a_completed_call_task(sf: RunningDevorg, acme: ReadyOrg) -> None:
    status, contact = await call(sf, acme, "POST", "sobjects/Contact", json={"LastName": "Rivera"})
    status, created = await _create(sf, acme, WhoId=contact["id"], OwnerId=acme.user_id)
    assert status == 201, created
    status, task = await call(sf, acme, "GET", f"sobjects/Task/{created['id']}")
    assert {k: task[k] for k in CALL} == CALL
    assert task["IsClosed"] is True and task["WhoId"] == contact["id"]
    q = "SELECT Id FROM Task WHERE CallObject = 'call_01jd2x8k3q' LIMIT 1"
    status, found = await call(sf, acme, "GET", "query", params={"q": q})
    assert [r["Id"] for r in found["records"]] == [created["id"]]
    status, errors = await call(
        sf, acme, "PATCH", f"sobjects/Task/{created['id']}", json={"TaskSubtype": "Task"}
    )
    assert status == 400 and errors[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    status, described = await call(sf, acme, "GET", "sobjects/Task/describe")
    by_name = {f["name"]: f for f in described["fields"]}
    assert by_name["TaskSubtype"]["restrictedPicklist"] and not by_name["TaskSubtype"]["updateable"]
    assert by_name["CallType"]["restrictedPicklist"] and by_name["CallType"]["updateable"]


async def test_restricted_picklists_refuse_other_values(sf: RunningDevorg, acme: ReadyOrg) -> None:
    for field, value in (("CallType", "Transfer"), ("TaskSubtype", "Phone")):
        status, errors = await _create(sf, acme, **{field: value})
        assert status == 400 and errors == [
            {
                "message": f"bad value for restricted picklist field: {value}",
                "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                "fields": [field],
            }
        ]


async def test_who_and_what_take_the_right_records(sf: RunningDevorg, acme: ReadyOrg) -> None:
    _, account = await call(sf, acme, "POST", "sobjects/Account", json={"Name": "Acme"})
    _, contact = await call(sf, acme, "POST", "sobjects/Contact", json={"LastName": "Rivera"})
    status, errors = await _create(sf, acme, WhoId=account["id"])
    assert status == 400 and errors[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert errors[0]["fields"] == ["WhoId"] and errors[0]["message"].startswith("Contact/Lead ID")
    status, errors = await _create(sf, acme, WhatId=contact["id"])
    assert status == 400 and errors[0]["fields"] == ["WhatId"]
    assert errors[0]["message"].startswith("Related To ID: id value of incorrect type")
    status, _ = await _create(sf, acme, WhoId=contact["id"], WhatId=account["id"])
    assert status == 201


async def test_a_deleted_record_or_an_inactive_owner_is_refused(
    sf: RunningDevorg, acme: ReadyOrg
) -> None:
    _, contact = await call(sf, acme, "POST", "sobjects/Contact", json={"LastName": "Gone"})
    await call(sf, acme, "DELETE", f"sobjects/Contact/{contact['id']}")
    status, errors = await _create(sf, acme, WhoId=contact["id"])
    assert (status, errors) == (
        400,
        [{"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED", "fields": []}],
    )
    left = await sf.create_user(acme.org_id, "left@acme.test", last_name="Left", is_active=False)
    status, errors = await _create(sf, acme, OwnerId=left)
    assert status == 400 and errors[0]["errorCode"] == "INACTIVE_OWNER_OR_USER"
