"""Fixtures for telephony tests: a real SIVO on 127.0.0.1, Socket.IO phones with aiortc peers.

``center`` gives a running app (FakeClock: timers move only when a test advances them), a
tenant with a published number routed to a queue, and factories for agents and web phones.
At teardown every phone disconnects and the test asserts no peer connection is left open,
neither on the server nor among the test peers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import jsonschema
import pytest
import socketio
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from server.api.context import SERVICES
from server.clock import FakeClock
from server.events.catalog import CATALOG
from server.store.tables import events
from tests.conftest import AppFactory
from tests.media.peers import LoopbackPeer, ToneTrack
from tests.support.api import Tenant, new_tenant

NUMBER = "+18005550100"


class Phone:
    """A Socket.IO client on one namespace that records what the server pushes."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sio = socketio.AsyncClient(reconnection=False)
        self.received: list[tuple[str, dict[str, Any]]] = []
        self._arrived = asyncio.Condition()
        self.namespace = ""
        self.peers: list[LoopbackPeer] = []

        @self.sio.on("*", namespace="*")
        async def on_any(event: str, namespace: str, data: Any) -> None:
            async with self._arrived:
                self.received.append((event, data))
                self._arrived.notify_all()

    async def connect(self, url: str, namespace: str, auth: dict[str, Any] | None = None) -> None:
        self.namespace = namespace
        await self.sio.connect(
            url, namespaces=[namespace], transports=["websocket"], auth=auth, wait_timeout=5
        )

    async def call(self, event: str, data: Any = None, timeout: float = 10.0) -> dict[str, Any]:
        reply: dict[str, Any] = await self.sio.call(
            event, {} if data is None else data, namespace=self.namespace, timeout=timeout
        )
        return reply

    async def ok(self, event: str, data: Any = None) -> dict[str, Any]:
        reply = await self.call(event, data)
        assert reply["ok"], f"{self.name} {event}: {reply}"
        return reply

    async def wait_for(
        self, event: str, match: Callable[[dict[str, Any]], bool] | None = None, timeout: float = 10
    ) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            for name, data in self.received:
                if name == event and (match is None or match(data)):
                    return data
            return None

        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: found() is not None), timeout)
        result = found()
        assert result is not None
        return result

    def events(self, event: str) -> list[dict[str, Any]]:
        return [data for name, data in self.received if name == event]

    def peer(self, frequency: float | None, track: ToneTrack | None = None) -> LoopbackPeer:
        peer = LoopbackPeer(self.name, frequency=frequency, track=track)
        self.peers.append(peer)
        return peer

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()
        for peer in self.peers:
            await peer.close()


@dataclass
class Center:
    client: TestClient[Any, Any]
    clock: FakeClock
    tenant: Tenant
    queue_id: str
    phones: list[Phone] = field(default_factory=list)

    @property
    def url(self) -> str:
        return str(self.client.make_url("/")).rstrip("/")

    @property
    def services(self) -> Any:
        return self.client.app[SERVICES]

    async def api(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        status: int = 200,
        tenant: Tenant | None = None,
    ) -> Any:
        resp = await self.client.request(
            method, path, json=body, headers=(tenant or self.tenant).headers
        )
        assert resp.status == status, f"{method} {path}: {resp.status} {await resp.text()}"
        return await resp.json() if resp.status != 204 else None

    async def agent(
        self,
        name: str,
        *,
        queues: list[str] | None = None,
        available: bool = True,
        tenant: Tenant | None = None,
    ) -> tuple[Phone, str]:
        """A new agent, signed in on a softphone (and Available unless told otherwise)."""
        ext = str(100 + len(self.phones))
        agent = await self.api(
            "POST",
            "/api/v1/agents",
            {
                "name": name,
                "email": f"{name}{ext}@example.com",
                "extension": ext,
                "queue_ids": queues if queues is not None else [self.queue_id],
            },
            status=201,
            tenant=tenant,
        )
        phone = await self.softphone(name, agent["id"], tenant=tenant)
        await phone.wait_for("session.ready")
        if available:
            await phone.ok("presence.set", {"status": "available"})
        return phone, agent["id"]

    async def token(self, agent_id: str, tenant: Tenant | None = None) -> str:
        minted = await self.api(
            "POST", f"/api/v1/agents/{agent_id}/tokens", {}, status=201, tenant=tenant
        )
        return str(minted["token"])

    async def softphone(self, name: str, agent_id: str, *, tenant: Tenant | None = None) -> Phone:
        phone = Phone(name)
        self.phones.append(phone)
        await phone.connect(self.url, "/agent", {"token": await self.token(agent_id, tenant)})
        return phone

    async def web_phone(self, name: str = "caller") -> Phone:
        phone = Phone(name)
        self.phones.append(phone)
        await phone.connect(self.url, "/caller")
        return phone

    async def events(self, *types: str) -> list[tuple[str, dict[str, Any]]]:
        """Catalog events of this tenant in emission order (optionally only these types)."""
        async with self.services.db.read() as conn:
            rows = await conn.execute(
                select(events.c.type, events.c.data)
                .where(events.c.tenant_id == self.tenant.id)
                .order_by(events.c.seq)
            )
            out = [(r.type, json.loads(r.data)) for r in rows]
        for type_, data in out:  # every payload must follow the published catalog
            jsonschema.validate(data, CATALOG[type_]["schema"])
        return [(t, d) for t, d in out if not types or t in types]

    async def until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        for _ in range(int(timeout / 0.02)):
            if condition():
                return
            await asyncio.sleep(0.02)
        raise AssertionError("condition not reached")

    async def dropped(self, phone: Phone, agent_id: str) -> None:
        """Disconnect a softphone and wait until the server has noticed."""
        await phone.sio.disconnect()
        shell = self.services.calls.shell(self.tenant.id)
        await self.until(lambda: not shell.presence_of(agent_id)["connected"])

    async def settle(self, seconds: float = 0.05) -> None:
        """Let tasks woken by a clock advance run."""
        await asyncio.sleep(seconds)

    async def advance(self, seconds: float) -> None:
        """Move the clock; return once what it set off is done (the timers that went off,
        their decisions and effects), however slow the database is."""
        self.clock.advance(seconds)
        await self.settle()
        await self.services.calls.shell(self.tenant.id).idle()


