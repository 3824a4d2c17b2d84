"""The dashboard's telephony administration and the landing page in a real Chromium.

Also the accessibility helper itself (tests/support/axe.py): axe-core finds a missing label.
Screenshots go to the test's tmp dir (printed) for a human to look at.
"""

from __future__ import annotations

from tests.support.axe import axe_violations, format_violations
from tests.support.browser import BROWSER_MARKS, chromium, chromium_path, new_page

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
