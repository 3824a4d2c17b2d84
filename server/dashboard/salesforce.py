"""Connect with Salesforce, in the browser: the start, the callback, the page that says how
it ended.

- ``GET /admin/salesforce/connect?login=production|sandbox|<My Domain>`` (the package's
  component opens ``/salesforce/connect?login_url=<My Domain>``, which leads here): needs a
  dashboard session (without one: the login page, then back here, nothing lost), then 302 to
  Salesforce's authorize page.
- ``GET /salesforce?autoConnect=1&code=…&state=…`` (the registered callback, exactly as the
  product page names it) and ``/admin/salesforce/callback`` (the same, after a login): the
  code is redeemed and the admin lands on the org's page; an error ends on a page that says
  what happened and what to do.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path
from urllib.parse import quote, urlencode

from aiohttp import web

from server.api.context import services
from server.failures import Invalid
from server.request_context import REQUEST_ID
from server.salesforce.oauth import explain
from server.salesforce.orgs import Admin, ConnectFailed

from .routes import current_session
from .softphone import agent_callback

logger = logging.getLogger(__name__)

PAGES = Path(__file__).resolve().parents[2] / "static" / "admin"
RESULT_PAGE = PAGES / "salesforce-result.html"
GO_PAGE = PAGES / "salesforce-go.html"
routes = web.RouteTableDef()

# SIVO's own reasons a connect ends without an org (Salesforce's are in oauth.EXPLANATIONS).
SIVO_REASONS = {
    "invalid_state": (
        "This connection attempt is not valid any more (it was used, it is older than 10 "
        "minutes, or it was started by another dashboard user).",
        "Start again from the dashboard's Salesforce page.",
    ),
    "org_taken": (
        "This Salesforce org is already connected to another SIVO tenant.",
        "Disconnect it there first, or connect another org.",
    ),
    "untrusted_host": (
        "Salesforce's answer named a host that is not Salesforce's.",
        "Nothing was stored. Contact support with the request id below.",
    ),
    "no_refresh_token": (
        "Salesforce gave SIVO no refresh token, so the connection would stop working soon.",
        "In the External Client App, allow the refresh_token scope, then start again.",
    ),
    "discovery_failed": (
        "SIVO connected but could not read the org's settings.",
        "Check that the approving user has API access, then start again.",
    ),
    "not_configured": (
        "This SIVO server has no Salesforce app configured.",
        "Ask your SIVO operator to set SIVO_SALESFORCE_CLIENT_ID.",
    ),
    "invalid_login": ("That login address is not a Salesforce one.", "Check it and try again."),
    "unreachable": (
        "SIVO could not reach Salesforce (the connection or its TLS certificate failed).",
        "Try again in a minute; if it persists, ask your SIVO operator to check the network.",
    ),
}


def result_page(
    title: str, what: str, todo: str, *, status: int, detail: str = "", retry: bool = True
) -> web.Response:
    page = RESULT_PAGE.read_text()
    request_id = REQUEST_ID.get() or ""
    for key, value in {
        "title": title,
        "what": what,
        "todo": todo,
        "detail": detail,
        "request_id": request_id,
        "retry_hidden": "" if retry else "hidden",
    }.items():
        page = page.replace("{{" + key + "}}", html.escape(value))
    return web.Response(text=page, content_type="text/html", status=status)


def _failed(code: str, detail: str = "") -> web.Response:
    what, todo = SIVO_REASONS.get(code) or explain(code)
    return result_page("Salesforce not connected", what, todo, status=400, detail=detail)


async def _admin(request: web.Request, resume: str) -> Admin:
    found = await current_session(request)
    if found is None:
        raise web.HTTPSeeOther("/admin/login?next=" + quote(resume, safe="/"))
    session = found[1]
    return Admin(tenant_id=session.tenant_id, user_id=session.user_id)


@routes.get("/admin/salesforce/connect")
async def connect(request: web.Request) -> web.StreamResponse:
    login = request.query.get("login", "production")
    admin = await _admin(request, "/admin/salesforce/connect?" + urlencode({"login": login}))
    try:
        url = await services(request).salesforce.orgs.begin_connect(admin, login)
    except Invalid as refused:
        return _failed("invalid_login", refused.message)
    except ConnectFailed as failed:
        return _failed(failed.code, failed.detail)
    return to_salesforce(url)


def to_salesforce(url: str) -> web.Response:
    """A page that moves on to Salesforce at once (meta refresh, and a link).

    Not a redirect: when this follows the login form (the flow resumed after a login), a
    redirect to Salesforce would end the form submission's chain of redirects on another
    origin, which the dashboard's CSP (``form-action 'self'``) rightly blocks.
    """
    page = GO_PAGE.read_text().replace("{{url}}", html.escape(url, quote=True))
    return web.Response(text=page, content_type="text/html", headers={"Cache-Control": "no-store"})


@routes.get("/salesforce/connect")
async def connect_from_package(request: web.Request) -> web.StreamResponse:
    """Where the package's setup component sends the admin (``?login_url=`` its My Domain)."""
    login = request.query.get("login_url", "production")
    raise web.HTTPSeeOther("/admin/salesforce/connect?" + urlencode({"login": login}))


@routes.get("/salesforce")
@routes.get("/admin/salesforce/callback")
async def callback(request: web.Request) -> web.StreamResponse:
    query = request.query
    flow = services(request).salesforce.console_signin
    if await flow.kind_of(query.get("state", "")) == "agent":  # an agent's console sign-in
        return await agent_callback(request)
    admin = await _admin(request, "/admin/salesforce/callback?" + request.query_string)
    if "error" in query:
        logger.info("salesforce connect ended with %s", query["error"][:60])
        return _failed(query["error"][:60], query.get("error_description", "")[:300])
    code, state = query.get("code", ""), query.get("state", "")
    if not code or not state:
        return _failed("invalid_request", "the callback carries no code or state")
    try:
        org = await services(request).salesforce.orgs.finish_connect(admin, code, state)
    except ConnectFailed as failed:
        return _failed(failed.code, failed.detail)
    raise web.HTTPSeeOther(f"/admin/salesforce/{org.id}?connected=1")
