"""The schema, declared once with SQLModel; migrations under ``server/migrations`` create it.

Times that drive scheduling are float Unix seconds: they compare and index the same way on
SQLite and PostgreSQL. Every row carries ``tenant_id`` and every store query filters on it.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from server.schemas.reports import SERVICE_LEVEL_THRESHOLDS_S

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
    __table_args__ = (
        Index("ix_events_undispatched", "dispatched", "seq"),
        Index("ix_events_tenant_created", "tenant_id", "created_at"),  # 0014: a call's events
    )
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


# -- telephony (migration 0003) -------------------------------------------------------------


class Agent(SQLModel, table=True):
    __tablename__ = "agents"
    __table_args__ = (
        UniqueConstraint("tenant_id", "extension", name="uq_agents_extension"),
        UniqueConstraint("tenant_id", "email", name="uq_agents_email"),
    )
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(index=True, max_length=40)
    name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    extension: str = Field(max_length=16)
    queue_ids: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of queue ids
    created_at: float
    updated_at: float


class Queue(SQLModel, table=True):
    __tablename__ = "queues"
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(index=True, max_length=40)
    name: str = Field(max_length=200)
    ring_timeout_s: float
    max_wait_s: float | None = None  # None: callers wait until answered or they hang up
    overflow_queue_id: str | None = Field(default=None, max_length=40)
    overflow_cause: str | None = Field(default=None, max_length=64)
    wrap_up_s: float
    created_at: float
    updated_at: float


class PhoneNumber(SQLModel, table=True):
    """A DID: unique across tenants, routed to one queue; ``published`` numbers are
    reachable from the public web caller page."""

    __tablename__ = "phone_numbers"
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(index=True, max_length=40)
    e164: str = Field(unique=True, max_length=16)
    queue_id: str = Field(max_length=40)
    published: bool = False
    created_at: float


class TelephonySettings(SQLModel, table=True):
    __tablename__ = "telephony_settings"
    tenant_id: str = Field(primary_key=True, max_length=40)
    pause_reasons: str = Field(sa_column=Column(Text, nullable=False))  # JSON list
    record_calls: bool = True
    outbound_wrap_up_s: float = 0.0
    transcribe_calls: bool = False  # migration 0010
    service_level_threshold_s: float = 20.0  # migration 0012
    updated_at: float


class CallRow(SQLModel, table=True):
    """One call and, once ended, its CDR (the same fields as ``call.ended``)."""

    __tablename__ = "calls"
    __table_args__ = (
        Index("ix_calls_tenant_created", "tenant_id", "created_at"),
        Index("ix_calls_tenant_queue_created", "tenant_id", "queue_id", "created_at"),  # 0013
        Index("ix_calls_tenant_agent_created", "tenant_id", "agent_id", "created_at"),  # 0013
        Index(  # 0015: the call history's in_progress
            "ix_calls_tenant_live",
            "tenant_id",
            "created_at",
            sqlite_where=text("state != 'ended'"),
            postgresql_where=text("state != 'ended'"),
        ),
        Index(  # 0015: abandoned, missed, unanswered
            "ix_calls_tenant_unanswered",
            "tenant_id",
            "direction",
            "created_at",
            sqlite_where=text("state = 'ended' AND answered_at IS NULL"),
            postgresql_where=text("state = 'ended' AND answered_at IS NULL"),
        ),
    )
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(max_length=40)
    direction: str = Field(max_length=16)
    from_number: str = Field(max_length=64)
    to_number: str = Field(max_length=64)
    queue_id: str | None = Field(default=None, max_length=40)
    agent_id: str | None = Field(default=None, max_length=40)
    state: str = Field(max_length=16)
    created_at: float
    queued_at: float | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    wait_s: float | None = None
    talk_s: float | None = None
    hold_s: float | None = None
    hangup_cause: str | None = Field(default=None, max_length=64)
    hangup_side: str | None = Field(default=None, max_length=16)
    transfers: str = Field(sa_column=Column(Text, nullable=False))  # JSON list
    recording_id: str | None = Field(default=None, max_length=40)


# Migration 0016 (0017: ``within`` became a count per rung of the threshold ladder): the ended
# calls' report sums per tenant, queue, agent and UTC hour of ``created_at``
# (``floor(created_at / 3600)``), added to in the transaction that ends a call
# (``server/store/rollup.py``). '' is no queue, no agent (NULLs would never conflict); ``*``
# all of them: each call is in four rows, its (queue, agent), (queue, *), (*, agent) and
# (*, *), so that each read of a report is one key's hours. A Core table, not a model: its
# ``within_<s>`` columns come from the ladder (server/schemas/reports.py).


def within_column(threshold_s: float) -> str:
    """The rollup's column of a rung: ``within_20`` for 20 s."""
    return f"within_{int(threshold_s)}"


