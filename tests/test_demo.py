"""`make run` is the demo: SIVO and devorg side by side, the demo org connected through the
real OAuth flow, its users made agents; one SIGINT stops both; a second run finds it all."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
READY = "SIVO demo ready"


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [int(s.getsockname()[1]) for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _run_until_ready(data: Path, ports: list[int]) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "demo",
            "--data-dir",
            str(data),
            "--port",
            str(ports[0]),
            "--devorg-port",
            str(ports[1]),
            "--scrt-port",
            str(ports[2]),
        ],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("SIVO_")},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 180
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if READY in line:
            return proc, lines
    proc.kill()
    raise AssertionError("the demo did not get ready:\n" + "".join(lines))


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    return out


def test_the_demo_connects_the_org_and_survives_a_restart(tmp_path: Path) -> None:
    ports = _free_ports(3)
    sivo = f"http://127.0.0.1:{ports[0]}"
    proc, lines = _run_until_ready(tmp_path, ports)
    try:
        shown = "".join(lines)
        assert f"{sivo}/admin/" in shown and "log in as admin@sivo-demo.test / " in shown
        state = json.loads((tmp_path / "demo.json").read_text())
        assert (tmp_path / "demo.json").stat().st_mode & 0o077 == 0
        assert state["api_key"] not in shown  # the key stays in the 0600 file
        api = {"Authorization": f"Bearer {state['api_key']}"}
        [org] = requests.get(f"{sivo}/api/v1/salesforce/orgs", headers=api, timeout=10).json()[
            "data"
        ]
        assert org["status"] == "connected" and org["call_center"]["internal_name"] == "SIVO_Demo"
        agents = requests.get(f"{sivo}/api/v1/agents", headers=api, timeout=10).json()["data"]
        assert sorted(a["name"] for a in agents) == ["Ada Admin", "Alan Agent", "Grace Hopper"]
        # The console link frames SIVO's softphone for this org (the definition was imported).
        console = next(line.split()[-1] for line in lines if "Agent console" in line)
        page = requests.get(console, timeout=10).text
        assert f"{sivo}/softphone/?org={org['id']}&amp;mode=Lightning" in page
    finally:
        out = _stop(proc)
    assert out.rstrip().endswith("stopped.") and (tmp_path / "devorg.json").exists()
    for port in ports:  # both servers are gone
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0

    proc, _ = _run_until_ready(tmp_path, ports)
    try:
        [again] = requests.get(f"{sivo}/api/v1/salesforce/orgs", headers=api, timeout=10).json()[
            "data"
        ]
        assert again["id"] == org["id"] and again["status"] == "connected"
        agents = requests.get(f"{sivo}/api/v1/agents", headers=api, timeout=10).json()["data"]
        assert len(agents) == 3  # nothing made twice
    finally:
        _stop(proc)
