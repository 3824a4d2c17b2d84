"""Launch the system's Debian Chromium through Playwright (never a downloaded browser).

``async with chromium() as browser:`` gives a ``playwright.async_api.Browser``. Pass extra
command-line switches (e.g. ``--use-fake-device-for-media-stream`` for telephony tests) as
arguments. A missing Chromium skips the test, or fails it when ``SIVO_TEST_REQUIRE_ALL=1``.
``pytestmark = BROWSER_MARKS`` marks a module's tests ``browser``, on SQLite only.
``new_page(browser)`` opens a page that collects its console errors and uncaught errors;
``screenshot(page, path)`` saves a full page for a human to look at.
``audio_flows(page, name)`` checks that a page's (or frame's) one call carries audio over
loopback (``window.sivo.peerConnections()`` of the softphone and caller pages).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, ConsoleMessage, Frame, Page, async_playwright

# A module's ``pytestmark``: what a browser test checks is the pages, so SQLite is enough.
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]

DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS: tuple[str, ...] = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

# A fake microphone (beeps once a second), no permission prompt, sound without a click.
MEDIA_ARGS = (
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    "--allow-loopback-in-peer-connection",
)


def chromium_path() -> str:
    """The Chromium binary to drive: ``$SIVO_CHROMIUM`` or Debian's; skip/fail if absent."""
    configured = os.environ.get("SIVO_CHROMIUM", DEFAULT_CHROMIUM)
    found = shutil.which(configured) if not os.path.isabs(configured) else configured
    if found and Path(found).is_file() and os.access(found, os.X_OK):
        return found
    reason = f"no Chromium at {configured!r} (apt-get install chromium, or set SIVO_CHROMIUM)"
    if os.environ.get("SIVO_TEST_REQUIRE_ALL") == "1":
        pytest.fail(f"{reason} but SIVO_TEST_REQUIRE_ALL=1")
    pytest.skip(reason)


@asynccontextmanager
async def chromium(*extra_args: str, **launch_options: Any) -> AsyncIterator[Browser]:
    """A headless Chromium ``Browser``, closed (with its Playwright driver) on exit."""
    executable = chromium_path()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=executable,
            args=[*CHROMIUM_ARGS, *extra_args],
            **launch_options,
        )
        try:
            yield browser
        finally:
            await browser.close()


def watch(page: Page) -> list[str]:
    """The page's console errors and warnings and its uncaught errors, as they come."""
    problems: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type in ("error", "warning"):
            problems.append(f"console {msg.type}: {msg.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    return problems


async def new_page(browser: Browser, *, timeout_ms: int = 10_000) -> tuple[Page, list[str]]:
    """A 1280x900 page in a context of its own, and what ``watch`` collects of it."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(timeout_ms)
    return page, watch(page)


async def screenshot(page: Page, path: Path) -> None:
    """The whole page as a PNG at ``path`` (printed), for a human to look at."""
    await page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


LOOPBACK = ("127.0.0.1", "::1")

# Per peer connection of the page: state, audio bytes received, the remote candidates SIVO
# gave, and the addresses of the candidate pair in use.
STATS_JS = """async () => {
  const out = [];
  for (const pc of window.sivo.peerConnections()) {
    const report = await pc.getStats();
    let bytes = 0, packets = 0, energy = 0, pair = null;
    const remotes = [];
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        bytes += s.bytesReceived;
        packets += s.packetsReceived;
        energy += s.totalAudioEnergy ?? 0;
      }
      if (s.type === 'remote-candidate') remotes.push(s.address ?? s.ip);
      if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s;
    });
    const selected = pair
      ? [report.get(pair.localCandidateId)?.address, report.get(pair.remoteCandidateId)?.address]
      : null;
    out.push({ state: pc.connectionState, bytes, packets, energy, remotes, selected });
  }
  return out;
}"""


async def audio_stats(page: Page | Frame) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = await page.evaluate(STATS_JS)
    return result


async def audio_flows(page: Page | Frame, name: str) -> None:
    """One connected pc whose selected pair is loopback at both ends; audio grows over 2 s.

    Chromium pairs every one of its host candidates with SIVO's 127.0.0.1, so it also checks
    from its interface address; SIVO ignores checks from outside its allowed networks, so only
    the loopback pair can succeed. A page that is still restoring the call's audio (after a
    reload) is given up to 10 s to have its one peer connection up first.
    """
    for _ in range(100):
        before = await audio_stats(page)
        if len(before) == 1 and before[0]["state"] == "connected":
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(2.0)
    after = await audio_stats(page)
    assert len(before) == len(after) == 1, (name, after)
    stats = after[0]
    assert stats["state"] == "connected", (name, stats)
    assert stats["remotes"] and all(a in LOOPBACK for a in stats["remotes"]), (name, stats)
    assert stats["selected"] and all(a in LOOPBACK for a in stats["selected"]), (name, stats)
    grown = stats["bytes"] - before[0]["bytes"]
    packets = stats["packets"] - before[0]["packets"]
    # 20 ms packets: ~100 in 2 s. The fake microphone beeps once a second, mostly silence.
    assert grown > 1_000 and packets >= 60, f"{name}: {grown} B, {packets} packets in 2 s"
    energy = stats["energy"] - before[0]["energy"]
    assert energy > 0.05, f"{name}: decoded audio is silent (energy {energy})"  # beeps heard
    print(f"{name}: {grown} B, {packets} packets, energy {energy:.4f} in 2 s; {stats['selected']}")
