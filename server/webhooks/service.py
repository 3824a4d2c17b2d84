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
from server.events.catalog import CATALOG, EVENT_TYPES
from server.events.outbox import render_body
from server.failures import Conflict, Invalid, NotFound
from server.ids import new_id
from server.store import webhooks as store
from server.store.db import Database
from server.text import free_text, single_line
from server.times import rfc3339

from .directory import EndpointDirectory, secret_context
from .engine import DeliveryEngine
from .signing import new_secret
from .ssrf import AddressPolicy, BlockedDestination, ip_literal

logger = logging.getLogger(__name__)

ROTATION_OVERLAP_S = 24 * 3600
MAX_ENDPOINTS_PER_TENANT = 50
MAX_URL_LENGTH = 2048


def _validate_url(raw: object, policy: AddressPolicy) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise Invalid("url", "url is required", "invalid_url")
    url = raw.strip()
    if not single_line(url):
        raise Invalid("url", "url must not contain control characters", "invalid_url")
    if len(url) > MAX_URL_LENGTH:
        raise Invalid("url", f"url is longer than {MAX_URL_LENGTH} characters", "invalid_url")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port
    except ValueError as exc:
        raise Invalid("url", f"url is malformed: {exc}", "invalid_url") from exc
    if parts.scheme != "https":
        raise Invalid("url", "url must use https:// (plain HTTP is refused)", "invalid_url")
    if not host:
        raise Invalid("url", "url has no host", "invalid_url")
    if parts.username or parts.password:
        raise Invalid("url", "url must not embed credentials", "invalid_url")
    if parts.fragment:
        raise Invalid("url", "url must not have a #fragment", "invalid_url")
    literal = "127.0.0.1" if host == "localhost" or host.endswith(".localhost") else host
    if ip_literal(literal) is not None:
        try:
            policy.check(literal)
        except BlockedDestination as exc:
            raise Invalid("url", str(exc), "blocked_destination") from exc
    return url


def _validate_events(raw: object) -> list[str]:
    if not isinstance(raw, list) or not raw or not all(isinstance(t, str) for t in raw):
        raise Invalid("events", 'events must be a non-empty list of event types, or ["*"]')
    if "*" in raw:
        if len(raw) != 1:
            raise Invalid("events", '"*" subscribes to everything and stands alone')
        return ["*"]
    unknown = sorted(set(raw) - EVENT_TYPES)
    if unknown:
        raise Invalid(
            "events", f"unknown event type(s): {', '.join(unknown)}", "unknown_event_type"
        )
    return sorted(set(raw))


def _validate_description(raw: object) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str) or len(raw) > 500:
        raise Invalid("description", "description must be a string of at most 500 characters")
    if not free_text(raw):
        raise Invalid("description", "description must not contain control characters")
    return raw


def endpoint_view(row: Mapping[str, Any] | RowMapping, secret: str | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": row["id"],
        "url": row["url"],
        "events": json.loads(row["events"]),
        "description": row["description"],
        "enabled": bool(row["enabled"]),
        "created_at": rfc3339(row["created_at"]),
        "updated_at": rfc3339(row["updated_at"]),
    }
    if row.get("previous_secret_expires_at"):
        view["previous_secret_expires_at"] = rfc3339(row["previous_secret_expires_at"])
    if secret is not None:
        view["secret"] = secret
    return view


def attempt_view(row: RowMapping) -> dict[str, Any]:
    return {
        "event_id": row["event_id"],
        "event_type": row["event_type"],
        "delivery_id": row["delivery_id"],
        "attempt": row["attempt"],
        "status_code": row["status_code"],
        "latency_ms": row["latency_ms"],
        "error": row["error"],
        "at": rfc3339(row["created_at"]),
    }


