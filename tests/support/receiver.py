"""A real HTTPS webhook receiver on 127.0.0.1 whose answers a test can script."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field

from aiohttp import web

from .tls import LocalPKI


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Reply:
    status: int = 200
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class Receiver:
    """Answers each POST with the next scripted ``Reply`` (then ``default``) and records it."""

    def __init__(self, pki: LocalPKI, *, default: Reply | None = None) -> None:
        self._pki = pki
        self.default = default or Reply()
        self.script: deque[Reply] = deque()
        self.received: list[Received] = []
        self._arrived = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/hook"

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        reply = self.script.popleft() if self.script else self.default
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        async with self._arrived:
            self.received.append(Received(dict(request.headers), body, time.time()))
            self._arrived.notify_all()
        return web.Response(status=reply.status, headers=reply.headers)

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self._pki.server_context())
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]
        return self

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        async with self._arrived:
            await asyncio.wait_for(
                self._arrived.wait_for(lambda: len(self.received) >= count), timeout
            )
        return self.received

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
