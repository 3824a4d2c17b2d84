"""Who is calling: tenants, their API keys, and dashboard users with their sessions.

API keys look like ``sivo_<key id>_<secret>``: the id finds the row, and the SHA-256 digest of
the whole key is compared in constant time. Keys are shown once, at creation.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from server.clock import Clock
from server.crypto import digests_match, hash_password, random_token, token_digest, verify_password
from server.failures import Conflict, Invalid, NotFound
from server.ids import new_id
from server.schemas.platform import ApiKey, NewApiKey
from server.store import tenants as store
from server.store.db import Database
from server.text import single_line
from server.throttle import LoginThrottle
from server.times import rfc3339

logger = logging.getLogger(__name__)

SESSION_TTL_S = 12 * 3600


@dataclass(frozen=True)
class AdminSession:
    tenant_id: str
    user_id: str
    csrf_token: str


class IdentityService:
    def __init__(
        self, *, db: Database, clock: Clock, throttle: LoginThrottle | None = None
    ) -> None:
        self._db = db
        self._clock = clock
        self._throttle = throttle or LoginThrottle()

    async def create_tenant(self, name: str) -> tuple[str, str]:
        """A new tenant and its first API key: ``(tenant_id, api_key)``."""
        name = name.strip()
        if not name or len(name) > 200 or not single_line(name):
            raise Invalid("name", "tenant name must be 1-200 characters, no control characters")
        now = self._clock.now()
        tenant_id = new_id("tn", now)
        async with self._db.transaction() as tx:
            await store.insert_tenant_txn(tx, {"id": tenant_id, "name": name, "created_at": now})
        key = await self.create_api_key(tenant_id, "initial")
        logger.info("%s + tenant created", tenant_id)
        return tenant_id, key.key

    async def create_api_key(self, tenant_id: str, name: str) -> NewApiKey:
        """``name`` was checked by its model (``ApiKeyCreate``) or by ``create_tenant``."""
        now = self._clock.now()
        key_id = new_id("key", now)[4:]
        key = f"sivo_{key_id}_{random_token(24)}"
        row = {
            "id": key_id,
            "tenant_id": tenant_id,
            "name": name,
            "digest": token_digest(key),
            "created_at": now,
        }
        async with self._db.transaction() as tx:
            await store.insert_api_key_txn(tx, row)
        return NewApiKey(id=key_id, name=name, created_at=rfc3339(now), key=key)

    async def list_api_keys(self, tenant_id: str) -> list[ApiKey]:
        async with self._db.read() as conn:
            rows = await store.list_api_keys(conn, tenant_id)
        return [
            ApiKey(
                id=r["id"],
                name=r["name"],
                created_at=rfc3339(r["created_at"]),
                revoked_at=rfc3339(r["revoked_at"]) if r["revoked_at"] else None,
            )
            for r in rows
        ]

    async def revoke_api_key(self, tenant_id: str, key_id: str) -> None:
        async with self._db.transaction() as tx:
            if not await store.revoke_api_key_txn(tx, tenant_id, key_id, self._clock.now()):
                raise NotFound("API key")

    async def tenant_for_api_key(self, key: str) -> str | None:
        parts = key.split("_")
        if len(parts) < 3 or parts[0] != "sivo":
            return None
        async with self._db.read() as conn:
            row = await store.get_api_key(conn, parts[1])
        if row is None or row["revoked_at"] is not None:
            return None
        if not digests_match(row["digest"], token_digest(key)):
            return None
        return str(row["tenant_id"])

    # -- dashboard users ------------------------------------------------------------------

    async def create_admin(self, tenant_id: str, email: str, password: str) -> str:
        email = email.strip().lower()
        if "@" not in email or len(email) > 320:
            raise Invalid("email", "email is not valid")
        if len(password) < 12:
            raise Invalid("password", "password must be at least 12 characters")
        async with self._db.read() as conn:
            if await store.get_tenant(conn, tenant_id) is None:
                raise NotFound("tenant")
        user_id = new_id("usr", self._clock.now())
        try:
            async with self._db.transaction() as tx:
                await store.insert_admin_txn(
                    tx,
                    {
                        "id": user_id,
                        "tenant_id": tenant_id,
                        "email": email,
                        "password_hash": hash_password(password),
                        "created_at": self._clock.now(),
                    },
                )
        except IntegrityError as exc:
            raise Conflict("email_taken", "an admin with this email exists", "email") from exc
        return user_id

    async def login(
        self, email: str, password: str, client: str = ""
    ) -> tuple[str, AdminSession] | None:
        """A new session token and its session, or None for a wrong email or password.

        Raises:
            TooManyAttempts: too many recent failures for this account or from ``client``
                (the password is not even checked then).
        """
        account = email.strip().lower()
        self._throttle.check(account, client, self._clock.now())
        async with self._db.read() as conn:
            user = await store.admin_by_email(conn, account)
        if user is None:
            hash_password(password)  # spend the same time as a real check: no user enumeration
            self._throttle.failed(account, client, self._clock.now())
            return None
        if not verify_password(user["password_hash"], password):
            self._throttle.failed(account, client, self._clock.now())
            logger.info("admin %s: x wrong password from %s", user["id"], client or "?")
            return None
        self._throttle.succeeded(account)
        token = random_token(32)
        session = AdminSession(user["tenant_id"], user["id"], random_token(24))
        now = self._clock.now()
        async with self._db.transaction() as tx:
            await store.delete_expired_sessions_txn(tx, now)
            await store.insert_session_txn(
                tx,
                {
                    "digest": token_digest(token),
                    "user_id": session.user_id,
                    "tenant_id": session.tenant_id,
                    "csrf_token": session.csrf_token,
                    "created_at": now,
                    "expires_at": now + SESSION_TTL_S,
                },
            )
        return token, session

    async def session(self, token: str) -> AdminSession | None:
        async with self._db.read() as conn:
            row = await store.get_session(conn, token_digest(token))
        if row is None or row["expires_at"] < self._clock.now():
            return None
        return AdminSession(row["tenant_id"], row["user_id"], row["csrf_token"])

    async def logout(self, token: str) -> None:
        async with self._db.transaction() as tx:
            await store.delete_session_txn(tx, token_digest(token))
