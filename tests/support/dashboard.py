"""Logging in to the dashboard as a browser does: the login form's CSRF token, then POST."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import ClientResponse

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