call_rollup = Table(
    "call_rollup",
    SQLModel.metadata,
    Column("tenant_id", String(40), primary_key=True),
    Column("queue_id", String(40), primary_key=True),
    Column("agent_id", String(40), primary_key=True),
    Column("hour", Integer, primary_key=True),
    Column("offered", Integer, nullable=False),
    Column("answered", Integer, nullable=False),
    Column("abandoned", Integer, nullable=False),
    Column("missed", Integer, nullable=False),
    # answered with a wait of at most s seconds, per rung s: a cumulative histogram
    *(Column(within_column(s), Integer, nullable=False) for s in SERVICE_LEVEL_THRESHOLDS_S),
    Column("wait_sum", Float, nullable=False),
    Column("handled", Integer, nullable=False),
    Column("handle_sum", Float, nullable=False),
    Column("hold_sum", Float, nullable=False),
    Column("outbound", Integer, nullable=False),
    Index("ix_call_rollup_tenant_queue_hour", "tenant_id", "queue_id", "hour"),  # its agents
    Index("ix_call_rollup_tenant_agent_hour", "tenant_id", "agent_id", "hour"),  # its queues
)


class RecordingRow(SQLModel, table=True):
    __tablename__ = "recordings"
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(index=True, max_length=40)
    call_id: str = Field(index=True, max_length=40)
    file_name: str = Field(max_length=100)  # under {data_dir}/recordings
    status: str = Field(max_length=16)  # recording | ready | failed
    duration_s: float | None = None
    channels: int = 2
    created_at: float
    ready_at: float | None = None


# -- Salesforce (migration 0004) ------------------------------------------------------------


class SalesforceOAuthState(SQLModel, table=True):
    """One pending OAuth flow, single use, 10 minutes: an admin's Connect (kind ``admin``,
    bound to the admin who started it) or an agent's console sign-in (kind ``agent``, bound
    to the org it is for; migration 0006)."""

    __tablename__ = "salesforce_oauth_states"
    digest: str = Field(primary_key=True, max_length=64)  # of the state sent to Salesforce
    tenant_id: str = Field(max_length=40)
    admin_user_id: str | None = Field(default=None, max_length=40)  # who started a Connect
    kind: str = Field(default="admin", max_length=16, sa_column_kwargs={"server_default": "admin"})
    org_row_id: str | None = Field(default=None, max_length=40)  # an agent sign-in's org
    verifier_enc: str = Field(sa_column=Column(Text, nullable=False))
    login_url: str = Field(max_length=300)
    environment: str = Field(max_length=16)
    created_at: float
    expires_at: float


class SalesforceOrg(SQLModel, table=True):
    """A connected org. One Salesforce org belongs to at most one tenant (org_id unique)."""

    __tablename__ = "salesforce_orgs"
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(index=True, max_length=40)
    org_id: str = Field(unique=True, max_length=18)
    org_id15: str = Field(max_length=15)
    name: str = Field(default="", max_length=300)
    is_sandbox: bool = False
    environment: str = Field(max_length=16)
    login_url: str = Field(max_length=300)
    instance_url: str = Field(max_length=300)
    my_domain: str | None = Field(default=None, max_length=200)
    identity_url: str = Field(max_length=400)
    connected_by: str = Field(max_length=200)  # the Salesforce username that approved
    access_token_enc: str | None = Field(default=None, sa_column=Column(Text))
    refresh_token_enc: str | None = Field(default=None, sa_column=Column(Text))
    status: str = Field(max_length=20)  # connected | needs_reconnect
    status_reason: str | None = Field(default=None, max_length=300)
    call_center_id: str | None = Field(default=None, max_length=18)
    call_center_name: str | None = Field(default=None, max_length=200)
    call_centers: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON
    scrt_base_url: str | None = Field(default=None, max_length=300)
    scrt_source: str = Field(default="none", max_length=20)  # scrt_config | derived | admin
    discovery: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON: how
    connected_at: float
    updated_at: float
    push_transcripts: bool = False  # migration 0011: transcript.segment as SCRT2 messages
    provider_name: str = Field(  # the Telephony-Provider-Name header
        default="calltree", max_length=80, sa_column_kwargs={"server_default": "calltree"}
    )


