"""Softphone sessions: an agent who signed in from the console stays signed in across
reloads of the framed softphone, with third-party cookies blocked.

A session is opened when the sign-in popup's callback has identified the agent
(``console_signin.py``); what the popup hands the framed page is a **ticket** (one use,
60 s). The page redeems it for the session's **secret**, kept in a partitioned cookie
(CHIPS: it lives in the console's partition, so it works where third-party cookies are
blocked), and trades the cookie for agent JWTs::

    popup callback ──open──> session row (ticket digest, refresh token sealed)
    framed page ──redeem(ticket)──> secret digest set, ticket spent ──> cookie + agent JWT
    framed page ──token(secret)──> SIVO-side checks every time; every REVALIDATE_S also
        Salesforce: refresh the user's access token at the org's own token endpoint, then
        userinfo at its instance (at most CHECK_TIMEOUT_S in all) ──> agent JWT
    framed page ──close(secret)──> revoked, the refresh token revoked at Salesforce

A refused grant, a user who is no longer an active agent of the org, or an org SIVO no
longer has ends the session (``SessionEnded``). Salesforce unreachable does not: the agent
keeps working until the absolute expiry, and the log says the check failed.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import httpx
from sqlalchemy.engine import RowMapping

from server.clock import Clock
from server.crypto import SecretBox, random_token, token_digest
from server.failures import Failure, Forbidden, NotFound, Unauthenticated
from server.ids import new_id
from server.schemas.telephony import AgentConfig
from server.store import salesforce as org_store
from server.store import softphone as store
from server.store.db import Database
from server.telephony.admin import TelephonyAdmin
from server.tokens import MAX_TTL_S, MintedToken, TokenService

from . import oauth
from .client import SalesforceError, error_of, send
from .config import SalesforceSettings
from .hosts import SalesforceHosts
from .signin import SalesforceSignIn

logger = logging.getLogger(__name__)

TICKET_TTL_S = 60.0
REVALIDATE_S = 300.0  # how often Salesforce is asked again whether the user still may
CHECK_TIMEOUT_S = 3.0  # the most a token request waits for Salesforce
# What Salesforce's token endpoint answers for a grant that will never work again (Help
# "OAuth 2.0 Web Server Flow", error codes).
_DEAD_GRANT = frozenset({"invalid_grant", "inactive_user", "inactive_org", "invalid_client_id"})

ENDED = {
    "salesforce_grant_revoked": "Salesforce ended your sign-in (it was revoked, or it expired).",
    "salesforce_token_refused": "Salesforce no longer accepts your sign-in.",
    "no_agent": "Your Salesforce user is no longer a SIVO agent of this org.",
    "inactive_user": "Your Salesforce user is inactive.",
    "user_changed": "Your Salesforce user now maps to another SIVO agent.",
    "org_disconnected": "This Salesforce org is no longer connected to SIVO.",
    "other_user": "Another Salesforce user is signed in to this console.",
}


def refresh_context(session_id: str) -> str:
    return f"softphone-refresh:{session_id}"


class SessionEnded(Unauthenticated):
    """The session is over for good (``reason`` says why); the agent signs in again."""

    def __init__(self, reason: str) -> None:
        what = ENDED.get(reason, "Your sign-in ended.")
        super().__init__("salesforce_session_ended", f"{what} Sign in with Salesforce again.")
        self.reason = reason


class NoSession(Unauthenticated):
    def __init__(self) -> None:
        super().__init__("no_session", "not signed in (or the sign-in expired): sign in again")


class _GrantRefused(Exception):
    def __init__(self, sf_code: str) -> None:
        super().__init__(sf_code)
        self.sf_code = sf_code


@dataclass(frozen=True)
class SoftphoneSignIn:
    """An agent JWT for a session."""

    minted: MintedToken
    agent: AgentConfig
    tenant_id: str
    session_expires_at: float


class SoftphoneSessions:
    def __init__(
        self,
        *,
        db: Database,
        box: SecretBox,
        clock: Clock,
        http: httpx.AsyncClient,
        settings: SalesforceSettings,
        telephony: TelephonyAdmin,
        tokens: TokenService,
        sign_in: SalesforceSignIn,
    ) -> None:
        self._db = db
        self._box = box
        self._clock = clock
        self._http = http
        self._settings = settings
        self._telephony = telephony
        self._tokens = tokens
        self._sign_in = sign_in
        self._hosts = SalesforceHosts(settings.login_url, settings.sandbox_login_url)
        self._checks: dict[str, asyncio.Lock] = {}  # one Salesforce check per session at once

    async def open(
        self, org: RowMapping, *, agent_id: str, sf_user_id: str, refresh_token: str | None
    ) -> str:
        """A new session for an identified agent; returns its ticket (one use, 60 s)."""
        now = self._clock.now()
        session_id = new_id("sps", now)
        ticket = random_token(32)
        sealed = (
            self._box.encrypt(refresh_token, refresh_context(session_id)) if refresh_token else None
        )
        async with self._db.transaction() as tx:
            await store.purge_sessions_txn(tx, now)
            await store.insert_session_txn(
                tx,
                {
                    "id": session_id,
                    "tenant_id": org["tenant_id"],
                    "org_row_id": org["id"],
                    "agent_id": agent_id,
                    "sf_user_id": sf_user_id,
                    "refresh_token_enc": sealed,
                    "ticket_digest": token_digest(ticket),
                    "ticket_expires_at": now + TICKET_TTL_S,
                    "created_at": now,
                    "last_used_at": now,
                    "validated_at": now,
                    "expires_at": now + self._settings.softphone_session_ttl_s,
                },
            )
        if not refresh_token:
            logger.warning(
                "%s no refresh token granted: Salesforce cannot end this session early", session_id
            )
        logger.info("%s + softphone session for agent %s (org %s)", session_id, agent_id, org["id"])
        return ticket

    async def redeem(self, ticket: str) -> tuple[str, SoftphoneSignIn]:
        """The secret for the ticket's session cookie, and a JWT; the ticket is spent."""
        secret = random_token(32)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            row = await store.redeem_ticket_txn(tx, token_digest(ticket), token_digest(secret), now)
        if row is None:
            raise Unauthenticated(
                "invalid_ticket",
                "This sign-in was used already or is older than a minute. Sign in again.",
            )
        logger.info("%s softphone session ticket redeemed", row["id"])
        return secret, await self._signed(row, now)

    async def token(self, secret: str, *, console_user_id: str | None = None) -> SoftphoneSignIn:
        """A fresh agent JWT for the cookie's session, checked as the module says.

        ``console_user_id``: the Salesforce user the console itself names (a shared
        workstation: agent A signed out of Salesforce, B signed in). Another user than the
        session's ends the session, so that B never gets A's softphone.
        """
        row = await self._live(secret)
        if console_user_id is not None and console_user_id[:15] != str(row["sf_user_id"])[:15]:
            raise await self._ended(row, "other_user", revoke=True)
        now = self._clock.now()
        if now - row["validated_at"] >= REVALIDATE_S:
            lock = self._checks.setdefault(row["id"], asyncio.Lock())
            async with lock:
                row = await self._live(secret)  # another request may have checked meanwhile
                if now - row["validated_at"] >= REVALIDATE_S:
                    await self._revalidate(row, now)
            if not lock.locked():
                self._checks.pop(row["id"], None)
        return await self._signed(row, now)

    async def close(self, secret: str) -> None:
        """Sign out: the session ends and its Salesforce grant is revoked (best effort)."""
        async with self._db.read() as conn:
            row = await store.session_by_secret(conn, token_digest(secret))
        if row is None or row["revoked_at"] is not None:
            return
        await self._end(row, "signed_out", revoke=True)

    # -- checks -------------------------------------------------------------------------

    async def _live(self, secret: str) -> RowMapping:
        if not secret:
            raise NoSession()
        async with self._db.read() as conn:
            row = await store.session_by_secret(conn, token_digest(secret))
        if row is None or row["revoked_at"] is not None:
            raise NoSession()
        if row["expires_at"] <= self._clock.now():
            await self._end(row, "expired", revoke=True)
            raise NoSession()
        return row

    async def _org(self, row: RowMapping) -> RowMapping:
        async with self._db.read() as conn:
            org = await org_store.get_org(conn, row["tenant_id"], row["org_row_id"])
        if org is None:
            raise await self._ended(row, "org_disconnected", revoke=False)
        return org

    async def _signed(self, row: RowMapping, now: float) -> SoftphoneSignIn:
        """SIVO's side, on every request: the org, the user's mapping, the agent; then a JWT
        that outlives neither the hour nor the session."""
        await self._org(row)
        async with self._db.read() as conn:
            user = await org_store.org_user(
                conn, row["tenant_id"], row["org_row_id"], row["sf_user_id"]
            )
        if user is None or user["agent_id"] != row["agent_id"]:
            raise await self._ended(row, "no_agent" if user is None else "user_changed")
        if not user["is_active"]:
            raise await self._ended(row, "inactive_user")
        try:
            agent = await self._telephony.agent(row["tenant_id"], row["agent_id"])
        except NotFound:
            raise await self._ended(row, "no_agent") from None
        ttl = min(MAX_TTL_S, int(row["expires_at"] - now))
        if ttl <= 0:
            raise NoSession()
        minted = await self._tokens.mint(agent_id=agent.id, tenant_id=row["tenant_id"], ttl_s=ttl)
        async with self._db.transaction() as tx:
            await store.update_session_txn(tx, row["tenant_id"], row["id"], {"last_used_at": now})
        return SoftphoneSignIn(minted, agent, row["tenant_id"], float(row["expires_at"]))

    async def _revalidate(self, row: RowMapping, now: float) -> None:
        """Ask Salesforce whether the user still may; end the session if not."""
        org = await self._org(row)
        if not row["refresh_token_enc"]:
            await self._checked(row, now, None)  # nothing to ask Salesforce with
            return
        refresh = self._box.decrypt(row["refresh_token_enc"], refresh_context(row["id"]))
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_S):
                access, rotated = await self._refresh(org, refresh)
                user_id, agent = await self._sign_in.identify(org, access)
        except _GrantRefused as refused:
            logger.info("%s x salesforce refused the grant (%s)", row["id"], refused.sf_code)
            raise await self._ended(row, "salesforce_grant_revoked", revoke=False) from None
        except (SalesforceError, TimeoutError, ValueError) as exc:  # ValueError: not JSON
            logger.warning(
                "%s ! salesforce check failed (%s): session kept until %s",
                row["id"],
                type(exc).__name__,
                int(row["expires_at"]),
            )
            return
        except Forbidden as refused:
            raise await self._ended(row, refused.code) from None
        except Unauthenticated:
            raise await self._ended(row, "salesforce_token_refused") from None
        if user_id != row["sf_user_id"] or agent.id != row["agent_id"]:
            raise await self._ended(row, "user_changed")
        await self._checked(row, now, rotated)

    async def _checked(self, row: RowMapping, now: float, rotated: str | None) -> None:
        values: dict[str, object] = {"validated_at": now}
        if rotated:  # the app rotates refresh tokens: keep the new one
            values["refresh_token_enc"] = self._box.encrypt(rotated, refresh_context(row["id"]))
        async with self._db.transaction() as tx:
            await store.update_session_txn(tx, row["tenant_id"], row["id"], values)
        logger.info("%s ~ softphone session checked with salesforce", row["id"])

    async def _refresh(self, org: RowMapping, refresh: str) -> tuple[str, str | None]:
        """A new access token for the user, from the org's own token endpoint."""
        url = f"{org['instance_url']}/services/oauth2/token"
        if not self._hosts.trusted(url):
            raise SalesforceError(0, "UNTRUSTED_HOST", "the org's instance is not trusted")
        form = oauth.refresh_form(
            refresh_token=refresh,
            client_id=self._settings.client_id,
            client_secret=self._settings.client_secret,
        )
        resp = await send(self._http, "POST", url, data=form)
        if resp.status_code >= 400:
            failure = error_of(resp)
            if resp.status_code < 500 and failure.sf_code in _DEAD_GRANT:
                raise _GrantRefused(failure.sf_code)
            raise failure
        tokens = oauth.TokenResponse.model_validate(resp.json())
        return tokens.access_token, tokens.refresh_token

    # -- ending -------------------------------------------------------------------------

    async def _ended(self, row: RowMapping, reason: str, *, revoke: bool = True) -> Failure:
        await self._end(row, reason, revoke=revoke)
        return SessionEnded(reason)

    async def _end(self, row: RowMapping, reason: str, *, revoke: bool) -> None:
        async with self._db.transaction() as tx:
            ended = await store.end_session_txn(
                tx, row["tenant_id"], row["id"], self._clock.now(), reason
            )
        if not ended:
            return  # ended meanwhile
        logger.info("%s - softphone session ended: %s", row["id"], reason)
        if revoke and row["refresh_token_enc"]:
            refresh = self._box.decrypt(row["refresh_token_enc"], refresh_context(row["id"]))
            await self._revoke(row, refresh)

    async def _revoke(self, row: RowMapping, refresh: str) -> None:
        """Revoke the user's grant at the org (which revokes its access tokens too)."""
        async with self._db.read() as conn:
            org = await org_store.get_org(conn, row["tenant_id"], row["org_row_id"])
        if org is None:
            return
        url = f"{org['instance_url']}/services/oauth2/revoke"
        if not self._hosts.trusted(url):
            return
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_S):
                resp = await send(self._http, "POST", url, data={"token": refresh})
            if resp.status_code >= 400:
                logger.info("%s salesforce revoke answered %d", row["id"], resp.status_code)
        except (SalesforceError, TimeoutError):
            logger.info("%s salesforce revoke failed; the grant ends on its own", row["id"])
