"""Helpers shared by devorg's aiohttp handlers."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .oauth import AccessToken
from .state import Devorg

__all__ = ["DEVORG_KEY", "NO_BODY", "access_token", "devorg_of", "read_json"]

DEVORG_KEY = web.AppKey("devorg", Devorg)
NO_BODY = object()  # read_json's marker for an empty body


def devorg_of(request: web.Request) -> Devorg:
    return request.config_dict[DEVORG_KEY]


def bearer_value(request: web.Request) -> str | None:
    """The token of ``Authorization: Bearer <token>`` or ``OAuth <token>``.

    Salesforce accepts both schemes; ``OAuth`` is the older one, still sent by older clients
    (RForcecom's ``paste("OAuth", sessionID)``, for one)."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() not in ("bearer", "oauth") or not value.strip():
        return None
    return value.strip()


def access_token(request: web.Request) -> AccessToken | None:
    """The live access token of the request's ``Authorization`` header, if any."""
    value = bearer_value(request)
    if value is None:
        return None
    devorg = devorg_of(request)
    token = devorg.sessions.authenticate(value, devorg.clock.time())
    if token is None or devorg.store.org(token.org_id) is None:
        return None
    return token


async def read_json(request: web.Request) -> Any:
    """The JSON body, :data:`NO_BODY` when empty.

    Raises:
        ValueError: the body is not JSON.
    """
    text = await request.text()
    if not text.strip():
        return NO_BODY
    return json.loads(text)
