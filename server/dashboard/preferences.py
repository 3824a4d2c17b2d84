"""The agent's own preferences, for the softphone's browser (same origin as the page; not
part of /api/v1). Authenticated by the agent token the softphone already holds, sent as
``Authorization: Bearer <agent JWT>``: the tenant and the agent are the token's, never the
request's, so an agent reads and writes only its own row.

Routes:

- ``GET /softphone/preferences``: ``{"mic", "speaker", "ringer", "updated_at"}``, each a
  device label or null (the system default; all null until the agent first picks one);
- ``PUT /softphone/preferences`` ``{"mic"?, "speaker"?, "ringer"?}`` (``Content-Type:
  application/json``; labels of 1-200 characters on one line, null or left out for the
  system default): replaces them, and answers as the GET does.

Refusals are the one error shape, never cached: 401 ``invalid_token`` (no token, or one that
does not verify) or ``unknown_agent`` (deleted since), 415 for another content type, 400 for
a body that is not a JSON object, 422 for a field that breaks its rule (``unknown_field``
for a name not listed); nothing is stored then. Tokens are never logged.
"""

from __future__ import annotations

import logging

from aiohttp import web
from pydantic import ValidationError

from server.api.context import services
from server.api.contract import refusal
from server.errors import ApiError, error_response, from_failure, read_json_object
from server.failures import Failure
from server.schemas.preferences import DevicePreferences, DevicePreferencesUpdate
from server.telephony.preferences import AgentPreferences
from server.tokens import AgentClaims, InvalidToken

from .softphone import NO_STORE, Route

logger = logging.getLogger(__name__)

PREFERENCES = web.AppKey("agent_preferences", AgentPreferences)
MAX_TOKEN_CHARS = 8192  # what the signaling server takes too

routes = web.RouteTableDef()


async def _agent(request: web.Request) -> AgentClaims:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN_CHARS:
        raise ApiError(401, "invalid_token", "send Authorization: Bearer <agent token>")
    try:
        return await services(request).tokens.verify(token)
    except InvalidToken as exc:
        logger.info("x softphone preferences refused: %s", exc.reason)
        raise ApiError(401, "invalid_token", f"invalid token: {exc.reason}") from exc


def _agent_only(handler: Route) -> Route:
    """An agent token first; refusals in the error shape, never cached."""

    async def checked(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except (ApiError, Failure) as refused:
            err = refused if isinstance(refused, ApiError) else from_failure(refused)
            resp = error_response(err)
            resp.headers.update(NO_STORE)
            return resp

    return checked


def _render(view: DevicePreferences) -> web.Response:
    return web.json_response(view.model_dump(mode="json"), headers=NO_STORE)


@routes.get("/softphone/preferences")
@_agent_only
async def get_preferences(request: web.Request) -> web.StreamResponse:
    claims = await _agent(request)
    return _render(await request.app[PREFERENCES].get(claims.tenant_id, claims.agent_id))


@routes.put("/softphone/preferences")
@_agent_only
async def put_preferences(request: web.Request) -> web.StreamResponse:
    claims = await _agent(request)
    if request.content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "send Content-Type: application/json")
    try:
        body = DevicePreferencesUpdate.model_validate(await read_json_object(request))
    except ValidationError as exc:
        raise refusal(exc, status=422, default_code="invalid") from exc
    view = await request.app[PREFERENCES].set(claims.tenant_id, claims.agent_id, body)
    return _render(view)
