"""Open CTI script, console page, and the console's relay endpoints.

The console frames the softphone URL with the query parameters Salesforce adds
(``mode=Lightning``, ``ltn_app_id``, ``isdtp=vw``, ``sfdcIframeOrigin``, ``clc=1``, ``nonce``;
reference §7.1) in an iframe allowed to use the microphone (reference §9).
"""

from __future__ import annotations

import logging
import secrets

from aiohttp import web
from yarl import URL

from . import ids
from .http_common import devorg_of
from .opencti import handle_call
from .opencti_assets import console_page, opencti_script
from .settings import LATEST_API_VERSION
from .state import Devorg
from .store import OrgData, Record

__all__ = ["add_opencti_routes"]

logger = logging.getLogger(__name__)
CONSOLE_APP_ID = "06m5g0000000001"  # ltn_app_id of the console app (a made-up id)


async def _script(request: web.Request) -> web.StreamResponse:
    major = request.match_info["major"]
    if not major.isdigit() or not 38 <= int(major) <= LATEST_API_VERSION:
        # Open CTI for Lightning needs API 38.0 or later (reference §7.3).
        raise web.HTTPNotFound()
    return web.Response(text=opencti_script(f"{major}.0"), content_type="application/javascript")


def _console_user(devorg: Devorg, request: web.Request) -> tuple[OrgData, Record] | None:
    wanted = request.query.get("user") or devorg.auto_approve_username
    candidates = [
        (org, user)
        for org in devorg.store.orgs.values()
        for user in org.records_of("User").values()
    ]
    if wanted:
        return next(
            (
                (o, u)
                for o, u in candidates
                if u["Username"] == wanted or ids.same_id(u["Id"], wanted)
            ),
            None,
        )
    with_center = [(o, u) for o, u in candidates if u.get("CallCenterId")]
    chosen = with_center or candidates
    return chosen[0] if chosen else None


async def _console(request: web.Request) -> web.StreamResponse:
    devorg = devorg_of(request)
    found = _console_user(devorg, request)
    if found is None:
        return web.Response(status=404, text="no such user; create one through /__devorg/")
    org, user = found
    call_center = org.get(str(user.get("CallCenterId") or ""))
    softphone = (call_center[1].get("AdapterUrl") if call_center else None) or devorg.softphone_url
    if not softphone:
        return web.Response(
            status=409,
            text="no softphone URL: set the call center's "
            "AdapterUrl or PUT /__devorg/console {softphoneUrl}",
        )
    origin = str(URL(devorg.base_url).origin())
    frame_src = URL(softphone).update_query(
        {
            "mode": "Lightning",
            "ltn_app_id": CONSOLE_APP_ID,
            "isdtp": "vw",
            "sfdcIframeOrigin": origin,
            "clc": "1",
            "nonce": secrets.token_hex(16),
        }
    )
    contacts = [c for c in org.records_of("Contact").values() if c.get("Phone")]
    page = console_page(
        org_id=org.org_id,
        user_id=user["Id"],
        user_name=str(user["Name"]),
        frame_src=str(frame_src),
        softphone_origin=str(URL(softphone).origin()),
        contacts=contacts,
        after_seq=len(devorg.opencti.events),
        click_to_dial=bool(devorg.opencti.panel.get("clickToDialEnabled")),
    )
    return web.Response(text=page, content_type="text/html")


async def _record_call(request: web.Request) -> web.StreamResponse:
    devorg = devorg_of(request)
    body = await request.json()
    org = devorg.store.org(str(body.get("orgId", "")))
    found = org.get(str(body.get("userId", ""))) if org else None
    if org is None or found is None:
        return web.json_response({"error": "unknown orgId or userId"}, status=400)
    method, args = str(body.get("method", "")), body.get("args") or {}
    response = handle_call(
        devorg.store, org, found[1], devorg.opencti, method, args, f"{LATEST_API_VERSION}.0"
    )
    entry = {
        "seq": len(devorg.opencti.calls) + 1,
        "orgId": org.org_id,
        "userId": found[1]["Id"],
        "method": method,
        "args": args,
        "response": response,
    }
    devorg.opencti.calls.append(entry)
    logger.debug("opencti %s -> %s", method, response["success"])
    panel = devorg.opencti.panel
    return web.json_response(
        {
            "response": response,
            "view": panel.get("view"),
            "clickToDialEnabled": panel["clickToDialEnabled"],
        }
    )


async def _list_calls(request: web.Request) -> web.StreamResponse:
    devorg = devorg_of(request)
    return web.json_response({"calls": devorg.opencti.calls, "panel": devorg.opencti.panel})


async def _fire_event(request: web.Request) -> web.StreamResponse:
    devorg = devorg_of(request)
    body = await request.json()
    event = body.get("event")
    if event not in ("onClickToDial", "onNavigationChange", "lms"):
        return web.json_response(
            {"error": "event must be onClickToDial, onNavigationChange or lms"}, status=400
        )
    item = devorg.opencti.push_event(event, body.get("payload") or {})
    return web.json_response(item, status=201)


async def _list_events(request: web.Request) -> web.StreamResponse:
    devorg = devorg_of(request)
    after = int(request.query.get("after", "0") or 0)
    return web.json_response({"events": [e for e in devorg.opencti.events if e["seq"] > after]})


def add_opencti_routes(app: web.Application) -> None:
    for name in ("opencti_min.js", "opencti.js"):
        app.router.add_get(f"/support/api/{{major:[0-9]+}}.0/lightning/{name}", _script)
    app.router.add_get("/lightning/page/console", _console)
    app.router.add_post("/__devorg/opencti/calls", _record_call)
    app.router.add_get("/__devorg/opencti/calls", _list_calls)
    app.router.add_post("/__devorg/opencti/events", _fire_event)
    app.router.add_get("/__devorg/opencti/events", _list_events)
