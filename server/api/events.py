"""The event catalog's schema, a stored event's full data, and the health check."""

from __future__ import annotations

from aiohttp import web

from server.errors import ApiError
from server.events.catalog import schema_document

from .context import services, tenant_id

routes = web.RouteTableDef()


@routes.get("/api/v1/events/schema")
async def event_schema(request: web.Request) -> web.Response:
    return web.json_response(schema_document())


@routes.get("/api/v1/events/{id}")
async def get_event(request: web.Request) -> web.Response:
    """The full envelope, also for events whose webhook body had to be reduced."""
    envelope = await services(request).events.envelope(tenant_id(request), request.match_info["id"])
    return web.json_response(envelope)


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    if not await services(request).db.ping():
        raise ApiError(503, "store_unreachable", "the database is not reachable")
    return web.json_response({"status": "ok"})
