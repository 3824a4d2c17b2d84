"""A tenant's events in time order: the call history's timeline of one call

``GET /api/v1/calls/{id}/events`` reads the tenant's events emitted while the call lasted
(the events table has no call column; ``data`` names the call), so it walks this index over
the call's lifetime instead of every event the tenant ever had.

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_events_tenant_created", "events", ["tenant_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_events_tenant_created", table_name="events")
