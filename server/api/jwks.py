"""``GET /.well-known/jwks.json``: the public keys that verify agent tokens (RFC 7517).

Public, like any JWKS. Relying parties may cache it for five minutes; a token whose ``kid``
they do not know means a rotation happened since, so they should fetch it again.
"""

from __future__ import annotations

from aiohttp import web

from .context import services

routes = web.RouteTableDef()


@routes.get("/.well-known/jwks.json")
async def jwks(request: web.Request) -> web.Response:
    return web.json_response(
        await services(request).tokens.jwks(),
        headers={"Cache-Control": "public, max-age=300"},
    )
