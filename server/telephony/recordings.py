"""Pre-signed, expiring recording URLs, and the route that serves them.

``GET /recordings/{id}.wav?expires=<unix s>&sig=<hex>`` where ``sig`` is
HMAC-SHA256(key, "<id>.<expires>") and ``key`` is derived from the master key (HMAC of a
fixed label), so rotating nothing else invalidates nothing else. A changed id, expiry or
signature, or an expired URL, gets 403; a valid URL for a recording not finished yet, 404.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
from pathlib import Path
from urllib.parse import urlencode

from aiohttp import web

from server.clock import Clock
from server.store import telephony as store
from server.store.db import Database

logger = logging.getLogger(__name__)

_LABEL = b"sivo recording url v1"


class RecordingUrls:
    def __init__(self, *, master_key: bytes, public_url: str, ttl_s: float, clock: Clock) -> None:
        self._key = hmac.new(master_key, _LABEL, hashlib.sha256).digest()
        self._public_url = public_url
        self._ttl_s = ttl_s
        self._clock = clock

    def sign(self, recording_id: str) -> tuple[str, float]:
        """A URL for this recording and when it expires (whole Unix seconds)."""
        expires = math.ceil(self._clock.now() + self._ttl_s)
        query = urlencode({"expires": expires, "sig": self._signature(recording_id, expires)})
        return f"{self._public_url}/recordings/{recording_id}.wav?{query}", float(expires)

    def check(self, recording_id: str, expires: str, sig: str) -> bool:
        try:
            when = int(expires)
        except ValueError:
            return False
        expected = self._signature(recording_id, when)
        return hmac.compare_digest(expected, sig) and self._clock.now() < when

    def _signature(self, recording_id: str, expires: int) -> str:
        message = f"{recording_id}.{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()


def recording_routes(*, urls: RecordingUrls, db: Database, directory: Path) -> web.RouteTableDef:
    routes = web.RouteTableDef()

    @routes.get("/recordings/{id}.wav")
    async def download(request: web.Request) -> web.StreamResponse:
        recording_id = request.match_info["id"]
        if not urls.check(
            recording_id, request.query.get("expires", ""), request.query.get("sig", "")
        ):
            logger.info("recording %s: x bad or expired signature", recording_id)
            raise web.HTTPForbidden(text="invalid or expired signature")
        async with db.read() as conn:
            row = await store.get_recording(conn, recording_id)
        if row is None or row["status"] != "ready":
            raise web.HTTPNotFound(text="recording not available")
        path = directory / row["file_name"]
        if not path.is_file():
            raise web.HTTPNotFound(text="recording not available")
        return web.FileResponse(path, headers={"Content-Type": "audio/wav"})

    return routes
