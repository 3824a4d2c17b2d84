"""Calls and recordings as the REST API reads them: the call log, one call, a recording's
signed URL, and the file a signed URL names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from server.failures import Gone, NotFound
from server.store import telephony as store
from server.store.db import Database
from server.times import rfc3339

from .recordings import RecordingUrls
from .views import call_view

MAX_CALLS = 500


class CallHistory:
    def __init__(self, *, db: Database, urls: RecordingUrls, recordings_dir: Path) -> None:
        self._db = db
        self._urls = urls
        self._dir = recordings_dir

    async def list_calls(self, tenant_id: str, limit: int) -> list[dict[str, Any]]:
        """The newest calls first (the CDR once ended); ``limit`` is clamped to 1-500."""
        async with self._db.read() as conn:
            rows = await store.list_calls(conn, tenant_id, min(MAX_CALLS, max(1, limit)))
        return [call_view(row) for row in rows]

    async def get_call(self, tenant_id: str, call_id: str) -> dict[str, Any]:
        async with self._db.read() as conn:
            row = await store.get_call(conn, tenant_id, call_id)
        if row is None:
            raise NotFound("call")
        return call_view(row)

    async def recording(self, tenant_id: str, recording_id: str) -> dict[str, Any]:
        """A recording's state, with a fresh signed URL once it is ready."""
        async with self._db.read() as conn:
            row = await store.get_recording(conn, recording_id, tenant_id)
        if row is None:
            raise NotFound("recording")
        view: dict[str, Any] = {
            "id": row["id"],
            "call_id": row["call_id"],
            "status": row["status"],
            "duration_seconds": row["duration_s"],
            "channels": row["channels"],
        }
        if row["status"] == "ready":
            url, expires = self._urls.sign(row["id"])
            view.update(url=url, expires_at=rfc3339(expires))
        elif row["status"] != "recording":
            raise Gone("recording_failed", "the recording could not be finalized")
        return view

    def signature_valid(self, recording_id: str, expires: str, sig: str) -> bool:
        return self._urls.check(recording_id, expires, sig)

    async def ready_file(self, recording_id: str) -> Path | None:
        """The WAV of a finished recording (its signature already checked), if it exists."""
        async with self._db.read() as conn:
            row = await store.get_recording(conn, recording_id)
        if row is None or row["status"] != "ready":
            return None
        path = self._dir / row["file_name"]
        return path if path.is_file() else None
