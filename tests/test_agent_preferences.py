"""The agent's device preferences (``/softphone/preferences``): kept per agent, reached only
with that agent's own token, and a body that breaks the model stores nothing."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import AppFactory
from tests.support.api import Tenant, new_tenant

PATH = "/softphone/preferences"
CHOICE = {"mic": "Headset Microphone (Jabra)", "speaker": None, "ringer": "Desk Speakers"}
EMPTY = {"mic": None, "speaker": None, "ringer": None, "updated_at": None}


async def _agent(client: TestClient[Any, Any], tenant: Tenant, name: str) -> tuple[str, str]:
    """A new agent of ``tenant`` and a token minted for it."""
    ext = str(100 + len(name) * 7 + ord(name[0]))
    resp = await client.post(
        "/api/v1/agents",
        json={"name": name, "email": f"{name}@example.com", "extension": ext, "queue_ids": []},
        headers=tenant.headers,
    )
    assert resp.status == 201, await resp.text()
    agent_id = (await resp.json())["id"]
    resp = await client.post(f"/api/v1/agents/{agent_id}/tokens", json={}, headers=tenant.headers)
    assert resp.status == 201, await resp.text()
    return agent_id, (await resp.json())["token"]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _get(client: TestClient[Any, Any], token: str) -> dict[str, Any]:
    resp = await client.get(PATH, headers=_bearer(token))
    assert resp.status == 200, await resp.text()
    assert resp.headers["Cache-Control"] == "no-store"
    body: dict[str, Any] = await resp.json()
    return body


async def _put(client: TestClient[Any, Any], token: str, body: Any) -> Any:
    return await client.put(PATH, json=body, headers=_bearer(token))


async def _refused(resp: Any, status: int, code: str) -> None:
    assert resp.status == status, await resp.text()
    assert resp.headers["Cache-Control"] == "no-store"
    assert (await resp.json())["error"]["code"] == code


async def test_an_agent_starts_with_no_choice(make_client: AppFactory) -> None:
    """A GET before any PUT: every kind null (the system defaults)."""
    client = await make_client()
    _, token = await _agent(client, await new_tenant(client), "ana")
    assert await _get(client, token) == EMPTY


async def test_put_then_get_round_trip(make_client: AppFactory) -> None:
    """What a PUT stores is what the GET answers; a second PUT replaces all three kinds."""
    client = await make_client()
    _, token = await _agent(client, await new_tenant(client), "ana")
    resp = await _put(client, token, CHOICE)
    assert resp.status == 200, await resp.text()
    assert resp.headers["Cache-Control"] == "no-store"
    saved = await resp.json()
    assert {k: saved[k] for k in CHOICE} == CHOICE
    assert saved["updated_at"].endswith("Z")
    assert await _get(client, token) == saved
    resp = await _put(client, token, {"speaker": "USB Headset  (0b0e:24c8) ✓"})
    assert resp.status == 200, await resp.text()
    got = await _get(client, token)
    assert (got["mic"], got["speaker"], got["ringer"]) == (None, "USB Headset  (0b0e:24c8) ✓", None)


async def test_puts_at_once_keep_one_row(make_client: AppFactory) -> None:
    """Two tabs saving at the same moment: every PUT succeeds, one of them is what is kept."""
    client = await make_client()
    _, token = await _agent(client, await new_tenant(client), "ana")
    bodies = [{"mic": f"Mic {i}"} for i in range(6)]
    answers = await asyncio.gather(*(_put(client, token, body) for body in bodies))
    assert [resp.status for resp in answers] == [200] * len(bodies)
    assert (await _get(client, token))["mic"] in {body["mic"] for body in bodies}


async def test_another_agent_sees_only_its_own(make_client: AppFactory) -> None:
    """Agent B's token reads B's row, never A's; B's PUT leaves A's alone."""
    client = await make_client()
    tenant = await new_tenant(client)
    _, ana = await _agent(client, tenant, "ana")
    _, ben = await _agent(client, tenant, "ben")
    assert (await _put(client, ana, CHOICE)).status == 200
    assert await _get(client, ben) == EMPTY
    assert (await _put(client, ben, {"mic": "Ben's mic"})).status == 200
    assert (await _get(client, ana))["mic"] == CHOICE["mic"]
    assert (await _get(client, ben))["mic"] == "Ben's mic"


