"""The web phone calls the agent softphone in a real Chromium, with real WebRTC audio via SIVO.

Setup goes through the admin REST API (queue, published number, agent, agent token). Both
pages run in Debian Chromium with a fake microphone (a beep) and
``--allow-loopback-in-peer-connection``: the test server only gathers on and accepts
127.0.0.0/8, and the test checks that every candidate SIVO gave the browser, and the pair in
use, is loopback. Screenshots go to the test's tmp dir (printed) for a human to look at.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import BrowserContext, ConsoleMessage, Page, expect

from tests.conftest import AppFactory
from tests.support.api import Tenant, new_tenant
from tests.support.axe import assert_no_axe_violations
from tests.support.browser import MEDIA_ARGS, audio_flows, audio_stats, chromium, chromium_path

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]

NUMBER = "+18005550100"  # the published SIVO number
CALLER_NUMBER = "+15551230000"  # the web phone registers this, so the agent sees who calls


async def _api(client: Any, tenant: Tenant, path: str, body: dict[str, Any]) -> dict[str, Any]:
    resp = await client.post(path, json=body, headers=tenant.headers)
    assert resp.status == 201, f"POST {path}: {resp.status} {await resp.text()}"
    result: dict[str, Any] = await resp.json()
    return result


async def _shot(page: Page, path: Path) -> None:
    await page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


async def _page(context: BrowserContext, problems: list[str], name: str) -> Page:
    page = await context.new_page()
    page.set_default_timeout(15_000)

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type in ("error", "warning"):
            problems.append(f"{name} console {msg.type}: {msg.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(f"{name} page error: {exc}"))
    return page


async def test_web_caller_reaches_the_agent_softphone_with_audio_both_ways(
    make_client: AppFactory, tmp_path: Path
) -> None:
    chromium_path()  # skip (or fail under SIVO_TEST_REQUIRE_ALL=1) before starting anything
    client = await make_client()
    tenant = await new_tenant(client)
    queue = await _api(
        client, tenant, "/api/v1/queues", {"name": "Support", "ring_timeout_s": 30, "wrap_up_s": 60}
    )
    await _api(
        client,
        tenant,
        "/api/v1/numbers",
        {"number": NUMBER, "queue_id": queue["id"], "published": True},
    )
    agent = await _api(
        client,
        tenant,
        "/api/v1/agents",
        {"name": "Ann Agent", "email": "ann@example.com", "extension": "101",
         "queue_ids": [queue["id"]]},
    )  # fmt: skip
    token = (await _api(client, tenant, f"/api/v1/agents/{agent['id']}/tokens", {}))["token"]
    base = str(client.make_url("/")).rstrip("/")
    problems: list[str] = []

    async with chromium(*MEDIA_ARGS) as browser:
        viewport = {"width": 1100, "height": 900}
        contexts = [
            await browser.new_context(permissions=["microphone"], viewport=viewport)
            for _ in range(2)
        ]
        softphone = await _page(contexts[0], problems, "softphone")
        caller = await _page(contexts[1], problems, "caller")

        # A bad token in the fragment (#token=: never sent to the server) is refused visibly,
        # back on the sign-in form, and the fragment is gone from the address bar.
        await softphone.goto(f"{base}/softphone/#token=not.a.token")
        await expect(softphone.locator("#login-error")).to_contain_text("Your token was refused")
        await expect(softphone.get_by_label("Agent token")).to_be_visible()
        assert "token=" not in softphone.url

        # A token in the query string (it has reached the server already) is not used.
        await softphone.goto(f"{base}/softphone/?token={token}")
        await expect(softphone.locator("#login-error")).to_contain_text("it was not used")
        assert "token=" not in softphone.url

        # The agent signs in with #token= (then removed from the address bar) and goes Available.
        await softphone.goto(f"{base}/softphone/?processing=off#token={token}")
        await expect(softphone.locator("#conn")).to_have_text("Connected")
        await expect(softphone.locator("#who")).to_have_text("Ann Agent · ext. 101")
        assert "token=" not in softphone.url
        await expect(softphone.locator("#mic-check")).to_have_text("Microphone ready.")
        await softphone.get_by_label("Set status").select_option("available")
        await expect(softphone.locator("#status")).to_have_attribute("data-status", "available")

        # The web phone registers its own number, then calls the published number.
        await caller.goto(f"{base}/caller/?processing=off")
        await expect(caller.locator("#conn")).to_have_text("Connected")
        await caller.get_by_label("Your number").fill(CALLER_NUMBER)
        await caller.get_by_role("button", name="Register this number").click()
        await expect(caller.locator("#register-status")).to_contain_text("ring here")
        await caller.get_by_label("Number to call").fill("+18005550199")  # not published
        await caller.get_by_role("button", name="Call", exact=True).click()
        await expect(caller.get_by_role("alert")).to_contain_text("not a published SIVO number")
        await caller.get_by_label("Number to call").fill(NUMBER)
        await caller.get_by_role("button", name="Call", exact=True).click()

        card = softphone.locator("section.call")
        await expect(card).to_have_attribute("data-state", "ringing")
        await expect(card.locator(".call-title")).to_have_text(CALLER_NUMBER)
        await expect(card.locator(".call-meta")).to_contain_text("Queue: Support")
        await expect(caller.locator("#call-state")).to_have_attribute(
            "data-state", "ringing", timeout=5_000
        )
        await _shot(softphone, tmp_path / "1-softphone-ringing.png")
        await _shot(caller, tmp_path / "1-caller-ringing.png")
        await assert_no_axe_violations(caller, "the web phone, ringing")

        await card.get_by_role("button", name="Answer").click()
        await expect(card).to_have_attribute("data-state", "connected")
        await expect(caller.locator("#call-state")).to_have_attribute("data-state", "connected")
        await expect(softphone.locator("#status")).to_have_attribute("data-status", "on_call")
        await audio_flows(caller, "caller")
        await audio_flows(softphone, "softphone")
        await expect(caller.locator("#rx-level")).to_have_attribute("data-receiving", "true")
        await expect(card.locator("meter")).to_have_attribute("data-receiving", "true")

        # Reloading the softphone mid-call keeps the call: the token is in sessionStorage and
        # the page re-establishes media with media.offer (a new peer connection).
        softphone.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
        await softphone.reload()
        await expect(softphone.locator("#conn")).to_have_text("Connected")
        card = softphone.locator("section.call")
        await expect(card).to_have_attribute("data-state", "connected")
        await expect(card.locator(".audio-state")).to_have_text("Audio: connected")
        await expect(card.locator(".call-meta")).to_contain_text("Queue: Support")
        await audio_flows(softphone, "softphone after reload")
        await expect(caller.locator("#call-state")).to_have_attribute("data-state", "connected")

        # Keys pressed on the web phone reach the agent; hold shows on the caller's page.
        await caller.get_by_role("button", name="5", exact=True).click()
        await caller.get_by_role("button", name="#", exact=True).click()
        await expect(card).to_contain_text("Caller pressed: 5#")
        await card.get_by_role("button", name="Hold").click()
        await expect(caller.locator("#call-state")).to_have_attribute("data-state", "held")
        await expect(card.locator(".badges")).to_contain_text("On hold")
        await _shot(caller, tmp_path / "2-caller-held.png")
        await card.get_by_role("button", name="Resume").click()
        await expect(caller.locator("#call-state")).to_have_attribute("data-state", "connected")
        await _shot(softphone, tmp_path / "2-softphone-connected.png")
        await _shot(caller, tmp_path / "2-caller-connected.png")
        await assert_no_axe_violations(caller, "the web phone, connected")

        # The caller hangs up: both pages say so; the agent is in wrap-up until "Done".
        await caller.get_by_role("button", name="Hang up").click()
        await expect(caller.locator("#call-state")).to_have_attribute("data-state", "ended")
        await expect(caller.locator("#call-detail")).to_have_text("Call ended: you hung up.")
        await expect(card).to_have_attribute("data-state", "ended")
        await expect(card).to_have_attribute("data-cause", "normal_clearing")
        await expect(card).to_contain_text("Call ended: the caller hung up.")
        await expect(softphone.locator("#status")).to_have_attribute(
            "data-status", "after_call_work"
        )
        await expect(softphone.locator("#wrapup-text")).to_contain_text("left")
        assert await audio_stats(softphone) == [] and await audio_stats(caller) == []
        await _shot(softphone, tmp_path / "3-softphone-wrapup.png")
        await _shot(caller, tmp_path / "3-caller-ended.png")
        await softphone.get_by_role("button", name="Ready").click()
        await expect(softphone.locator("#status")).to_have_attribute("data-status", "available")
        await expect(softphone.locator("section.call")).to_have_count(0)  # the ended card goes

        # The agent calls the web phone's registered number; the web phone answers.
        await softphone.get_by_label("Number to call").fill(CALLER_NUMBER)
        await softphone.get_by_role("button", name="Call", exact=True).click()
        await expect(caller.locator("#incoming")).to_be_visible()
        await _shot(caller, tmp_path / "4-caller-incoming.png")
        await assert_no_axe_violations(caller, "the web phone, a call coming in")
        await caller.get_by_role("button", name="Answer").click()
        await expect(caller.locator("#call-state")).to_have_attribute("data-state", "connected")
        out_card = softphone.locator("section.call")
        await expect(out_card).to_have_attribute("data-state", "connected")
        await expect(out_card.locator(".call-title")).to_have_text(CALLER_NUMBER)
        await audio_flows(caller, "web phone answering")
        await out_card.get_by_role("button", name="Hang up").click()
        await expect(caller.locator("#call-detail")).to_have_text("Call ended: the agent hung up.")
        # Outbound calls have no wrap-up: the agent is Available at once, and the card goes.
        await expect(softphone.locator("#status")).to_have_attribute("data-status", "available")
        await expect(softphone.locator("section.call")).to_have_count(0)
        await expect(softphone.locator("#log")).to_contain_text("Call ended: you hung up.")

        # The same agent opens the softphone in another tab: the first one says so, visibly.
        second = await _page(contexts[0], problems, "second softphone")
        await second.goto(f"{base}/softphone/?processing=off#token={token}")
        await expect(second.locator("#conn")).to_have_text("Connected")
        await expect(softphone.locator("#conn")).to_have_attribute("data-conn", "replaced")
        await expect(softphone.get_by_role("alert")).to_contain_text("another tab")
        await _shot(softphone, tmp_path / "5-softphone-replaced.png")

        for context in contexts:
            await context.close()

    assert problems == []
