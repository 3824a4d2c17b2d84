"""Sending one webhook attempt: the transport interface and its aiohttp implementation."""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import aiohttp
from yarl import URL

from .ssrf import AddressPolicy, BlockedDestination, GuardedResolver, ip_literal

logger = logging.getLogger(__name__)

TARGETS_CACHED = 10_000  # endpoint URLs kept parsed and checked (all of them, in practice)


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    status_code: int | None
    latency_ms: float
    error: str | None = None
    retry_after: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300


def _status_error(status: int) -> str | None:
    """The failure a response status means, or None for success (2xx)."""
    if 200 <= status < 300:
        return None
    if 300 <= status < 400:
        return f"HTTP {status}: redirects are not followed"
    return f"HTTP {status}"


class WebhookTransport(Protocol):
    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> AttemptOutcome: ...

    async def close(self) -> None: ...


def _tls_context(ca_bundle: Path | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    if ca_bundle is not None:
        ctx.load_verify_locations(cafile=str(ca_bundle))  # added to, not instead of, the system CAs
    return ctx


class AiohttpTransport:
    """POSTs with a 10 s total timeout, no redirects, TLS verified, SSRF guard on connect."""

    def __init__(
        self, *, policy: AddressPolicy, timeout_s: float, ca_bundle: Path | None = None
    ) -> None:
        self._policy = policy
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._ssl = _tls_context(ca_bundle)
        self._session: aiohttp.ClientSession | None = None
        # Per endpoint URL: parsed once, and why it is blocked if its host is an IP literal
        # (aiohttp does not resolve those, so the resolver's guard would not see them).
        self._targets: dict[str, tuple[URL, str | None]] = {}

    def _target(self, url: str) -> tuple[URL, str | None]:
        target = self._targets.get(url)
        if target is None:
            if len(self._targets) >= TARGETS_CACHED:
                self._targets.clear()
            parsed = URL(url)
            blocked = None
            if ip_literal(parsed.host or "") is not None:
                try:
                    self._policy.check((parsed.host or "").strip("[]"))
                except BlockedDestination as exc:
                    blocked = str(exc)
            target = self._targets[url] = (parsed, blocked)
        return target

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=0, ssl=self._ssl, resolver=GuardedResolver(self._policy), ttl_dns_cache=60
            )
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=self._timeout, auto_decompress=False
            )
        return self._session

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> AttemptOutcome:
        started = time.perf_counter()

        def elapsed() -> float:
            return round((time.perf_counter() - started) * 1000, 2)

        try:
            target, blocked = self._target(url)
            if blocked is not None:
                return AttemptOutcome(None, elapsed(), blocked)
            async with self._get_session().post(
                target, data=body, headers=headers, allow_redirects=False
            ) as resp:
                await resp.content.read(64 * 1024)  # drain a little so the connection can be reused
                status = resp.status
                return AttemptOutcome(
                    status_code=status,
                    latency_ms=elapsed(),
                    error=_status_error(status),
                    retry_after=resp.headers.get("Retry-After") if status in (429, 503) else None,
                )
        except BlockedDestination as exc:
            return AttemptOutcome(None, elapsed(), str(exc))
        except aiohttp.ClientConnectorError as exc:
            cause = exc.os_error
            if isinstance(cause, BlockedDestination):
                return AttemptOutcome(None, elapsed(), str(cause))
            if isinstance(exc, aiohttp.ClientConnectorCertificateError):
                return AttemptOutcome(None, elapsed(), f"TLS error: {exc.certificate_error}")
            return AttemptOutcome(None, elapsed(), f"connection error: {cause or exc}")
        except TimeoutError:
            return AttemptOutcome(None, elapsed(), f"timeout after {self._timeout.total:g} s")
        except aiohttp.ClientSSLError as exc:
            return AttemptOutcome(None, elapsed(), f"TLS error: {exc}")
        except (aiohttp.ClientError, OSError, asyncio.IncompleteReadError) as exc:
            return AttemptOutcome(None, elapsed(), f"{type(exc).__name__}: {exc}"[:500])

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
