"""Call logging: each call's Salesforce Task (annotations, state, Task id), tenant settings

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_logs",
        sa.Column("call_id", sa.String(length=40), nullable=False),
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.Column("agent_id", sa.String(length=40), nullable=True),
        sa.Column("who_id", sa.String(length=18), nullable=True),
        sa.Column("who_source", sa.String(length=16), nullable=True),
        sa.Column("what_id", sa.String(length=18), nullable=True),
        sa.Column("what_source", sa.String(length=16), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("disposition", sa.String(length=80), nullable=True),
        sa.Column("cdr", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("org_row_id", sa.String(length=40), nullable=True),
        sa.Column("task_id", sa.String(length=18), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.Float(), nullable=True),
        sa.Column("posted_at", sa.Float(), nullable=True),
        sa.Column("sent_at", sa.Float(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("call_id"),
    )
    op.create_index("ix_call_logs_owner", "call_logs", ["tenant_id", "agent_id", "state"])
    op.create_index("ix_call_logs_due", "call_logs", ["state", "due_at"])
    op.create_table(
        "call_log_settings",
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("dispositions", sa.Text(), nullable=False),
        sa.Column("disposition_required", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id"),
    )


def downgrade() -> None:
    op.drop_table("call_log_settings")
    op.drop_index("ix_call_logs_due", table_name="call_logs")
    op.drop_index("ix_call_logs_owner", table_name="call_logs")
    op.drop_table("call_logs")
