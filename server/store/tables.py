"""The schema, declared once with SQLModel; migrations under ``server/migrations`` create it.

Times that drive scheduling are float Unix seconds: they compare and index the same way on
SQLite and PostgreSQL. Every row carries ``tenant_id`` and every store query filters on it.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, Text
from sqlmodel import Field, SQLModel

# SQLite only auto-increments an INTEGER PRIMARY KEY (the rowid alias); PostgreSQL gets BIGSERIAL.
_BIGSERIAL = BigInteger().with_variant(Integer, "sqlite")


class Tenant(SQLModel, table=True):
    __tablename__ = "tenants"
    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    created_at: float


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", index=True, max_length=40)
    name: str = Field(default="", max_length=200)
    digest: str = Field(max_length=64)
    created_at: float
    revoked_at: float | None = None
    last_used_at: float | None = None


class AdminUser(SQLModel, table=True):
    __tablename__ = "admin_users"
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", index=True, max_length=40)
    email: str = Field(unique=True, max_length=320)
    password_hash: str = Field(max_length=200)
    created_at: float


class AdminSession(SQLModel, table=True):
    __tablename__ = "admin_sessions"
    digest: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="admin_users.id", index=True, max_length=40)
    tenant_id: str = Field(max_length=40)
    csrf_token: str = Field(max_length=64)
    created_at: float
    expires_at: float


class Event(SQLModel, table=True):
    """The transactional outbox: written in the same transaction as the change it reports."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_undispatched", "dispatched", "seq"),)
    seq: int | None = Field(default=None, sa_column=Column(_BIGSERIAL, primary_key=True))
    id: str = Field(unique=True, max_length=40)
    tenant_id: str = Field(index=True, max_length=40)
    type: str = Field(max_length=64)
    created_at: float
    data: str = Field(sa_column=Column(Text, nullable=False))  # the full data, as JSON
    body: str = Field(sa_column=Column(Text, nullable=False))  # exact bytes sent to receivers
    dispatched: bool = False


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoints"
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(index=True, max_length=40)
    url: str = Field(max_length=2048)
    events: str = Field(max_length=2000)  # JSON list of types, or ["*"]
    description: str = Field(default="", max_length=500)
    enabled: bool = True
    secret_enc: str = Field(max_length=400)
    previous_secret_enc: str | None = Field(default=None, max_length=400)
    previous_secret_expires_at: float | None = None
    created_at: float
    updated_at: float


class Delivery(SQLModel, table=True):
    """One event owed to one endpoint; persisted before the first attempt."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_dead", "tenant_id", "status", "dead_at"),
        Index("ix_deliveries_endpoint", "endpoint_id", "status"),
    )
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(max_length=40)
    endpoint_id: str = Field(max_length=40)
    event_id: str = Field(max_length=40, index=True)
    status: str = Field(max_length=16)  # pending | delivered | dead
    attempts: int = 0
    next_attempt_at: float
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    created_at: float
    updated_at: float
    dead_at: float | None = None


class DeliveryAttempt(SQLModel, table=True):
    __tablename__ = "delivery_attempts"
    __table_args__ = (Index("ix_attempts_endpoint", "endpoint_id", "id"),)
    id: int | None = Field(default=None, sa_column=Column(_BIGSERIAL, primary_key=True))
    tenant_id: str = Field(max_length=40)
    endpoint_id: str = Field(max_length=40)
    delivery_id: str = Field(max_length=40)
    event_id: str = Field(max_length=40)
    event_type: str = Field(max_length=64)
    attempt: int
    status_code: int | None = None
    latency_ms: float
    error: str | None = Field(default=None, max_length=500)
    created_at: float


class SigningKey(SQLModel, table=True):
    """RS256 keys for agent tokens. The newest unretired key signs; retired keys still verify
    until the last token they signed has expired, and are published in the JWKS until then."""

    __tablename__ = "signing_keys"
    kid: str = Field(primary_key=True, max_length=40)
    private_key_enc: str = Field(sa_column=Column(Text, nullable=False))  # PEM, encrypted
    public_jwk: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    created_at: float
    retired_at: float | None = None


tenants = Tenant.__table__  # type: ignore[attr-defined]
api_keys = ApiKey.__table__  # type: ignore[attr-defined]
admin_users = AdminUser.__table__  # type: ignore[attr-defined]
admin_sessions = AdminSession.__table__  # type: ignore[attr-defined]
events = Event.__table__  # type: ignore[attr-defined]
webhook_endpoints = WebhookEndpoint.__table__  # type: ignore[attr-defined]
deliveries = Delivery.__table__  # type: ignore[attr-defined]
delivery_attempts = DeliveryAttempt.__table__  # type: ignore[attr-defined]
signing_keys = SigningKey.__table__  # type: ignore[attr-defined]

metadata = SQLModel.metadata
