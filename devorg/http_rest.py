"""Thin aiohttp handlers for the REST data API; the logic lives in :mod:`devorg.rest_api`.

Authentication: ``Authorization: Bearer <access token>`` (or ``OAuth <token>``, the older
spelling some clients still send); a missing, expired or revoked token gets 401
``INVALID_SESSION_ID`` "Session expired or invalid" (REST API Developer Guide, "Status Codes
and Error Responses"). Every authenticated request counts against the org's
``DailyApiRequests`` and its response carries ``Sforce-Limit-Info: api-usage=N/M``; past the
allocation the answer is 403 ``REQUEST_LIMIT_EXCEEDED`` (see :mod:`devorg.limits`).
"""

from __future__ import annotations

import json
import logging

from aiohttp import web

from .http_common import NO_BODY, access_token, devorg_of, read_json
from .limits import limit_info_header
from .rest_api import RestContext, dispatch, error_body
from .settings import LATEST_API_VERSION, OLDEST_API_VERSION

__all__ = ["add_rest_routes", "release_label"]

logger = logging.getLogger(__name__)
_SEASONS = ("Winter", "Summer", "Spring")


def release_label(major: int) -> str:
    """Release name of an API version: 68 is Winter '27, 67 Summer '26, 66 Spring '26."""
    offset = LATEST_API_VERSION - major
    return f"{_SEASONS[offset % 3]} '{27 - (offset + 2) // 3:02d}"


async def _versions(request: web.Request) -> web.StreamResponse:
    # GET /services/data/ needs no session (REST guide, "Versions").
    return web.json_response(
        [
            {"label": release_label(v), "url": f"/services/data/v{v}.0", "version": f"{v}.0"}
            for v in range(OLDEST_API_VERSION, LATEST_API_VERSION + 1)
        ]
    )


def _json(status: int, body: object, headers: dict[str, str] | None = None) -> web.Response:
    if status == 204:
        return web.Response(status=204, headers=headers)
    return web.json_response(body, status=status, headers=headers)


async def _data(request: web.Request) -> web.StreamResponse:
    devorg = devorg_of(request)
    version = request.match_info["version"]
    major, _, minor = version.partition(".")
    if (
        minor != "0"
        or not major.isdigit()
        or not OLDEST_API_VERSION <= int(major) <= LATEST_API_VERSION
    ):
        return _json(404, error_body("The requested resource does not exist", "NOT_FOUND"))
    token = access_token(request)
    if token is None:
        return _json(401, error_body("Session expired or invalid", "INVALID_SESSION_ID"))
    scopes = token.scope.split()
    if "api" not in scopes and "full" not in scopes:
        return _json(
            401,
            error_body("This session is not valid for use with the REST API", "INVALID_SESSION_ID"),
        )
    org = devorg.store.org(token.org_id)
    if org is None:
        return _json(401, error_body("Session expired or invalid", "INVALID_SESSION_ID"))
    now = devorg.clock.time()
    usage = devorg.api_usage
    if not usage.count(org.org_id, now):
        logger.info("rest: org %s is over its %d daily API requests", org.org_id, usage.daily_max)
        return _json(
            403,
            error_body("TotalRequests Limit exceeded.", "REQUEST_LIMIT_EXCEEDED"),
            limit_info_header(usage.used(org.org_id, now), usage.daily_max),
        )
    limit_info = limit_info_header(usage.used(org.org_id, now), usage.daily_max)
    body: object = None
    if request.method in ("POST", "PATCH", "PUT"):
        try:
            body = await read_json(request)
        except (ValueError, json.JSONDecodeError):
            return _json(
                400,
                error_body("The request body is not valid JSON", "JSON_PARSER_ERROR"),
                limit_info,
            )
        if body is NO_BODY:
            body = None
    context = RestContext(
        devorg.store,
        org,
        token.user_id,
        version,
        devorg.clock.now(),
        headers=request.headers,
        cursors=devorg.cursors,
        api_usage=(usage.used(org.org_id, now), usage.daily_max),
    )
    result = dispatch(context, request.method, request.match_info["tail"], request.query, body)
    logger.debug("rest %s %s -> %d", request.method, request.path, result.status)
    return _json(result.status, result.body, {**result.headers, **limit_info})


def add_rest_routes(app: web.Application) -> None:
    app.router.add_get("/services/data", _versions)
    app.router.add_get("/services/data/", _versions)
    app.router.add_route("*", r"/services/data/v{version:[0-9.]+}{tail:(/.*)?}", _data)
