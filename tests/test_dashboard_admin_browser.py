"""The dashboard's telephony administration and the landing page in a real Chromium.

An admin creates queues, an agent and a number in the pages (each refusal of the API shown
next to its field, in words), edits them, mints a softphone token, is refused the delete of
a queue in use (told which number and overflow hold it), deletes, and edits the tenant's
telephony settings and pause reasons; what the pages did is checked through the API. axe-core
finds no serious or critical violation on any of these pages. Also the accessibility helper
itself (tests/support/axe.py): axe-core finds a missing label. Screenshots go to the test's
tmp dir (printed) for a human to look at.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

from playwright.async_api import Page, expect

from server.api.context import SERVICES
from tests.conftest import AppFactory
from tests.support.api import Tenant, new_tenant
from tests.support.axe import assert_no_axe_violations, axe_violations, format_violations
from tests.support.browser import BROWSER_MARKS, chromium, chromium_path, new_page, screenshot
from tests.support.dashboard import log_in_page

EMAIL = "ops@acme.example"
PASSWORD = "correct horse battery"
# server/schemas/reports.py's SERVICE_LEVEL_THRESHOLDS_S as the select reads them
LADDER_TEXT = ["5 s", "10 s", "15 s", "20 s", "25 s", "30 s", "45 s", "1 min", "1 min 30 s"]
LADDER_TEXT += ["2 min", "3 min", "4 min", "5 min", "10 min"]
BAD_REASON = "Must be a short lower-case word (a-z, 0-9, space, _ or -; at most 64)."

pytestmark = BROWSER_MARKS


async def test_axe_reports_an_unlabelled_field_and_passes_a_labelled_one(database_url: str) -> None:
    """axe_violations returns a critical ``label`` violation for a bare input, none once the
    input has a label; format_violations names the rule and the element."""
    chromium_path()
    async with chromium() as browser:
        page, _ = await new_page(browser)
        await page.set_content(
            "<!doctype html><html lang=en><title>t</title><main><input id=a></main>"
        )
        found = await axe_violations(page)
        assert [v["id"] for v in found] == ["label"], format_violations(found)
        assert "#a" in format_violations(found)
        await page.set_content(
            "<!doctype html><html lang=en><title>t</title>"
            "<main><label for=a>Name</label><input id=a></main>"
        )
        assert await axe_violations(page) == []


async def test_the_landing_page_leads_to_each_page_in_chromium(
    make_client: AppFactory, tmp_path: Path
) -> None:
    """/ shows four links, each with what it is for; the dashboard's asks for a login; axe
    finds nothing serious; keyboard: Tab reaches the first link."""
    chromium_path()
    client = await make_client()
    base = str(client.make_url("/"))
    async with chromium() as browser:
        page, problems = await new_page(browser)
        await page.goto(base)
        await expect(page.get_by_role("heading", level=1)).to_have_text("SIVO call center")
        for name, href, says in (
            ("Dashboard", "/admin/", "For supervisors and admins"),
            ("Softphone", "/softphone/", "For agents"),
            ("Web phone", "/caller/", "For callers"),
            ("API reference", "/docs/api/", "For developers"),
        ):
            link = page.get_by_role("link", name=name)
            await expect(link).to_have_attribute("href", href)
            await expect(link).to_have_accessible_description(re.compile(says))
        await assert_no_axe_violations(page, "the landing page")
        await screenshot(page, tmp_path / "landing.png")
        await page.set_viewport_size({"width": 400, "height": 800})
        await screenshot(page, tmp_path / "landing-narrow.png")
        await page.keyboard.press("Tab")
        await expect(page.get_by_role("link", name="Dashboard")).to_be_focused()
        await page.keyboard.press("Enter")
        await expect(page.get_by_label("Email")).to_be_visible()
        assert problems == []


async def _api(client: Any, tenant: Tenant, path: str) -> Any:
    resp = await client.get(f"/api/v1{path}", headers=tenant.headers)
    assert resp.status == 200, f"GET {path}: {resp.status} {await resp.text()}"
    return await resp.json()


async def _admin(make_client: AppFactory) -> tuple[Any, Tenant, str]:
    client = await make_client()
    tenant = await new_tenant(client)
    await client.app[SERVICES].identity.create_admin(tenant.id, EMAIL, PASSWORD)
    return client, tenant, str(client.make_url("/admin/"))


def _expected_refusals(problems: list[str]) -> list[str]:
    """The console lines left once the refusals the test provokes (422, 409) are taken out."""
    return [p for p in problems if not re.search(r"status of (409|422) ", p)]


async def _field_error(page: Page, field: str, text: str) -> None:
    """The API's message (in words) next to ``field``, which is marked invalid."""
    await expect(page.locator(f"#f-{field}-error")).to_have_text(text)
    control = page.locator(f"#f-{field}")
    await expect(control).to_have_attribute("aria-invalid", "true")
    await expect(control).to_have_accessible_description(re.compile(re.escape(text)))


