"""Connected orgs: Connect with Salesforce (OAuth web-server flow with PKCE), discovery,
tokens at rest, the admin's choices, Disconnect.

The flow, as the dashboard drives it::

    admin ──GET /admin/salesforce/connect?login=…──> begin_connect: a state bound to the
          admin (single use, 10 minutes) and a PKCE verifier, both stored; 302 to Salesforce
    Salesforce ──302 {public_url}/salesforce?autoConnect=1&code&state──> finish_connect:
          the state taken (deleted), the code redeemed with the verifier, the identity read,
          discovery run, the org stored (or refused: another tenant has it)

Every URL a token is sent to is checked first (``SalesforceHosts.trusted``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from server.clock import Clock
from server.crypto import SecretBox, random_token, token_digest
from server.failures import Failure, Invalid, NotFound
from server.ids import new_id
from server.schemas.salesforce import SalesforceOrg, SalesforceOrgUpdate
from server.store import salesforce as store
from server.store.db import Database

from . import oauth
from .callcenter import render_call_center
from .certificates import OrgCertificates
from .client import SalesforceClient, SalesforceError, error_of, send
from .config import SalesforceSettings
from .discovery import Discovery, discover
from .hosts import SalesforceHosts
from .tokens import OrgTokens, access_context, refresh_context
from .views import org_view

logger = logging.getLogger(__name__)

CALLBACK_PATH = "/salesforce"


class ConnectFailed(Failure):
    """The connect flow ended without an org: ``code`` is Salesforce's ``error`` or SIVO's."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code, detail or code)
        self.detail = detail


def verifier_context(digest: str) -> str:
    return f"salesforce-pkce:{digest}"


@dataclass(frozen=True)
class Admin:
    """Who is connecting: the dashboard session's tenant and user."""

    tenant_id: str
    user_id: str


