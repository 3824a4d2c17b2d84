"""``/api/v1/webhooks``: endpoints, their delivery logs, the tester and the dead-letter queue."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from aiohttp import web

from server.errors import ApiError, invalid, read_json_object
from server.store.webhooks import DeadLetterFilter

from .context import services, tenant_id

routes = web.RouteTableDef()
BASE = "/api/v1/webhooks"


@routes.post(f"{BASE}/endpoints")
async def create_endpoint(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    view = await services(request).webhooks.create_endpoint(tenant_id(request), body)
    return web.json_response(view, status=201)


@routes.get(f"{BASE}/endpoints")
async def list_endpoints(request: web.Request) -> web.Response:
    items = await services(request).webhooks.list_endpoints(tenant_id(request))
    return web.json_response({"data": items})


@routes.get(f"{BASE}/endpoints/{{id}}")
async def get_endpoint(request: web.Request) -> web.Response:
    view = await services(request).webhooks.get_endpoint(
        tenant_id(request), request.match_info["id"]
    )
    return web.json_response(view)


@routes.patch(f"{BASE}/endpoints/{{id}}")
async def update_endpoint(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    view = await services(request).webhooks.update_endpoint(
        tenant_id(request), request.match_info["id"], body
    )
    return web.json_response(view)


@routes.delete(f"{BASE}/endpoints/{{id}}")
async def delete_endpoint(request: web.Request) -> web.Response:
    await services(request).webhooks.delete_endpoint(tenant_id(request), request.match_info["id"])
    return web.Response(status=204)


@routes.post(f"{BASE}/endpoints/{{id}}/rotate-secret")
async def rotate_secret(request: web.Request) -> web.Response:
    view = await services(request).webhooks.rotate_secret(
        tenant_id(request), request.match_info["id"]
    )
    return web.json_response(view)


@routes.get(f"{BASE}/endpoints/{{id}}/deliveries")
async def endpoint_deliveries(request: web.Request) -> web.Response:
    items = await services(request).webhooks.deliveries(
        tenant_id(request), request.match_info["id"]
    )
    return web.json_response({"data": items})


@routes.post(f"{BASE}/endpoints/{{id}}/test")
async def test_endpoint(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    result = await services(request).webhooks.send_test(
        tenant_id(request), request.match_info["id"], body.get("type")
    )
    return web.json_response(result)


def _time(params: Mapping[str, object], name: str) -> float | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise invalid(name, f"{name} must be an RFC 3339 time")
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()
    except ValueError as exc:
        raise ApiError(400, "invalid_query", f"{name} must be an RFC 3339 time", name) from exc


def _filter(request: web.Request, body: Mapping[str, object] | None = None) -> DeadLetterFilter:
    """The DLQ filter from the query string, or from a JSON body (bulk retry)."""
    params: Mapping[str, object] = body if body else request.query
    endpoint = params.get("endpoint_id")
    if endpoint is not None and not isinstance(endpoint, str):
        raise invalid("endpoint_id", "endpoint_id must be a string")
    return DeadLetterFilter(
        tenant_id=tenant_id(request),
        endpoint_id=endpoint or None,
        since=_time(params, "since"),
        until=_time(params, "until"),
    )


def _limit(request: web.Request, default: int, maximum: int) -> int:
    raw = request.query.get("limit", str(default))
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise ApiError(400, "invalid_query", f"limit must be 1-{maximum}", "limit")
    return int(raw)


@routes.get(f"{BASE}/dlq")
async def list_dead_letters(request: web.Request) -> web.Response:
    items = await services(request).webhooks.dead_letters(
        _filter(request), _limit(request, 100, 1000)
    )
    return web.json_response({"data": items})


@routes.get(f"{BASE}/dlq/export")
async def export_dead_letters(request: web.Request) -> web.Response:
    items = await services(request).webhooks.dead_letters(
        _filter(request), _limit(request, 10000, 10000), with_body=True
    )
    return web.Response(
        body=json.dumps({"data": items}, indent=2).encode(),
        content_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="sivo-dead-letters.json"'},
    )


@routes.post(f"{BASE}/dlq/retry")
async def retry_dead_letters(request: web.Request) -> web.Response:
    body = await read_json_object(request) if request.body_exists else None
    ids = await services(request).webhooks.retry_dead_letters(_filter(request, body))
    return web.json_response({"retried": len(ids), "ids": ids})


@routes.post(f"{BASE}/dlq/{{id}}/retry")
async def retry_dead_letter(request: web.Request) -> web.Response:
    flt = DeadLetterFilter(tenant_id(request), delivery_id=request.match_info["id"])
    ids = await services(request).webhooks.retry_dead_letters(flt)
    if not ids:
        raise ApiError(404, "not_found", "dead letter not found")
    return web.json_response({"retried": 1, "ids": ids})
