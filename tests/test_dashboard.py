"""The dashboard's doors: login CSRF, safe redirects, session cookies, CSRF on the API, logout.

Plus the static pages themselves: served from /admin/assets/, no inline code, no external URL.
"""

from __future__ import annotations

import re
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse

from server.api.auth import SESSION_COOKIE
from server.api.context import SERVICES
from server.clock import FakeClock
from server.dashboard.routes import LOGIN_CSRF_COOKIE, STATIC_DIR
from tests.conftest import AppFactory
from tests.support.api import Tenant, new_tenant

EMAIL = "ops@acme.example"
PASSWORD = "correct horse battery"
ENDPOINT = {"url": "https://127.0.0.1:9/hook", "events": ["call.ended"], "description": "CRM"}
CSRF_FIELD = re.compile(r'<input type="hidden" name="csrf" value="([^"]*)">')
NEXT_FIELD = re.compile(r'<input type="hidden" name="next" value="([^"]*)">')
ERROR_SLOT = re.compile(r'<p class="alert alert-error" role="alert" id="login-error">([^<]*)</p>')


async def _admin(client: Any) -> Tenant:
    tenant = await new_tenant(client)
    await client.app[SERVICES].identity.create_admin(tenant.id, EMAIL, PASSWORD)
    return tenant


def _set_cookies(resp: ClientResponse) -> SimpleCookie:
    """The Set-Cookie headers of one response, parsed (independent of the client's jar)."""
    jar: SimpleCookie = SimpleCookie()
    for header in resp.headers.getall("Set-Cookie", []):
        jar.load(header)
    return jar


async def _login_form(client: Any, next_url: str | None = None) -> str:
    """GETs the login page; returns its CSRF token (the client's jar keeps the cookie)."""
    params = {"next": next_url} if next_url is not None else None
    resp = await client.get("/admin/login", params=params)
    assert resp.status == 200
    match = CSRF_FIELD.search(await resp.text())
    assert match, "login page has no csrf field"
    return match.group(1)


async def _login(
    client: Any, *, password: str = PASSWORD, next_url: str = "/admin/", csrf: str | None = ""
) -> ClientResponse:
    token = await _login_form(client)
    form = {"email": EMAIL, "password": password, "next": next_url}
    if csrf is not None:
        form["csrf"] = csrf or token
    return await client.post("/admin/login", data=form, allow_redirects=False)


async def _session(client: Any) -> dict[str, str]:
    resp = await client.get("/admin/session")
    assert resp.status == 200, await resp.text()
    body: dict[str, str] = await resp.json()
    return body


async def _endpoint_count(client: Any, tenant: Tenant) -> int:
    resp = await client.get("/api/v1/webhooks/endpoints", headers=tenant.headers)
    assert resp.status == 200
    return len((await resp.json())["data"])


async def test_login_page_renders_with_a_csrf_cookie_matching_its_field(
    make_client: AppFactory,
) -> None:
    client = await make_client()
    resp = await client.get("/admin/login", params={"next": "/admin/dlq"})
    assert resp.status == 200 and resp.content_type == "text/html"
    page = await resp.text()
    cookie = _set_cookies(resp)[LOGIN_CSRF_COOKIE]
    field = CSRF_FIELD.search(page)
    assert field and len(field.group(1)) >= 24 and field.group(1) == cookie.value
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/admin/"
    assert NEXT_FIELD.search(page).group(1) == "/admin/dlq"  # type: ignore[union-attr]
    assert ERROR_SLOT.search(page).group(1) == ""  # type: ignore[union-attr]
    assert "{{" not in page and 'action="/admin/login"' in page
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
    again = await client.get("/admin/login")
    assert CSRF_FIELD.search(await again.text()).group(1) != field.group(1)  # type: ignore[union-attr]


@pytest.mark.parametrize("csrf", [None, "forged-token-forged-token-forged"])
async def test_login_without_the_right_csrf_token_is_refused(
    make_client: AppFactory, csrf: str | None
) -> None:
    client = await make_client()
    await _admin(client)
    resp = await _login(client, csrf=csrf)
    assert resp.status == 403
    assert SESSION_COOKIE not in _set_cookies(resp)
    assert ERROR_SLOT.search(await resp.text()).group(1)  # type: ignore[union-attr]
    assert (await client.get("/admin/session")).status == 401


