"""The index side: CKAN calls it when a dataset is created, updated, deleted or reindexed."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from ckan import model
from ckan.common import config
from ckan.lib.search.index import SearchIndex
from sqlalchemy.dialects.postgresql import insert as pg_insert

from .document import IndexEntry, build_entry
from .table import ensure_table, index_table

log = logging.getLogger(__name__)

FRENCH = sa.literal_column("'french'::regconfig")
SIMPLE = sa.literal_column("'simple'::regconfig")


def _weighted(text: str, weight: str) -> Any:
    """French stems and plain words of ``text``, at one of the four weights."""
    words = sa.func.to_tsvector(FRENCH, text).op("||")(sa.func.to_tsvector(SIMPLE, text))
    return sa.func.setweight(words, weight)


def upsert(entry: IndexEntry) -> Any:
    """The statement that writes ``entry``: a Core statement, so that the page cache (a
    listener of the session) sees it as the write it is."""
    text = entry.text_by_weight
    vector = _weighted(text.get("A", ""), "A")
    for weight in "BCD":
        vector = vector.op("||")(_weighted(text.get(weight, ""), weight))
    statement = pg_insert(index_table).values(
        id=entry.id,
        name=entry.name,
        site_id=entry.site_id,
        state=entry.state,
        capacity=entry.capacity,
        dataset_type=entry.dataset_type,
        metadata_modified=entry.metadata_modified,
        permission_labels=entry.permission_labels,
        doc=entry.doc,
        terms=entry.terms,
        search_vector=vector,
    )
    updated = {c.name: statement.excluded[c.name] for c in index_table.columns if c.name != "id"}
    return statement.on_conflict_do_update(index_elements=[index_table.c.id], set_=updated)


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
        model.Session.execute(upsert(entry))
        log.debug("Indexed dataset %s", entry.name)

    def remove_dict(self, data: dict[str, Any]) -> None:
        ensure_table()
        reference = data.get("id")
        model.Session.execute(
            index_table.delete().where(
                index_table.c.site_id == config.get("ckan.site_id"),
                sa.or_(index_table.c.id == reference, index_table.c.name == reference),
            )
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
        model.Session.execute(
            index_table.delete().where(index_table.c.site_id == config.get("ckan.site_id"))
        )
        model.Session.commit()

    def commit(self) -> None:
        """Commit entries written with ``defer_commit`` (CKAN 2.11's bulk actions rely on it)."""
        model.Session.commit()
