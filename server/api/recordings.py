"""``GET /recordings/{id}.wav?expires=…&sig=…``: a recording through its pre-signed URL.

No API key: the signature is the credential (see ``server.telephony.recordings``). A
changed id, expiry or signature, or an expired URL, gets 403; a valid URL for a recording
that is not finished, 404.
"""

from __future__ import annotations

import logging

from aiohttp import web

from server.errors import ApiError
from server.failures import NotFound
from server.schemas.calls import RecordingDownloadQuery

from .context import services
from .contract import Contract

logger = logging.getLogger(__name__)

downloads = Contract(tag="Calls")


@downloads.get(
    "/recordings/{id}.wav",
    query=RecordingDownloadQuery,
    auth="signed_url",
    media_type="audio/wav",
    summary="Download a recording (the signed URL from GET /api/v1/recordings/{id})",
    errors=(403,),
)
async def download_recording(
    request: web.Request, query: RecordingDownloadQuery
) -> web.StreamResponse:
    """Stereo WAV: the caller on the left channel, the agent on the right."""
    history = services(request).history
    recording_id = request.match_info["id"]
    if not history.signature_valid(recording_id, query.expires, query.sig):
        logger.info("recording %s: x bad or expired signature", recording_id)
        raise ApiError(403, "invalid_signature", "invalid or expired signature")
    path = await history.ready_file(recording_id)
    if path is None:
        raise NotFound("recording")
    return web.FileResponse(path, headers={"Content-Type": "audio/wav"})
