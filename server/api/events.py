"""The event catalog's schema, a stored event's full data, and the health check."""

from __future__ import annotations

import json

from aiohttp import web
from sqlalchemy import select

from server.errors import ApiError, not_found
from server.events.catalog import schema_document
from server.events.outbox import rfc3339
from server.store.tables import events

from .context import services, tenant_id

routes = web.RouteTableDef()


@routes.get("/api/v1/events/schema")
async def event_schema(request: web.Request) -> web.Response:
    return web.json_response(schema_document())


@routes.get("/api/v1/events/{id}")
async def get_event(request: web.Request) -> web.Response:
    """The full envelope, also for events whose webhook body had to be reduced."""
    async with services(request).db.read() as conn:
        row = (
            (
                await conn.execute(
                    select(events).where(
                        events.c.tenant_id == tenant_id(request),
                        events.c.id == request.match_info["id"],
                    )
                )
            )
            .mappings()
            .first()
        )
    if row is None:
        raise not_found("event")
    return web.json_response(
        {
            "id": row["id"],
            "type": row["type"],
            "created_at": rfc3339(row["created_at"]),
            "tenant_id": row["tenant_id"],
            "data": json.loads(row["data"]),
        }
    )


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    if not await services(request).db.ping():
        raise ApiError(503, "store_unreachable", "the database is not reachable")
    return web.json_response({"status": "ok"})
