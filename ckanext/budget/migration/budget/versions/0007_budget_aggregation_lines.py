"""Each stored aggregation keeps its leaves' lines beside its result (format
``budget-lines/1``, see ``docbudg.figures.results.leaf_lines_to_json``): a leaf's lines,
the API's ``lines=true`` and its CSV are read from the database, never computed again
from the document by a read.

Aggregations stored before this revision have no lines: they are marked out of date (no
content hash matches them), so the first read of each shows that its figures are being
computed and queues the job that computes them again.

Revision ID: 0007_budget_aggregation_lines
Revises: 0006_budget_document_big_numbers
Create Date: 2026-12-06 00:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0007_budget_aggregation_lines"
down_revision = "0006_budget_document_big_numbers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("budget_aggregation", sa.Column("lines", JSONB, nullable=True))
    op.execute("UPDATE budget_aggregation SET content_sha256 = ''")


def downgrade() -> None:
    op.drop_column("budget_aggregation", "lines")
