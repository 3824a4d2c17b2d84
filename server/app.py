"""The composition root: ``create_app(settings)`` builds the whole object graph."""

from __future__ import annotations

import logging
import random
from collections.abc import AsyncIterator

from aiohttp import web

from server import pages
from server.api import events as events_api
from server.api import jwks as jwks_api
from server.api import keys as keys_api
from server.api import webhooks as webhooks_api
from server.api.auth import auth_middleware
from server.api.context import SERVICES, Services
from server.clock import Clock, SystemClock
from server.crypto import SecretBox
from server.dashboard import routes as dashboard
from server.errors import Handler, error_middleware
from server.events.outbox import Outbox
from server.identity import IdentityService
from server.settings import Settings
from server.store.db import Database
from server.tokens import TokenService
from server.webhooks.directory import EndpointDirectory
from server.webhooks.engine import DeliveryEngine
from server.webhooks.sender import AiohttpTransport, WebhookTransport
from server.webhooks.service import WebhookService
from server.webhooks.ssrf import AddressPolicy

logger = logging.getLogger(__name__)

OUTBOX = web.AppKey("outbox", Outbox)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    resp = await handler(request)
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    if request.path.startswith("/admin"):
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        )
    return resp


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    transport: WebhookTransport | None = None,
    rng: random.Random | None = None,
) -> web.Application:
    clock = clock or SystemClock()
    db = Database(settings.database_url)
    box = SecretBox(settings.secret_key)
    policy = AddressPolicy(settings.webhook_allow_networks)
    transport = transport or AiohttpTransport(
        policy=policy, timeout_s=settings.webhook_timeout_s, ca_bundle=settings.webhook_ca_bundle
    )
    outbox = Outbox(clock=clock, public_url=settings.public_url)
    directory = EndpointDirectory(db=db, box=box, clock=clock)
    engine = DeliveryEngine(
        db=db,
        directory=directory,
        transport=transport,
        clock=clock,
        concurrency_per_endpoint=settings.webhook_endpoint_concurrency,
        rng=rng,
    )
    outbox.add_sink(engine)
    identity = IdentityService(db=db, clock=clock)
    webhooks = WebhookService(
        db=db,
        box=box,
        clock=clock,
        policy=policy,
        directory=directory,
        engine=engine,
        public_url=settings.public_url,
    )

    tokens = TokenService(db=db, box=box, clock=clock, issuer=settings.public_url)

    app = web.Application(
        middlewares=[security_headers, error_middleware, auth_middleware], client_max_size=1024**2
    )
    app[SERVICES] = Services(
        settings=settings,
        clock=clock,
        db=db,
        identity=identity,
        webhooks=webhooks,
        engine=engine,
        tokens=tokens,
    )
    app[OUTBOX] = outbox
    for table in (
        events_api.routes,
        keys_api.routes,
        webhooks_api.routes,
        jwks_api.routes,
        dashboard.routes,
        pages.routes,
    ):
        app.router.add_routes(table)
    dashboard.add_static(app)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await db.upgrade()
        await engine.start()
        logger.info("SIVO ready at %s", settings.public_url)
        yield
        await engine.stop()
        await transport.close()
        await db.close()

    app.cleanup_ctx.append(lifecycle)
    return app
