"""``/api/v1/api-keys``: a tenant's API keys (the key itself is shown once, on create)."""

from __future__ import annotations

from aiohttp import web

from server.schemas.platform import ApiKeyCreate, ApiKeyList, NewApiKey

from .context import services, tenant_id
from .contract import Contract

keys = Contract(tag="API keys")


@keys.post(
    "/api/v1/api-keys",
    body=ApiKeyCreate,
    body_required=False,
    response=NewApiKey,
    status=201,
    summary="Create an API key",
)
async def create_api_key(request: web.Request, body: ApiKeyCreate) -> NewApiKey:
    """The response holds the key, shown this once; SIVO keeps only its digest."""
    return await services(request).identity.create_api_key(tenant_id(request), body.name)


@keys.get("/api/v1/api-keys", response=ApiKeyList, summary="List API keys")
async def list_api_keys(request: web.Request) -> ApiKeyList:
    return ApiKeyList(data=await services(request).identity.list_api_keys(tenant_id(request)))


@keys.delete("/api/v1/api-keys/{id}", summary="Revoke an API key")
async def revoke_api_key(request: web.Request) -> None:
    """Requests with it are refused (401) from now on."""
    await services(request).identity.revoke_api_key(tenant_id(request), request.match_info["id"])