class SalesforceOrgKey(SQLModel, table=True):
    """An org's SCRT2 key pair and certificate: active, pending (staged rotation), retired."""

    __tablename__ = "salesforce_org_keys"
    kid: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(index=True, max_length=40)
    org_row_id: str = Field(index=True, max_length=40)
    private_key_enc: str = Field(sa_column=Column(Text, nullable=False))
    certificate_pem: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(max_length=16)
    created_at: float
    activated_at: float | None = None


class SalesforceUser(SQLModel, table=True):
    """A Salesforce user of a connected org, as last imported, and the agent it maps to."""

    __tablename__ = "salesforce_users"
    __table_args__ = (UniqueConstraint("org_row_id", "user_id", name="uq_sf_users_org_user"),)
    id: int | None = Field(default=None, sa_column=Column(_BIGSERIAL, primary_key=True))
    tenant_id: str = Field(index=True, max_length=40)
    org_row_id: str = Field(index=True, max_length=40)
    user_id: str = Field(max_length=18)
    email: str = Field(max_length=320)
    name: str = Field(max_length=300)
    is_active: bool = True
    agent_id: str | None = Field(default=None, max_length=40)
    imported_at: float
    username: str | None = Field(default=None, max_length=80)  # SCRT2's agent (migration 0011)


tenants = Tenant.__table__  # type: ignore[attr-defined]
api_keys = ApiKey.__table__  # type: ignore[attr-defined]
admin_users = AdminUser.__table__  # type: ignore[attr-defined]
admin_sessions = AdminSession.__table__  # type: ignore[attr-defined]
events = Event.__table__  # type: ignore[attr-defined]
webhook_endpoints = WebhookEndpoint.__table__  # type: ignore[attr-defined]
deliveries = Delivery.__table__  # type: ignore[attr-defined]
delivery_attempts = DeliveryAttempt.__table__  # type: ignore[attr-defined]
signing_keys = SigningKey.__table__  # type: ignore[attr-defined]
agents = Agent.__table__  # type: ignore[attr-defined]
queues = Queue.__table__  # type: ignore[attr-defined]
phone_numbers = PhoneNumber.__table__  # type: ignore[attr-defined]
telephony_settings = TelephonySettings.__table__  # type: ignore[attr-defined]
calls = CallRow.__table__  # type: ignore[attr-defined]
recordings = RecordingRow.__table__  # type: ignore[attr-defined]
salesforce_oauth_states = SalesforceOAuthState.__table__  # type: ignore[attr-defined]
salesforce_orgs = SalesforceOrg.__table__  # type: ignore[attr-defined]
salesforce_org_keys = SalesforceOrgKey.__table__  # type: ignore[attr-defined]
salesforce_users = SalesforceUser.__table__  # type: ignore[attr-defined]

metadata = SQLModel.metadata


# -- Screen pops (migration 0005) -----------------------------------------------------------


class ScreenPopSettingsRow(SQLModel, table=True):
    """A tenant's screen-pop choices; no row means the defaults (US, prefer_case off)."""

    __tablename__ = "screenpop_settings"
    tenant_id: str = Field(primary_key=True, max_length=40)
    default_region: str = Field(max_length=2)
    prefer_case: bool = False
    updated_at: float


screenpop_settings = ScreenPopSettingsRow.__table__  # type: ignore[attr-defined]


