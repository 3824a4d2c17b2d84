"""OAuth 2.0 and identity endpoints of the two login hosts (production and sandbox).

Paths follow Salesforce's OpenID configuration: ``/services/oauth2/authorize``,
``/services/oauth2/token``, ``/services/oauth2/revoke``, ``/services/oauth2/userinfo`` and the
identity URL ``/id/{orgId}/{userId}`` (Help "OAuth Endpoints", "Identity URLs"). The production
login host is devorg's root, the sandbox one is under ``/sandbox`` (see README, "Hosts").
"""

from __future__ import annotations

import html
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

from aiohttp import web
from yarl import URL

from . import ids
from .http_common import access_token, devorg_of
from .oauth import DEFAULT_SCOPES, KNOWN_SCOPES, AccessToken, AuthCode, OAuthError, sign_identity
from .state import Devorg
from .store import OrgData, Record

__all__ = ["add_oauth_routes"]

logger = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Guess: devorg registers no apps, so it signs responses with this instance secret unless
# the client sends its client_secret.
_INSTANCE_SECRET = secrets.token_urlsafe(32)


def _oauth_error(error: str, description: str, status: int = 400) -> web.Response:
    return web.json_response({"error": error, "error_description": description}, status=status)


def _redirect(uri: str, **params: str | None) -> NoReturn:
    query = {k: v for k, v in params.items() if v is not None}
    raise web.HTTPFound(str(URL(uri).update_query(query)))


def _find_user(devorg: Devorg, username: str) -> tuple[OrgData, Record] | None:
    for org in devorg.store.orgs.values():
        user = org.first("User", Username=username)
        if user is not None:
            return org, user
    return None


