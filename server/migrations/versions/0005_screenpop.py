"""Screen pops: a tenant's settings (default region, prefer_case)

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screenpop_settings",
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.Column("default_region", sa.String(length=2), nullable=False),
        sa.Column("prefer_case", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id"),
    )


def downgrade() -> None:
    op.drop_table("screenpop_settings")
