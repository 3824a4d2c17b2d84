"""Calls and recordings as the REST API reads them: the call log (filtered), one call, its
events and the Salesforce records it touched, a recording's signed URL, and the file a
signed URL names."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from urllib.parse import quote, urlsplit

from sqlalchemy.engine import RowMapping

from server.failures import Gone, NotFound
from server.schemas.calls import (
    MAX_CALLS,
    Call,
    CallEvent,
    CallListQuery,
    CallTransfer,
    Outcome,
    Recording,
    SalesforceObject,
    SalesforceRecord,
)
from server.store import call_history
from server.store import telephony as store
from server.store.db import Database
from server.times import rfc3339

from .recordings import RecordingUrls

logger = logging.getLogger(__name__)

# A call's events come up to this long before its row's start (the row is written in the
# same transaction, but an event's time is when it was decided) and after its end (the
# recording is finalized and the transcript completed after the hang-up).
_BEFORE_START_S = 5.0
_AFTER_END_S = 600.0


def _time(value: float | None) -> str | None:
    return rfc3339(value) if value is not None else None


def outcome_of(row: RowMapping) -> Outcome:
    """How the call went, from its CDR (the same rule as ``call_history.outcome_clause``)."""
    if row["state"] != "ended":
        return "in_progress"
    if row["answered_at"] is not None:
        return "answered"
    if row["direction"] != "inbound":
        return "unanswered"
    return "abandoned" if row["hangup_cause"] == "abandoned" else "missed"


def lightning_url(instance_url: str, object_name: str, record_id: str) -> str | None:
    """The record's page in the org's Lightning Experience, or None for an instance URL
    that is not an https origin (nothing else is linked)."""
    parts = urlsplit(instance_url)
    if parts.scheme != "https" or not parts.hostname:
        return None
    return f"https://{parts.netloc}/lightning/r/{object_name}/{quote(record_id, safe='')}/view"


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
        outcome=outcome_of(row),
    )


def call_filter(tenant_id: str, query: CallListQuery) -> call_history.CallFilter:
    """The store's filter for ``query`` (``limit`` clamped to 1-500)."""
    return call_history.CallFilter(
        tenant_id=tenant_id,
        limit=min(MAX_CALLS, max(1, query.limit)),
        since=query.since.timestamp() if query.since is not None else None,
        until=query.until.timestamp() if query.until is not None else None,
        queue_id=query.queue_id,
        agent_id=query.agent_id,
        direction=query.direction,
        outcome=query.outcome,
    )


class CallHistory:
    def __init__(self, *, db: Database, urls: RecordingUrls, recordings_dir: Path) -> None:
        self._db = db
        self._urls = urls
        self._dir = recordings_dir

    async def list_calls(self, tenant_id: str, query: CallListQuery) -> list[Call]:
        """The calls that match ``query``, newest first (the CDR once ended); ``limit`` is
        clamped to 1-500."""
        async with self._db.read() as conn:
            rows = await call_history.list_calls(conn, call_filter(tenant_id, query))
        return [call_view(row) for row in rows]

    async def call_events(self, tenant_id: str, call_id: str) -> list[CallEvent]:
        """The call's stored events in emission order (live transcript segments left out)."""
        async with self._db.read() as conn:
            row = await store.get_call(conn, tenant_id, call_id)
            if row is None:
                raise NotFound("call")
            end = row["ended_at"] + _AFTER_END_S if row["ended_at"] is not None else None
            rows = await call_history.call_events(
                conn, tenant_id, call_id, row["created_at"] - _BEFORE_START_S, end
            )
        found: list[CallEvent] = []
        for event in rows:
            data = json.loads(event["data"])
            if isinstance(data, dict) and data.get("call_id") == call_id:
                found.append(
                    CallEvent(
                        id=event["id"],
                        type=event["type"],
                        created_at=rfc3339(event["created_at"]),
                        data=data,
                    )
                )
        return found

    async def salesforce_records(self, tenant_id: str, call_id: str) -> list[SalesforceRecord]:
        """The VoiceCalls (SCRT2) and the Task (call logging) the call made, in orgs still
        connected, each with its Lightning link; empty when there are none."""
        async with self._db.read() as conn:
            if await store.get_call(conn, tenant_id, call_id) is None:
                raise NotFound("call")
            voice_calls = await call_history.voice_calls(conn, tenant_id, call_id)
            task = await call_history.call_task(conn, tenant_id, call_id)
        wanted: list[tuple[SalesforceObject, str, RowMapping, str | None]] = []
        for vc in voice_calls:
            if vc["voice_call_id"]:
                wanted.append(("VoiceCall", vc["voice_call_id"], vc, None))
            if vc["previous_voice_call_id"]:
                before = "the leg before the transfer"
                wanted.append(("VoiceCall", vc["previous_voice_call_id"], vc, before))
        if task is not None:
            wanted.append(("Task", task["task_id"], task, None))
        records: list[SalesforceRecord] = []
        for object_name, record_id, org, note in wanted:
            url = lightning_url(org["instance_url"], object_name, record_id)
            if url is None:
                org_id = org["org_row_id"]
                logger.info("call %s: x org %s has no https instance URL", call_id, org_id)
                continue
            records.append(
                SalesforceRecord(
                    object=object_name,
                    id=record_id,
                    org_id=org["org_row_id"],
                    org_name=org["org_name"] or "",
                    url=url,
                    note=note,
                )
            )
        return records

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
