"""SCRT2: each inbound call's VoiceCall per org, and the durable requests of its lane

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scrt2_calls",
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.Column("org_row_id", sa.String(length=40), nullable=False),
        sa.Column("call_id", sa.String(length=40), nullable=False),
        sa.Column("created", sa.Text(), nullable=False),
        sa.Column("cdr", sa.Text(), nullable=True),
        sa.Column("voice_call_id", sa.String(length=18), nullable=True),
        sa.Column("previous_voice_call_id", sa.String(length=18), nullable=True),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "org_row_id", "call_id"),
    )
    op.create_table(
        "scrt2_requests",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.Column("org_row_id", sa.String(length=40), nullable=False),
        sa.Column("call_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.Float(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("sent_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_scrt2_requests_due", "scrt2_requests", ["state", "org_row_id", "call_id"])


def downgrade() -> None:
    op.drop_index("ix_scrt2_requests_due", table_name="scrt2_requests")
    op.drop_table("scrt2_requests")
    op.drop_table("scrt2_calls")
