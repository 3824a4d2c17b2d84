"""The transactional outbox: domain code emits events inside its own database transaction.

``emit_txn`` writes the envelope in the caller's transaction, so an event exists if and only
if the change that caused it committed. After the commit the dispatcher is woken to fan the
event out to webhook endpoints (and, later, to SCRT2 and sockets); it also polls, so an event
written by another process is picked up too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from server.clock import Clock
from server.ids import new_id
from server.store.db import Tx
from server.store.tables import events

from .catalog import EVENT_TYPES

logger = logging.getLogger(__name__)

# Receivers accept at most 256 KB (product documentation, "Limits").
MAX_BODY_BYTES = 256 * 1024
# Fields kept in the reduced form so that a receiver can still route the event.
_ROUTING_FIELDS = ("call_id", "agent_id", "queue_id", "recording_id", "transcript_id")


class UnknownEventType(ValueError):
    pass


def rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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


class Outbox:
    def __init__(self, *, clock: Clock, public_url: str) -> None:
        self._clock = clock
        self._public_url = public_url
        self._listeners: list[Callable[[], None]] = []

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after any transaction that emitted events commits."""
        self._listeners.append(listener)

    def _notify(self) -> None:
        for listener in self._listeners:
            listener()

    async def emit_txn(self, tx: Tx, tenant_id: str, type: str, data: Mapping[str, Any]) -> str:
        """Record one event in the caller's transaction; returns its id."""
        if type not in EVENT_TYPES:
            raise UnknownEventType(type)
        now = self._clock.now()
        event_id = new_id("evt", now)
        data_json = _dumps(dict(data))
        body = render_body(
            event_id=event_id,
            type=type,
            created_at=now,
            tenant_id=tenant_id,
            data_json=data_json,
            public_url=self._public_url,
        )
        await tx.conn.execute(
            events.insert().values(
                id=event_id,
                tenant_id=tenant_id,
                type=type,
                created_at=now,
                data=data_json,
                body=body,
                dispatched=False,
            )
        )
        tx.after_commit(self._notify)
        logger.debug("%s + event %s for tenant %s", event_id, type, tenant_id)
        return event_id