class SalesforceOrgs:
    def __init__(
        self,
        *,
        db: Database,
        box: SecretBox,
        clock: Clock,
        http: httpx.AsyncClient,
        settings: SalesforceSettings,
        public_url: str,
        certificates: OrgCertificates,
    ) -> None:
        self._db = db
        self._certificates = certificates
        self._box = box
        self._clock = clock
        self._http = http
        self._settings = settings
        self._hosts = SalesforceHosts(settings.login_url, settings.sandbox_login_url)
        self.redirect_uri = f"{public_url}{CALLBACK_PATH}?autoConnect=1"
        self._softphone_url = f"{public_url}/softphone/"
        self._refresh_locks: dict[str, asyncio.Lock] = {}
        # Told the org row id after every successful connect (a reconnect resumes work held
        # while the org needed reconnecting: its Tasks).
        self.on_connected: list[Callable[[str], None]] = []

    # -- connect --------------------------------------------------------------------------

    async def begin_connect(self, admin: Admin, login: str) -> str:
        """The Salesforce authorize URL to send the admin to."""
        if not self._settings.client_id:
            raise ConnectFailed(
                "not_configured", "SIVO_SALESFORCE_CLIENT_ID is not set on this server."
            )
        target = self._hosts.login_target(login)
        state = random_token(32)
        verifier = oauth.new_verifier()
        digest = token_digest(state)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            await store.purge_states_txn(tx, now)
            await store.insert_state_txn(
                tx,
                {
                    "digest": digest,
                    "tenant_id": admin.tenant_id,
                    "admin_user_id": admin.user_id,
                    "verifier_enc": self._box.encrypt(verifier, verifier_context(digest)),
                    "login_url": target.url,
                    "environment": target.environment,
                    "created_at": now,
                    "expires_at": now + oauth.STATE_TTL_S,
                },
            )
        logger.info("salesforce connect started for tenant %s via %s", admin.tenant_id, target.how)
        return oauth.authorize_url(
            target.url,
            client_id=self._settings.client_id,
            redirect_uri=self.redirect_uri,
            state=state,
            verifier=verifier,
        )

    async def finish_connect(self, admin: Admin, code: str, state: str) -> SalesforceOrg:
        digest = token_digest(state)
        async with self._db.transaction() as tx:
            pending = await store.take_state_txn(tx, digest)
        if (
            pending is None
            or pending["expires_at"] < self._clock.now()
            or pending["tenant_id"] != admin.tenant_id
            or pending["admin_user_id"] != admin.user_id
        ):
            raise ConnectFailed("invalid_state")
        verifier = self._box.decrypt(pending["verifier_enc"], verifier_context(digest))
        tokens = await self._redeem(pending["login_url"], code, verifier)
        found = await self._discover(tokens)
        return await self._store(admin.tenant_id, pending, tokens, found)

    async def _redeem(self, login_url: str, code: str, verifier: str) -> oauth.TokenResponse:
        form = oauth.code_form(
            code=code,
            client_id=self._settings.client_id,
            client_secret=self._settings.client_secret,
            redirect_uri=self.redirect_uri,
            verifier=verifier,
        )
        try:
            resp = await send(self._http, "POST", f"{login_url}/services/oauth2/token", data=form)
        except SalesforceError as exc:
            raise ConnectFailed("unreachable", exc.detail) from exc
        if resp.status_code >= 400:
            failure = error_of(resp)
            raise ConnectFailed(failure.sf_code, failure.detail)
        tokens = oauth.TokenResponse.model_validate(resp.json())
        for url in (tokens.instance_url, tokens.id):
            if not self._hosts.trusted(url):
                logger.warning("salesforce token response names an untrusted host: %s", url)
                raise ConnectFailed("untrusted_host", f"{url} is not a Salesforce host")
        if not tokens.refresh_token:
            raise ConnectFailed("no_refresh_token", "the app must allow the refresh_token scope")
        return tokens

    async def _discover(self, tokens: oauth.TokenResponse) -> Discovery:
        client = SalesforceClient(
            http=self._http,
            instance_url=tokens.instance_url,
            api_version=self._settings.api_version,
            tokens=_FixedToken(tokens.access_token),
        )
        try:
            return await discover(client, tokens.instance_url, tokens.id)
        except SalesforceError as exc:
            raise ConnectFailed("discovery_failed", f"{exc.sf_code}: {exc.detail}") from exc

    async def _store(
        self, tenant_id: str, pending: RowMapping, tokens: oauth.TokenResponse, found: Discovery
    ) -> SalesforceOrg:
        now = self._clock.now()
        async with self._db.read() as conn:
            existing = await store.org_by_org_id(conn, found.org_id)
        if existing is not None and existing["tenant_id"] != tenant_id:
            raise ConnectFailed("org_taken", found.org_id)
        row_id = existing["id"] if existing is not None else new_id("sfo", now)
        values = {
            **found.columns(existing),
            "environment": pending["environment"],
            "login_url": pending["login_url"],
            "access_token_enc": self._box.encrypt(tokens.access_token, access_context(row_id)),
            "refresh_token_enc": self._box.encrypt(
                tokens.refresh_token or "", refresh_context(row_id)
            ),
            "status": "connected",
            "status_reason": None,
            "updated_at": now,
        }
        try:
            async with self._db.transaction() as tx:
                if existing is None:
                    await store.insert_org_txn(
                        tx, {"id": row_id, "tenant_id": tenant_id, "connected_at": now, **values}
                    )
                    await self._certificates.add_txn(
                        tx, tenant_id, row_id, found.org_id15, "active"
                    )
                else:
                    await store.update_org_txn(tx, tenant_id, row_id, values)
        except IntegrityError as exc:  # another tenant connected it a moment ago
            raise ConnectFailed("org_taken", found.org_id) from exc
        logger.info(
            "%s + salesforce org %s connected for tenant %s", row_id, found.org_id, tenant_id
        )
        for hook in self.on_connected:
            hook(row_id)
        return await self.get(tenant_id, row_id)

    # -- reads and the admin's choices ----------------------------------------------------

    async def row(self, tenant_id: str, row_id: str) -> RowMapping:
        async with self._db.read() as conn:
            row = await store.get_org(conn, tenant_id, row_id)
        if row is None:
            raise NotFound("Salesforce org")
        return row

    async def get(self, tenant_id: str, row_id: str) -> SalesforceOrg:
        return org_view(await self.row(tenant_id, row_id))

    async def list(self, tenant_id: str) -> list[SalesforceOrg]:
        async with self._db.read() as conn:
            return [org_view(row) for row in await store.list_orgs(conn, tenant_id)]

    async def update(self, tenant_id: str, row_id: str, body: SalesforceOrgUpdate) -> SalesforceOrg:
        row = await self.row(tenant_id, row_id)
        values: dict[str, object] = {"updated_at": self._clock.now()}
        if body.call_center_id is not None:
            choices = {c["id"]: c for c in json.loads(row["call_centers"])}
            if body.call_center_id not in choices:
                raise Invalid("call_center_id", "not one of the org's SIVO_ call centers")
            values["call_center_id"] = body.call_center_id
            values["call_center_name"] = choices[body.call_center_id]["internal_name"]
        if "scrt_base_url" in body.model_fields_set:
            if body.scrt_base_url is None:  # back to what discovery found
                found = json.loads(row["discovery"]).get("scrt", {})
                values["scrt_base_url"] = found.get("url")
                values["scrt_source"] = found.get("source", "none")
            else:
                values["scrt_base_url"] = body.scrt_base_url
                values["scrt_source"] = "admin"
        if body.push_transcripts is not None:
            values["push_transcripts"] = body.push_transcripts
        if body.provider_name is not None:
            values["provider_name"] = body.provider_name
        async with self._db.transaction() as tx:
            await store.update_org_txn(tx, tenant_id, row_id, values)
        return await self.get(tenant_id, row_id)

    async def rediscover(self, tenant_id: str, row_id: str) -> SalesforceOrg:
        """Read the org again with its stored tokens (after the admin imported the call
        center, say); the admin's choices stay."""
        row = await self.row(tenant_id, row_id)
        found = await discover(self.client(row), row["instance_url"], row["identity_url"])
        values = {**found.columns(row), "updated_at": self._clock.now()}
        async with self._db.transaction() as tx:
            await store.update_org_txn(tx, tenant_id, row_id, values)
        return await self.get(tenant_id, row_id)

    def softphone_url(self, row_id: str) -> str:
        """The call center's adapter URL: the softphone, told which org frames it."""
        return f"{self._softphone_url}?org={row_id}"

    async def call_center_xml(self, tenant_id: str, row_id: str) -> str:
        """The call center definition to import in this org, with its active certificate."""
        row = await self.row(tenant_id, row_id)
        return render_call_center(
            internal_name=row["call_center_name"],
            display_name="SIVO",
            softphone_url=self.softphone_url(row_id),
            certificate_pem=await self._certificates.active_certificate(tenant_id, row_id),
        )

    def client(self, row: RowMapping) -> SalesforceClient:
        """A REST client for a stored org, refreshing its tokens as needed."""
        lock = self._refresh_locks.setdefault(row["id"], asyncio.Lock())
        tokens = OrgTokens(
            db=self._db,
            box=self._box,
            clock=self._clock,
            http=self._http,
            settings=self._settings,
            tenant_id=row["tenant_id"],
            row_id=row["id"],
            lock=lock,
        )
        return SalesforceClient(
            http=self._http,
            instance_url=row["instance_url"],
            api_version=self._settings.api_version,
            tokens=tokens,
        )

    async def disconnect(self, tenant_id: str, row_id: str) -> None:
        """Revoke the tokens at Salesforce (best effort: an org may be gone) and forget them."""
        row = await self.row(tenant_id, row_id)
        if row["refresh_token_enc"]:
            refresh = self._box.decrypt(row["refresh_token_enc"], refresh_context(row_id))
            try:
                resp = await send(
                    self._http,
                    "POST",
                    f"{row['instance_url']}/services/oauth2/revoke",
                    data={"token": refresh},
                )
                if resp.status_code >= 400:
                    logger.info("%s salesforce revoke answered %d", row_id, resp.status_code)
            except SalesforceError:
                pass  # logged by send(); the org is forgotten all the same
        async with self._db.transaction() as tx:
            if not await store.delete_org_txn(tx, tenant_id, row_id):
                raise NotFound("Salesforce org")  # disconnected meanwhile
        self._certificates.forget(tenant_id, row_id)
        self._refresh_locks.pop(row_id, None)
        logger.info("%s - salesforce org disconnected", row_id)


class _FixedToken:
    """The token of a connect in progress (nothing stored yet, nothing to refresh)."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def access_token(self) -> str:
        return self._token

    async def refreshed(self, stale: str) -> str:
        raise ConnectFailed("invalid_session", "the new session was refused during discovery")
