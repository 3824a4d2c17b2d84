"""The dashboard's Salesforce section in a real Chromium, against devorg.

The admin logs in to SIVO, connects an org through devorg's own login page (the OAuth
callback comes back to this very server: its public URL is its real address), sees what
discovery found, imports the org's users and creates agents for the unmatched ones; the
clicks after the two logins are counted. Then the rest of the org page: the SCRT2 override,
the certificates, reconnecting once Salesforce refuses the refresh token, Disconnect.

Every request the browser makes goes to SIVO or devorg (both on 127.0.0.1). Screenshots go
to the test's tmp dir (printed) for a human to look at.
"""

from __future__ import annotations

import base64
import hashlib
import random
import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from playwright.async_api import ConsoleMessage, Locator, Page, Request, expect

from devorg.testing import RunningDevorg
from server.api.context import SERVICES
from server.app import create_app
from tests.conftest import AppFactory, make_settings
from tests.support.api import Tenant, new_tenant
from tests.support.axe import assert_no_axe_violations
from tests.support.browser import chromium, chromium_path
from tests.support.served import ServedServer
from tests.support.tls import LocalPKI

from .conftest import PASSWORD, salesforce_settings

EMAIL = "ops@acme.test"  # the SIVO dashboard admin
SF_ADMIN = "ada@acme.test"  # the Salesforce user who approves SIVO; a SIVO agent has her email
SF_PASSWORD = "devorg pass 1"
# A 409 is deliberate below (the import that finds the refresh token refused).
EXPECTED_HTTP_ERROR = re.compile(r"^Failed to load resource: .* status of 409 ")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
async def sivo(
    tmp_path: Path, database_url: str, pki: LocalPKI, sf: RunningDevorg
) -> AsyncIterator[TestClient[Any, Any]]:
    """SIVO at http://127.0.0.1:{port} with that as its public URL, so the OAuth callback
    Salesforce redirects the browser to is this server."""
    port = _free_port()
    settings = make_settings(
        tmp_path,
        database_url,
        pki,
        public_url=f"http://127.0.0.1:{port}",
        salesforce=salesforce_settings(sf),
    )
    app = create_app(settings, rng=random.Random(7))
    client: TestClient[Any, Any] = TestClient(ServedServer(app, host="127.0.0.1", port=port))
    await client.start_server()
    yield client
    await client.close()


def _trust_devorg(sf: RunningDevorg) -> list[str]:
    """Chromium switches that trust devorg's HTTPS certificate, and only it: its public
    key's SPKI pin (the browser has no way to take devorg's throwaway CA)."""
    cert_file = sf.devorg.settings.tls_cert_file
    if cert_file is None:
        return []
    leaf = x509.load_pem_x509_certificate(Path(cert_file).read_bytes())
    spki = leaf.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    pin = base64.b64encode(hashlib.sha256(spki).digest()).decode()
    return [f"--ignore-certificate-errors-spki-list={pin}"]


class Clicks:
    """Clicks the admin makes, counted, with what each was for."""

    def __init__(self) -> None:
        self.log: list[str] = []

    async def __call__(self, target: Locator, what: str) -> None:
        await target.click()
        self.log.append(what)


class Watch:
    """Console errors, page errors and every request the browser makes."""

    def __init__(
        self,
        page: Page,
        origins: set[str],
        *,
        devorg: str = "",
        expected: re.Pattern[str] = EXPECTED_HTTP_ERROR,
    ) -> None:
        self.origins = origins
        self.expected = expected
        # devorg's login page has no icon: Chromium's request for one is not SIVO's doing.
        self.devorg_favicon = f"{devorg}/favicon.ico"
        self.problems: list[str] = []
        self.requests: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("request", self._request)

    def _console(self, msg: ConsoleMessage) -> None:
        if msg.location.get("url") == self.devorg_favicon:
            return
        if msg.type in ("error", "warning") and not self.expected.search(
            f"{msg.text} {msg.location.get('url')}"
        ):
            self.problems.append(f"console {msg.type}: {msg.text} ({msg.location})")

    def _request(self, request: Request) -> None:
        self.requests.append(request.url)

    def foreign(self) -> list[str]:
        """Requests to anything but SIVO's and devorg's origins (blob: URLs are SIVO's)."""
        out = []
        for url in self.requests:
            inner = url.removeprefix("blob:")
            parts = urlsplit(inner)
            if f"{parts.scheme}://{parts.netloc}" not in self.origins:
                out.append(url)
        return out


