"""The real SIVO app in its own process, plus a stand-in for domain code that floods events.

Used by the crash test: ``python -m tests.support.flood_server --tenant T --events N --port P``
reads its settings from ``SIVO_*`` like ``sivo serve`` and emits N ``transcript.segment``
events, each in its own transaction, numbered from ``--first``.
"""

from __future__ import annotations

import argparse
import asyncio

from aiohttp import web

from server.api.context import SERVICES
from server.app import OUTBOX, create_app
from server.events.catalog import CATALOG
from server.settings import load_settings


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--events", type=int, default=0)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = create_app(load_settings())
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", args.port).start()
    print("ready", flush=True)
    services, outbox = app[SERVICES], app[OUTBOX]
    example = CATALOG["transcript.segment"]["example"]
    for i in range(args.first, args.first + args.events):
        async with services.db.transaction() as tx:
            await outbox.emit_txn(
                tx, args.tenant, "transcript.segment", {**example, "segment_id": f"s{i}"}
            )
        await asyncio.sleep(0.002)
    print("emitted", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
