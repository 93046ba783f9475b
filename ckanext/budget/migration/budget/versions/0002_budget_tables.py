"""Tables of processed budget documents: metadata and reports, lines, derived files.

Revision ID: 0002_budget_tables
Revises: 0001_baseline
Create Date: 2026-11-23 02:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002_budget_tables"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None

AMOUNTS = ("mtbudgprec", "mtrarprec", "mtpropnouv", "mtprev", "credouv", "mtreal", "mtrar3112")


def upgrade() -> None:
    op.create_table(
        "budget_document",
        sa.Column(
            "resource_id",
            sa.UnicodeText,
            sa.ForeignKey("resource.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "package_id",
            sa.UnicodeText,
            sa.ForeignKey("package.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("collectivite", sa.UnicodeText),
        sa.Column("siret", sa.String(14)),
        sa.Column("etablissement", sa.UnicodeText),
        sa.Column("cod_bud", sa.UnicodeText),
        sa.Column("nomenclature", sa.UnicodeText),
        sa.Column("stage", sa.String(8)),
        sa.Column("num_dec", sa.UnicodeText),
        sa.Column("exercice", sa.Integer),
        sa.Column("is_principal", sa.Boolean),
        sa.Column("header", JSONB),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_reason", JSONB),
        sa.Column("validation_status", sa.String(16)),
        sa.Column("validation_report", JSONB),
        sa.Column("anonymisation_report", JSONB),
        sa.Column("counts", JSONB),
        sa.Column("job_id", sa.UnicodeText),
        sa.Column("created", sa.DateTime(timezone=True)),
        sa.Column("updated", sa.DateTime(timezone=True)),
        sa.Column("processed", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_budget_document_package_id", "budget_document", ["package_id"])
    op.create_index("ix_budget_document_exercice", "budget_document", ["exercice"])

    op.create_table(
        "budget_line",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column(
            "resource_id",
            sa.UnicodeText,
            sa.ForeignKey("budget_document.resource_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("idx", sa.Integer, nullable=False),
        sa.Column("cod_rd", sa.String(1)),
        sa.Column("section", sa.String(1)),
        sa.Column("op_budg", sa.String(1)),
        sa.Column("chapter", sa.UnicodeText),
        sa.Column("nature", sa.UnicodeText),
        sa.Column("fonction", sa.UnicodeText),
        sa.Column("cont_nat", sa.UnicodeText),
        sa.Column("operation", sa.UnicodeText),
        sa.Column("chapter_label", sa.UnicodeText),
        sa.Column("nature_label", sa.UnicodeText),
        sa.Column("function_label", sa.UnicodeText),
        *(sa.Column(name, sa.Numeric(18, 2)) for name in AMOUNTS),
    )
    op.create_index("budget_line_resource_idx", "budget_line", ["resource_id", "idx"])

    op.create_table(
        "budget_export",
        sa.Column(
            "resource_id",
            sa.UnicodeText,
            sa.ForeignKey("budget_document.resource_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("name", sa.UnicodeText, primary_key=True),
        sa.Column("media_type", sa.UnicodeText, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("budget_export")
    op.drop_table("budget_line")
    op.drop_table("budget_document")
