"""Deleting a rule set keeps it: ``deleted`` (when) and ``deleted_by`` (who) on
``budget_ruleset``. A deleted rule set applies to nothing, so the indexes that allow one
rule set per organisation and one per dataset count only those not deleted (a new rule
set can be made where one was deleted). Downgrading removes the deleted rule sets with
their versions (the earlier schema cannot tell them apart).

Revision ID: 0010_budget_ruleset_soft_delete
Revises: 0009_budget_result_conventions
Create Date: 2026-12-06 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_budget_ruleset_soft_delete"
down_revision = "0009_budget_result_conventions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("budget_ruleset", sa.Column("deleted", sa.DateTime(timezone=True)))
    op.add_column("budget_ruleset", sa.Column("deleted_by", sa.UnicodeText))
    op.drop_index("ux_budget_ruleset_org", table_name="budget_ruleset")
    op.drop_index("ux_budget_ruleset_package", table_name="budget_ruleset")
    op.create_index(
        "ux_budget_ruleset_org",
        "budget_ruleset",
        ["owner_org"],
        unique=True,
        postgresql_where=sa.text("package_id IS NULL AND deleted IS NULL"),
    )
    op.create_index(
        "ux_budget_ruleset_package",
        "budget_ruleset",
        ["package_id"],
        unique=True,
        postgresql_where=sa.text("deleted IS NULL"),
    )


def downgrade() -> None:
    op.execute("DELETE FROM budget_ruleset WHERE deleted IS NOT NULL")
    op.drop_index("ux_budget_ruleset_org", table_name="budget_ruleset")
    op.drop_index("ux_budget_ruleset_package", table_name="budget_ruleset")
    op.create_index(
        "ux_budget_ruleset_org",
        "budget_ruleset",
        ["owner_org"],
        unique=True,
        postgresql_where=sa.text("package_id IS NULL"),
    )
    op.create_index("ux_budget_ruleset_package", "budget_ruleset", ["package_id"], unique=True)
    op.drop_column("budget_ruleset", "deleted_by")
    op.drop_column("budget_ruleset", "deleted")
