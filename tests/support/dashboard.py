"""Logging in to the dashboard as a browser does: the login form's CSRF token, then POST.

``log_in_page`` does it in a real browser: the page asked for, its login form, and back.
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