async def test_wrong_password_is_refused_with_a_message(make_client: AppFactory) -> None:
    client = await make_client()
    await _admin(client)
    resp = await _login(client, password="not the password")
    assert resp.status == 401
    assert SESSION_COOKIE not in _set_cookies(resp)
    assert ERROR_SLOT.search(await resp.text()).group(1) == "Wrong email or password."  # type: ignore[union-attr]
    assert (await client.get("/admin/session")).status == 401


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/admin/dlq", "/admin/dlq"),
        ("/admin/endpoints/we_1?x=1", "/admin/endpoints/we_1?x=1"),
        ("//evil.example/", "/admin/"),
        ("https://evil.example/", "/admin/"),
        ("/admin/\\evil.example", "/admin/"),
        ("/api/v1/webhooks/endpoints", "/admin/"),
    ],
)
async def test_login_redirects_only_inside_the_dashboard(
    make_client: AppFactory, next_url: str, expected: str
) -> None:
    client = await make_client()
    tenant = await _admin(client)
    resp = await _login(client, next_url=next_url)
    assert resp.status == 303
    assert resp.headers["Location"] == expected
    cookies = _set_cookies(resp)
    session = cookies[SESSION_COOKIE]
    assert session.value and session["httponly"] and session["samesite"] == "Lax"
    assert session["path"] == "/" and int(session["max-age"]) > 0
    assert cookies[LOGIN_CSRF_COOKIE].value == ""  # the one-time login token is spent
    assert (await _session(client))["tenant_id"] == tenant.id


async def test_pages_need_a_session_and_are_served_with_one(make_client: AppFactory) -> None:
    client = await make_client()
    await _admin(client)
    for path in ("/admin/endpoints", "/admin/dlq", "/admin/calls", "/admin/settings", "/admin/"):
        resp = await client.get(path, allow_redirects=False)
        assert resp.status == 303, path
        assert resp.headers["Location"] == f"/admin/login?next={path}"
    assert (await _login(client)).status == 303
    pages = ("/admin/", "/admin/endpoints", "/admin/endpoints/new", "/admin/dlq")
    for path in (*pages, "/admin/calls", "/admin/calls/call_1", "/admin/settings"):
        resp = await client.get(path, allow_redirects=False)
        assert resp.status == 200, path
        page = await resp.text()
        assert '<script type="module" src="/admin/assets/app.js"></script>' in page
        assert resp.headers["Cache-Control"] == "no-store"
        assert "default-src 'self'" in resp.headers["Content-Security-Policy"]


async def test_api_with_a_session_needs_the_csrf_header_to_change_anything(
    make_client: AppFactory,
) -> None:
    client = await make_client()
    tenant = await _admin(client)
    assert (await _login(client)).status == 303
    token = (await _session(client))["csrf_token"]
    assert (await client.get("/api/v1/webhooks/endpoints")).status == 200  # reads need no token

    for headers in ({}, {"X-CSRF-Token": "wrong"}, {"X-CSRF-Token": ""}):
        resp = await client.post("/api/v1/webhooks/endpoints", json=ENDPOINT, headers=headers)
        assert resp.status == 403
        assert (await resp.json())["error"]["code"] == "csrf_failed"
    assert await _endpoint_count(client, tenant) == 0

    resp = await client.post(
        "/api/v1/webhooks/endpoints", json=ENDPOINT, headers={"X-CSRF-Token": token}
    )
    assert resp.status == 201, await resp.text()
    created = await resp.json()
    assert created["secret"].startswith("whsec_")
    assert await _endpoint_count(client, tenant) == 1

    path = f"/api/v1/webhooks/endpoints/{created['id']}"
    assert (await client.delete(path)).status == 403
    assert (await client.delete(path, headers={"X-CSRF-Token": token})).status == 204
    assert await _endpoint_count(client, tenant) == 0