async def test_queues_agents_and_numbers_are_managed_in_the_dashboard_in_chromium(
    make_client: AppFactory, tmp_path: Path
) -> None:
    """Queues, agents and numbers from empty to deleted, with their validation, in the pages
    the nav leads to; each state checked through the API, each page through axe-core."""
    chromium_path()
    client, tenant, base = await _admin(make_client)

    async with chromium() as browser:
        page, problems = await new_page(browser)
        await page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        await log_in_page(page, base + "endpoints", EMAIL, PASSWORD)
        nav = page.get_by_role("navigation", name="Main")

        # Queues: the empty state leads to the form.
        await nav.get_by_role("link", name="Queues").click()
        await expect(page).to_have_url(base + "queues")
        await expect(page.get_by_text("No queues yet.")).to_be_visible()
        await assert_no_axe_violations(page, "Queues (empty)")
        await screenshot(page, tmp_path / "01-queues-empty.png")
        await page.get_by_role("link", name="Create a queue").click()
        await expect(page).to_have_url(base + "queues/new")
        await expect(page.get_by_role("heading", level=1)).to_have_text("New queue")

        # A ring timeout the API refuses: its message next to the field, nothing created.
        await page.get_by_label("Name").fill("Support")
        await page.get_by_label("Ring timeout (seconds)").fill("0")
        await page.get_by_label("Max wait (seconds)").fill("300")
        await page.get_by_role("button", name="Create queue").click()
        await _field_error(page, "ring_timeout_s", "Must be at least 0.1.")
        await expect(page.get_by_label("Ring timeout (seconds)")).to_be_focused()
        await assert_no_axe_violations(page, "New queue (refused)")
        await screenshot(page, tmp_path / "02-queue-refused.png")
        assert (await _api(client, tenant, "/queues"))["data"] == []
        # Not a number at all: said before asking the API.
        await page.get_by_label("Ring timeout (seconds)").fill("soon")
        await page.get_by_role("button", name="Create queue").click()
        await _field_error(page, "ring_timeout_s", "Enter a number of seconds, e.g. 20 or 2.5.")

        await page.get_by_label("Ring timeout (seconds)").fill("15")
        await page.get_by_role("button", name="Create queue").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Support")
        await expect(page.get_by_role("status").filter(has_text="Queue created")).to_be_visible()
        [support] = (await _api(client, tenant, "/queues"))["data"]
        assert support["ring_timeout_s"] == 15 and support["max_wait_s"] == 300
        assert support["overflow"] == {"action": "end", "cause": "max_wait_exceeded"}
        assert page.url == base + f"queues/{support['id']}"

        # A second queue overflowing into the first, entered with the keyboard only.
        await page.goto(base + "queues/new")
        await page.get_by_label("Name").focus()
        await page.keyboard.type("Billing")
        await page.keyboard.press("Tab")  # ring timeout: keep 20
        await page.keyboard.press("Tab")  # wrap-up: keep 30
        await page.keyboard.press("Tab")
        await page.keyboard.type("60")
        await expect(page.get_by_label("Then")).to_be_enabled()
        await page.get_by_label("Then").select_option(label="Move the caller to “Support”")
        await expect(page.get_by_label("Hangup cause recorded")).to_be_hidden()
        await page.get_by_label("Max wait (seconds)").press("Enter")  # submits the form
        await expect(page.get_by_role("heading", level=1)).to_have_text("Billing")
        queues = {q["name"]: q for q in (await _api(client, tenant, "/queues"))["data"]}
        billing = queues["Billing"]
        assert billing["overflow"] == {"action": "queue", "queue_id": support["id"]}

        # Edit: a hangup cause the API refuses is shown under the cause box; then a wrap-up.
        await page.get_by_label("Then").select_option("end")
        await page.get_by_label("Hangup cause recorded").fill("Closed Today")
        await page.get_by_role("button", name="Save changes").click()
        await _field_error(page, "cause", BAD_REASON)
        await page.get_by_label("Hangup cause recorded").fill("closed today")
        await page.get_by_label("Wrap-up (seconds)").fill("45")
        await page.get_by_role("button", name="Save changes").click()
        await expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
        billing = await _api(client, tenant, f"/queues/{billing['id']}")
        assert billing["wrap_up_s"] == 45
        assert billing["overflow"] == {"action": "end", "cause": "closed today"}
        await assert_no_axe_violations(page, "Queue (edit)")
        await screenshot(page, tmp_path / "03-queue-edit.png")
        # Put the overflow back, for the refused delete below.
        await page.get_by_label("Then").select_option(label="Move the caller to “Support”")
        await page.get_by_role("button", name="Save changes").click()
        await expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()

        # Agents: empty, a refused extension, then created with a queue.
        await nav.get_by_role("link", name="Agents").click()
        await expect(page.get_by_text("No agents yet.")).to_be_visible()
        await assert_no_axe_violations(page, "Agents (empty)")
        await page.get_by_role("link", name="Add an agent").click()
        await expect(page).to_have_url(base + "agents/new")
        await page.get_by_label("Name").fill("Ada Lovelace")
        await page.get_by_label("Email").fill("ada@acme.example")
        await page.get_by_label("Extension").fill("1")
        await page.get_by_role("checkbox", name="Support").check()
        await page.get_by_role("button", name="Create agent").click()
        await _field_error(page, "extension", "Must be 2-8 digits.")
        await screenshot(page, tmp_path / "04-agent-refused.png")
        await page.get_by_label("Extension").fill("101")
        await page.get_by_role("button", name="Create agent").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Ada Lovelace")
        [ada] = (await _api(client, tenant, "/agents"))["data"]
        assert ada["extension"] == "101" and ada["queue_ids"] == [support["id"]]
        await expect(page.locator(".presence .badge")).to_have_text("Logged out")

        # A softphone token: shown once, copied, its link carries it in the fragment.
        # ... with the keyboard: the lifetime, then the button; the token takes the focus.
        await page.get_by_label("Valid for").focus()
        await page.keyboard.press("Tab")
        await expect(page.get_by_role("button", name="Mint a token")).to_be_focused()
        await page.keyboard.press("Enter")
        box = page.get_by_test_id("token-box")
        await expect(box.get_by_role("textbox", name="Token")).to_be_focused()
        await expect(box).to_contain_text("won’t be shown again")
        token = await box.get_by_role("textbox", name="Token").input_value()
        claims = await client.app[SERVICES].tokens.verify(token)
        assert claims.agent_id == ada["id"] and claims.tenant_id == tenant.id
        payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
        assert payload["exp"] - payload["iat"] == 3600
        await page.keyboard.press("Tab")
        await expect(box.get_by_role("button", name="Copy token")).to_be_focused()
        await page.keyboard.press("Enter")
        await expect(box.get_by_role("status")).to_have_text("Copied.")
        assert await page.evaluate("navigator.clipboard.readText()") == token
        link = box.get_by_role("link", name="open the softphone signed in with it")
        href = await link.get_attribute("href")
        assert href is not None and href.endswith(f"/softphone/#token={token}")
        explained = page.get_by_text("For a softphone while Salesforce sign-in is not set up")
        await expect(explained).to_be_visible()
        await assert_no_axe_violations(page, "Agent (token minted)")
        await screenshot(page, tmp_path / "05-agent-token.png")
        await box.get_by_role("button", name="I’ve saved it, hide").click()
        await expect(box).to_be_hidden()

        # Edit: from Support to Billing; a second agent with the same extension is refused.
        await page.get_by_role("checkbox", name="Support").uncheck()
        await page.get_by_role("checkbox", name="Billing").check()
        await page.get_by_role("button", name="Save changes").click()
        await expect(page.get_by_role("status").filter(has_text="new queues")).to_be_visible()
        ada = await _api(client, tenant, f"/agents/{ada['id']}")
        assert ada["queue_ids"] == [billing["id"]]
        await page.goto(base + "agents/new")
        await page.get_by_label("Name").fill("Grace Hopper")
        await page.get_by_label("Email").fill("grace@acme.example")
        await page.get_by_label("Extension").fill("101")
        await page.get_by_role("button", name="Create agent").click()
        await _field_error(
            page, "extension", "Ada Lovelace has extension 101 already. Choose another."
        )
        await nav.get_by_role("link", name="Agents").click()
        rows = page.locator("table tbody tr")
        await expect(rows).to_have_count(1)
        await expect(rows.nth(0)).to_contain_text("Ada Lovelace")
        await expect(rows.nth(0)).to_contain_text("Billing")
        await expect(rows.nth(0)).to_contain_text("Logged out")
        await assert_no_axe_violations(page, "Agents")
        await screenshot(page, tmp_path / "06-agents.png")

        # Numbers: a number the API refuses, then one typed with spaces and dashes.
        await nav.get_by_role("link", name="Numbers").click()
        await expect(page.get_by_text("No numbers yet.")).to_be_visible()
        await page.get_by_role("link", name="Add a number").click()
        await page.get_by_label("Phone number").fill("555 0100")
        await page.get_by_role("button", name="Add number").click()
        await _field_error(page, "number", "Must be E.164, e.g. +18005550100.")
        await assert_no_axe_violations(page, "New number (refused)")
        await page.get_by_label("Phone number").fill("+1 800-555-0100")
        await page.get_by_label("Queue").select_option(label="Support")
        await page.get_by_role("switch", name="Published on the web phone").check()
        await page.get_by_role("button", name="Add number").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("+18005550100")
        # The same number again: refused, said at the number.
        await page.goto(base + "numbers/new")
        await page.get_by_label("Phone number").fill("+18005550100")
        await page.get_by_role("button", name="Add number").click()
        await _field_error(page, "number", "This number is already registered.")
        [number] = (await _api(client, tenant, "/numbers"))["data"]
        assert number["number"] == "+18005550100" and number["queue_id"] == support["id"]
        assert number["published"] is True
        await page.goto(base + f"numbers/{number['id']}")
        await expect(page.get_by_role("heading", level=1)).to_have_text("+18005550100")
        await assert_no_axe_violations(page, "Number")
        # Edit: no longer on the web phone.
        await page.get_by_role("switch", name="Published on the web phone").uncheck()
        await page.get_by_role("button", name="Save changes").click()
        await expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
        await expect(page.locator(".title-row .badge")).to_have_text("Not published")
        number = await _api(client, tenant, f"/numbers/{number['id']}")
        assert number["published"] is False and number["queue_id"] == support["id"]
        await nav.get_by_role("link", name="Numbers").click()
        await expect(page.locator("table tbody tr")).to_have_count(1)
        await expect(page.locator("table tbody tr")).to_contain_text("Not published")
        await screenshot(page, tmp_path / "07-numbers.png")

        # The queues list now: overflow in words, who answers each.
        await nav.get_by_role("link", name="Queues").click()
        rows = page.locator("table tbody tr")
        await expect(rows).to_have_count(2)
        await expect(rows.nth(0)).to_contain_text("Billing")
        await expect(rows.nth(0)).to_contain_text("Moves to Support")
        await expect(rows.nth(0)).to_contain_text("45 s")
        await expect(rows.nth(1)).to_contain_text("15 s per agent")
        await expect(rows.nth(1)).to_contain_text("5 min")
        await assert_no_axe_violations(page, "Queues")
        await screenshot(page, tmp_path / "08-queues.png")

        # Deleting Support is refused while the number and Billing's overflow use it.
        await rows.nth(1).get_by_role("link", name="Support").click()
        await page.get_by_role("button", name="Delete queue").click()
        dialog = page.get_by_role("dialog")
        await expect(dialog).to_contain_text("Delete the queue “Support”?")
        await dialog.get_by_role("button", name="Delete queue").click()
        refusal = page.get_by_role("alert")
        await expect(refusal).to_have_text(
            "This queue can’t be deleted while the number +18005550100 and the overflow of "
            "“Billing” send calls to it. Point them to another queue first."
        )
        await screenshot(page, tmp_path / "09-queue-in-use.png")
        assert len((await _api(client, tenant, "/queues"))["data"]) == 2

        # Cancel leaves things as they are; then the number, the agent and the queues go.
        await page.get_by_role("button", name="Delete queue").click()
        await page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
        await page.goto(base + f"numbers/{number['id']}")
        await page.get_by_role("button", name="Delete number").click()
        await page.get_by_role("dialog").get_by_role("button", name="Delete number").click()
        await expect(page).to_have_url(base + "numbers")
        await expect(page.get_by_text("No numbers yet.")).to_be_visible()
        await page.goto(base + f"agents/{ada['id']}")
        await page.get_by_role("button", name="Delete agent").click()
        await page.get_by_role("dialog").get_by_role("button", name="Delete agent").click()
        await expect(page).to_have_url(base + "agents")
        await expect(page.get_by_text("No agents yet.")).to_be_visible()
        for name in ("Billing", "Support"):
            await nav.get_by_role("link", name="Queues").click()
            await page.get_by_role("link", name=name, exact=True).click()
            await page.get_by_role("button", name="Delete queue").click()
            await page.get_by_role("dialog").get_by_role("button", name="Delete queue").click()
            await expect(page).to_have_url(base + "queues")
        await expect(page.get_by_text("No queues yet.")).to_be_visible()
        assert (await _api(client, tenant, "/queues"))["data"] == []
        assert (await _api(client, tenant, "/agents"))["data"] == []

        # An id that is not (or no longer) the tenant's: said in words.
        await page.goto(base + f"queues/{support['id']}")
        await expect(page.get_by_role("alert")).to_have_text(
            "This queue does not exist (it may have been deleted)."
        )
        problems[:] = [p for p in problems if "status of 404" not in p]

        # A server error while the list loads: said in words, not the API's "internal error".
        async def fail(route: Any) -> None:
            body = {"error": {"code": "internal", "message": "internal error"}}
            await route.fulfill(status=500, json=body)

        await page.route("**/api/v1/agents", fail)
        await nav.get_by_role("link", name="Agents").click()
        await expect(page.get_by_role("alert")).to_have_text(
            "SIVO could not do this because of a problem on the server. Try again in a moment."
        )
        await page.unroute("**/api/v1/agents", fail)
        problems[:] = [p for p in problems if "status of 500" not in p]

    assert _expected_refusals(problems) == []


