"""The API reference at /docs/api/ in a real Chromium: Swagger UI renders the served spec.

The page loads Swagger UI from /vendor/ and the spec from /api/v1/openapi.json; an API key
entered under "Authorize" is sent as a Bearer token by "Try it out"; a deep link opens its
operation. The test checks that the console stays clean (a CSP violation would be an error
there) and that the page never requests anything from another origin. Screenshots go to the
test's tmp dir (printed) for a human to look at.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import ConsoleMessage, Page, Request, expect

from tests.conftest import AppFactory
from tests.support.api import new_tenant
from tests.support.axe import assert_no_axe_violations
from tests.support.browser import chromium, chromium_path

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def _shot(page: Page, path: Path) -> None:
    await page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


async def test_api_reference_renders_the_spec_and_tries_it_out_with_a_bearer_key(
    make_client: AppFactory, tmp_path: Path
) -> None:
    chromium_path()  # skip (or fail under SIVO_TEST_REQUIRE_ALL=1) before starting anything
    client = await make_client()
    tenant = await new_tenant(client)
    created = await client.post(
        "/api/v1/agents",
        json={"name": "Ann Agent", "email": "ann@example.com", "extension": "101"},
        headers=tenant.headers,
    )
    assert created.status == 201, await created.text()
    spec = await client.get("/api/v1/openapi.json")  # public: no API key
    assert spec.status == 200
    listing = (await spec.json())["paths"]["/api/v1/agents"]["get"]
    deep_link = f"#/{listing['tags'][0]}/{listing['operationId']}"  # e.g. #/Agents/listAgents
    base = str(client.make_url("/")).rstrip("/")
    problems: list[str] = []
    requests: list[Request] = []

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type in ("error", "warning"):
            problems.append(f"console {msg.type}: {msg.text}")

    async with chromium() as browser:
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        page.set_default_timeout(15_000)
        page.on("console", on_console)
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.on("request", lambda request: requests.append(request))

        await page.goto(f"{base}/docs/api")  # redirected to /docs/api/
        await expect(page).to_have_url(f"{base}/docs/api/")
        await expect(page).to_have_title("SIVO API reference")
        await expect(page.locator(".opblock").first).to_be_visible()
        await expect(page.locator(".info .title")).to_contain_text("SIVO API")
        agents = page.locator('.opblock-get:has([data-path="/api/v1/agents"])')
        await expect(agents).to_be_visible()
        assert await page.locator(".opblock").count() > 10
        await _shot(page, tmp_path / "1-reference.png")

        # Authorize with the tenant's API key (the spec's HTTP bearer scheme)...
        await page.locator(".auth-wrapper .authorize").click()
        bearer = page.locator(".auth-container").filter(has_text="(http, Bearer)")
        await bearer.locator("#auth-bearer-value").fill(tenant.key)
        await bearer.get_by_role("button", name="Apply credentials").click()  # "Authorize"
        await expect(bearer.get_by_role("button", name="Remove authorization")).to_have_text(
            "Logout"
        )
        await _shot(page, tmp_path / "2-authorized.png")
        await bearer.get_by_role("button", name="Close").click()

        # ...then "Try it out" sends it: SIVO answers with the agent created above.
        await agents.locator(".opblock-summary-control").click()
        await expect(page).to_have_url(f"{base}/docs/api/{deep_link}")
        await agents.get_by_role("button", name="Try it out").click()
        await agents.get_by_role("button", name="Execute").click()
        live = agents.locator(".live-responses-table .response")
        await expect(live.locator(".response-col_status")).to_have_text("200")
        body = json.loads(await live.locator(".response-col_description pre").first.inner_text())
        assert [a["name"] for a in body["data"]] == ["Ann Agent"]
        [sent] = [r for r in requests if urlsplit(r.url).path == "/api/v1/agents"]
        assert sent.headers.get("authorization") == f"Bearer {tenant.key}"
        await _shot(page, tmp_path / "3-tried.png")

        # A deep link opens its operation in a fresh page; the key is not remembered.
        fresh = await context.new_page()
        fresh.on("console", on_console)
        fresh.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        fresh.on("request", lambda request: requests.append(request))
        await fresh.goto(f"{base}/docs/api/{deep_link}")
        opened = fresh.locator('.opblock-get:has([data-path="/api/v1/agents"])')
        await expect(opened).to_have_class("opblock opblock-get is-open")
        await expect(opened.get_by_role("button", name="Try it out")).to_be_visible()
        await expect(fresh.locator(".auth-wrapper .authorize")).to_have_class(
            "btn authorize unlocked"
        )
        await _shot(fresh, tmp_path / "4-deep-link.png")
        await context.close()

    assert problems == []
    urls = [r.url for r in requests]
    assert f"{base}/api/v1/openapi.json" in urls
    assert f"{base}/vendor/swagger-ui-bundle.js" in urls
    # data: URLs (swagger-ui.css's icons, if Chromium reports them) are not network requests.
    elsewhere = [u for u in urls if not u.startswith("data:") and _origin(u) != base]
    assert elsewhere == []


async def test_api_reference_passes_axe_at_first_and_with_an_operation_open(
    make_client: AppFactory, tmp_path: Path
) -> None:
    """axe-core finds no serious or critical violation on the API reference as it loads, nor
    once an operation (its parameters, two of them enums, its responses, their examples) is
    expanded with "Try it out" on, nor with the response of "Execute" shown."""
    chromium_path()
    client = await make_client()
    base = str(client.make_url("/")).rstrip("/")
    async with chromium() as browser:
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        page.set_default_timeout(15_000)
        await page.goto(f"{base}/docs/api/")
        await expect(page.locator(".opblock").first).to_be_visible()
        await assert_no_axe_violations(page, "the API reference")

        calls = page.locator('.opblock-get:has([data-path="/api/v1/calls"])')
        await calls.locator(".opblock-summary-control").click()
        await expect(calls).to_have_class("opblock opblock-get is-open")
        await expect(calls.locator(".responses-wrapper")).to_be_visible()
        await calls.get_by_role("button", name="Try it out").click()
        await expect(calls.get_by_role("button", name="Execute")).to_be_visible()
        await _shot(page, tmp_path / "axe-open.png")
        await assert_no_axe_violations(page, "the API reference, an operation open")

        # Executed without a key: SIVO's 401 in the one error shape, drawn as a response body.
        await calls.get_by_role("button", name="Execute").click()
        live = calls.locator(".live-responses-table .response")
        await expect(live.locator(".response-col_status")).to_have_text("401")
        await assert_no_axe_violations(page, "the API reference, a response shown")
        await context.close()
