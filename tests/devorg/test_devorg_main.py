"""``python -m devorg --demo`` starts, prints its URLs and serves them."""

from __future__ import annotations

import asyncio
import re
import signal
import sys

import aiohttp


async def test_demo_prints_urls_and_serves() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "devorg",
        "--demo",
        "--port",
        "0",
        "--scrt-port",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        lines = []
        while not any(line.startswith("devorg SCRT2 host") for line in lines):
            raw = await asyncio.wait_for(process.stdout.readline(), timeout=15)
            assert raw, "devorg exited early"
            lines.append(raw.decode())
        text = "".join(lines)
        match = re.search(r"devorg org host\s+(http://127\.0\.0\.1:\d+)", text)
        assert match is not None
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{match.group(1)}/__devorg/") as response,
        ):
            assert len((await response.json())["orgs"]) == 2
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), timeout=10)
