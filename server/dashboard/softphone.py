"""The softphone's sign-in with Salesforce, in the browser: the popup's pages and the
session routes of the framed softphone (same origin as the page; not part of /api/v1).

- ``GET /softphone/salesforce/signin?org=<org>``: the popup's first page, which moves on to
  the org's authorize page (``ConsoleSignIn.begin``);
- the registered callback ``/salesforce?autoConnect=1``, for a state of kind ``agent``
  (``agent_callback``, dispatched from ``dashboard/salesforce.py``): a page that posts
  ``{type: "sivo.softphone.signin", ticket}`` (or ``error`` and ``message``) to its opener,
  addressed to SIVO's origin, then closes;
- ``POST /softphone/session`` ``{"ticket"}``: the session cookie, and an agent token;
- ``POST /softphone/session/token`` ``{"console_user_id"?}``: a fresh agent token for the
  cookie's session (204 with no cookie at all: nothing to resume; 401 for a session that
  ended, or whose Salesforce user is not the one the console names);
- ``DELETE /softphone/session``: signed out, 204.

The three session routes want ``Origin`` to be SIVO's public origin and a JSON content type
(a cross-site form can send neither); they answer the one error shape, never cached. A 401
also clears the cookie.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web
from pydantic import ValidationError

from server.api.context import services
from server.api.contract import refusal
from server.api.telephony import with_presence
from server.errors import ApiError, error_response, from_failure, read_json_object
from server.failures import Failure
from server.request_context import REQUEST_ID
from server.salesforce.console_signin import SignInFailed
from server.salesforce.hosts import origin
from server.salesforce.oauth import explain
from server.salesforce.softphone_sessions import SoftphoneSignIn
from server.schemas.salesforce import AgentSignIn
from server.schemas.softphone import SoftphoneTicket, SoftphoneTokenRequest
from server.times import rfc3339

logger = logging.getLogger(__name__)

PAGES = Path(__file__).resolve().parents[2] / "static" / "softphone"
COOKIE = "sivo_softphone"
# CHIPS: partitioned by the top-level site (the Lightning console), so the framed softphone
# keeps it where third-party cookies are blocked; SameSite=None because the frame is
# cross-site; only the softphone's paths get it.
COOKIE_ATTRIBUTES = "Path=/softphone/; Secure; HttpOnly; SameSite=None; Partitioned"
PAGE_CSP = "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
NO_STORE = {"Cache-Control": "no-store"}

# What the agent reads when the popup ends without a session: what happened, what to do.
AGENT_REASONS: dict[str, tuple[str, str]] = {
    "invalid_state": (
        "This sign-in is not valid any more (it was used, or it is older than 10 minutes).",
        "Close this window and choose Sign in with Salesforce again.",
    ),
    "unknown_org": (
        "SIVO does not know this Salesforce org (it is not connected, or was disconnected).",
        "Ask your SIVO administrator to connect the org.",
    ),
    "not_configured": (
        "This SIVO server has no Salesforce app configured.",
        "Ask your SIVO operator to set SIVO_SALESFORCE_CLIENT_ID.",
    ),
    "untrusted_host": (
        "The org's address is not a Salesforce one, so SIVO did not send you there.",
        "Ask your SIVO administrator to connect the org again.",
    ),
    "unreachable": (
        "SIVO could not reach Salesforce.",
        "Try again in a minute; if it persists, tell your SIVO administrator.",
    ),
    "salesforce_error": (
        "Salesforce did not answer SIVO as expected.",
        "Try again in a minute; if it persists, tell your SIVO administrator.",
    ),
    "invalid_salesforce_token": (
        "Salesforce did not confirm your sign-in, or you are signed in to another org.",
        "Sign in to this org in Salesforce, then try again.",
    ),
    "no_agent": (
        "Your Salesforce user is not a SIVO agent of this org.",
        "Ask your SIVO administrator to import your user and make it an agent.",
    ),
    "inactive_user": (
        "Your Salesforce user is inactive.",
        "Ask your Salesforce administrator; then ask SIVO's to import the users again.",
    ),
    "access_denied": (
        "You did not allow SIVO in Salesforce.",
        "Choose Sign in with Salesforce again, and Allow when Salesforce asks.",
    ),
    "login_required": (
        "You are not logged in to Salesforce in this browser.",
        "Choose Sign in with Salesforce again and log in when asked.",
    ),
}


def _reason(code: str) -> tuple[str, str]:
    return AGENT_REASONS.get(code) or explain(code)


def _page(name: str, values: dict[str, str], *, status: int = 200) -> web.Response:
    page = (PAGES / name).read_text()
    for key, value in values.items():
        page = page.replace("{{" + key + "}}", html.escape(value, quote=True))
    headers = {**NO_STORE, "Content-Security-Policy": PAGE_CSP, "Referrer-Policy": "no-referrer"}
    return web.Response(text=page, content_type="text/html", status=status, headers=headers)


def done_page(
    *, ticket: str = "", error: str = "", detail: str = "", status: int = 200
) -> web.Response:
    """The popup's last page: the ticket for the opener, or what went wrong."""
    if ticket:
        title, what, todo = "Signed in", "You are signed in to the softphone.", ""
    else:
        title = "Not signed in"
        what, todo = _reason(error)
    return _page(
        "signin-done.html",
        {
            "title": title,
            "what": what,
            "todo": todo,
            "detail": detail[:300],
            "ticket": ticket,
            "error": error,
            "message": f"{what} {todo}".strip(),
            "request_id": REQUEST_ID.get() or "",
        },
        status=status,
    )


