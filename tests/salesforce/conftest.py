"""A SIVO app and an emulated org (devorg) side by side, and a dashboard admin logged in."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient

from devorg.testing import RunningDevorg, running_devorg
from server.api.context import SERVICES
from server.salesforce.config import SalesforceSettings
from tests.conftest import AppFactory
from tests.support.api import Tenant, new_tenant
from tests.support.dashboard import log_in

PASSWORD = "correct horse battery"
CLIENT_ID = "sivo-test"


@pytest.fixture
async def sf() -> AsyncIterator[RunningDevorg]:
    """The emulated org over HTTPS, with a CA of its own that SIVO is told to trust."""
    async with running_devorg(tls=True) as org:
        yield org


@dataclass
class Sivo:
    client: TestClient[Any, Any]
    tenant: Tenant
    email: str

    @property
    def api(self) -> dict[str, str]:
        return self.tenant.headers


def salesforce_settings(sf: RunningDevorg) -> SalesforceSettings:
    return SalesforceSettings(
        client_id=CLIENT_ID,
        login_url=sf.login_url,
        sandbox_login_url=sf.sandbox_login_url,
        ca_bundle=sf.ca_file,
    )


async def sivo_admin(
    make_client: AppFactory, sf: RunningDevorg, *, email: str = "admin@acme.test", **kw: Any
) -> Sivo:
    settings = kw.pop("salesforce", None) or salesforce_settings(sf)
    client = kw.pop("client", None) or await make_client(salesforce=settings, **kw)
    tenant = await new_tenant(client)
    await client.app[SERVICES].identity.create_admin(tenant.id, email, PASSWORD)
    await log_in(client, email, PASSWORD)
    return Sivo(client, tenant, email)


GO_LINK = re.compile(r'id="salesforce-go" href="([^"]+)"')


async def authorize_url(start: Any) -> str:
    """Where the connect page moves on to (its meta refresh and its link name it)."""
    page = await start.text()
    match = GO_LINK.search(page)
    assert match and f'content="0;url={match.group(1)}"' in page, page
    return html.unescape(match.group(1))


def local(location: str) -> str:
    """A SIVO URL's path and query (SIVO_PUBLIC_URL names another port than the test's)."""
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def connect(sivo: Sivo, sf: RunningDevorg, username: str, login: str = "production") -> Any:
    """Connect with Salesforce as the admin would: start, approve in the org, come back."""
    start = await sivo.client.get(
        "/admin/salesforce/connect", params={"login": login}, allow_redirects=False
    )
    assert start.status == 200, await start.text()
    await sf.control("PUT", "auto-approve", {"username": username})
    try:
        async with sf.session.get(await authorize_url(start), allow_redirects=False) as approved:
            assert approved.status in (302, 303), await approved.text()
            callback = approved.headers["Location"]
    finally:
        await sf.control("PUT", "auto-approve", {"username": None})
    public = sivo.client.app[SERVICES].settings.public_url
    assert callback.startswith(f"{public}/salesforce?autoConnect=1&"), callback
    return await sivo.client.get(local(callback), allow_redirects=False)


@dataclass
class ConnectedOrg:
    sivo: Sivo
    org_id: str  # Salesforce's, 18 characters
    org_id15: str
    row_id: str  # SIVO's sfo_… id


async def connected_org(
    make_client: AppFactory, sf: RunningDevorg, username: str, name: str = "Acme", **kw: Any
) -> ConnectedOrg:
    """An org with a SIVO_ call center and an admin user, connected by a fresh SIVO admin."""
    org = await sf.create_org(name)
    await sf.create_call_center(org["orgId"], f"SIVO_{name}")
    await sf.create_user(org["orgId"], username, first_name="Ada", last_name="Admin")
    sivo = await sivo_admin(make_client, sf, **kw)
    assert (await connect(sivo, sf, username)).status == 303
    listed = await sivo.client.get("/api/v1/salesforce/orgs", headers=sivo.api)
    row = next(o for o in (await listed.json())["data"] if o["org_id"] == org["orgId"])
    return ConnectedOrg(sivo, org["orgId"], org["orgId15"], row["id"])
