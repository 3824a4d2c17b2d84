"""``/api/v1``: agents, queues, numbers, telephony settings and agent tokens.

Thin: the contract parsed the request into its model and renders the model returned; the
handlers only pick the tenant and delegate.
"""

from __future__ import annotations

from aiohttp import web

from server.schemas.telephony import (
    Agent,
    AgentConfig,
    AgentCreate,
    AgentList,
    AgentToken,
    AgentUpdate,
    Number,
    NumberCreate,
    NumberList,
    NumberUpdate,
    Queue,
    QueueCreate,
    QueueList,
    QueueUpdate,
    SettingsUpdate,
    TelephonySettings,
    TokenRequest,
)
from server.times import rfc3339

from .context import services, tenant_id
from .contract import Contract

agents = Contract(tag="Agents")
queues = Contract(tag="Queues")
numbers = Contract(tag="Numbers")
settings = Contract(tag="Telephony settings")
CONTRACTS = (agents, queues, numbers, settings)


def with_presence(request: web.Request, tenant: str, config: AgentConfig) -> Agent:
    presence = services(request).calls.presence_of(tenant, config.id)
    return Agent(**config.model_dump(), **presence)


def _with_presence(request: web.Request, config: AgentConfig) -> Agent:
    return with_presence(request, tenant_id(request), config)


# -- agents ----------------------------------------------------------------------------------


@agents.post(
    "/api/v1/agents",
    body=AgentCreate,
    response=Agent,
    status=201,
    summary="Create an agent",
    errors=(409,),
)
async def create_agent(request: web.Request, body: AgentCreate) -> Agent:
    """Email and extension are unique within the tenant (409 otherwise); every queue id
    must name one of the tenant's queues (422, field `queue_ids`)."""
    config = await services(request).telephony.create_agent(tenant_id(request), body)
    return _with_presence(request, config)


@agents.get("/api/v1/agents", response=AgentList, summary="List agents with their presence")
async def list_agents(request: web.Request) -> AgentList:
    configs = await services(request).telephony.agents(tenant_id(request))
    return AgentList(data=[_with_presence(request, c) for c in configs])


@agents.get("/api/v1/agents/{id}", response=Agent, summary="Get an agent")
async def get_agent(request: web.Request) -> Agent:
    config = await services(request).telephony.agent(tenant_id(request), request.match_info["id"])
    return _with_presence(request, config)


@agents.patch(
    "/api/v1/agents/{id}",
    body=AgentUpdate,
    response=Agent,
    summary="Change an agent",
    errors=(409,),
)
async def update_agent(request: web.Request, body: AgentUpdate) -> Agent:
    """A connected softphone sees the new queues at once."""
    config = await services(request).telephony.update_agent(
        tenant_id(request), request.match_info["id"], body
    )
    return _with_presence(request, config)


@agents.delete("/api/v1/agents/{id}", summary="Delete an agent")
async def delete_agent(request: web.Request) -> None:
    """Its softphone session, if any, is signed out."""
    await services(request).telephony.delete("agents", tenant_id(request), request.match_info["id"])


@agents.post(
    "/api/v1/agents/{id}/tokens",
    body=TokenRequest,
    body_required=False,
    response=AgentToken,
    status=201,
    summary="Mint a softphone token for an agent",
)
async def mint_agent_token(request: web.Request, body: TokenRequest) -> AgentToken:
    """For deployments where the Salesforce sign-in is not set up. Hand the token to the
    softphone in the URL fragment (`/softphone/#token=…`), never in a query string."""
    svc = services(request)
    agent = await svc.telephony.agent(tenant_id(request), request.match_info["id"])
    minted = await svc.tokens.mint(
        agent_id=agent.id, tenant_id=tenant_id(request), ttl_s=body.ttl_s
    )
    return AgentToken(
        token=minted.token,
        kid=minted.kid,
        agent_id=agent.id,
        expires_at=rfc3339(minted.expires_at),
    )


# -- queues ----------------------------------------------------------------------------------


@queues.post(
    "/api/v1/queues", body=QueueCreate, response=Queue, status=201, summary="Create a queue"
)
async def create_queue(request: web.Request, body: QueueCreate) -> Queue:
    return await services(request).telephony.create_queue(tenant_id(request), body)


@queues.get("/api/v1/queues", response=QueueList, summary="List queues")
async def list_queues(request: web.Request) -> QueueList:
    return QueueList(data=await services(request).telephony.queues(tenant_id(request)))


@queues.get("/api/v1/queues/{id}", response=Queue, summary="Get a queue")
async def get_queue(request: web.Request) -> Queue:
    return await services(request).telephony.queue(tenant_id(request), request.match_info["id"])


@queues.patch("/api/v1/queues/{id}", body=QueueUpdate, response=Queue, summary="Change a queue")
async def update_queue(request: web.Request, body: QueueUpdate) -> Queue:
    """Calls already waiting keep their place; new settings apply to what happens next."""
    return await services(request).telephony.update_queue(
        tenant_id(request), request.match_info["id"], body
    )


@queues.delete("/api/v1/queues/{id}", summary="Delete a queue", errors=(409,))
async def delete_queue(request: web.Request) -> None:
    """Refused with 409 `queue_in_use` while a number or another queue's overflow uses it."""
    await services(request).telephony.delete("queues", tenant_id(request), request.match_info["id"])


# -- numbers ---------------------------------------------------------------------------------


@numbers.post(
    "/api/v1/numbers",
    body=NumberCreate,
    response=Number,
    status=201,
    summary="Register a phone number",
    errors=(409,),
)
async def create_number(request: web.Request, body: NumberCreate) -> Number:
    """A number is unique across tenants (409 when registered already)."""
    return await services(request).telephony.create_number(tenant_id(request), body)


@numbers.get("/api/v1/numbers", response=NumberList, summary="List phone numbers")
async def list_numbers(request: web.Request) -> NumberList:
    return NumberList(data=await services(request).telephony.numbers(tenant_id(request)))


@numbers.get("/api/v1/numbers/{id}", response=Number, summary="Get a phone number")
async def get_number(request: web.Request) -> Number:
    return await services(request).telephony.number(tenant_id(request), request.match_info["id"])


@numbers.patch(
    "/api/v1/numbers/{id}", body=NumberUpdate, response=Number, summary="Change a phone number"
)
async def update_number(request: web.Request, body: NumberUpdate) -> Number:
    return await services(request).telephony.update_number(
        tenant_id(request), request.match_info["id"], body
    )


@numbers.delete("/api/v1/numbers/{id}", summary="Delete a phone number")
async def delete_number(request: web.Request) -> None:
    await services(request).telephony.delete(
        "phone_numbers", tenant_id(request), request.match_info["id"]
    )


# -- settings --------------------------------------------------------------------------------


@settings.get(
    "/api/v1/telephony/settings", response=TelephonySettings, summary="Get telephony settings"
)
async def get_telephony_settings(request: web.Request) -> TelephonySettings:
    return await services(request).telephony.settings(tenant_id(request))


@settings.put(
    "/api/v1/telephony/settings",
    body=SettingsUpdate,
    response=TelephonySettings,
    summary="Change telephony settings",
)
async def put_telephony_settings(request: web.Request, body: SettingsUpdate) -> TelephonySettings:
    """Fields left out keep their value. Connected softphones get the new pause reasons."""
    return await services(request).telephony.update_settings(tenant_id(request), body)
