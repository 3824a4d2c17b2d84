"""The served OpenAPI document covers every REST route, and says what the contract enforces."""

from __future__ import annotations

from typing import Any

import pytest

from server.api.contracts import CONTRACTS, PUBLIC_API_PATHS
from tests.conftest import AppFactory
from tests.support.api import new_tenant

# Routes that are not the REST API: pages, the dashboard (and its Salesforce connect), Socket.IO.
NOT_REST = (
    "/admin",
    "/caller",
    "/softphone",
    "/shared",
    "/vendor",
    "/landing",  # the landing page's stylesheet
    "/docs",
    "/socket.io",
    "/salesforce",  # the OAuth callback: a browser page
)


def _served_routes(client: Any) -> set[tuple[str, str]]:
    out = set()
    for route in client.app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter") or info.get("prefix") or ""
        if route.method in ("HEAD", "*") or path in ("/", "/api/v1/openapi.json"):
            continue
        if not path.startswith(NOT_REST):
            out.add((route.method, path))
    return out


async def test_every_rest_route_is_in_the_document(make_client: AppFactory) -> None:
    client = await make_client()
    document = await (await client.get("/api/v1/openapi.json")).json()
    assert document["openapi"] == "3.1.0"
    described = {
        (method.upper(), path) for path, ops in document["paths"].items() for method in ops
    }
    assert _served_routes(client) == described
    assert len(described) >= 40


async def test_each_operation_names_its_auth_errors_and_an_example(
    make_client: AppFactory,
) -> None:
    client = await make_client()
    document = await (await client.get("/api/v1/openapi.json")).json()
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            where = f"{method.upper()} {path}"
            assert op["summary"] and op["operationId"].isidentifier(), where
            assert "_" not in op["operationId"], where
            public = path in PUBLIC_API_PATHS or not path.startswith("/api/")
            assert bool(op["security"]) != public or path.startswith("/recordings/"), where
            errors = [code for code in op["responses"] if code >= "400"]
            if op["security"]:
                assert "401" in errors, where
            for code in errors:
                schema = op["responses"][code]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, where
            if "requestBody" in op:
                media = op["requestBody"]["content"]["application/json"]
                assert "example" in media, where
                assert {"400", "413", "415", "422"} <= set(errors), where


def test_operation_names_are_unique() -> None:
    names = [op.name for contract in CONTRACTS for op in contract.operations]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(
    ("path", "body", "code", "field"),
    [
        ("/api/v1/queues", {"name": "Q", "colour": "red"}, "unknown_field", "colour"),
        ("/api/v1/queues", {"name": "Q", "ring_timeout_s": "20"}, "invalid", "ring_timeout_s"),
        ("/api/v1/queues", {"name": "Q", "ring_timeout_s": True}, "invalid", "ring_timeout_s"),
        ("/api/v1/queues", {"name": "   "}, "invalid", "name"),
        (
            "/api/v1/queues",
            {"name": "Q", "overflow": {"action": "end", "cause": "B!"}},
            "invalid",
            "overflow",
        ),
        ("/api/v1/queues", {"name": "Q", "overflow": {"action": "fly"}}, "invalid", "overflow"),
        ("/api/v1/numbers", {"number": "+18005550100\n", "queue_id": "q_1"}, "invalid", "number"),
        (
            "/api/v1/webhooks/endpoints",
            {"url": "https://a b/", "events": ["*"]},
            "invalid_url",
            "url",
        ),
        ("/api/v1/webhooks/dlq/retry", {"until": 1700000000}, "invalid", "until"),
    ],
)
async def test_a_body_that_breaks_its_model_is_refused_naming_the_field(
    make_client: AppFactory, path: str, body: dict[str, Any], code: str, field: str
) -> None:
    client = await make_client()
    tenant = await new_tenant(client)
    resp = await client.post(path, json=body, headers=tenant.headers)
    error = (await resp.json())["error"]
    assert resp.status == 422, error
    assert (error["code"], error["field"]) == (code, field) and error["message"]
    assert error["request_id"]


async def test_a_patch_refuses_null_except_where_null_means_none(make_client: AppFactory) -> None:
    client = await make_client()
    tenant = await new_tenant(client)
    queue = await (
        await client.post(
            "/api/v1/queues", json={"name": "Q", "max_wait_s": 60}, headers=tenant.headers
        )
    ).json()
    path = f"/api/v1/queues/{queue['id']}"
    resp = await client.patch(path, json={"name": None}, headers=tenant.headers)
    assert resp.status == 422 and (await resp.json())["error"]["field"] == "name"
    resp = await client.patch(path, json={"max_wait_s": None}, headers=tenant.headers)
    assert resp.status == 200 and (await resp.json())["max_wait_s"] is None


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=501", "limit=ten", "limit=1&limit=2", "page=2"]
)
async def test_a_bad_query_is_a_400_naming_the_parameter(
    make_client: AppFactory, query: str
) -> None:
    client = await make_client()
    tenant = await new_tenant(client)
    resp = await client.get(f"/api/v1/calls?{query}", headers=tenant.headers)
    error = (await resp.json())["error"]
    assert resp.status == 400 and error["code"] in ("invalid_query", "unknown_field")
    assert error["field"] in ("limit", "page")