async def _shot(page: Page, path: Path) -> None:
    await page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


async def _devorg_login(page: Page, sf: RunningDevorg) -> None:
    """devorg's login page: one form that logs in and allows SIVO (there is no consent page
    after it); a consent page on its own is answered Allow."""
    await expect(page).to_have_url(re.compile("^" + re.escape(sf.login_url)))
    if await page.get_by_role("heading", name="Allow Access?").count():
        await page.get_by_role("button", name="Allow").click()
        return
    await page.get_by_label("Username").fill(SF_ADMIN)
    await page.get_by_label("Password").fill(SF_PASSWORD)
    await page.get_by_role("button", name="Log in and allow").click()


async def _api(client: TestClient[Any, Any], tenant: Tenant, method: str, path: str) -> Any:
    resp = await client.request(method, f"/api/v1{path}", headers=tenant.headers)
    assert resp.status < 300, await resp.text()
    return await resp.json()


async def test_connect_import_users_and_create_agents_in_chromium(
    sivo: TestClient[Any, Any], sf: RunningDevorg, tmp_path: Path
) -> None:
    chromium_path()
    org = await sf.create_org("Acme")
    await sf.create_call_center(org["orgId"], "SIVO_Acme")
    await sf.create_user(
        org["orgId"], SF_ADMIN, first_name="Ada", last_name="Admin", password=SF_PASSWORD
    )
    await sf.create_user(org["orgId"], "bo@acme.test", first_name="Bo", last_name="Berg")
    await sf.create_user(org["orgId"], "cy@acme.test", first_name="Cy", last_name="Chen")
    tenant = await new_tenant(sivo)
    await sivo.app[SERVICES].identity.create_admin(tenant.id, EMAIL, PASSWORD)
    queue = await sivo.post("/api/v1/queues", json={"name": "Support"}, headers=tenant.headers)
    queue_id = (await queue.json())["id"]
    ada = await sivo.post(
        "/api/v1/agents",
        json={"name": "Ada A.", "email": SF_ADMIN, "extension": "100"},
        headers=tenant.headers,
    )
    assert ada.status == 201, await ada.text()
    ada_agent = (await ada.json())["id"]
    base = str(sivo.make_url("")).rstrip("/")
    devorg = urlsplit(sf.login_url)
    devorg_origin = f"{devorg.scheme}://{devorg.netloc}"
    origins = {base, devorg_origin}

    async with chromium(*_trust_devorg(sf)) as browser:
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        page.set_default_timeout(10_000)
        watch = Watch(page, origins, devorg=devorg_origin)

        # Login 1: SIVO's dashboard.
        await page.goto(f"{base}/admin/")
        await page.get_by_label("Email").fill(EMAIL)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        await expect(page.get_by_role("heading", name="Wallboard")).to_be_visible()  # /admin/

        click = Clicks()
        await click(page.get_by_role("navigation", name="Main").get_by_text("Salesforce"), "nav")
        await expect(page.get_by_role("heading", name="Salesforce", exact=True)).to_be_visible()
        await expect(page.get_by_text("No Salesforce org connected yet")).to_be_visible()
        await expect(page.get_by_label("Production")).to_be_checked()
        await expect(page.get_by_label("My Domain", exact=True)).to_be_hidden()
        await _shot(page, tmp_path / "1-salesforce-empty.png")
        await assert_no_axe_violations(page, "the Salesforce page, no org yet")
        await click(page.get_by_role("button", name="Connect with Salesforce"), "connect")

        # Login 2: devorg's own login page (Salesforce's, in production).
        await expect(page.get_by_role("button", name="Log in and allow")).to_be_visible()
        assert page.url.startswith(f"{sf.login_url}/services/oauth2/authorize?")
        await _shot(page, tmp_path / "2-devorg-login.png")
        before_sf_login = len(click.log)
        await _devorg_login(page, sf)

        # Back on SIVO: the org's page, what discovery found, the only call center chosen.
        await expect(page.get_by_test_id("connected-banner")).to_contain_text("Connected to Acme")
        [found] = (await _api(sivo, tenant, "GET", "/salesforce/orgs"))["data"]
        await expect(page).to_have_url(f"{base}/admin/salesforce/{found['id']}")
        discovery = page.get_by_role("table", name="What SIVO found in the org")
        await expect(
            discovery.get_by_role("row", name=re.compile("^Org ID \\(18\\)"))
        ).to_contain_text(org["orgId"])
        await expect(discovery).to_contain_text("SELECT Id, Name, IsSandbox FROM Organization")
        await expect(discovery).to_contain_text("INVALID_TYPE")
        call_center = page.get_by_role("region", name="Call center")
        await expect(call_center).to_contain_text("SIVO_Acme")
        await expect(page.get_by_role("region", name="SCRT2 base URL")).to_contain_text("Not set")
        await _shot(page, tmp_path / "3-org-connected.png")
        await assert_no_axe_violations(page, "a connected org")

        # Import: Ada is linked to her agent by email, Bo and Cy have none.
        await click(page.get_by_role("button", name="Auto-import SF users"), "import")
        users = page.get_by_role("region", name="Users")
        await expect(users.get_by_role("status")).to_have_text(
            "Imported 3 active users: 1 linked agent (matched by email), 2 without an agent."
        )
        await expect(users.locator('li[data-state="linked"]')).to_contain_text("1")
        await expect(users.locator('li[data-state="unmatched"]')).to_contain_text("2")
        await expect(users.get_by_role("checkbox", name="Select Ada Admin")).to_have_count(0)
        await _shot(page, tmp_path / "4-imported.png")
        await assert_no_axe_violations(page, "an org with its users imported")

        await click(users.get_by_label("Select all unmatched (2)"), "select all unmatched")
        await expect(users.get_by_role("checkbox", name="Select Bo Berg")).to_be_checked()
        await click(users.get_by_label("Support"), "queue")
        await click(users.get_by_role("button", name="Create 2 agents"), "create agents")
        await expect(users.get_by_role("status")).to_have_text(
            "Created 2 agents, each linked to its Salesforce user."
        )
        await expect(users.locator('li[data-state="linked"]')).to_contain_text("3")
        await expect(users.get_by_role("button", name=re.compile("^Create"))).to_be_hidden()
        await _shot(page, tmp_path / "5-agents-created.png")

        after_logins = len(click.log) - before_sf_login
        print(f"clicks: {len(click.log)} in all, {after_logins} after the two logins: {click.log}")
        assert after_logins <= 5
        assert len(click.log) == 6  # nav, connect | import, select all, queue, create

        # The agents exist, in the queue, each linked to its user.
        agents = {a["email"]: a for a in (await _api(sivo, tenant, "GET", "/agents"))["data"]}
        assert set(agents) == {SF_ADMIN, "bo@acme.test", "cy@acme.test"}
        assert agents["bo@acme.test"]["name"] == "Bo Berg"
        assert agents["bo@acme.test"]["queue_ids"] == [queue_id]
        assert agents["cy@acme.test"]["queue_ids"] == [queue_id]
        assert sorted(a["extension"] for a in agents.values()) == ["100", "101", "102"]
        linked = (await _api(sivo, tenant, "GET", f"/salesforce/orgs/{found['id']}/users"))["data"]
        assert {u["email"]: u["agent_id"] for u in linked} == {
            SF_ADMIN: ada_agent,
            "bo@acme.test": agents["bo@acme.test"]["id"],
            "cy@acme.test": agents["cy@acme.test"]["id"],
        }

        await _scrt_override(page, sivo, tenant, found["id"])
        await _certificates(page, sivo, tenant, found["id"], tmp_path)
        await _reconnect(page, sf, sivo, tenant, found["id"], tmp_path)
        await _disconnect(page, sivo, tenant, tmp_path)
        await context.close()

    assert watch.problems == []
    assert watch.foreign() == []
    assert any(url.startswith(sf.login_url) for url in watch.requests)


