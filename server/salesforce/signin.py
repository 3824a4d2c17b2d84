"""An agent signed in to Salesforce gets a SIVO agent token: no second login.

The client holds a Salesforce access token for its org (the softphone's popup, or any
integration). SIVO asks **the connected org's own instance** who that token belongs to
(OpenID Connect userinfo, reference §5) — never a host the client names — and issues the
ordinary agent JWT when the answer is a user of that very org, mapped to an active agent of
the org's tenant. Every refusal says which of those failed, and nothing else is revealed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx
from sqlalchemy.engine import RowMapping

from server.failures import Forbidden, NotFound, Unauthenticated
from server.schemas.telephony import AgentConfig
from server.store import salesforce as store
from server.store.db import Database
from server.telephony.admin import TelephonyAdmin
from server.tokens import MintedToken, TokenService

from .client import SalesforceError, send

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignedIn:
    minted: MintedToken
    agent: AgentConfig
    tenant_id: str


class SalesforceSignIn:
    def __init__(
        self,
        *,
        db: Database,
        http: httpx.AsyncClient,
        telephony: TelephonyAdmin,
        tokens: TokenService,
    ) -> None:
        self._db = db
        self._http = http
        self._telephony = telephony
        self._tokens = tokens

    async def exchange(self, org_id: str, access_token: str) -> SignedIn:
        async with self._db.read() as conn:
            org = await store.org_by_any_id(conn, org_id)
        if org is None:
            raise NotFound("Salesforce org")
        _, agent = await self.identify(org, access_token)
        minted = await self._tokens.mint(agent_id=agent.id, tenant_id=org["tenant_id"])
        logger.info("%s: agent %s signed in through Salesforce", org["id"], agent.id)
        return SignedIn(minted=minted, agent=agent, tenant_id=org["tenant_id"])

    async def identify(self, org: RowMapping, access_token: str) -> tuple[str, AgentConfig]:
        """The Salesforce user id holding ``access_token`` at the org's own instance, and the
        active agent of the org's tenant it maps to (also used by the console sign-in).

        Raises:
            Unauthenticated: ``invalid_salesforce_token`` (refused, or of another org).
            Forbidden: ``no_agent`` or ``inactive_user``.
            SalesforceError: the org could not be reached (a 502).
        """
        user = await self._userinfo(org["instance_url"], access_token)
        if user.get("organization_id") != org["org_id"]:
            logger.info("%s x sign-in with a token of another org", org["id"])
            raise Unauthenticated("invalid_salesforce_token", "the token is not of this org")
        if user.get("active") is False:  # userinfo's own answer (reference §4.3)
            raise Forbidden("inactive_user", "this Salesforce user is inactive")
        user_id = str(user.get("user_id", ""))
        return user_id, await self._agent(org["tenant_id"], org["id"], user_id)

    async def _userinfo(self, instance_url: str, access_token: str) -> dict[str, object]:
        headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
        url = f"{instance_url}/services/oauth2/userinfo"
        resp = await send(self._http, "GET", url, headers=headers)  # unreachable: a 502
        if resp.status_code in (401, 403):
            raise Unauthenticated(
                "invalid_salesforce_token",
                "Salesforce did not accept the token (invalid, expired or revoked)",
            )
        if resp.status_code >= 400:
            raise SalesforceError(resp.status_code, "USERINFO_FAILED", resp.text[:200])
        body = resp.json()
        if not isinstance(body, dict):
            raise SalesforceError(resp.status_code, "USERINFO_FAILED", "not a JSON object")
        return body

    async def _agent(self, tenant_id: str, org_row_id: str, user_id: str) -> AgentConfig:
        async with self._db.read() as conn:
            row = await store.org_user(conn, tenant_id, org_row_id, user_id)
        if row is None or row["agent_id"] is None:
            raise Forbidden("no_agent", "this Salesforce user is not a SIVO agent of the org")
        if not row["is_active"]:
            raise Forbidden("inactive_user", "this Salesforce user is inactive")
        try:
            return await self._telephony.agent(tenant_id, row["agent_id"])
        except NotFound as exc:
            raise Forbidden("no_agent", "the agent this user maps to no longer exists") from exc
