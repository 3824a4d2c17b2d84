"""``GET /metrics``: Prometheus text format (see ``server/metrics.py`` for the series)."""

from __future__ import annotations

from aiohttp import web

from server.metrics import CONTENT_TYPE_LATEST

from .context import services
from .contract import Contract

metrics = Contract(tag="Platform")


@metrics.get(
    "/metrics",
    auth="public",
    media_type="text/plain",
    summary="Metrics in Prometheus text format",
)
async def scrape(request: web.Request) -> web.Response:
    """Calls, agents by status, queues, webhook deliveries, outbox lag, media legs, sockets
    and HTTP requests; no label identifies a person. Keep it off the public internet."""
    svc = services(request)
    body = svc.metrics.render(await svc.figures.gather())
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
