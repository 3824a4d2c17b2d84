"""The benchmark's SIVO process: the real app, plus a stand-in for domain code.

Reads commands on stdin, one per line, and answers ``done`` when finished:
``flood N`` emits N events as fast as four concurrent emitters can (one transaction each);
``rate R S`` emits R events per second for S seconds.
"""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web

from server import heap
from server.api.context import SERVICES
from server.app import OUTBOX, create_app
from server.events.catalog import CATALOG
from server.settings import load_settings


async def main() -> None:
    tenant = sys.argv[1]
    app = create_app(load_settings())
    heap.install(app)  # as `sivo serve` does
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    services, outbox = app[SERVICES], app[OUTBOX]
    example = CATALOG["call.ended"]["example"]
    loop = asyncio.get_running_loop()
    print("ready", flush=True)

    async def emit(i: int) -> None:
        async with services.db.transaction() as tx:
            await outbox.emit_txn(tx, tenant, "call.ended", {**example, "call_id": f"call_{i}"})

    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode().split():
        if line[0] == "flood":
            # Four concurrent emitters, as several call handlers would be.
            n = int(line[1])
            for start in range(0, n, 4):
                await asyncio.gather(*(emit(i) for i in range(start, min(n, start + 4))))
        elif line[0] == "rate":
            rate, seconds = float(line[1]), float(line[2])
            t0 = loop.time()
            for i in range(int(rate * seconds)):
                delay = t0 + i / rate - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                await emit(i)
        print("done", flush=True)
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
