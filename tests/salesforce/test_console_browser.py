"""The softphone inside devorg's Lightning console, in a real Chromium with third-party
cookies blocked: the agent signs in once with Salesforce (a popup, consent once), takes a
call that pops the caller's Contact, keeps it across a console reload, logs it, and dials
from a phone field; a new console tab is ready without any popup.

SIVO listens on http://127.0.0.1:{port} (its public URL), devorg on HTTPS with its own
throwaway CA (trusted by its SPKI pin). Callers and callees are aiortc peers on loopback.
Every request the browser makes goes to SIVO or devorg.
"""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import BrowserContext, Frame, Locator, Page, expect
from yarl import URL

from devorg.testing import RunningDevorg
from server.app import create_app
from tests.conftest import make_settings
from tests.media.audio import rms
from tests.support.browser import MEDIA_ARGS, audio_flows, chromium, chromium_path
from tests.support.served import ServedServer
from tests.support.tls import LocalPKI
from tests.telephony.conftest import Phone

from .conftest import Sivo, connect, salesforce_settings, sivo_admin
from .test_dashboard_browser import Watch, _trust_devorg

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]

ADMIN = "ada@acme.test"
AGENT = "bo@acme.test"
PASSWORD = "devorg pass 1"
OTHER = "cy@acme.test"  # another user of the org's call center, on the same computer
NUMBER = "+18005550100"
CALLER = "+14155551212"  # Jo Rivera's phone, as the carrier sends it
CALLEE = "+14155553434"  # Sam Lee's, dialled from the console
# Third-party cookies blocked, as Chrome does by default from 2025 on: only a partitioned
# cookie survives inside the console's frame.
NO_THIRD_PARTY_COOKIES = "--test-third-party-cookie-phaseout"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Console:
    sivo: Sivo
    sf: RunningDevorg
    url: str  # devorg's console page for the agent
    org_id: str
    row_id: str
    jo: str  # Contact ids
    sam: str
    phones: list[Phone]

    @property
    def origins(self) -> set[str]:
        """Where the browser may go: devorg and SIVO, nothing else."""
        return {str(URL(self.sf.base_url).origin()), str(self.sivo.client.make_url("/").origin())}

    async def api(self, method: str, path: str, body: Any = None) -> Any:
        resp = await self.sivo.client.request(method, path, json=body, headers=self.sivo.api)
        assert resp.status < 300, f"{method} {path}: {resp.status} {await resp.text()}"
        return await resp.json() if resp.status != 204 else None

    async def tasks(self, call_id: str, wanted: int = 1) -> list[dict[str, Any]]:
        """The org's Tasks of one call, read back with SOQL over REST as an integration
        would (the admin's token); waits until ``wanted`` exist (logging is asynchronous)."""
        token = (await self.sf.login(ADMIN))["access_token"]
        soql = (
            "SELECT Id, Subject, WhoId, WhatId, CallObject, CallType, CallDurationInSeconds,"
            " CallDisposition, Description, Status, TaskSubtype, OwnerId FROM Task"
            f" WHERE CallObject = '{call_id}'"
        )
        url = f"{self.sf.base_url}/services/data/v66.0/query"
        for _ in range(100):
            async with self.sf.session.get(
                url, params={"q": soql}, headers={"Authorization": f"Bearer {token}"}
            ) as resp:
                assert resp.status == 200, await resp.text()
                records: list[dict[str, Any]] = (await resp.json())["records"]
            if len(records) >= wanted:
                return records
            await asyncio.sleep(0.1)
        raise AssertionError(f"no Task for {call_id}")

    async def web_phone(self, number: str) -> Phone:
        phone = Phone(number)
        self.phones.append(phone)
        await phone.connect(str(self.sivo.client.make_url("/")).rstrip("/"), "/caller")
        await phone.ok("phone.register", {"number": number})
        return phone