async def test_another_tenant_sees_nothing(make_client: AppFactory) -> None:
    """An agent of another tenant gets its own (empty) row, not the first tenant's."""
    client = await make_client()
    _, ana = await _agent(client, await new_tenant(client, "Acme"), "ana")
    _, other = await _agent(client, await new_tenant(client, "Globex"), "ana")
    assert (await _put(client, ana, CHOICE)).status == 200
    assert await _get(client, other) == EMPTY


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not.a.jwt"},
        {"Authorization": "Basic YWxpY2U6c2VjcmV0"},
        {"Authorization": "Bearer " + "a" * 8000},
    ],
    ids=["none", "empty", "garbage", "basic", "long"],
)
async def test_no_valid_token_is_a_401(make_client: AppFactory, headers: dict[str, str]) -> None:
    """Without a token that verifies, neither route answers more than the error."""
    client = await make_client()
    tenant = await new_tenant(client)
    await _refused(await client.get(PATH, headers=headers), 401, "invalid_token")
    resp = await client.put(PATH, json=CHOICE, headers=headers)
    await _refused(resp, 401, "invalid_token")
    # An API key is not an agent token either.
    await _refused(await client.get(PATH, headers=tenant.headers), 401, "invalid_token")


async def test_a_deleted_agents_token_stores_nothing(make_client: AppFactory) -> None:
    """A token minted before its agent was deleted still verifies, but has no row to reach."""
    client = await make_client()
    tenant = await new_tenant(client)
    agent_id, token = await _agent(client, tenant, "ana")
    resp = await client.delete(f"/api/v1/agents/{agent_id}", headers=tenant.headers)
    assert resp.status == 204, await resp.text()
    await _refused(await _put(client, token, CHOICE), 401, "unknown_agent")
    await _refused(await client.get(PATH, headers=_bearer(token)), 401, "unknown_agent")


BAD_BODIES: list[tuple[str, Any, int, str]] = [
    ("too long", {"mic": "m" * 201}, 422, "invalid"),
    ("empty label", {"ringer": ""}, 422, "invalid"),
    ("two lines", {"mic": "Headset\nMicrophone"}, 422, "invalid"),
    ("control character", {"speaker": "Speakers\u0000"}, 422, "invalid"),
    ("unknown field", {"mic": "Headset", "camera": "Webcam"}, 422, "unknown_field"),
    ("device id", {"mic": {"id": "abc", "label": "Headset"}}, 422, "invalid"),
    ("number", {"speaker": 3}, 422, "invalid"),
    ("list", ["Headset"], 400, "invalid_json"),
]


@pytest.mark.parametrize(
    ("name", "body", "status", "code"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES]
)
async def test_a_bad_body_stores_nothing(
    make_client: AppFactory, name: str, body: Any, status: int, code: str
) -> None:
    """A body that breaks the model is refused in the one error shape; the row is unchanged."""
    client = await make_client()
    _, token = await _agent(client, await new_tenant(client), "ana")
    assert (await _put(client, token, CHOICE)).status == 200
    before = await _get(client, token)
    await _refused(await _put(client, token, body), status, code)
    assert await _get(client, token) == before


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "code"),
    [
        (b'{"mic": "Headset"}', "text/plain", 415, "unsupported_media_type"),
        (b"mic=Headset", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b'{"mic": "Headset"', "application/json", 400, "invalid_json"),
        (b'{"mic": "\\ud800"}', "application/json", 400, "invalid_json"),
        (b'{"mic": "Headset"}', "application/json; charset=latin-1", 415, "unsupported_charset"),
    ],
    ids=["text", "form", "truncated", "surrogate", "charset"],
)
async def test_what_is_not_json_stores_nothing(
    make_client: AppFactory, raw: bytes, content_type: str, status: int, code: str
) -> None:
    """Only a JSON object in UTF-8 is read; anything else is a 4xx and the row stays empty."""
    client = await make_client()
    _, token = await _agent(client, await new_tenant(client), "ana")
    headers = {**_bearer(token), "Content-Type": content_type}
    await _refused(await client.put(PATH, data=raw, headers=headers), status, code)
    assert await _get(client, token) == EMPTY


async def test_tokens_are_not_logged(
    make_client: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Neither a good token nor a refused one reaches SIVO's log lines; nor do the labels."""
    client = await make_client()
    _, token = await _agent(client, await new_tenant(client), "ana")
    caplog.set_level(logging.DEBUG)
    assert (await _put(client, token, CHOICE)).status == 200
    await _get(client, token)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    await _refused(await client.get(PATH, headers=_bearer(forged)), 401, "invalid_token")
    ours = [r for r in caplog.records if r.name.startswith(("server", "aiohttp"))]
    text = "\n".join(record.getMessage() for record in ours)
    assert "device preferences saved" in text
    for secret in (token, forged, token.split(".")[2], CHOICE["mic"]):
        assert secret not in text