async def _scrt_override(
    page: Page, sivo: TestClient[Any, Any], tenant: Tenant, org_row: str
) -> None:
    """devorg's host is no My Domain: nothing to derive, so the admin sets it, then resets."""
    card = page.get_by_role("region", name="SCRT2 base URL")
    field = card.get_by_label("Override the SCRT2 base URL")
    await field.fill("http://acme.my.salesforce-scrt.com")
    await card.get_by_role("button", name="Save override").click()
    await expect(card.locator("#sf-scrt-error")).to_have_text("SCRT2 is served over https only.")
    await expect(field).to_have_attribute("aria-invalid", "true")
    await field.fill("acme.my.salesforce-scrt.com/")
    await card.get_by_role("button", name="Save override").click()
    await expect(card.get_by_role("status")).to_contain_text("https://acme.my.salesforce-scrt.com")
    await expect(card.locator('dd[data-source="admin"]')).to_be_visible()
    shown = await _api(sivo, tenant, "GET", f"/salesforce/orgs/{org_row}")
    assert shown["scrt_base_url"] == "https://acme.my.salesforce-scrt.com"
    assert shown["scrt_source"] == "admin"
    await card.get_by_role("button", name="Use what discovery found").click()
    await expect(card.locator('dd[data-source="none"]')).to_be_visible()
    await expect(card).to_contain_text("Not set")
    shown = await _api(sivo, tenant, "GET", f"/salesforce/orgs/{org_row}")
    assert shown["scrt_base_url"] is None and shown["scrt_source"] == "none"


