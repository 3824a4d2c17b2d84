"""The composition root: ``create_app(settings)`` builds the whole object graph."""

from __future__ import annotations

import logging
import random
from collections.abc import AsyncIterator
from importlib.metadata import version

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.typedefs import Middleware
from multidict import CIMultiDict

from server import pages
from server.api import openapi
from server.api.auth import auth_middleware
from server.api.context import SERVICES, Services
from server.api.contracts import CONTRACTS
from server.clock import Clock, SystemClock
from server.crypto import SecretBox
from server.dashboard import preferences as agent_preferences
from server.dashboard import recordings as recording_links
from server.dashboard import routes as dashboard
from server.dashboard import salesforce as salesforce_pages
from server.dashboard import softphone as softphone_pages
from server.errors import Handler, error_middleware
from server.events.log import EventLog
from server.events.outbox import Outbox
from server.identity import IdentityService
from server.logs import request_id_middleware
from server.media import LegState, MediaConfig, MediaEngine
from server.media import self_test as media_self_test
from server.metrics import Figures, Metrics
from server.salesforce.services import build_salesforce
from server.settings import Settings
from server.signaling import SignalingServer
from server.signaling.supervisor import SUPERVISORS, SupervisorNamespace
from server.store.calls import SqlCallStore
from server.store.db import Database
from server.store.wallboard import SqlWaitHistory
from server.store.wrap_up import SqlSavedLogs
from server.telephony.admin import TelephonyAdmin
from server.telephony.history import CallHistory
from server.telephony.preferences import AgentPreferences
from server.telephony.recordings import CallRecordings, RecordingUrls
from server.telephony.reports import CallReports
from server.telephony.switchboard import Switchboard
from server.telephony.wallboard_feed import WallboardFeed
from server.tokens import TokenService
from server.transcription.engine import Transcriber
from server.transcription.live import LiveTranscription
from server.transcription.pocketsphinx import pocketsphinx_transcriber
from server.transcription.transcripts import Transcripts
from server.webhooks.directory import EndpointDirectory
from server.webhooks.engine import DeliveryEngine
from server.webhooks.ledger import WebhookLedger
from server.webhooks.sender import AiohttpTransport, WebhookTransport
from server.webhooks.service import WebhookService
from server.webhooks.ssrf import AddressPolicy
from server.webhooks.worker import DeliveryWorker, worker_config

logger = logging.getLogger(__name__)

OUTBOX = web.AppKey("outbox", Outbox)
SIGNALING = web.AppKey("signaling", SignalingServer)


