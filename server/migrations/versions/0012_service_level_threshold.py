"""The tenant's service level threshold: a queued call answered within it counts as in service

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("telephony_settings") as batch:
        batch.add_column(
            sa.Column("service_level_threshold_s", sa.Float(), nullable=False, server_default="20")
        )


def downgrade() -> None:
    with op.batch_alter_table("telephony_settings") as batch:
        batch.drop_column("service_level_threshold_s")
