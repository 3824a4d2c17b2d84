"""The dashboard's Reports page in a real Chromium: charts drawn from the server's aggregates.

A day and a half of calls is seeded as the call store writes them, in two queues created
through the API, two agents answering. The admin opens Reports, picks the last 7 days per
hour, then per day, then one queue; the tiles and the tables (the charts' text alternative)
show what ``GET /api/v1/reports/calls`` returns, and uPlot has drawn the three charts (their
canvases hold the series' colours). A period too long for hourly buckets is refused in words.
axe-core finds no serious or critical violation. Screenshots go to the test's tmp dir.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from playwright.async_api import Page, expect

from server.api.context import SERVICES
from server.store import rollup
from server.store.tables import calls
from tests.conftest import AppFactory
from tests.support.api import Tenant, new_tenant
from tests.support.axe import assert_no_axe_violations
from tests.support.browser import BROWSER_MARKS, chromium, chromium_path, new_page, screenshot
from tests.support.dashboard import log_in_page, open_counted_help

EMAIL = "ops@acme.example"
PASSWORD = "correct horse battery"

pytestmark = BROWSER_MARKS

# How many of a canvas's pixels are close to a colour (the answered series' green).
COLOUR_PIXELS_JS = """([index, rgb]) => {
  const canvas = document.querySelectorAll('.report-plot canvas')[index];
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 0; i < data.length; i += 4) {
    const off = Math.abs(data[i] - rgb[0]) + Math.abs(data[i + 1] - rgb[1])
      + Math.abs(data[i + 2] - rgb[2]);
    if (off < 40 && data[i + 3] > 200) n++;
  }
  return n;
}"""
GREEN = (15, 123, 75)  # #0f7b4b: answered (chart 0), service level (chart 1)
VIOLET = (124, 58, 237)  # #7c3aed: average handle time (chart 2)


async def _create(client: Any, tenant: Tenant, path: str, body: dict[str, Any]) -> str:
    resp = await client.post(path, json=body, headers=tenant.headers)
    assert resp.status == 201, await resp.text()
    created: dict[str, Any] = await resp.json()
    return str(created["id"])


async def _seed(client: Any, tenant: Tenant, queues: list[str], agents: list[str]) -> None:
    """One call every 5 minutes for the last 36 hours: 3 in 4 answered, 1 in 8 abandoned."""
    now = time.time()
    rows = []
    for i in range(36 * 12):
        created = now - 3600 - i * 300
        answered = i % 8 not in (0, 4)
        wait = float(i % 30)
        rows.append(
            {
                "id": f"call_{i}",
                "tenant_id": tenant.id,
                "direction": "inbound" if i % 10 else "outbound",
                "from_number": "+14155550100",
                "to_number": "+18005550100",
                "queue_id": queues[(i // 3) % 2] if i % 10 else None,
                "agent_id": agents[(i // 5) % 2] if answered or not i % 10 else None,
                "state": "ended",
                "created_at": created,
                "queued_at": created if i % 10 else None,
                "answered_at": created + wait if answered else None,
                "ended_at": created + wait + 120,
                "wait_s": wait,
                "talk_s": 90.0 + i % 60 if answered else 0.0,
                "hold_s": 0.0,
                "hangup_cause": "caller_hangup" if answered else "abandoned",
                "hangup_side": "caller",
                "transfers": "[]",
                "recording_id": None,
            }
        )
    async with client.app[SERVICES].db.transaction() as tx:
        await tx.conn.execute(calls.insert(), rows)
        # as the call store does when a call ends: its sums go to the hourly rollup
        await rollup.add_calls_txn(tx, [row["id"] for row in rows if row["state"] == "ended"])


async def _tiles(page: Page) -> dict[str, str]:
    tiles: dict[str, str] = {}
    for item in await page.locator(".report-tiles li").all():
        label = await item.locator(".report-tile-label").text_content()
        tiles[label or ""] = await item.locator("strong").text_content() or ""
    return tiles


async def _server_report(client: Any, tenant: Tenant, page: Page) -> dict[str, Any]:
    """What the page asked the API for (its last report request), asked again by the test."""
    url = await page.evaluate(
        "() => performance.getEntriesByType('resource').map((e) => e.name)"
        ".filter((n) => n.includes('/api/v1/reports/calls')).pop()"
    )
    path = url.split("://", 1)[1].split("/", 1)[1]
    resp = await client.get("/" + path, headers=tenant.headers)
    assert resp.status == 200
    body: dict[str, Any] = await resp.json()
    return body


async def test_reports_draw_the_servers_aggregates_in_chromium(
    make_client: AppFactory, tmp_path: Path
) -> None:
    """Tiles, tables and charts follow the period, the buckets and the queue chosen."""
    chromium_path()
    client = await make_client()
    tenant = await new_tenant(client)
    await client.app[SERVICES].identity.create_admin(tenant.id, EMAIL, PASSWORD)
    sales = await _create(client, tenant, "/api/v1/queues", {"name": "Sales"})
    support = await _create(client, tenant, "/api/v1/queues", {"name": "Support"})
    ana = await _create(
        client,
        tenant,
        "/api/v1/agents",
        {"name": "Ana", "email": "ana@acme.example", "extension": "101"},
    )
    ben = await _create(
        client,
        tenant,
        "/api/v1/agents",
        {"name": "Ben", "email": "ben@acme.example", "extension": "102"},
    )
    await _seed(client, tenant, [sales, support], [ana, ben])
    base = str(client.make_url("/admin/"))

    async with chromium() as browser:
        page, problems = await new_page(browser)
        await log_in_page(page, base + "endpoints", EMAIL, PASSWORD)
        await (
            page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
        )
        await expect(page).to_have_url(re.compile(r"/admin/reports\?period=today&bucket=hour$"))
        await expect(page.get_by_role("heading", name="Reports", exact=True)).to_be_visible()

        # Last 7 days, per hour: 168 hourly buckets, tiles as the server summed them.
        await page.get_by_label("Period", exact=True).select_option(label="Last 7 days")
        await expect(page.get_by_label("Buckets", exact=True)).to_have_value("hour")
        await page.get_by_role("button", name="Show").click()
        await expect(page.get_by_role("status")).to_contain_text("Last 7 days")
        report = await _server_report(client, tenant, page)
        assert report["bucket"] == "hour" and len(report["buckets"]) == 7 * 24
        totals = report["totals"]
        assert totals["offered"] == 388 and totals["outbound"] == 44
        tiles = await _tiles(page)
        assert tiles["Offered"] == str(totals["offered"])
        assert tiles["Answered"] == str(totals["answered"])
        assert tiles["Abandoned"] == str(totals["abandoned"])
        assert tiles["Service level (20 s)"] == f"{round(totals['service_level'] * 1000) / 10:g}%"
        await expect(page.locator(".report-plot canvas")).to_have_count(3)
        assert await page.evaluate(COLOUR_PIXELS_JS, [0, GREEN]) > 100  # answered, drawn
        assert await page.evaluate(COLOUR_PIXELS_JS, [1, GREEN]) > 100  # service level
        assert await page.evaluate(COLOUR_PIXELS_JS, [2, VIOLET]) > 100  # handle time
        await screenshot(page, tmp_path / "1-reports-hourly.png")
        per_hour = page.locator("details.report-table")
        await per_hour.locator("summary").click()
        await expect(per_hour.locator("tbody tr")).to_have_count(7 * 24)
        queues = page.locator("section", has=page.get_by_role("heading", name="Per queue"))
        await expect(queues.locator("tbody tr")).to_have_count(3)
        by_name = {q["name"]: q for q in report["queues"]}
        first = queues.locator("tbody tr").first
        await expect(first.locator("td").nth(0)).to_have_text(report["queues"][0]["name"])
        await expect(first.locator("td").nth(1)).to_have_text(str(report["queues"][0]["offered"]))
        assert set(by_name) == {"Sales", "Support", None}
        agents = page.locator("section", has=page.get_by_role("heading", name="Per agent"))
        await expect(agents.locator("tbody tr")).to_have_count(2)
        await expect(agents).to_contain_text("Ana")
        await open_counted_help(page, "Answered", "whether it has ended or is still connected")
        await screenshot(page, tmp_path / "1b-how-counted.png")
        await assert_no_axe_violations(page, "Reports (hourly, table open)")

        # Per day, one queue: the URL keeps the choice; a reload shows the same.
        await page.get_by_label("Buckets", exact=True).select_option("day")
        await page.get_by_label("Queue", exact=True).select_option(label="Support")
        await page.get_by_role("button", name="Show").click()
        await expect(page.get_by_role("status")).to_contain_text("Support")
        report = await _server_report(client, tenant, page)
        assert report["bucket"] == "day" and len(report["buckets"]) == 7
        assert [q["name"] for q in report["queues"]] == ["Support"]
        assert (await _tiles(page))["Offered"] == str(report["totals"]["offered"])
        await expect(page.locator("details.report-table tbody tr")).to_have_count(7)
        await expect(page).to_have_url(f"{base}reports?period=7d&bucket=day&queue={support}")
        await page.reload()
        await expect(page.get_by_label("Queue", exact=True)).to_have_value(support)
        await expect(page.get_by_label("Buckets", exact=True)).to_have_value("day")
        await expect(page.locator(".report-plot canvas")).to_have_count(3)
        await screenshot(page, tmp_path / "2-reports-daily-support.png")
        await assert_no_axe_violations(page, "Reports (daily, one queue)")

        # Custom dates: too long for hourly buckets is said in words, nothing asked.
        await page.get_by_label("Period", exact=True).select_option(label="Custom dates")
        await page.get_by_label("Start date", exact=True).fill("2026-01-01")
        await page.get_by_label("End date", exact=True).fill("2026-03-31")
        await page.get_by_label("Buckets", exact=True).select_option("hour")
        await page.get_by_role("button", name="Show").click()
        await expect(page.get_by_role("alert")).to_have_text(
            "Hourly charts cover at most 31 days; this period has 90. Choose daily buckets."
        )
        # A quiet period: the tiles at zero and a sentence instead of flat charts.
        await page.get_by_label("Buckets", exact=True).select_option("day")
        await page.get_by_role("button", name="Show").click()
        await expect(page.get_by_text("No calls in this period.")).to_be_visible()
        await expect(page.locator(".report-plot")).to_have_count(0)
        await screenshot(page, tmp_path / "3-reports-empty.png")
        await assert_no_axe_violations(page, "Reports (no calls)")

    assert problems == []
