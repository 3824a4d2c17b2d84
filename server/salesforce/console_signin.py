"""An agent signs in to the softphone in the Salesforce console: no token to paste, no SIVO
password (reference §5). The OAuth 2.0 web-server flow with PKCE, in a popup::

    framed softphone ──window.open──> GET /softphone/salesforce/signin?org=<org>
        begin: a state of kind "agent" (the org, its tenant, a PKCE verifier; one use,
        10 minutes), then a page that moves on to the org's own authorize URL (its My
        Domain: the agent's Salesforce session applies; consent is asked the first time)
    Salesforce ──302 {public_url}/salesforce?autoConnect=1&code&state──> finish (the callback
        admins' Connect uses too, which dispatches on the state's kind): the state taken,
        the code redeemed at the org's own token endpoint, the user identified by userinfo
        at the org's instance (SalesforceSignIn.identify: same org, an active agent of the
        org's tenant), a softphone session opened; its ticket goes to the opener

Hosts come from the org's stored row, never from a token response or the client.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import httpx
from sqlalchemy.engine import RowMapping

from server.clock import Clock
from server.crypto import SecretBox, random_token, token_digest
from server.failures import Failure
from server.store import salesforce as org_store
from server.store import softphone as store
from server.store.db import Database

from . import oauth
from .client import SalesforceError, error_of, send
from .config import SalesforceSettings
from .hosts import SalesforceHosts
from .orgs import CALLBACK_PATH, verifier_context
from .signin import SalesforceSignIn
from .softphone_sessions import SoftphoneSessions

logger = logging.getLogger(__name__)

AGENT = "agent"
# Who the user is (openid: userinfo) and a refresh token to ask again later; no data access.
AGENT_SCOPES = "openid refresh_token"


class SignInFailed(Failure):
    """The popup's flow ended without a session: ``code`` is Salesforce's or SIVO's."""

    def __init__(self, code: str, detail: str = "", *, status: int = 400) -> None:
        super().__init__(code, detail or code)
        self.detail = detail
        self.status = status