@pytest.fixture
async def console(
    tmp_path: Path, database_url: str, pki: LocalPKI, sf: RunningDevorg
) -> AsyncIterator[Console]:
    port = _free_port()
    settings = make_settings(
        tmp_path,
        database_url,
        pki,
        public_url=f"http://127.0.0.1:{port}",
        salesforce=salesforce_settings(sf),
    )
    client: TestClient[Any, Any] = TestClient(
        ServedServer(create_app(settings, rng=random.Random(7)), host="127.0.0.1", port=port)
    )
    await client.start_server()
    org = await sf.create_org("Acme")
    await sf.create_call_center(org["orgId"], "SIVO_Acme")
    await sf.create_user(org["orgId"], ADMIN, last_name="Admin", email=ADMIN)
    await sf.create_user(
        org["orgId"],
        AGENT,
        first_name="Bo",
        last_name="Agent",
        email=AGENT,
        password=PASSWORD,
        call_center="SIVO_Acme",
    )
    await sf.create_user(
        org["orgId"],
        OTHER,
        first_name="Cy",
        last_name="Other",
        email=OTHER,
        call_center="SIVO_Acme",
    )
    jo = await sf.create_record(
        org["orgId"],
        "Contact",
        {"FirstName": "Jo", "LastName": "Rivera", "Phone": "(415) 555-1212"},
    )
    sam = await sf.create_record(
        org["orgId"], "Contact", {"FirstName": "Sam", "LastName": "Lee", "Phone": "415.555.3434"}
    )
    sivo = await sivo_admin(make_client=None, sf=sf, client=client)  # type: ignore[arg-type]
    await connect(sivo, sf, ADMIN)
    made = Console(sivo, sf, "", org["orgId"], "", jo, sam, [])
    row = next(o for o in (await made.api("GET", "/api/v1/salesforce/orgs"))["data"])
    made.row_id = row["id"]
    queue = await made.api("POST", "/api/v1/queues", {"name": "Support", "wrap_up_s": 120})
    await made.api(
        "PATCH",
        "/api/v1/salesforce/call-logging",
        {"dispositions": ["Resolved", "Callback"], "disposition_required": True},
    )
    await made.api(
        "POST", "/api/v1/numbers", {"number": NUMBER, "queue_id": queue["id"], "published": True}
    )
    base = f"/api/v1/salesforce/orgs/{row['id']}/users"
    users = (await made.api("POST", f"{base}/import"))["users"]
    bo = next(u for u in users if u["email"] == AGENT)
    await made.api(
        "POST", f"{base}/agents", {"user_ids": [bo["user_id"]], "queue_ids": [queue["id"]]}
    )
    # The admin's last step: Setup → Call Centers → Import of SIVO's definition.
    resp = await client.get(
        f"/api/v1/salesforce/orgs/{row['id']}/call-center.xml", headers=sivo.api
    )
    await sf.control("POST", f"orgs/{org['orgId']}/callcenters/import", {"xml": await resp.text()})
    made.url = f"{sf.base_url}/lightning/page/console?user={AGENT}"
    yield made
    for phone in made.phones:
        await phone.close()
    await client.close()


async def _softphone(page: Page) -> Frame:
    handle = await page.wait_for_selector("iframe#softphone")
    assert handle is not None
    frame = await handle.content_frame()
    assert frame is not None
    await frame.wait_for_selector("body[data-ready='true']", state="attached")
    return frame


async def _asked(frame: Frame) -> list[dict[str, Any]]:
    """What the softphone asked of Open CTI, in the order it asked: the frame's own record
    (devorg's log gets each call by a separate request from the console, in any order)."""
    calls: list[dict[str, Any]] = await frame.evaluate("() => sforce.opencti.__devorg.calls")
    return calls


async def _sign_in_with_salesforce(page: Page, frame: Frame) -> None:
    """First use: the popup, devorg's login page (which also asks to allow SIVO), then gone."""
    async with page.expect_popup() as opened:
        await frame.get_by_role("button", name="Sign in with Salesforce").click()
    popup = await opened.value
    await popup.get_by_label("Username").fill(AGENT)
    await popup.get_by_label("Password").fill(PASSWORD)
    # The popup closes itself once it has told the softphone: wait for that from before the
    # click, so that a fast close is not missed.
    async with popup.expect_event("close", timeout=15_000):
        await popup.get_by_role("button", name="Log in and allow").click(no_wait_after=True)


@asynccontextmanager
async def _signed_in(console: Console) -> AsyncIterator[tuple[BrowserContext, Page, Frame, Watch]]:
    """Chromium on the agent's console (third-party cookies blocked, fake media), the agent
    signed in once through the Salesforce popup; its console errors and requests watched."""
    chromium_path()
    async with chromium(*_trust_devorg(console.sf), *MEDIA_ARGS, NO_THIRD_PARTY_COOKIES) as browser:
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        page = await context.new_page()
        watch = Watch(page, console.origins, devorg=console.sf.base_url)
        await page.goto(console.url)
        frame = await _softphone(page)
        await _sign_in_with_salesforce(page, frame)
        yield context, page, frame, watch


