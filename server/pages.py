"""The landing page at ``/``, the public web phone at ``/caller/``, the agent softphone at
``/softphone/`` and the API reference at ``/docs/api/``.

All are static pages (plain ES modules, no build step) served by SIVO from its own origin,
with the browser libraries (the Socket.IO client, Swagger UI) vendored from ``node_modules/``
(``npm install``; ``make run`` does it). Nothing is loaded from a CDN. Every response carries
a CSP that allows only this origin (plus ``blob:`` media for the generated ringtone); the
pages use no inline script or style. The API reference has its own, slightly wider policy
(``REFERENCE_CSP``: Swagger UI's stylesheet draws its icons as ``data:`` images).

Routes (an explicit list, see ``routes``):

- ``/``: the landing page, which links the dashboard (``/admin/``), the softphone, the web
  phone and the API reference and says what each is for; ``/landing/<file>``: its stylesheet;
- ``/caller/``, ``/softphone/``: the pages; ``/caller/<file>``, ``/softphone/<file>`` and
  ``/shared/<file>``: their scripts and stylesheets (flat directories, fixed file types);
- ``/softphone/?org=<org>``: the softphone framed by that org's console (its own policy);
  ``/softphone/console.json?org=<org>``: the org's name and console origins, which the page
  checks its frame against, and how it reads clicked numbers (the tenant's country code and
  international prefix); 404 for an org SIVO does not know;
- ``/caller/config.json``, ``/softphone/config.json``: ``{"ice_servers": [...]}``, the STUN/TURN
  servers the browser should use (``SIVO_ICE_SERVERS``; empty by default);
- ``/docs/api/``: the API reference, Swagger UI rendering ``/api/v1/openapi.json`` (public);
  ``/docs/api/<file>``: its script and stylesheet (``static/api-reference/``);
- ``/vendor/<file>``: the browser libraries in ``VENDOR_FILES``: ``socket.io.min.js``
  (``socket.io-client``), ``swagger-ui-bundle.js`` and ``swagger-ui.css`` (``swagger-ui-dist``),
  each with its ``.map``; ``uPlot.iife.min.js`` and ``uPlot.min.css`` (``uplot``); or a 503
  that says to run ``npm install`` when ``node_modules`` is missing (a missing ``.map`` is a
  404).
"""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web

from server.api.context import services
from server.failures import NotFound
from server.salesforce.console import SOFTPHONE_PERMISSIONS, softphone_csp

ROOT = Path(__file__).resolve().parents[1]
STATIC_DIR = ROOT / "static"
NODE_MODULES = ROOT / "node_modules"
# The files served at /vendor/<name>: name -> its directory under node_modules/, whose first
# component is the npm package (package.json) that provides it.
VENDOR_FILES = {
    "socket.io.min.js": "socket.io-client/dist",
    "socket.io.min.js.map": "socket.io-client/dist",
    "swagger-ui-bundle.js": "swagger-ui-dist",
    "swagger-ui-bundle.js.map": "swagger-ui-dist",
    "swagger-ui.css": "swagger-ui-dist",
    "swagger-ui.css.map": "swagger-ui-dist",
    "uPlot.iife.min.js": "uplot/dist",  # the dashboard's Reports charts
    "uPlot.min.css": "uplot/dist",
}

# ws:// and wss:// to this origin are covered by 'self' (CSP Level 3; Chromium verifies it in
# tests/test_pages_browser.py). The softphone framed by an org's console has its own policy,
# per request (server/salesforce/console.py).
CSP = (
    "default-src 'self'; media-src 'self' blob:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",  # a page URL may still carry a fragment or a query
    "X-Content-Type-Options": "nosniff",
}
# The API reference's own policy: CSP, plus data: images, because swagger-ui.css draws its
# icons (select carets, the lock, the copy button: ~20) as data: URLs, which Chromium blocks
# under img-src 'self'. That is all Swagger UI 5 needs (tests/test_api_reference_browser.py
# fails on any violation): no 'unsafe-eval', and no 'unsafe-inline' styles, since React sets
# style properties through the CSSOM, which style-src does not govern. connect-src 'self'
# covers the spec and "Try it out" against this server, nothing else (no validator badge).
REFERENCE_CSP = (
    "default-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_ASSET_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*\.(js|css|svg)$")
_CONTENT_TYPES = {
    "js": "text/javascript",
    "css": "text/css",
    "svg": "image/svg+xml",
    "map": "application/json",
}

routes = web.RouteTableDef()


def _serve(path: Path, *, cache: str = "no-cache", csp: str = CSP) -> web.FileResponse:
    ext = path.name.rsplit(".", 1)[-1]
    headers = {**PAGE_HEADERS, "Content-Security-Policy": csp, "Cache-Control": cache}
    if ext in _CONTENT_TYPES:
        headers["Content-Type"] = _CONTENT_TYPES[ext]
    return web.FileResponse(path, headers=headers)