def _failed(failure: Failure) -> web.Response:
    if isinstance(failure, SignInFailed):
        return done_page(error=failure.code, detail=failure.detail, status=failure.status)
    return done_page(error=failure.code, status=from_failure(failure).status)


routes = web.RouteTableDef()


@routes.get("/softphone/salesforce/signin")
async def sign_in(request: web.Request) -> web.Response:
    try:
        url = await services(request).salesforce.console_signin.begin(request.query.get("org", ""))
    except Failure as failure:
        return _failed(failure)
    return _page("signin-go.html", {"url": url})


async def agent_callback(request: web.Request) -> web.Response:
    """The registered callback, for a state of kind ``agent``."""
    query, flow = request.query, services(request).salesforce.console_signin
    state = query.get("state", "")
    if "error" in query:
        await flow.abandon(state)
        code = query["error"][:60]
        logger.info("agent sign-in ended at salesforce with %s", code)
        return done_page(error=code, detail=query.get("error_description", ""), status=400)
    try:
        ticket = await flow.finish(query.get("code", ""), state)
    except Failure as failure:
        return _failed(failure)
    return done_page(ticket=ticket)


# -- the framed softphone's session ---------------------------------------------------------

Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _browser_only(handler: Route) -> Route:
    """Same-origin JSON requests only; refusals in the error shape, never cached."""

    async def checked(request: web.Request) -> web.StreamResponse:
        try:
            own = origin(services(request).settings.public_url)
            if request.headers.get("Origin", "").lower() != own:
                raise ApiError(403, "csrf_failed", "this request must come from SIVO's softphone")
            if request.content_type != "application/json":
                raise ApiError(415, "unsupported_media_type", "send Content-Type: application/json")
            return await handler(request)
        except (ApiError, Failure) as refused:
            err = refused if isinstance(refused, ApiError) else from_failure(refused)
            resp = error_response(err)
            resp.headers.update(NO_STORE)
            if err.status == 401:
                _clear_cookie(resp)
            return resp

    return checked


def _set_cookie(resp: web.StreamResponse, secret: str, max_age: int) -> None:
    # Written by hand: http.cookies before Python 3.14 knows no Partitioned attribute.
    resp.headers.add("Set-Cookie", f"{COOKIE}={secret}; Max-Age={max_age}; {COOKIE_ATTRIBUTES}")


def _clear_cookie(resp: web.StreamResponse) -> None:
    expired = "Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
    resp.headers.add("Set-Cookie", f"{COOKIE}=; {expired}; {COOKIE_ATTRIBUTES}")


def _signed_in(request: web.Request, signed: SoftphoneSignIn) -> web.Response:
    body = AgentSignIn(
        token=signed.minted.token,
        expires_at=rfc3339(signed.minted.expires_at),
        agent=with_presence(request, signed.tenant_id, signed.agent),
    )
    return web.json_response(body.model_dump(mode="json"), headers=NO_STORE)


def _secret(request: web.Request) -> str:
    return request.cookies.get(COOKIE, "")[:100]


@routes.post("/softphone/session")
@_browser_only
async def open_session(request: web.Request) -> web.StreamResponse:
    try:
        body = SoftphoneTicket.model_validate(await read_json_object(request))
    except ValidationError as exc:
        raise refusal(exc, status=422, default_code="invalid") from exc
    secret, signed = await services(request).salesforce.softphone_sessions.redeem(body.ticket)
    resp = _signed_in(request, signed)
    max_age = int(signed.session_expires_at - services(request).clock.now())
    _set_cookie(resp, secret, max(max_age, 0))
    return resp


@routes.post("/softphone/session/token")
@_browser_only
async def session_token(request: web.Request) -> web.StreamResponse:
    body = SoftphoneTokenRequest()
    if await request.read():  # an empty body asks without naming the console's user
        try:
            body = SoftphoneTokenRequest.model_validate(await read_json_object(request))
        except ValidationError as exc:
            raise refusal(exc, status=422, default_code="invalid") from exc
    secret = _secret(request)
    if not secret:
        # Nothing to resume (a first load): not an error, so the console logs none.
        return web.Response(status=204, headers=NO_STORE)
    sessions = services(request).salesforce.softphone_sessions
    signed = await sessions.token(secret, console_user_id=body.console_user_id)
    return _signed_in(request, signed)


@routes.delete("/softphone/session")
@_browser_only
async def close_session(request: web.Request) -> web.StreamResponse:
    secret = _secret(request)
    if secret:
        await services(request).salesforce.softphone_sessions.close(secret)
    resp = web.Response(status=204, headers=NO_STORE)
    _clear_cookie(resp)
    return resp
