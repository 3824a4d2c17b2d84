"""Authentication for ``/api/v1``: an API key (Bearer), or a dashboard session plus CSRF token.

A session cookie alone never authorizes a state-changing request: those also need the
``X-CSRF-Token`` header the dashboard reads from ``/admin/session``, which a cross-site page
cannot obtain.
"""

from __future__ import annotations

from aiohttp import web

from server.errors import ApiError, Handler

from .context import TENANT_ID, services
from .contracts import PUBLIC_API_PATHS

SESSION_COOKIE = "sivo_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith("/api/") or request.path in PUBLIC_API_PATHS:
        return await handler(request)
    svc = services(request)
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, key = header.partition(" ")
        tenant = (
            await svc.identity.tenant_for_api_key(key.strip())
            if scheme.lower() == "bearer"
            else None
        )
        if tenant is None:
            raise ApiError(401, "unauthorized", "invalid or revoked API key")
        request[TENANT_ID] = tenant
        return await handler(request)
    token = request.cookies.get(SESSION_COOKIE)
    session = await svc.identity.session(token) if token else None
    if session is None:
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <api key>")
    if (
        request.method not in SAFE_METHODS
        and request.headers.get("X-CSRF-Token") != session.csrf_token
    ):
        raise ApiError(403, "csrf_failed", "missing or wrong X-CSRF-Token header")
    request[TENANT_ID] = session.tenant_id
    return await handler(request)
