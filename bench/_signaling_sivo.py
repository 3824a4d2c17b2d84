"""The signaling benchmark's SIVO process: the real app, a tenant with N agents.

``python -m bench._signaling_sivo N OUT.json`` serves on 127.0.0.1 (random port), creates a
queue, a published number and N agents in that queue, writes their tokens to OUT.json, and
prints ``ready``. Then, per stdin line ``rss``, prints the process's RSS in kB.
"""

from __future__ import annotations

import asyncio
import json
import sys

from aiohttp import web

from server import heap
from server.api.context import SERVICES
from server.app import create_app
from server.schemas.telephony import AgentCreate, NumberCreate, QueueCreate
from server.settings import load_settings

NUMBER = "+18005550100"


def rss_kb() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def main() -> None:
    agents, out = int(sys.argv[1]), sys.argv[2]
    app = create_app(load_settings())
    heap.install(app)  # as `sivo serve` does
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    services = app[SERVICES]
    tenant_id, _key = await services.identity.create_tenant("Bench")
    queue = await services.telephony.create_queue(
        tenant_id, QueueCreate(name="Bench", ring_timeout_s=60)
    )
    await services.telephony.create_number(
        tenant_id, NumberCreate(number=NUMBER, queue_id=queue.id, published=True)
    )
    tokens = []
    for i in range(agents):
        agent = await services.telephony.create_agent(
            tenant_id,
            AgentCreate(
                name=f"a{i}",
                email=f"a{i}@bench.example",
                extension=f"{1000 + i}",
                queue_ids=[queue.id],
            ),
        )
        minted = await services.tokens.mint(agent_id=agent.id, tenant_id=tenant_id)
        tokens.append(minted.token)
    with open(out, "w") as fh:
        json.dump({"port": port, "number": NUMBER, "tokens": tokens}, fh)
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode().strip():
        if line == "rss":
            print(rss_kb(), flush=True)
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
