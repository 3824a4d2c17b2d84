"""`sivo serve` as an operator runs it: no credential in its log, the public URL it was given
kept when --port moves the socket, and a database file only its owner can read."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import socketio

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def served() -> AsyncIterator[tuple[str, dict[str, str], Path, asyncio.subprocess.Process]]:
    data_dir = Path(tempfile.mkdtemp(prefix="sivo-serve-"))
    port = _free_port()
    env = {
        **os.environ,
        "SIVO_DATA_DIR": str(data_dir),
        "SIVO_LOG_LEVEL": "INFO",
        "SIVO_PUBLIC_URL": "https://sivo.example",  # as behind a TLS proxy
    }
    made = subprocess.run(
        [sys.executable, "-m", "server.cli", "tenant", "create", "Acme"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    key = json.loads(made.stdout)["api_key"]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server.cli",
        "serve",
        "--port",
        str(port),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        for _ in range(200):
            try:
                async with http.get(f"{url}/healthz") as resp:
                    if resp.status == 200:
                        break
            except aiohttp.ClientError:
                await asyncio.sleep(0.05)
    yield url, {"Authorization": f"Bearer {key}"}, data_dir, proc
    if proc.returncode is None:
        proc.terminate()
        await proc.wait()


async def test_no_credential_reaches_the_log_and_the_public_url_is_kept(
    served: tuple[str, dict[str, str], Path, asyncio.subprocess.Process],
) -> None:
    url, headers, data_dir, proc = served
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{url}/api/v1/agents",
            json={"name": "Ann", "email": "ann@acme.example", "extension": "11"},
            headers=headers,
        ) as resp:
            agent = await resp.json()
        async with http.post(
            f"{url}/api/v1/agents/{agent['id']}/tokens", json={}, headers=headers
        ) as resp:
            token = (await resp.json())["token"]
        async with http.get(f"{url}/softphone/?token={token}") as resp:  # an old-style link
            assert resp.status == 200
        signed = f"{url}/recordings/rec_1.wav?expires=9999999999&sig=c0ffee"
        async with http.get(signed) as resp:  # a recording URL's signature is a credential too
            assert resp.status == 403
        async with http.get(f"{url}/.well-known/jwks.json") as resp:
            assert resp.status == 200
    phone = socketio.AsyncClient(reconnection=False)
    await phone.connect(url, namespaces=["/agent"], transports=["websocket"], auth={"token": token})
    await phone.disconnect()
    proc.terminate()
    output = (await proc.stdout.read()).decode() if proc.stdout else ""  # type: ignore[union-attr]
    await proc.wait()
    assert '"GET /softphone/"' in output  # requests are logged, without their query
    assert token not in output and token.split(".")[2] not in output
    assert "c0ffee" not in output
    assert "SIVO on https://sivo.example" in output  # --port moved the socket, not the URL
    mode = stat.S_IMODE((data_dir / "sivo.db").stat().st_mode)
    assert mode == 0o600, oct(mode)