async def _available(frame: Frame) -> None:
    """The signed-in softphone connected, the agent made Available from its status list."""
    await expect(frame.locator("#conn")).to_have_text("Connected")
    await frame.locator("#presence").select_option("available")
    await expect(frame.locator("#status")).to_have_text("Available")


async def _caller_rings(console: Console, frame: Frame) -> tuple[str, Locator]:
    """Jo's web phone dials the number: the call's id, and its card on the softphone."""
    caller = await console.web_phone(CALLER)
    peer = caller.peer(440.0)
    reply = await caller.ok("call.dial", {"to": NUMBER, "sdp": await peer.offer()})
    await peer.accept(reply["sdp"])
    call_id: str = reply["call_id"]
    return call_id, frame.locator(f"section.call[data-call-id='{call_id}']")


async def _heard(phone: Phone) -> float:
    """How loud what the peer received in the last 2 s was (Chromium's fake mic beeps)."""
    await asyncio.sleep(2.0)
    return rms(phone.peers[-1].heard(2.0))


async def test_an_agent_signs_in_once_takes_a_call_with_its_pop_and_keeps_it_on_reload(
    console: Console, tmp_path: Path
) -> None:
    async with _signed_in(console) as (context, page, frame, watch):
        await _available(frame)
        # In the order the softphone made them (the frame's own record: the console relays
        # each call to devorg with its own request, and those may arrive out of order).
        asked = [c["method"] for c in await _asked(frame)]
        # Listeners first, so that no click is lost; then ready, then click-to-dial on.
        assert asked[:4] == [
            "onClickToDial",
            "onNavigationChange",
            "notifyInitializationComplete",
            "enableClickToDial",
        ], asked
        labels = [
            c["args"].get("label")
            for c in await _asked(frame)
            if c["method"] == "setSoftphoneItemLabel"
        ]
        assert labels[-1] == "Available", labels

        # A caller rings: the panel opens, the phone rings, Jo pops.
        call_id, card = await _caller_rings(console, frame)
        caller = console.phones[-1]
        await expect(card).to_have_attribute("data-state", "ringing")
        await expect(card.locator("[data-role='pop-note']")).to_contain_text("Jo Rivera")
        calls = await _asked(frame)
        assert any(
            c["method"] == "setSoftphonePanelVisibility" and c["args"] == {"visible": True}
            for c in calls
        )
        pops = [c["args"] for c in calls if c["method"] == "screenPop"]
        assert pops and pops[-1]["params"] == {"recordId": console.jo}, pops

        await card.get_by_role("button", name="Answer").click()
        await expect(card).to_have_attribute("data-state", "connected")
        await audio_flows(frame, "softphone in the console")
        assert await _heard(caller) > 50.0, "the caller hears nothing from the agent"

        # A console reload mid-call: no popup, the call comes back with its audio.
        await page.reload()
        frame = await _softphone(page)
        await expect(frame.locator("#conn")).to_have_text("Connected")
        card = frame.locator(f"section.call[data-call-id='{call_id}']")
        await expect(card).to_have_attribute("data-state", "connected")
        await audio_flows(frame, "softphone after a console reload")

        await caller.ok("call.hangup", {"call_id": call_id})
        await expect(card).to_have_attribute("data-state", "ended")
        await expect(frame.locator("#status")).to_have_text("After-call work")

        # Wrap-up: the tenant wants a disposition before the next call.
        await frame.locator("#wrapup-done").click()
        await expect(frame.locator("#alert")).to_contain_text("disposition")
        log = card.get_by_role("form", name="Call log")
        await log.get_by_label("Disposition").select_option("Resolved")
        await log.get_by_label("Notes (saved on the Salesforce Task)").fill("Wants a callback")
        await log.get_by_role("button", name="Save log").click()
        await expect(log.get_by_role("status")).to_have_text("Saved.")
        await frame.locator("#wrapup-done").click()
        await expect(frame.locator("#status")).to_have_text("Available")
        [task] = await console.tasks(call_id)
        assert task["WhoId"] == console.jo and task["CallType"] == "Inbound"
        assert task["CallDisposition"] == "Resolved" and task["Status"] == "Completed"
        assert task["TaskSubtype"] == "Call" and "Wants a callback" in task["Description"]
        assert task["CallDurationInSeconds"] >= 4  # the talk, across the reload

        # A second console tab: signed in from the partitioned cookie, without a popup; the
        # first tab hands over (one softphone per agent).
        second = await context.new_page()
        Watch(second, console.origins, devorg=console.sf.base_url)
        await second.goto(console.url)
        again = await _softphone(second)
        await expect(again.locator("#conn")).to_have_text("Connected")
        await expect(frame.locator("#conn")).to_have_text("Opened elsewhere")
        await page.screenshot(path=str(tmp_path / "console.png"), full_page=True)
        assert not watch.problems, watch.problems
        assert not watch.foreign(), watch.foreign()


