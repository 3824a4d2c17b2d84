"""The call reports' rollup: the ended calls' sums per tenant, UTC hour, queue and agent

``GET /api/v1/reports/calls`` summed every call of the period (a year of 1,000,000 calls:
seconds). ``call_rollup`` holds, per tenant, queue, agent and hour of ``created_at``
(``floor(created_at / 3600)``), the counts and sums the report's GROUP BYs return, of the
calls that ended: '' is no queue or no agent, ``*`` all of them, and each call is in four
rows ((queue, agent), (queue, *), (*, agent), (*, *)). ``server/store/rollup.py`` adds each
call in the transaction that ends it; the report reads whole hours from here (docs/reports.md).

The backfill sums the calls that have already ended, with each tenant's service level
threshold (20 s without settings), in one ``INSERT ... SELECT ... GROUP BY``. Its SQL is
written out here, not imported, so that this revision stays what it was when the store
changes; ``tests/telephony/test_report_rollup.py`` checks it against the store's.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

DEFAULT_THRESHOLD_S = 20.0
COUNTS = ("offered", "answered", "abandoned", "missed", "within", "handled", "outbound")
SUMS = ("wait_sum", "handle_sum", "hold_sum")

# One call's contribution, as server/store/reports.py's figures define it.
INBOUND = "c.direction = 'inbound'"
ANSWERED = f"{INBOUND} AND c.answered_at IS NOT NULL"
WAIT = "(c.answered_at - COALESCE(c.queued_at, c.created_at))"
FIGURES = {
    "offered": f"CASE WHEN {INBOUND} THEN 1 ELSE 0 END",
    "answered": f"CASE WHEN {ANSWERED} THEN 1 ELSE 0 END",
    "abandoned": f"CASE WHEN {INBOUND} AND c.hangup_cause = 'abandoned' THEN 1 ELSE 0 END",
    "missed": f"CASE WHEN {INBOUND} AND c.state = 'ended' AND c.answered_at IS NULL "
    "AND COALESCE(c.hangup_cause, '') != 'abandoned' THEN 1 ELSE 0 END",
    "within": f"CASE WHEN {ANSWERED} AND {WAIT} <= "
    f"COALESCE(s.service_level_threshold_s, {DEFAULT_THRESHOLD_S}) THEN 1 ELSE 0 END",
    "wait_sum": f"CASE WHEN {ANSWERED} THEN {WAIT} ELSE 0.0 END",
    "handled": f"CASE WHEN {ANSWERED} AND c.talk_s IS NOT NULL THEN 1 ELSE 0 END",
    "handle_sum": f"CASE WHEN {ANSWERED} AND c.talk_s IS NOT NULL THEN c.talk_s ELSE 0.0 END",
    "hold_sum": f"CASE WHEN {ANSWERED} AND c.talk_s IS NOT NULL "
    "THEN COALESCE(c.hold_s, 0.0) ELSE 0.0 END",
    "outbound": "CASE WHEN c.direction = 'outbound' THEN 1 ELSE 0 END",
}


def _backfill(dialect: str) -> str:
    # PostgreSQL's CAST of a double rounds, so FLOOR first; SQLite's truncates (created_at is
    # never negative), and its FLOOR() exists only when built with the math functions.
    hour = (
        "CAST(c.created_at / 3600.0 AS INTEGER)"
        if dialect == "sqlite"
        else "CAST(FLOOR(c.created_at / 3600.0) AS INTEGER)"
    )
    queue, agent = "COALESCE(c.queue_id, '')", "COALESCE(c.agent_id, '')"
    names = ", ".join(FIGURES)
    sums = ", ".join(f"SUM({expr})" for expr in FIGURES.values())
    parts = []
    for q, a in ((queue, agent), (queue, "'*'"), ("'*'", agent), ("'*'", "'*'")):
        grouped = ", ".join(key for key in ("c.tenant_id", q, a, hour) if key != "'*'")
        parts.append(
            f"SELECT c.tenant_id, {q}, {a}, {hour}, {sums} FROM calls c "
            "LEFT OUTER JOIN telephony_settings s ON s.tenant_id = c.tenant_id "
            f"WHERE c.state = 'ended' GROUP BY {grouped}"
        )
    return (
        f"INSERT INTO call_rollup (tenant_id, queue_id, agent_id, hour, {names}) "
        + " UNION ALL ".join(parts)
    )


def upgrade() -> None:
    op.create_table(
        "call_rollup",
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.Column("queue_id", sa.String(length=40), nullable=False),
        sa.Column("agent_id", sa.String(length=40), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        *(sa.Column(name, sa.Float(), nullable=False) for name in SUMS),
        sa.PrimaryKeyConstraint("tenant_id", "queue_id", "agent_id", "hour"),
    )
    op.create_index(
        "ix_call_rollup_tenant_queue_hour", "call_rollup", ["tenant_id", "queue_id", "hour"]
    )
    op.create_index(
        "ix_call_rollup_tenant_agent_hour", "call_rollup", ["tenant_id", "agent_id", "hour"]
    )
    op.execute(_backfill(op.get_bind().dialect.name))


def downgrade() -> None:
    op.drop_index("ix_call_rollup_tenant_agent_hour", table_name="call_rollup")
    op.drop_index("ix_call_rollup_tenant_queue_hour", table_name="call_rollup")
    op.drop_table("call_rollup")
