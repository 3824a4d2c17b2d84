"""The dashboard's Calls and Settings pages in a real Chromium.

Calls are seeded as the call store writes them (``calls``), transcripts as live transcription
writes them (``transcripts`` and ``transcript_segments``, migration 0010), the Salesforce
records a call touched as SCRT2 and call logging keep them (``scrt2_calls``, ``call_logs``).
The admin opens the list, a call without a transcript (its timeline from the CDR, its
VoiceCall and Task linked into the org), a call whose transcript is live (and grows, then
completes, while the page is open), and turns transcription on in Settings → Telephony.
axe-core finds no serious or critical violation. Screenshots go to the test's tmp dir
(printed) for a human to look at. (A recorded call played in the page:
``test_call_history_browser.py``.)
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from playwright.async_api import expect
from sqlalchemy import update

from server.api.context import SERVICES
from server.store.tables import (
    call_logs,
    calls,
    salesforce_orgs,
    scrt2_calls,
    transcript_segments,
    transcripts,
)
from tests.conftest import AppFactory
from tests.support.api import Tenant, new_tenant
from tests.support.axe import assert_no_axe_violations
from tests.support.browser import BROWSER_MARKS, chromium, chromium_path, new_page, screenshot
from tests.support.dashboard import log_in_page

EMAIL = "ops@acme.example"
PASSWORD = "correct horse battery"

pytestmark = BROWSER_MARKS


async def _seed_call(client: Any, tenant: Tenant, call_id: str, **values: Any) -> None:
    now = time.time()
    row: dict[str, Any] = {
        "id": call_id,
        "tenant_id": tenant.id,
        "direction": "inbound",
        "from_number": "+14155550100",
        "to_number": "+18005550100",
        "queue_id": None,
        "agent_id": None,
        "state": "ended",
        "created_at": now - 300,
        "queued_at": now - 299,
        "answered_at": now - 291,
        "ended_at": now - 100,
        "wait_s": 8.0,
        "talk_s": 191.0,
        "hold_s": 0.0,
        "hangup_cause": "normal_clearing",
        "hangup_side": "caller",
        "transfers": json.dumps([]),
        "recording_id": None,
        **values,
    }
    async with client.app[SERVICES].db.transaction() as tx:
        await tx.conn.execute(calls.insert().values(**row))


INSTANCE = "https://acme.my.salesforce.com"


async def _seed_salesforce(client: Any, tenant: Tenant, call_id: str) -> None:
    """A connected org, the call's VoiceCall (as SCRT2 keeps it) and its Task (call logging)."""
    now = time.time()
    async with client.app[SERVICES].db.transaction() as tx:
        await tx.conn.execute(
            salesforce_orgs.insert().values(
                id="sforg_browser", tenant_id=tenant.id, org_id="00D000000000001EAA",
                org_id15="00D000000000001", name="Acme Prod", environment="production",
                login_url="https://login.salesforce.com", instance_url=INSTANCE,
                identity_url=INSTANCE + "/id/x", connected_by="admin@acme.example",
                status="connected", connected_at=now, updated_at=now, call_centers="[]",
                discovery="{}",
            )
        )  # fmt: skip
        await tx.conn.execute(
            scrt2_calls.insert().values(
                tenant_id=tenant.id, org_row_id="sforg_browser", call_id=call_id, created="{}",
                voice_call_id="0LQxx0000000001", updated_at=now,
            )
        )  # fmt: skip
        await tx.conn.execute(
            call_logs.insert().values(
                call_id=call_id, tenant_id=tenant.id, org_row_id="sforg_browser",
                task_id="00Txx0000000002", state="sent", created_at=now, updated_at=now,
            )
        )  # fmt: skip


async def _seed_segment(
    client: Any, tenant: Tenant, call_id: str, n: int, speaker: str, text: str, start: float
) -> None:
    async with client.app[SERVICES].db.transaction() as tx:
        await tx.conn.execute(
            transcript_segments.insert().values(
                tenant_id=tenant.id,
                call_id=call_id,
                segment_id=f"seg_{call_id}_{n}",
                speaker=speaker,
                agent_id="ag_browser" if speaker == "agent" else None,
                text=text,
                confidence=0.87,
                start_ms=int(start * 1000),
                end_ms=int(start * 1000) + 1500,
                created_at=time.time(),
            )
        )


