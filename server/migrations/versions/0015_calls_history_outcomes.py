"""The call history's rare outcomes: partial indexes of the calls still going and of the
calls that ended unanswered

``GET /api/v1/calls?outcome=…`` walks the tenant's calls newest first until it has a page.
For an outcome most calls have (answered) that is a few rows of ``ix_calls_tenant_created``;
for one few or none have it was every call of the tenant (1.5 s at 1,000,000 calls on
SQLite). These two hold only those rows, so they stay small and cost a write only when a
call enters or leaves them: ``ix_calls_tenant_live`` the calls not ended (in_progress),
``ix_calls_tenant_unanswered`` the calls that ended unanswered, by direction (abandoned and
missed inbound, unanswered outbound). Measured in docs/calls.md.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

LIVE = "state != 'ended'"
UNANSWERED = "state = 'ended' AND answered_at IS NULL"


def upgrade() -> None:
    op.create_index(
        "ix_calls_tenant_live",
        "calls",
        ["tenant_id", "created_at"],
        sqlite_where=sa.text(LIVE),
        postgresql_where=sa.text(LIVE),
    )
    op.create_index(
        "ix_calls_tenant_unanswered",
        "calls",
        ["tenant_id", "direction", "created_at"],
        sqlite_where=sa.text(UNANSWERED),
        postgresql_where=sa.text(UNANSWERED),
    )


def downgrade() -> None:
    op.drop_index("ix_calls_tenant_unanswered", table_name="calls")
    op.drop_index("ix_calls_tenant_live", table_name="calls")
