"""Identity endpoints of both login hosts: ``/services/oauth2/userinfo`` and ``/id/{org}/{user}``.

Help "Query for User Information" (userinfo) and "Identity URLs" (reference §4.3): a GET with
the access token (``Authorization: Bearer``) returns the user's identity; an unknown or
expired token gets 403 ``Bad_OAuth_Token`` in plain text (a README guess).
"""

from __future__ import annotations

from aiohttp import web

from . import ids
from .http_common import access_token, devorg_of
from .state import Devorg
from .store import OrgData, Record

__all__ = ["add_identity_routes", "identity_url"]


def identity_url(devorg: Devorg, org: OrgData, user_id: str) -> str:
    return f"{devorg.login_url_for(org.is_sandbox)}/id/{org.org_id}/{ids.to18(user_id)}"


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


def add_identity_routes(app: web.Application) -> None:
    for prefix in ("", "/sandbox"):
        app.router.add_route("*", f"{prefix}/services/oauth2/userinfo", _userinfo)
        app.router.add_get(f"{prefix}/id/{{org_id}}/{{user_id}}", _identity)
