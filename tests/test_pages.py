"""The web phone, softphone and API reference pages: served by SIVO with a strict CSP,
nothing external.

Follows every ``src``/``href`` of the pages and every ES-module import from there, so a file
the pages need but the server does not serve fails here, not in a browser.
"""

from __future__ import annotations

import asyncio
import gc
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from server import pages
from server.media.config import IceServer
from tests.conftest import AppFactory

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

STATIC = Path(__file__).resolve().parents[1] / "static"
PAGES = ("/caller/", "/softphone/")
CSP_DIRECTIVES = (
    "default-src 'self'",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
)
# Any absolute or protocol-relative URL. Not references: an SVG's XML namespace name, and
# RFC 2606 example domains (the dashboard's placeholder "https://crm.example.com/...").
EXTERNAL_URL = re.compile(r"""\b(?:https?|wss?|ftp)://|(?:src|href|url)\s*[=(]\s*["']?//""", re.I)
NOT_REFERENCES = re.compile(
    r"""xmlns(:\w+)?="http://www\.w3\.org/[^"]*"|https://([\w-]+\.)*example\.(com|net|org)\b"""
)
HTML_REFS = re.compile(r"""(?:src|href)="([^"]+)\"""")
JS_IMPORTS = re.compile(r"""^(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'""", re.M)


