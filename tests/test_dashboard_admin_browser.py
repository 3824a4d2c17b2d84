"""The dashboard's telephony administration and the landing page in a real Chromium.

Also the accessibility helper itself (tests/support/axe.py): axe-core finds a missing label.
Screenshots go to the test's tmp dir (printed) for a human to look at.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import expect

from tests.conftest import AppFactory
from tests.support.axe import assert_no_axe_violations, axe_violations, format_violations
from tests.support.browser import BROWSER_MARKS, chromium, chromium_path, new_page, screenshot

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
