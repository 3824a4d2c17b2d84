"""Junk that used to be accepted and stored, or crashed the store, is a 422 that stores
nothing: NUL and other control characters, lone surrogates, trailing newlines, CR/LF in a
webhook URL, thousands of copies of one queue id."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from server.api.context import SERVICES
from tests.conftest import AppFactory
from tests.support.api import new_tenant

Q = {"name": "Q"}


async def _post(client: Any, headers: dict[str, str], path: str, raw: str) -> Any:
    return await client.post(
        path, data=raw.encode(), headers={**headers, "Content-Type": "application/json"}
    )


@pytest.mark.parametrize(
    ("path", "raw", "field"),
    [
        ("/api/v1/agents", '{"name":"a\\u0000b","email":"a@x.io","extension":"11"}', "name"),
        ("/api/v1/agents", '{"name":"\\ud800","email":"a@x.io","extension":"11"}', "name"),
        ("/api/v1/agents", '{"name":"Ann","email":"a\\u0000@x.io","extension":"11"}', "email"),
        ("/api/v1/agents", '{"name":"Ann","email":"a@x.io","extension":"11\\n"}', "extension"),
        ("/api/v1/queues", '{"name":"Sup\\u001bport"}', "name"),
        (
            "/api/v1/webhooks/endpoints",
            '{"url":"https://127.0.0.1:9/h\\r\\nX-Evil: 1","events":["*"]}',
            "url",
        ),
        (
            "/api/v1/webhooks/endpoints",
            '{"url":"https://127.0.0.1:9/h","events":["*"],"description":"a\\u0000"}',
            "description",
        ),
    ],
)
async def test_control_characters_and_surrogates_are_refused(
    make_client: AppFactory, path: str, raw: str, field: str
) -> None:
    client = await make_client()
    tenant = await new_tenant(client)
    resp = await _post(client, tenant.headers, path, raw)
    assert resp.status in (400, 422), await resp.text()  # 400: not text at all (surrogate)
    assert (await resp.json())["error"]["field"] == field
    listed = await client.get(path, headers=tenant.headers)
    assert (await listed.json())["data"] == []  # nothing stored


async def test_a_trailing_newline_is_not_an_e164_number(make_client: AppFactory) -> None:
    client = await make_client()
    tenant = await new_tenant(client)
    queue = await (
        await client.post("/api/v1/queues", json={"name": "Q"}, headers=tenant.headers)
    ).json()
    resp = await client.post(
        "/api/v1/numbers",
        json={"number": "+18005550100\n", "queue_id": queue["id"]},
        headers=tenant.headers,
    )
    assert resp.status == 422 and (await resp.json())["error"]["field"] == "number"


async def test_copies_of_one_queue_id_cost_one_lookup_and_thousands_are_refused_unread(
    make_client: AppFactory,
) -> None:
    client = await make_client()
    tenant = await new_tenant(client)
    queue = await (
        await client.post("/api/v1/queues", json={"name": "Q"}, headers=tenant.headers)
    ).json()
    body = {
        "name": "Ann",
        "email": "ann@x.io",
        "extension": "11",
        "queue_ids": [queue["id"]] * 100,
    }
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = client.app[SERVICES].db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        resp = await client.post("/api/v1/agents", json=body, headers=tenant.headers)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert resp.status == 201 and (await resp.json())["queue_ids"] == [queue["id"]]
    assert len(statements) < 20  # was one query per copy
    statements.clear()
    event.listen(engine, "before_cursor_execute", count)
    try:
        flood = {**body, "email": "cy@x.io", "extension": "13", "queue_ids": [queue["id"]] * 8000}
        resp = await client.post("/api/v1/agents", json=flood, headers=tenant.headers)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert resp.status == 422 and (await resp.json())["error"]["field"] == "queue_ids"
    assert not [s for s in statements if "queues" in s]  # refused by the model, unread
    many = {**body, "email": "bob@x.io", "extension": "12"}
    many["queue_ids"] = [f"q_{i}" for i in range(101)]
    resp = await client.post("/api/v1/agents", json=many, headers=tenant.headers)
    assert resp.status == 422 and (await resp.json())["error"]["field"] == "queue_ids"


@pytest.mark.parametrize(
    ("email", "valid"),
    [
        ("Ada@Example.com", True),
        ("x@münchen.de", True),
        ("a@b", True),
        ("-`4@s1mdh1fx.net*", False),  # the fuzzer's: a host name has no "*"
        ("a@-b.com", False),
        ("a@b..com", False),
        ("a@b.com.", False),
        ("a b@c.com", False),
        ("@c.com", False),
    ],
)
async def test_an_agents_email_is_an_address_a_mail_server_routes(
    make_client: AppFactory, email: str, valid: bool
) -> None:
    client = await make_client()
    tenant = await new_tenant(client)
    body = {"name": "Ann", "email": email, "extension": "11"}
    resp = await client.post("/api/v1/agents", json=body, headers=tenant.headers)
    if valid:
        assert resp.status == 201 and (await resp.json())["email"] == email.lower()
    else:
        assert resp.status == 422, await resp.text()
        assert (await resp.json())["error"]["field"] == "email"
