"""Starting ``tests.support.flood_server`` (the real app in its own process) from a test."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def start_flood_server(
    env: dict[str, str], tenant: str, events_n: int, first: int
) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.flood_server",
        "--tenant",
        tenant,
        "--events",
        str(events_n),
        "--first",
        str(first),
        "--port",
        str(_free_port()),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 30)
    assert line.strip() == b"ready", line
    return proc
