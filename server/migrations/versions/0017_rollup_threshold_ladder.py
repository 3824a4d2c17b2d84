"""The rollup's service level: a count per rung of a fixed threshold ladder, not one at the
tenant's threshold

``call_rollup.within`` counted the answered calls whose wait was at most the tenant's
threshold, so changing the threshold summed the tenant's rollup again in one transaction
(20.7 s on SQLite, holding its one writer, and 42.7 s on PostgreSQL at 1,000,000 calls).
``within_5`` ... ``within_600`` count them at every rung of the ladder instead (a cumulative
histogram: wait <= 5 s, <= 10 s, ...), and the threshold must be a rung, so a report reads
the column of the tenant's threshold and a change writes nothing to the rollup.

Upgrade: each stored threshold that is not a rung becomes the nearest rung at or below it
(5 s below 10: 19 -> 15, 3 -> 5, 4000 -> 600); the rollup is emptied, given the new columns
and summed again from the ended calls in one ``INSERT ... SELECT ... GROUP BY``, as 0016 did.
Downgrade: ``within`` again, summed at each tenant's threshold (the mapped one: a mapped
threshold stays mapped). The SQL is written out here, not imported, so that this revision
stays what it was when the store changes; ``tests/telephony/test_report_rollup.py`` checks
it against the store's.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

LADDER = (5, 10, 15, 20, 25, 30, 45, 60, 90, 120, 180, 240, 300, 600)
DEFAULT_THRESHOLD_S = 20.0

# One call's contribution, as server/store/reports.py's figures define it (0016's).
INBOUND = "c.direction = 'inbound'"
ANSWERED = f"{INBOUND} AND c.answered_at IS NOT NULL"
WAIT = "(c.answered_at - COALESCE(c.queued_at, c.created_at))"
BEFORE = {
    "offered": f"CASE WHEN {INBOUND} THEN 1 ELSE 0 END",
    "answered": f"CASE WHEN {ANSWERED} THEN 1 ELSE 0 END",
    "abandoned": f"CASE WHEN {INBOUND} AND c.hangup_cause = 'abandoned' THEN 1 ELSE 0 END",
    "missed": f"CASE WHEN {INBOUND} AND c.state = 'ended' AND c.answered_at IS NULL "
    "AND COALESCE(c.hangup_cause, '') != 'abandoned' THEN 1 ELSE 0 END",
}
AFTER = {
    "wait_sum": f"CASE WHEN {ANSWERED} THEN {WAIT} ELSE 0.0 END",
    "handled": f"CASE WHEN {ANSWERED} AND c.talk_s IS NOT NULL THEN 1 ELSE 0 END",
    "handle_sum": f"CASE WHEN {ANSWERED} AND c.talk_s IS NOT NULL THEN c.talk_s ELSE 0.0 END",
    "hold_sum": f"CASE WHEN {ANSWERED} AND c.talk_s IS NOT NULL "
    "THEN COALESCE(c.hold_s, 0.0) ELSE 0.0 END",
    "outbound": "CASE WHEN c.direction = 'outbound' THEN 1 ELSE 0 END",
}
RUNGS = {f"within_{s}": f"CASE WHEN {ANSWERED} AND {WAIT} <= {s} THEN 1 ELSE 0 END" for s in LADDER}
AT_THRESHOLD = {
    "within": f"CASE WHEN {ANSWERED} AND {WAIT} <= "
    f"COALESCE(s.service_level_threshold_s, {DEFAULT_THRESHOLD_S}) THEN 1 ELSE 0 END"
}


def _backfill(dialect: str, within: dict[str, str]) -> str:
    """The rollup's rows of the ended calls, with ``within`` counted as given."""
    # PostgreSQL's CAST of a double rounds, so FLOOR first; SQLite's truncates (created_at is
    # never negative), and its FLOOR() exists only when built with the math functions.
    hour = (
        "CAST(c.created_at / 3600.0 AS INTEGER)"
        if dialect == "sqlite"
        else "CAST(FLOOR(c.created_at / 3600.0) AS INTEGER)"
    )
    figures = {**BEFORE, **within, **AFTER}
    # 0016's within reads the tenant's threshold; the rungs are constants.
    join = (
        " LEFT OUTER JOIN telephony_settings s ON s.tenant_id = c.tenant_id"
        if within is AT_THRESHOLD
        else ""
    )
    queue, agent = "COALESCE(c.queue_id, '')", "COALESCE(c.agent_id, '')"
    names = ", ".join(figures)
    sums = ", ".join(f"SUM({expr})" for expr in figures.values())
    parts = []
    for q, a in ((queue, agent), (queue, "'*'"), ("'*'", agent), ("'*'", "'*'")):
        grouped = ", ".join(key for key in ("c.tenant_id", q, a, hour) if key != "'*'")
        parts.append(
            f"SELECT c.tenant_id, {q}, {a}, {hour}, {sums} FROM calls c{join} "
            f"WHERE c.state = 'ended' GROUP BY {grouped}"
        )
    return (
        f"INSERT INTO call_rollup (tenant_id, queue_id, agent_id, hour, {names}) "
        + " UNION ALL ".join(parts)
    )


def _to_rung() -> str:
    """The nearest rung at or below the stored threshold, 5 below 10."""
    t = "service_level_threshold_s"
    pairs = zip(LADDER, LADDER[1:], strict=False)
    steps = " ".join(f"WHEN {t} < {upper} THEN {lower}" for lower, upper in pairs)
    return (
        f"UPDATE telephony_settings SET {t} = CASE {steps} ELSE {LADDER[-1]} END "
        f"WHERE {t} NOT IN ({', '.join(map(str, LADDER))})"
    )


def upgrade() -> None:
    op.execute(_to_rung())
    op.execute("DELETE FROM call_rollup")  # empty: the new NOT NULL columns need no default
    with op.batch_alter_table("call_rollup") as batch:
        batch.drop_column("within")
        for name in RUNGS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False))
    op.execute(_backfill(op.get_bind().dialect.name, RUNGS))


def downgrade() -> None:
    op.execute("DELETE FROM call_rollup")
    with op.batch_alter_table("call_rollup") as batch:
        for name in RUNGS:
            batch.drop_column(name)
        batch.add_column(sa.Column("within", sa.Integer(), nullable=False))
    op.execute(_backfill(op.get_bind().dialect.name, AT_THRESHOLD))
