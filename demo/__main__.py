"""``python -m demo`` (what ``make run`` starts): SIVO and devorg side by side, one Ctrl-C
stops both.

It runs the two as separate processes that talk HTTP only (devorg never imports SIVO, nor
the reverse), then sets up what an admin would, through the same doors an admin uses: a
demo tenant and a dashboard login (``sivo tenant create``, ``sivo admin create``), a queue
and a published number (the REST API), the demo org connected through the real OAuth flow
(the dashboard's Connect with Salesforce, approved in devorg), its users imported and made
agents. State lives in ``{data dir}/demo.json`` and devorg's snapshot, so a second run finds
everything again.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import aiohttp

from .setup import DemoSetup

ROOT = Path(__file__).resolve().parents[1]


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m demo")
    parser.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("SIVO_DATA_DIR", "var"))
    )
    parser.add_argument("--port", type=int, default=8080, help="SIVO (default 8080)")
    parser.add_argument("--devorg-port", type=int, default=8081)
    parser.add_argument("--scrt-port", type=int, default=8082)
    return parser.parse_args(argv)


async def _start(
    name: str, args: list[str], env: dict[str, str], log: Path
) -> asyncio.subprocess.Process:
    out = log.open("ab")
    # A session of its own: a signal to the demo's group (Ctrl-C, a supervisor's TERM) reaches
    # the demo only, which stops each child with SIGINT so that devorg writes its snapshot.
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    out.close()
    print(f"started {name} (pid {proc.pid}; log {log})", flush=True)
    return proc


async def _wait_up(session: aiohttp.ClientSession, url: str, procs: list[Any]) -> None:
    for _ in range(300):
        if any(p.returncode is not None for p in procs):
            raise SystemExit(f"a process exited while starting; see the logs in {procs}")
        try:
            async with session.get(url) as resp:
                if resp.status < 500:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


async def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    data = args.data_dir.absolute()
    data.mkdir(parents=True, exist_ok=True)
    sivo_url = f"http://127.0.0.1:{args.port}"
    devorg_url = f"http://127.0.0.1:{args.devorg_port}"
    snapshot = data / "devorg.json"
    devorg_args = [
        "-m",
        "devorg",
        "--port",
        str(args.devorg_port),
        "--scrt-port",
        str(args.scrt_port),
        "--snapshot",
        str(snapshot),
        "--softphone-url",
        f"{sivo_url}/softphone/",
    ]
    if not snapshot.exists():
        devorg_args.append("--demo")
    env = {
        **os.environ,
        "SIVO_DATA_DIR": str(data),
        "SIVO_PORT": str(args.port),
        "SIVO_PUBLIC_URL": sivo_url,
        "SIVO_SALESFORCE_CLIENT_ID": "sivo-demo",
        "SIVO_SALESFORCE_LOGIN_URL": devorg_url,
        "SIVO_SALESFORCE_SANDBOX_LOGIN_URL": f"{devorg_url}/sandbox",
    }
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    procs: list[asyncio.subprocess.Process] = []
    try:
        procs.append(await _start("devorg", devorg_args, env, data / "devorg.log"))
        procs.append(await _start("SIVO", ["-m", "server.cli", "serve"], env, data / "sivo.log"))
        async with AsyncExitStack() as stack:
            session = await stack.enter_async_context(aiohttp.ClientSession())
            await _wait_up(session, f"{devorg_url}/__devorg/", procs)
            await _wait_up(session, f"{sivo_url}/healthz", procs)
            summary = await DemoSetup(
                data_dir=data, env=env, sivo_url=sivo_url, devorg_url=devorg_url
            ).run()
        print(summary, flush=True)
        print("SIVO demo ready. Ctrl-C stops SIVO and devorg.", flush=True)
        waiters = [asyncio.ensure_future(p.wait()) for p in procs]
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait([stopped, *waiters], return_when=asyncio.FIRST_COMPLETED)
        for task in (stopped, *waiters):
            task.cancel()
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.send_signal(signal.SIGINT)  # devorg writes its snapshot on the way out
        for proc in procs:
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
        print("stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
