"""An agent's browser for the console sign-in tests: devorg's login session in one cookie
jar, SIVO reached without any cookie but the softphone's (set by hand, read back)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import ClientResponse

from devorg.testing import RunningDevorg

from .conftest import GO_LINK, local

ORIGIN = "http://127.0.0.1:8080"  # SIVO_PUBLIC_URL in the tests
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
DATA = re.compile(r'data-(ticket|error|message)="([^"]*)"')


@dataclass
class Popup:
    """How one sign-in popup went."""

    authorize_url: str
    consent_shown: bool
    page: str  # the callback's page
    status: int

    @property
    def data(self) -> dict[str, str]:
        return {k: html.unescape(v) for k, v in DATA.findall(self.page)}

    @property
    def ticket(self) -> str:
        return self.data["ticket"]


@dataclass
class AgentBrowser:
    sf: RunningDevorg
    salesforce: aiohttp.ClientSession  # keeps devorg's sid cookie
    sivo: aiohttp.ClientSession  # keeps nothing: the softphone's cookie is handled here
    cookie: str = ""
    set_cookies: list[str] = field(default_factory=list)

    async def log_in_to_salesforce(self, username: str, password: str) -> None:
        """A login at the org's login page for another app: a session, SIVO not approved."""
        form = {
            "response_type": "code",
            "client_id": "some-other-app",
            "redirect_uri": "https://127.0.0.1/elsewhere",
            "username": username,
            "password": password,
            "action": "allow",
        }
        url = f"{self.sf.base_url}/services/oauth2/authorize"
        async with self.salesforce.post(url, data=form, allow_redirects=False) as resp:
            assert resp.status == 302, await resp.text()

    async def popup(self, org: str, *, allow: bool = True) -> Popup:
        """What window.open shows: SIVO's page, Salesforce (consent if asked), the callback."""
        go = await self.sivo.get("/softphone/salesforce/signin", params={"org": org})
        text = await go.text()
        match = GO_LINK.search(text)
        if match is None:
            return Popup("", False, text, go.status)
        url = html.unescape(match.group(1))
        async with self.salesforce.get(url, allow_redirects=False) as resp:
            consent = resp.status == 200
            if consent:
                page = await resp.text()
                assert "Allow Access?" in page, page
                form = {k: html.unescape(v) for k, v in HIDDEN.findall(page)}
                form["action"] = "allow" if allow else "deny"
                async with self.salesforce.post(url, data=form, allow_redirects=False) as sent:
                    assert sent.status == 302, await sent.text()
                    location = sent.headers["Location"]
            else:
                assert resp.status == 302, await resp.text()
                location = resp.headers["Location"]
        assert location.startswith(f"{ORIGIN}/salesforce?autoConnect=1&"), location
        callback = await self.sivo.get(local(location), allow_redirects=False)
        return Popup(url, consent, await callback.text(), callback.status)

    async def call(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        """The framed softphone's fetch: same origin, JSON, the cookie if it has one."""
        sent = {"Origin": ORIGIN, "Content-Type": "application/json", **headers}
        if self.cookie:
            sent["Cookie"] = f"sivo_softphone={self.cookie}"
        data = None if body is None else json.dumps(body)
        resp = await self.sivo.request(method, path, data=data, headers=sent)
        self.set_cookies = resp.headers.getall("Set-Cookie", [])
        for line in self.set_cookies:
            name, _, rest = line.partition("=")
            if name == "sivo_softphone":
                self.cookie = rest.split(";", 1)[0]
        return resp

    async def redeem(self, ticket: str) -> ClientResponse:
        resp: ClientResponse = await self.call("POST", "/softphone/session", {"ticket": ticket})
        return resp


@asynccontextmanager
async def agent_browser(sf: RunningDevorg, sivo_url: str) -> AsyncIterator[AgentBrowser]:
    connector = aiohttp.TCPConnector(ssl=sf.client_ssl_context())
    async with (
        aiohttp.ClientSession(
            connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True)
        ) as salesforce,
        aiohttp.ClientSession(base_url=sivo_url, cookie_jar=aiohttp.DummyCookieJar()) as sivo,
    ):
        yield AgentBrowser(sf, salesforce, sivo)
