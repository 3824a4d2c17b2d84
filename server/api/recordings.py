"""``GET /recordings/{id}.wav?expires=…&sig=…``: a recording through its pre-signed URL.

No API key: the signature is the credential (see ``server.telephony.recordings``). A
changed id, expiry or signature, or an expired URL, gets 403; a valid URL for a recording
that is not finished, 404.
"""

from __future__ import annotations

import logging

from aiohttp import web

from .context import services

logger = logging.getLogger(__name__)

routes = web.RouteTableDef()


@routes.get("/recordings/{id}.wav")
async def download(request: web.Request) -> web.StreamResponse:
    history = services(request).history
    recording_id = request.match_info["id"]
    if not history.signature_valid(
        recording_id, request.query.get("expires", ""), request.query.get("sig", "")
    ):
        logger.info("recording %s: x bad or expired signature", recording_id)
        raise web.HTTPForbidden(text="invalid or expired signature")
    path = await history.ready_file(recording_id)
    if path is None:
        raise web.HTTPNotFound(text="recording not available")
    return web.FileResponse(path, headers={"Content-Type": "audio/wav"})
