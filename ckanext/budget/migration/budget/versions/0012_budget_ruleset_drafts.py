"""Rule sets have drafts: ``budget_ruleset.published_version`` is the version the public
sees (``version`` stays the latest saved, a draft when it is newer), and each version
records when and by whom it was published. Every version saved before this revision was
published when saved, so they are marked so, and each rule set's latest is its published
one.

Documents aggregated with an authority's rules are computed again (their stored
aggregation no longer names the version it was made with, so it is out of date and the
next read queues its job): from now on they carry the default presentations beside the
authority's own.

Downgrading drops what the earlier schema would publish without anyone asking: versions
newer than the published one, and rule sets never published.

Revision ID: 0012_budget_ruleset_drafts
Revises: 0011_budget_document_dte_dec
Create Date: 2026-12-06 13:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_budget_ruleset_drafts"
down_revision = "0011_budget_document_dte_dec"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("budget_ruleset", sa.Column("published_version", sa.Integer))
    op.add_column("budget_ruleset_version", sa.Column("published", sa.DateTime(timezone=True)))
    op.add_column("budget_ruleset_version", sa.Column("published_by", sa.UnicodeText))
    op.execute("UPDATE budget_ruleset SET published_version = version")
    op.execute("UPDATE budget_ruleset_version SET published = created, published_by = author")
    op.execute("UPDATE budget_aggregation SET ruleset_version = NULL WHERE ruleset_id IS NOT NULL")


def downgrade() -> None:
    op.execute("DELETE FROM budget_ruleset WHERE published_version IS NULL")
    op.execute(
        "DELETE FROM budget_ruleset_version v USING budget_ruleset r "
        "WHERE v.ruleset_id = r.id AND v.version > r.published_version"
    )
    op.execute("UPDATE budget_ruleset SET version = published_version")
    op.drop_column("budget_ruleset_version", "published_by")
    op.drop_column("budget_ruleset_version", "published")
    op.drop_column("budget_ruleset", "published_version")