def _assert_csp(resp: Any) -> None:
    csp = resp.headers.get("Content-Security-Policy", "")
    for directive in CSP_DIRECTIVES:
        assert directive in csp, (resp.url, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert resp.headers.get("X-Content-Type-Options") == "nosniff"


async def _get(client: TestClient[Any, Any], path: str) -> tuple[Any, str]:
    resp = await client.get(path, allow_redirects=False)
    return resp, await resp.text()


@sqlite_only
async def test_pages_and_every_asset_they_load_are_served_with_the_csp(
    make_client: AppFactory,
) -> None:
    client = await make_client()
    seen: set[str] = set()
    todo: list[str] = []
    for page in PAGES:
        resp, html = await _get(client, page)
        assert resp.status == 200, page
        assert resp.content_type == "text/html"
        assert resp.headers["Cache-Control"] == "no-store"
        assert resp.headers["Referrer-Policy"] == "no-referrer"
        _assert_csp(resp)
        refs = HTML_REFS.findall(html)
        assert "/vendor/socket.io.min.js" in refs
        todo.extend(refs)
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        assert path.startswith("/"), f"relative or external reference {path!r}"
        resp, body = await _get(client, path)
        assert resp.status == 200, path
        _assert_csp(resp)
        if path.endswith(".js"):
            assert resp.content_type == "text/javascript", path
            if not path.startswith("/vendor/"):
                todo.extend(JS_IMPORTS.findall(body))
        elif path.endswith(".css"):
            assert resp.content_type == "text/css"
    # The pages pull in their own script, the shared modules and the stylesheet.
    assert {"/caller/caller.js", "/softphone/softphone.js", "/softphone/call-view.js"} <= seen
    assert {"/shared/dom.js", "/shared/media.js", "/shared/signal.js", "/shared/phone.css"} <= seen


def test_no_static_file_refers_to_anything_outside_this_origin() -> None:
    """No CDN, font, analytics or STUN URL anywhere under static/ (admin pages included)."""
    files = [p for p in STATIC.rglob("*") if p.is_file()]
    assert len(files) > 10
    for path in files:
        text = NOT_REFERENCES.sub("", path.read_text(encoding="utf-8"))
        found = EXTERNAL_URL.search(text)
        where = path.relative_to(STATIC)
        assert found is None, f"{where}: {text[found.start() : found.end() + 40]!r}"


@sqlite_only
async def test_the_landing_page_links_each_page_and_says_what_it_is_for(
    make_client: AppFactory,
) -> None:
    """/ is a page of its own (the usual CSP, no script) linking the dashboard, the softphone,
    the web phone and the API reference, each with a line saying who it is for; each link
    and each file the page loads is served."""
    client = await make_client()
    resp, html = await _get(client, "/")
    assert resp.status == 200 and resp.content_type == "text/html"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    _assert_csp(resp)
    assert "<script" not in html
    refs = HTML_REFS.findall(html)
    assert {"/admin/", "/softphone/", "/caller/", "/docs/api/"} <= set(refs)
    assert {"/shared/base.css", "/landing/landing.css"} <= set(refs)
    for door in ("admin", "softphone", "caller", "api"):
        assert re.search(rf'<p id="door-{door}">For [a-z]+', html), door
    for path in refs:
        assert path.startswith("/"), f"relative or external reference {path!r}"
        resp, _ = await _get(client, path)
        assert resp.status in (200, 303), path  # /admin/ sends a visitor to its login
        if path.endswith((".css", ".svg")):
            _assert_csp(resp)  # the pages linked have their own (tested above and below)
    resp, _ = await _get(client, "/landing/nothing.css")
    assert resp.status == 404


@sqlite_only
async def test_api_reference_page_and_its_assets_are_served_from_this_origin(
    make_client: AppFactory,
) -> None:
    """/docs/api/ has its own CSP (data: images for Swagger UI's icons); its files the usual."""
    client = await make_client()
    resp, _ = await _get(client, "/docs/api")
    assert resp.status == 301 and resp.headers["Location"] == "/docs/api/"
    resp, html = await _get(client, "/docs/api/")
    assert resp.status == 200 and resp.content_type == "text/html"
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    csp = resp.headers["Content-Security-Policy"]
    assert csp == pages.REFERENCE_CSP
    for directive in ("default-src 'self'", "img-src 'self' data:", "connect-src 'self'"):
        assert directive in csp
    assert "frame-ancestors 'none'" in csp and "base-uri 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    refs = HTML_REFS.findall(html)
    assert {"/vendor/swagger-ui-bundle.js", "/vendor/swagger-ui.css"} <= set(refs)
    assert {"/docs/api/reference.js", "/docs/api/reference.css"} <= set(refs)
    todo, seen = list(refs), set()
    while todo:
        path = todo.pop()
        if path in seen or path == "/api/v1/openapi.json":  # the spec: server/api/openapi.py
            continue
        seen.add(path)
        assert path.startswith("/"), f"relative or external reference {path!r}"
        resp, body = await _get(client, path)
        assert resp.status == 200, path
        _assert_csp(resp)
        if path.endswith(".js") and not path.startswith("/vendor/"):
            todo.extend(JS_IMPORTS.findall(body))
    assert "/shared/dom.js" in seen


@sqlite_only
async def test_swagger_ui_is_served_from_node_modules_with_the_page_headers(
    make_client: AppFactory,
) -> None:
    client = await make_client()
    resp, body = await _get(client, "/vendor/swagger-ui-bundle.js")
    assert resp.status == 200
    assert resp.content_type == "text/javascript"
    assert "SwaggerUIBundle" in body and len(body) > 500_000
    assert resp.headers["Content-Security-Policy"] == pages.CSP
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    resp, body = await _get(client, "/vendor/swagger-ui.css")
    assert resp.status == 200 and resp.content_type == "text/css"
    assert ".swagger-ui" in body
    _assert_csp(resp)
    for name in ("swagger-ui-bundle.js.map", "swagger-ui.css.map"):
        resp, body = await _get(client, f"/vendor/{name}")
        assert resp.status == 200 and resp.content_type == "application/json", name
        assert '"sources"' in body
    # The rest of the package is not served: its demo page, initializer and other bundles.
    for other in ("index.html", "swagger-initializer.js", "swagger-ui.js", "package.json"):
        resp, _ = await _get(client, f"/vendor/{other}")
        assert resp.status == 404, other


@pytest.mark.parametrize("page", ["caller", "softphone", "api-reference"])
def test_pages_have_no_inline_script_style_or_html_injection(page: str) -> None:
    html = (STATIC / page / "index.html").read_text(encoding="utf-8")
    for script in re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S):
        assert script.strip() == "", "inline <script>"
    assert re.search(r"<style\b", html) is None
    assert re.search(r"\sstyle=", html) is None
    assert re.search(r"\son[a-z]+=", html) is None, "inline event handler"
    for js in [*(STATIC / page).glob("*.js"), *(STATIC / "shared").glob("*.js")]:
        source = js.read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in source, f"{js.name} uses {sink}"


@sqlite_only
async def test_vendor_bundle_is_served_from_node_modules(make_client: AppFactory) -> None:
    client = await make_client()
    resp, body = await _get(client, "/vendor/socket.io.min.js")
    assert resp.status == 200
    assert resp.content_type == "text/javascript"
    assert "socket.io" in body.lower() and len(body) > 20_000
    assert body.rstrip().endswith("//# sourceMappingURL=socket.io.min.js.map")
    resp, body = await _get(client, "/vendor/socket.io.min.js.map")
    assert resp.status == 200 and '"sources"' in body
    for other in ("socket.io.js", "..%2Fpackage.json", "engine.io.js"):
        resp, _ = await _get(client, f"/vendor/{other}")
        assert resp.status == 404, other


