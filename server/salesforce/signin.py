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
        user = await self._userinfo(org["instance_url"], access_token)
        if user.get("organization_id") != org["org_id"]:
            logger.info("%s x sign-in with a token of another org", org["id"])
            raise Unauthenticated("invalid_salesforce_token", "the token is not of this org")
        agent = await self._agent(org["tenant_id"], org["id"], str(user.get("user_id", "")))
        minted = await self._tokens.mint(agent_id=agent.id, tenant_id=org["tenant_id"])
        logger.info("%s: agent %s signed in through Salesforce", org["id"], agent.id)
        return SignedIn(minted=minted, agent=agent, tenant_id=org["tenant_id"])

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
