"""``/api/v1/salesforce/orgs``: connected orgs, their discovery, users and SCRT2 keys.

Connecting happens in the browser (``/admin/salesforce/connect``, see
``server/dashboard/salesforce.py``): OAuth needs the admin's Salesforce login.
"""

from __future__ import annotations

from aiohttp import web

from server.schemas.salesforce import (
    AgentsCreated,
    AgentsFromUsers,
    AgentSignIn,
    ImportResult,
    OrgKey,
    OrgKeyList,
    SalesforceConfig,
    SalesforceExchange,
    SalesforceOrg,
    SalesforceOrgList,
    SalesforceOrgUpdate,
    SalesforceUserList,
)
from server.times import rfc3339

from .context import services, tenant_id
from .contract import Contract
from .telephony import with_presence

orgs = Contract(tag="Salesforce orgs")
sign_in = Contract(tag="Agent sign-in")
BASE = "/api/v1/salesforce/orgs"


def _org_id(request: web.Request) -> str:
    return request.match_info["id"]


@orgs.get(
    "/api/v1/salesforce/config", response=SalesforceConfig, summary="Can this SIVO connect orgs?"
)
async def salesforce_config(request: web.Request) -> SalesforceConfig:
    """`callback_url` is what SIVO's External Client App must register, exactly."""
    svc = services(request)
    return SalesforceConfig(
        configured=bool(svc.settings.salesforce.client_id),
        callback_url=svc.salesforce.orgs.redirect_uri,
    )


@orgs.get(BASE, response=SalesforceOrgList, summary="List connected Salesforce orgs")
async def list_salesforce_orgs(request: web.Request) -> SalesforceOrgList:
    """Each with what discovery found and how; `status` is `needs_reconnect` when Salesforce
    refused its refresh token (work for it waits until the admin connects it again)."""
    return SalesforceOrgList(data=await services(request).salesforce.orgs.list(tenant_id(request)))


@orgs.get(f"{BASE}/{{id}}", response=SalesforceOrg, summary="Get a connected org")
async def get_salesforce_org(request: web.Request) -> SalesforceOrg:
    return await services(request).salesforce.orgs.get(tenant_id(request), _org_id(request))


@orgs.patch(
    f"{BASE}/{{id}}",
    body=SalesforceOrgUpdate,
    response=SalesforceOrg,
    summary="Choose the call center, override the SCRT2 base URL",
)
async def update_salesforce_org(request: web.Request, body: SalesforceOrgUpdate) -> SalesforceOrg:
    return await services(request).salesforce.orgs.update(
        tenant_id(request), _org_id(request), body
    )


@orgs.post(
    f"{BASE}/{{id}}/discover",
    response=SalesforceOrg,
    summary="Read the org's settings again",
    errors=(409, 502),
)
async def rediscover_salesforce_org(request: web.Request) -> SalesforceOrg:
    """Discovery again with the stored tokens, e.g. after the call center was imported; the
    chosen call center (if it still exists) and an SCRT2 override stay."""
    return await services(request).salesforce.orgs.rediscover(tenant_id(request), _org_id(request))


@orgs.delete(f"{BASE}/{{id}}", summary="Disconnect an org")
async def disconnect_salesforce_org(request: web.Request) -> None:
    """Revokes SIVO's tokens at Salesforce and forgets them, the user mapping and the keys."""
    await services(request).salesforce.orgs.disconnect(tenant_id(request), _org_id(request))


@orgs.post(
    f"{BASE}/{{id}}/users/import",
    response=ImportResult,
    summary="Import the org's active users and match them to agents by email",
    errors=(409, 502),
)
async def import_salesforce_users(request: web.Request) -> ImportResult:
    """Idempotent. Links made before are kept; users no longer active are flagged."""
    return await services(request).salesforce.users.import_users(
        tenant_id(request), _org_id(request)
    )