@sqlite_only
async def test_missing_node_modules_is_a_503_that_says_to_run_npm_install(
    make_client: AppFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(pages, "NODE_MODULES", tmp_path / "absent")
    client = await make_client()
    for name, package in (
        ("socket.io.min.js", "socket.io-client"),
        ("swagger-ui-bundle.js", "swagger-ui-dist"),
        ("swagger-ui.css", "swagger-ui-dist"),
    ):
        resp, body = await _get(client, f"/vendor/{name}")
        assert resp.status == 503, name
        assert f"{package} is not installed" in body and "npm install" in body
        assert resp.headers["Content-Security-Policy"] == pages.CSP
    for name in ("socket.io.min.js.map", "swagger-ui-bundle.js.map"):
        resp, _ = await _get(client, f"/vendor/{name}")
        assert resp.status == 404, name


@sqlite_only
async def test_only_flat_asset_names_are_served(make_client: AppFactory) -> None:
    client = await make_client()
    for path in (
        "/caller/..%2F..%2Fserver%2Fapp.py",
        "/shared/%2E%2E%2Fadmin%2Findex.html",
        "/softphone/index.html",  # the page is only at /softphone/
        "/docs/api/index.html",
        "/docs/api/..%2F..%2Fpackage.json",
        "/shared/phone.css.bak",
        "/shared/Phone.css",
        "/caller/missing.js",
    ):
        resp, _ = await _get(client, path)
        assert resp.status == 404, path


@sqlite_only
async def test_redirects_keep_the_token_query(make_client: AppFactory) -> None:
    client = await make_client()
    resp, _ = await _get(client, "/softphone?token=abc.def&processing=off")
    assert resp.status == 301
    assert resp.headers["Location"] == "/softphone/?token=abc.def&processing=off"
    resp, _ = await _get(client, "/caller")
    assert resp.status == 301 and resp.headers["Location"] == "/caller/"


@sqlite_only
async def test_ice_servers_for_browsers_follow_the_server_setting(
    make_client: AppFactory,
) -> None:
    client = await make_client()
    resp, _ = await _get(client, "/caller/config.json")
    assert resp.status == 200
    assert await resp.json() == {"ice_servers": []}

    turn = IceServer(urls=("turn:turn.example.net:3478",), username="u", credential="c")
    client = await make_client(ice_servers=(IceServer(urls=("stun:stun.example.net",)), turn))
    resp, _ = await _get(client, "/softphone/config.json")
    assert await resp.json() == {
        "ice_servers": [
            {"urls": ["stun:stun.example.net"]},
            {"urls": ["turn:turn.example.net:3478"], "username": "u", "credential": "c"},
        ]
    }


async def test_every_response_is_hardened_raised_ones_included(make_client: AppFactory) -> None:
    """404s, redirects, API errors and JSON all carry the security headers."""
    client = await make_client()
    for path, status in (
        ("/", 200),
        ("/nowhere", 404),
        ("/api/v1/calls", 401),
        ("/healthz", 200),
        ("/admin/", 303),
        ("/softphone/", 200),
    ):
        resp = await client.get(path, allow_redirects=False)
        assert resp.status == status, path
        assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"], path
        assert resp.headers["X-Frame-Options"] == "DENY", path
        assert resp.headers["X-Content-Type-Options"] == "nosniff", path
        assert resp.headers["Referrer-Policy"] == "no-referrer", path
        assert "Strict-Transport-Security" not in resp.headers, path


async def test_hsts_when_the_public_url_is_https(make_client: AppFactory) -> None:
    client = await make_client(public_url="https://sivo.example")
    resp = await client.get("/nowhere")
    assert resp.status == 404
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=31536000")


@sqlite_only
async def test_asset_requests_a_client_aborts_leave_no_file_open(make_client: AppFactory) -> None:
    """A reload aborts the page's asset requests mid-flight. Served as ``sivo serve`` serves
    (``tests/support/served.py``), no handler is cancelled while its FileResponse opens the
    file in the executor, so no file is left to the garbage collector."""
    client = await make_client()
    leaked: list[Any] = []
    previous, sys.unraisablehook = sys.unraisablehook, leaked.append
    try:
        for i in range(1000):
            _, writer = await asyncio.open_connection("127.0.0.1", client.port)
            writer.write(b"GET /shared/favicon.svg HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            await writer.drain()
            await asyncio.sleep(0.00005 * (i % 40))  # aborted at every stage of the response
            writer.transport.abort()
        await asyncio.sleep(0.3)
        gc.collect()
    finally:
        sys.unraisablehook = previous
    assert [repr(u.exc_value) for u in leaked] == []
    resp = await client.get("/shared/favicon.svg")
    assert resp.status == 200