class ConsoleSignIn:
    def __init__(
        self,
        *,
        db: Database,
        box: SecretBox,
        clock: Clock,
        http: httpx.AsyncClient,
        settings: SalesforceSettings,
        public_url: str,
        sign_in: SalesforceSignIn,
        sessions: SoftphoneSessions,
    ) -> None:
        self._db = db
        self._box = box
        self._clock = clock
        self._http = http
        self._settings = settings
        self._sign_in = sign_in
        self._sessions = sessions
        self._hosts = SalesforceHosts(settings.login_url, settings.sandbox_login_url)
        self.redirect_uri = f"{public_url}{CALLBACK_PATH}?autoConnect=1"

    async def begin(self, org_ref: str) -> str:
        """The org's authorize URL for an agent of ``org_ref`` (SIVO's id, or the org id)."""
        if not self._settings.client_id:
            raise SignInFailed("not_configured", status=503)
        org = await self._org_by_ref(org_ref)
        instance = org["instance_url"]
        if not self._hosts.trusted(instance):
            logger.warning("%s x instance %s is not a Salesforce host", org["id"], instance)
            raise SignInFailed("untrusted_host", status=502)
        state, verifier, now = random_token(32), oauth.new_verifier(), self._clock.now()
        digest = token_digest(state)
        async with self._db.transaction() as tx:
            await org_store.purge_states_txn(tx, now)
            await org_store.insert_state_txn(
                tx,
                {
                    "digest": digest,
                    "kind": AGENT,
                    "tenant_id": org["tenant_id"],
                    "org_row_id": org["id"],
                    "verifier_enc": self._box.encrypt(verifier, verifier_context(digest)),
                    "login_url": instance,
                    "environment": org["environment"],
                    "created_at": now,
                    "expires_at": now + oauth.STATE_TTL_S,
                },
            )
        logger.info("%s agent sign-in started", org["id"])
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self._settings.client_id,
                "redirect_uri": self.redirect_uri,
                "scope": AGENT_SCOPES,
                "state": state,
                "code_challenge": oauth.challenge(verifier),
                "code_challenge_method": "S256",
            }
        )
        return f"{instance}/services/oauth2/authorize?{query}"

    async def kind_of(self, state: str) -> str | None:
        """``agent`` or ``admin`` for a pending state (not taken), None for an unknown one."""
        if not state or len(state) > 200:
            return None
        async with self._db.read() as conn:
            return await store.state_kind(conn, token_digest(state))

    async def abandon(self, state: str) -> None:
        """Salesforce answered with an error: the state is spent all the same."""
        async with self._db.transaction() as tx:
            await org_store.take_state_txn(tx, token_digest(state))

    async def finish(self, code: str, state: str) -> str:
        """The ticket of a new softphone session for the agent who approved.

        Raises:
            SignInFailed: the state, the code or the org (``invalid_state``, Salesforce's
                ``error``, ``unknown_org``, ``unreachable``).
            Unauthenticated, Forbidden, SalesforceError: as SalesforceSignIn.identify.
        """
        digest = token_digest(state)
        async with self._db.transaction() as tx:
            pending = await org_store.take_state_txn(tx, digest)
        if pending is None or pending["kind"] != AGENT or pending["expires_at"] < self._clock.now():
            raise SignInFailed("invalid_state")
        async with self._db.read() as conn:
            org = await org_store.get_org(conn, pending["tenant_id"], pending["org_row_id"])
        if org is None:
            raise SignInFailed("unknown_org", status=404)
        verifier = self._box.decrypt(pending["verifier_enc"], verifier_context(digest))
        tokens = await self._redeem(org, code, verifier)
        try:
            user_id, agent = await self._sign_in.identify(org, tokens.access_token)
        except Failure:
            await self._forget(org, tokens)
            raise
        logger.info("%s agent %s identified through Salesforce", org["id"], agent.id)
        return await self._sessions.open(
            org, agent_id=agent.id, sf_user_id=user_id, refresh_token=tokens.refresh_token
        )

    async def _org_by_ref(self, org_ref: str) -> RowMapping:
        org = None
        if 0 < len(org_ref) <= 40:
            async with self._db.read() as conn:
                org = await org_store.org_by_any_id(conn, org_ref)
        if org is None:
            raise SignInFailed("unknown_org", status=404)
        return org

    async def _redeem(self, org: RowMapping, code: str, verifier: str) -> oauth.TokenResponse:
        """The code for tokens at the org's own token endpoint (the host that issued it)."""
        form = oauth.code_form(
            code=code,
            client_id=self._settings.client_id,
            client_secret=self._settings.client_secret,
            redirect_uri=self.redirect_uri,
            verifier=verifier,
        )
        url = f"{org['instance_url']}/services/oauth2/token"
        try:
            resp = await send(self._http, "POST", url, data=form)
        except SalesforceError as exc:
            raise SignInFailed("unreachable", exc.detail, status=502) from exc
        if resp.status_code >= 400:
            failure = error_of(resp)
            logger.info("%s x agent sign-in: code refused (%s)", org["id"], failure.sf_code)
            raise SignInFailed(failure.sf_code, failure.detail)
        try:
            return oauth.TokenResponse.model_validate(resp.json())
        except ValueError as exc:  # not JSON, or not a token response
            raise SignInFailed("salesforce_error", "not a token response", status=502) from exc

    async def _forget(self, org: RowMapping, tokens: oauth.TokenResponse) -> None:
        """Revoke a grant SIVO will not use (the user was refused), best effort."""
        token = tokens.refresh_token or tokens.access_token
        try:
            await send(
                self._http,
                "POST",
                f"{org['instance_url']}/services/oauth2/revoke",
                data={"token": token},
            )
        except SalesforceError:
            pass  # logged by send(); the grant ends on its own
