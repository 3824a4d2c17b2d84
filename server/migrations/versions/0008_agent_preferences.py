"""Agent preferences: each agent's audio devices (microphone, call speaker, ringer), by label

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_preferences",
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.Column("agent_id", sa.String(length=40), nullable=False),
        sa.Column("mic_label", sa.String(length=200), nullable=True),
        sa.Column("speaker_label", sa.String(length=200), nullable=True),
        sa.Column("ringer_label", sa.String(length=200), nullable=True),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "agent_id"),
    )


def downgrade() -> None:
    op.drop_table("agent_preferences")