async def test_logout_needs_the_csrf_token_and_ends_the_session(make_client: AppFactory) -> None:
    client = await make_client()
    await _admin(client)
    assert (await _login(client)).status == 303
    token = (await _session(client))["csrf_token"]
    session_cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))[SESSION_COOKIE]

    refused = await client.post("/admin/logout", data={"csrf": "wrong"}, allow_redirects=False)
    assert refused.status == 403
    refused = await client.post("/admin/logout", allow_redirects=False)
    assert refused.status == 403
    assert (await client.get("/api/v1/webhooks/endpoints")).status == 200  # still logged in

    resp = await client.post("/admin/logout", data={"csrf": token}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/admin/login"
    assert _set_cookies(resp)[SESSION_COOKIE].value == ""
    # The old cookie is dead on the server, not just dropped by the browser.
    old = {"Cookie": f"{SESSION_COOKIE}={session_cookie.value}"}
    resp = await client.get("/api/v1/webhooks/endpoints", headers=old)
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == "unauthorized"
    assert (await client.get("/admin/session", headers=old)).status == 401


async def test_every_referenced_asset_is_served_by_sivo(make_client: AppFactory) -> None:
    client = await make_client()
    pages = [STATIC_DIR / "index.html", STATIC_DIR / "login.html"]
    refs = {
        ref
        for page in pages
        for ref in re.findall(r'(?:src|href)="([^"#]+)"', page.read_text())
        if ref.startswith("/admin/assets/")
    }
    for js in (STATIC_DIR / "assets").glob("*.js"):
        refs |= {
            f"/admin/assets/{name}"
            for name in re.findall(r"from '\./([\w./-]+\.js)'", js.read_text())
        }
    assert {"/admin/assets/app.js", "/admin/assets/style.css", "/admin/assets/api.js"} <= refs
    for ref in sorted(refs):
        resp = await client.get(ref)
        assert resp.status == 200, ref
        assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
    js = await client.get("/admin/assets/app.js")
    assert js.content_type in {"application/javascript", "text/javascript"}


def _assets() -> list[Path]:
    return sorted(p for p in STATIC_DIR.rglob("*") if p.is_file())


@pytest.mark.parametrize("path", _assets(), ids=lambda p: p.name)
def test_static_files_have_no_inline_code_external_urls_or_html_sinks(path: Path) -> None:
    text = path.read_text()
    if path.suffix == ".html":
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>"
        assert not re.search(r"\sstyle=|<style", text), "inline style"
        assert not re.search(r"\son[a-z]+=", text), "inline event handler"
        # {{url}}: the Salesforce authorize URL the server builds (salesforce-go.html).
        assert not re.search(r'(?:src|href|action)="(?!/admin/|#|\{\{url\}\}")', text), (
            "link outside /admin/"
        )
    if path.suffix == ".js":
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", text)
        assert not re.search(r"\beval\(|new Function\(", text)
        assert not re.search(r"""(?:import|from)\s*\(?\s*['"](?!\./)""", text), "non-local import"
        assert not re.search(r"""fetch\(\s*['"`]https?:""", text), "fetch outside SIVO"
    if path.suffix == ".css":
        assert not re.search(r"@import|url\(\s*['\"]?(?:https?:)?//", text), "external CSS"
    assert "//cdn" not in text and "googleapis" not in text


async def test_repeated_wrong_passwords_are_throttled_and_the_lock_decays(
    make_client: AppFactory,
) -> None:
    """Five wrong passwords: even the right one gets 429 with Retry-After, until it decays."""
    clock = FakeClock()
    client = await make_client(clock=clock)
    await _admin(client)
    for _ in range(5):
        assert (await _login(client, password="wrong password!!")).status == 401
    refused = await _login(client)
    assert refused.status == 429
    wait = int(refused.headers["Retry-After"])
    assert 90 <= wait <= 100 and SESSION_COOKIE not in _set_cookies(refused)
    clock.advance(wait - 5)
    assert (await _login(client)).status == 429
    clock.advance(6)
    ok = await _login(client)
    assert ok.status == 303 and SESSION_COOKIE in _set_cookies(ok)
    assert (await _login(client, password="wrong again!!!!")).status == 401  # score cleared


async def test_one_address_guessing_many_accounts_is_throttled(make_client: AppFactory) -> None:
    client = await make_client(clock=FakeClock())
    await _admin(client)
    statuses = []
    for i in range(22):
        token = await _login_form(client)
        form = {"email": f"x{i}@acme.example", "password": "guess", "next": "/admin/"}
        resp = await client.post(
            "/admin/login", data={**form, "csrf": token}, allow_redirects=False
        )
        statuses.append(resp.status)
    assert statuses[:20] == [401] * 20 and statuses[20:] == [429, 429]
