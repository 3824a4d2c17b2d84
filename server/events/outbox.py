"""The transactional outbox: domain code emits events inside its own database transaction.

``emit_txn`` writes the envelope in the caller's transaction, so an event exists if and only
if the change that caused it committed. Each registered sink (webhooks now; SCRT2 and sockets
later) fans the event out in that same transaction, writing its own durable work rows, and
gets them back after the commit to act on. An event no sink took (written by a process that
had none) stays ``dispatched = false`` for the sinks' pollers to pick up.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from server.clock import Clock
from server.ids import new_id
from server.store.db import Tx
from server.store.tables import events
from server.times import rfc3339

from .catalog import EVENT_TYPES

logger = logging.getLogger(__name__)

# Receivers accept at most 256 KB (product documentation, "Limits").
MAX_BODY_BYTES = 256 * 1024
# Fields kept in the reduced form so that a receiver can still route the event.
_ROUTING_FIELDS = ("call_id", "agent_id", "queue_id", "recording_id", "transcript_id")


_INSERT_EVENT = events.insert()


class UnknownEventType(ValueError):
    pass


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def render_body(
    *, event_id: str, type: str, created_at: float, tenant_id: str, data_json: str, public_url: str
) -> str:
    """The exact JSON sent to receivers: the full envelope, or its documented reduced form.

    An envelope over ``MAX_BODY_BYTES`` keeps its id, type and routing fields, and replaces the
    rest of ``data`` with a link to fetch it (``GET /api/v1/events/{id}``), so nothing is
    dropped and nothing is cut mid-JSON.
    """
    head = (
        f'{{"id":{_dumps(event_id)},"type":{_dumps(type)},'
        f'"created_at":{_dumps(rfc3339(created_at))},"tenant_id":{_dumps(tenant_id)},"data":'
    )
    body = head + data_json + "}"
    size = len(body.encode())
    if size <= MAX_BODY_BYTES:
        return body
    data = json.loads(data_json)
    reduced: dict[str, Any] = {k: data[k] for k in _ROUTING_FIELDS if k in data}
    reduced.update(
        truncated=True,
        original_size=size,
        full_data_url=f"{public_url}/api/v1/events/{event_id}",
    )
    return head + _dumps(reduced) + "}"


@dataclass(frozen=True, slots=True)
class EventRecord:
    id: str
    tenant_id: str
    type: str
    created_at: float
    body: str  # what receivers get (possibly the reduced form: render_body)
    data: Mapping[str, Any]  # the whole ``data``, for sinks: none parses ``body`` again


class OutboxSink(Protocol):
    async def fan_out_txn(self, tx: Tx, events: Sequence[EventRecord]) -> None:
        """Write this sink's durable work for ``events`` in the emitting transaction."""
        ...


class Outbox:
    def __init__(self, *, clock: Clock, public_url: str) -> None:
        self._clock = clock
        self._public_url = public_url
        self._sinks: list[OutboxSink] = []

    def add_sink(self, sink: OutboxSink) -> None:
        self._sinks.append(sink)

    async def emit_txn(self, tx: Tx, tenant_id: str, type: str, data: Mapping[str, Any]) -> str:
        """Record one event in the caller's transaction; returns its id."""
        (event_id,) = await self.emit_many_txn(tx, [(tenant_id, type, data)])
        return event_id

    async def emit_many_txn(
        self, tx: Tx, emitted: Sequence[tuple[str, str, Mapping[str, Any]]]
    ) -> list[str]:
        """Record events ``(tenant id, type, data)`` in this order, in one statement.

        Each sink fans the whole batch out at once, so a batch costs a round trip per table,
        not one per event.
        """
        for _, type, _ in emitted:
            if type not in EVENT_TYPES:
                raise UnknownEventType(type)
        if not emitted:
            return []
        now = self._clock.now()
        rows: list[dict[str, Any]] = []
        records: list[EventRecord] = []
        for tenant_id, type, data in emitted:
            event_id = new_id("evt", now)
            plain = dict(data)
            data_json = _dumps(plain)
            body = render_body(
                event_id=event_id,
                type=type,
                created_at=now,
                tenant_id=tenant_id,
                data_json=data_json,
                public_url=self._public_url,
            )
            rows.append(
                {
                    "id": event_id,
                    "tenant_id": tenant_id,
                    "type": type,
                    "created_at": now,
                    "data": data_json,
                    "body": body,
                    "dispatched": bool(self._sinks),
                }
            )
            records.append(EventRecord(event_id, tenant_id, type, now, body, plain))
        # One statement object: compiled once, then served from the cache; executemany keeps
        # the rows' order, so ``seq`` follows the order of emission.
        await tx.write(_INSERT_EVENT, rows)
        for sink in self._sinks:
            await sink.fan_out_txn(tx, records)
        for record in records:
            logger.debug("%s + event %s for tenant %s", record.id, record.type, record.tenant_id)
        return [record.id for record in records]