async def _certificates(
    page: Page, sivo: TestClient[Any, Any], tenant: Tenant, org_row: str, tmp_path: Path
) -> None:
    """Download the active certificate as a file; stage a key, activate it after confirming."""
    card = page.get_by_role("region", name="SCRT2 certificates")
    [active] = (await _api(sivo, tenant, "GET", f"/salesforce/orgs/{org_row}/keys"))["data"]
    async with page.expect_download() as waiting:
        await card.get_by_role(
            "link", name=f"Download the certificate of key {active['kid']}"
        ).click()
    download = await waiting.value
    assert download.suggested_filename.endswith(f"-{active['kid']}.pem")
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    assert saved.read_text() == active["certificate_pem"]

    # The call center definition link is served, with the org's call center in it.
    link = page.get_by_role("region", name="Call center").get_by_role(
        "link", name="Download the call center definition"
    )
    href = await link.get_attribute("href")
    assert href == f"/api/v1/salesforce/orgs/{org_row}/call-center.xml"
    xml = await page.request.get(str(sivo.make_url(href)))
    assert xml.status == 200 and "SIVO_Acme" in await xml.text()

    await card.get_by_role("button", name="Stage a new key").click()
    await expect(card.get_by_role("status")).to_contain_text("Staged key")
    keys = (await _api(sivo, tenant, "GET", f"/salesforce/orgs/{org_row}/keys"))["data"]
    [pending] = [k for k in keys if k["status"] == "pending"]
    await card.get_by_role("button", name=f"Activate key {pending['kid']}").click()
    await page.get_by_role("dialog").get_by_role("button", name="Activate key").click()
    await expect(card.get_by_role("status")).to_contain_text(f"Key {pending['kid']} is active")
    rows = card.get_by_role("row")
    await expect(rows.filter(has_text=pending["kid"])).to_contain_text("Active")
    await expect(rows.filter(has_text=active["kid"])).to_contain_text("Retired")
    await _shot(page, tmp_path / "6-certificates.png")
    await assert_no_axe_violations(page, "an org's certificates")


