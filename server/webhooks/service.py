"""Webhook endpoints, their logs, the tester and the dead-letter queue: what the API exposes."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import RowMapping

from server.clock import Clock
from server.crypto import SecretBox
from server.events.catalog import CATALOG
from server.events.outbox import render_body
from server.failures import Conflict, Invalid, NotFound
from server.ids import new_id
from server.schemas.webhooks import (
    DeadLetter,
    DeliveryAttempt,
    Endpoint,
    EndpointCreate,
    EndpointUpdate,
    EndpointWithSecret,
    WebhookTestResult,
)
from server.store import webhooks as store
from server.store.db import Database
from server.times import rfc3339

from .directory import EndpointDirectory, secret_context
from .engine import DeliveryEngine
from .signing import new_secret
from .ssrf import AddressPolicy, BlockedDestination, ip_literal

logger = logging.getLogger(__name__)

ROTATION_OVERLAP_S = 24 * 3600
MAX_ENDPOINTS_PER_TENANT = 50


def _check_destination(url: str, policy: AddressPolicy) -> None:
    """A URL whose host is an IP literal must be one the address policy allows.

    Names are resolved, and checked again, by the sender at every attempt; the URL's shape
    was checked by its model (``server.schemas.webhooks``).
    """
    host = urlsplit(url).hostname or ""
    literal = "127.0.0.1" if host == "localhost" or host.endswith(".localhost") else host
    if ip_literal(literal) is not None:
        try:
            policy.check(literal)
        except BlockedDestination as exc:
            raise Invalid("url", str(exc), "blocked_destination") from exc


def endpoint_view(row: Mapping[str, Any] | RowMapping) -> Endpoint:
    expires = row.get("previous_secret_expires_at")
    return Endpoint(
        id=row["id"],
        url=row["url"],
        events=json.loads(row["events"]),
        description=row["description"],
        enabled=bool(row["enabled"]),
        created_at=rfc3339(row["created_at"]),
        updated_at=rfc3339(row["updated_at"]),
        previous_secret_expires_at=rfc3339(expires) if expires else None,
    )


def _with_secret(row: Mapping[str, Any], secret: str) -> EndpointWithSecret:
    return EndpointWithSecret(**endpoint_view(row).model_dump(), secret=secret)


def attempt_view(row: RowMapping) -> DeliveryAttempt:
    return DeliveryAttempt(
        event_id=row["event_id"],
        event_type=row["event_type"],
        delivery_id=row["delivery_id"],
        attempt=row["attempt"],
        status_code=row["status_code"],
        latency_ms=row["latency_ms"],
        error=row["error"],
        at=rfc3339(row["created_at"]),
    )


def dead_letter_view(row: RowMapping) -> DeadLetter:
    return DeadLetter(
        id=row["id"],
        endpoint_id=row["endpoint_id"],
        event_id=row["event_id"],
        event_type=row["event_type"],
        attempts=row["attempts"],
        last_status_code=row["last_status_code"],
        last_error=row["last_error"],
        created_at=rfc3339(row["created_at"]),
        dead_at=rfc3339(row["dead_at"]),
        event=json.loads(row["body"]) if "body" in row else None,
    )


class WebhookService:
    def __init__(
        self,
        *,
        db: Database,
        box: SecretBox,
        clock: Clock,
        policy: AddressPolicy,
        directory: EndpointDirectory,
        engine: DeliveryEngine,
        public_url: str,
    ) -> None:
        self._db = db
        self._box = box
        self._clock = clock
        self._policy = policy
        self._directory = directory
        self._engine = engine
        self._public_url = public_url

    async def create_endpoint(self, tenant_id: str, body: EndpointCreate) -> EndpointWithSecret:
        _check_destination(body.url, self._policy)
        now = self._clock.now()
        endpoint_id = new_id("we", now)
        secret = new_secret()
        row = {
            "id": endpoint_id,
            "tenant_id": tenant_id,
            "url": body.url,
            "events": json.dumps(body.events),
            "description": body.description,
            "enabled": True,
            "secret_enc": self._box.encrypt(secret, secret_context(endpoint_id)),
            "created_at": now,
            "updated_at": now,
        }
        async with self._db.transaction() as tx:
            existing = await store.list_endpoints(tx.conn, tenant_id)
            if len(existing) >= MAX_ENDPOINTS_PER_TENANT:
                raise Conflict(
                    "too_many_endpoints", f"at most {MAX_ENDPOINTS_PER_TENANT} endpoints"
                )
            await store.insert_endpoint_txn(tx, row)
        self._engine.endpoint_changed(endpoint_id, tenant_id)
        logger.info("%s + webhook endpoint for tenant %s", endpoint_id, tenant_id)
        return _with_secret(row, secret)

    async def list_endpoints(self, tenant_id: str) -> list[Endpoint]:
        async with self._db.read() as conn:
            return [endpoint_view(r) for r in await store.list_endpoints(conn, tenant_id)]

    async def _row(self, tenant_id: str, endpoint_id: str) -> RowMapping:
        async with self._db.read() as conn:
            row = await store.get_endpoint(conn, tenant_id, endpoint_id)
        if row is None:
            raise NotFound("webhook endpoint")
        return row

    async def get_endpoint(self, tenant_id: str, endpoint_id: str) -> Endpoint:
        return endpoint_view(await self._row(tenant_id, endpoint_id))

    async def update_endpoint(
        self, tenant_id: str, endpoint_id: str, body: EndpointUpdate
    ) -> Endpoint:
        values = body.changes()
        if body.url is not None:
            _check_destination(body.url, self._policy)
        if body.events is not None:
            values["events"] = json.dumps(body.events)
        values["updated_at"] = self._clock.now()
        async with self._db.transaction() as tx:
            if not await store.update_endpoint_txn(tx, tenant_id, endpoint_id, values):
                raise NotFound("webhook endpoint")
        self._engine.endpoint_changed(endpoint_id, tenant_id)
        if values.get("enabled") is True:
            self._engine.resume(endpoint_id)
        return await self.get_endpoint(tenant_id, endpoint_id)

    async def delete_endpoint(self, tenant_id: str, endpoint_id: str) -> None:
        async with self._db.transaction() as tx:
            if not await store.delete_endpoint_txn(tx, tenant_id, endpoint_id):
                raise NotFound("webhook endpoint")
        self._engine.endpoint_changed(endpoint_id, tenant_id)
        logger.info("%s - webhook endpoint deleted", endpoint_id)

    async def rotate_secret(self, tenant_id: str, endpoint_id: str) -> EndpointWithSecret:
        row = await self._row(tenant_id, endpoint_id)
        now = self._clock.now()
        secret = new_secret()
        values = {
            "secret_enc": self._box.encrypt(secret, secret_context(endpoint_id)),
            "previous_secret_enc": row["secret_enc"],
            "previous_secret_expires_at": now + ROTATION_OVERLAP_S,
            "updated_at": now,
        }
        async with self._db.transaction() as tx:
            await store.update_endpoint_txn(tx, tenant_id, endpoint_id, values)
        self._engine.endpoint_changed(endpoint_id, tenant_id)
        logger.info("%s ~ webhook secret rotated", endpoint_id)
        return _with_secret({**row, **values}, secret)

    async def deliveries(self, tenant_id: str, endpoint_id: str) -> list[DeliveryAttempt]:
        await self._row(tenant_id, endpoint_id)
        async with self._db.read() as conn:
            return [
                attempt_view(r) for r in await store.recent_attempts(conn, tenant_id, endpoint_id)
            ]

    async def send_test(
        self, tenant_id: str, endpoint_id: str, event_type: str
    ) -> WebhookTestResult:
        await self._row(tenant_id, endpoint_id)
        self._engine.endpoint_changed(endpoint_id, tenant_id)
        endpoint = await self._directory.get(endpoint_id)
        if endpoint is None:
            raise NotFound("webhook endpoint")
        now = self._clock.now()
        event_id = new_id("evt", now)
        body = render_body(
            event_id=event_id,
            type=event_type,
            created_at=now,
            tenant_id=tenant_id,
            data_json=json.dumps(CATALOG[event_type]["example"], separators=(",", ":")),
            public_url=self._public_url,
        )
        outcome = await self._engine.send_test(endpoint, event_id, event_type, body.encode())
        return WebhookTestResult(
            event_id=event_id,
            type=event_type,
            success=outcome.ok,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            error=outcome.error,
        )

    async def dead_letters(
        self, flt: store.DeadLetterFilter, limit: int, with_body: bool = False
    ) -> list[DeadLetter]:
        async with self._db.read() as conn:
            rows = await store.dead_letters(conn, flt, limit=limit, with_body=with_body)
        return [dead_letter_view(r) for r in rows]

    async def retry_dead_letters(self, flt: store.DeadLetterFilter) -> list[str]:
        async with self._db.transaction() as tx:
            ids = await store.requeue_dead_txn(tx, flt, self._clock.now())
        if ids:
            await self._engine.load_pending()
            logger.info("~ %d dead letter(s) requeued for tenant %s", len(ids), flt.tenant_id)
        return ids
