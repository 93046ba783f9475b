"""The index side: CKAN calls it when a dataset is created, updated, deleted or reindexed."""

from __future__ import annotations

import json
import logging
from typing import Any

import sqlalchemy as sa
from ckan import model
from ckan.common import config
from ckan.lib.search.index import SearchIndex

from ckanext.budget.pgsearch.document import IndexEntry, build_entry
from ckanext.budget.pgsearch.table import TABLE_NAME, ensure_table

log = logging.getLogger(__name__)

UPSERT = sa.text(
    f"""
    INSERT INTO {TABLE_NAME} (id, name, site_id, state, capacity, dataset_type,
        metadata_modified, permission_labels, doc, terms, search_vector)
    VALUES (:id, :name, :site_id, :state, :capacity, :dataset_type, :metadata_modified,
        CAST(:permission_labels AS text[]), CAST(:doc AS jsonb), CAST(:terms AS jsonb),
        setweight(to_tsvector('french', :a) || to_tsvector('simple', :a), 'A')
        || setweight(to_tsvector('french', :b) || to_tsvector('simple', :b), 'B')
        || setweight(to_tsvector('french', :c) || to_tsvector('simple', :c), 'C')
        || setweight(to_tsvector('french', :d) || to_tsvector('simple', :d), 'D'))
    ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, site_id = EXCLUDED.site_id,
        state = EXCLUDED.state, capacity = EXCLUDED.capacity,
        dataset_type = EXCLUDED.dataset_type, metadata_modified = EXCLUDED.metadata_modified,
        permission_labels = EXCLUDED.permission_labels,
        doc = EXCLUDED.doc, terms = EXCLUDED.terms, search_vector = EXCLUDED.search_vector
    """
)


def upsert_params(entry: IndexEntry) -> dict[str, Any]:
    """Bind parameters of ``UPSERT`` for ``entry``."""
    text = entry.text_by_weight
    return {
        "id": entry.id,
        "name": entry.name,
        "site_id": entry.site_id,
        "state": entry.state,
        "capacity": entry.capacity,
        "dataset_type": entry.dataset_type,
        "metadata_modified": entry.metadata_modified,
        "permission_labels": entry.permission_labels,
        "doc": json.dumps(entry.doc),
        "terms": json.dumps(entry.terms),
        **{weight.lower(): text.get(weight, "") for weight in "ABCD"},
    }


class PgSearchIndex(SearchIndex):
    """Writes index entries in the caller's database transaction.

    A dataset and its index entry are thus committed (or rolled back) together, which Solr could
    not offer.
    """

    def update_dict(self, data: dict[str, Any], defer_commit: bool = False) -> None:
        if config.get("ckan.search.remove_deleted_packages") and data.get("state") in (
            None,
            "deleted",
        ):
            self.remove_dict(data)
            return
        entry = build_entry(data)
        ensure_table()
        model.Session.execute(UPSERT, upsert_params(entry))
        log.debug("Indexed dataset %s", entry.name)

    def remove_dict(self, data: dict[str, Any]) -> None:
        ensure_table()
        reference = data.get("id")
        model.Session.execute(
            sa.text(
                f"DELETE FROM {TABLE_NAME} WHERE site_id = :site_id "
                "AND (id = :reference OR name = :reference)"
            ),
            {"reference": reference, "site_id": config.get("ckan.site_id")},
        )

    def index_package(self, pkg_dict: dict[str, Any] | None, defer_commit: bool = False) -> None:
        """Called directly by CKAN 2.11's organisation bulk actions."""
        if pkg_dict is not None:
            self.update_dict(pkg_dict, defer_commit)

    def delete_package(self, pkg_dict: dict[str, Any]) -> None:
        self.remove_dict(pkg_dict)

    def clear(self) -> None:
        """Empty this site's index, committed at once like Solr's clear."""
        ensure_table()
        with model.ensure_engine().begin() as connection:
            connection.execute(
                sa.text(f"DELETE FROM {TABLE_NAME} WHERE site_id = :site_id"),
                {"site_id": config.get("ckan.site_id")},
            )

    def commit(self) -> None:
        """Commit entries written with ``defer_commit`` (CKAN 2.11's bulk actions rely on it)."""
        model.Session.commit()
