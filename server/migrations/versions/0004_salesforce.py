"""Salesforce: connected orgs, pending OAuth states, per-org SCRT2 keys, imported users

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "salesforce_oauth_states",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.Column("admin_user_id", sa.String(length=40), nullable=False),
        sa.Column("verifier_enc", sa.Text(), nullable=False),
        sa.Column("login_url", sa.String(length=300), nullable=False),
        sa.Column("environment", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
    )
    op.create_table(
        "salesforce_org_keys",
        sa.Column("kid", sa.String(length=40), nullable=False),
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.Column("org_row_id", sa.String(length=40), nullable=False),
        sa.Column("private_key_enc", sa.Text(), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("activated_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("kid"),
    )
    op.create_index(
        op.f("ix_salesforce_org_keys_org_row_id"),
        "salesforce_org_keys",
        ["org_row_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_salesforce_org_keys_tenant_id"), "salesforce_org_keys", ["tenant_id"], unique=False
    )
    op.create_table(
        "salesforce_orgs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=18), nullable=False),
        sa.Column("org_id15", sa.String(length=15), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("is_sandbox", sa.Boolean(), nullable=False),
        sa.Column("environment", sa.String(length=16), nullable=False),
        sa.Column("login_url", sa.String(length=300), nullable=False),
        sa.Column("instance_url", sa.String(length=300), nullable=False),
        sa.Column("my_domain", sa.String(length=200), nullable=True),
        sa.Column("identity_url", sa.String(length=400), nullable=False),
        sa.Column("connected_by", sa.String(length=200), nullable=False),
        sa.Column("access_token_enc", sa.Text(), nullable=True),
        sa.Column("refresh_token_enc", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_reason", sa.String(length=300), nullable=True),
        sa.Column("call_center_id", sa.String(length=18), nullable=True),
        sa.Column("call_center_name", sa.String(length=200), nullable=True),
        sa.Column("call_centers", sa.Text(), nullable=False),
        sa.Column("scrt_base_url", sa.String(length=300), nullable=True),
        sa.Column("scrt_source", sa.String(length=20), nullable=False),
        sa.Column("discovery", sa.Text(), nullable=False),
        sa.Column("connected_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id"),
    )
    op.create_index(
        op.f("ix_salesforce_orgs_tenant_id"), "salesforce_orgs", ["tenant_id"], unique=False
    )
    op.create_table(
        "salesforce_users",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.Column("org_row_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=18), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("agent_id", sa.String(length=40), nullable=True),
        sa.Column("imported_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_row_id", "user_id", name="uq_sf_users_org_user"),
    )
    op.create_index(
        op.f("ix_salesforce_users_org_row_id"), "salesforce_users", ["org_row_id"], unique=False
    )
    op.create_index(
        op.f("ix_salesforce_users_tenant_id"), "salesforce_users", ["tenant_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_salesforce_users_tenant_id"), table_name="salesforce_users")
    op.drop_index(op.f("ix_salesforce_users_org_row_id"), table_name="salesforce_users")
    op.drop_table("salesforce_users")
    op.drop_index(op.f("ix_salesforce_orgs_tenant_id"), table_name="salesforce_orgs")
    op.drop_table("salesforce_orgs")
    op.drop_index(op.f("ix_salesforce_org_keys_tenant_id"), table_name="salesforce_org_keys")
    op.drop_index(op.f("ix_salesforce_org_keys_org_row_id"), table_name="salesforce_org_keys")
    op.drop_table("salesforce_org_keys")
    op.drop_table("salesforce_oauth_states")
