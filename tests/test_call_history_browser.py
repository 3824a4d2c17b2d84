"""The call history in a real Chromium: find a recorded call with the filters and play it.

Two real calls go through SIVO (the telephony tests' ``Phone``, ``dial`` and ``answer``:
Socket.IO clients with aiortc peers on loopback): one answered by Ann and recorded (the
caller at 440 Hz on the left channel, Ann at 1000 Hz on the right), one the caller
abandons while it rings. Ann declines the first call's first ring, answers the second and
holds the caller for a moment. The admin filters the history down to Ann's answered calls
(the URL keeps the filters through a reload), opens the call, reads its timeline (the two
rings and the hold in words), plays the recording (the audio element advances, the cursor
follows), pauses and seeks with the keyboard and a click, and finds the download link. Each
channel's waveform is drawn on its canvas. axe-core finds no serious or critical violation
on either page. Screenshots go to the test's tmp dir (printed) for a human to look at.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from playwright.async_api import Page, expect

from tests.conftest import AppFactory
from tests.media.peers import LoopbackPeer
from tests.support.axe import assert_no_axe_violations
from tests.support.browser import BROWSER_MARKS, chromium, chromium_path, new_page, screenshot
from tests.support.dashboard import log_in_page, open_counted_help
from tests.telephony.conftest import Center, answer, dial, supervised_center

EMAIL = "lead@acme.example"
PASSWORD = "correct horse battery"

pytestmark = BROWSER_MARKS

# Sound without a click in headless Chromium (the test clicks Play anyway).
AUDIO_ARGS = ("--autoplay-policy=no-user-gesture-required",)

# How many pixel columns of a canvas have any ink, per canvas (the waveform's width drawn).
_INKED_COLUMNS = """(canvas) => {
  const g = canvas.getContext('2d');
  const { width, height } = canvas;
  const px = g.getImageData(0, 0, width, height).data;
  let inked = 0;
  for (let x = 0; x < width; x += 1) {
    let tall = 0;
    for (let y = 0; y < height; y += 1) if (px[(y * width + x) * 4 + 3] > 0) tall += 1;
    if (tall > 2) inked += 1;
  }
  return { inked, width };
}"""


async def _recorded(center: Center, call_id: str) -> dict[str, Any]:
    for _ in range(200):
        for _type, data in await center.events("call.recorded"):
            if data["call_id"] == call_id:
                return data
        await asyncio.sleep(0.05)
    raise AssertionError(f"{call_id} was not recorded")


async def _current_time(page: Page) -> float:
    return float(await page.locator("audio").evaluate("(a) => a.currentTime"))


async def test_find_a_recorded_call_with_filters_and_play_it_in_chromium(
    make_client: AppFactory, tmp_path: Path
) -> None:
    """Filters (kept in the URL) find Ann's answered call; its view shows the timeline,
    draws both channels and plays the recording, keyboard and click included; the timeline
    says who was rung (a declined ring, then the answered one) and how long the hold was."""
    chromium_path()
    center = await supervised_center(
        make_client, EMAIL, PASSWORD
    )  # calls and events carry real times
    client = center.client
    base = str(client.make_url("/admin/"))
    try:
        agent, ann = await center.agent("Ann")
        # An answered call, recorded: about 3 s of the two tones. Ann declines its first
        # ring (the only agent, she is rung again at once), answers the second, and holds
        # the caller for a moment.
        caller = await center.web_phone()
        answered_id, caller_peer = await dial(center, caller, 440.0)
        await agent.wait_for("call.ringing")
        await agent.ok("call.decline", {"call_id": answered_id})
        await center.until(lambda: len(agent.events("call.ringing")) == 2)
        await answer(agent, answered_id, 1000.0)
        await caller_peer.wait_connected()
        await asyncio.sleep(1.5)
        await agent.ok("call.hold", {"call_id": answered_id, "on": True})
        await asyncio.sleep(0.6)
        await agent.ok("call.hold", {"call_id": answered_id, "on": False})
        await asyncio.sleep(1.0)
        await caller.ok("call.hangup", {"call_id": answered_id})
        await agent.wait_for("call.ended")
        recording = await _recorded(center, answered_id)
        await agent.ok("presence.set", {"status": "available"})
        # One the caller abandons while it rings.
        other_caller = await center.web_phone("caller2")
        abandoned_id, _ = await dial(center, other_caller, 440.0)
        await agent.wait_for("call.ringing", lambda d: d["call_id"] == abandoned_id)
        await other_caller.ok("call.hangup", {"call_id": abandoned_id})
        for _ in range(100):
            if (await center.api("GET", f"/api/v1/calls/{abandoned_id}"))["state"] == "ended":
                break
            await asyncio.sleep(0.05)

        async with chromium(*AUDIO_ARGS) as browser:
            page, problems = await new_page(browser)
            await log_in_page(page, base + "calls", EMAIL, PASSWORD)
            await expect(page.get_by_role("heading", name="Calls", exact=True)).to_be_visible()
            rows = page.locator(".log tbody tr")
            await expect(rows).to_have_count(2)
            await expect(rows.filter(has_text=abandoned_id)).to_contain_text("Abandoned")

            # Filter: Ann's answered calls.
            form = page.get_by_role("form", name="Filter calls")
            await form.get_by_label("Outcome").select_option(label="Answered")
            await form.get_by_label("Agent").select_option(label="Ann")
            await form.get_by_role("button", name="Apply filters").click()
            await expect(page).to_have_url(re.compile(r"agent_id=.*outcome=answered"))
            await expect(rows).to_have_count(1)
            await expect(rows.first).to_contain_text(answered_id)
            await expect(rows.first).to_contain_text("Answered")
            await expect(
                page.get_by_role("status").filter(has_text="answered calls")
            ).to_be_visible()

            # The URL keeps them: a reload shows the same filtered view.
            await page.reload()
            await expect(rows).to_have_count(1)
            await expect(page.get_by_label("Outcome")).to_have_value("answered")
            await expect(page.get_by_label("Agent")).to_have_value(ann)
            # A quick period applies at once, on top of the other filters.
            await form.get_by_role("button", name="Last hour").click()
            await expect(page).to_have_url(re.compile(r"since=.*agent_id=.*outcome=answered"))
            await expect(rows).to_have_count(1)
            await expect(page.get_by_label("From")).not_to_have_value("")
            await screenshot(page, tmp_path / "1-filtered.png")
            await open_counted_help(page, "Answered", "still connected is in progress")
            await assert_no_axe_violations(page, "the call history, filtered")

            # The call: timeline, recording, waveform.
            await page.get_by_role("link", name=answered_id).click()
            await expect(page.get_by_role("heading", level=1)).to_have_text(f"Call {answered_id}")
            timeline = page.locator(".timeline li")
            await expect(timeline.first).to_be_visible()
            kinds = await timeline.evaluate_all("(items) => items.map((li) => li.dataset.kind)")
            assert kinds == [
                "created",
                "queued",
                "ringing",
                "ringing",
                "answered",
                "hold",
                "ended",
                "recorded",
            ], kinds
            await expect(timeline.nth(0)).to_contain_text("+00:00")
            what = timeline.locator(".tl-what")
            detail = timeline.locator(".tl-detail")
            await expect(what.nth(2)).to_have_text("Rang")
            await expect(detail.nth(2)).to_have_text(re.compile(r"^Ann — declined after \d+ s$"))
            await expect(detail.nth(3)).to_have_text(re.compile(r"^Ann — answered after \d+ s$"))
            await expect(timeline.nth(4)).to_contain_text("By Ann")
            await expect(what.nth(5)).to_have_text("On hold")
            await expect(detail.nth(5)).to_have_text(re.compile(r"^\d+ s, by Ann$"))
            player = page.get_by_role("region", name="Recording")
            await expect(player).to_have_attribute("data-state", "ready", timeout=10_000)
            await expect(player).to_have_attribute("data-peaks", "2")
            canvases = player.locator("canvas")
            await expect(canvases).to_have_count(2)
            await expect(player.get_by_text("Caller (left channel)")).to_be_visible()
            await expect(player.get_by_text("Agent (right channel)")).to_be_visible()
            for i in range(2):
                drawn = await canvases.nth(i).evaluate(_INKED_COLUMNS)
                assert drawn["width"] > 100 and drawn["inked"] > drawn["width"] * 0.5, drawn
            download = player.get_by_role("link", name="Download (WAV)")
            await expect(download).to_have_attribute(
                "href", re.compile(r"/recordings/rec_\w+\.wav\?")
            )
            await expect(download).to_have_attribute("download", f"{answered_id}.wav")
            assert recording["recording_id"] in (await download.get_attribute("href") or "")
            await expect(page.locator(".call-salesforce")).to_be_hidden()  # no org: no links

            # Play: the audio element advances and the slider follows.
            await player.get_by_role("button", name="Play the recording").click()
            await expect(player.get_by_role("button", name="Pause the recording")).to_be_visible()
            for _ in range(50):
                if await _current_time(page) > 0.6:
                    break
                await asyncio.sleep(0.1)
            assert await _current_time(page) > 0.6
            slider = player.get_by_role("slider", name="Playback position")
            await expect(slider).not_to_have_attribute("aria-valuenow", "0")
            await screenshot(page, tmp_path / "2-playing.png")

            # The keyboard: Space pauses, End and Home seek to the ends.
            await slider.focus()
            await page.keyboard.press("Space")
            await expect(player.get_by_role("button", name="Play the recording")).to_be_visible()
            paused_at = await _current_time(page)
            await page.wait_for_timeout(300)
            assert await _current_time(page) == paused_at
            length = float(await page.locator("audio").evaluate("(a) => a.duration"))
            assert 2.0 < length < 6.0, length
            await page.keyboard.press("End")
            assert abs(await _current_time(page) - length) < 0.05
            await page.keyboard.press("Home")
            assert await _current_time(page) == 0
            await page.keyboard.press("ArrowRight")
            assert abs(await _current_time(page) - min(5.0, length)) < 0.05
            # A click in the middle of the waveform seeks to the middle.
            box = await slider.bounding_box()
            assert box is not None
            await page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            assert abs(await _current_time(page) - length / 2) < length * 0.1
            await screenshot(page, tmp_path / "3-paused.png")
            await assert_no_axe_violations(page, "a call's view with its recording")

            # Back to the list: the filters are still in force.
            await page.get_by_role("link", name="← Calls").click()
            await expect(page).to_have_url(re.compile(r"/admin/calls\?.*outcome=answered"))
            await expect(rows).to_have_count(1)
            assert problems == []
    finally:
        for phone in center.phones:
            await phone.close()
        LoopbackPeer.all_peers.clear()