# -- Softphone sessions (migration 0006) ----------------------------------------------------


class SoftphoneSession(SQLModel, table=True):
    """An agent signed in from the console (docs/salesforce.md, "Agent sign-in from the
    console"): the one-time ticket the popup hands over, then the cookie's secret. Both are
    kept as SHA-256 digests; the user's Salesforce refresh token is sealed with the master key,
    bound to the row."""

    __tablename__ = "softphone_sessions"
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(index=True, max_length=40)
    org_row_id: str = Field(max_length=40)
    agent_id: str = Field(max_length=40)
    sf_user_id: str = Field(max_length=18)
    refresh_token_enc: str | None = Field(default=None, sa_column=Column(Text))
    ticket_digest: str | None = Field(default=None, unique=True, max_length=64)
    ticket_expires_at: float | None = None
    secret_digest: str | None = Field(default=None, unique=True, max_length=64)
    created_at: float
    last_used_at: float
    validated_at: float  # the last time Salesforce confirmed the user
    expires_at: float = Field(index=True)  # absolute
    revoked_at: float | None = None
    end_reason: str | None = Field(default=None, max_length=40)


softphone_sessions = SoftphoneSession.__table__  # type: ignore[attr-defined]


# -- Call logging (migration 0007) ----------------------------------------------------------


class CallLogRow(SQLModel, table=True):
    """A call's Salesforce Task: what was said about the call (by the screen pop or the agent)
    and where its Task stands (docs/salesforce.md, "Call logging").

    ``state``: ``open`` (the call is live), ``wrapping`` (ended; its owner is in after-call
    work), ``due`` (the Task is owed: the durable job), ``sent``, ``skipped`` (the call gets
    no Task: ``reason`` says why), ``failed`` (dead-lettered: ``reason``)."""

    __tablename__ = "call_logs"
    __table_args__ = (
        Index("ix_call_logs_owner", "tenant_id", "agent_id", "state"),
        Index("ix_call_logs_due", "state", "due_at"),
    )
    call_id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(max_length=40)
    agent_id: str | None = Field(default=None, max_length=40)  # the Task's owner, at the end
    who_id: str | None = Field(default=None, max_length=18)
    who_source: str | None = Field(default=None, max_length=16)  # pop|chooser|clicked|navigation
    what_id: str | None = Field(default=None, max_length=18)
    what_source: str | None = Field(default=None, max_length=16)
    notes: str | None = Field(default=None, sa_column=Column(Text))
    disposition: str | None = Field(default=None, max_length=80)
    cdr: str | None = Field(default=None, sa_column=Column(Text))  # call.ended's data, JSON
    kind: str | None = Field(default=None, max_length=16)  # answered | missed | unanswered
    state: str = Field(default="open", max_length=16)
    reason: str | None = Field(default=None, max_length=300)
    org_row_id: str | None = Field(default=None, max_length=40)  # where the Task goes
    task_id: str | None = Field(default=None, max_length=18)
    attempts: int = 0
    due_at: float | None = None
    posted_at: float | None = None  # a create was sent: the next attempt looks first
    sent_at: float | None = None
    created_at: float
    updated_at: float


class CallLogSettingsRow(SQLModel, table=True):
    """A tenant's call logging; no row means the defaults (on, four dispositions, optional)."""

    __tablename__ = "call_log_settings"
    tenant_id: str = Field(primary_key=True, max_length=40)
    enabled: bool = True
    dispositions: str = Field(sa_column=Column(Text, nullable=False))  # JSON list
    disposition_required: bool = False
    updated_at: float


call_logs = CallLogRow.__table__  # type: ignore[attr-defined]
call_log_settings = CallLogSettingsRow.__table__  # type: ignore[attr-defined]


# -- Agent preferences (migration 0008) -----------------------------------------------------


class AgentPreferencesRow(SQLModel, table=True):
    """An agent's audio devices, by label (docs/salesforce.md, "The softphone in the
    console"); no row, or a null label, means the system default. Device ids are not kept:
    a browser gives them per origin, and may change them between loads."""

    __tablename__ = "agent_preferences"
    tenant_id: str = Field(primary_key=True, max_length=40)
    agent_id: str = Field(primary_key=True, max_length=40)
    mic_label: str | None = Field(default=None, max_length=200)
    speaker_label: str | None = Field(default=None, max_length=200)
    ringer_label: str | None = Field(default=None, max_length=200)
    updated_at: float