@orgs.get(
    f"{BASE}/{{id}}/users", response=SalesforceUserList, summary="The org's users and their agents"
)
async def list_salesforce_users(request: web.Request) -> SalesforceUserList:
    users = await services(request).salesforce.users.users(tenant_id(request), _org_id(request))
    return SalesforceUserList(data=users)


@orgs.post(
    f"{BASE}/{{id}}/users/agents",
    body=AgentsFromUsers,
    response=AgentsCreated,
    status=201,
    summary="Create agents for unmatched users",
)
async def create_agents_from_salesforce_users(
    request: web.Request, body: AgentsFromUsers
) -> AgentsCreated:
    """One agent per user (its name and email, the next free extension from 100), in the
    given queues, linked to the user."""
    return await services(request).salesforce.users.create_agents(
        tenant_id(request), _org_id(request), body
    )


@orgs.get(f"{BASE}/{{id}}/keys", response=OrgKeyList, summary="The org's SCRT2 certificates")
async def list_salesforce_org_keys(request: web.Request) -> OrgKeyList:
    svc = services(request).salesforce
    await svc.orgs.row(tenant_id(request), _org_id(request))
    return OrgKeyList(data=await svc.certificates.list(tenant_id(request), _org_id(request)))


@orgs.post(
    f"{BASE}/{{id}}/keys",
    response=OrgKey,
    status=201,
    summary="Stage a new SCRT2 key (pending until activated)",
)
async def stage_salesforce_org_key(request: web.Request) -> OrgKey:
    """Install its certificate in the call center, then activate it; the active key signs
    until then."""
    svc = services(request).salesforce
    row = await svc.orgs.row(tenant_id(request), _org_id(request))
    return await svc.certificates.stage(tenant_id(request), row["id"], row["org_id15"])


@orgs.post(
    f"{BASE}/{{id}}/keys/{{kid}}/activate",
    response=OrgKey,
    summary="Activate a pending SCRT2 key",
    errors=(409,),
)
async def activate_salesforce_org_key(request: web.Request) -> OrgKey:
    svc = services(request).salesforce
    await svc.orgs.row(tenant_id(request), _org_id(request))
    return await svc.certificates.activate(
        tenant_id(request), _org_id(request), request.match_info["kid"]
    )


@orgs.get(
    f"{BASE}/{{id}}/call-center.xml",
    media_type="application/xml",
    summary="The call center definition to import in the org",
)
async def salesforce_call_center_definition(request: web.Request) -> web.Response:
    """Import it in Setup → Call Centers → Import: SIVO's softphone as the adapter URL and
    the org's active SCRT2 certificate. Render it again after activating a new key."""
    xml = await services(request).salesforce.orgs.call_center_xml(
        tenant_id(request), _org_id(request)
    )
    return web.Response(
        text=xml,
        content_type="application/xml",
        headers={"Content-Disposition": 'attachment; filename="SIVO_CallCenter.xml"'},
    )


@sign_in.post(
    "/api/v1/auth/salesforce/exchange",
    body=SalesforceExchange,
    response=AgentSignIn,
    auth="public",
    summary="Exchange a Salesforce access token for an agent token",
    errors=(401, 403, 404, 502),
)
async def exchange_salesforce_token(request: web.Request, body: SalesforceExchange) -> AgentSignIn:
    """No SIVO credential: the Salesforce token is the credential. SIVO asks the connected
    org's own instance who it belongs to (OpenID Connect userinfo). 401
    `invalid_salesforce_token`: invalid, expired, revoked, or of another org; 403 `no_agent`
    or `inactive_user`: the user maps to no active agent; 404: SIVO knows no such org."""
    svc = services(request)
    signed = await svc.salesforce.sign_in.exchange(body.org_id, body.access_token)
    return AgentSignIn(
        token=signed.minted.token,
        expires_at=rfc3339(signed.minted.expires_at),
        agent=with_presence(request, signed.tenant_id, signed.agent),
    )
