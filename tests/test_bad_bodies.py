"""Every JSON-body route answers a hostile body with a 4xx in the one error shape, never a
500: nesting 100,000 deep, a 5,000-digit integer, a huge exponent, NaN, an unknown charset,
a lone surrogate, invalid UTF-8."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import AppFactory
from tests.support.api import new_tenant

BAD_BODIES: list[tuple[str, bytes, str]] = [
    ("deep", b"[" * 100_000 + b"]" * 100_000, "application/json"),
    ("deep object", b'{"a":' * 40 + b"1" + b"}" * 40, "application/json"),
    ("long int", b'{"ttl_s": ' + b"9" * 5000 + b"}", "application/json"),
    ("huge exponent", b'{"ring_timeout_s": 1e999999}', "application/json"),
    ("nan", b'{"ring_timeout_s": NaN}', "application/json"),
    ("charset", b'{"name": "x"}', "application/json; charset=klingon"),
    ("latin-1", b'{"name": "x"}', "application/json; charset=latin-1"),
    ("surrogate", b'{"name": "\\ud800", "description": "\\udfff"}', "application/json"),
    ("not utf-8", b'{"name": "\xff\xfe"}', "application/json"),
]


def _json_routes(client: Any) -> list[tuple[str, str]]:
    out = []
    for route in client.app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter", "")
        if route.method in ("POST", "PATCH", "PUT") and path.startswith("/api/v1/"):
            for kind in ("agents", "queues", "numbers"):
                out.append((route.method, path.replace("{kind}", kind).replace("{id}", "x_1")))
    return sorted(set(out))


async def test_hostile_bodies_get_a_4xx_on_every_json_route(make_client: AppFactory) -> None:
    client = await make_client()
    tenant = await new_tenant(client)
    routes = _json_routes(client)
    assert len(routes) >= 12, routes
    for method, path in routes:
        for name, raw, content_type in BAD_BODIES:
            resp = await client.request(
                method, path, data=raw, headers={**tenant.headers, "Content-Type": content_type}
            )
            assert 400 <= resp.status < 500, (method, path, name, resp.status)
            error = (await resp.json())["error"]
            assert error["code"] and error["message"], (method, path, name)


@pytest.mark.parametrize(
    ("name", "code"),
    [("deep", "invalid_json"), ("long int", "invalid_json"), ("charset", "unsupported_charset")],
)
async def test_what_each_refusal_says(make_client: AppFactory, name: str, code: str) -> None:
    client = await make_client()
    tenant = await new_tenant(client)
    raw, content_type = next((r, c) for n, r, c in BAD_BODIES if n == name)
    resp = await client.post(
        "/api/v1/queues", data=raw, headers={**tenant.headers, "Content-Type": content_type}
    )
    assert (await resp.json())["error"]["code"] == code
