"""``/api/v1``: agents, queues, numbers, telephony settings, agent tokens, calls, recordings.

Thin: authenticate (the middleware set the tenant), read the body, delegate, render.
"""

from __future__ import annotations

from aiohttp import web

from server.errors import invalid, read_json_object
from server.times import rfc3339

from .context import services, tenant_id

routes = web.RouteTableDef()
BASE = "/api/v1"
_KINDS = {"agents": "agents", "queues": "queues", "numbers": "phone_numbers"}


def _table(request: web.Request) -> str:
    return _KINDS[request.match_info["kind"]]


_KIND = "{kind:agents|queues|numbers}"


@routes.post(f"{BASE}/{_KIND}")
async def create(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    admin = services(request).telephony
    create_fn = {
        "agents": admin.create_agent,
        "queues": admin.create_queue,
        "phone_numbers": admin.create_number,
    }[_table(request)]
    return web.json_response(await create_fn(tenant_id(request), body), status=201)


@routes.get(f"{BASE}/{_KIND}")
async def list_all(request: web.Request) -> web.Response:
    tenant = tenant_id(request)
    items = await services(request).telephony.list(_table(request), tenant)
    if _table(request) == "agents":
        presence = services(request).calls.presence_of
        items = [{**item, **presence(tenant, item["id"])} for item in items]
    return web.json_response({"data": items})


@routes.get(f"{BASE}/{_KIND}/{{id}}")
async def get_one(request: web.Request) -> web.Response:
    item = await services(request).telephony.get(
        _table(request), tenant_id(request), request.match_info["id"]
    )
    if _table(request) == "agents":
        item.update(services(request).calls.presence_of(tenant_id(request), item["id"]))
    return web.json_response(item)


@routes.patch(f"{BASE}/{_KIND}/{{id}}")
async def update(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    admin = services(request).telephony
    update_fn = {
        "agents": admin.update_agent,
        "queues": admin.update_queue,
        "phone_numbers": admin.update_number,
    }[_table(request)]
    return web.json_response(await update_fn(tenant_id(request), request.match_info["id"], body))


@routes.delete(f"{BASE}/{_KIND}/{{id}}")
async def delete(request: web.Request) -> web.Response:
    await services(request).telephony.delete(
        _table(request), tenant_id(request), request.match_info["id"]
    )
    return web.Response(status=204)


@routes.post(f"{BASE}/agents/{{id}}/tokens")
async def mint_token(request: web.Request) -> web.Response:
    """A softphone token for one agent (until the Salesforce session exchange exists)."""
    body = await read_json_object(request) if request.body_exists else {}
    if set(body) - {"ttl_s"}:
        raise invalid(sorted(set(body) - {"ttl_s"})[0], "only ttl_s is accepted")
    ttl = body.get("ttl_s", 3600)
    if isinstance(ttl, bool) or not isinstance(ttl, int):
        raise invalid("ttl_s", "ttl_s must be a whole number of seconds (1-3600)")
    svc = services(request)
    agent = await svc.telephony.get("agents", tenant_id(request), request.match_info["id"])
    minted = await svc.tokens.mint(agent_id=agent["id"], tenant_id=tenant_id(request), ttl_s=ttl)
    return web.json_response(
        {
            "token": minted.token,
            "kid": minted.kid,
            "agent_id": agent["id"],
            "expires_at": rfc3339(minted.expires_at),
        },
        status=201,
    )


@routes.get(f"{BASE}/telephony/settings")
async def get_settings(request: web.Request) -> web.Response:
    return web.json_response(await services(request).telephony.settings(tenant_id(request)))


@routes.put(f"{BASE}/telephony/settings")
async def put_settings(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    return web.json_response(
        await services(request).telephony.update_settings(tenant_id(request), body)
    )


@routes.get(f"{BASE}/calls")
async def list_calls(request: web.Request) -> web.Response:
    try:
        limit = int(request.query.get("limit", "100"))
    except ValueError as exc:
        raise invalid("limit", "limit must be a whole number") from exc
    calls = await services(request).history.list_calls(tenant_id(request), limit)
    return web.json_response({"data": calls})


@routes.get(f"{BASE}/calls/{{id}}")
async def get_call(request: web.Request) -> web.Response:
    call = await services(request).history.get_call(tenant_id(request), request.match_info["id"])
    return web.json_response(call)


@routes.get(f"{BASE}/recordings/{{id}}")
async def get_recording(request: web.Request) -> web.Response:
    """A fresh signed URL for a finished recording."""
    view = await services(request).history.recording(tenant_id(request), request.match_info["id"])
    return web.json_response(view)
