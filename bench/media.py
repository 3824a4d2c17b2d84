"""Benchmark of the media engine: N concurrent bridged Opus calls on loopback.

Three processes, so the server's CPU can be measured alone:

* ``--role server``: a :class:`MediaEngine` (loopback config) behind a JSON-lines
  control socket on 127.0.0.1 (open leg, bridge, CPU/RSS sampling).
* ``--role clients``: 2N aiortc peers (caller + agent per call) that send
  pre-encoded 20 ms Opus packets (no encoding) stamped with their send time,
  and count what they receive through an RTP tap (no decoding). One extra
  pair is connected *directly*, client to client, as the latency baseline.
* the orchestrator (default role) runs both for each N and prints ONE JSON line.

A packet is *on time* when it reaches the other client within ``--deadline-ms``
(default 50 ms) of being sent; lost packets are late. The latency the server
adds is estimated as (percentile through the server) - (same percentile on the
direct path), which removes the clients' own send/receive cost.

Usage::

    .venv/bin/python bench/media.py --calls 10,20,40 --seconds 20
    .venv/bin/python bench/media.py --quick
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import gc
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import av
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtp import RtpPacket

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.media import MediaConfig, MediaEngine  # noqa: E402
from server.media.aiortc_private import install_rtp_tap, restrict_host_addresses  # noqa: E402
from server.media.codec import encode_frames  # noqa: E402
from server.media.feed import FeedTrack  # noqa: E402
from server.media.sdpinfo import CodecInfo  # noqa: E402
from server.media.tones import hold_frames  # noqa: E402

STAMP = struct.Struct("<dI")  # send time (perf_counter), sender id
FRAME_S = 0.02

# -- server role ----------------------------------------------------------------


def _rss_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _cpu_s() -> float:
    times = os.times()
    return times.user + times.system


_pushed: dict[int, float] = {}
_queue_delays_s: list[float] = []


def _instrument_feed() -> None:
    """Bench-only: time each packet from the tap (push) to the sender (recv).

    The payload object is passed through unchanged, so its id() pairs the two.
    """
    push, make = FeedTrack.push, FeedTrack._packet

    def timed_push(self: FeedTrack, source: Any, timestamp: int, payload: bytes) -> None:
        _pushed[id(payload)] = time.perf_counter()
        push(self, source, timestamp, payload)

    def timed_packet(self: FeedTrack, source: Any, timestamp: int, payload: bytes) -> Any:
        pushed = _pushed.pop(id(payload), None)
        if pushed is not None:
            _queue_delays_s.append(time.perf_counter() - pushed)
        return make(self, source, timestamp, payload)

    FeedTrack.push = timed_push  # type: ignore[method-assign]
    FeedTrack._packet = timed_packet  # type: ignore[method-assign]


def _queue_delays() -> dict[str, float]:
    values = np.array(_queue_delays_s or [0.0]) * 1000
    _queue_delays_s.clear()
    return {
        "queue_p50_ms": float(np.percentile(values, 50)),
        "queue_p99_ms": float(np.percentile(values, 99)),
    }


async def run_server(freeze_gc: bool) -> None:
    _instrument_feed()
    engine = MediaEngine(
        config=MediaConfig.loopback(setup_timeout_s=60.0),
        recordings_dir=Path(tempfile.mkdtemp(prefix="sivo-bench-")),
    )
    base_rss = _rss_kb()
    sample: dict[str, float] = {}
    done = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            request = json.loads(line)
            op = request["op"]
            reply: dict[str, Any] = {}
            if op == "open":
                reply = {"sdp": await engine.open_leg(request["leg"], request["sdp"])}
            elif op == "bridge":
                await engine.bridge(request["a"], request["b"])
            elif op == "start":
                if freeze_gc:
                    gc.collect()
                    gc.freeze()
                sample.update(cpu=_cpu_s(), wall=time.perf_counter())
                _queue_delays_s.clear()
                _pushed.clear()
            elif op == "stop":
                reply = {
                    "cpu_s": _cpu_s() - sample["cpu"],
                    "wall_s": time.perf_counter() - sample["wall"],
                    "rss_kb": _rss_kb(),
                    "base_rss_kb": base_rss,
                    "threads": len(os.listdir("/proc/self/task")),
                    "pcs": engine.open_peer_connections,
                    **_queue_delays(),
                }
            writer.write(json.dumps(reply).encode() + b"\n")
            await writer.drain()
            if op == "quit":
                done.set()
                break
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await done.wait()
    server.close()
    await engine.close()


# -- clients role ---------------------------------------------------------------


class StampedOpusTrack(MediaStreamTrack):
    """Pre-encoded Opus packets, paced at 20 ms, each stamped with its send time."""

    kind = "audio"

    def __init__(self, payloads: list[bytes], sender_id: int, stats: PeerStats) -> None:
        super().__init__()
        self._payloads = payloads
        self._sender_id = sender_id
        self._stats = stats
        self._index = 0
        self._next: float | None = None

    async def recv(self) -> av.Packet[Any]:
        if self.readyState != "live":
            raise MediaStreamError
        now = time.perf_counter()
        if self._next is None or self._next < now - 0.1:
            self._next = now
        if self._next > now:
            await asyncio.sleep(self._next - now)
        self._next += FRAME_S
        sent = time.perf_counter()
        payload = self._payloads[self._index % len(self._payloads)]
        packet = av.Packet(payload + STAMP.pack(sent, self._sender_id))
        packet.pts = self._index * 960
        packet.time_base = fractions.Fraction(1, 48000)
        self._index += 1
        self._stats.on_sent(sent)
        return packet


class PeerStats:
    def __init__(self) -> None:
        self.window: tuple[float, float] | None = None
        self.sent = 0
        self.latencies: list[float] = []

    def on_sent(self, sent: float) -> None:
        if self.window is not None and self.window[0] <= sent < self.window[1]:
            self.sent += 1

    def on_received(self, packet: RtpPacket, _arrival_ms: int) -> None:
        if self.window is None or len(packet.payload) < STAMP.size:
            return
        sent, _sender = STAMP.unpack_from(packet.payload, len(packet.payload) - STAMP.size)
        if self.window[0] <= sent < self.window[1]:
            self.latencies.append(time.perf_counter() - sent)


class BenchPeer:
    def __init__(self, sender_id: int, payloads: list[bytes]) -> None:
        self.tx = PeerStats()  # packets this peer sends
        self.rx = PeerStats()  # packets this peer receives
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.track = StampedOpusTrack(payloads, sender_id, self.tx)
        self.transceiver = self.pc.addTransceiver(self.track, direction="sendrecv")

    async def offer(self) -> str:
        restrict_host_addresses(self.pc, ["127.0.0.1"])
        await self.pc.setLocalDescription(await self.pc.createOffer())
        install_rtp_tap(self.transceiver.receiver, self.rx.on_received)
        return str(self.pc.localDescription.sdp)

    async def answer(self, offer: str) -> str:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        install_rtp_tap(self.transceiver.receiver, self.rx.on_received)
        restrict_host_addresses(self.pc, ["127.0.0.1"])
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return str(self.pc.localDescription.sdp)

    async def accept(self, answer: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    async def wait_connected(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while self.pc.connectionState != "connected":
            if time.monotonic() > deadline:
                raise RuntimeError(f"peer not connected: {self.pc.connectionState}")
            await asyncio.sleep(0.05)


class Control:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer
        self._lock = asyncio.Lock()

    async def call(self, **request: Any) -> dict[str, Any]:
        async with self._lock:
            self._writer.write(json.dumps(request).encode() + b"\n")
            await self._writer.drain()
            reply: dict[str, Any] = json.loads(await self._reader.readline())
            return reply


def _summary(pairs: list[tuple[BenchPeer, BenchPeer]], deadline_s: float) -> dict[str, Any]:
    sent = received = on_time = 0
    latencies: list[float] = []
    for a, b in pairs:
        for tx, rx in ((a.tx, b.rx), (b.tx, a.rx)):
            sent += tx.sent
            received += len(rx.latencies)
            on_time += sum(1 for x in rx.latencies if x <= deadline_s)
            latencies.extend(rx.latencies)
    values = np.array(latencies) * 1000 if latencies else np.zeros(1)
    return {
        "sent": sent,
        "received": received,
        "on_time": on_time / sent if sent else 0.0,
        "p50_ms": float(np.percentile(values, 50)),
        "p99_ms": float(np.percentile(values, 99)),
    }


async def run_clients(port: int, calls: int, seconds: float, deadline_ms: float) -> None:
    payloads = encode_frames(CodecInfo("opus", 48000, 2, 111), hold_frames((440.0, 660.0)))
    control = Control(*await asyncio.open_connection("127.0.0.1", port))
    pairs = [(BenchPeer(2 * i, payloads), BenchPeer(2 * i + 1, payloads)) for i in range(calls)]
    semaphore = asyncio.Semaphore(8)

    async def setup(index: int, caller: BenchPeer, agent: BenchPeer) -> None:
        async with semaphore:
            for name, peer in ((f"c{index}", caller), (f"a{index}", agent)):
                reply = await control.call(op="open", leg=name, sdp=await peer.offer())
                await peer.accept(reply["sdp"])
            await caller.wait_connected()
            await agent.wait_connected()
            await control.call(op="bridge", a=f"c{index}", b=f"a{index}")

    await asyncio.gather(*(setup(i, a, b) for i, (a, b) in enumerate(pairs)))
    direct = (BenchPeer(2 * calls, payloads), BenchPeer(2 * calls + 1, payloads))
    await direct[0].accept(await direct[1].answer(await direct[0].offer()))
    await direct[0].wait_connected()
    await direct[1].wait_connected()

    await asyncio.sleep(3.0)  # warm-up
    await control.call(op="start")
    window = (time.perf_counter(), time.perf_counter() + seconds)
    for a, b in [*pairs, direct]:
        for peer in (a, b):
            peer.tx.window = peer.rx.window = window
    client_cpu = _cpu_s()
    await asyncio.sleep(seconds)
    client_cpu = _cpu_s() - client_cpu
    server = await control.call(op="stop")
    await asyncio.sleep(0.3)  # let in-flight packets of the window arrive
    result = {
        "calls": calls,
        "server": server,
        "client_cpu_cores": client_cpu / seconds,
        "bridged": _summary(pairs, deadline_ms / 1000),
        "direct": _summary([direct], deadline_ms / 1000),
    }
    for a, b in [*pairs, direct]:
        await a.pc.close()
        await b.pc.close()
    await control.call(op="quit")
    print(json.dumps(result), flush=True)


# -- orchestrator ---------------------------------------------------------------


def run_one(calls: int, seconds: float, deadline_ms: float, freeze_gc: bool) -> dict[str, Any]:
    script = str(Path(__file__).resolve())
    server_args = [sys.executable, script, "--role", "server"]
    if freeze_gc:
        server_args.append("--freeze-gc")
    server = subprocess.Popen(server_args, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        port = server.stdout.readline().strip()
        clients = subprocess.run(
            [sys.executable, script, "--role", "clients", "--port", port, "--calls", str(calls),
             "--seconds", str(seconds), "--deadline-ms", str(deadline_ms)],
            capture_output=True, text=True, timeout=seconds + 120 + calls,
        )  # fmt: skip
        if clients.returncode != 0:
            raise RuntimeError(f"clients failed:\n{clients.stderr[-3000:]}")
        raw: dict[str, Any] = json.loads(clients.stdout.strip().splitlines()[-1])
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    s, bridged, direct = raw["server"], raw["bridged"], raw["direct"]
    cores = s["cpu_s"] / s["wall_s"]
    return {
        "calls": calls,
        "on_time": round(bridged["on_time"], 4),
        "loss": round(1 - bridged["received"] / max(1, bridged["sent"]), 4),
        "server_cpu_cores": round(cores, 3),
        "cpu_pct_per_call": round(100 * cores / calls, 3),
        "rss_mb": round(s["rss_kb"] / 1024, 1),
        "rss_mb_per_call": round((s["rss_kb"] - s["base_rss_kb"]) / 1024 / calls, 2),
        "threads": s["threads"],
        "client_cpu_cores": round(raw["client_cpu_cores"], 3),
        "e2e_p50_ms": round(bridged["p50_ms"], 2),
        "e2e_p99_ms": round(bridged["p99_ms"], 2),
        "direct_p50_ms": round(direct["p50_ms"], 2),
        "direct_p99_ms": round(direct["p99_ms"], 2),
        "added_p50_ms": round(bridged["p50_ms"] - direct["p50_ms"], 2),
        "added_p99_ms": round(bridged["p99_ms"] - direct["p99_ms"], 2),
        "server_queue_p50_ms": round(s["queue_p50_ms"], 3),
        "server_queue_p99_ms": round(s["queue_p99_ms"], 3),
    }


def orchestrate(args: argparse.Namespace) -> None:
    counts = [int(x) for x in args.calls.split(",")]
    rows = []
    for calls in counts:
        runs = [
            run_one(calls, args.seconds, args.deadline_ms, args.freeze_gc)
            for _ in range(args.repeat)
        ]
        row = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        row["calls"] = calls
        rows.append(row)
        print(f"# {json.dumps(row)}", file=sys.stderr, flush=True)
    passing = [r for r in rows if r["on_time"] >= 0.98]
    best = max(passing, key=lambda r: r["calls"]) if passing else None
    print(
        json.dumps(
            {
                "bench": "media",
                "codec": "opus",
                "seconds": args.seconds,
                "repeat": args.repeat,
                "deadline_ms": args.deadline_ms,
                "cpus": os.cpu_count(),
                "max_calls_on_time": best["calls"] if best else 0,
                # one server process runs on one core at most
                "calls_per_core": best["calls"] if best else 0,
                "calls_per_core_by_cpu": (
                    round(best["calls"] / best["server_cpu_cores"], 1) if best else 0
                ),
                "added_p50_ms": best["added_p50_ms"] if best else None,
                "added_p99_ms": best["added_p99_ms"] if best else None,
                "results": rows,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--role", choices=["orchestrate", "server", "clients"],
                        default="orchestrate")  # fmt: skip
    parser.add_argument("--calls", default="10,20,40", help="comma-separated call counts")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=1, help="runs per count (median)")
    parser.add_argument("--deadline-ms", type=float, default=50.0)
    parser.add_argument("--freeze-gc", action="store_true", help="gc.freeze() in the server")
    parser.add_argument("--quick", action="store_true", help="--calls 5,10 --seconds 5")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    if args.quick:
        args.calls, args.seconds = "5,10", 5.0
    if args.role == "server" and os.environ.get("SIVO_BENCH_PROFILE"):
        import cProfile

        cProfile.runctx(
            "asyncio.run(run_server(freeze))",
            globals(),
            {"freeze": args.freeze_gc},
            os.environ["SIVO_BENCH_PROFILE"],
        )
    elif args.role == "server":
        asyncio.run(run_server(args.freeze_gc))
    elif args.role == "clients":
        calls = int(args.calls)
        asyncio.run(run_clients(args.port, calls, args.seconds, args.deadline_ms))
    else:
        orchestrate(args)


if __name__ == "__main__":
    main()