async def test_a_phone_field_clicked_in_the_console_dials_out(
    console: Console, tmp_path: Path
) -> None:
    callee = await console.web_phone(CALLEE)
    async with _signed_in(console) as (context, page, frame, watch):
        await expect(frame.locator("#conn")).to_have_text("Connected")

        # Sam Lee's phone, as it is stored ("415.555.3434"), clicked in the console.
        await frame.locator("#presence").select_option("on_break:lunch")
        await expect(frame.locator("#status")).to_contain_text("On break")
        await page.get_by_role("button", name="415.555.3434").click()
        incoming = await callee.wait_for("call.incoming")
        assert incoming["to"] == CALLEE
        peer = callee.peer(880.0)
        reply = await callee.ok(
            "call.answer", {"call_id": incoming["call_id"], "sdp": await peer.offer()}
        )
        await peer.accept(reply["sdp"])
        card = frame.locator(f"section.call[data-call-id='{incoming['call_id']}']")
        await expect(card).to_have_attribute("data-state", "connected")
        await audio_flows(frame, "softphone dialling out")
        assert await _heard(callee) > 50.0, "the callee hears nothing from the agent"
        await callee.ok("call.hangup", {"call_id": incoming["call_id"]})
        await expect(card).to_have_attribute("data-state", "ended")
        # The Task names the Contact the number was clicked on.
        [task] = await console.tasks(incoming["call_id"])
        assert task["WhoId"] == console.sam and task["CallType"] == "Outbound", task
        await page.screenshot(path=str(tmp_path / "click-to-dial.png"), full_page=True)
        assert not watch.problems, watch.problems
        assert not watch.foreign(), watch.foreign()


async def test_the_ringer_the_agent_picked_survives_a_console_reload(
    console: Console, tmp_path: Path
) -> None:
    """The frame has no localStorage with third-party cookies blocked: the ringer comes back
    from SIVO (GET /softphone/preferences), matched by its label."""
    async with _signed_in(console) as (context, page, frame, watch):
        await expect(frame.locator("#conn")).to_have_text("Connected")
        no_storage = "() => { try { return localStorage.length < 0; } catch { return true; } }"
        assert await frame.evaluate(no_storage), "the frame has localStorage: nothing to test"
        await expect(frame.locator("#mic-check")).to_have_text("Microphone ready.")
        ringer = frame.locator("#ringer-device")
        await expect(ringer.locator("option")).not_to_have_count(1)  # Chromium's fake outputs
        labels = await ringer.locator("option").all_text_contents()
        pick = labels[-1]
        assert pick != "System default", labels

        def saved(resp: Any) -> bool:
            return bool(
                resp.url.endswith("/softphone/preferences") and resp.request.method == "PUT"
            )

        async with page.expect_response(saved) as put:
            await ringer.select_option(label=pick)
        assert (await put.value).status == 200

        await page.reload()
        frame = await _softphone(page)
        await expect(frame.locator("#conn")).to_have_text("Connected")
        ringer = frame.locator("#ringer-device")
        await expect(ringer.locator("option:checked")).to_have_text(pick)
        assert await frame.locator("#speaker option:checked").text_content() == "System default"
        await page.screenshot(path=str(tmp_path / "devices.png"), full_page=True)
        assert not watch.problems, watch.problems
        assert not watch.foreign(), watch.foreign()


