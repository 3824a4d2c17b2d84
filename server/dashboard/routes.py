"""The dashboard at ``/admin/``: login, logout, and the pages (static files served by SIVO).

Login is protected against CSRF with a double-submit token (a cookie plus a hidden field);
after login every state-changing API call carries ``X-CSRF-Token`` (see ``api/auth.py``).
"""

from __future__ import annotations

import hmac
import html
import math
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from server.api.auth import SESSION_COOKIE
from server.api.context import services
from server.crypto import random_token
from server.identity import SESSION_TTL_S, AdminSession
from server.throttle import TooManyAttempts

LOGIN_CSRF_COOKIE = "sivo_login_csrf"
STATIC_DIR = Path(__file__).resolve().parents[2] / "static" / "admin"
# What the dashboard shares with the phone pages (static/shared/, also served at /shared/): the
# DOM helpers and the base stylesheet, served under /admin/assets/shared/ so that every path
# the dashboard refers to stays under /admin/.
SHARED_DIR = STATIC_DIR.parent / "shared"
SHARED_FILES = frozenset({"dom.js", "base.css"})

routes = web.RouteTableDef()


def _safe_next(raw: str | None) -> str:
    """Only a path inside the dashboard: never an absolute or protocol-relative URL."""
    if not raw or not raw.startswith("/admin/") or raw.startswith("//") or "\\" in raw:
        return "/admin/"
    return raw


def _secure(request: web.Request) -> bool:
    return request.secure or services(request).settings.public_url.startswith("https://")


def _login_page(
    request: web.Request, *, next_url: str, error: str = "", status: int = 200
) -> web.Response:
    token = random_token(24)
    page = (STATIC_DIR / "login.html").read_text()
    page = (
        page.replace("{{csrf}}", html.escape(token))
        .replace("{{next}}", html.escape(next_url))
        .replace("{{error}}", html.escape(error))
    )
    resp = web.Response(text=page, content_type="text/html", status=status)
    resp.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=_secure(request),
        path="/admin/",
    )
    return resp


@routes.get("/admin/login")
async def login_form(request: web.Request) -> web.Response:
    return _login_page(request, next_url=_safe_next(request.query.get("next")))


@routes.post("/admin/login")
async def login(request: web.Request) -> web.Response:
    form = await request.post()
    next_url = _safe_next(str(form.get("next", "")))
    sent, expected = str(form.get("csrf", "")), request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(sent, expected):
        return _login_page(
            request, next_url=next_url, error="Your session expired; try again.", status=403
        )
    try:
        result = await services(request).identity.login(
            str(form.get("email", "")), str(form.get("password", "")), request.remote or ""
        )
    except TooManyAttempts as refused:
        page = _login_page(
            request,
            next_url=next_url,
            error="Too many failed sign-ins. Wait a few minutes, then try again.",
            status=429,
        )
        page.headers["Retry-After"] = str(math.ceil(refused.retry_after_s))
        return page
    if result is None:
        return _login_page(request, next_url=next_url, error="Wrong email or password.", status=401)
    token, _session = result
    resp = web.HTTPSeeOther(next_url)
    resp.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="Lax",
        secure=_secure(request),
        path="/",
        max_age=SESSION_TTL_S,
    )
    resp.del_cookie(LOGIN_CSRF_COOKIE, path="/admin/")
    raise resp


async def current_session(request: web.Request) -> tuple[str, AdminSession] | None:
    """The dashboard session the request's cookie names, with its token."""
    token = request.cookies.get(SESSION_COOKIE)
    session = await services(request).identity.session(token) if token else None
    return (token, session) if token and session else None


@routes.post("/admin/logout")
async def logout(request: web.Request) -> web.Response:
    found = await current_session(request)
    if found is not None:
        form = await request.post()
        sent = request.headers.get("X-CSRF-Token") or str(form.get("csrf", ""))
        if not hmac.compare_digest(sent, found[1].csrf_token):
            raise web.HTTPForbidden(text="missing or wrong CSRF token")
        await services(request).identity.logout(found[0])
    resp = web.HTTPSeeOther("/admin/login")
    resp.del_cookie(SESSION_COOKIE, path="/")
    raise resp


@routes.get("/admin/session")
async def session_info(request: web.Request) -> web.Response:
    found = await current_session(request)
    if found is None:
        return web.json_response(
            {"error": {"code": "unauthorized", "message": "log in"}}, status=401
        )
    return web.json_response({"tenant_id": found[1].tenant_id, "csrf_token": found[1].csrf_token})


@routes.get("/admin")
@routes.get("/admin/")
@routes.get(
    "/admin/{page:(endpoints|dlq|salesforce|calls|settings|wallboard|queues|agents|numbers|reports)[^.]*}"
)
async def page(request: web.Request) -> web.StreamResponse:
    if await current_session(request) is None:
        raise web.HTTPSeeOther("/admin/login?next=" + quote(_safe_next(request.path_qs), safe="/"))
    return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-store"})


@routes.get("/admin/assets/shared/{name}")
async def shared_asset(request: web.Request) -> web.FileResponse:
    name = request.match_info["name"]
    if name not in SHARED_FILES:
        raise web.HTTPNotFound(text="no such file")
    return web.FileResponse(SHARED_DIR / name)


def add_static(app: web.Application) -> None:
    app.router.add_static("/admin/assets/", STATIC_DIR / "assets", show_index=False)