agent_preferences = AgentPreferencesRow.__table__  # type: ignore[attr-defined]


# -- SCRT2 (migration 0009) -------------------------------------------------------------------


class Scrt2CallRow(SQLModel, table=True):
    """An inbound call as one org's VoiceCall (server/salesforce/scrt2_delivery.py): the facts
    its later requests are built from, and the VoiceCall id of its latest leg."""

    __tablename__ = "scrt2_calls"
    tenant_id: str = Field(primary_key=True, max_length=40)
    org_row_id: str = Field(primary_key=True, max_length=40)
    call_id: str = Field(primary_key=True, max_length=40)
    created: str = Field(sa_column=Column(Text, nullable=False))  # JSON: call.created
    cdr: str | None = Field(default=None, sa_column=Column(Text))  # JSON: call.ended
    voice_call_id: str | None = Field(default=None, max_length=18)
    previous_voice_call_id: str | None = Field(default=None, max_length=18)  # a transfer's
    updated_at: float


class Scrt2RequestRow(SQLModel, table=True):
    """One SCRT2 request, a durable job of the call's ordered lane (``id`` orders them)."""

    __tablename__ = "scrt2_requests"
    __table_args__ = (Index("ix_scrt2_requests_due", "state", "org_row_id", "call_id"),)
    id: int | None = Field(default=None, sa_column=Column(_BIGSERIAL, primary_key=True))
    tenant_id: str = Field(max_length=40)
    org_row_id: str = Field(max_length=40)
    call_id: str = Field(max_length=40)
    # create | transfer | leg_end | end | recording | message (a bulk sends message rows,
    # each keeping its kind: there is no bulk row)
    kind: str = Field(max_length=16)
    method: str = Field(max_length=8)
    body: str = Field(sa_column=Column(Text, nullable=False))  # JSON, as sent
    state: str = Field(max_length=16)  # due | sent | failed
    attempts: int = 0
    due_at: float
    status_code: int | None = None
    latency_ms: float | None = None
    reason: str | None = Field(default=None, max_length=300)
    created_at: float
    sent_at: float | None = None


scrt2_calls = Scrt2CallRow.__table__  # type: ignore[attr-defined]
scrt2_requests = Scrt2RequestRow.__table__  # type: ignore[attr-defined]


# -- transcription (migration 0010) ----------------------------------------------------------


class TranscriptRow(SQLModel, table=True):
    """A call's transcript: ``live`` while the call is transcribed, then ``completed``."""

    __tablename__ = "transcripts"
    tenant_id: str = Field(primary_key=True, max_length=40)
    call_id: str = Field(primary_key=True, max_length=40)
    transcript_id: str = Field(max_length=40, unique=True)
    language: str = Field(max_length=20)
    state: str = Field(max_length=16)  # live | completed
    started_at: float
    completed_at: float | None = None


class TranscriptSegmentRow(SQLModel, table=True):
    """One utterance of one party, as ``transcript.segment`` gave it. Times are ms since the
    call's ``created_at``."""

    __tablename__ = "transcript_segments"
    __table_args__ = (Index("ix_transcript_segments_call", "tenant_id", "call_id", "start_ms"),)
    id: int | None = Field(default=None, sa_column=Column(_BIGSERIAL, primary_key=True))
    tenant_id: str = Field(max_length=40)
    call_id: str = Field(max_length=40)
    segment_id: str = Field(max_length=40, unique=True)
    speaker: str = Field(max_length=16)  # caller | agent
    agent_id: str | None = Field(default=None, max_length=40)
    text: str = Field(sa_column=Column(Text, nullable=False))
    confidence: float
    start_ms: int
    end_ms: int
    created_at: float


transcripts = TranscriptRow.__table__  # type: ignore[attr-defined]
transcript_segments = TranscriptSegmentRow.__table__  # type: ignore[attr-defined]