def dead_letter_view(row: RowMapping) -> dict[str, Any]:
    view = {
        "id": row["id"],
        "endpoint_id": row["endpoint_id"],
        "event_id": row["event_id"],
        "event_type": row["event_type"],
        "attempts": row["attempts"],
        "last_status_code": row["last_status_code"],
        "last_error": row["last_error"],
        "created_at": rfc3339(row["created_at"]),
        "dead_at": rfc3339(row["dead_at"]),
    }
    if "body" in row:
        view["event"] = json.loads(row["body"])
    return view


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

    async def create_endpoint(self, tenant_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        url = _validate_url(body.get("url"), self._policy)
        types = _validate_events(body.get("events"))
        description = _validate_description(body.get("description"))
        now = self._clock.now()
        endpoint_id = new_id("we", now)
        secret = new_secret()
        row = {
            "id": endpoint_id,
            "tenant_id": tenant_id,
            "url": url,
            "events": json.dumps(types),
            "description": description,
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
        self._directory.invalidate(endpoint_id, tenant_id)
        logger.info("%s + webhook endpoint for tenant %s", endpoint_id, tenant_id)
        return endpoint_view(row, secret)

    async def list_endpoints(self, tenant_id: str) -> list[dict[str, Any]]:
        async with self._db.read() as conn:
            return [endpoint_view(r) for r in await store.list_endpoints(conn, tenant_id)]

    async def _row(self, tenant_id: str, endpoint_id: str) -> RowMapping:
        async with self._db.read() as conn:
            row = await store.get_endpoint(conn, tenant_id, endpoint_id)
        if row is None:
            raise NotFound("webhook endpoint")
        return row

    async def get_endpoint(self, tenant_id: str, endpoint_id: str) -> dict[str, Any]:
        return endpoint_view(await self._row(tenant_id, endpoint_id))

    async def update_endpoint(
        self, tenant_id: str, endpoint_id: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        allowed = {"url", "events", "enabled", "description"}
        extra = sorted(set(body) - allowed)
        if extra:
            raise Invalid(extra[0], f"{extra[0]} cannot be changed", "unknown_field")
        values: dict[str, Any] = {}
        if "url" in body:
            values["url"] = _validate_url(body["url"], self._policy)
        if "events" in body:
            values["events"] = json.dumps(_validate_events(body["events"]))
        if "description" in body:
            values["description"] = _validate_description(body["description"])
        if "enabled" in body:
            if not isinstance(body["enabled"], bool):
                raise Invalid("enabled", "enabled must be true or false")
            values["enabled"] = body["enabled"]
        values["updated_at"] = self._clock.now()
        async with self._db.transaction() as tx:
            if not await store.update_endpoint_txn(tx, tenant_id, endpoint_id, values):
                raise NotFound("webhook endpoint")
        self._directory.invalidate(endpoint_id, tenant_id)
        if values.get("enabled") is True:
            self._engine.resume(endpoint_id)
        return await self.get_endpoint(tenant_id, endpoint_id)

    async def delete_endpoint(self, tenant_id: str, endpoint_id: str) -> None:
        async with self._db.transaction() as tx:
            if not await store.delete_endpoint_txn(tx, tenant_id, endpoint_id):
                raise NotFound("webhook endpoint")
        self._directory.invalidate(endpoint_id, tenant_id)
        logger.info("%s - webhook endpoint deleted", endpoint_id)

    async def rotate_secret(self, tenant_id: str, endpoint_id: str) -> dict[str, Any]:
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
        self._directory.invalidate(endpoint_id, tenant_id)
        logger.info("%s ~ webhook secret rotated", endpoint_id)
        return endpoint_view({**row, **values}, secret)

    async def deliveries(self, tenant_id: str, endpoint_id: str) -> list[dict[str, Any]]:
        await self._row(tenant_id, endpoint_id)
        async with self._db.read() as conn:
            return [
                attempt_view(r) for r in await store.recent_attempts(conn, tenant_id, endpoint_id)
            ]

    async def send_test(
        self, tenant_id: str, endpoint_id: str, event_type: object
    ) -> dict[str, Any]:
        if not isinstance(event_type, str) or event_type not in EVENT_TYPES:
            raise Invalid(
                "type", "type must be one of the catalog's event types", "unknown_event_type"
            )
        await self._row(tenant_id, endpoint_id)
        self._directory.invalidate(endpoint_id, tenant_id)
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
        return {
            "event_id": event_id,
            "type": event_type,
            "success": outcome.ok,
            "status_code": outcome.status_code,
            "latency_ms": outcome.latency_ms,
            "error": outcome.error,
        }

    async def dead_letters(
        self, flt: store.DeadLetterFilter, limit: int, with_body: bool = False
    ) -> list[dict[str, Any]]:
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
