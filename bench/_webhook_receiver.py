"""A benchmark receiver process: HTTPS on 127.0.0.1, counts POSTs and emit-to-receipt latency.

Prints its port on stdout, then serves ``GET /stats`` (and ``POST /reset``) for the driver.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import sys
import time
from datetime import datetime

from aiohttp import web

STATE: dict[str, object] = {}


async def main() -> None:
    cert, key = sys.argv[1], sys.argv[2]
    count = 0
    latencies: list[float] = []
    first = last = 0.0

    async def hook(request: web.Request) -> web.Response:
        nonlocal count, first, last
        body = await request.read()
        now = time.time()
        if request.headers.get("X-Bench-Measure") != "0":
            created = json.loads(body)["created_at"]
            emitted = datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp()
            latencies.append((now - emitted) * 1000)
        count += 1
        first = first or now
        last = now
        return web.Response(status=200)

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(
            {"count": count, "first": first, "last": last, "latencies": latencies}
        )

    async def reset(request: web.Request) -> web.Response:
        nonlocal count, first, last
        count, first, last = 0, 0.0, 0.0
        latencies.clear()
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    app.router.add_get("/stats", stats)
    app.router.add_post("/reset", reset)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ctx)
    await site.start()
    assert site._server is not None
    print(site._server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
