"""The switchboard: one :class:`TenantShell` per tenant, and the web phones between them.

The signaling server and the REST handlers come here. An agent's requests go to its
tenant's shell; a web phone's go to the shell of the call it is on, or, when it dials, to
the shell of the tenant that owns the dialed number. Each shell owns everything of its
tenant's call center (its lock, book, timers, legs and effects), so it is the unit a later
process placement moves; what is here is only the directory of shells, the web phones (the
carrier side) and the media engine's leg callback.
"""

from __future__ import annotations

import logging
from typing import Any

from server.clock import Clock
from server.ids import new_id
from server.media import LegState

from .errors import TelephonyError, not_found
from .legs import LegDirectory
from .phones import WebPhones
from .ports import (
    CallObserver,
    CallStore,
    MediaPort,
    Notifier,
    NumberRoute,
    RecordingFinisher,
    WrapUpGate,
)
from .shell import TenantShell
from .state import IdSource

logger = logging.getLogger(__name__)


class Switchboard:
    def __init__(
        self,
        *,
        store: CallStore,
        media: MediaPort,
        clock: Clock,
        recordings: RecordingFinisher,
        agent_grace_s: float,
        outbound_ring_timeout_s: float,
        ids: IdSource = new_id,
        wrap_up_gate: WrapUpGate | None = None,
    ) -> None:
        self._store = store
        # May be set later, once what decides it exists (the app's Salesforce services).
        self.wrap_up_gate = wrap_up_gate
        self._media = media
        self._clock = clock
        self._recordings = recordings
        self._agent_grace_s = agent_grace_s
        self._outbound_ring_timeout_s = outbound_ring_timeout_s
        self._ids = ids
        self.notifier: Notifier | None = None  # the signaling server sets itself here
        self.phones = WebPhones()
        self._legs = LegDirectory()
        self._observers: list[CallObserver] = []
        self._shells: dict[str, TenantShell] = {}
        self._numbers: dict[str, NumberRoute] = {}  # published numbers seen, until one changes

    def shell(self, tenant_id: str) -> TenantShell:
        """This tenant's shell (made on first use; it loads its configuration lazily)."""
        shell = self._shells.get(tenant_id)
        if shell is None:
            shell = TenantShell(
                tenant_id=tenant_id,
                store=self._store,
                media=self._media,
                clock=self._clock,
                phones=self.phones,
                legs=self._legs,
                recordings=self._recordings,
                notifier=lambda: self.notifier,
                observers=self._observers,
                wrap_up_gate=lambda: self.wrap_up_gate,
                new_id=self._ids,
                agent_grace_s=self._agent_grace_s,
                outbound_ring_timeout_s=self._outbound_ring_timeout_s,
            )
            self._shells[tenant_id] = shell
        return shell

    def shells(self) -> list[TenantShell]:
        return list(self._shells.values())

    def add_observer(self, observer: CallObserver) -> None:
        """See every tenant's call and leg lifecycle (the consumer seam)."""
        self._observers.append(observer)

    async def tell_agent(
        self, tenant_id: str, agent_id: str, event: str, data: dict[str, Any]
    ) -> bool:
        """Push news about a call from outside the book (a screen pop) to the agent's
        connected softphone; False when it has none."""
        shell = self._shells.get(tenant_id)
        session = shell.state.agents.get(agent_id) if shell is not None else None
        if session is None or session.sid is None or self.notifier is None:
            return False
        await self.notifier.to_agent(session.sid, event, data)
        return True

    def on_leg_state(self, leg_id: str, state: LegState) -> None:
        """The media engine's callback."""
        self._legs.on_leg_state(leg_id, state)

    # -- what the REST API and the admin service need -----------------------------------

    def presence_of(self, tenant_id: str, agent_id: str) -> dict[str, Any]:
        shell = self._shells.get(tenant_id)
        if shell is None:
            return {"status": "logged_out", "reason": None, "connected": False}
        return shell.presence_of(agent_id)

    async def agent_changed(self, tenant_id: str, agent_id: str) -> None:
        if tenant_id in self._shells:
            await self._shells[tenant_id].agent_changed(agent_id)

    async def config_changed(self, tenant_id: str) -> None:
        """A tenant's queues, numbers or settings changed."""
        self._numbers.clear()
        if tenant_id in self._shells:
            await self._shells[tenant_id].reload_config()

    async def _number_route(self, e164: str) -> NumberRoute | None:
        """Which tenant owns a number (cached: a dial should not cost a database read)."""
        route = self._numbers.get(e164)
        if route is None:
            route = await self._store.number_route(e164)
            if route is not None:  # misses are not kept: anyone may dial anything
                self._numbers[e164] = route
        return route

    # -- web phones ---------------------------------------------------------------------

    def caller_connected(self, sid: str, address: str) -> None:
        self.phones.connect(sid, address)

    async def caller_disconnected(self, sid: str) -> None:
        phone = self.phones.disconnect(sid)
        if phone is not None and phone.call_id is not None and phone.tenant_id is not None:
            await self.shell(phone.tenant_id).caller_gone(sid, phone.call_id)

    async def register_number(self, sid: str, number: str) -> dict[str, Any]:
        if await self._number_route(number) is not None:
            raise TelephonyError("number_taken", "this number is taken", "number")
        self.phones.register(sid, number)
        return {"number": number}

    def unregister_number(self, sid: str) -> dict[str, Any]:
        self.phones.unregister(sid)
        return {}

    async def dial_inbound(self, sid: str, to: str, sdp: str) -> dict[str, Any]:
        """A web phone calls a SIVO number: the owning tenant's shell takes the call."""
        route = await self._number_route(to)
        if route is None:
            raise TelephonyError("unreachable_number", "this number cannot be called", "to")
        phone = self.phones.get(sid)
        if phone is None:
            raise TelephonyError("invalid_state", "this web phone already has a call")
        return await self.shell(route.tenant_id).dial_inbound(phone, to, sdp, route)

    def callers_shell(self, sid: str, call_id: str) -> TenantShell:
        """The shell of the call this web phone is on, or ``not_found``."""
        phone = self.phones.get(sid)
        if phone is None or phone.call_id != call_id or phone.tenant_id is None:
            raise not_found("no such call")
        shell = self.shell(phone.tenant_id)
        shell.check_caller_call(sid, call_id)
        return shell

    # -- lifecycle ----------------------------------------------------------------------

    async def close(self) -> None:
        """Shut down while the sockets and the media engine still work.

        Ends every call (``server_shutdown``: CDR and ``call.ended`` committed, parties told),
        then finalizes every recording of an ended call (``call.recorded`` committed), then
        stops the timers. New calls are refused from the start. The media engine is closed
        after this, by its owner.
        """
        shells = list(self._shells.values())
        for shell in shells:
            shell.state.closed = True
        for shell in shells:
            await shell.shutdown()
        await self._recordings.drain()
        for shell in shells:
            await shell.close()
