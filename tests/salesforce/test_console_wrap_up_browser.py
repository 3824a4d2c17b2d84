"""After-call work survives a reload of the Lightning console, in a real Chromium: the
agent answers a call, hangs up, reloads during the wrap-up, and finds the ended call's card
again with its countdown going on (not restarted) and the notes saved before the reload;
the tenant requires a disposition, which the agent gives there, and is Available.

Notes typed but not saved survive a reload too, where the page has storage: on the
softphone's own page (first party). The console's frame with third-party cookies blocked
has no storage at all (Chromium throws on ``sessionStorage`` there), so it keeps no draft;
only what was saved comes back in it (static/softphone/notes-draft.js).

The same set-up as tests/salesforce/test_console_browser.py (its ``console`` fixture and
helpers): SIVO on 127.0.0.1, devorg on HTTPS, aiortc callers on loopback, nothing else.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from playwright.async_api import Page, expect

from tests.support.browser import MEDIA_ARGS, audio_flows, chromium, chromium_path, watch

from .test_console_browser import (
    AGENT,
    CALLER,
    Console,
    _available,
    _caller_rings,
    _signed_in,
    _softphone,
)
from .test_console_browser import console as console  # noqa: F401  (the fixture)
from .test_console_browser import pytestmark as pytestmark  # browser, SQLite

WRAP_UP_S = 120  # the fixture's Support queue
NOTES = "Notes (saved on the Salesforce Task)"


def _left(text: str | None) -> int:
    """Seconds left in "mm:ss left"."""
    found = re.fullmatch(r"(\d\d):(\d\d) left", text or "")
    assert found is not None, text
    return int(found[1]) * 60 + int(found[2])


async def test_a_console_reload_in_after_call_work_keeps_the_call_card(
    console: Console, tmp_path: Path
) -> None:
    async with _signed_in(console) as (_context, page, frame, watch):
        await _available(frame)

        call_id, card = await _caller_rings(console, frame)
        await card.get_by_role("button", name="Answer").click()
        await expect(card).to_have_attribute("data-state", "connected")
        await audio_flows(frame, "softphone in the console")
        await asyncio.sleep(1.0)  # a second of talk at least
        await card.get_by_role("button", name="Hang up").click()
        await expect(card).to_have_attribute("data-state", "ended")
        await expect(frame.locator("#status")).to_have_text("After-call work")
        await expect(card.locator("#wrapup")).to_be_visible()
        duration = await card.locator(".call-timer").text_content()
        log = card.get_by_role("form", name="Call log")
        await log.get_by_label("Notes (saved on the Salesforce Task)").fill("Wants a callback")
        await log.get_by_role("button", name="Save log").click()
        await expect(log.get_by_role("status")).to_have_text("Saved.")
        await asyncio.sleep(2.5)  # the countdown runs a little before the reload
        # (What the page last drew: on a loaded machine it may be a tick or two behind.)
        before = _left(await frame.locator("#wrapup-text").text_content())

        await page.reload()
        frame = await _softphone(page)
        await expect(frame.locator("#conn")).to_have_text("Connected")
        await expect(frame.locator("#status")).to_have_text("After-call work")
        card = frame.locator(f"section.call[data-call-id='{call_id}']")
        await expect(card).to_have_attribute("data-state", "ended")
        await expect(card).to_contain_text(CALLER)
        await expect(card.locator(".call-ended")).to_have_text("Call ended: you hung up.")
        assert await card.locator(".call-timer").text_content() == duration
        wrapup = card.locator("#wrapup")
        await expect(wrapup).to_be_visible()  # in the card: the call being wrapped up
        after = _left(await frame.locator("#wrapup-text").text_content())
        assert after <= before < WRAP_UP_S  # going on, not back to 02:00
        progress = frame.locator("#wrapup-progress")
        # The bar spans the whole wrap-up (a restarted one would span only what was left).
        assert await progress.get_attribute("max") == str(WRAP_UP_S)
        assert await progress.evaluate("(p) => p.value") <= before
        log = card.get_by_role("form", name="Call log")
        notes = log.get_by_label("Notes (saved on the Salesforce Task)")
        await expect(notes).to_have_value("Wants a callback")
        disposition = log.get_by_label("Disposition")
        await expect(disposition.locator("option:checked")).to_have_text("Choose one (required)")
        await page.screenshot(path=str(tmp_path / "reloaded-wrap-up.png"), full_page=True)

        # Ready without a disposition: refused; with one: Available, the card goes.
        await frame.locator("#wrapup-done").click()
        await expect(frame.locator("#alert")).to_contain_text("disposition")
        await expect(frame.locator("#status")).to_have_text("After-call work")
        await disposition.select_option("Resolved")
        await log.get_by_role("button", name="Save log").click()
        await expect(log.get_by_role("status")).to_have_text("Saved.")
        await frame.locator("#wrapup-done").click()
        await expect(frame.locator("#status")).to_have_text("Available")
        await expect(card).to_have_count(0)
        [task] = await console.tasks(call_id)
        assert task["CallDisposition"] == "Resolved" and "Wants a callback" in task["Description"]
        assert not watch.problems, watch.problems
        assert not watch.foreign(), watch.foreign()


async def _drafts(page: Page) -> list[str]:
    """The call-log drafts the page keeps (notes-draft-model.js's keys)."""
    keys: list[str] = await page.evaluate(
        "() => Object.keys(sessionStorage).filter((k) => k.startsWith('sivo.log-draft:'))"
    )
    return keys


async def _drafts_soon(page: Page, count: int) -> None:
    """Waits for the page to hold ``count`` drafts (they are written shortly after typing)."""
    for _ in range(50):
        if len(await _drafts(page)) == count:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"drafts: {await _drafts(page)}, not {count}")


