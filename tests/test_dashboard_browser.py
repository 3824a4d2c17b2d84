"""The dashboard in a real Chromium: login, create an endpoint, secret, tester, log, DLQ, logout.

The endpoint points at a real HTTPS receiver; the test checks what the receiver got, not only
what the page says. Screenshots go to the test's tmp dir (printed) for a human to look at.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import ConsoleMessage, Page, expect
from sqlalchemy import select

from server.api.context import SERVICES
from server.clock import FakeClock
from server.events.catalog import CATALOG
from server.store.tables import deliveries
from server.webhooks.schedule import RETRY_DELAYS_S
from tests.conftest import AppFactory
from tests.support.api import create_endpoint, emit, new_tenant
from tests.support.axe import assert_no_axe_violations
from tests.support.browser import chromium, chromium_path
from tests.support.receiver import Reply

EMAIL = "ops@acme.example"
PASSWORD = "correct horse battery"
EXPECTED_HTTP_ERROR = re.compile(r"^Failed to load resource: .* status of (401|422) ")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


async def _shot(page: Page, path: Path) -> None:
    await page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


async def test_dashboard_end_to_end_in_chromium(
    make_client: AppFactory, receivers: Any, tmp_path: Path
) -> None:
    chromium_path()  # skip (or fail under SIVO_TEST_REQUIRE_ALL=1) before starting anything
    client = await make_client()
    tenant = await new_tenant(client)
    await client.app[SERVICES].identity.create_admin(tenant.id, EMAIL, PASSWORD)
    receiver = await receivers()
    base = str(client.make_url("/admin/"))
    problems: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        # The wrong password (401) and the refused http:// URL (422) are deliberate below.
        if msg.type in ("error", "warning") and not EXPECTED_HTTP_ERROR.search(msg.text):
            problems.append(f"console {msg.type}: {msg.text}")

    async with chromium() as browser:
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        page.set_default_timeout(10_000)
        page.on("console", on_console)
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))

        # A deep link without a session lands on the login form, then comes back.
        await page.goto(base + "endpoints")
        await expect(page).to_have_url(re.compile(r"/admin/login\?next=/admin/endpoints$"))
        await page.get_by_label("Email").fill(EMAIL)
        await page.get_by_label("Password").fill("wrong password!")
        await page.get_by_role("button", name="Log in").click()
        await expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
        await _shot(page, tmp_path / "1-login.png")
        await assert_no_axe_violations(page, "the login page, a refused password")
        await page.get_by_label("Email").fill(EMAIL)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        await expect(page).to_have_url(base + "endpoints")
        await expect(page.get_by_role("heading", name="Webhook endpoints")).to_be_visible()
        await expect(page.get_by_text("No endpoints yet")).to_be_visible()

        # Create: an API validation error shows next to its field and creates nothing.
        await page.get_by_role("link", name="New endpoint").click()
        await expect(page).to_have_url(base + "endpoints/new")
        await page.get_by_label("Endpoint URL").fill(receiver.url.replace("https:", "http:"))
        await page.get_by_label("call.ended").check()
        await page.get_by_role("button", name="Create endpoint").click()
        url_error = page.locator("#f-url-error")
        await expect(url_error).to_contain_text("https://")
        await expect(page.get_by_label("Endpoint URL")).to_have_attribute("aria-invalid", "true")
        listed = await client.get("/api/v1/webhooks/endpoints", headers=tenant.headers)
        assert (await listed.json())["data"] == []

        await page.get_by_label("Endpoint URL").fill(receiver.url)
        await page.get_by_label("call.created").check()
        await page.get_by_label("Description").fill("CRM <sync> & co")
        await page.get_by_role("button", name="Create endpoint").click()

        # The secret is revealed once, and it is the one SIVO signs with.
        secret_box = page.get_by_test_id("secret-box")
        await expect(secret_box).to_contain_text("won’t be shown again")
        secret = await page.get_by_role("textbox", name="Signing secret").input_value()
        assert secret.startswith("whsec_")
        listed = await client.get("/api/v1/webhooks/endpoints", headers=tenant.headers)
        [endpoint] = (await listed.json())["data"]
        assert endpoint["url"] == receiver.url
        assert endpoint["events"] == ["call.created", "call.ended"]
        assert endpoint["description"] == "CRM <sync> & co" and endpoint["enabled"] is True
        await expect(page).to_have_url(base + f"endpoints/{endpoint['id']}")
        await expect(page.get_by_text("No deliveries yet")).to_be_visible()

        # The tester delivers a signed event to the real receiver and the page says so.
        await page.get_by_label("Event type").select_option("call.ended")
        await page.get_by_role("button", name="Send test event").click()
        outcome = page.locator(".outcome")
        await expect(outcome).to_have_text("✓ Delivered")
        await expect(outcome).to_have_attribute("data-success", "true")
        [got] = await receiver.wait_for(1)
        event_id = got.headers["X-Sivo-Event-Id"]
        expected_sig = "sha256=" + hmac.new(secret.encode(), got.body, hashlib.sha256).hexdigest()
        assert got.headers["X-Sivo-Signature"] == expected_sig
        assert b'"type":"call.ended"' in got.body.replace(b" ", b"")
        await expect(page.locator(".facts")).to_contain_text(event_id)

        # ...and the attempt shows up in the delivery log.
        row = page.locator(".log tbody tr").filter(has_text=event_id)
        await expect(row).to_have_count(1)
        await expect(row).to_contain_text("call.ended")
        await expect(row.locator(".badge-ok")).to_have_text("200")
        await expect(row).to_contain_text(re.compile(r"\d+ ms"))
        await page.get_by_role("button", name="Refresh").click()
        await expect(row).to_have_count(1)
        await _shot(page, tmp_path / "2-endpoint.png")
        await assert_no_axe_violations(page, "an endpoint")

        # Rotating shows a different secret once, with the 24 h overlap note.
        await page.get_by_role("button", name="I’ve saved it, hide").click()
        await expect(secret_box).to_have_count(0)
        await page.get_by_role("button", name="Rotate secret").click()
        await page.get_by_role("dialog").get_by_role("button", name="Rotate secret").click()
        await expect(secret_box).to_contain_text("keeps working for 24 hours")
        rotated = await page.get_by_role("textbox", name="Signing secret").input_value()
        assert rotated.startswith("whsec_") and rotated != secret

        # Editing: switch it off and save.
        await page.get_by_role("switch", name="Enabled").uncheck()
        await page.get_by_role("button", name="Save changes").click()
        await expect(page.get_by_text("Saved.")).to_be_visible()
        await expect(page.locator(".page-head .badge")).to_have_text("Disabled")
        fetched = await client.get(
            f"/api/v1/webhooks/endpoints/{endpoint['id']}", headers=tenant.headers
        )
        assert (await fetched.json())["enabled"] is False

        # The list shows the endpoint; the description is text, not markup.
        await page.get_by_role("navigation", name="Main").get_by_text("Endpoints").click()
        table_row = page.locator("tbody tr")
        await expect(table_row).to_have_count(1)
        await expect(table_row).to_contain_text("CRM <sync> & co")
        await expect(table_row).to_contain_text("call.created, call.ended")
        await expect(table_row).to_contain_text("Disabled")
        await _shot(page, tmp_path / "2b-list.png")
        await assert_no_axe_violations(page, "the endpoints")

        # The DLQ page loads with its filters; nothing is dead yet.
        await page.get_by_role("link", name="Dead-letter queue").click()
        await expect(page.get_by_role("heading", name="Dead-letter queue")).to_be_visible()
        await expect(page.get_by_text("No dead letters match")).to_be_visible()
        await page.get_by_label("Endpoint").select_option(endpoint["id"])
        await page.get_by_role("button", name="Apply filters").click()
        download = page.get_by_role("link", name="Download JSON")
        await expect(download).to_have_attribute(
            "href", f"/api/v1/webhooks/dlq/export?endpoint_id={endpoint['id']}"
        )
        await _shot(page, tmp_path / "3-dlq.png")
        await assert_no_axe_violations(page, "the dead-letter queue, empty")

        # Delete, after confirming in the dialog (cancel first: nothing happens).
        await page.get_by_role("link", name="Endpoints", exact=True).click()
        await page.get_by_role("link", name=receiver.url).click()
        await page.get_by_role("button", name="Delete endpoint").click()
        await page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
        await expect(page.get_by_role("dialog")).to_have_count(0)
        listed = await client.get("/api/v1/webhooks/endpoints", headers=tenant.headers)
        assert len((await listed.json())["data"]) == 1
        await page.get_by_role("button", name="Delete endpoint").click()
        await page.get_by_role("dialog").get_by_role("button", name="Delete endpoint").click()
        await expect(page.get_by_text("No endpoints yet")).to_be_visible()
        listed = await client.get("/api/v1/webhooks/endpoints", headers=tenant.headers)
        assert (await listed.json())["data"] == []

        # Logout ends the session for good.
        await page.get_by_role("button", name="Log out").click()
        await expect(page).to_have_url(re.compile(r"/admin/login$"))
        gone = await page.request.get(base + "session")
        assert gone.status == 401
        await context.close()

    assert problems == []


async def _dead_letters(client: Any, clock: FakeClock, down: Any, count: int) -> None:
    """Drives ``count`` pending deliveries through the whole retry schedule to the DLQ."""
    engine = client.app[SERVICES].engine
    for attempt in range(1, len(RETRY_DELAYS_S) + 2):
        await down.wait_for(count * attempt)
        await engine.idle()
        async with client.app[SERVICES].db.read() as conn:
            rows = (await conn.execute(select(deliveries))).mappings().all()
        if rows and all(r["status"] == "dead" for r in rows):
            break
        clock.advance(max(r["next_attempt_at"] for r in rows) - clock.now())
    assert len(rows) == count and all(r["status"] == "dead" for r in rows)


async def test_dead_letter_queue_filters_retries_and_exports_in_chromium(
    make_client: AppFactory, receivers: Any, tmp_path: Path
) -> None:
    chromium_path()
    clock = FakeClock()
    client = await make_client(clock=clock)
    tenant = await new_tenant(client)
    await client.app[SERVICES].identity.create_admin(tenant.id, EMAIL, PASSWORD)
    down = await receivers(default=Reply(status=500))
    endpoint = await create_endpoint(client, tenant, down.url, ["call.ended"])
    example = CATALOG["call.ended"]["example"]
    ids = [await emit(client, tenant, "call.ended", example) for _ in range(2)]
    await _dead_letters(client, clock, down, 2)
    down.default = Reply(status=204)
    sent = len(down.received)
    base = str(client.make_url("/admin/"))

    async with chromium() as browser:
        context = await browser.new_context(viewport={"width": 1280, "height": 800})
        page = await context.new_page()
        page.set_default_timeout(10_000)
        await page.goto(base + "dlq")
        await page.get_by_label("Email").fill(EMAIL)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        await expect(page).to_have_url(base + "dlq")
        rows = page.locator("tbody tr")
        await expect(rows).to_have_count(2)
        for event_id in ids:
            row = rows.filter(has_text=event_id)
            await expect(row).to_contain_text(down.url)
            await expect(row.locator(".badge-fail")).to_have_text("500")
            await expect(row).to_contain_text("7")

        # The export link carries the filters and downloads every matching event in full.
        await page.get_by_label("Endpoint").select_option(endpoint["id"])
        await page.get_by_role("button", name="Apply filters").click()
        await expect(rows).to_have_count(2)
        href = await page.get_by_role("link", name="Download JSON").get_attribute("href")
        assert href == f"/api/v1/webhooks/dlq/export?endpoint_id={endpoint['id']}"
        exported = await (await page.request.get(str(client.make_url(href)))).json()
        assert sorted(d["event"]["id"] for d in exported["data"]) == sorted(ids)

        # A time window before anything died matches nothing.
        await page.get_by_label("Dead until").fill("2020-01-01T00:00")
        await page.get_by_role("button", name="Apply filters").click()
        await expect(page.get_by_text("No dead letters match")).to_be_visible()
        assert "until=2020-01-0" in page.url or "until=2019-12-3" in page.url
        await page.get_by_role("button", name="Clear").click()
        await expect(rows).to_have_count(2)
        await _shot(page, tmp_path / "4-dlq-rows.png")
        await assert_no_axe_violations(page, "the dead-letter queue with rows")

        # Retry one row: the receiver gets that event again, with the same event id.
        await page.get_by_role("button", name=f"Retry event {ids[0]}").click()
        await expect(page.get_by_role("status").filter(has_text="Requeued event")).to_be_visible()
        await expect(rows).to_have_count(1)
        got = await down.wait_for(sent + 1)
        assert got[sent].headers["X-Sivo-Event-Id"] == ids[0]

        # Retry all matching (after confirming) sends the rest.
        await page.get_by_role("button", name="Retry all matching").click()
        await page.get_by_role("dialog").get_by_role("button", name="Retry all").click()
        await expect(page.get_by_text("Requeued 1 event.")).to_be_visible()
        await expect(page.get_by_text("No dead letters match")).to_be_visible()
        got = await down.wait_for(sent + 2)
        assert got[sent + 1].headers["X-Sivo-Event-Id"] == ids[1]
        await context.close()
