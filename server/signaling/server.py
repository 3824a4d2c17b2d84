"""The Socket.IO server: authenticates, validates and rate-limits, then calls the services.

::

    client event --> size check --> schema (messages.py) --> handler table --> tenant shell
                 <-- ack {"ok": true, ...} | {"ok": false, "error": {code, message, field}}

One catch-all handler per namespace dispatches through an explicit table, so an unknown
event gets an error ack like any other bad message, and the connection stays up.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import socketio
from aiohttp import web

from server.clock import Clock
from server.failures import Failure
from server.telephony.errors import TelephonyError
from server.telephony.ports import SavedLogs
from server.telephony.switchboard import Switchboard
from server.times import rfc3339
from server.tokens import InvalidToken, TokenService

from . import call_logging, directory
from .call_logging import CALL_LOGGING_OFF, CallLogging
from .messages import AGENT_MESSAGES, CALLER_MESSAGES
from .ratelimit import AddressLimits, TokenBucket
from .schema import Schema, SchemaError, parse
from .sessions import Expire, LiveSession, SessionClock, Warn

logger = logging.getLogger(__name__)

AGENT = "/agent"
CALLER = "/caller"
# Engine.IO's own frame limit: above it the transport drops the connection, so it is well
# above the per-message limit that gets a polite error ack.
TRANSPORT_MAX_BYTES = 1_000_000
SWEEP_S = 5.0  # how often sign-in lifetimes are checked (expiry, revoked keys)


@dataclass(frozen=True, slots=True)
class AgentIdentity:
    tenant_id: str
    agent_id: str


Handler = Callable[[Any, dict[str, Any]], Awaitable[dict[str, Any]]]


def _check_table(table: dict[str, Handler], schemas: dict[str, Schema]) -> None:
    if set(table) != set(schemas):
        raise RuntimeError(f"handlers and schemas differ: {sorted(set(table) ^ set(schemas))}")


def _error(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return TelephonyError(code, message, field).ack()


class SignalingServer:
    """Owns the ``socketio.AsyncServer``; also the :class:`Notifier` the shells push through."""

    def __init__(
        self,
        *,
        switchboard: Switchboard,
        tokens: TokenService,
        clock: Clock,
        max_message_bytes: int,
        caller_rate_per_s: float,
        caller_burst: int,
        caller_max_connections_per_address: int,
        call_logs: CallLogging | None = None,
        saved_logs: SavedLogs | None = None,
    ) -> None:
        self.switchboard = switchboard
        self.call_logs = call_logs
        self.saved_logs = saved_logs
        self.clock = clock
        self._lifetimes = SessionClock()
        self._sweeper: asyncio.Task[None] | None = None
        self.tokens = tokens
        self.max_message_bytes = max_message_bytes
        self.caller_rate_per_s = caller_rate_per_s
        self.caller_burst = caller_burst
        self.sio = socketio.AsyncServer(
            async_mode="aiohttp",
            max_http_buffer_size=TRANSPORT_MAX_BYTES,
            logger=False,
            engineio_logger=False,
        )
        self._addresses = AddressLimits(
            rate=caller_rate_per_s * 4,
            burst=caller_burst * 4,
            max_connections=caller_max_connections_per_address,
        )
        self._agents: dict[str, AgentIdentity] = {}  # sid -> identity
        self._callers: dict[str, tuple[str, TokenBucket]] = {}  # sid -> (address, bucket)
        self._tasks: set[asyncio.Task[None]] = set()
        self._agent_handlers = self._agent_table()
        self._caller_handlers = self._caller_table()
        self.sio.on("connect", self._agent_connect, namespace=AGENT)
        self.sio.on("disconnect", self._agent_disconnect, namespace=AGENT)
        self.sio.on("*", self._agent_event, namespace=AGENT)
        self.sio.on("connect", self._caller_connect, namespace=CALLER)
        self.sio.on("disconnect", self._caller_disconnect, namespace=CALLER)
        self.sio.on("*", self._caller_event, namespace=CALLER)
        switchboard.notifier = self

    def attach(self, app: web.Application) -> None:
        self.sio.attach(app)

    def connections(self) -> dict[str, int]:
        return {AGENT: len(self._agents), CALLER: len(self._callers)}

    # -- Notifier ------------------------------------------------------------------------

    async def to_agent(self, sid: str, event: str, data: dict[str, Any]) -> None:
        await self.sio.emit(event, data, to=sid, namespace=AGENT)

    async def to_caller(self, sid: str, event: str, data: dict[str, Any]) -> None:
        await self.sio.emit(event, data, to=sid, namespace=CALLER)

    async def disconnect_agent(self, sid: str) -> None:
        await self.sio.disconnect(sid, namespace=AGENT)

    # -- /agent --------------------------------------------------------------------------

    async def _agent_connect(self, sid: str, environ: dict[str, Any], auth: object) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token or len(token) > 8192:
            raise socketio.exceptions.ConnectionRefusedError(
                'send auth={"token": "<agent JWT>"}', {"code": "invalid_token"}
            )
        try:
            claims = await self.tokens.verify(token)
        except InvalidToken as exc:
            logger.info("agent socket %s: x refused (%s)", sid, exc.reason)
            raise socketio.exceptions.ConnectionRefusedError(
                f"invalid token: {exc.reason}", {"code": "invalid_token"}
            ) from exc
        identity = AgentIdentity(claims.tenant_id, claims.agent_id)
        shell = self.switchboard.shell(identity.tenant_id)
        try:
            ready = await shell.agent_connected(identity.agent_id, sid)
        except TelephonyError as exc:
            raise socketio.exceptions.ConnectionRefusedError(
                exc.message, {"code": exc.code}
            ) from exc
        ready["call_logging"] = await self._call_logging(identity)
        if ready.get("wrap_up") is not None:  # a reload during after-call work: its card
            ready["wrap_up"] = await call_logging.wrap_up_snapshot(
                ready["wrap_up"],
                ready["call_logging"],
                self.saved_logs,
                identity.tenant_id,
                identity.agent_id,
            )
        self._agents[sid] = identity
        self._lifetimes.start(
            sid,
            LiveSession(identity.tenant_id, identity.agent_id, claims.expires_at, claims.kid),
        )
        logger.info("agent %s: softphone %s connected", identity.agent_id, sid)
        # After this handler returns the CONNECT packet goes out; then the session state.
        self._spawn(self._send_later(sid, "session.ready", ready))

    async def _call_logging(self, identity: AgentIdentity) -> dict[str, object]:
        if self.call_logs is None:
            return CALL_LOGGING_OFF
        try:
            return await self.call_logs.for_agent(identity.tenant_id, identity.agent_id)
        except Exception:  # the softphone still works; its calls are logged as configured
            logger.exception("agent %s: x call logging settings unreadable", identity.agent_id)
            return CALL_LOGGING_OFF

    async def _send_later(self, sid: str, event: str, data: dict[str, Any]) -> None:
        await asyncio.sleep(0)
        await self.to_agent(sid, event, data)

    # engine.io may run a disconnect handler *inside* an emit to a socket it has just found
    # dead, that is inside a shell applying its effects. The handlers only do their own
    # bookkeeping here and tell the shell from a separate task, which then takes its turn
    # like any other caller instead of waiting on the emit that is running it.

    async def _agent_disconnect(self, sid: str, reason: object = None) -> None:
        identity = self._agents.pop(sid, None)
        self._lifetimes.end(sid)
        if identity is not None:
            logger.info("agent %s: softphone %s disconnected", identity.agent_id, sid)
            shell = self.switchboard.shell(identity.tenant_id)
            self._spawn(shell.agent_disconnected(identity.agent_id, sid))

    async def _agent_event(self, event: str, sid: str, *args: object) -> dict[str, Any]:
        identity = self._agents.get(sid)
        if identity is None:
            return _error("invalid_state", "not signed in")
        return await self._dispatch(
            event, args, AGENT_MESSAGES, self._agent_handlers, identity, sid
        )

    def _agent_table(self) -> dict[str, Handler]:
        sb = self.switchboard

        async def media_offer(i: AgentIdentity, p: dict[str, Any]) -> dict[str, Any]:
            shell = sb.shell(i.tenant_id)
            shell.check_agent_media(i.agent_id, p["call_id"])
            return await shell.media_offer(i.agent_id, p["call_id"], p["sdp"])

        async def media_candidate(i: AgentIdentity, p: dict[str, Any]) -> dict[str, Any]:
            shell = sb.shell(i.tenant_id)
            shell.check_agent_media(i.agent_id, p["call_id"])
            await shell.add_candidate(
                i.agent_id, p["call_id"], p["candidate"], p["sdpMid"], p["sdpMLineIndex"]
            )
            return {}

        async def refresh(i: AgentIdentity, p: dict[str, Any]) -> dict[str, Any]:
            return await self._refresh(i, p["token"])

        table: dict[str, Handler] = {
            "session.refresh": refresh,
            "presence.set": lambda i, p: sb.shell(i.tenant_id).set_presence(
                i.agent_id, p["status"], p["reason"]
            ),
            "wrapup.end": lambda i, p: sb.shell(i.tenant_id).end_wrap_up(i.agent_id),
            "directory.list": lambda i, p: directory.list_directory(sb, i.tenant_id, i.agent_id),
            "call.answer": lambda i, p: sb.shell(i.tenant_id).answer(
                i.agent_id, p["call_id"], p["sdp"]
            ),
            "call.decline": lambda i, p: sb.shell(i.tenant_id).decline(i.agent_id, p["call_id"]),
            "call.hangup": lambda i, p: sb.shell(i.tenant_id).hangup(i.agent_id, p["call_id"]),
            "call.hold": lambda i, p: sb.shell(i.tenant_id).hold(i.agent_id, p["call_id"], p["on"]),
            "call.mute": lambda i, p: sb.shell(i.tenant_id).mute(i.agent_id, p["call_id"], p["on"]),
            "call.dtmf": lambda i, p: sb.shell(i.tenant_id).agent_dtmf(
                i.agent_id, p["call_id"], p["digits"]
            ),
            "call.transfer": lambda i, p: sb.shell(i.tenant_id).transfer(
                i.agent_id, p["call_id"], p["to_type"], p["to_id"]
            ),
            "call.consult": lambda i, p: sb.shell(i.tenant_id).consult(
                i.agent_id, p["call_id"], p["agent_id"]
            ),
            "call.consult_complete": lambda i, p: sb.shell(i.tenant_id).consult_complete(
                i.agent_id, p["call_id"]
            ),
            "call.consult_cancel": lambda i, p: sb.shell(i.tenant_id).consult_cancel(
                i.agent_id, p["call_id"]
            ),
            "call.conference": lambda i, p: sb.shell(i.tenant_id).conference(
                i.agent_id, p["call_id"]
            ),
            "call.dial": lambda i, p: call_logging.dial(
                sb, self.call_logs, i.tenant_id, i.agent_id, p
            ),
            "call.log": lambda i, p: call_logging.log(
                sb, self.call_logs, i.tenant_id, i.agent_id, p
            ),
            "media.offer": media_offer,
            "media.candidate": media_candidate,
        }
        _check_table(table, AGENT_MESSAGES)
        return table

    # -- sign-in lifetimes -------------------------------------------------------------

    async def _refresh(self, identity: AgentIdentity, token: str) -> dict[str, Any]:
        """``session.refresh``: a fresh token for the same agent extends this socket's life."""
        try:
            claims = await self.tokens.verify(token)
        except InvalidToken as exc:
            raise TelephonyError("invalid_token", f"invalid token: {exc.reason}", "token") from exc
        if (claims.tenant_id, claims.agent_id) != (identity.tenant_id, identity.agent_id):
            raise TelephonyError("invalid_token", "the token is for another agent", "token")
        sid = next(s for s, i in self._agents.items() if i is identity)
        self._lifetimes.refresh(sid, claims.expires_at, claims.kid)
        return {"expires_at": rfc3339(claims.expires_at)}

    def start(self) -> None:
        """Begin sweeping sign-in lifetimes (at app start-up)."""
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever())

    def _stop_sweeping(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None

    async def _sweep_forever(self) -> None:
        while True:
            await self.clock.sleep(SWEEP_S)
            try:
                await self._sweep()
            except Exception:
                logger.exception("x sign-in sweep failed")

    async def _sweep(self) -> None:
        trusted = [kid for kid in self._lifetimes.kids() if await self.tokens.key_trusted(kid)]
        sb = self.switchboard
        actions = self._lifetimes.sweep(
            self.clock.now(), trusted, lambda s: sb.shell(s.tenant_id).on_call(s.agent_id)
        )
        for action in actions:
            if isinstance(action, Warn):
                await self.to_agent(
                    action.sid, "session.expiring", {"expires_at": rfc3339(action.expires_at)}
                )
            elif isinstance(action, Expire):
                logger.info("softphone %s: x sign-in %s, disconnecting", action.sid, action.reason)
                self._lifetimes.end(action.sid)
                await self.to_agent(action.sid, "session.expired", {"reason": action.reason})
                self._spawn(self.disconnect_agent(action.sid))

    # -- /caller -------------------------------------------------------------------------

    async def _caller_connect(self, sid: str, environ: dict[str, Any], auth: object) -> None:
        request = environ.get("aiohttp.request")
        address = str(getattr(request, "remote", None) or "unknown")
        if not self._addresses.connect(address, time.monotonic()):
            logger.warning("caller socket %s: x too many connections from %s", sid, address)
            raise socketio.exceptions.ConnectionRefusedError(
                "too many connections; retry later", {"code": "rate_limited"}
            )
        bucket = TokenBucket(self.caller_rate_per_s, self.caller_burst, time.monotonic())
        self._callers[sid] = (address, bucket)
        self.switchboard.caller_connected(sid, address)

    async def _caller_disconnect(self, sid: str, reason: object = None) -> None:
        entry = self._callers.pop(sid, None)
        if entry is not None:
            self._addresses.disconnect(entry[0])
            self._spawn(self.switchboard.caller_disconnected(sid))

    async def _caller_event(self, event: str, sid: str, *args: object) -> dict[str, Any]:
        entry = self._callers.get(sid)
        if entry is None:
            return _error("invalid_state", "not connected")
        address, bucket = entry
        now = time.monotonic()
        if not bucket.take(now) or not self._addresses.take(address, now):
            return _error("rate_limited", "too many messages; slow down")
        return await self._dispatch(event, args, CALLER_MESSAGES, self._caller_handlers, sid, sid)

    def _caller_table(self) -> dict[str, Handler]:
        sb = self.switchboard

        async def media_offer(sid: str, p: dict[str, Any]) -> dict[str, Any]:
            shell = sb.callers_shell(sid, p["call_id"])
            return await shell.media_offer("caller", p["call_id"], p["sdp"])

        async def media_candidate(sid: str, p: dict[str, Any]) -> dict[str, Any]:
            shell = sb.callers_shell(sid, p["call_id"])
            await shell.add_candidate(
                "caller", p["call_id"], p["candidate"], p["sdpMid"], p["sdpMLineIndex"]
            )
            return {}

        async def unregister(sid: str, p: dict[str, Any]) -> dict[str, Any]:
            return sb.unregister_number(sid)

        table: dict[str, Handler] = {
            "call.dial": lambda sid, p: sb.dial_inbound(sid, p["to"], p["sdp"]),
            "call.answer": lambda sid, p: sb.callers_shell(sid, p["call_id"]).callee_answer(
                sid, p["call_id"], p["sdp"]
            ),
            "call.decline": lambda sid, p: sb.callers_shell(sid, p["call_id"]).callee_decline(
                sid, p["call_id"]
            ),
            "call.hangup": lambda sid, p: sb.callers_shell(sid, p["call_id"]).caller_hangup(
                sid, p["call_id"]
            ),
            "call.dtmf": lambda sid, p: sb.callers_shell(sid, p["call_id"]).caller_dtmf(
                sid, p["call_id"], p["digits"]
            ),
            "phone.register": lambda sid, p: sb.register_number(sid, p["number"]),
            "phone.unregister": unregister,
            "media.offer": media_offer,
            "media.candidate": media_candidate,
        }
        _check_table(table, CALLER_MESSAGES)
        return table

    # -- shared --------------------------------------------------------------------------

    async def _dispatch(
        self,
        event: str,
        args: tuple[object, ...],
        schemas: dict[str, Schema],
        handlers: dict[str, Handler],
        who: object,
        sid: str,
    ) -> dict[str, Any]:
        try:
            size = len(json.dumps(args, separators=(",", ":")))
        except (TypeError, ValueError):
            return _error("invalid_message", "the payload must be one JSON object")
        if size > self.max_message_bytes:
            return _error(
                "message_too_large", f"messages are limited to {self.max_message_bytes} bytes"
            )
        schema = schemas.get(event)
        if schema is None:
            return _error("unknown_event", f"unknown event {event[:64]!r}")
        if len(args) != 1:
            return _error("invalid_message", "send exactly one JSON object")
        try:
            payload = parse(schema, args[0])
            result = await handlers[event](who, payload)
        except SchemaError as exc:
            return _error("invalid_message", exc.message, exc.field)
        except Failure as exc:  # a TelephonyError, or a service's refusal (call.log)
            logger.debug("socket %s: x %s refused: %s", sid, event, exc.message)
            return _error(exc.code, exc.message, exc.field)
        except Exception:
            logger.exception("socket %s: x %s failed", sid, event)
            return _error("internal", "internal error")
        return {"ok": True, **result}

    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def disconnect_all(self) -> None:
        """Close every client connection (shutdown, once the calls have ended)."""
        self._stop_sweeping()
        for sid in list(self._agents):
            await self.sio.disconnect(sid, namespace=AGENT)
        for sid in list(self._callers):
            await self.sio.disconnect(sid, namespace=CALLER)
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        self._stop_sweeping()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
