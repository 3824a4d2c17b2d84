"""``GET /metrics``: Prometheus text format (see ``server/metrics.py`` for the series)."""

from __future__ import annotations

from aiohttp import web

from server.metrics import CONTENT_TYPE_LATEST

from .context import services

routes = web.RouteTableDef()


@routes.get("/metrics")
async def scrape(request: web.Request) -> web.Response:
    svc = services(request)
    body = svc.metrics.render(await svc.figures.gather())
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
