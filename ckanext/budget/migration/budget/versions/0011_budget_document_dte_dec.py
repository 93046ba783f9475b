"""When each decision was voted (``DteDec``), as a column of ``budget_document``: a year's
voted figures are the credits after its latest decision, and a décision modificative is
often voted before the budget supplémentaire.

Filled from the header stored with each document (it has always kept ``dte_dec``); a
date that does not read as ``YYYY-MM-DD`` stays NULL, and the decisions of a year where
one is NULL keep the order by stage and number.

Revision ID: 0011_budget_document_dte_dec
Revises: 0010_budget_ruleset_soft_delete
Create Date: 2026-12-07 00:00:00
"""

import datetime

import sqlalchemy as sa
from alembic import op

revision = "0011_budget_document_dte_dec"
down_revision = "0010_budget_ruleset_soft_delete"
branch_labels = None
depends_on = None


def _date(value: str | None) -> datetime.date | None:
    """As ``docbudg.model.parse_date`` parses it (kept here: a revision does not change)."""
    try:
        return datetime.date.fromisoformat((value or "").strip()[:10])
    except ValueError:
        return None


def upgrade() -> None:
    op.add_column("budget_document", sa.Column("dte_dec", sa.Date, nullable=True))
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT resource_id, header ->> 'dte_dec' FROM budget_document "
            "WHERE header ->> 'dte_dec' IS NOT NULL"
        )
    )
    dated = [
        {"id": resource_id, "day": day}
        for resource_id, value in rows
        if (day := _date(value)) is not None
    ]
    if dated:
        bind.execute(
            sa.text("UPDATE budget_document SET dte_dec = :day WHERE resource_id = :id"), dated
        )


def downgrade() -> None:
    op.drop_column("budget_document", "dte_dec")
