"""One org's REST API, as SIVO uses it: SOQL queries to the last page, the identity URL,
token refresh on ``401 INVALID_SESSION_ID`` (retried once), revocation.

Knows nothing of tenants or of where tokens are kept: a ``TokenKeeper`` hands it the
current access token and refreshes it. Errors come back as ``SalesforceError`` (a 502 at the
API) with Salesforce's own ``errorCode``; ``ReconnectNeeded`` (a 409) means the refresh
token no longer works and only the admin can fix it, by connecting the org again.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

import httpx
from pydantic import JsonValue

from server.failures import Conflict, Upstream

logger = logging.getLogger(__name__)

MAX_PAGES = 1000  # 2,000 rows a page: two million rows before SIVO stops following


class SalesforceError(Upstream):
    """Salesforce answered with an error: ``sf_code`` is its ``errorCode`` (or ``error``),
    ``fields`` the fields it names, ``retry_after`` its ``Retry-After`` header."""

    def __init__(
        self,
        status: int,
        sf_code: str,
        message: str,
        *,
        fields: frozenset[str] = frozenset(),
        retry_after: str | None = None,
    ) -> None:
        super().__init__("salesforce_error", f"Salesforce answered {status} {sf_code}: {message}")
        self.status = status
        self.sf_code = sf_code
        self.detail = message
        self.fields = fields
        self.retry_after = retry_after


class ReconnectNeeded(Conflict):
    """The refresh token was revoked or expired: only connecting the org again helps."""

    def __init__(self, reason: str) -> None:
        super().__init__("needs_reconnect", reason)


class TokenKeeper(Protocol):
    async def access_token(self) -> str: ...

    async def refreshed(self, stale: str) -> str:
        """A new access token (unless another request refreshed ``stale`` already)."""
        ...


def error_of(resp: httpx.Response) -> SalesforceError:
    """Salesforce's error body, ``[{"errorCode", "message"}]`` or ``{"error", ...}``."""
    code, message = "UNKNOWN_ERROR", resp.text[:300]
    fields: frozenset[str] = frozenset()
    try:
        body = resp.json()
    except ValueError:
        body = None
    if isinstance(body, list) and body and isinstance(body[0], dict):
        code = str(body[0].get("errorCode", code))
        message = str(body[0].get("message", message))
        named = body[0].get("fields")
        if isinstance(named, list):
            fields = frozenset(str(f) for f in named)
    elif isinstance(body, dict):
        code = str(body.get("error") or body.get("errorCode") or code)
        message = str(body.get("error_description") or body.get("message") or message)
    return SalesforceError(
        resp.status_code, code, message, fields=fields, retry_after=resp.headers.get("Retry-After")
    )


async def send(http: httpx.AsyncClient, method: str, url: str, **kw: Any) -> httpx.Response:
    """One request; a transport failure (TLS, refused, timeout) as a ``SalesforceError``."""
    try:
        return await http.request(method, url, **kw)
    except httpx.HTTPError as exc:
        logger.warning("salesforce %s %s: x %s", method, url.split("?")[0], type(exc).__name__)
        raise SalesforceError(0, "UNREACHABLE", f"{type(exc).__name__}: {exc}") from exc


class SalesforceClient:
    def __init__(
        self, *, http: httpx.AsyncClient, instance_url: str, api_version: str, tokens: TokenKeeper
    ) -> None:
        self._http = http
        self._instance = instance_url.rstrip("/")
        self._version = api_version
        self._tokens = tokens

    @property
    def data_url(self) -> str:
        return f"{self._instance}/services/data/v{self._version}"

    async def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        token = await self._tokens.access_token()
        resp = await self._send(method, url, token, **kw)
        if resp.status_code == 401:
            logger.info("salesforce %s: session expired, refreshing", self._instance)
            token = await self._tokens.refreshed(token)
            resp = await self._send(method, url, token, **kw)
        if resp.status_code >= 400:
            raise error_of(resp)
        return resp

    async def _send(self, method: str, url: str, token: str, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        return await send(self._http, method, url, headers=headers, **kw)

    async def query(self, soql: str) -> list[dict[str, JsonValue]]:
        """Every row, following ``nextRecordsUrl`` to the last page."""
        resp = await self.request("GET", f"{self.data_url}/query", params={"q": soql})
        rows: list[dict[str, JsonValue]] = []
        for _ in range(MAX_PAGES):
            page = resp.json()
            rows.extend(page.get("records", []))
            next_url = page.get("nextRecordsUrl")
            if page.get("done", True) or not next_url:
                return rows
            resp = await self.request("GET", f"{self._instance}{next_url}")
        raise SalesforceError(200, "TOO_MANY_PAGES", f"more than {MAX_PAGES} pages")

    async def identity(self, identity_url: str) -> dict[str, JsonValue]:
        body: dict[str, JsonValue] = (await self.request("GET", identity_url)).json()
        return body
