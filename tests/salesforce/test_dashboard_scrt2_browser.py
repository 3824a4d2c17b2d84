"""The org page's Service Cloud Voice (SCRT2) section in a real Chromium, against devorg.

The org is connected through devorg; its SCRT2 request log is seeded as the SCRT2 lane
writes it (``scrt2_requests``). The admin reads the log, replays a failed request, and saves
the org's SCRT2 settings (``push_transcripts``, ``provider_name``).
Screenshots go to the test's tmp dir (printed) for a human to look at.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from playwright.async_api import Page, expect

from devorg.testing import RunningDevorg
from server.api.context import SERVICES
from server.store.tables import scrt2_requests
from tests.conftest import AppFactory
from tests.support.browser import BROWSER_MARKS, chromium, chromium_path, new_page, screenshot
from tests.support.dashboard import log_in_page

from .conftest import PASSWORD, ConnectedOrg, connected_org

pytestmark = BROWSER_MARKS


async def _seed_request(org: ConnectedOrg, call_id: str, **values: Any) -> int:
    now = time.time()
    row: dict[str, Any] = {
        "tenant_id": org.sivo.tenant.id,
        "org_row_id": org.row_id,
        "call_id": call_id,
        "kind": "create",
        "method": "POST",
        "body": json.dumps({}),
        "state": "sent",
        "attempts": 1,
        "due_at": now - 60,
        "status_code": 201,
        "latency_ms": 42.4,
        "reason": None,
        "created_at": now - 60,
        "sent_at": now - 59,
        **values,
    }
    async with org.sivo.client.app[SERVICES].db.transaction() as tx:
        result = await tx.conn.execute(scrt2_requests.insert().values(**row))
        return int(result.inserted_primary_key[0])


async def _open_org_page(page: Page, org: ConnectedOrg) -> None:
    url = str(org.sivo.client.make_url(f"/admin/salesforce/{org.row_id}"))
    await log_in_page(page, url, org.sivo.email, PASSWORD)
    await expect(page.get_by_role("heading", name="Service Cloud Voice (SCRT2)")).to_be_visible()


async def test_the_scrt2_log_and_replaying_a_failed_request_in_chromium(
    make_client: AppFactory, sf: RunningDevorg, tmp_path: Path
) -> None:
    """The log shows the org's requests newest first with their facts; only the failed one
    has Replay, which queues it again and shows the row the API returned."""
    chromium_path()
    org = await connected_org(make_client, sf, "ada@acme.test")
    await _seed_request(org, "call_ok")
    failed_id = await _seed_request(
        org, "call_bad", kind="end", method="PATCH", state="failed", attempts=8,
        status_code=503, latency_ms=12.0, reason="SCRT2 answered 503 <Service Unavailable>",
        created_at=time.time() - 30, sent_at=None,
    )  # fmt: skip

    async with chromium() as browser:
        page, problems = await new_page(browser)
        await _open_org_page(page, org)
        section = page.get_by_test_id("scrt2-section")
        rows = section.locator("tbody tr")
        await expect(rows).to_have_count(2)
        bad = rows.nth(0)
        await expect(bad).to_have_attribute("data-request-id", str(failed_id))
        for text in ("End", "PATCH", "call_bad", "Failed", "503", "12 ms", "8"):
            await expect(bad).to_contain_text(text)
        await expect(bad.locator(".error-text")).to_have_text(
            "SCRT2 answered 503 <Service Unavailable>"
        )
        ok = rows.nth(1)
        for text in ("Create", "POST", "call_ok", "Sent", "201", "42 ms"):
            await expect(ok).to_contain_text(text)
        await expect(ok.get_by_role("button", name=re.compile("^Replay"))).to_have_count(0)
        await expect(section.get_by_role("status").last).to_contain_text("2 requests, 1 failed.")
        await expect(bad.get_by_role("link", name="call_bad")).to_have_attribute(
            "href", "/admin/calls/call_bad"
        )
        await screenshot(page, tmp_path / "1-scrt2-log.png")

        await bad.get_by_role("button", name=f"Replay request {failed_id}").click()
        await expect(section.get_by_role("status").last).to_contain_text(
            f"End request {failed_id} for call_bad is queued again"
        )
        await expect(bad.locator("[data-state]")).not_to_have_text("Failed")
        await expect(bad.get_by_role("button", name=re.compile("^Replay"))).to_have_count(0)
        await screenshot(page, tmp_path / "2-replayed.png")
    assert problems == []


async def test_the_scrt2_settings_are_saved_in_chromium(
    make_client: AppFactory, sf: RunningDevorg, tmp_path: Path
) -> None:
    """Push transcripts and Telephony-Provider-Name start from the org view (calltree by
    default), a bad name is refused at the field, and a save PATCHes what changed."""
    chromium_path()
    org = await connected_org(make_client, sf, "ada@acme.test")
    client = org.sivo.client
    path = f"/api/v1/salesforce/orgs/{org.row_id}"
    view = await (await client.get(path, headers=org.sivo.api)).json()
    assert view["push_transcripts"] is False and view["provider_name"] == "calltree"

    async with chromium() as browser:
        page, problems = await new_page(browser)
        await _open_org_page(page, org)
        section = page.get_by_test_id("scrt2-section")
        push = section.get_by_label("Push transcripts")
        name = section.get_by_label("Telephony-Provider-Name")
        await expect(push).not_to_be_checked()
        await expect(name).to_have_value("calltree")
        await expect(section.get_by_test_id("scrt2-not-reported")).to_have_count(0)

        await name.fill("   ")
        await section.get_by_role("button", name="Save SCRT2 settings").click()
        await expect(section.locator("#scrt2-provider-error")).to_contain_text("like calltree")
        await expect(name).to_have_attribute("aria-invalid", "true")

        await push.check()
        await name.fill("acme-voice")
        await section.get_by_role("button", name="Save SCRT2 settings").click()
        await expect(section.locator(".saved")).to_have_text(
            "Saved. SIVO pushes transcripts to the org, as acme-voice."
        )
        after = await (await client.get(path, headers=org.sivo.api)).json()
        assert after["push_transcripts"] is True and after["provider_name"] == "acme-voice"
        await page.reload()
        await expect(section.get_by_label("Push transcripts")).to_be_checked()
        await expect(section.get_by_label("Telephony-Provider-Name")).to_have_value("acme-voice")
        await screenshot(page, tmp_path / "3-scrt2-settings.png")
    assert problems == []
