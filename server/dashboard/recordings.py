"""``/admin/recordings/{id}``: the stable link a call's Salesforce Task carries.

A Task outlives any pre-signed URL, so it links here instead: someone signed in to the
dashboard (of the recording's tenant) is sent on to a fresh signed URL; anyone else to the
login page first. A recording still being finalized, or of another tenant, is a 404 page.
"""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from server.api.context import services
from server.failures import Gone, NotFound

from .routes import current_session

routes = web.RouteTableDef()


@routes.get("/admin/recordings/{id}")
async def recording_link(request: web.Request) -> web.StreamResponse:
    found = await current_session(request)
    if found is None:
        raise web.HTTPSeeOther("/admin/login?next=" + quote(request.path, safe="/"))
    try:
        recording = await services(request).history.recording(
            found[1].tenant_id, request.match_info["id"]
        )
    except NotFound:
        raise web.HTTPNotFound(text="No such recording.") from None
    except Gone:
        raise web.HTTPGone(text="This recording could not be finalized.") from None
    if recording.url is None:
        raise web.HTTPNotFound(text="The recording is not ready yet; try again in a minute.")
    raise web.HTTPFound(recording.url, headers={"Cache-Control": "no-store"})
