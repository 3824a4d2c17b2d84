"""Call recordings: started at the first answer (the book decides, the media engine records),
finalized after the call (``call.recorded``), downloaded through pre-signed, expiring URLs.

``GET /recordings/{id}.wav?expires=<unix s>&sig=<hex>`` where ``sig`` is
HMAC-SHA256(key, "<id>.<expires>") and ``key`` is derived from the master key (HMAC of a
fixed label), so rotating nothing else invalidates nothing else. A changed id, expiry or
signature, or an expired URL, gets 403; a valid URL for a recording not finished yet, 404.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import math
from urllib.parse import urlencode

from server.clock import Clock
from server.events.outbox import Outbox
from server.media import MediaError
from server.store import telephony as store
from server.store.db import Database

from .ports import MediaPort
from .views import recorded_event

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


class CallRecordings:
    """One stereo WAV per recorded call (``<recordings_dir>/<call id>.wav``) and its row.

    A recording is finalized after its call has ended, off the tenant shell's lock: the
    engine's ``stop_recording`` flushes the file, then one transaction marks the row ready
    and emits ``call.recorded``. ``drain`` waits for every finalization still running, so
    a shutdown can finish them before the media engine goes.
    """

    def __init__(
        self, *, db: Database, outbox: Outbox, clock: Clock, media: MediaPort, urls: RecordingUrls
    ) -> None:
        self._db = db
        self._outbox = outbox
        self._clock = clock
        self._media = media
        self._urls = urls
        self._finishing: set[asyncio.Task[None]] = set()

    def finish_later(self, tenant_id: str, call_id: str, recording_id: str) -> None:
        """The call has ended: finalize its recording in the background."""
        task = asyncio.get_running_loop().create_task(
            self._finish(tenant_id, call_id, recording_id)
        )
        self._finishing.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._finishing.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            logger.error("x recording not finalized", exc_info=exc)

    async def drain(self) -> None:
        """Wait until every recording of an ended call is finalized (or marked failed)."""
        while self._finishing:
            await asyncio.gather(*list(self._finishing), return_exceptions=True)

    async def _finish(self, tenant_id: str, call_id: str, recording_id: str) -> None:
        try:
            recording = await self._media.stop_recording(call_id)
        except MediaError:
            logger.exception("call %s: x recording lost", call_id)
            async with self._db.transaction() as tx:
                await store.update_recording_txn(tx, recording_id, {"status": "failed"})
            return
        url, expires = self._urls.sign(recording_id)
        async with self._db.transaction() as tx:
            await store.update_recording_txn(
                tx,
                recording_id,
                {
                    "status": "ready",
                    "duration_s": recording.duration_s,
                    "ready_at": self._clock.now(),
                },
            )
            await self._outbox.emit_txn(
                tx,
                tenant_id,
                "call.recorded",
                recorded_event(
                    call_id,
                    recording_id,
                    url,
                    expires,
                    recording.duration_s,
                    recording.channels,
                ),
            )
        logger.info(
            "call %s: recording %s ready (%.1f s)", call_id, recording_id, recording.duration_s
        )
