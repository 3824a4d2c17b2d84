"""Softphone sessions (agent sign-in from the console), and OAuth states of two kinds

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # An agent's sign-in popup stores a state too: no dashboard user, but the org it is for.
    with op.batch_alter_table("salesforce_oauth_states") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="admin")
        )
        batch.add_column(sa.Column("org_row_id", sa.String(length=40), nullable=True))
        batch.alter_column("admin_user_id", existing_type=sa.String(length=40), nullable=True)
    op.create_table(
        "softphone_sessions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.Column("org_row_id", sa.String(length=40), nullable=False),
        sa.Column("agent_id", sa.String(length=40), nullable=False),
        sa.Column("sf_user_id", sa.String(length=18), nullable=False),
        sa.Column("refresh_token_enc", sa.Text(), nullable=True),
        sa.Column("ticket_digest", sa.String(length=64), nullable=True),
        sa.Column("ticket_expires_at", sa.Float(), nullable=True),
        sa.Column("secret_digest", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("last_used_at", sa.Float(), nullable=False),
        sa.Column("validated_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("revoked_at", sa.Float(), nullable=True),
        sa.Column("end_reason", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_digest"),
        sa.UniqueConstraint("secret_digest"),
    )
    op.create_index(
        op.f("ix_softphone_sessions_tenant_id"), "softphone_sessions", ["tenant_id"], unique=False
    )
    op.create_index(
        op.f("ix_softphone_sessions_expires_at"), "softphone_sessions", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_softphone_sessions_expires_at"), table_name="softphone_sessions")
    op.drop_index(op.f("ix_softphone_sessions_tenant_id"), table_name="softphone_sessions")
    op.drop_table("softphone_sessions")
    op.execute("DELETE FROM salesforce_oauth_states WHERE kind != 'admin'")
    with op.batch_alter_table("salesforce_oauth_states") as batch:
        batch.alter_column("admin_user_id", existing_type=sa.String(length=40), nullable=False)
        batch.drop_column("org_row_id")
        batch.drop_column("kind")
