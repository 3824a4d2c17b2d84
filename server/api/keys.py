"""``/api/v1/api-keys``: a tenant's API keys (the key itself is shown once, on create)."""

from __future__ import annotations

from aiohttp import web

from server.errors import invalid, read_json_object

from .context import services, tenant_id

routes = web.RouteTableDef()


@routes.post("/api/v1/api-keys")
async def create_key(request: web.Request) -> web.Response:
    body = await read_json_object(request) if request.body_exists else {}
    name = body.get("name", "")
    if not isinstance(name, str):
        raise invalid("name", "name must be a string")
    return web.json_response(
        await services(request).identity.create_api_key(tenant_id(request), name), status=201
    )


@routes.get("/api/v1/api-keys")
async def list_keys(request: web.Request) -> web.Response:
    return web.json_response(
        {"data": await services(request).identity.list_api_keys(tenant_id(request))}
    )


@routes.delete("/api/v1/api-keys/{id}")
async def revoke_key(request: web.Request) -> web.Response:
    await services(request).identity.revoke_api_key(tenant_id(request), request.match_info["id"])
    return web.Response(status=204)