async def _reconnect(
    page: Page,
    sf: RunningDevorg,
    sivo: TestClient[Any, Any],
    tenant: Tenant,
    org_row: str,
    tmp_path: Path,
) -> None:
    """Salesforce refuses the refresh token: the import says so, the org shows Needs
    reconnect with its reason, and Reconnect (devorg's login again) heals it."""
    sf.devorg.sessions.refresh_tokens.clear()  # type: ignore[attr-defined]
    await sf.control("POST", "clock", {"advanceSeconds": 10 * 24 * 3600})  # sessions expire
    users = page.get_by_role("region", name="Users")
    await users.get_by_role("button", name="Auto-import SF users").click()
    await expect(users.get_by_role("alert")).to_contain_text(
        "Salesforce refused the refresh token (invalid_grant)"
    )
    banner = page.locator(".alert-slot").get_by_role("alert")
    await expect(banner).to_contain_text("Needs reconnect:")
    await expect(page.locator(".page-head .badge-fail")).to_have_text("Needs reconnect")
    await _shot(page, tmp_path / "7-needs-reconnect.png")
    await assert_no_axe_violations(page, "an org that needs reconnecting")

    await page.get_by_role("link", name="← Salesforce").click()
    row = page.get_by_role("row", name=re.compile("^Acme"))
    await expect(row).to_contain_text("Needs reconnect")
    await expect(row).to_contain_text("connect the org again")
    await _shot(page, tmp_path / "8-list-needs-reconnect.png")
    await assert_no_axe_violations(page, "the orgs, one needing reconnecting")
    await row.get_by_role("link", name="Reconnect Acme").click()
    await _devorg_login(page, sf)
    await expect(page.get_by_test_id("connected-banner")).to_be_visible()
    await expect(page.locator(".page-head .badge-ok")).to_have_text("Connected")
    shown = await _api(sivo, tenant, "GET", f"/salesforce/orgs/{org_row}")
    assert shown["status"] == "connected" and shown["status_reason"] is None


async def _disconnect(
    page: Page, sivo: TestClient[Any, Any], tenant: Tenant, tmp_path: Path
) -> None:
    """Disconnect asks first (Cancel changes nothing), then the list is empty again."""
    await page.get_by_role("button", name="Disconnect").click()
    await page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    await expect(page.get_by_role("dialog")).to_have_count(0)
    assert len((await _api(sivo, tenant, "GET", "/salesforce/orgs"))["data"]) == 1
    await page.get_by_role("button", name="Disconnect").click()
    await page.get_by_role("dialog").get_by_role("button", name="Disconnect").click()
    await expect(page.get_by_role("status").filter(has_text="Disconnected Acme")).to_be_visible()
    await expect(page.get_by_text("No Salesforce org connected yet")).to_be_visible()
    assert (await _api(sivo, tenant, "GET", "/salesforce/orgs"))["data"] == []
    await _shot(page, tmp_path / "9-disconnected.png")


async def test_choosing_a_call_center_and_the_import_help_in_chromium(
    sivo: TestClient[Any, Any], sf: RunningDevorg, tmp_path: Path
) -> None:
    """A sandbox with two SIVO_ call centers asks which one; an org with none says how to
    import the package's (devorg approves at once here: the login page is the test above)."""
    chromium_path()
    beta = await sf.create_org("Beta", is_sandbox=True)
    for name in ("SIVO_Beta_A", "SIVO_Beta_B"):
        await sf.create_call_center(beta["orgId"], name)
    await sf.create_user(beta["orgId"], "bea@beta.test")
    gamma = await sf.create_org("Gamma")
    await sf.create_user(gamma["orgId"], "gus@gamma.test")
    tenant = await new_tenant(sivo)
    await sivo.app[SERVICES].identity.create_admin(tenant.id, EMAIL, PASSWORD)
    base = str(sivo.make_url("")).rstrip("/")
    devorg = urlsplit(sf.login_url)
    devorg_origin = f"{devorg.scheme}://{devorg.netloc}"

    async with chromium(*_trust_devorg(sf)) as browser:
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        page.set_default_timeout(10_000)
        watch = Watch(page, {base, devorg_origin}, devorg=devorg_origin)
        await page.goto(f"{base}/admin/salesforce")
        await page.get_by_label("Email").fill(EMAIL)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Log in").click()

        await sf.control("PUT", "auto-approve", {"username": "bea@beta.test"})
        await page.get_by_label("Sandbox").check()
        await page.get_by_role("button", name="Connect with Salesforce").click()
        await expect(page.get_by_test_id("connected-banner")).to_contain_text("Beta")
        await expect(page.locator(".page-head")).to_contain_text("Sandbox")
        card = page.get_by_role("region", name="Call center")
        await expect(card).to_contain_text("The org has 2 SIVO_ call centers")
        await card.get_by_role("button", name="Use this call center").click()
        await expect(card.get_by_role("alert")).to_have_text("Choose one of the call centers.")
        await card.get_by_label("Call center").select_option(label="SIVO_Beta_B")
        await card.get_by_role("button", name="Use this call center").click()
        await expect(card.get_by_role("status")).to_have_text("SIVO now uses SIVO_Beta_B.")
        await expect(card).to_contain_text("Calls for this org use SIVO_Beta_B")
        [org] = (await _api(sivo, tenant, "GET", "/salesforce/orgs"))["data"]
        assert org["call_center"]["internal_name"] == "SIVO_Beta_B"
        await expect(card.get_by_label("Switch to")).to_have_value(org["call_center"]["id"])
        await _shot(page, tmp_path / "11-call-center-chosen.png")

        await sf.control("PUT", "auto-approve", {"username": "gus@gamma.test"})
        await page.get_by_role("link", name="← Salesforce").click()
        await expect(page.get_by_role("row", name=re.compile("^Beta"))).to_contain_text("Sandbox")
        await page.get_by_role("button", name="Connect with Salesforce").click()
        await expect(page.get_by_test_id("connected-banner")).to_contain_text("Gamma")
        await sf.control("PUT", "auto-approve", {"username": None})
        gamma_row = next(
            o
            for o in (await _api(sivo, tenant, "GET", "/salesforce/orgs"))["data"]
            if o["name"] == "Gamma"
        )
        card = page.get_by_role("region", name="Call center")
        await expect(card).to_contain_text("No SIVO_ call center in this org yet")
        await expect(card).to_contain_text("Setup → Call Centers")
        await expect(card).to_contain_text(f"sivo salesforce call-center --org {gamma_row['id']}")
        await _shot(page, tmp_path / "12-no-call-center.png")
        await sf.create_call_center(gamma["orgId"], "SIVO_Gamma")  # the admin imported it
        await card.get_by_role("button", name="Look for it again").click()
        await expect(card.get_by_role("status")).to_have_text("Found SIVO_Gamma.")
        await expect(card).to_contain_text("Calls for this org use")
        await page.get_by_role("link", name="← Salesforce").click()
        await expect(page.get_by_role("row")).to_have_count(3)  # the header and two orgs
        await _shot(page, tmp_path / "13-two-orgs.png")
        await context.close()

    assert watch.problems == []
    assert watch.foreign() == []


