"""Transcripts: each recognized utterance stored and emitted, the whole one at the end.

::

    LiveTranscription (live.py) ── begin(call) ──> transcripts row, ``live``
        ── add(call, Said) ──> transcript_segments row + ``transcript.segment``  (one txn)
        ── complete(call) ──> ``completed`` + ``transcript.completed`` (every segment)
    GET /api/v1/calls/{id}/transcript ── transcript(call) ──> what is stored, in order

Events go through the outbox in the transaction that stores the segment, so webhooks and
SCRT2 (Salesforce's ConversationEntry) get exactly what the API shows. A
``transcript.completed`` over the receivers' 256 KB limit goes out in the outbox's reduced
form, with the link to the full event. Times are ms since the call's ``created_at``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from server.clock import Clock
from server.events.outbox import Outbox
from server.failures import NotFound
from server.ids import new_id
from server.schemas.transcripts import Transcript, TranscriptSegment
from server.store import transcripts as store
from server.store.db import Database
from server.times import rfc3339

logger = logging.getLogger(__name__)

Speaker = Literal["caller", "agent"]
LEFT_OVER_GRACE_S = 120.0


@dataclass(frozen=True, slots=True)
class Said:
    """One recognized utterance of one party, in ms since the call was created."""

    speaker: Speaker
    agent_id: str | None
    text: str
    confidence: float
    start_ms: int
    end_ms: int


def _segment(row: Any) -> TranscriptSegment:
    return TranscriptSegment(
        segment_id=row["segment_id"],
        speaker=row["speaker"],
        agent_id=row["agent_id"],
        text=row["text"],
        start_seconds=row["start_ms"] / 1000,
        end_seconds=row["end_ms"] / 1000,
        confidence=row["confidence"],
    )


class Transcripts:
    def __init__(
        self, *, db: Database, outbox: Outbox, clock: Clock, language: str = "en-US"
    ) -> None:
        self._db = db
        self._outbox = outbox
        self._clock = clock
        self.language = language

    async def transcribes(self, tenant_id: str) -> bool:
        async with self._db.read() as conn:
            return await store.transcribes(conn, tenant_id)

    async def used(self) -> bool:
        """Whether any tenant transcribes its calls."""
        async with self._db.read() as conn:
            return await store.any_tenant_transcribes(conn)

    async def begin(self, tenant_id: str, call_id: str) -> float | None:
        """The call's transcript is live; returns the call's ``created_at`` (None: no call)."""
        async with self._db.transaction() as tx:
            started = await store.call_started_at(tx.conn, tenant_id, call_id)
            if started is None:
                return None
            await store.insert_transcript_txn(
                tx,
                {
                    "tenant_id": tenant_id,
                    "call_id": call_id,
                    "transcript_id": new_id("tr", self._clock.now()),
                    "language": self.language,
                    "state": "live",
                    "started_at": self._clock.now(),
                },
            )
        return started

    async def add(self, tenant_id: str, call_id: str, call_started_at: float, said: Said) -> str:
        """Store one segment and emit its ``transcript.segment``; returns its id."""
        segment_id = new_id("seg", self._clock.now())
        data: dict[str, Any] = {
            "call_id": call_id,
            "segment_id": segment_id,
            "speaker": said.speaker,
            "text": said.text,
            "start_seconds": said.start_ms / 1000,
            "end_seconds": said.end_ms / 1000,
            "started_at": rfc3339(call_started_at + said.start_ms / 1000),
            "ended_at": rfc3339(call_started_at + said.end_ms / 1000),
            "confidence": round(said.confidence, 3),
            "is_final": True,
            "language": self.language,
        }
        if said.agent_id is not None:
            data["agent_id"] = said.agent_id
        async with self._db.transaction() as tx:
            await store.insert_segment_txn(
                tx,
                {
                    "tenant_id": tenant_id,
                    "call_id": call_id,
                    "segment_id": segment_id,
                    "speaker": said.speaker,
                    "agent_id": said.agent_id,
                    "text": said.text,
                    "confidence": round(said.confidence, 3),
                    "start_ms": said.start_ms,
                    "end_ms": said.end_ms,
                    "created_at": self._clock.now(),
                },
            )
            await self._outbox.emit_txn(tx, tenant_id, "transcript.segment", data)
        return segment_id

    async def complete(self, tenant_id: str, call_id: str) -> bool:
        """``transcript.completed`` with every segment; False if it was not live."""
        async with self._db.transaction() as tx:
            row = await store.get_transcript(tx.conn, tenant_id, call_id)
            if row is None or not await store.complete_txn(
                tx, tenant_id, call_id, self._clock.now()
            ):
                return False
            segments = [_segment(r) for r in await store.segments_of(tx.conn, tenant_id, call_id)]
            await self._outbox.emit_txn(
                tx,
                tenant_id,
                "transcript.completed",
                {
                    "call_id": call_id,
                    "transcript_id": row["transcript_id"],
                    "language": row["language"],
                    "segments": [s.model_dump(exclude_none=True) for s in segments],
                },
            )
        logger.info("call %s: transcript completed, %d segments", call_id, len(segments))
        return True

    async def complete_left_over(self, grace_s: float = LEFT_OVER_GRACE_S) -> int:
        """Complete what a stopped process left ``live``: transcripts of calls that ended more
        than ``grace_s`` ago (a process still finishing one completes it well before)."""
        async with self._db.read() as conn:
            rows = await store.left_live(conn, self._clock.now() - grace_s)
        done = 0
        for row in rows:
            done += await self.complete(row["tenant_id"], row["call_id"])
        if done:
            logger.info("%d transcripts left live by an earlier process completed", done)
        return done

    async def transcript(self, tenant_id: str, call_id: str) -> Transcript:
        """What is stored of a call's transcript, in the order it was said.

        Raises:
            NotFound: no such call of this tenant.
        """
        async with self._db.read() as conn:
            if not await store.call_exists(conn, tenant_id, call_id):
                raise NotFound("call")
            row = await store.get_transcript(conn, tenant_id, call_id)
            rows = await store.segments_of(conn, tenant_id, call_id) if row else []
        if row is None:
            return Transcript(
                call_id=call_id, transcript_id=None, state="none", language=None, segments=[]
            )
        return Transcript(
            call_id=call_id,
            transcript_id=row["transcript_id"],
            state=row["state"],
            language=row["language"],
            segments=[_segment(r) for r in rows],
        )