def identity_url(devorg: Devorg, org: OrgData, user_id: str) -> str:
    return f"{devorg.login_url_for(org.is_sandbox)}/id/{org.org_id}/{ids.to18(user_id)}"


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Login | devorg</title>
<style>body{{font-family:sans-serif;max-width:26rem;margin:4rem auto}}label{{display:block;
margin:.6rem 0}}input[type=text],input[type=password]{{width:100%}}.error{{color:#b00}}</style>
</head><body><h1>devorg {host} login</h1>
<p>Allow <b>{client}</b> to access your data (scopes: {scope})?</p>
<p class="error">{error}</p>
<form method="post">{hidden}
<label>Username <input type="text" name="username" value="{username}" autofocus></label>
<label>Password <input type="password" name="password"></label>
<button name="action" value="allow">Log in and allow</button>
<button name="action" value="deny">Deny</button>
</form></body></html>"""


def _login_page(params: dict[str, str], sandbox: bool, error: str = "") -> web.Response:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
        if k not in ("username", "password", "action")
    )
    page = _PAGE.format(
        host="sandbox" if sandbox else "production",
        client=html.escape(params.get("client_id", "")),
        scope=html.escape(params.get("scope") or DEFAULT_SCOPES),
        error=html.escape(error),
        hidden=hidden,
        username=html.escape(params.get("login_hint", params.get("username", ""))),
    )
    return web.Response(text=page, content_type="text/html", status=400 if error else 200)


def _authorize(sandbox: bool) -> Handler:
    login_host = "sandbox" if sandbox else "production"

    async def handler(request: web.Request) -> web.StreamResponse:
        devorg = devorg_of(request)
        params: dict[str, str] = dict(request.query)
        if request.method == "POST":
            params.update({k: str(v) for k, v in (await request.post()).items()})
        client_id, redirect_uri = params.get("client_id"), params.get("redirect_uri")
        if not client_id or not redirect_uri:
            return web.Response(
                status=400, text="error=invalid_request: client_id and redirect_uri are required"
            )
        state = params.get("state")
        if params.get("response_type") != "code":
            _redirect(
                redirect_uri,
                error="unsupported_response_type",
                error_description="response type not supported",
                state=state,
            )
        scope = params.get("scope") or DEFAULT_SCOPES
        unknown = [s for s in scope.split() if s not in KNOWN_SCOPES]
        if unknown:
            _redirect(
                redirect_uri,
                error="invalid_scope",
                error_description=f"unknown scope: {unknown[0]}",
                state=state,
            )
        challenge = params.get("code_challenge") or None
        if params.get("code_challenge_method", "S256") != "S256":
            # Guess: only S256 is accepted; a missing method means S256 (reference §4.2).
            _redirect(
                redirect_uri,
                error="invalid_request",
                error_description="code_challenge_method must be S256",
                state=state,
            )
        username = params.get("username")
        if request.method == "GET":
            if devorg.auto_approve_username is None:
                return _login_page(params, sandbox)
            username = devorg.auto_approve_username
        elif params.get("action") == "deny":
            _redirect(
                redirect_uri,
                error="access_denied",
                error_description="end-user denied authorization",
                state=state,
            )
        found = _find_user(devorg, username or "")
        password_ok = found is not None and (
            request.method == "GET"
            or found[0].passwords.get(found[1]["Id"]) == params.get("password", "")
        )
        if found is None or not password_ok or not found[1].get("IsActive"):
            return _login_page(params, sandbox, "Please check your username and password.")
        org, user = found
        if org.is_sandbox != sandbox:
            # A sandbox user cannot log in at login.salesforce.com, nor the reverse.
            where = (
                "the sandbox login host (test.salesforce.com)"
                if org.is_sandbox
                else "the production login host (login.salesforce.com)"
            )
            return _login_page(params, sandbox, f"This user logs in through {where}.")
        code = devorg.sessions.issue_code(
            AuthCode(
                org_id=org.org_id,
                user_id=user["Id"],
                client_id=client_id,
                redirect_uri=redirect_uri,
                code_challenge=challenge,
                scope=scope,
                expires_at=devorg.clock.time() + devorg.settings.auth_code_ttl_seconds,
                login_host=login_host,
            )
        )
        logger.info("authorize: code issued for user %s of org %s", user["Id"], org.org_id)
        _redirect(redirect_uri, code=code, state=state)

    return handler


def _token_body(
    devorg: Devorg, value: str, token: AccessToken, secret: str | None, refresh: str | None
) -> dict[str, Any]:
    org = devorg.store.org(token.org_id)
    if org is None:
        raise OAuthError("invalid_grant", "expired access/refresh token")
    id_url = identity_url(devorg, org, token.user_id)
    issued_at = str(int(token.issued_at * 1000))  # ms since the epoch, as a string
    body: dict[str, Any] = {
        "access_token": value,
        "signature": sign_identity(secret or _INSTANCE_SECRET, id_url, issued_at),
        "scope": token.scope,
        "instance_url": devorg.base_url,
        "id": id_url,
        "token_type": "Bearer",
        "issued_at": issued_at,
    }
    if refresh is not None:
        body["refresh_token"] = refresh
    return body


def _token(sandbox: bool) -> Handler:
    login_host = "sandbox" if sandbox else "production"

    async def handler(request: web.Request) -> web.StreamResponse:
        devorg = devorg_of(request)
        form = {k: str(v) for k, v in (await request.post()).items()}
        grant_type = form.get("grant_type")
        now = devorg.clock.time()
        session_seconds = float(devorg.settings.session_timeout_seconds)
        try:
            if not grant_type:
                raise OAuthError("invalid_request", "grant type is missing")
            if grant_type == "authorization_code":
                value, token = devorg.sessions.redeem_code(
                    code=form.get("code", ""),
                    client_id=form.get("client_id", ""),
                    redirect_uri=form.get("redirect_uri", ""),
                    code_verifier=form.get("code_verifier"),
                    login_host=login_host,
                    now=now,
                    session_seconds=session_seconds,
                )
                body = _token_body(
                    devorg, value, token, form.get("client_secret"), token.refresh_token
                )
            elif grant_type == "refresh_token":
                value, token = devorg.sessions.refresh(
                    refresh_token=form.get("refresh_token", ""),
                    client_id=form.get("client_id", ""),
                    now=now,
                    session_seconds=session_seconds,
                )
                org = devorg.store.org(token.org_id)
                if sandbox and org is not None and not org.is_sandbox:
                    raise OAuthError("invalid_grant", "expired access/refresh token")
                # The refresh response carries no new refresh token (tokens don't rotate).
                body = _token_body(devorg, value, token, form.get("client_secret"), None)
            else:
                raise OAuthError("unsupported_grant_type", "grant type not supported")
        except OAuthError as exc:
            logger.info("token: refused (%s)", exc.error)
            return _oauth_error(exc.error, exc.description)
        logger.info(
            "token: %s grant for user %s of org %s", grant_type, token.user_id, token.org_id
        )
        return web.json_response(body, headers={"Cache-Control": "no-store"})

    return handler


async def _revoke(request: web.Request) -> web.StreamResponse:
    devorg = devorg_of(request)
    value = request.query.get("token")
    if request.method == "POST":
        value = str((await request.post()).get("token", "")) or value
    if not value:
        return _oauth_error("unsupported_token_type", "missing token")
    if not devorg.sessions.revoke(value):
        return _oauth_error("invalid_token", "invalid token")
    return web.Response(status=200)


def _bad_token() -> web.Response:
    # The identity service answers 403 "Bad_OAuth_Token" in plain text.
    return web.Response(status=403, text="Bad_OAuth_Token")


def _user_urls(devorg: Devorg, org: OrgData, user_id: str) -> dict[str, str]:
    base = devorg.base_url
    return {
        "enterprise": f"{base}/services/Soap/c/{{version}}/{org.org_id15}",
        "partner": f"{base}/services/Soap/u/{{version}}/{org.org_id15}",
        "rest": f"{base}/services/data/v{{version}}/",
        "sobjects": f"{base}/services/data/v{{version}}/sobjects/",
        "search": f"{base}/services/data/v{{version}}/search/",
        "query": f"{base}/services/data/v{{version}}/query/",
        "profile": f"{base}/{user_id}",
        "custom_domain": base,
    }


def _current_user(request: web.Request) -> tuple[Devorg, OrgData, Record] | None:
    devorg = devorg_of(request)
    token = access_token(request)
    org = devorg.store.org(token.org_id) if token else None
    found = org.get(token.user_id) if org and token else None
    if org is None or found is None:
        return None
    return devorg, org, found[1]


async def _userinfo(request: web.Request) -> web.StreamResponse:
    current = _current_user(request)
    if current is None:
        return _bad_token()
    devorg, org, user = current
    return web.json_response(
        {
            "sub": identity_url(devorg, org, user["Id"]),
            "user_id": user["Id"],
            "organization_id": org.org_id,
            "preferred_username": user["Username"],
            "nickname": user.get("Alias") or user["Username"].split("@")[0],
            "name": user["Name"],
            "email": user.get("Email"),
            "email_verified": True,
            "given_name": user.get("FirstName"),
            "family_name": user.get("LastName"),
            "zoneinfo": user.get("TimeZoneSidKey"),
            "phone_number": user.get("Phone"),
            "active": bool(user.get("IsActive")),
            "user_type": str(user.get("UserType") or "Standard").upper(),
            "language": user.get("LanguageLocaleKey"),
            "locale": user.get("LanguageLocaleKey"),
            "utcOffset": -28800000,
            "updated_at": user.get("LastModifiedDate"),
            "is_salesforce_integration_user": False,
            "urls": _user_urls(devorg, org, user["Id"]),
        }
    )


async def _identity(request: web.Request) -> web.StreamResponse:
    current = _current_user(request)
    if current is None:
        return _bad_token()
    devorg, org, _ = current
    org_id, user_id = request.match_info["org_id"], request.match_info["user_id"]
    if not ids.is_salesforce_id(org_id) or not ids.same_id(org_id, org.org_id):
        return _bad_token()
    found = org.get(user_id)
    if found is None or found[0] != "User":
        return web.Response(status=404, text="Bad_Id")
    user = found[1]
    return web.json_response(
        {
            "id": identity_url(devorg, org, user["Id"]),
            "asserted_user": ids.same_id(user["Id"], current[2]["Id"]),
            "user_id": user["Id"],
            "organization_id": org.org_id,
            "username": user["Username"],
            "nick_name": user.get("Alias") or user["Username"].split("@")[0],
            "display_name": user["Name"],
            "email": user.get("Email"),
            "email_verified": True,
            "first_name": user.get("FirstName"),
            "last_name": user.get("LastName"),
            "timezone": user.get("TimeZoneSidKey"),
            "photos": {},
            "active": bool(user.get("IsActive")),
            "user_type": str(user.get("UserType") or "Standard").upper(),
            "language": user.get("LanguageLocaleKey"),
            "locale": user.get("LanguageLocaleKey"),
            "utcOffset": -28800000,
            "last_modified_date": user.get("LastModifiedDate"),
            "urls": _user_urls(devorg, org, user["Id"]),
        }
    )


def add_oauth_routes(app: web.Application) -> None:
    """Register the OAuth and identity routes under both login hosts."""
    for prefix, sandbox in (("", False), ("/sandbox", True)):
        app.router.add_route("*", f"{prefix}/services/oauth2/authorize", _authorize(sandbox))
        app.router.add_post(f"{prefix}/services/oauth2/token", _token(sandbox))
        app.router.add_route("*", f"{prefix}/services/oauth2/revoke", _revoke)
        app.router.add_route("*", f"{prefix}/services/oauth2/userinfo", _userinfo)
        app.router.add_get(f"{prefix}/id/{{org_id}}/{{user_id}}", _identity)
