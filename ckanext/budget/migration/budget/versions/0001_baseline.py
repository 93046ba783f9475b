"""Baseline of the budget plugin's schema: no tables yet.

Gives `ckan db upgrade -p budget` a first revision to record, so later revisions
(the plugin's own tables) have a known starting point on every portal.

Revision ID: 0001_baseline
Revises:
Create Date: 2026-11-23 00:00:00
"""

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
