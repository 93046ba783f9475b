"""Aggregation rule sets of organisations (and dataset overrides), their versions, and the
aggregation stored per document with the rule-set version and content hash behind it.

Revision ID: 0003_budget_rulesets
Revises: 0002_budget_tables
Create Date: 2026-11-24 00:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003_budget_rulesets"
down_revision = "0002_budget_tables"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "budget_ruleset",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column(
            "owner_org",
            sa.UnicodeText,
            sa.ForeignKey("group.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "package_id",
            sa.UnicodeText,
            sa.ForeignKey("package.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("label", sa.UnicodeText, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created", sa.DateTime(timezone=True)),
        sa.Column("updated", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_budget_ruleset_owner_org", "budget_ruleset", ["owner_org"])
    # One rule set per organisation, one override per dataset.
    op.create_index(
        "ux_budget_ruleset_org",
        "budget_ruleset",
        ["owner_org"],
        unique=True,
        postgresql_where=sa.text("package_id IS NULL"),
    )
    op.create_index("ux_budget_ruleset_package", "budget_ruleset", ["package_id"], unique=True)
    op.create_table(
        "budget_ruleset_version",
        sa.Column(
            "ruleset_id",
            sa.UnicodeText,
            sa.ForeignKey("budget_ruleset.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("content", JSONB, nullable=False),
        sa.Column("changes", JSONB, nullable=False),
        sa.Column("author", sa.UnicodeText),
        sa.Column("comment", sa.UnicodeText),
        sa.Column("restored_from", sa.Integer),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "budget_aggregation",
        sa.Column(
            "resource_id",
            sa.UnicodeText,
            sa.ForeignKey("budget_document.resource_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "ruleset_id",
            sa.UnicodeText,
            sa.ForeignKey("budget_ruleset.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("ruleset_version", sa.Integer),
        sa.Column("ruleset_name", sa.UnicodeText, nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("result", JSONB, nullable=False),
        sa.Column("computed", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_budget_aggregation_ruleset_id", "budget_aggregation", ["ruleset_id"])


def downgrade() -> None:
    op.drop_table("budget_aggregation")
    op.drop_table("budget_ruleset_version")
    op.drop_table("budget_ruleset")
