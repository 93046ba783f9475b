"""Key indicators of each processed document (épargne brute, nette, dette…), as JSON.

NULL for documents processed before this revision: ``ckan budget reprocess`` fills it.

Revision ID: 0004_budget_indicators
Revises: 0003_budget_rulesets
Create Date: 2026-11-25 00:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004_budget_indicators"
down_revision = "0003_budget_rulesets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("budget_document", sa.Column("indicators", JSONB, nullable=True))


def downgrade() -> None:
    op.drop_column("budget_document", "indicators")