async def test_calls_a_call_view_its_live_transcript_and_the_switch_in_chromium(
    make_client: AppFactory, tmp_path: Path
) -> None:
    """The list links each call to its view; the view shows the CDR, "No transcript" for a
    call not transcribed, and a live transcript turn by turn that refreshes until completed;
    Settings → Telephony turns transcription on through the API."""
    chromium_path()
    client = await make_client()
    tenant = await new_tenant(client)
    await client.app[SERVICES].identity.create_admin(tenant.id, EMAIL, PASSWORD)
    await _seed_call(client, tenant, "call_plain")
    await _seed_salesforce(client, tenant, "call_plain")
    await _seed_call(
        client, tenant, "call_live", state="connected", ended_at=None, talk_s=None,
        hangup_cause=None, hangup_side=None, agent_id="ag_browser", created_at=time.time() - 60,
        queued_at=time.time() - 59, answered_at=time.time() - 51,
    )  # fmt: skip
    async with client.app[SERVICES].db.transaction() as tx:
        await tx.conn.execute(
            transcripts.insert().values(
                tenant_id=tenant.id, call_id="call_live", transcript_id="tr_browser",
                language="en-US", state="live", started_at=time.time() - 60, completed_at=None,
            )
        )  # fmt: skip
    await _seed_segment(client, tenant, "call_live", 1, "caller", "Hello, <b>my</b> order", 1.2)
    await _seed_segment(client, tenant, "call_live", 2, "caller", "is late.", 2.8)
    await _seed_segment(client, tenant, "call_live", 3, "agent", "Let me look.", 65.0)

    base = str(client.make_url("/admin/"))

    async with chromium() as browser:
        page, problems = await new_page(browser)
        await log_in_page(page, base + "endpoints", EMAIL, PASSWORD)

        # Calls, newest first, each linking to its view.
        nav = page.get_by_role("navigation", name="Main")
        await nav.get_by_role("link", name="Calls").click()
        await expect(page).to_have_url(base + "calls")
        await expect(page.get_by_role("heading", name="Calls", exact=True)).to_be_visible()
        rows = page.locator(".log tbody tr")
        await expect(rows).to_have_count(2)
        await expect(rows.nth(0)).to_contain_text("call_live")
        await expect(rows.nth(0)).to_contain_text("Connected")
        await expect(rows.nth(1)).to_contain_text("+14155550100")
        await expect(rows.nth(1)).to_contain_text("3 min 11 s")
        await expect(page.get_by_role("button", name="Show more")).to_be_hidden()
        await screenshot(page, tmp_path / "1-calls.png")
        await assert_no_axe_violations(page, "the call history")

        # A call that was not transcribed: its CDR, and "No transcript".
        await page.get_by_role("link", name="call_plain").click()
        await expect(page).to_have_url(base + "calls/call_plain")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Call call_plain")
        facts = page.locator(".call-facts")
        await expect(facts.locator('[data-fact="direction"]')).to_have_text("Inbound")
        await expect(facts.locator('[data-fact="to_number"]')).to_have_text("+18005550100")
        await expect(facts.locator('[data-fact="wait"]')).to_have_text("8 s")
        await expect(facts.locator('[data-fact="hangup"]')).to_have_text("Normal clearing (caller)")
        await expect(facts.locator('[data-fact="recording"]')).to_have_text("None")
        await expect(page.get_by_test_id("transcript-note")).to_have_text("No transcript")
        await expect(page.locator(".turn")).to_have_count(0)
        # The records it touched in Salesforce, each a link into the org's Lightning UI.
        voice_call = page.get_by_role("link", name="VoiceCall 0LQxx0000000001")
        await expect(voice_call).to_have_attribute(
            "href", f"{INSTANCE}/lightning/r/VoiceCall/0LQxx0000000001/view"
        )
        await expect(voice_call).to_have_attribute("target", "_blank")
        await expect(page.get_by_role("link", name="Task 00Txx0000000002")).to_have_attribute(
            "href", f"{INSTANCE}/lightning/r/Task/00Txx0000000002/view"
        )
        # No events were stored for this seeded call: its timeline comes from the CDR.
        kinds = await page.locator(".timeline li").evaluate_all(
            "(items) => items.map((li) => li.dataset.kind)"
        )
        assert kinds == ["created", "queued", "answered", "ended"], kinds
        await expect(page.get_by_test_id("recording-note")).to_have_text(
            "This call was not recorded."
        )
        await screenshot(page, tmp_path / "1b-call-salesforce.png")
        await assert_no_axe_violations(page, "a call's view with Salesforce links")

        # A live one: turn by turn (a caller's two segments are one turn), text as text.
        await page.get_by_role("link", name="← Calls").click()
        await page.get_by_role("link", name="call_live").click()
        await expect(page).to_have_url(base + "calls/call_live")
        card = page.get_by_role("region", name="Transcript")
        await expect(card).to_have_attribute("data-state", "live")
        turns = page.locator(".turn")
        await expect(turns).to_have_count(2)
        await expect(turns.nth(0).locator(".turn-who")).to_have_text("Caller")
        await expect(turns.nth(0).locator(".turn-at")).to_have_text("00:01")
        await expect(turns.nth(0).locator(".turn-text")).to_have_text(
            "Hello, <b>my</b> order is late."
        )
        await expect(turns.nth(1).locator(".turn-who")).to_have_text("Agent")
        await expect(turns.nth(1).locator(".turn-at")).to_have_text("01:05")
        await expect(page.locator(".turn b")).to_have_count(0)

        # ...which grows while the page is open, and stops refreshing once completed.
        await _seed_segment(client, tenant, "call_live", 4, "caller", "Thank you!", 70.5)
        await expect(turns).to_have_count(3, timeout=8_000)
        await expect(turns.nth(2)).to_contain_text("Thank you!")
        async with client.app[SERVICES].db.transaction() as tx:
            await tx.conn.execute(
                update(transcripts)
                .where(transcripts.c.call_id == "call_live")
                .values(state="completed", completed_at=time.time())
            )
        await expect(card).to_have_attribute("data-state", "completed", timeout=8_000)
        await expect(page.get_by_text("Completed", exact=True)).to_be_visible()
        await expect(page.locator(".call-salesforce")).to_be_hidden()  # none: nothing shown
        await screenshot(page, tmp_path / "2-call.png")
        # The call ends while its page is open: its timeline follows (asked for every 5 s).
        async with client.app[SERVICES].db.transaction() as tx:
            await tx.conn.execute(
                update(calls)
                .where(calls.c.id == "call_live")
                .values(state="ended", ended_at=time.time(), talk_s=60.0,
                        hangup_cause="normal_clearing", hangup_side="agent")
            )  # fmt: skip
        ended = page.locator('.timeline li[data-kind="ended"]')
        await expect(ended).to_contain_text("Normal clearing (agent)", timeout=8_000)
        seen: list[str] = []
        page.on("request", lambda r: seen.append(r.url) if "/transcript" in r.url else None)
        await page.wait_for_timeout(3_500)
        assert seen == [], "a completed transcript is not asked for again"

        # Settings → Telephony: the transcription switch, saved through the API (alone).
        resp = await client.get("/api/v1/telephony/settings", headers=tenant.headers)
        before = await resp.json()
        await nav.get_by_role("link", name="Settings").click()
        await expect(page).to_have_url(base + "settings")
        switch = page.get_by_label("Transcribe calls (live, both parties)")
        await expect(switch).not_to_be_checked()
        await switch.check()
        await page.get_by_role("button", name="Save").click()
        await expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
        resp = await client.get("/api/v1/telephony/settings", headers=tenant.headers)
        settings = await resp.json()
        assert settings == {**before, "transcribe_calls": True}
        await screenshot(page, tmp_path / "3-settings.png")

        # A call that is not this tenant's: the API's message, in the page.
        await page.evaluate("window.history.pushState(null, '', '/admin/calls/call_nope')")
        await page.evaluate("window.dispatchEvent(new Event('sivo:navigate'))")
        await expect(page.get_by_role("alert")).to_contain_text(re.compile(r"\S"))
        problems[:] = [p for p in problems if "status of 404" not in p]

    assert problems == []