MODEL_CHECKS = """async () => {
  const m = await import('/admin/assets/salesforce-model.js');
  const users = [
    { user_id: 'a', state: 'linked' }, { user_id: 'b', state: 'unmatched' },
    { user_id: 'c', state: 'unmatched' }, { user_id: 'd', state: 'inactive' },
  ];
  const org = (extra) => ({ call_centers: [], call_center: null, discovery: [], ...extra });
  const one = { id: '04v1', internal_name: 'SIVO_A', name: 'A' };
  const two = { id: '04v2', internal_name: 'SIVO_B', name: 'SIVO_B' };
  return {
    production: m.connectTarget('production'),
    sandbox: m.connectTarget('sandbox').url,
    bare: m.connectTarget('my_domain', ' Acme ').url,
    lightning: m.myDomainLogin('acme--uat.sandbox.lightning.force.com/lightning/page/home'),
    withScheme: m.myDomainLogin('https://Acme.my.salesforce.com/path?x=1'),
    empty: m.connectTarget('my_domain', '  '),
    spaces: m.myDomainLogin('acme corp'),
    reconnectMyDomain: m.reconnectUrl({ login: 'https://acme.my.salesforce.com' }),
    reconnectSandbox: m.reconnectUrl({ login: 'sandbox' }),
    summary: m.summariseUsers(users),
    selectSome: m.selectAllState(new Set(['b']), users),
    selectAll: m.selectAllState(new Set(['b', 'c']), users),
    kept: [...m.keepSelectable(new Set(['a', 'b']), users)],
    label: [m.createAgentsLabel(0), m.createAgentsLabel(1), m.createAgentsLabel(3)],
    chosen: m.callCenterView(org({ call_center: one, call_centers: [one, two] })).kind,
    canSwitch: m.callCenterView(org({ call_center: one, call_centers: [one] })).canSwitch,
    pick: m.callCenterView(org({ call_centers: [one, two] })).kind,
    missing: m.callCenterView(org()).kind,
    labels: [m.callCenterLabel(one), m.callCenterLabel(two)],
    status: m.orgStatus({ status: 'needs_reconnect', status_reason: null }),
    scrt: m.scrtView(org({
      scrt_base_url: 'https://x.sandbox.my.salesforce-scrt.com', scrt_source: 'derived',
      discovery: [{ key: 'scrt_base_url', uncertain: true }] })),
    overrides: [
      m.scrtOverride('x.my.salesforce-scrt.com/'), m.scrtOverride('http://x'), m.scrtOverride('')],
    imported: m.importSummary({ imported: 1, linked: 1, unmatched: 0, inactive: 2 }),
    message: m.connectedMessage({ id: 'sfo_1', name: 'Acme' }, 'https://sivo.example'),
  };
}"""


