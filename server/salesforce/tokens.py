"""An org's OAuth tokens: kept encrypted in its row, refreshed once when a request finds the
session expired, and the org marked "needs reconnect" when the refresh token stops working.

Several requests may find the same access token expired at once; they share one refresh
(a per-org lock, and a second look at the row once it is held).
"""

from __future__ import annotations

import asyncio
import logging

import httpx
from sqlalchemy.engine import RowMapping

from server.clock import Clock
from server.crypto import SecretBox
from server.store import salesforce as store
from server.store.db import Database

from . import oauth
from .client import ReconnectNeeded, SalesforceError, error_of, send
from .config import SalesforceSettings

logger = logging.getLogger(__name__)


def access_context(row_id: str) -> str:
    return f"salesforce-access:{row_id}"


def refresh_context(row_id: str) -> str:
    return f"salesforce-refresh:{row_id}"


class OrgTokens:
    """A ``TokenKeeper`` for one connected org."""

    def __init__(
        self,
        *,
        db: Database,
        box: SecretBox,
        clock: Clock,
        http: httpx.AsyncClient,
        settings: SalesforceSettings,
        tenant_id: str,
        row_id: str,
        lock: asyncio.Lock,
    ) -> None:
        self._db = db
        self._box = box
        self._clock = clock
        self._http = http
        self._settings = settings
        self._tenant_id = tenant_id
        self._row_id = row_id
        self._lock = lock

    async def access_token(self) -> str:
        row = await self._row()
        if row["status"] != "connected" or not row["access_token_enc"]:
            raise ReconnectNeeded(row["status_reason"] or "the org must be connected again")
        return self._box.decrypt(row["access_token_enc"], access_context(self._row_id))

    async def refreshed(self, stale: str) -> str:
        async with self._lock:
            current = await self.access_token()
            if current != stale:  # another request refreshed it meanwhile
                return current
            row = await self._row()
            if not row["refresh_token_enc"]:
                failure = SalesforceError(400, "invalid_grant", "no refresh token kept")
                raise ReconnectNeeded(await self._needs_reconnect(failure))
            refresh = self._box.decrypt(row["refresh_token_enc"], refresh_context(self._row_id))
            form = oauth.refresh_form(
                refresh_token=refresh,
                client_id=self._settings.client_id,
                client_secret=self._settings.client_secret,
            )
            resp = await send(
                self._http, "POST", f"{row['login_url']}/services/oauth2/token", data=form
            )
            if resp.status_code >= 400:
                failure = error_of(resp)
                if failure.sf_code in ("invalid_grant", "inactive_user", "inactive_org"):
                    raise ReconnectNeeded(await self._needs_reconnect(failure))
                raise failure
            token = oauth.TokenResponse.model_validate(resp.json()).access_token
            async with self._db.transaction() as tx:
                await store.update_org_txn(
                    tx,
                    self._tenant_id,
                    self._row_id,
                    {
                        "access_token_enc": self._box.encrypt(token, access_context(self._row_id)),
                        "updated_at": self._clock.now(),
                    },
                )
            logger.info("%s ~ salesforce access token refreshed", self._row_id)
            return token

    async def _needs_reconnect(self, failure: SalesforceError) -> str:
        reason = f"Salesforce refused the refresh token ({failure.sf_code}): connect the org again."
        async with self._db.transaction() as tx:
            await store.update_org_txn(
                tx,
                self._tenant_id,
                self._row_id,
                {
                    "status": "needs_reconnect",
                    "status_reason": reason,
                    "access_token_enc": None,
                    "updated_at": self._clock.now(),
                },
            )
        logger.warning("%s x salesforce org needs reconnecting: %s", self._row_id, failure.sf_code)
        return reason

    async def _row(self) -> RowMapping:
        async with self._db.read() as conn:
            row = await store.get_org(conn, self._tenant_id, self._row_id)
        if row is None:
            raise ReconnectNeeded("the org was disconnected")
        return row
