"""An org's SCRT2 certificates: list, stage a new key (pending), activate it.

The pending certificate has to be installed in the call center (the package component does
it, or the admin imports the re-rendered call center) before it may sign; until then the
active key keeps signing. Activating retires the previous key.
"""

from __future__ import annotations

import logging
from typing import Protocol

from server.clock import Clock
from server.crypto import SecretBox
from server.failures import Conflict, NotFound
from server.ids import new_id
from server.schemas.salesforce import OrgKey
from server.store import salesforce as store
from server.store.db import Database, Tx
from server.times import rfc3339

from .keys import key_context, new_org_key

logger = logging.getLogger(__name__)


class KeyCache(Protocol):
    """What signs with the orgs' active keys and keeps them (``scrt2_jwt.ActiveKeys``)."""

    def forget(self, tenant_id: str, row_id: str) -> None: ...


class OrgCertificates:
    def __init__(self, *, db: Database, box: SecretBox, clock: Clock, keys: KeyCache) -> None:
        self._db = db
        self._box = box
        self._clock = clock
        self._keys = keys

    async def add_txn(self, tx: Tx, tenant_id: str, row_id: str, org_id15: str, status: str) -> str:
        now = self._clock.now()
        kid = new_id("sfk", now)
        material = new_org_key(org_id15, now)
        await store.insert_key_txn(
            tx,
            {
                "kid": kid,
                "tenant_id": tenant_id,
                "org_row_id": row_id,
                "private_key_enc": self._box.encrypt(material.private_key_pem, key_context(kid)),
                "certificate_pem": material.certificate_pem,
                "status": status,
                "created_at": now,
                "activated_at": now if status == "active" else None,
            },
        )
        return kid

    async def list(self, tenant_id: str, row_id: str) -> list[OrgKey]:
        async with self._db.read() as conn:
            rows = await store.org_keys_of(conn, tenant_id, row_id)
        return [
            OrgKey(
                kid=r["kid"],
                status=r["status"],
                created_at=rfc3339(r["created_at"]),
                activated_at=rfc3339(r["activated_at"]) if r["activated_at"] else None,
                certificate_pem=r["certificate_pem"],
            )
            for r in rows
        ]

    async def stage(self, tenant_id: str, row_id: str, org_id15: str) -> OrgKey:
        """A new pending key (replacing an earlier pending one that was never activated)."""
        async with self._db.transaction() as tx:
            for row in await store.org_keys_of(tx.conn, tenant_id, row_id):
                if row["status"] == "pending":
                    await store.set_key_status_txn(tx, tenant_id, row["kid"], "retired")
            kid = await self.add_txn(tx, tenant_id, row_id, org_id15, "pending")
        logger.info("%s + pending SCRT2 key %s", row_id, kid)
        return next(k for k in await self.list(tenant_id, row_id) if k.kid == kid)

    async def activate(self, tenant_id: str, row_id: str, kid: str) -> OrgKey:
        async with self._db.transaction() as tx:
            rows = {r["kid"]: r for r in await store.org_keys_of(tx.conn, tenant_id, row_id)}
            if kid not in rows:
                raise NotFound("key")
            if rows[kid]["status"] != "pending":
                raise Conflict("not_pending", "only a pending key can be activated")
            for other in rows.values():
                if other["status"] == "active":
                    await store.set_key_status_txn(tx, tenant_id, other["kid"], "retired")
            await store.set_key_status_txn(tx, tenant_id, kid, "active", self._clock.now())
        self._keys.forget(tenant_id, row_id)
        logger.info("%s ~ SCRT2 key %s active", row_id, kid)
        return next(k for k in await self.list(tenant_id, row_id) if k.kid == kid)

    def forget(self, tenant_id: str, row_id: str) -> None:
        """The org was disconnected (its keys deleted): nothing of them stays in memory."""
        self._keys.forget(tenant_id, row_id)

    async def active_certificate(self, tenant_id: str, row_id: str) -> str:
        for key in await self.list(tenant_id, row_id):
            if key.status == "active":
                return key.certificate_pem
        raise NotFound("active key")
