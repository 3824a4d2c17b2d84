"""The composition root's state: everything one devorg instance holds, built once.

One :class:`Devorg` is shared by the org host and the SCRT2 host applications; nothing lives
in module globals, so several instances can run side by side in one test process.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .limits import ApiUsage
from .oauth import SessionStore
from .query_cursors import QueryCursors
from .settings import Clock, DevorgSettings
from .store import Store

__all__ = ["Devorg", "Fault", "OpenCtiState"]

logger = logging.getLogger(__name__)


@dataclass
class Fault:
    """Injected failure: the next ``count`` matching requests get ``status`` after a delay."""

    status: int | None
    count: int
    delay_ms: int = 0
    host: str = "any"  # "org", "scrt" or "any"
    path_prefix: str = "/"
    retry_after_s: int = 1  # the Retry-After of an injected 429

    def matches(self, host: str, path: str) -> bool:
        return (
            self.count > 0
            and self.host in ("any", host)
            and path.startswith(self.path_prefix)
            and not path.startswith("/__devorg/")
        )


@dataclass
class OpenCtiState:
    """What the console and its softphone did: recorded calls and queued events."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    panel: dict[str, Any] = field(
        default_factory=lambda: {"visible": True, "clickToDialEnabled": False}
    )

    def push_event(self, event: str, payload: dict[str, Any]) -> dict[str, Any]:
        item = {"seq": len(self.events) + 1, "event": event, "payload": payload}
        self.events.append(item)
        return item


class Devorg:
    """State of one devorg instance: settings, clock, orgs, sessions and test switches."""

    def __init__(self, settings: DevorgSettings) -> None:
        self.settings = settings
        self.clock = Clock()
        self.store = Store(self.clock)
        self.sessions = SessionStore()
        self.cursors = self._new_cursors()
        self.api_usage = ApiUsage(settings.daily_api_requests)
        self.request_log: deque[dict[str, Any]] = deque(maxlen=settings.request_log_size)
        self.faults: list[Fault] = []
        self.opencti = OpenCtiState()
        self.auto_approve_username = settings.auto_approve_username
        self.softphone_url = settings.softphone_url
        self.scrt_rate_limit = settings.scrt_rate_limit_per_second
        self._scrt_window: dict[str, tuple[int, int]] = {}  # org id15 -> (second, count)
        # Bound URLs, known once the sites listen (port 0 picks a free port).
        self.base_url = f"{settings.scheme}://{settings.host}:{settings.port}"
        self.scrt_url = f"{settings.scheme}://{settings.host}:{settings.scrt_port}"

    @property
    def login_url(self) -> str:
        """Production login host, standing in for https://login.salesforce.com."""
        return self.base_url

    @property
    def sandbox_login_url(self) -> str:
        """Sandbox login host, standing in for https://test.salesforce.com."""
        return self.base_url + "/sandbox"

    def login_url_for(self, is_sandbox: bool) -> str:
        return self.sandbox_login_url if is_sandbox else self.login_url

    def _new_cursors(self) -> QueryCursors:
        return QueryCursors(
            ttl_seconds=self.settings.query_cursor_ttl_seconds,
            new_locator=lambda: self.store.id_generator.new_id("01g"),
        )

    def reset(self) -> None:
        self.store = Store(self.clock)
        self.sessions = SessionStore()
        self.cursors = self._new_cursors()
        self.api_usage = ApiUsage(self.settings.daily_api_requests)
        self.request_log.clear()
        self.faults.clear()
        self.opencti = OpenCtiState()
        self._scrt_window.clear()
        logger.info("devorg reset")

    def take_fault(self, host: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(host, path):
                fault.count -= 1
                return fault
        return None

    def scrt_rate_exceeded(self, org_id15: str) -> bool:
        """Fixed one-second window per org (the documented limit is per org, per second)."""
        second = int(self.clock.time())
        window, count = self._scrt_window.get(org_id15, (second, 0))
        if window != second:
            window, count = second, 0
        count += 1
        self._scrt_window[org_id15] = (window, count)
        return count > self.scrt_rate_limit
