"""SCRT2 settings per org (push transcripts, the provider name) and each user's Username

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("salesforce_orgs") as batch:
        batch.add_column(
            sa.Column("push_transcripts", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column(
                "provider_name", sa.String(length=80), nullable=False, server_default="calltree"
            )
        )
    with op.batch_alter_table("salesforce_users") as batch:
        batch.add_column(sa.Column("username", sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("salesforce_users") as batch:
        batch.drop_column("username")
    with op.batch_alter_table("salesforce_orgs") as batch:
        batch.drop_column("provider_name")
        batch.drop_column("push_transcripts")