async def test_settings_edits_pause_reasons_and_the_tenants_numbers_in_chromium(
    make_client: AppFactory, tmp_path: Path
) -> None:
    """Settings → Telephony: the numeric settings and the threshold (a select of the ladder)
    saved with the switches (only what changed), a value that is not a number refused by the
    page; pause reasons added (lower-cased),
    refused when repeated, moved and removed, each saved at once; axe finds nothing serious."""
    chromium_path()
    client, tenant, base = await _admin(make_client)
    before = await _api(client, tenant, "/telephony/settings")
    assert before["pause_reasons"] == ["break", "lunch", "training", "meeting"]

    async with chromium() as browser:
        page, problems = await new_page(browser)
        await log_in_page(page, base + "settings", EMAIL, PASSWORD)
        threshold = page.get_by_label("Service level threshold")
        await expect(threshold).to_have_value("20")
        await expect(threshold.locator("option")).to_have_text(LADDER_TEXT)
        wrap_up = page.get_by_label("Wrap-up after outbound calls (seconds)")
        await wrap_up.fill("twenty")
        await page.get_by_role("button", name="Save", exact=True).click()
        await expect(page.locator("#tel-outbound_wrap_up_s-error")).to_have_text(
            "Enter a number of seconds, e.g. 20 or 2.5."
        )
        await wrap_up.fill("4000")
        await page.get_by_role("button", name="Save", exact=True).click()
        await expect(page.locator("#tel-outbound_wrap_up_s-error")).to_have_text(
            "Must be at most 3600."
        )
        await expect(wrap_up).to_have_attribute("aria-invalid", "true")
        await threshold.select_option("30")
        await wrap_up.fill("10")
        await page.get_by_role("button", name="Save", exact=True).click()
        await expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
        after = await _api(client, tenant, "/telephony/settings")
        assert after == {**before, "service_level_threshold_s": 30, "outbound_wrap_up_s": 10}

        reasons = page.locator(".reasons .reason-name")
        new_reason = page.get_by_label("New reason")
        await new_reason.fill("  Team Coaching ")
        await new_reason.press("Enter")
        await expect(reasons).to_have_text(
            ["break", "lunch", "training", "meeting", "team coaching"]
        )
        await expect(new_reason).to_have_value("")
        await expect(new_reason).to_be_focused()
        await new_reason.fill("LUNCH")
        await page.get_by_role("button", name="Add reason").click()
        repeated = page.locator("#reason-new-error")
        await expect(repeated).to_have_text("“lunch” is in the list already.")
        await page.get_by_role("button", name="Move “team coaching” up").click()
        await expect(reasons).to_have_text(
            ["break", "lunch", "training", "team coaching", "meeting"]
        )
        await expect(page.get_by_role("button", name="Move “team coaching” up")).to_be_focused()
        await page.get_by_role("button", name="Remove “break”").click()
        await expect(reasons).to_have_text(["lunch", "training", "team coaching", "meeting"])
        saved = await _api(client, tenant, "/telephony/settings")
        assert saved["pause_reasons"] == ["lunch", "training", "team coaching", "meeting"]
        assert saved["service_level_threshold_s"] == 30
        await assert_no_axe_violations(page, "Settings")
        await screenshot(page, tmp_path / "settings.png")

    assert _expected_refusals(problems) == []