class RedactingAccessLogger(AbstractAccessLogger):
    """One line per request without its query string or Referer: both can carry credentials
    (a softphone link's token, a recording URL's signature)."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %s %s %.3fs rid=%s',
            request.remote,
            request.method,
            request.path,
            response.status,
            response.body_length,
            time,
            response.headers.get("X-Request-Id", "-"),
        )


# What every response gets unless its handler chose a stricter or more specific policy
# (pages and the dashboard set their own CSP). An API or error response loads nothing.
_DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
_ADMIN_CSP = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
_HSTS = "max-age=31536000; includeSubDomains"


def security_headers(public_url: str) -> Middleware:
    """Headers on every response, also those raised as ``HTTPException`` (404s, redirects)."""
    https = public_url.startswith("https://")

    def harden(request: web.Request, headers: CIMultiDict[str]) -> None:
        admin = request.path.startswith("/admin")
        headers.setdefault("Content-Security-Policy", _ADMIN_CSP if admin else _DEFAULT_CSP)
        csp = headers["Content-Security-Policy"]
        if "frame-ancestors" not in csp or "frame-ancestors 'none'" in csp:
            # A page that names who may frame it (the softphone in an org's console) must
            # not contradict itself; browsers give frame-ancestors precedence anyway.
            headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "no-referrer")
        if https:
            headers.setdefault("Strict-Transport-Security", _HSTS)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            resp = await handler(request)
        except web.HTTPException as exc:
            harden(request, exc.headers)
            raise
        harden(request, resp.headers)
        return resp

    return middleware


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    transport: WebhookTransport | None = None,
    rng: random.Random | None = None,
    transcriber: Transcriber | None = None,
) -> web.Application:
    """The whole server. ``clock``, ``transport``, ``rng`` and ``transcriber`` replace the
    real ones in tests (the default transcriber is PocketSphinx in worker processes)."""
    custom_parts = clock is not None or transport is not None
    clock = clock or SystemClock()
    db = Database(settings.database_url)
    box = SecretBox(settings.secret_key)
    policy = AddressPolicy(settings.webhook_allow_networks)
    transport = transport or AiohttpTransport(
        policy=policy, timeout_s=settings.webhook_timeout_s, ca_bundle=settings.webhook_ca_bundle
    )
    outbox = Outbox(clock=clock, public_url=settings.public_url)
    directory = EndpointDirectory(db=db, box=box, clock=clock)
    metrics = Metrics()
    # A transport or clock passed in (a test's) can only run here; the real ones may run in
    # the delivery worker.
    ledger = WebhookLedger(db=db)
    worker = (
        DeliveryWorker(worker_config(settings), ledger=ledger, on_attempt=metrics.webhook_attempt)
        if settings.webhook_workers and not custom_parts
        else None
    )
    engine = DeliveryEngine(
        db=db,
        directory=directory,
        transport=transport,
        clock=clock,
        concurrency_per_endpoint=settings.webhook_endpoint_concurrency,
        rng=rng,
        on_attempt=metrics.webhook_attempt,
        ledger=ledger,
        worker=worker,
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

    media_config = MediaConfig(
        ice_servers=settings.ice_servers,
        host_addresses=settings.media_host_addresses,
        remote_networks=settings.media_remote_networks,
        setup_timeout_s=settings.media_setup_timeout_s,
    )
    recordings_dir = settings.data_dir / "recordings"
    calls: Switchboard | None = None

    def on_leg_state(leg_id: str, state: LegState) -> None:
        if calls is not None:
            calls.on_leg_state(leg_id, state)

    media = MediaEngine(
        config=media_config, recordings_dir=recordings_dir, on_leg_state=on_leg_state
    )
    recording_urls = RecordingUrls(
        master_key=settings.secret_key,
        public_url=settings.public_url,
        ttl_s=settings.recording_url_ttl_s,
        clock=clock,
    )
    calls = Switchboard(
        store=SqlCallStore(db=db, outbox=outbox),
        media=media,
        clock=clock,
        recordings=CallRecordings(
            db=db, outbox=outbox, clock=clock, media=media, urls=recording_urls
        ),
        agent_grace_s=settings.agent_grace_s,
        outbound_ring_timeout_s=settings.outbound_ring_timeout_s,
    )
    calls.add_observer(metrics)
    telephony = TelephonyAdmin(
        db=db,
        clock=clock,
        on_agent_changed=calls.agent_changed,
        on_config_changed=calls.config_changed,
    )
    salesforce = build_salesforce(
        settings=settings.salesforce,
        public_url=settings.public_url,
        db=db,
        box=box,
        clock=clock,
        telephony=telephony,
        tokens=tokens,
        agents=calls,
    )
    calls.add_observer(salesforce.ring_pops)
    calls.add_observer(salesforce.call_logs)
    calls.wrap_up_gate = salesforce.call_logs  # a disposition may be required first
    transcripts = Transcripts(db=db, outbox=outbox, clock=clock)
    engine_pool = None
    if transcriber is None:
        transcriber = engine_pool = pocketsphinx_transcriber(workers=settings.transcription_workers)
    live_transcription = LiveTranscription(
        transcripts=transcripts, taps=media, transcriber=transcriber, clock=clock
    )
    calls.add_observer(live_transcription)  # both parties, when the tenant turned it on
    outbox.add_sink(salesforce.tasks)  # every call as one Salesforce Task
    outbox.add_sink(salesforce.scrt2)  # every inbound call as a VoiceCall (SCRT2)
    signaling = SignalingServer(
        switchboard=calls,
        tokens=tokens,
        clock=clock,
        max_message_bytes=settings.signaling_max_message_bytes,
        caller_rate_per_s=settings.caller_rate_per_s,
        caller_burst=settings.caller_burst,
        caller_max_connections_per_address=settings.caller_max_connections_per_address,
        call_logs=salesforce.call_logs,
        saved_logs=SqlSavedLogs(db=db),  # a reload during after-call work: its log so far
    )
    wallboard = WallboardFeed(switchboard=calls, history=SqlWaitHistory(db=db), clock=clock)
    calls.add_observer(wallboard)  # the live wallboard, on /supervisor
    supervisors = SupervisorNamespace(
        sio=signaling.sio,
        sessions=identity,
        feed=wallboard,
        public_url=settings.public_url,
        clock=clock,
    )

    app = web.Application(
        middlewares=[
            metrics.middleware(),
            request_id_middleware,
            security_headers(settings.public_url),
            error_middleware,
            auth_middleware,
        ],
        client_max_size=1024**2,
    )
    app[SERVICES] = Services(
        settings=settings,
        clock=clock,
        db=db,
        identity=identity,
        webhooks=webhooks,
        engine=engine,
        tokens=tokens,
        telephony=telephony,
        calls=calls,
        media=media,
        history=CallHistory(db=db, urls=recording_urls, recordings_dir=recordings_dir),
        reports=CallReports(db=db),
        events=EventLog(db=db),
        metrics=metrics,
        figures=Figures(
            switchboard=calls,
            media=media,
            sockets=signaling.connections,
            webhooks=engine,
            clock=clock,
        ),
        salesforce=salesforce,
        transcripts=transcripts,
        live_transcription=live_transcription,
    )
    app[SIGNALING] = signaling
    app[SUPERVISORS] = supervisors
    app[agent_preferences.PREFERENCES] = AgentPreferences(db=db, clock=clock)
    app[OUTBOX] = outbox
    app[openapi.OPENAPI_DOCUMENT] = openapi.build_document(
        CONTRACTS, version=version("sivo"), server_url=settings.public_url
    )
    for table in (
        *(contract.routes for contract in CONTRACTS),
        openapi.routes,
        salesforce_pages.routes,  # before dashboard.routes: its /admin/salesforce... pattern
        recording_links.routes,
        dashboard.routes,
        softphone_pages.routes,  # before pages.routes: /softphone/session, not an asset
        agent_preferences.routes,  # before pages.routes too: /softphone/preferences
        pages.routes,
    ):
        app.router.add_routes(table)
    dashboard.add_static(app)
    signaling.attach(app)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await db.upgrade()
        await engine.start()
        await salesforce.tasks.start()
        await salesforce.scrt2.start()
        signaling.start()
        await transcripts.complete_left_over()
        await live_transcription.start()
        await media_self_test()  # refuses to start if the aiortc internals changed
        logger.info("SIVO ready at %s", settings.public_url)
        yield
        # calls.close() ran at on_shutdown; what is left here no longer needs the sockets.
        await signaling.close()
        await live_transcription.close()  # the calls that ended finish their transcripts
        if engine_pool is not None:
            await engine_pool.close()
        await media.close()
        await engine.stop()
        await salesforce.tasks.stop()
        await salesforce.scrt2.stop()
        await transport.close()
        await salesforce.ring_pops.close()
        await salesforce.screen_pops.close()
        await salesforce.http.aclose()
        await db.close()

    async def end_calls(app: web.Application) -> None:
        # At on_shutdown, not in cleanup: aiohttp then waits up to 60 s for open sockets and
        # cancels them, and the parties would no longer be told. Here they still are, and
        # every CDR and call.recorded is committed before the media engine closes.
        await calls.close()
        # Then close the sockets, so that aiohttp has none left to wait for.
        await signaling.disconnect_all()
        await supervisors.disconnect_all()

    app.cleanup_ctx.append(lifecycle)
    app.on_shutdown.append(end_calls)
    return app
