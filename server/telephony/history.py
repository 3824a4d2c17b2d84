"""Calls and recordings as the REST API reads them: the call log, one call, a recording's
signed URL, and the file a signed URL names."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.engine import RowMapping

from server.failures import Gone, NotFound
from server.schemas.calls import MAX_CALLS, Call, CallTransfer, Recording
from server.store import telephony as store
from server.store.db import Database
from server.times import rfc3339

from .recordings import RecordingUrls


def _time(value: float | None) -> str | None:
    return rfc3339(value) if value is not None else None


def call_view(row: RowMapping) -> Call:
    """A stored call (the CDR once ended), as the REST API shows it."""
    return Call(
        id=row["id"],
        direction=row["direction"],
        from_number=row["from_number"],
        to=row["to_number"],
        queue_id=row["queue_id"],
        agent_id=row["agent_id"],
        state=row["state"],
        created_at=rfc3339(row["created_at"]),
        queued_at=_time(row["queued_at"]),
        answered_at=_time(row["answered_at"]),
        ended_at=_time(row["ended_at"]),
        wait_seconds=row["wait_s"],
        talk_seconds=row["talk_s"],
        hold_seconds=row["hold_s"],
        hangup_cause=row["hangup_cause"],
        hangup_side=row["hangup_side"],
        transfers=[CallTransfer(**t) for t in json.loads(row["transfers"])],
        recording_id=row["recording_id"],
    )


class CallHistory:
    def __init__(self, *, db: Database, urls: RecordingUrls, recordings_dir: Path) -> None:
        self._db = db
        self._urls = urls
        self._dir = recordings_dir

    async def list_calls(self, tenant_id: str, limit: int) -> list[Call]:
        """The newest calls first (the CDR once ended); ``limit`` is clamped to 1-500."""
        async with self._db.read() as conn:
            rows = await store.list_calls(conn, tenant_id, min(MAX_CALLS, max(1, limit)))
        return [call_view(row) for row in rows]

    async def get_call(self, tenant_id: str, call_id: str) -> Call:
        async with self._db.read() as conn:
            row = await store.get_call(conn, tenant_id, call_id)
        if row is None:
            raise NotFound("call")
        return call_view(row)

    async def recording(self, tenant_id: str, recording_id: str) -> Recording:
        """A recording's state, with a fresh signed URL once it is ready."""
        async with self._db.read() as conn:
            row = await store.get_recording(conn, recording_id, tenant_id)
        if row is None:
            raise NotFound("recording")
        if row["status"] not in ("recording", "ready"):
            raise Gone("recording_failed", "the recording could not be finalized")
        url = expires_at = None
        if row["status"] == "ready":
            url, expires = self._urls.sign(row["id"])
            expires_at = rfc3339(expires)
        return Recording(
            id=row["id"],
            call_id=row["call_id"],
            status=row["status"],
            duration_seconds=row["duration_s"],
            channels=row["channels"],
            url=url,
            expires_at=expires_at,
        )

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
