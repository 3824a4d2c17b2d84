"""Composition root: the two aiohttp applications and the server that runs them.

    org host  (--port)       login (production at /, sandbox at /sandbox), instance REST API,
                             identity, Open CTI script, console page, /__devorg/ control API
    SCRT2 host (--scrt-port) /telephony/v1, standing in for {MyDomain}.my.salesforce-scrt.com

Both share one :class:`~devorg.state.Devorg`. Two middlewares wrap every Salesforce
request: the request log, and injected faults (status and delay).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware
from yarl import URL

from .http_common import DEVORG_KEY, devorg_of
from .http_control import add_control_routes
from .http_oauth import add_oauth_routes
from .http_opencti import add_opencti_routes
from .http_rest import add_rest_routes
from .http_scrt import create_scrt_routes
from .http_voicecalls import add_voice_call_pages
from .settings import DevorgSettings
from .state import Devorg
from .tls import server_ssl_context

__all__ = ["DevorgServer", "create_app", "create_scrt_app"]

logger = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Query parameters never written to the request log.
_SECRET_PARAMS = frozenset({"code", "token", "refresh_token", "code_verifier", "client_secret"})


def _redacted(url: URL) -> str:
    query = {k: ("***" if k in _SECRET_PARAMS else v) for k, v in url.query.items()}
    return str(url.with_query(query))


def _middlewares(host: str) -> list[Middleware]:
    @web.middleware
    async def log_and_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
        devorg = devorg_of(request)
        entry = {
            "time": devorg.clock.now().isoformat(),
            "host": host,
            "method": request.method,
            "path": request.path,
            "url": _redacted(request.rel_url),
            "status": 0,
        }
        if host == "scrt":  # which partner it was (not marked required; §2.2)
            entry["provider"] = request.headers.get("Telephony-Provider-Name")
        devorg.request_log.append(entry)
        fault = devorg.take_fault(host, request.path)
        try:
            if fault is not None:
                if fault.delay_ms:
                    # The request has arrived whole; only the answer is late. A client that
                    # stops waiting must not undo what the org does with it (a created
                    # record), as with a real org.
                    await request.read()
                    await asyncio.sleep(fault.delay_ms / 1000)
                if fault.status is not None:
                    headers = (
                        {"Retry-After": str(fault.retry_after_s)} if fault.status == 429 else None
                    )
                    body = [{"message": "devorg injected fault", "errorCode": "DEVORG_FAULT"}]
                    entry["status"] = fault.status
                    entry["fault"] = True
                    return web.json_response(body, status=fault.status, headers=headers)
            response = await handler(request)
        except web.HTTPException as exc:
            entry["status"] = exc.status
            raise
        entry["status"] = response.status
        return response

    return [log_and_faults]


def create_app(devorg: Devorg) -> web.Application:
    """The org host: login hosts, instance, console and control API."""
    app = web.Application(middlewares=_middlewares("org"))
    app[DEVORG_KEY] = devorg
    add_oauth_routes(app)
    add_rest_routes(app)
    add_opencti_routes(app)
    add_control_routes(app)
    add_voice_call_pages(app)
    return app


def create_scrt_app(devorg: Devorg) -> web.Application:
    """The SCRT2 host."""
    app = web.Application(middlewares=_middlewares("scrt"))
    app[DEVORG_KEY] = devorg
    create_scrt_routes(app)
    return app


class DevorgServer:
    """Runs both hosts on ``settings.host``; ports of 0 pick free ports.

    With ``tls_cert_file`` and ``tls_key_file`` both hosts serve HTTPS only, and every URL
    devorg prints or returns (base, login, instance, identity, SCRT2) says ``https``.
    """

    def __init__(self, settings: DevorgSettings) -> None:
        self.devorg = Devorg(settings)
        self._runners: list[web.AppRunner] = []

    async def start(self) -> None:
        settings = self.devorg.settings
        if settings.snapshot_path is not None and settings.snapshot_path.exists():
            self.devorg.store.load_snapshot(settings.snapshot_path)
        ssl_context = None
        if settings.tls_cert_file is not None:
            if settings.tls_key_file is None:
                raise ValueError("tls_cert_file needs tls_key_file")
            ssl_context = server_ssl_context(settings.tls_cert_file, settings.tls_key_file)
        ports = []
        for app, port in (
            (create_app(self.devorg), settings.port),
            (create_scrt_app(self.devorg), settings.scrt_port),
        ):
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            self._runners.append(runner)
            site = web.TCPSite(runner, settings.host, port, ssl_context=ssl_context)
            await site.start()
            address = runner.addresses[0]
            ports.append(int(address[1]))
        scheme = settings.scheme
        self.devorg.base_url = f"{scheme}://{settings.host}:{ports[0]}"
        self.devorg.scrt_url = f"{scheme}://{settings.host}:{ports[1]}"
        logger.info("devorg listening on %s (SCRT2 %s)", self.devorg.base_url, self.devorg.scrt_url)

    async def stop(self) -> None:
        path = self.devorg.settings.snapshot_path
        if path is not None:
            self.devorg.store.save_snapshot(path)
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()
