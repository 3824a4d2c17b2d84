"""The live wallboard in a real Chromium, watching a real call.

The supervisor logs in at ``/admin/`` (the dashboard opens on the wallboard). An agent's
softphone and a web caller are Socket.IO clients with aiortc peers on loopback (the
telephony tests' ``Phone``, ``dial`` and ``answer``); the page changes as the call arrives,
is answered and ends, and its times in state tick between pushes. axe-core finds no serious
or critical violation. Screenshots go to the test's tmp dir (printed) for a human to look at.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from playwright.async_api import expect

from server.signaling.supervisor import SUPERVISORS
from tests.conftest import AppFactory
from tests.media.peers import LoopbackPeer
from tests.support.axe import assert_no_axe_violations
from tests.support.browser import BROWSER_MARKS, chromium, chromium_path, new_page, screenshot
from tests.support.dashboard import log_in_page, open_counted_help
from tests.telephony.conftest import answer, dial, supervised_center

EMAIL = "lead@acme.example"
PASSWORD = "correct horse battery"
CALLER = "+14155550123"

pytestmark = BROWSER_MARKS


async def test_the_wallboard_follows_a_call_live_in_chromium(
    make_client: AppFactory, tmp_path: Path
) -> None:
    """Available → Ringing (waiting 1, the call with its caller) → On call (service level
    100 %, waiting 0, the time in state ticking) → After-call work (no calls in progress).
    An agent who never signed in is listed Logged out with its queue; one created while the
    page is open appears, one deleted goes."""
    chromium_path()
    center = await supervised_center(
        make_client, EMAIL, PASSWORD
    )  # the wallboard pushes on its own
    client = center.client
    base = str(client.make_url("/admin/"))
    try:
        agent, agent_id = await center.agent("Ann")
        bob, bob_id = await center.agent("Bob")
        await bob.ok("presence.set", {"status": "on_break", "reason": "lunch"})
        _, cy_id = await center.agent("Cy", available=False)
        never = {"name": "Dee", "email": "dee@acme.example", "extension": "301"}
        dee = await center.api(
            "POST", "/api/v1/agents", never | {"queue_ids": [center.queue_id]}, status=201
        )
        async with chromium() as browser:
            page, problems = await new_page(browser)
            await log_in_page(page, base, EMAIL, PASSWORD)
            await expect(page.get_by_role("heading", name="Wallboard", level=1)).to_be_visible()
            await expect(page.get_by_role("status")).to_have_text("Live")
            card = page.locator(f'[data-agent="{agent_id}"]')
            await expect(card).to_contain_text("Available")
            await expect(page.get_by_test_id("waiting")).to_have_text("0")
            await expect(page.get_by_text("No calls in progress.")).to_be_visible()
            await expect(page.locator(f'[data-agent="{bob_id}"]')).to_contain_text(
                "On break · lunch"
            )
            await expect(page.locator(f'[data-agent="{cy_id}"]')).to_contain_text("Logged out")
            dee_card = page.locator(f'[data-agent="{dee["id"]}"]')
            await expect(dee_card).to_contain_text("Logged out")
            await expect(dee_card.locator(".wb-agent-queues")).to_have_text("Queues Support")
            await expect(dee_card).not_to_contain_text("softphone offline")
            await screenshot(page, tmp_path / "1-idle.png")
            await open_counted_help(page, "Service level", "in the last hour: a rolling hour")
            await assert_no_axe_violations(page, "the wallboard, idle")

            caller = await center.web_phone()
            await caller.ok("phone.register", {"number": CALLER})
            call_id, _ = await dial(center, caller, 440)
            await agent.wait_for("call.ringing")
            await expect(card).to_contain_text("Ringing")
            await expect(page.get_by_test_id("waiting")).to_have_text("1")
            await expect(page.get_by_test_id(f"queue-waiting-{center.queue_id}")).to_have_text("1")
            calls = page.locator(".wb-table tbody tr").filter(has_text=CALLER)
            await expect(calls).to_have_count(1)
            await expect(calls).to_contain_text("Ringing")
            await expect(calls).to_contain_text("Ann")
            await screenshot(page, tmp_path / "2-ringing.png")

            await answer(agent, call_id, 880)
            await expect(card).to_contain_text("On call")
            await expect(calls).to_contain_text("Connected")
            await expect(page.get_by_test_id("waiting")).to_have_text("0")
            await expect(page.get_by_test_id("service-level")).to_have_text("100%")
            await expect(page.get_by_test_id("calls")).to_have_text("1")
            time_in_state = card.locator(".wb-agent-time")
            before = await time_in_state.inner_text()
            await asyncio.sleep(2.2)  # no push: nothing changed; the page ticks on its own
            assert await time_in_state.inner_text() != before
            await screenshot(page, tmp_path / "3-on-call.png")
            await assert_no_axe_violations(page, "the wallboard, a call connected")

            await agent.ok("call.hangup", {"call_id": call_id})
            await expect(card).to_contain_text("After-call work")
            await expect(page.get_by_text("No calls in progress.")).to_be_visible()
            await expect(page.get_by_test_id("calls")).to_have_text("0")
            await expect(page.get_by_test_id("service-level")).to_have_text("100%")
            await screenshot(page, tmp_path / "4-ended.png")

            # The admin adds an agent and deletes one: the board follows, nobody signs in.
            eve = {"name": "Eve", "email": "eve@acme.example", "extension": "302"}
            made = await center.api("POST", "/api/v1/agents", eve | {"queue_ids": []}, status=201)
            eve_card = page.locator(f'[data-agent="{made["id"]}"]')
            await expect(eve_card).to_contain_text("Logged out")
            await expect(eve_card.locator(".wb-agent-queues")).to_have_text("Queues No queue")
            await center.api("DELETE", f"/api/v1/agents/{dee['id']}", status=204)
            await expect(dee_card).to_have_count(0)

            # Leaving the page stops watching: the tenant's board has no viewer left.
            await (
                page.get_by_role("navigation", name="Main")
                .get_by_role("link", name="Calls")
                .click()
            )
            await expect(page.get_by_role("heading", name="Calls", exact=True)).to_be_visible()
            supervisors = client.app[SUPERVISORS]
            for _ in range(50):
                if supervisors.viewers() == 0:
                    break
                await asyncio.sleep(0.1)
            assert supervisors.viewers() == 0
            assert problems == []
    finally:
        for phone in center.phones:
            await phone.close()
        LoopbackPeer.all_peers.clear()
