"""Endpoint configurations as the delivery engine needs them: decrypted, cached briefly."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from server.clock import Clock
from server.crypto import SecretBox
from server.store import webhooks as store
from server.store.db import Database

logger = logging.getLogger(__name__)

CACHE_TTL_S = 5.0  # how stale another process's endpoint change may look to this one


@dataclass(frozen=True, slots=True)
class EndpointInfo:
    id: str
    tenant_id: str
    url: str
    events: frozenset[str] | None  # None: every type
    enabled: bool
    secret: str | None  # None: stored under another master key, so attempts fail loudly
    previous_secret: str | None

    def wants(self, event_type: str) -> bool:
        return self.events is None or event_type in self.events


def secret_context(endpoint_id: str) -> str:
    return f"webhook-endpoint:{endpoint_id}"


class EndpointDirectory:
    def __init__(self, *, db: Database, box: SecretBox, clock: Clock) -> None:
        self._db = db
        self._box = box
        self._clock = clock
        self._by_id: dict[str, tuple[float, EndpointInfo | None]] = {}
        self._by_tenant: dict[str, tuple[float, list[EndpointInfo]]] = {}
        self._reading: dict[str, asyncio.Future[EndpointInfo | None]] = {}

    def _decrypt(self, token: str, endpoint_id: str) -> str | None:
        try:
            return self._box.decrypt(token, secret_context(endpoint_id))
        except (InvalidTag, ValueError):
            logger.error(
                "%s x secret cannot be decrypted: was SIVO_SECRET_KEY changed?", endpoint_id
            )
            return None

    def _info(self, row: RowMapping) -> EndpointInfo:
        types = json.loads(row["events"])
        previous = None
        expires = row["previous_secret_expires_at"]
        if row["previous_secret_enc"] and expires is not None and expires > self._clock.now():
            previous = self._decrypt(row["previous_secret_enc"], row["id"])
        return EndpointInfo(
            id=row["id"],
            tenant_id=row["tenant_id"],
            url=row["url"],
            events=None if "*" in types else frozenset(types),
            enabled=bool(row["enabled"]),
            secret=self._decrypt(row["secret_enc"], row["id"]),
            previous_secret=previous,
        )

    def _fresh(self, stamp: float) -> bool:
        return self._clock.now() - stamp < CACHE_TTL_S

    async def get(self, endpoint_id: str) -> EndpointInfo | None:
        hit = self._by_id.get(endpoint_id)
        if hit is not None and self._fresh(hit[0]):
            return hit[1]
        # One read per endpoint at a time: when the entry goes stale, every attempt in flight
        # on that endpoint's lane asks at once, and all of them get the one answer.
        reading = self._reading.get(endpoint_id)
        if reading is None:
            reading = asyncio.ensure_future(self._read(endpoint_id))
            self._reading[endpoint_id] = reading
            reading.add_done_callback(functools.partial(self._read_done, endpoint_id))
        return await asyncio.shield(reading)

    async def _read(self, endpoint_id: str) -> EndpointInfo | None:
        async with self._db.read() as conn:
            row = await store.get_endpoint_any_tenant(conn, endpoint_id)
        info = self._info(row) if row is not None else None
        if self._reading.get(endpoint_id) is asyncio.current_task():  # not invalidated since
            self._by_id[endpoint_id] = (self._clock.now(), info)
        return info

    def _read_done(self, endpoint_id: str, reading: asyncio.Future[EndpointInfo | None]) -> None:
        if self._reading.get(endpoint_id) is reading:
            del self._reading[endpoint_id]

    async def for_tenants(
        self, tenant_ids: Iterable[str], conn: AsyncConnection
    ) -> dict[str, list[EndpointInfo]]:
        """Endpoints per tenant; misses are read on ``conn`` (the caller's transaction)."""
        wanted = set(tenant_ids)
        out: dict[str, list[EndpointInfo]] = {}
        missing: list[str] = []
        for tenant_id in wanted:
            hit = self._by_tenant.get(tenant_id)
            if hit is not None and self._fresh(hit[0]):
                out[tenant_id] = hit[1]
            else:
                missing.append(tenant_id)
        if missing:
            rows = await store.endpoints_for_tenants(conn, missing)
            now = self._clock.now()
            for tenant_id in missing:
                out[tenant_id] = []
            for row in rows:
                info = self._info(row)
                out[info.tenant_id].append(info)
                self._by_id[info.id] = (now, info)
            for tenant_id in missing:
                self._by_tenant[tenant_id] = (now, out[tenant_id])
        return out

    def invalidate(self, endpoint_id: str, tenant_id: str) -> None:
        self._by_id.pop(endpoint_id, None)
        self._reading.pop(endpoint_id, None)  # a read begun before the change: not shared on
        self._by_tenant.pop(tenant_id, None)
