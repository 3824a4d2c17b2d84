"""``GET /metrics``: the process's figures in the Prometheus text format.

One registry per app (no module globals). Counters and histograms are fed where things
happen (the HTTP middleware, the webhook engine's attempts, ended calls through the
telephony consumer seam); gauges are read from live state when scraped. Labels name no
tenant, queue, agent or call: the endpoint is as public as ``/healthz``.
"""

from __future__ import annotations

import time
from collections import Counter as Tally
from collections.abc import Callable

from aiohttp import web
from aiohttp.typedefs import Middleware
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest

from server.clock import Clock
from server.errors import Handler
from server.media import MediaEngine
from server.telephony.effects import CallEnded, Notice
from server.telephony.presence import State
from server.telephony.switchboard import Switchboard
from server.webhooks.engine import DeliveryEngine

_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry(auto_describe=True)
        self.http_requests = Counter(
            "sivo_http_requests", "HTTP requests", ["route", "method", "status"], registry=r
        )
        self.http_seconds = Histogram(
            "sivo_http_request_seconds",
            "HTTP request time",
            ["route"],
            buckets=_SECONDS,
            registry=r,
        )
        self.webhook_attempts = Counter(
            "sivo_webhook_attempts",
            "Webhook delivery attempts by outcome (delivered, retrying, dead)",
            ["outcome"],
            registry=r,
        )
        self.webhook_seconds = Histogram(
            "sivo_webhook_attempt_seconds", "Webhook attempt latency", buckets=_SECONDS, registry=r
        )
        self.calls_ended = Counter(
            "sivo_calls", "Calls ended, by direction and cause", ["direction", "cause"], registry=r
        )
        self.calls_active = Gauge("sivo_calls_active", "Calls in progress", registry=r)
        self.agents = Gauge("sivo_agents", "Signed-in agents by status", ["status"], registry=r)
        self.queue_waiting = Gauge(
            "sivo_queue_waiting_calls", "Calls waiting in queues", registry=r
        )
        self.queue_longest_wait = Gauge(
            "sivo_queue_longest_wait_seconds", "Longest current wait in any queue", registry=r
        )
        self.media_legs = Gauge(
            "sivo_media_legs_open", "Open call legs (peer connections)", registry=r
        )
        self.sockets = Gauge(
            "sivo_socket_connections", "Socket.IO connections", ["namespace"], registry=r
        )
        self.outbox_lag = Gauge(
            "sivo_outbox_lag_seconds",
            "Age of the oldest webhook delivery due and not yet sent",
            registry=r,
        )

    # -- feeds ------------------------------------------------------------------------------

    def webhook_attempt(self, outcome: str, latency_ms: float) -> None:
        self.webhook_attempts.labels(outcome).inc()
        self.webhook_seconds.observe(latency_ms / 1000)

    def observe(self, tenant_id: str, notice: Notice) -> None:
        """The telephony consumer seam (``CallObserver``)."""
        if isinstance(notice, CallEnded):
            cause = str(notice.cdr.get("hangup_cause") or "unknown")
            self.calls_ended.labels(str(notice.cdr.get("direction")), cause).inc()

    def middleware(self) -> Middleware:
        @web.middleware
        async def count(request: web.Request, handler: Handler) -> web.StreamResponse:
            started = time.perf_counter()
            status = 500
            try:
                resp: web.StreamResponse = await handler(request)
                status = resp.status
                return resp
            except web.HTTPException as exc:
                status = exc.status
                raise
            finally:
                route = _route(request)
                self.http_requests.labels(route, request.method, str(status)).inc()
                self.http_seconds.labels(route).observe(time.perf_counter() - started)

        return count

    # -- scrape -----------------------------------------------------------------------------

    def render(self, live: LiveFigures) -> bytes:
        self.calls_active.set(live.calls_active)
        for status in State:
            self.agents.labels(status.value).set(live.agents.get(status.value, 0))
        self.queue_waiting.set(live.queue_waiting)
        self.queue_longest_wait.set(live.queue_longest_wait_s)
        self.media_legs.set(live.media_legs)
        for namespace, count in live.sockets.items():
            self.sockets.labels(namespace).set(count)
        self.outbox_lag.set(live.outbox_lag_s)
        return generate_latest(self.registry)


class LiveFigures:
    """What the gauges show, gathered from the running parts at scrape time."""

    def __init__(self) -> None:
        self.calls_active = 0
        self.agents: Tally[str] = Tally()
        self.queue_waiting = 0
        self.queue_longest_wait_s = 0.0
        self.media_legs = 0
        self.sockets: dict[str, int] = {}
        self.outbox_lag_s = 0.0


def _route(request: web.Request) -> str:
    """The route's template (``/api/v1/calls/{id}``), never the raw path: bounded labels."""
    info = request.match_info
    resource = info.route.resource if info.route is not None else None
    return resource.canonical if resource is not None else "unmatched"


class Figures:
    """Gathers :class:`LiveFigures` from the switchboard, media, sockets and webhooks."""

    def __init__(
        self,
        *,
        switchboard: Switchboard,
        media: MediaEngine,
        sockets: Callable[[], dict[str, int]],
        webhooks: DeliveryEngine,
        clock: Clock,
    ) -> None:
        self._switchboard = switchboard
        self._media = media
        self._sockets = sockets
        self._webhooks = webhooks
        self._clock = clock

    async def gather(self) -> LiveFigures:
        live = LiveFigures()
        now = self._clock.now()
        for shell in self._switchboard.shells():
            state = shell.state
            live.calls_active += len(state.calls)
            for session in state.agents.values():
                if session.sid is not None:
                    live.agents[session.presence.state.value] += 1
            for entered_at in state.acd.entered_times():
                live.queue_waiting += 1
                live.queue_longest_wait_s = max(live.queue_longest_wait_s, now - entered_at)
        live.media_legs = self._media.open_peer_connections
        live.sockets = self._sockets()
        live.outbox_lag_s = await self._webhooks.lag_s()
        return live


__all__ = ["CONTENT_TYPE_LATEST", "Figures", "LiveFigures", "Metrics"]
