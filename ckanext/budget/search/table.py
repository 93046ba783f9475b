"""The index table: one row per dataset, holding what CKAN would have sent to Solr.

The table sits on CKAN's own SQLAlchemy metadata so that CKAN's test helpers empty it with the
other tables. It is created on first use rather than by a migration: ``ckan db clean`` and the
test fixtures drop every table, and an index can always be rebuilt (``ckan search-index rebuild``).
"""

from __future__ import annotations

import sqlalchemy as sa
from ckan import model
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR

TABLE_NAME = "budget_pgsearch_index"

index_table = sa.Table(
    TABLE_NAME,
    model.meta.metadata,
    sa.Column("id", sa.UnicodeText, primary_key=True),
    sa.Column("name", sa.UnicodeText, nullable=False),
    sa.Column("site_id", sa.UnicodeText, nullable=False),
    sa.Column("state", sa.UnicodeText),
    sa.Column("capacity", sa.UnicodeText),
    sa.Column("dataset_type", sa.UnicodeText),
    sa.Column("metadata_modified", sa.UnicodeText),
    sa.Column("permission_labels", ARRAY(sa.UnicodeText), nullable=False),
    # the index document (Solr fields, incl. data_dict / validated_data_dict), for results and fl
    sa.Column("doc", JSONB, nullable=False),
    # every filterable field as {field: [text values]}, for fq, facets and sorting
    sa.Column("terms", JSONB, nullable=False),
    sa.Column("search_vector", TSVECTOR, nullable=False),
    sa.Index(
        f"{TABLE_NAME}_terms_idx",
        "terms",
        postgresql_using="gin",
        postgresql_ops={"terms": "jsonb_path_ops"},
    ),
    sa.Index(f"{TABLE_NAME}_search_vector_idx", "search_vector", postgresql_using="gin"),
    extend_existing=True,
)


def ensure_table() -> None:
    """Create the index table if it is missing (first start, or after ``ckan db clean``)."""
    exists = model.Session.execute(
        sa.text("SELECT to_regclass(:name) IS NOT NULL"), {"name": TABLE_NAME}
    ).scalar()
    if exists:
        return
    # Own connection and transaction, so that the DDL never depends on the caller's transaction.
    with model.ensure_engine().begin() as connection:
        index_table.create(connection, checkfirst=True)
