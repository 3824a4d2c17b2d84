"""``/supervisor``: the dashboard's live wallboard over the same Socket.IO server.

::

    browser (dashboard session) ──connect: Origin + sivo_session cookie──> SupervisorNamespace
        <── wallboard.update {now, agents, queues, calls, totals}  (at once, then on change)

A supervisor signs in as the dashboard does: the ``sivo_session`` cookie the login set
(``server/api/auth.py``), looked up at connect and again every ``session_check_s`` (a
minute): a supervisor who logged out, or whose session expired, is disconnected. The
connection must come from this server's own origin (the ``Origin`` header a browser always
sends with a WebSocket equals the request's host, or ``public_url``), so another site's
page cannot read a tenant's wallboard with its visitor's cookie. Each connection joins its
tenant's room; the tenant's one board
(:class:`~server.telephony.wallboard_feed.WallboardFeed`) is pushed to the room. The
namespace is read-only: any event gets an error ack.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any, Protocol
from urllib.parse import urlsplit

import socketio
from aiohttp import web

from server.api.auth import SESSION_COOKIE
from server.clock import Clock
from server.identity import AdminSession
from server.telephony.errors import TelephonyError
from server.telephony.wallboard_feed import WallboardFeed

logger = logging.getLogger(__name__)

SUPERVISOR = "/supervisor"
UPDATE = "wallboard.update"
SESSION_CHECK_S = 60.0


class Sessions(Protocol):
    """The dashboard's sessions (``IdentityService``)."""

    async def session(self, token: str) -> AdminSession | None: ...


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_origin(origin: str | None, request: web.BaseRequest, public_url: str) -> bool:
    """Whether a connection's ``Origin`` is this server's (as reached, or as published)."""
    if not origin:
        return False
    origin = origin.lower()
    return origin == f"{request.scheme}://{request.host}".lower() or origin == _origin(public_url)


def _room(tenant_id: str) -> str:
    return f"wallboard:{tenant_id}"


class SupervisorNamespace:
    """Authenticates supervisors and publishes their tenant's wallboard to them."""

    feed: WallboardFeed

    def __init__(
        self,
        *,
        sio: socketio.AsyncServer,
        sessions: Sessions,
        feed: WallboardFeed,
        public_url: str,
        clock: Clock,
        session_check_s: float = SESSION_CHECK_S,
    ) -> None:
        self._sio = sio
        self._sessions = sessions
        self._clock = clock
        self._session_check_s = session_check_s
        self._tokens: dict[str, str] = {}  # sid -> its dashboard session's token
        self._checker: asyncio.Task[None] | None = None
        self.feed = feed
        self._public_url = public_url
        self._viewers: dict[str, str] = {}  # sid -> tenant id, from the connect handler on
        self._watching: set[str] = set()  # the sids the feed counts as viewers
        self._tasks: set[asyncio.Task[None]] = set()
        sio.on("connect", self._connect, namespace=SUPERVISOR)
        sio.on("disconnect", self._disconnect, namespace=SUPERVISOR)
        sio.on("*", self._event, namespace=SUPERVISOR)
        feed.publisher = self

    def viewers(self) -> int:
        return len(self._watching)

    async def publish(self, tenant_id: str, message: dict[str, Any]) -> None:
        await self._sio.emit(UPDATE, message, room=_room(tenant_id), namespace=SUPERVISOR)

    async def _connect(self, sid: str, environ: dict[str, Any], auth: object) -> None:
        request = environ.get("aiohttp.request")
        if not isinstance(request, web.BaseRequest):
            raise socketio.exceptions.ConnectionRefusedError("no request", {"code": "forbidden"})
        if not same_origin(request.headers.get("Origin"), request, self._public_url):
            logger.info(
                "supervisor socket %s: x refused, origin %r", sid, request.headers.get("Origin")
            )
            raise socketio.exceptions.ConnectionRefusedError(
                "connect from the dashboard's own origin", {"code": "forbidden_origin"}
            )
        token = request.cookies.get(SESSION_COOKIE)
        session = await self._sessions.session(token) if token else None
        if token is None or session is None:
            logger.info("supervisor socket %s: x refused, no dashboard session", sid)
            raise socketio.exceptions.ConnectionRefusedError(
                "sign in to the dashboard first", {"code": "unauthorized"}
            )
        self._viewers[sid] = session.tenant_id
        try:
            message = await self.feed.watch(session.tenant_id)
        except BaseException:
            self._viewers.pop(sid, None)
            raise
        if sid not in self._viewers:  # it disconnected while the board loaded
            self.feed.unwatch(session.tenant_id)
            return
        self._watching.add(sid)
        self._tokens[sid] = token
        if self._checker is None:
            self._checker = asyncio.get_running_loop().create_task(self._check_forever())
        await self._sio.enter_room(sid, _room(session.tenant_id), namespace=SUPERVISOR)
        logger.info("supervisor %s: wallboard %s opened", session.user_id, sid)
        # After this handler returns the CONNECT packet goes out; then the board.
        self._spawn(self._send_later(sid, message))

    async def _send_later(self, sid: str, message: dict[str, Any]) -> None:
        await asyncio.sleep(0)
        await self._sio.emit(UPDATE, message, to=sid, namespace=SUPERVISOR)

    async def _disconnect(self, sid: str, reason: object = None) -> None:
        tenant_id = self._viewers.pop(sid, None)
        self._tokens.pop(sid, None)
        if tenant_id is not None and sid in self._watching:
            self._watching.discard(sid)
            self.feed.unwatch(tenant_id)

    async def _event(self, event: str, sid: str, *args: object) -> dict[str, Any]:
        return TelephonyError("unknown_event", "the wallboard only listens").ack()

    async def _check_forever(self) -> None:
        while True:
            await self._clock.sleep(self._session_check_s)
            try:
                await self.check_sessions()
            except Exception:
                logger.exception("x supervisor session check failed")

    async def check_sessions(self) -> None:
        """Disconnect every supervisor whose dashboard session ended (logout, expiry)."""
        for sid, token in list(self._tokens.items()):
            if await self._sessions.session(token) is None:
                logger.info("supervisor socket %s: x session ended, disconnecting", sid)
                await self._sio.disconnect(sid, namespace=SUPERVISOR)

    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def disconnect_all(self) -> None:
        """Close every supervisor's connection (shutdown)."""
        if self._checker is not None:
            self._checker.cancel()
            self._checker = None
        for sid in list(self._viewers):
            await self._sio.disconnect(sid, namespace=SUPERVISOR)
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await self.feed.close()


SUPERVISORS = web.AppKey("supervisors", SupervisorNamespace)
