"""devorg's settings, parsed once into a frozen object, and its adjustable clock."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["LATEST_API_VERSION", "Clock", "DevorgSettings"]

# Winter '27 is API 68.0 (reference §1); devorg serves v20.0 through the latest.
LATEST_API_VERSION = 68
OLDEST_API_VERSION = 20


@dataclass(frozen=True, kw_only=True)
class DevorgSettings:
    """Startup settings; every field documents its default.

    Attributes:
        host: interface to bind; default 127.0.0.1 (nothing leaves the loopback).
        port: port of the org host (instance, login, console); 0 picks a free port.
        scrt_port: port of the SCRT2 host; 0 picks a free port.
        session_timeout_seconds: access-token lifetime, the org's Session Settings timeout;
            default 7200 (2 hours, Salesforce's default).
        auth_code_ttl_seconds: authorization code lifetime; default 900 (15 minutes).
        scrt_rate_limit_per_second: SCRT2 requests per org per second before 429; default 50,
            the documented org limit of 50 calls/s (Voice guide, "Org Limits").
        request_log_size: requests kept for ``GET /__devorg/requests``; default 1000.
        snapshot_path: JSON file loaded at start and written at stop; default none.
        auto_approve_username: the test switch: ``/authorize`` approves at once for this
            user, with no login page; default none.
        softphone_url: URL framed by ``/lightning/page/console`` when the user's call
            center has no ``AdapterUrl``; default none.
        tls_cert_file: PEM certificate (chain) to serve HTTPS on both ports; with
            ``tls_key_file``. Default none: plain HTTP.
        tls_key_file: PEM private key of ``tls_cert_file``.
        daily_api_requests: the org's ``DailyApiRequests`` limit (``GET /limits``,
            ``Sforce-Limit-Info``); default 15000, the Developer Edition allocation.
        query_cursor_ttl_seconds: idle lifetime of a query locator; default 900 ("expires
            automatically after 15 minutes of inactivity", SOAP API guide, QueryLocator).
    """

    host: str = "127.0.0.1"
    port: int = 8081
    scrt_port: int = 8082
    session_timeout_seconds: int = 7200
    auth_code_ttl_seconds: int = 900
    scrt_rate_limit_per_second: int = 50
    request_log_size: int = 1000
    snapshot_path: Path | None = None
    auto_approve_username: str | None = None
    softphone_url: str | None = None
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    daily_api_requests: int = 15000
    query_cursor_ttl_seconds: int = 900

    @property
    def scheme(self) -> str:
        """``https`` when a certificate is configured, else ``http``."""
        return "https" if self.tls_cert_file is not None else "http"


class Clock:
    """Wall-clock time plus an offset that tests move forward through the control API."""

    def __init__(self) -> None:
        self.offset_seconds = 0.0

    def time(self) -> float:
        return time.time() + self.offset_seconds

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), tz=UTC)

    def advance(self, seconds: float) -> None:
        self.offset_seconds += seconds
