"""OAuth 2.0 and identity endpoints of the two login hosts (production and sandbox).

Paths follow Salesforce's OpenID configuration: ``/services/oauth2/authorize``,
``/services/oauth2/token``, ``/services/oauth2/revoke``, ``/services/oauth2/userinfo`` and the
identity URL ``/id/{orgId}/{userId}`` (Help "OAuth Endpoints", "Identity URLs"; the last
two in :mod:`devorg.http_identity`). The production login host is devorg's root, the sandbox
one is under ``/sandbox`` (see README, "Hosts").

``/authorize`` keeps a browser session per login host in the ``sid`` cookie once the user
logs in, and remembers which apps (``client_id``) each user approved. A later request with a
live session skips the login page, and skips the approval page for an approved app.
``prompt=login`` forces the login page, ``prompt=consent`` the approval page (the values the
Help page "OAuth 2.0 Web Server Flow for Web App Integration" lists, with ``select_account``,
which devorg treats as no prompt). ``immediate=true`` (legacy, documented) never shows a page
and fails with ``immediate_unsuccessful``; ``prompt=none`` does the same with OpenID Connect
Core 1.0 §3.1.2.6's codes ``login_required`` (no session) and ``consent_required`` (a session,
but the app is not approved), Salesforce documenting no codes of its own for it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from aiohttp import web
from yarl import URL

from .http_common import devorg_of
from .http_identity import add_identity_routes, identity_url
from .oauth import (
    DEFAULT_SCOPES,
    KNOWN_SCOPES,
    AccessToken,
    AuthCode,
    OAuthError,
    WebSession,
    sign_identity,
)
from .oauth_pages import consent_page, login_page
from .state import Devorg
from .store import OrgData, Record

__all__ = ["add_oauth_routes"]

logger = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Guess: devorg registers no apps, so it signs responses with this instance secret unless
# the client sends its client_secret.
_INSTANCE_SECRET = secrets.token_urlsafe(32)
SID_COOKIE = "sid"  # the login host's session cookie (Salesforce's is also named sid)


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


@dataclass(frozen=True)
class _Request:
    """A validated authorization request."""

    client_id: str
    redirect_uri: str
    state: str | None
    scope: str
    challenge: str | None
    prompt: frozenset[str]
    immediate: bool


def _validated(params: dict[str, str]) -> _Request | web.Response:
    """Check the parameters; errors redirect to ``redirect_uri`` when there is one."""
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
    if params.get("code_challenge_method", "S256") != "S256":
        # Guess: only S256 is accepted; a missing method means S256 (reference §4.2).
        _redirect(
            redirect_uri,
            error="invalid_request",
            error_description="code_challenge_method must be S256",
            state=state,
        )
    prompt = frozenset(params.get("prompt", "").split())
    if "none" in prompt and len(prompt) > 1:
        _redirect(
            redirect_uri,
            error="invalid_request",
            error_description="prompt=none cannot be combined with other values",
            state=state,
        )
    return _Request(
        client_id,
        redirect_uri,
        state,
        scope,
        params.get("code_challenge") or None,
        prompt,
        params.get("immediate", "").lower() == "true",
    )


def _check_user(
    devorg: Devorg, username: str, password: str | None, sandbox: bool
) -> tuple[OrgData, Record] | str:
    """The active user ``username`` of an org of this login host, or an error message;
    ``password`` None skips the password check (auto-approve, an existing session)."""
    found = _find_user(devorg, username)
    if found is None or not found[1].get("IsActive"):
        return "Please check your username and password."
    org, user = found
    if password is not None and org.passwords.get(user["Id"]) != password:
        return "Please check your username and password."
    if org.is_sandbox != sandbox:
        # A sandbox user cannot log in at login.salesforce.com, nor the reverse.
        where = (
            "the sandbox login host (test.salesforce.com)"
            if org.is_sandbox
            else "the production login host (login.salesforce.com)"
        )
        return f"This user logs in through {where}."
    return org, user


def _silent_failure(grant: _Request, error: str) -> NoReturn:
    """``prompt=none`` or ``immediate=true`` cannot show a page: redirect with the error."""
    if grant.immediate and "none" not in grant.prompt:
        error = "immediate_unsuccessful"  # the documented code of immediate=true
    _redirect(grant.redirect_uri, error=error, error_description=error, state=grant.state)


def _authorize(sandbox: bool) -> Handler:
    login_host = "sandbox" if sandbox else "production"
    cookie_path = ("/sandbox" if sandbox else "") + "/services/oauth2/"

    def issue(
        devorg: Devorg, grant: _Request, org: OrgData, user: Record, sid: str | None = None
    ) -> web.Response:
        code = devorg.sessions.issue_code(
            AuthCode(
                org_id=org.org_id,
                user_id=user["Id"],
                client_id=grant.client_id,
                redirect_uri=grant.redirect_uri,
                code_challenge=grant.challenge,
                scope=grant.scope,
                expires_at=devorg.clock.time() + devorg.settings.auth_code_ttl_seconds,
                login_host=login_host,
            )
        )
        logger.info("authorize: code issued for user %s of org %s", user["Id"], org.org_id)
        query = {"code": code} if grant.state is None else {"code": code, "state": grant.state}
        location = str(URL(grant.redirect_uri).update_query(query))
        response = web.Response(status=302, headers={"Location": location})
        if sid is not None:
            secure = devorg.settings.scheme == "https"
            response.set_cookie(
                SID_COOKIE, sid, path=cookie_path, httponly=True, samesite="Lax", secure=secure
            )
        return response

    async def handler(request: web.Request) -> web.StreamResponse:
        devorg = devorg_of(request)
        params: dict[str, str] = dict(request.query)
        if request.method == "POST":
            params.update({k: str(v) for k, v in (await request.post()).items()})
        grant = _validated(params)
        if isinstance(grant, web.Response):
            return grant
        if request.method == "POST" and params.get("action") == "deny":
            _redirect(
                grant.redirect_uri,
                error="access_denied",
                error_description="end-user denied authorization",
                state=grant.state,
            )
        now = devorg.clock.time()
        ignore_session = request.method == "GET" and "login" in grant.prompt
        session = None
        if not ignore_session:
            session = devorg.sessions.web_session(request.cookies.get(SID_COOKIE), login_host, now)
        found = devorg.store.org(session.org_id) if session else None
        current = found.get(session.user_id) if found and session else None
        if request.method == "POST" and "username" in params:
            checked = _check_user(devorg, params["username"], params.get("password", ""), sandbox)
            if isinstance(checked, str):
                return login_page(params, sandbox, checked)
            org, user = checked
            sid = devorg.sessions.open_web_session(
                WebSession(
                    org.org_id,
                    user["Id"],
                    login_host,
                    now + devorg.settings.session_timeout_seconds,
                )
            )
            devorg.sessions.approve(user["Id"], grant.client_id)
            return issue(devorg, grant, org, user, sid)
        if devorg.auto_approve_username is not None and request.method == "GET":
            checked = _check_user(devorg, devorg.auto_approve_username, None, sandbox)
            if isinstance(checked, str):
                return login_page(params, sandbox, checked)
            return issue(devorg, grant, *checked)
        if found is None or current is None or not current[1].get("IsActive"):
            if request.method == "POST":
                return login_page(params, sandbox, "Your session has ended. Please log in.")
            if "none" in grant.prompt or grant.immediate:
                _silent_failure(grant, "login_required")
            return login_page(params, sandbox)
        user = current[1]
        if request.method == "POST":
            devorg.sessions.approve(user["Id"], grant.client_id)
            return issue(devorg, grant, found, user)
        if devorg.sessions.approved(user["Id"], grant.client_id) and "consent" not in grant.prompt:
            return issue(devorg, grant, found, user)
        if "none" in grant.prompt or grant.immediate:
            _silent_failure(grant, "consent_required")
        return consent_page(params, str(user["Username"]))

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


def add_oauth_routes(app: web.Application) -> None:
    """Register the OAuth and identity routes under both login hosts."""
    add_identity_routes(app)
    for prefix, sandbox in (("", False), ("/sandbox", True)):
        app.router.add_route("*", f"{prefix}/services/oauth2/authorize", _authorize(sandbox))
        app.router.add_post(f"{prefix}/services/oauth2/token", _token(sandbox))
        app.router.add_route("*", f"{prefix}/services/oauth2/revoke", _revoke)
