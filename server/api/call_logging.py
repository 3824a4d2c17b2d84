"""``/api/v1/salesforce/call-logging`` and ``/api/v1/salesforce/call-logs/{id}``: a tenant's
call logging settings, and what became of one call's Salesforce Task."""

from __future__ import annotations

from aiohttp import web

from server.schemas.call_logs import CallLog, CallLoggingSettings, CallLoggingUpdate

from .context import services, tenant_id
from .contract import Contract

call_logging = Contract(tag="Call logging")
BASE = "/api/v1/salesforce"


@call_logging.get(
    f"{BASE}/call-logging",
    response=CallLoggingSettings,
    summary="The tenant's call logging settings",
)
async def get_call_logging(request: web.Request) -> CallLoggingSettings:
    return await services(request).salesforce.call_logs.settings(tenant_id(request))


@call_logging.patch(
    f"{BASE}/call-logging",
    body=CallLoggingUpdate,
    response=CallLoggingSettings,
    summary="Turn call logging on or off, set the dispositions, require one",
)
async def update_call_logging(request: web.Request, body: CallLoggingUpdate) -> CallLoggingSettings:
    """Every call (inbound answered, outbound, missed) becomes one Task in the org of the
    agent who handled it, at the end of wrap-up. `dispositions` are what agents choose from
    (Task.CallDisposition); with `disposition_required`, an agent in after-call work cannot
    become Available (or end wrap-up, or pause) before choosing one. Changes apply to the
    calls that end from now on."""
    return await services(request).salesforce.call_logs.update_settings(tenant_id(request), body)


@call_logging.get(
    f"{BASE}/call-logs/{{id}}",
    response=CallLog,
    summary="What became of a call's Task",
    errors=(404,),
)
async def get_call_log(request: web.Request) -> CallLog:
    """404 for a call nothing was logged about: not a Salesforce agent's, or not this
    tenant's."""
    return await services(request).salesforce.call_logs.get(
        tenant_id(request), request.match_info["id"]
    )