async def test_notes_typed_but_not_saved_are_back_after_a_reload_until_saved(
    console: Console,
) -> None:
    """The standalone softphone of the same Salesforce user: notes and a disposition typed in
    after-call work, not saved, are in the form again after a reload (a draft in this tab's
    sessionStorage); once saved the draft is gone, and a reload shows the saved log; Ready
    saves a new draft, and the card and its draft go."""
    chromium_path()
    agents = (await console.api("GET", "/api/v1/agents"))["data"]
    bo = next(a for a in agents if a["email"] == AGENT)
    token = (await console.api("POST", f"/api/v1/agents/{bo['id']}/tokens", {}))["token"]
    base = str(console.sivo.client.make_url("/")).rstrip("/")
    async with chromium(*MEDIA_ARGS) as browser:
        context = await browser.new_context(permissions=["microphone"])
        context.set_default_timeout(15_000)
        page = await context.new_page()
        problems = watch(page)
        await page.goto(f"{base}/softphone/#token={token}")
        await _available(page)  # type: ignore[arg-type]  # a Page has a Frame's locators

        call_id, card = await _caller_rings(console, page)  # type: ignore[arg-type]
        await card.get_by_role("button", name="Answer").click()
        await expect(card).to_have_attribute("data-state", "connected")
        await card.get_by_role("button", name="Hang up").click()
        await expect(page.locator("#status")).to_have_text("After-call work")
        log = card.get_by_role("form", name="Call log")
        await log.get_by_label("Disposition").select_option("Callback")
        await log.get_by_label(NOTES).fill("Wants a callback after 5 pm")
        await _drafts_soon(page, 1)  # written as typed

        await page.reload()  # before "Save log"
        await expect(page.locator("#status")).to_have_text("After-call work")
        card = page.locator(f"section.call[data-call-id='{call_id}']")
        log = card.get_by_role("form", name="Call log")
        await expect(log.get_by_label(NOTES)).to_have_value("Wants a callback after 5 pm")
        await expect(log.get_by_label("Disposition").locator("option:checked")).to_have_text(
            "Callback"
        )
        assert await log.get_by_role("status").text_content() == ""  # not saved yet

        await log.get_by_role("button", name="Save log").click()
        await expect(log.get_by_role("status")).to_have_text("Saved.")
        assert await _drafts(page) == []
        await page.reload()
        await expect(page.locator("#status")).to_have_text("After-call work")
        card = page.locator(f"section.call[data-call-id='{call_id}']")
        log = card.get_by_role("form", name="Call log")
        await expect(log.get_by_label(NOTES)).to_have_value("Wants a callback after 5 pm")
        assert await _drafts(page) == []  # what shows is the saved log

        await log.get_by_label(NOTES).fill("Wants a callback after 6 pm")  # a draft again...
        await _drafts_soon(page, 1)
        await page.locator("#wrapup-done").click()  # ...saved by Ready; the card clears
        await expect(page.locator("#status")).to_have_text("Available")
        await expect(card).to_have_count(0)
        assert await _drafts(page) == []
        [task] = await console.tasks(call_id)
        assert task["CallDisposition"] == "Callback"
        assert "Wants a callback after 6 pm" in task["Description"]
        assert not problems, problems
