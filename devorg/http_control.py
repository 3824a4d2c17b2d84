"""devorg's own control API under ``/__devorg/`` (not a Salesforce API).

GET    /__devorg/                          URLs and orgs
POST   /__devorg/orgs                      {name, isSandbox}
GET    /__devorg/orgs                      all orgs
POST   /__devorg/orgs/{orgId}/callcenters  {internalName, name, adapterUrl, certificate,
                                            settings}
PUT    /__devorg/orgs/{orgId}/callcenters/{internalName}/certificate  {certificate}
POST   /__devorg/orgs/{orgId}/callcenters/import  {xml}: Setup → Call Centers → Import
POST   /__devorg/orgs/{orgId}/users        {username, lastName, firstName, email,
                                            password, isActive, userType, callCenter}
POST   /__devorg/orgs/{orgId}/records/{Type}   field values (Account, Contact, Case, Task)
POST   /__devorg/seed                      a seed document (see devorg.seed)
POST   /__devorg/reset                     forget every org, token, log and fault
GET    /__devorg/requests                  request log; DELETE clears it
POST   /__devorg/faults                    {status, count, delayMs, host, pathPrefix,
                                            retryAfter (s, for a 429)};
                                           GET lists, DELETE clears
POST   /__devorg/clock                     {advanceSeconds}
PUT    /__devorg/auto-approve              {username} (null turns it off)
PUT    /__devorg/scrt-rate-limit           {perSecond}
PUT    /__devorg/console                   {softphoneUrl}
POST   /__devorg/snapshot                  write the --snapshot file now
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .http_common import devorg_of
from .seed import (
    SeedError,
    add_call_center,
    add_record,
    add_user,
    create_org,
    import_call_center,
    load_seed,
    set_certificate,
)
from .state import Devorg, Fault
from .store import OrgData

__all__ = ["add_control_routes", "org_summary"]

logger = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _bad(message: str, status: int = 400) -> web.Response:
    return web.json_response({"error": message}, status=status)


def org_summary(devorg: Devorg, org: OrgData) -> dict[str, Any]:
    organization = org.organization()
    return {
        "orgId": org.org_id,
        "orgId15": org.org_id15,
        "name": organization["Name"],
        "isSandbox": org.is_sandbox,
        "loginUrl": devorg.login_url_for(org.is_sandbox),
        "instanceUrl": devorg.base_url,
        "scrtUrl": devorg.scrt_url + "/telephony/v1",
        "callCenters": [c["InternalName"] for c in org.records_of("CallCenter").values()],
        "users": [u["Username"] for u in org.records_of("User").values()],
    }


def _guarded(handler: Callable[[web.Request, Any], Awaitable[web.StreamResponse]]) -> Handler:
    """Parse the JSON body and turn :class:`SeedError` into a 400."""

    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            text = await request.text()
            body = json.loads(text) if text.strip() else {}
            return await handler(request, body)
        except json.JSONDecodeError:
            return _bad("body must be JSON")
        except SeedError as exc:
            return _bad(str(exc))

    return wrapper


def _org(request: web.Request) -> OrgData:
    org = devorg_of(request).store.org(request.match_info["org_id"])
    if org is None:
        raise web.HTTPNotFound(
            text=json.dumps({"error": "no such org"}), content_type="application/json"
        )
    return org


async def _index(request: web.Request, body: Any) -> web.StreamResponse:
    devorg = devorg_of(request)
    return web.json_response(
        {
            "baseUrl": devorg.base_url,
            "loginUrl": devorg.login_url,
            "sandboxLoginUrl": devorg.sandbox_login_url,
            "scrtUrl": devorg.scrt_url,
            "consoleUrl": devorg.base_url + "/lightning/page/console",
            "orgs": [org_summary(devorg, o) for o in devorg.store.orgs.values()],
        }
    )


async def _create_org(request: web.Request, body: Any) -> web.StreamResponse:
    devorg = devorg_of(request)
    return web.json_response(org_summary(devorg, create_org(devorg, body)), status=201)


async def _create_call_center(request: web.Request, body: Any) -> web.StreamResponse:
    record = add_call_center(devorg_of(request), _org(request), body)
    return web.json_response(
        {"id": record["Id"], "internalName": record["InternalName"]}, status=201
    )


async def _import_call_center(request: web.Request, body: Any) -> web.StreamResponse:
    record = import_call_center(devorg_of(request), _org(request), str(body.get("xml", "")))
    return web.json_response(
        {"id": record["Id"], "internalName": record["InternalName"]}, status=201
    )


async def _put_certificate(request: web.Request, body: Any) -> web.StreamResponse:
    org = _org(request)
    center = org.first("CallCenter", InternalName=request.match_info["name"])
    if center is None:
        return _bad("no such call center", 404)
    set_certificate(org, center, str(body.get("certificate", "")))
    return web.json_response({"id": center["Id"]})


async def _create_user(request: web.Request, body: Any) -> web.StreamResponse:
    user = add_user(devorg_of(request), _org(request), body)
    return web.json_response({"id": user["Id"], "username": user["Username"]}, status=201)


async def _create_record(request: web.Request, body: Any) -> web.StreamResponse:
    record = add_record(devorg_of(request), _org(request), request.match_info["type"], body)
    return web.json_response({"id": record["Id"]}, status=201)


async def _seed(request: web.Request, body: Any) -> web.StreamResponse:
    devorg = devorg_of(request)
    orgs = load_seed(devorg, body)
    return web.json_response({"orgs": [org_summary(devorg, o) for o in orgs]}, status=201)


async def _reset(request: web.Request, body: Any) -> web.StreamResponse:
    devorg_of(request).reset()
    return web.Response(status=204)


async def _requests(request: web.Request, body: Any) -> web.StreamResponse:
    devorg = devorg_of(request)
    if request.method == "DELETE":
        devorg.request_log.clear()
        return web.Response(status=204)
    host = request.query.get("host")
    items = [r for r in devorg.request_log if host in (None, r["host"])]
    return web.json_response({"requests": items})


async def _faults(request: web.Request, body: Any) -> web.StreamResponse:
    devorg = devorg_of(request)
    if request.method == "DELETE":
        devorg.faults.clear()
        return web.Response(status=204)
    if request.method == "POST":
        status = body.get("status")
        if status is not None and (not isinstance(status, int) or not 400 <= status <= 599):
            return _bad("status must be an HTTP error status (400-599)")
        host = body.get("host", "any")
        if host not in ("org", "scrt", "any"):
            return _bad("host must be org, scrt or any")
        fault = Fault(
            status=status,
            count=int(body.get("count", 1)),
            delay_ms=int(body.get("delayMs", 0)),
            host=host,
            path_prefix=str(body.get("pathPrefix", "/")),
            retry_after_s=int(body.get("retryAfter", 1)),
        )
        devorg.faults.append(fault)
        logger.info("fault injected: %s", fault)
        return web.json_response(fault.__dict__, status=201)
    return web.json_response({"faults": [f.__dict__ for f in devorg.faults if f.count > 0]})


async def _clock(request: web.Request, body: Any) -> web.StreamResponse:
    devorg = devorg_of(request)
    seconds = body.get("advanceSeconds", 0)
    if not isinstance(seconds, (int, float)) or seconds < 0:
        return _bad("advanceSeconds must be a non-negative number")
    devorg.clock.advance(float(seconds))
    return web.json_response({"now": devorg.clock.now().isoformat()})


async def _auto_approve(request: web.Request, body: Any) -> web.StreamResponse:
    devorg = devorg_of(request)
    username = body.get("username")
    if username is not None and not isinstance(username, str):
        return _bad("username must be a string or null")
    devorg.auto_approve_username = username
    return web.json_response({"username": username})


async def _rate_limit(request: web.Request, body: Any) -> web.StreamResponse:
    devorg = devorg_of(request)
    per_second = body.get("perSecond")
    if not isinstance(per_second, int) or per_second < 0:
        return _bad("perSecond must be a non-negative integer")
    devorg.scrt_rate_limit = per_second
    return web.json_response({"perSecond": per_second})


async def _console(request: web.Request, body: Any) -> web.StreamResponse:
    devorg = devorg_of(request)
    devorg.softphone_url = body.get("softphoneUrl")
    return web.json_response({"softphoneUrl": devorg.softphone_url})


async def _snapshot(request: web.Request, body: Any) -> web.StreamResponse:
    devorg = devorg_of(request)
    path = devorg.settings.snapshot_path
    if path is None:
        return _bad("devorg runs without --snapshot", 409)
    devorg.store.save_snapshot(path)
    return web.json_response({"path": str(path)})


def add_control_routes(app: web.Application) -> None:
    routes: list[tuple[str, str, Callable[[web.Request, Any], Awaitable[web.StreamResponse]]]] = [
        ("GET", "/__devorg/", _index),
        ("GET", "/__devorg/orgs", _index),
        ("POST", "/__devorg/orgs", _create_org),
        ("POST", "/__devorg/orgs/{org_id}/callcenters", _create_call_center),
        ("POST", "/__devorg/orgs/{org_id}/callcenters/import", _import_call_center),
        ("PUT", "/__devorg/orgs/{org_id}/callcenters/{name}/certificate", _put_certificate),
        ("POST", "/__devorg/orgs/{org_id}/users", _create_user),
        ("POST", "/__devorg/orgs/{org_id}/records/{type}", _create_record),
        ("POST", "/__devorg/seed", _seed),
        ("POST", "/__devorg/reset", _reset),
        ("GET", "/__devorg/requests", _requests),
        ("DELETE", "/__devorg/requests", _requests),
        ("GET", "/__devorg/faults", _faults),
        ("POST", "/__devorg/faults", _faults),
        ("DELETE", "/__devorg/faults", _faults),
        ("POST", "/__devorg/clock", _clock),
        ("PUT", "/__devorg/auto-approve", _auto_approve),
        ("PUT", "/__devorg/scrt-rate-limit", _rate_limit),
        ("PUT", "/__devorg/console", _console),
        ("POST", "/__devorg/snapshot", _snapshot),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, _guarded(handler))
