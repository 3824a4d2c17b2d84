"""The agent softphone as an agent uses it, in a real Chromium: keyboard only, a transfer
picked from the directory, after-call work with its countdown, a desktop notification, and
axe-core finding no serious or critical violation along the way.

The caller is an aiortc peer on 127.0.0.1 (``Phone`` on ``/caller``); a third agent, on a
break, is a Socket.IO softphone (``Phone`` on ``/agent``), so the picker shows someone who
cannot take the call. Screenshots go to the test's tmp dir (printed) for a human to look at.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Locator, Page, expect

from tests.conftest import AppFactory
from tests.support.api import Tenant, new_tenant
from tests.support.axe import assert_no_axe_violations
from tests.support.browser import (
    BROWSER_MARKS,
    MEDIA_ARGS,
    chromium,
    chromium_path,
    screenshot,
    watch,
)
from tests.telephony.conftest import Phone

pytestmark = BROWSER_MARKS

NUMBER = "+18005550100"
CALLER_NUMBER = "+15551230000"
WRAP_UP_S = 5

# The page's Notification and visibility, faked before its scripts run: a headless page is
# never hidden, and a real notification would go to a desktop nobody looks at.
FAKE_NOTIFICATIONS = """
window.__notes = [];
window.__hidden = false;
class FakeNotification {
  static permission = 'default';
  static requestPermission() {
    FakeNotification.permission = 'granted';
    return Promise.resolve('granted');
  }
  constructor(title, options) {
    Object.assign(this, { title, options, closed: false });
    window.__notes.push(this);
  }
  close() { this.closed = true; }
}
window.Notification = FakeNotification;
Object.defineProperty(Document.prototype, 'visibilityState', {
  configurable: true, get() { return window.__hidden ? 'hidden' : 'visible'; },
});
"""


async def _api(client: Any, tenant: Tenant, path: str, body: dict[str, Any]) -> dict[str, Any]:
    resp = await client.post(path, json=body, headers=tenant.headers)
    assert resp.status == 201, f"POST {path}: {resp.status} {await resp.text()}"
    result: dict[str, Any] = await resp.json()
    return result


async def _agent(
    client: Any, tenant: Tenant, name: str, ext: str, queues: list[str]
) -> tuple[str, str]:
    body = {"name": name, "email": f"{ext}@example.com", "extension": ext, "queue_ids": queues}
    agent = await _api(client, tenant, "/api/v1/agents", body)
    token = await _api(client, tenant, f"/api/v1/agents/{agent['id']}/tokens", {})
    return agent["id"], token["token"]


async def _softphone(browser: Browser, url: str) -> tuple[Page, list[str]]:
    context = await browser.new_context(
        permissions=["microphone"], viewport={"width": 1100, "height": 1000}
    )
    await context.add_init_script(FAKE_NOTIFICATIONS)
    page = await context.new_page()
    page.set_default_timeout(15_000)
    problems = watch(page)
    await page.goto(url)
    await expect(page.locator("#conn")).to_have_text("Connected")
    await expect(page.locator("#mic-check")).to_have_text("Microphone ready.")
    return page, problems


async def _focused(locator: Locator) -> bool:
    result: bool = await locator.evaluate("(el) => el === document.activeElement")
    return result


async def _tab_to(page: Page, target: Locator, most: int = 60) -> None:
    """Press Tab (only Tab) until ``target`` has the focus."""
    await page.evaluate("() => document.activeElement?.blur()")
    for _ in range(most):
        await page.keyboard.press("Tab")
        if await _focused(target):
            return
    raise AssertionError(f"Tab never reached {target}")


async def _blur(page: Page) -> None:
    await page.evaluate("() => document.activeElement?.blur()")


async def test_an_agent_works_a_call_by_keyboard_transfers_it_from_the_list_and_wraps_up(
    make_client: AppFactory, tmp_path: Path
) -> None:
    chromium_path()
    client = await make_client()
    tenant = await new_tenant(client)
    support = await _api(
        client,
        tenant,
        "/api/v1/queues",
        {"name": "Support", "ring_timeout_s": 30, "wrap_up_s": WRAP_UP_S},
    )
    await _api(client, tenant, "/api/v1/queues", {"name": "Billing", "wrap_up_s": WRAP_UP_S})
    await _api(
        client,
        tenant,
        "/api/v1/numbers",
        {"number": NUMBER, "queue_id": support["id"], "published": True},
    )
    _, ann_token = await _agent(client, tenant, "Ann Agent", "101", [support["id"]])
    _, bob_token = await _agent(client, tenant, "Bob Stone", "102", [])  # rung by transfer only
    _, cy_token = await _agent(client, tenant, "Cy Break", "103", [])
    base = str(client.make_url("/")).rstrip("/")

    cy = Phone("cy")
    caller = Phone("caller")
    try:
        await cy.connect(base, "/agent", {"token": cy_token})
        await cy.wait_for("session.ready")
        await cy.ok("presence.set", {"status": "on_break", "reason": "lunch"})
        await caller.connect(base, "/caller")
        await caller.ok("phone.register", {"number": CALLER_NUMBER})

        async with chromium(*MEDIA_ARGS) as browser:
            ann, ann_problems = await _softphone(browser, f"{base}/softphone/#token={ann_token}")
            bob, bob_problems = await _softphone(browser, f"{base}/softphone/#token={bob_token}")

            # One clear state: the connection in the top bar, the agent's status on its own.
            await expect(ann.locator("#status")).to_have_text("Logged out")
            await expect(ann.locator("#status-detail")).to_contain_text("calls do not ring")
            await expect(ann.get_by_role("heading", name="Keyboard shortcuts")).to_be_visible()
            await expect(ann.locator("#shortcuts")).to_contain_text("Answer the ringing call")
            await screenshot(ann, tmp_path / "1-signed-in.png")
            await assert_no_axe_violations(ann, "the softphone, signed in")
            for page in (ann, bob):
                await page.get_by_label("Set status").select_option("available")
                await expect(page.locator("#status")).to_have_text("Available")

            # Notifications: asked only when the agent presses the button.
            assert await ann.evaluate("() => Notification.permission") == "default"
            await ann.get_by_role("button", name="Notify me of incoming calls").click()
            await expect(ann.locator("#notify-note")).to_contain_text("You will get a desktop")
            await ann.evaluate("() => { window.__hidden = true; }")

            peer = caller.peer(440.0)
            reply = await caller.ok("call.dial", {"to": NUMBER, "sdp": await peer.offer()})
            await peer.accept(reply["sdp"])
            card = ann.locator("section.call")
            await expect(card).to_have_attribute("data-state", "ringing")
            notes = await ann.evaluate(
                "() => window.__notes.map((n) => [n.title, n.options.body, n.closed])"
            )
            assert notes == [
                [
                    "Incoming call",
                    f"{CALLER_NUMBER} · Queue: Support. Click to open the softphone.",
                    False,
                ]
            ]
            # Clicking the notification brings the softphone up, on the Answer button.
            await ann.evaluate("() => { window.__hidden = false; window.__notes[0].onclick(); }")
            await expect(card.get_by_role("button", name="Answer")).to_be_focused()
            await screenshot(ann, tmp_path / "2-ringing.png")
            await assert_no_axe_violations(ann, "the softphone, ringing")

            # Alt+A answers; the notification goes.
            await ann.keyboard.press("Alt+A")
            await expect(card).to_have_attribute("data-state", "connected")
            await peer.wait_connected()
            assert await ann.evaluate("() => window.__notes[0].closed") is True

            # Alt+M while typing in a field is the agent typing, not a shortcut.
            mute = card.get_by_role("button", name="Mute")
            await ann.get_by_label("Number to call").focus()
            await ann.keyboard.press("Alt+M")
            await asyncio.sleep(0.4)
            await expect(mute).to_have_attribute("aria-pressed", "false")
            # Elsewhere, Alt+M mutes and unmutes, Alt+L holds and resumes.
            await _blur(ann)
            await ann.keyboard.press("Alt+M")
            await expect(card.locator(".badges")).to_contain_text("Muted")
            await expect(card.get_by_role("button", name="Unmute")).to_have_attribute(
                "aria-pressed", "true"
            )
            await ann.keyboard.press("Alt+M")
            await expect(card.locator(".badges")).not_to_contain_text("Muted")
            await ann.keyboard.press("Alt+L")
            await expect(card.locator(".badges")).to_contain_text("On hold")
            await ann.keyboard.press("Alt+L")
            await expect(card.locator(".badges")).not_to_contain_text("On hold")

            # The same by Tab and Enter (focus stays on the button pressed).
            # (A button is disabled while its request is on the way: a person waits for it.)
            hold = card.get_by_role("button", name="Hold")
            await expect(hold).to_be_enabled()
            await _tab_to(ann, hold)
            await ann.keyboard.press("Enter")
            await expect(card.locator(".badges")).to_contain_text("On hold")
            resume = card.get_by_role("button", name="Resume")
            await expect(resume).to_be_focused()
            await expect(resume).to_be_enabled()
            await ann.keyboard.press("Enter")
            await expect(card.locator(".badges")).not_to_contain_text("On hold")
            await expect(mute).to_be_enabled()
            await _tab_to(ann, mute)
            await ann.keyboard.press("Enter")
            await expect(card.locator(".badges")).to_contain_text("Muted")
            unmute = card.get_by_role("button", name="Unmute")
            await expect(unmute).to_be_focused()
            await expect(unmute).to_be_enabled()
            await ann.keyboard.press("Enter")
            await expect(card.locator(".badges")).not_to_contain_text("Muted")
            await expect(card.get_by_role("button", name="Transfer")).to_be_enabled()

            # Transfer, keyboard only: Tab to Transfer, Enter; the picker has the focus.
            await _tab_to(ann, card.get_by_role("button", name="Transfer"))
            await ann.keyboard.press("Enter")
            picker = card.get_by_role("combobox", name="Transfer to")
            await expect(picker).to_be_focused()
            await ann.keyboard.press("Enter")  # nothing picked yet: said in words
            await expect(card.locator(".error-line")).to_have_text(
                "Not transferred. Pick an agent or a queue from the list first."
            )
            await ann.keyboard.press("ArrowDown")
            await expect(picker).to_have_attribute("aria-expanded", "true")
            options = card.get_by_role("option")
            # Ann herself is not offered; Bob can take it, Cy (on a break) is shown but not
            # offered; then the queues.
            await expect(options).to_have_count(4)
            await expect(options.nth(0)).to_contain_text("Bob Stone")
            await expect(options.nth(0)).to_contain_text("ext. 102 · Available")
            await expect(options.nth(0)).to_have_attribute("aria-selected", "true")
            await expect(options.nth(1)).to_contain_text("On break: lunch")
            await expect(options.nth(1)).to_have_attribute("aria-disabled", "true")
            await expect(options.nth(2)).to_contain_text("Billing")
            await expect(options.nth(3)).to_contain_text("Support")
            await expect(options.nth(3)).to_contain_text("0 calls waiting")
            await screenshot(ann, tmp_path / "3-transfer-picker.png")
            await assert_no_axe_violations(ann, "the softphone, transfer picker open")
            await ann.keyboard.press("Escape")
            await expect(picker).to_have_attribute("aria-expanded", "false")
            await ann.keyboard.type("bob")  # filters as the agent types
            await expect(options).to_have_count(1)
            await ann.keyboard.press("Enter")  # picks the one match
            await expect(picker).to_have_value("Bob Stone")

            # Bob takes a break before Ann sends it: refused, in words (whether SIVO refused
            # it or the picker's fresh list already said so), and the call stays with Ann.
            await bob.get_by_label("Set status").select_option("on_break:break")
            await expect(bob.locator("#status")).to_have_text("On break: break")
            await ann.keyboard.press("Enter")
            error = card.locator(".error-line")
            await expect(error).to_contain_text("cannot take the call now")
            assert "_" not in (await error.text_content() or "")
            await expect(card).to_have_attribute("data-state", "connected")
            await bob.get_by_label("Set status").select_option("available")
            await expect(bob.locator("#status")).to_have_text("Available")

            # Picked again once the list shows him Available, and sent.
            await picker.focus()
            await ann.keyboard.press("Escape")  # the list is closed: Escape clears the text
            await expect(picker).to_have_value("")
            await ann.keyboard.type("bob")
            await expect(options.nth(0)).not_to_have_attribute("aria-disabled", "true")
            await ann.keyboard.press("Enter")
            await expect(picker).to_have_value("Bob Stone")
            await ann.keyboard.press("Enter")  # submits the transfer

            bob_card = bob.locator("section.call")
            await expect(bob_card).to_have_attribute("data-state", "ringing")
            # (A blind transfer's ring does not say who transferred it: from_agent_id is
            # null; the queue is named from the directory.)
            await expect(bob_card.locator(".call-meta")).to_contain_text(
                "Transferred call · Queue: Support"
            )
            # Ann's part is over: her wrap-up runs in her ended card.
            await expect(card).to_have_attribute("data-state", "ended")
            await expect(ann.locator("#status")).to_have_text("After-call work")
            await expect(card.locator("#wrapup")).to_be_visible()

            # Bob answers with Tab and Enter, and hangs up with Alt+H.
            await _tab_to(bob, bob_card.get_by_role("button", name="Answer"))
            await bob.keyboard.press("Enter")
            await expect(bob_card).to_have_attribute("data-state", "connected")
            await _blur(bob)
            await bob.keyboard.press("Alt+H")
            await expect(bob_card).to_have_attribute("data-state", "ended")
            await expect(bob.locator("#status")).to_have_text("After-call work")
            wrapup = bob_card.locator("#wrapup")
            await expect(wrapup).to_be_visible()
            await expect(wrapup.get_by_role("heading")).to_have_text("After-call work")
            await expect(bob.locator("#wrapup-text")).to_have_text(re.compile(r"^00:0[1-5] left$"))
            await screenshot(bob, tmp_path / "4-after-call-work.png")
            await assert_no_axe_violations(bob, "the softphone, after-call work")
            first = await bob.locator("#wrapup-text").text_content()
            assert first is not None
            # It counts down (a busy machine may delay the page's one-second tick).
            await expect(bob.locator("#wrapup-text")).not_to_have_text(first, timeout=4000)

            # The wrap-up time runs out: Available again, and the ended card is gone.
            timeout = (WRAP_UP_S + 3) * 1000
            await expect(bob.locator("#status")).to_have_text("Available", timeout=timeout)
            await expect(bob.locator("section.call")).to_have_count(0)
            await expect(bob.locator("#wrapup")).to_be_hidden()
            await expect(ann.locator("#status")).to_have_text("Available", timeout=timeout)
            await expect(ann.locator("section.call")).to_have_count(0)
            await screenshot(bob, tmp_path / "5-available-again.png")
            await screenshot(ann, tmp_path / "5-ann-available-again.png")

            # A consultation, picked the same way: the caller waits on hold while Ann talks to
            # Bob (named, not an id), then Bob keeps the caller.
            peer2 = caller.peer(440.0)
            reply = await caller.ok("call.dial", {"to": NUMBER, "sdp": await peer2.offer()})
            await peer2.accept(reply["sdp"])
            card = ann.locator("section.call")
            await expect(card).to_have_attribute("data-state", "ringing")
            await card.get_by_role("button", name="Answer").click()
            await expect(card).to_have_attribute("data-state", "connected")
            await card.get_by_role("button", name="Consult").click()
            consult = card.get_by_role("combobox", name="Agent to consult")
            await expect(consult).to_be_focused()
            await ann.keyboard.type("stone")
            await expect(card.get_by_role("option")).to_have_count(1)
            await ann.keyboard.press("Enter")
            await ann.keyboard.press("Enter")
            await expect(card.locator(".badges")).to_contain_text("Consulting Bob Stone")
            bob_card = bob.locator("section.call")
            await expect(bob_card.locator(".call-meta")).to_contain_text("Consultation request")
            await expect(bob_card.locator(".call-meta")).to_contain_text(
                "consultation requested by Ann Agent"
            )
            await _blur(bob)
            await bob.keyboard.press("Alt+A")
            await expect(card).to_contain_text("Talking to Bob Stone; the caller is on hold.")
            await screenshot(ann, tmp_path / "6-consulting.png")
            await card.get_by_role("button", name="Complete transfer").click()
            await expect(card).to_have_attribute("data-state", "ended")
            await expect(bob_card).to_have_attribute("data-state", "connected")
            await bob.keyboard.press("Alt+H")
            await expect(bob_card).to_have_attribute("data-state", "ended")

            for page in (ann, bob):
                await page.context.close()
        assert ann_problems == [] and bob_problems == []
    finally:
        await caller.close()
        await cy.close()
