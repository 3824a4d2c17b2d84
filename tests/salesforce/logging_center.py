"""A call center whose agents are Salesforce users of an org connected over HTTPS (devorg),
for the call logging tests: real SIVO, real telephony shell, real aiortc peers."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from devorg.testing import RunningDevorg
from server.clock import FakeClock
from tests.conftest import AppFactory
from tests.media.peers import LoopbackPeer, ToneTrack
from tests.telephony.conftest import NUMBER, Center, Phone, answer, dial

from .conftest import Sivo, connect, salesforce_settings, sivo_admin

ADMIN = "ada@acme.test"
CALLER = "+14155551212"


@dataclass
class LogCenter:
    center: Center
    sf: RunningDevorg
    sivo: Sivo
    org_id: str
    row_id: str
    agents: dict[str, str] = field(default_factory=dict)  # name -> agent id
    users: dict[str, str] = field(default_factory=dict)  # name -> Salesforce user id
    phones: dict[str, Phone] = field(default_factory=dict)

    @property
    def logs(self) -> Any:
        return self.center.services.salesforce.call_logs

    async def api(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        return await self.center.api(method, path, body, **kw)

    def tasks(self, call_id: str | None = None) -> list[dict[str, Any]]:
        """The org's Tasks (those of one call), as devorg keeps them."""
        org = self.sf.devorg.store.orgs[self.org_id]
        rows = list(org.records_of("Task").values())
        return [r for r in rows if call_id is None or r.get("CallObject") == call_id]

    async def call_in(
        self,
        agent: str,
        *,
        caller_track: ToneTrack | None = None,
        agent_track: ToneTrack | None = None,
    ) -> tuple[str, Phone, LoopbackPeer, LoopbackPeer]:
        """A web caller dials the number; ``agent`` answers (the other agents are put on a
        break first, so that it rings ``agent``). Returns the call id, the caller and both
        peers, connected."""
        for name, other in self.phones.items():
            shell = self.center.services.calls.shell(self.center.tenant.id)
            if name != agent and shell.presence_of(self.agents[name])["status"] == "available":
                await other.ok("presence.set", {"status": "on_break", "reason": "lunch"})
        caller = await self.center.web_phone()
        await caller.ok("phone.register", {"number": CALLER})
        call_id, caller_peer = await dial(self.center, caller, None, track=caller_track)
        phone = self.phones[agent]
        await phone.wait_for("call.ringing", lambda r: r["call_id"] == call_id)
        agent_peer = await answer(phone, call_id, None, agent_track)
        return call_id, caller, caller_peer, agent_peer

    async def log_in(self, name: str) -> Phone:
        phone = await self.center.softphone(name, self.agents[name])
        await phone.wait_for("session.ready")
        self.phones[name] = phone
        return phone


async def log_center(
    make_client: AppFactory,
    sf: RunningDevorg,
    names: tuple[str, ...] = ("bo", "cy"),
    *,
    wrap_up_s: float = 30.0,
    salesforce_timeout_s: float | None = None,
    **kw: Any,
) -> LogCenter:
    """An org with an admin and one user per name; SIVO connected to it, the users imported
    as agents of one queue behind NUMBER, each signed in and Available."""
    org = await sf.create_org("Acme")
    await sf.create_call_center(org["orgId"], "SIVO_Acme")
    await sf.create_user(org["orgId"], ADMIN, last_name="Admin", email=ADMIN)
    for name in names:
        email = f"{name}@acme.test"
        await sf.create_user(org["orgId"], email, last_name=name.title(), email=email)
    settings = salesforce_settings(sf)
    if salesforce_timeout_s is not None:
        settings = dataclasses.replace(settings, timeout_s=salesforce_timeout_s)
    clock = FakeClock()
    client = await make_client(clock=clock, salesforce=settings, agent_grace_s=10.0, **kw)
    sivo = await sivo_admin(make_client, sf, client=client)
    await connect(sivo, sf, ADMIN)
    center = Center(client, clock, sivo.tenant, "")
    queue = await center.api(
        "POST", "/api/v1/queues", {"name": "Support", "wrap_up_s": wrap_up_s}, status=201
    )
    center.queue_id = queue["id"]
    await center.api(
        "POST",
        "/api/v1/numbers",
        {"number": NUMBER, "queue_id": queue["id"], "published": True},
        status=201,
    )
    orgs = await center.api("GET", "/api/v1/salesforce/orgs")
    row = next(o["id"] for o in orgs["data"] if o["org_id"] == org["orgId"])
    lc = LogCenter(center, sf, sivo, org["orgId"], row)
    imported = await center.api("POST", f"/api/v1/salesforce/orgs/{row}/users/import")
    for name in names:
        user = next(u for u in imported["users"] if u["email"] == f"{name}@acme.test")
        made = await center.api(
            "POST",
            f"/api/v1/salesforce/orgs/{row}/users/agents",
            {"user_ids": [user["user_id"]]},
            status=201,
        )
        agent_id = made["created"][0]
        await center.api("PATCH", f"/api/v1/agents/{agent_id}", {"queue_ids": [queue["id"]]})
        lc.agents[name], lc.users[name] = agent_id, user["user_id"]
    for name in names:
        phone = await lc.log_in(name)
        await phone.ok("presence.set", {"status": "available"})
    return lc


async def close(lc: LogCenter) -> None:
    for phone in lc.center.phones:
        await phone.close()
