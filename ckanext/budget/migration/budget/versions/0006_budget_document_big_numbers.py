"""The big numbers of each processed document, stored with the document (not only with
its aggregation): the document's page shows them without reading the rule sets' table.

Filled from the aggregation stored for the same content (migration 0005 gave each one its
big numbers); NULL otherwise until ``ckan budget reprocess`` fills it.

Revision ID: 0006_budget_document_big_numbers
Revises: 0005_budget_typed_results
Create Date: 2026-12-06 00:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006_budget_document_big_numbers"
down_revision = "0005_budget_typed_results"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("budget_document", sa.Column("big_numbers", JSONB, nullable=True))
    op.execute(
        """
        UPDATE budget_document AS d
        SET big_numbers = a.result -> 'big_numbers'
        FROM budget_aggregation AS a
        WHERE a.resource_id = d.resource_id
          AND a.content_sha256 = d.content_sha256
          AND a.result ? 'big_numbers'
        """
    )


def downgrade() -> None:
    op.drop_column("budget_document", "big_numbers")