async def test_the_connect_form_and_the_section_logic_in_chromium(
    make_client: AppFactory, tmp_path: Path
) -> None:
    """My Domain is asked for only when chosen, checked before leaving, and sent as typed;
    the section's DOM-free module (salesforce-model.js) gives what the pages rely on."""
    chromium_path()
    client = await make_client()  # no Salesforce app configured: connect ends on SIVO's page
    tenant = await new_tenant(client)
    await client.app[SERVICES].identity.create_admin(tenant.id, EMAIL, PASSWORD)
    base = str(client.make_url("")).rstrip("/")

    async with chromium() as browser:
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        page.set_default_timeout(10_000)
        # The connect that ends on SIVO's "not configured" page (a 400) is deliberate.
        watch = Watch(
            page, {base}, expected=re.compile(r"status of 400 .* \S+/admin/salesforce/connect\?")
        )
        await page.goto(f"{base}/admin/salesforce")
        await page.get_by_label("Email").fill(EMAIL)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        await expect(page).to_have_url(f"{base}/admin/salesforce")

        # Keyboard only: from Production, the arrow keys move to My Domain, whose field shows.
        my_domain = page.get_by_label("My Domain", exact=True)
        await expect(my_domain).to_be_hidden()
        await page.get_by_label("Production").focus()
        await page.keyboard.press("ArrowDown")
        await page.keyboard.press("ArrowDown")
        await expect(page.get_by_role("radio", name=re.compile("^My Domain"))).to_be_checked()
        await expect(my_domain).to_be_visible()
        await page.get_by_role("button", name="Connect with Salesforce").click()
        await expect(page.locator("#sf-my-domain-error")).to_have_text(
            "Enter your My Domain, like acme.my.salesforce.com."
        )
        await expect(my_domain).to_be_focused()
        await expect(my_domain).to_have_attribute("aria-invalid", "true")
        await _shot(page, tmp_path / "10-my-domain-error.png")
        await page.get_by_label("Sandbox").check()
        await expect(my_domain).to_be_hidden()
        await page.get_by_role("radio", name=re.compile("^My Domain")).check()
        await my_domain.fill("acme")
        await my_domain.press("Enter")
        # This server has no Salesforce app: SIVO's own page says so (nothing leaves 127.0.0.1).
        await expect(page.get_by_role("heading", name="Salesforce not connected")).to_be_visible()
        assert page.url == f"{base}/admin/salesforce/connect?login=acme.my.salesforce.com"
        await expect(page.get_by_role("alert")).to_contain_text("no Salesforce app configured")
        await page.get_by_role("link", name="Back to Salesforce in the dashboard").click()
        await expect(page.get_by_role("heading", name="Salesforce", exact=True)).to_be_visible()

        got = await page.evaluate(MODEL_CHECKS)
        await context.close()

    assert got["production"] == {
        "url": "/admin/salesforce/connect?login=production",
        "login": "production",
    }
    assert got["sandbox"] == "/admin/salesforce/connect?login=sandbox"
    assert got["bare"] == "/admin/salesforce/connect?login=acme.my.salesforce.com"
    assert got["lightning"] == {"login": "acme--uat.sandbox.my.salesforce.com"}
    assert got["withScheme"] == {"login": "https://acme.my.salesforce.com"}
    assert got["empty"]["field"] == "my_domain" and "Enter your My Domain" in got["empty"]["error"]
    assert "no spaces" in got["spaces"]["error"]
    assert got["reconnectMyDomain"] == (
        "/admin/salesforce/connect?login=https%3A%2F%2Facme.my.salesforce.com"
    )
    assert got["reconnectSandbox"] == "/admin/salesforce/connect?login=sandbox"
    assert got["summary"] == {"total": 4, "linked": 1, "unmatched": 2, "inactive": 1}
    assert got["selectSome"] == {
        "checked": False,
        "indeterminate": True,
        "disabled": False,
        "count": 1,
    }
    assert got["selectAll"]["checked"] is True and got["selectAll"]["count"] == 2
    assert got["kept"] == ["b"]
    assert got["label"] == ["Create agents", "Create 1 agent", "Create 3 agents"]
    assert (got["chosen"], got["canSwitch"], got["pick"], got["missing"]) == (
        "chosen",
        False,
        "pick",
        "missing",
    )
    assert got["labels"] == ["A (SIVO_A)", "SIVO_B"]
    assert got["status"]["label"] == "Needs reconnect" and got["status"]["reason"]
    assert got["scrt"]["uncertain"] is True and got["scrt"]["overridden"] is False
    assert got["message"] == {  # what lwc/…/sivoUtils.js parseConnectMessage accepts
        "type": "sivo:salesforce-connect",
        "status": "connected",
        "tenant": {"url": "https://sivo.example/admin/salesforce/sfo_1", "name": "Acme"},
    }
    assert got["overrides"][0] == {"value": "https://x.my.salesforce-scrt.com"}
    assert "https only" in got["overrides"][1]["error"] and got["overrides"][2]["error"]
    assert got["imported"] == (
        "Imported 1 active user: 1 linked agent (matched by email), 0 without an agent, "
        "2 no longer active in Salesforce."
    )
    assert watch.problems == []
    assert watch.foreign() == []


