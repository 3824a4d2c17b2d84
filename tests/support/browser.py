"""Launch the system's Debian Chromium through Playwright (never a downloaded browser).

``async with chromium() as browser:`` gives a ``playwright.async_api.Browser``. Pass extra
command-line switches (e.g. ``--use-fake-device-for-media-stream`` for telephony tests) as
arguments. A missing Chromium skips the test, or fails it when ``SIVO_TEST_REQUIRE_ALL=1``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, async_playwright

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