def _asset(directory: str, name: str) -> web.FileResponse:
    """A file directly inside ``static/<directory>/``: a fixed name pattern, no sub-paths."""
    if not _ASSET_NAME.match(name):
        raise web.HTTPNotFound(text="no such file")
    path = STATIC_DIR / directory / name
    if not path.is_file():
        raise web.HTTPNotFound(text="no such file")
    return _serve(path)


@routes.get("/")
async def root(request: web.Request) -> web.FileResponse:
    """The address SIVO prints on start: where each of its pages is, and who it is for."""
    return _serve(STATIC_DIR / "landing" / "index.html")


@routes.get("/caller")
async def caller_redirect(request: web.Request) -> web.Response:
    raise web.HTTPMovedPermanently("/caller/")


@routes.get("/softphone")
async def softphone_redirect(request: web.Request) -> web.Response:
    # Keep the query: Salesforce opens the adapter URL with its own parameters
    # (sfdcIframeOrigin, mode, ...). The token travels in the fragment, never sent here.
    raise web.HTTPMovedPermanently(
        "/softphone/" + (f"?{request.query_string}" if request.query_string else "")
    )


@routes.get("/caller/")
async def caller_page(request: web.Request) -> web.FileResponse:
    return _serve(STATIC_DIR / "caller" / "index.html", cache="no-store")


@routes.get("/softphone/")
async def softphone_page(request: web.Request) -> web.FileResponse:
    """The softphone: standalone, or framed by an org's console (``?org=``, the adapter URL
    the call center definition holds), under that org's policy (server/salesforce/console.py)."""
    frame = None
    org_ref = request.query.get("org")
    if org_ref is not None:
        frame = await services(request).salesforce.console.frame(org_ref)
    csp = softphone_csp(frame, request.query.get("sfdcIframeOrigin"))
    response = _serve(STATIC_DIR / "softphone" / "index.html", cache="no-store", csp=csp)
    response.headers["Permissions-Policy"] = SOFTPHONE_PERMISSIONS
    return response


@routes.get("/softphone/console.json")
async def softphone_console(request: web.Request) -> web.Response:
    """What the framed page checks its frame against: the org's name and console origins."""
    frame = await services(request).salesforce.console.frame(request.query.get("org", ""))
    if frame is None:
        raise NotFound("Salesforce org")
    body = {
        "org": {"id": frame.org_row_id, "name": frame.name, "origins": list(frame.origins)},
        "dial": {
            "country_code": frame.dial.country_code,
            "international_prefix": frame.dial.international_prefix,
        },
    }
    return web.json_response(body, headers={**PAGE_HEADERS, "Cache-Control": "no-store"})


@routes.get("/docs/api")
async def api_reference_redirect(request: web.Request) -> web.Response:
    raise web.HTTPMovedPermanently("/docs/api/")


@routes.get("/docs/api/")
async def api_reference_page(request: web.Request) -> web.FileResponse:
    return _serve(STATIC_DIR / "api-reference" / "index.html", cache="no-store", csp=REFERENCE_CSP)


@routes.get("/caller/config.json")
@routes.get("/softphone/config.json")
async def phone_config(request: web.Request) -> web.Response:
    """The ICE servers browsers should use: the same ones the server's peer connections use."""
    servers = []
    for server in services(request).settings.ice_servers:
        entry: dict[str, object] = {"urls": list(server.urls)}
        if server.username is not None:
            entry["username"] = server.username
        if server.credential is not None:
            entry["credential"] = server.credential
        servers.append(entry)
    return web.json_response(
        {"ice_servers": servers}, headers={**PAGE_HEADERS, "Cache-Control": "no-store"}
    )


@routes.get("/caller/{name}")
async def caller_asset(request: web.Request) -> web.FileResponse:
    return _asset("caller", request.match_info["name"])


@routes.get("/softphone/{name}")
async def softphone_asset(request: web.Request) -> web.FileResponse:
    return _asset("softphone", request.match_info["name"])


@routes.get("/landing/{name}")
async def landing_asset(request: web.Request) -> web.FileResponse:
    return _asset("landing", request.match_info["name"])


@routes.get("/shared/{name}")
async def shared_asset(request: web.Request) -> web.FileResponse:
    return _asset("shared", request.match_info["name"])


@routes.get("/docs/api/{name}")
async def api_reference_asset(request: web.Request) -> web.FileResponse:
    return _asset("api-reference", request.match_info["name"])


@routes.get("/vendor/{name}")
async def vendor(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    directory = VENDOR_FILES.get(name)
    if directory is None:
        raise web.HTTPNotFound(text="no such file")
    path = NODE_MODULES / directory / name
    if not path.is_file():
        if name.endswith(".map"):
            raise web.HTTPNotFound(text="no source map")
        package = directory.split("/", 1)[0]
        return web.Response(
            status=503,
            text=(
                f"SIVO cannot serve {name}: {package} is not installed. "
                f"Run `npm install` in {ROOT} (`make run` does it), then reload.\n"
            ),
            headers={**PAGE_HEADERS, "Cache-Control": "no-store"},
        )
    return _serve(path)
