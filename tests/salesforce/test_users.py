"""Auto-import SF users: every active standard user, matched to agents by email, the rest
made agents in one call; idempotent; a user deactivated in Salesforce is flagged."""

from __future__ import annotations

from typing import Any

from devorg.testing import RunningDevorg
from tests.conftest import AppFactory

from .conftest import connect, sivo_admin

ADMIN = "ada@acme.test"


async def test_import_matches_by_email_creates_the_rest_and_flags_the_deactivated(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    org = await sf.create_org("Acme")
    org_id = org["orgId"]
    await sf.create_call_center(org_id, "SIVO_Acme")
    await sf.create_user(org_id, ADMIN, first_name="Ada", last_name="Admin", email=ADMIN)
    bo = await sf.create_user(
        org_id, "bo@acme.test", first_name="Bo", last_name="Li", email="Bo@Acme.test"
    )
    cy = await sf.create_user(
        org_id, "cy@acme.test", first_name="Cy", last_name="Ng", email="cy@acme.test"
    )
    await sf.create_user(org_id, "old@acme.test", last_name="Gone", is_active=False)
    await sf.create_user(org_id, "bot@acme.test", last_name="Bot", user_type="AutomatedProcess")
    sivo = await sivo_admin(make_client, sf)
    queue = await (
        await sivo.client.post("/api/v1/queues", json={"name": "Support"}, headers=sivo.api)
    ).json()
    agent = await (
        await sivo.client.post(
            "/api/v1/agents",
            json={"name": "Bo", "email": "bo@acme.test", "extension": "100"},
            headers=sivo.api,
        )
    ).json()
    await connect(sivo, sf, ADMIN)
    [found] = (await (await sivo.client.get("/api/v1/salesforce/orgs", headers=sivo.api)).json())[
        "data"
    ]
    base = f"/api/v1/salesforce/orgs/{found['id']}"

    result = await (await sivo.client.post(f"{base}/users/import", headers=sivo.api)).json()
    assert (result["imported"], result["linked"], result["unmatched"]) == (3, 1, 2)
    by_id = {u["user_id"]: u for u in result["users"]}
    assert by_id[bo]["agent_id"] == agent["id"] and by_id[bo]["state"] == "linked"  # case-blind
    assert by_id[cy]["state"] == "unmatched"

    made = await sivo.client.post(
        f"{base}/users/agents",
        json={"user_ids": [cy], "queue_ids": [queue["id"]]},
        headers=sivo.api,
    )
    assert made.status == 201, await made.text()
    [new_agent] = (await made.json())["created"]
    created = await (await sivo.client.get(f"/api/v1/agents/{new_agent}", headers=sivo.api)).json()
    assert created["email"] == "cy@acme.test" and created["queue_ids"] == [queue["id"]]
    assert created["extension"] == "101"  # the next free one: 100 is Bo's
    again = await sivo.client.post(
        f"{base}/users/agents", json={"user_ids": [cy]}, headers=sivo.api
    )
    assert again.status == 422  # linked now: not made twice

    repeat = await (await sivo.client.post(f"{base}/users/import", headers=sivo.api)).json()
    assert (repeat["imported"], repeat["linked"], repeat["unmatched"]) == (3, 2, 1)  # idempotent

    record: Any = sf.devorg.store.orgs[org_id].first("User", Id=cy)  # deactivated in Setup
    record["IsActive"] = False
    flagged = await (await sivo.client.post(f"{base}/users/import", headers=sivo.api)).json()
    assert flagged["inactive"] == 1
    gone = {u["user_id"]: u for u in flagged["users"]}[cy]
    assert gone["state"] == "inactive" and gone["agent_id"] == new_agent and not gone["is_active"]


async def test_import_follows_next_records_url_to_the_last_page(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    """2,101 active users: a page of 2,000 and one of 101 (devorg pages like Salesforce)."""
    import asyncio

    org = await sf.create_org("Big")
    org_id = org["orgId"]
    await sf.create_user(org_id, ADMIN, first_name="Ada", last_name="Admin", email=ADMIN)
    for start in range(0, 2100, 100):
        await asyncio.gather(
            *(
                sf.create_user(
                    org_id, f"u{i}@big.test", last_name=f"User {i}", email=f"u{i}@big.test"
                )
                for i in range(start, start + 100)
            )
        )
    sivo = await sivo_admin(make_client, sf)
    await connect(sivo, sf, ADMIN)
    [found] = (await (await sivo.client.get("/api/v1/salesforce/orgs", headers=sivo.api)).json())[
        "data"
    ]
    await sf.control("DELETE", "requests")
    result = await (
        await sivo.client.post(
            f"/api/v1/salesforce/orgs/{found['id']}/users/import", headers=sivo.api
        )
    ).json()
    assert result["imported"] == 2101 and len(result["users"]) == 2101
    log = (await sf.control("GET", "requests"))["requests"]
    pages = [r for r in log if "/query/01g" in str(r.get("path", ""))]
    assert len(pages) == 1  # 2,000 rows, then the locator for the last 101


async def test_agents_from_users_are_made_all_in_one_transaction_or_none(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    """Several users made agents at once: each linked, extensions in the order chosen; when
    one cannot be made (two users share an email), none is made and none is linked."""
    org = await sf.create_org("Acme")
    org_id = org["orgId"]
    await sf.create_call_center(org_id, "SIVO_Acme")
    await sf.create_user(org_id, ADMIN, first_name="Ada", last_name="Admin", email=ADMIN)
    dd = await sf.create_user(org_id, "dd@acme.test", last_name="Dee", email="dup@acme.test")
    ee = await sf.create_user(org_id, "ee@acme.test", last_name="Eve", email="dup@acme.test")
    ff = await sf.create_user(org_id, "ff@acme.test", last_name="Fay", email="ff@acme.test")
    sivo = await sivo_admin(make_client, sf)
    await connect(sivo, sf, ADMIN)
    [found] = (await (await sivo.client.get("/api/v1/salesforce/orgs", headers=sivo.api)).json())[
        "data"
    ]
    base = f"/api/v1/salesforce/orgs/{found['id']}"
    imported = await (await sivo.client.post(f"{base}/users/import", headers=sivo.api)).json()
    assert imported["unmatched"] == 4  # the admin too

    async def agents() -> list[dict[str, Any]]:
        resp = await sivo.client.get("/api/v1/agents", headers=sivo.api)
        listed: list[dict[str, Any]] = (await resp.json())["data"]
        return listed

    refused = await sivo.client.post(
        f"{base}/users/agents", json={"user_ids": [ff, dd, ee]}, headers=sivo.api
    )
    assert refused.status == 409, await refused.text()
    assert await agents() == []  # Fay's and Dee's agents were not kept either
    users = await (await sivo.client.get(f"{base}/users", headers=sivo.api)).json()
    assert {u["state"] for u in users["data"]} == {"unmatched"}

    made = await sivo.client.post(
        f"{base}/users/agents", json={"user_ids": [ff, dd]}, headers=sivo.api
    )
    assert made.status == 201, await made.text()
    created = (await made.json())["created"]
    by_id = {a["id"]: a for a in await agents()}
    assert [(by_id[a]["email"], by_id[a]["extension"]) for a in created] == [
        ("ff@acme.test", "100"),
        ("dup@acme.test", "101"),
    ]
    linked = {u["user_id"]: u for u in (await made.json())["users"]}
    assert (linked[ff]["agent_id"], linked[dd]["agent_id"]) == tuple(created)
    assert linked[ee]["state"] == "unmatched"  # its email is Dee's agent's now
