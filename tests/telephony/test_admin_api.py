"""Admin REST for agents, queues, numbers, settings and agent tokens: validation, isolation."""

from __future__ import annotations

from tests.support.api import new_tenant

from .conftest import NUMBER, Center


async def test_crud_validation_and_tenant_isolation(center: Center) -> None:
    agent = await center.api(
        "POST",
        "/api/v1/agents",
        {
            "name": "Ann",
            "email": "Ann@Example.com",
            "extension": "201",
            "queue_ids": [center.queue_id],
        },
        status=201,
    )
    assert agent["email"] == "ann@example.com" and agent["queue_ids"] == [center.queue_id]
    err = await center.api(
        "POST",
        "/api/v1/agents",
        {"name": "Bob", "email": "bob@example.com", "extension": "202", "queue_ids": ["q_nope"]},
        status=422,
    )
    assert err["error"]["field"] == "queue_ids"
    dup = {"name": "Ann2", "email": "ann@example.com", "extension": "203", "queue_ids": []}
    assert (await center.api("POST", "/api/v1/agents", dup, status=409))["error"][
        "code"
    ] == "conflict"
    assert len((await center.api("GET", "/api/v1/agents"))["data"]) == 1  # nothing half-stored

    taken = {"number": NUMBER, "queue_id": center.queue_id}
    await center.api("POST", "/api/v1/numbers", taken, status=409)
    bad = {"number": "555-1234", "queue_id": center.queue_id}
    assert (await center.api("POST", "/api/v1/numbers", bad, status=422))["error"][
        "field"
    ] == "number"
    overflow_self = {"overflow": {"action": "queue", "queue_id": center.queue_id}}
    await center.api("PATCH", f"/api/v1/queues/{center.queue_id}", overflow_self, status=422)
    await center.api("DELETE", f"/api/v1/queues/{center.queue_id}", status=409)  # a number uses it

    other = await new_tenant(center.client, "Other")
    for path in (f"/api/v1/agents/{agent['id']}", f"/api/v1/queues/{center.queue_id}"):
        await center.api("GET", path, status=404, tenant=other)
        await center.api("DELETE", path, status=404, tenant=other)
    await center.api("POST", f"/api/v1/agents/{agent['id']}/tokens", {}, status=404, tenant=other)
    assert (await center.api("GET", "/api/v1/numbers", tenant=other))["data"] == []

    minted = await center.api(
        "POST", f"/api/v1/agents/{agent['id']}/tokens", {"ttl_s": 600}, status=201
    )
    assert minted["agent_id"] == agent["id"] and minted["token"].count(".") == 2
    await center.api("POST", f"/api/v1/agents/{agent['id']}/tokens", {"ttl_s": 7200}, status=422)

    settings = await center.api("GET", "/api/v1/telephony/settings")
    assert "lunch" in settings["pause_reasons"] and settings["record_calls"] is True
    updated = await center.api("PUT", "/api/v1/telephony/settings", {"pause_reasons": ["coffee"]})
    assert updated["pause_reasons"] == ["coffee"]
    await center.api("PUT", "/api/v1/telephony/settings", {"pause_reasons": ["Bad!"]}, status=422)
    await center.api("DELETE", f"/api/v1/agents/{agent['id']}", status=204)
    await center.api("GET", f"/api/v1/agents/{agent['id']}", status=404)
