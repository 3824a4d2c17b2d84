"""The event catalog's schema, a stored event's full data, the health check and the JWKS."""

from __future__ import annotations

from aiohttp import web

from server.errors import ApiError
from server.events.catalog import schema_document
from server.schemas.platform import EventCatalog, EventEnvelope, Health, Jwks

from .context import services, tenant_id
from .contract import Contract

events = Contract(tag="Events")
platform = Contract(tag="Platform")
CONTRACTS = (events, platform)


@events.get(
    "/api/v1/events/schema",
    response=EventCatalog,
    auth="public",
    summary="The event catalog as JSON Schema",
)
async def event_schema(request: web.Request) -> EventCatalog:
    """Every webhook event type, its `data` schema and an example. The README's event
    catalog is generated from the same source."""
    return EventCatalog(schema_document())


@events.get("/api/v1/events/{id}", response=EventEnvelope, summary="Get a stored event")
async def get_event(request: web.Request) -> EventEnvelope:
    """The full envelope, also for events whose webhook body had to be reduced."""
    return await services(request).events.envelope(tenant_id(request), request.match_info["id"])


@platform.get("/healthz", response=Health, auth="public", summary="Health check", errors=(503,))
async def healthz(request: web.Request) -> Health:
    """200 while the database answers; 503 `store_unreachable` otherwise."""
    if not await services(request).db.ping():
        raise ApiError(503, "store_unreachable", "the database is not reachable")
    return Health(status="ok")


@platform.get(
    "/.well-known/jwks.json",
    response=Jwks,
    auth="public",
    summary="The keys that verify agent tokens (RFC 7517)",
)
async def jwks(request: web.Request) -> web.Response:
    """Relying parties may cache it for five minutes; a token whose `kid` they do not know
    means a rotation happened since, so they should fetch it again."""
    document = Jwks.model_validate(await services(request).tokens.jwks())
    return web.json_response(
        document.model_dump(mode="json"), headers={"Cache-Control": "public, max-age=300"}
    )