async def test_a_connect_opened_by_the_package_reports_back_to_the_org_only(
    sivo: TestClient[Any, Any], sf: RunningDevorg
) -> None:
    """What the package's SIVO Connector tab does, from a page on the org's origin: open
    SIVO's connect window from a click, and hear back once the org is connected; the message
    is addressed to the org's Lightning origin (here devorg's) and comes from SIVO's."""
    chromium_path()
    org = await sf.create_org("Acme")
    await sf.create_call_center(org["orgId"], "SIVO_Acme")
    await sf.create_user(org["orgId"], SF_ADMIN, first_name="Ada", last_name="Admin")
    tenant = await new_tenant(sivo)
    await sivo.app[SERVICES].identity.create_admin(tenant.id, EMAIL, PASSWORD)
    base = str(sivo.make_url("")).rstrip("/")
    devorg = urlsplit(sf.login_url)
    devorg_origin = f"{devorg.scheme}://{devorg.netloc}"
    await sf.control("PUT", "auto-approve", {"username": SF_ADMIN})
    try:
        async with chromium(*_trust_devorg(sf)) as browser:
            context = await browser.new_context()
            component = await context.new_page()  # stands in for the Lightning page
            await component.goto(f"{devorg_origin}/__devorg/")
            await component.evaluate(
                """(url) => {
                  window.heard = [];
                  window.addEventListener('message', (e) => window.heard.push(
                    { origin: e.origin, data: e.data }));
                  document.body.innerHTML = '<button id="go">Connect with SIVO</button>';
                  document.getElementById('go').addEventListener('click', () =>
                    window.open(url, 'sivoConnect', 'width=600,height=700'));
                }""",
                f"{base}/salesforce/connect?login_url={devorg_origin}",
            )
            async with context.expect_page() as opened:
                await component.click("#go")
            popup = await opened.value
            await popup.get_by_label("Email").fill(EMAIL)  # no SIVO session yet: log in
            await popup.get_by_label("Password").fill(PASSWORD)
            await popup.get_by_role("button", name="Log in").click()
            await expect(popup.get_by_test_id("connected-banner")).to_contain_text("Acme")
            await component.wait_for_function("window.heard.length > 0")
            [heard] = await component.evaluate("window.heard")
            await context.close()
    finally:
        await sf.control("PUT", "auto-approve", {"username": None})
    [row] = (await _api(sivo, tenant, "GET", "/salesforce/orgs"))["data"]
    assert heard["origin"] == base
    assert heard["data"] == {
        "type": "sivo:salesforce-connect",
        "status": "connected",
        "tenant": {"url": f"{base}/admin/salesforce/{row['id']}", "name": "Acme"},
    }
