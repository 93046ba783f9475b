"""Stored results under the OFGL conventions (``budget-result/2``).

Format 2 has the shape of format 1; what changed is what its figures count (asset
disposals with investment receipts, neutral debt operations apart: ``conventions``
version 2). Upgrading changes no row: a result of format 1 is never shown as current, and
the first read of its document queues the job that computes it again. Downgrading labels
results of format 2 as format 1, the shape earlier revisions (0005's downgrade) read.

Revision ID: 0009_budget_result_conventions
Revises: 0008_budget_unique_category_ids
Create Date: 2026-12-06 00:00:00
"""

from alembic import op

revision = "0009_budget_result_conventions"
down_revision = "0008_budget_unique_category_ids"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to convert: out-of-date results are computed again by their job."""


def downgrade() -> None:
    op.execute(
        "UPDATE budget_aggregation "
        "SET result = jsonb_set(result, '{format}', '\"budget-result/1\"') "
        "WHERE result->>'format' = 'budget-result/2'"
    )