async def test_several_matches_show_a_chooser_and_no_match_opens_a_new_contact(
    console: Console, tmp_path: Path
) -> None:
    """Two Contacts share a number: Salesforce gets a search pop, the agent a chooser whose
    pick opens that record. A number nobody has: the new-Contact modal, once answered."""
    twins = [
        await console.sf.create_record(
            console.org_id, "Contact", {"LastName": name, "Phone": "(415) 555-7777"}
        )
        for name in ("Twin One", "Twin Two")
    ]
    async with _signed_in(console) as (context, page, frame, watch):
        await frame.locator("#presence").select_option("available")
        await expect(frame.locator("#status")).to_have_text("Available")

        caller = await console.web_phone("+14155557777")
        peer = caller.peer(440.0)
        reply = await caller.ok("call.dial", {"to": NUMBER, "sdp": await peer.offer()})
        await peer.accept(reply["sdp"])
        card = frame.locator(f"section.call[data-call-id='{reply['call_id']}']")
        chooser = card.get_by_role("list", name="Salesforce records for this caller")
        await expect(chooser.get_by_role("button")).to_have_count(2)
        pops = [c["args"] for c in await _asked(frame) if c["method"] == "screenPop"]
        assert pops[-1]["type"] == "search", pops
        await chooser.get_by_role("button", name="Twin Two · Contact").click()
        await expect(card.locator("[data-role='pop-note']")).to_contain_text("Twin Two")
        pops = [c["args"] for c in await _asked(frame) if c["method"] == "screenPop"]
        assert pops[-1] == {"type": "sobject", "params": {"recordId": twins[1]}}, pops
        await caller.ok("call.hangup", {"call_id": reply["call_id"]})
        await expect(card).to_have_attribute("data-state", "ended")
        await expect(frame.locator("#status")).to_have_text("Available")  # it was not answered

        # Nobody has this number: nothing pops while it rings (a modal would be in the way);
        # answered, the new-Contact modal opens with the number filled in.
        stranger = await console.web_phone("+14155550000")
        peer = stranger.peer(440.0)
        reply = await stranger.ok("call.dial", {"to": NUMBER, "sdp": await peer.offer()})
        await peer.accept(reply["sdp"])
        card = frame.locator(f"section.call[data-call-id='{reply['call_id']}']")
        await expect(card.locator("[data-role='pop-note']")).to_contain_text("Not in Salesforce")
        before = len([c for c in await _asked(frame) if c["method"] == "screenPop"])
        await card.get_by_role("button", name="Answer").click()
        await expect(card).to_have_attribute("data-state", "connected")
        for _ in range(50):
            pops = [c["args"] for c in await _asked(frame) if c["method"] == "screenPop"]
            if len(pops) > before:
                break
            await asyncio.sleep(0.1)
        assert pops[-1]["type"] == "newRecord", pops
        assert pops[-1]["params"]["entityName"] == "Contact"
        assert pops[-1]["params"]["defaultFieldValues"] == {"Phone": "+14155550000"}
        await stranger.ok("call.hangup", {"call_id": reply["call_id"]})
        await page.screenshot(path=str(tmp_path / "chooser.png"), full_page=True)
        assert not watch.problems, watch.problems
        assert not watch.foreign(), watch.foreign()


async def test_the_next_salesforce_user_on_a_shared_computer_never_gets_the_softphone(
    console: Console,
) -> None:
    """Bo signed in; the console is then Cy's (same browser): the page asks Salesforce who is
    signed in (runApex of the package's SIVO_SoftphoneUser) and SIVO ends Bo's session."""
    async with _signed_in(console) as (context, page, frame, watch):
        await expect(frame.locator("#who")).to_contain_text("Bo Agent")

        await page.goto(console.url.replace(AGENT, OTHER))
        frame = await _softphone(page)
        await expect(frame.get_by_role("button", name="Sign in with Salesforce")).to_be_visible()
        await expect(frame.locator("#login-error")).to_contain_text("Another Salesforce user")
        assert await frame.locator("#who").text_content() == ""
        asked = [c for c in await _asked(frame) if c["method"] == "runApex"]
        assert asked and asked[-1]["args"]["apexClass"] == "SIVO_SoftphoneUser", asked

        # Bo's session is over, not just hidden: back on Bo's console, a sign-in is needed.
        await page.goto(console.url)
        frame = await _softphone(page)
        await expect(frame.get_by_role("button", name="Sign in with Salesforce")).to_be_visible()