@pytest.fixture
async def center(make_client: AppFactory) -> AsyncIterator[Center]:
    async with open_center(make_client) as c:
        yield c


@contextlib.asynccontextmanager
async def open_center(make_client: AppFactory, **overrides: Any) -> AsyncIterator[Center]:
    """The ``center`` fixture's app, with ``make_client`` overrides (e.g. a transcriber)."""
    clock = FakeClock()
    client = await make_client(
        clock=clock, agent_grace_s=10.0, outbound_ring_timeout_s=15.0, **overrides
    )
    tenant = await new_tenant(client)
    c = Center(client, clock, tenant, "")
    queue = await c.api(
        "POST",
        "/api/v1/queues",
        {"name": "Support", "ring_timeout_s": 15, "wrap_up_s": 30},
        status=201,
    )
    c.queue_id = queue["id"]
    await c.api(
        "POST",
        "/api/v1/numbers",
        {"number": NUMBER, "queue_id": queue["id"], "published": True},
        status=201,
    )
    yield c
    for phone in c.phones:
        await phone.close()
    media = c.services.media
    for _ in range(100):  # legs close as the hang-ups are processed
        if media.open_peer_connections == 0:
            break
        await asyncio.sleep(0.05)
    assert media.open_peer_connections == 0
    assert all(peer.closed for phone in c.phones for peer in phone.peers)
    LoopbackPeer.all_peers.clear()


async def supervised_center(make_client: AppFactory, email: str, password: str) -> Center:
    """A center on the system clock (the dashboard's pages follow real time) with a
    dashboard admin, a queue and a published number to it."""
    client = await make_client()
    tenant = await new_tenant(client)
    await client.app[SERVICES].identity.create_admin(tenant.id, email, password)
    center = Center(client, FakeClock(), tenant, "")  # its helpers; the app keeps real time
    queue = await center.api("POST", "/api/v1/queues", {"name": "Support"}, status=201)
    center.queue_id = queue["id"]
    number = {"number": NUMBER, "queue_id": queue["id"], "published": True}
    await center.api("POST", "/api/v1/numbers", number, status=201)
    return center


async def dial(
    center: Center,
    caller: Phone,
    frequency: float | None,
    number: str = NUMBER,
    track: ToneTrack | None = None,
) -> tuple[str, LoopbackPeer]:
    """A web phone calls ``number``; returns the call id and its connected peer."""
    peer = caller.peer(frequency, track)
    reply = await caller.ok("call.dial", {"to": number, "sdp": await peer.offer()})
    await peer.accept(reply["sdp"])
    return reply["call_id"], peer


async def answer(
    agent: Phone, call_id: str, frequency: float | None, track: ToneTrack | None = None
) -> LoopbackPeer:
    """The agent answers a ringing call with a new aiortc peer; returns it once connected."""
    peer = agent.peer(frequency, track)
    reply = await agent.ok("call.answer", {"call_id": call_id, "sdp": await peer.offer()})
    await peer.accept(reply["sdp"])
    await peer.wait_connected()
    return peer
