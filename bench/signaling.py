"""Signaling benchmark: N agent softphones on Socket.IO, time from call.created to ring.

A SIVO server runs in a subprocess (SQLite, loopback media). This process connects N agent
sockets (websocket transport) and sets them Available, then web callers dial the published
number, ``--concurrency`` at a time. For each call, the ring latency is the agent's receipt
time of ``call.ringing`` minus the call's ``created_at`` (the timestamp of ``call.created``,
taken by the server's clock on the same host, when the server decides to take the call); the
caller then hangs up. ``dial_to_ring`` is the whole wait a caller causes: from sending
``call.dial`` (the server then answers its media first) to the agent's ring. RSS per
connection is the server's RSS growth from before the agents connected to after, divided by N.

Without ``--rate`` the callers dial back to back (closed loop): the server runs at whatever
rate it can sustain, and the latencies include its queueing at that rate. ``--rate R`` starts
R calls per second on a fixed schedule instead, to compare latencies at one load.

Prints one JSON line. Usage:
``python -m bench.signaling [--agents 1000] [--calls 300] [--concurrency 10] [--rate R]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import socketio
from aiortc import RTCConfiguration, RTCPeerConnection

from server.media.aiortc_private import restrict_host_addresses

ROOT = Path(__file__).resolve().parents[1]


def _ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _offer() -> str:
    """One loopback-only SDP offer; every call reuses it (the server answers each afresh)."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("audio", direction="sendrecv")
    restrict_host_addresses(pc, ("127.0.0.1",))
    await pc.setLocalDescription(await pc.createOffer())
    sdp = str(pc.localDescription.sdp)
    await pc.close()
    return sdp


async def run(agents: int, calls: int, concurrency: int, rate: float) -> dict[str, Any]:
    data_dir = tempfile.mkdtemp(prefix="sivo-bench-sig-")
    env = {
        **os.environ,
        "SIVO_DATA_DIR": data_dir,
        "SIVO_LOG_LEVEL": "WARNING",
        # every web caller of the benchmark shares 127.0.0.1: lift the per-address limits
        "SIVO_CALLER_RATE_PER_S": "10000",
        "SIVO_CALLER_BURST": "10000",
    }
    out = Path(data_dir) / "bench.json"
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench._signaling_sivo",
        str(agents),
        str(out),
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert server.stdin is not None and server.stdout is not None

    async def rss() -> int:
        server.stdin.write(b"rss\n")  # type: ignore[union-attr]
        return int((await server.stdout.readline()).decode())  # type: ignore[union-attr]

    line = await asyncio.wait_for(server.stdout.readline(), 300)
    assert line.decode().strip() == "ready", line
    setup = json.loads(out.read_text())
    url = f"http://127.0.0.1:{setup['port']}"
    rss_before = await rss()

    rings: dict[str, asyncio.Future[float]] = {}
    rang_at: dict[str, float] = {}
    loop = asyncio.get_running_loop()

    def on_ring(data: dict[str, Any]) -> None:
        received = time.time()
        rang_at.setdefault(data["call_id"], received)
        fut = rings.setdefault(data["call_id"], loop.create_future())
        if not fut.done():
            fut.set_result(received - _ts(data["created_at"]))

    clients: list[socketio.AsyncClient] = []

    async def connect(token: str) -> None:
        client = socketio.AsyncClient(reconnection=False)
        client.on("call.ringing", on_ring, namespace="/agent")
        await client.connect(
            url,
            namespaces=["/agent"],
            transports=["websocket"],
            auth={"token": token},
            wait_timeout=60,
        )
        reply = await client.call("presence.set", {"status": "available"}, namespace="/agent")
        assert reply["ok"], reply
        clients.append(client)

    t0 = time.monotonic()
    tokens = setup["tokens"]
    for start in range(0, len(tokens), 50):
        await asyncio.gather(*(connect(t) for t in tokens[start : start + 50]))
    connect_s = time.monotonic() - t0
    await asyncio.sleep(1.0)
    rss_after = await rss()

    sdp = await _offer()
    latencies: list[float] = []
    dial_to_ring: list[float] = []
    slots = iter(range(calls * 2))
    start = time.monotonic() + 0.1

    async def paced() -> None:
        """With ``rate``, calls start on a fixed schedule (open loop), else back to back."""
        if rate:
            await asyncio.sleep(max(0.0, start + next(slots) / rate - time.monotonic()))

    async def caller(n: int) -> None:
        phone = socketio.AsyncClient(reconnection=False)
        await phone.connect(url, namespaces=["/caller"], transports=["websocket"])
        for _ in range(n):
            await paced()
            sent = time.time()
            reply = await phone.call(
                "call.dial", {"to": setup["number"], "sdp": sdp}, namespace="/caller", timeout=30
            )
            assert reply["ok"], reply
            fut = rings.setdefault(reply["call_id"], loop.create_future())
            latencies.append(await asyncio.wait_for(fut, 30))
            dial_to_ring.append(rang_at[reply["call_id"]] - sent)
            await phone.call("call.hangup", {"call_id": reply["call_id"]}, namespace="/caller")
        await phone.disconnect()

    t1 = time.monotonic()
    per_caller = max(1, calls // concurrency)
    await asyncio.gather(*(caller(per_caller) for _ in range(concurrency)))
    calls_s = time.monotonic() - t1
    rss_end = await rss()
    for client in clients:
        await client.disconnect()
    server.stdin.close()
    await asyncio.wait_for(server.wait(), 30)
    ms = [x * 1000 for x in latencies]
    end_to_end = [x * 1000 for x in dial_to_ring]
    return {
        "bench": "signaling",
        "agents": agents,
        "connected": len(clients),
        "calls": len(latencies),
        "concurrency": concurrency,
        "rate_limit_per_s": rate or None,
        "ring_p50_ms": round(statistics.median(ms), 2),
        "ring_p99_ms": round(_pct(ms, 0.99), 2),
        "ring_max_ms": round(max(ms), 2),
        "dial_to_ring_p50_ms": round(statistics.median(end_to_end), 2),
        "dial_to_ring_p99_ms": round(_pct(end_to_end, 0.99), 2),
        "rss_per_connection_kb": round((rss_after - rss_before) / agents, 1),
        "server_rss_mb": round(rss_after / 1024, 1),
        "server_rss_after_calls_mb": round(rss_end / 1024, 1),
        "connect_seconds": round(connect_s, 1),
        "calls_per_second": round(len(latencies) / calls_s, 1),
    }


def _raise_open_files_limit() -> None:
    """Thousands of sockets: lift the soft limit on open files to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main() -> None:
    _raise_open_files_limit()  # inherited by the server process
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument(
        "--rate", type=float, default=0.0, help="calls started per second (default: no limit)"
    )
    args = parser.parse_args()
    result = asyncio.run(run(args.agents, args.calls, args.concurrency, args.rate))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
