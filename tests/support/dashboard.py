"""Logging in to the dashboard as a browser does: the login form's CSRF token, then POST.

``log_in_page`` does it in a real browser: the page asked for, its login form, and back.
``open_counted_help`` opens a page's "How these are counted" and checks one definition.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import ClientResponse
from playwright.async_api import Page, expect

CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


async def log_in(
    client: Any, email: str, password: str, *, next_url: str = "/admin/"
) -> ClientResponse:
    """The client's cookie jar keeps the session; returns the login's redirect."""
    page = await client.get("/admin/login", params={"next": next_url})
    match = CSRF_FIELD.search(await page.text())
    assert match, "login page has no csrf field"
    form = {"email": email, "password": password, "next": next_url, "csrf": match.group(1)}
    resp: ClientResponse = await client.post("/admin/login", data=form, allow_redirects=False)
    assert resp.status == 303, await resp.text()
    return resp


async def log_in_page(page: Page, url: str, email: str, password: str) -> None:
    """Open the dashboard's ``url`` without a session, log in on the form it shows, and
    wait to be back at ``url``."""
    await page.goto(url)
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()
    await expect(page).to_have_url(url)


async def open_counted_help(page: Page, term: str, words: str) -> None:
    """Open the page's "How these are counted" (a <details>, by keyboard) and check that
    ``term`` is defined there with ``words`` (static/admin/assets/definitions.js)."""
    help_ = page.locator("details.counted-help")
    summary = help_.locator("summary")
    await expect(summary).to_have_text("How these are counted")
    await expect(help_.locator("dl")).to_be_hidden()
    await summary.focus()
    await page.keyboard.press("Enter")
    await expect(help_).to_have_attribute("open", "")
    definition = help_.locator("dt", has_text=term).first.locator("xpath=following-sibling::dd[1]")
    await expect(definition).to_be_visible()
    await expect(definition).to_contain_text(words)
