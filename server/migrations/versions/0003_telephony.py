"""telephony: agents, queues, numbers, tenant settings, calls (CDR), recordings

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agents",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("extension", sa.String(length=16), nullable=False),
        sa.Column("queue_ids", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "email", name="uq_agents_email"),
        sa.UniqueConstraint("tenant_id", "extension", name="uq_agents_extension"),
    )
    op.create_index(op.f("ix_agents_tenant_id"), "agents", ["tenant_id"], unique=False)
    op.create_table(
        "queues",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("ring_timeout_s", sa.Float(), nullable=False),
        sa.Column("max_wait_s", sa.Float(), nullable=True),
        sa.Column("overflow_queue_id", sa.String(length=40), nullable=True),
        sa.Column("overflow_cause", sa.String(length=64), nullable=True),
        sa.Column("wrap_up_s", sa.Float(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_queues_tenant_id"), "queues", ["tenant_id"], unique=False)
    op.create_table(
        "phone_numbers",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.Column("e164", sa.String(length=16), nullable=False),
        sa.Column("queue_id", sa.String(length=40), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("e164"),
    )
    op.create_index(
        op.f("ix_phone_numbers_tenant_id"), "phone_numbers", ["tenant_id"], unique=False
    )
    op.create_table(
        "telephony_settings",
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.Column("pause_reasons", sa.Text(), nullable=False),
        sa.Column("record_calls", sa.Boolean(), nullable=False),
        sa.Column("outbound_wrap_up_s", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    op.create_table(
        "calls",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("from_number", sa.String(length=64), nullable=False),
        sa.Column("to_number", sa.String(length=64), nullable=False),
        sa.Column("queue_id", sa.String(length=40), nullable=True),
        sa.Column("agent_id", sa.String(length=40), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("queued_at", sa.Float(), nullable=True),
        sa.Column("answered_at", sa.Float(), nullable=True),
        sa.Column("ended_at", sa.Float(), nullable=True),
        sa.Column("wait_s", sa.Float(), nullable=True),
        sa.Column("talk_s", sa.Float(), nullable=True),
        sa.Column("hold_s", sa.Float(), nullable=True),
        sa.Column("hangup_cause", sa.String(length=64), nullable=True),
        sa.Column("hangup_side", sa.String(length=16), nullable=True),
        sa.Column("transfers", sa.Text(), nullable=False),
        sa.Column("recording_id", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_calls_tenant_created", "calls", ["tenant_id", "created_at"], unique=False)
    op.create_table(
        "recordings",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.Column("call_id", sa.String(length=40), nullable=False),
        sa.Column("file_name", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("channels", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("ready_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_recordings_call_id"), "recordings", ["call_id"], unique=False)
    op.create_index(op.f("ix_recordings_tenant_id"), "recordings", ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_table("recordings")
    op.drop_table("calls")
    op.drop_table("telephony_settings")
    op.drop_table("phone_numbers")
    op.drop_table("queues")
    op.drop_table("agents")
