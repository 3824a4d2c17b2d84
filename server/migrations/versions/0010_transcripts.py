"""Live transcription: the tenant's switch, each call's transcript and its segments

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("telephony_settings") as batch:
        batch.add_column(
            sa.Column("transcribe_calls", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "transcripts",
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.Column("call_id", sa.String(length=40), nullable=False),
        sa.Column("transcript_id", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("completed_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "call_id"),
        sa.UniqueConstraint("transcript_id"),
    )
    op.create_table(
        "transcript_segments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.Column("call_id", sa.String(length=40), nullable=False),
        sa.Column("segment_id", sa.String(length=40), nullable=False),
        sa.Column("speaker", sa.String(length=16), nullable=False),
        sa.Column("agent_id", sa.String(length=40), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("start_ms", sa.Integer(), nullable=False),
        sa.Column("end_ms", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("segment_id"),
    )
    op.create_index(
        "ix_transcript_segments_call", "transcript_segments", ["tenant_id", "call_id", "start_ms"]
    )


def downgrade() -> None:
    op.drop_index("ix_transcript_segments_call", table_name="transcript_segments")
    op.drop_table("transcript_segments")
    op.drop_table("transcripts")
    with op.batch_alter_table("telephony_settings") as batch:
        batch.drop_column("transcribe_calls")
