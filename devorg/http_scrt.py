"""The SCRT2 host: Telephony Integration REST API under ``/telephony/v1``.

Every request carries ``Authorization: Bearer <JWT>`` signed by the partner
(``voice_rest_authorization.htm``). The org is found from ``iss`` (15-character org id) and
the key from the call center named by ``sub``; see :mod:`devorg.scrt_auth`. Error bodies are
not documented for SCRT2; devorg answers ``{"errorCode", "message", "field"}`` (a guess).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web

from .http_common import NO_BODY, devorg_of, read_json
from .scrt_auth import ScrtAuthError, load_certificate_key, read_claims, verify_token
from .scrt_calls import (
    ScrtRequestError,
    add_bulk_messages,
    add_messages,
    create_call,
    update_call,
)
from .store import OrgData

__all__ = ["create_scrt_routes"]

logger = logging.getLogger(__name__)


def _error(status: int, code: str, message: str, field: str | None = None) -> web.Response:
    body: dict[str, Any] = {"errorCode": code, "message": message}
    if field is not None:
        body["field"] = field
    return web.json_response(body, status=status)


def _authenticate(request: web.Request) -> tuple[OrgData, str] | web.Response:
    """Verify the partner JWT; returns (org, call center API name) or an error response."""
    devorg = devorg_of(request)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _error(401, "INVALID_AUTH", "Authorization: Bearer <JWT> is required")
    try:
        claims = read_claims(token.strip())
        org = devorg.store.org_by_id15(claims.org_id15)
        if org is None:
            raise ScrtAuthError("iss does not name an org with a contact center")
        if devorg.scrt_rate_exceeded(org.org_id15):
            return _error(429, "LIMIT_EXCEEDED", "Telephony Integration API limit exceeded")
        call_center = org.first("CallCenter", InternalName=claims.call_center)
        certificate = org.certificates.get(call_center["Id"]) if call_center else None
        if certificate is None:
            raise ScrtAuthError(
                "sub does not name a call center with a registered "
                "reqTelephonyIntegrationCertificate"
            )
        verify_token(
            token.strip(),
            load_certificate_key(certificate),
            claims,
            now=devorg.clock.time(),
            seen_jtis=org.seen_jtis,
        )
    except ScrtAuthError as exc:
        logger.info("scrt: JWT refused: %s", exc)
        return _error(401, "INVALID_AUTH", str(exc))
    return org, claims.call_center


async def _body(request: web.Request) -> Any:
    try:
        body = await read_json(request)
    except (ValueError, json.JSONDecodeError) as exc:
        raise ScrtRequestError(400, "INVALID_INPUT", "request body must be JSON") from exc
    return None if body is NO_BODY else body


async def _handle(request: web.Request) -> web.StreamResponse:
    devorg = devorg_of(request)
    authenticated = _authenticate(request)
    if isinstance(authenticated, web.Response):
        return authenticated
    org, call_center = authenticated
    now = devorg.clock.now()
    route = request.match_info.route.name
    try:
        body = await _body(request)
        if route == "create":
            result = create_call(devorg.store, org, body, now)
        elif route == "update":
            result = update_call(
                devorg.store, org, call_center, request.match_info["call_id"], body, now
            )
        elif route == "messages":
            result = add_messages(
                devorg.store, org, request.match_info["vendor_call_key"], body, now
            )
        else:
            result = add_bulk_messages(devorg.store, org, body, now)
    except ScrtRequestError as exc:
        logger.info("scrt %s: refused %d %s", request.path, exc.status, exc.error_code)
        return _error(exc.status, exc.error_code, exc.message, exc.field)
    return web.json_response(result)


def create_scrt_routes(app: web.Application) -> None:
    base = "/telephony/v1/voiceCalls"
    app.router.add_post(base, _handle, name="create")
    app.router.add_post(f"{base}/messages", _handle, name="bulk_messages")
    app.router.add_patch(f"{base}/{{call_id}}", _handle, name="update")
    app.router.add_post(f"{base}/{{vendor_call_key}}/messages", _handle, name="messages")
