"""The query side: ``package_search``, group counts, ``package_show``'s cache and the CLI."""

from __future__ import annotations

import fnmatch
import json
import logging
import re
from typing import Any

import sqlalchemy as sa
from ckan import model
from ckan.common import config
from ckan.lib.search.common import SearchError, SearchQueryError
from ckan.lib.search.query import VALID_SOLR_PARAMETERS, PackageSearchQuery

from . import lucene
from .facets import count_facets
from .sql import InvalidSort, SqlBuilder
from .table import TABLE_NAME, ensure_table

log = logging.getLogger(__name__)

_FL_SPLIT_RE = re.compile(r"[\s,]+")


class PgPackageSearchQuery(PackageSearchQuery):
    """``PackageSearchQuery`` answered from the index table, same parameters and return shape."""

    def get_all_entity_ids(self, max_results: int = 1000) -> list[str]:
        ensure_table()
        rows = model.Session.execute(
            sa.text(
                f"SELECT id FROM {TABLE_NAME} WHERE site_id = :site_id "
                "AND state = 'active' ORDER BY id LIMIT :limit"
            ),
            {"site_id": config.get("ckan.site_id"), "limit": max_results},
        )
        return [row[0] for row in rows]

    def get_index(self, reference: str) -> dict[str, Any]:
        # CKAN 2.12's organisation bulk actions pass a database row: compare as Solr did, as text
        reference = str(reference)
        ensure_table()
        doc = model.Session.execute(
            sa.text(
                f"SELECT doc FROM {TABLE_NAME} WHERE site_id = :site_id "
                "AND (id = :reference OR name = :reference)"
            ),
            {"site_id": config.get("ckan.site_id"), "reference": reference},
        ).scalar()
        if doc is None:
            raise SearchError(f"Dataset not found in the search index: {reference}")
        return doc

    def run(
        self,
        query: dict[str, Any],
        permission_labels: list[str] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        invalid = set(query.keys()) - VALID_SOLR_PARAMETERS
        if invalid:
            raise SearchQueryError(f"Invalid search parameters: {sorted(invalid)}")
        ensure_table()
        builder = SqlBuilder()
        where = [f"site_id = {builder.bind(config.get('ckan.site_id'))}"]
        where.append(_compile_q(builder, query.get("q")))
        filters = _filter_queries(query)
        for fq in filters:
            try:
                where.append(builder.where(lucene.parse(fq)))
            except lucene.QuerySyntaxError as error:
                raise SearchQueryError(f"Invalid filter query {fq!r}: {error}") from error
        if not any("+state:" in fq for fq in filters):
            where.append("state = 'active'")
        if permission_labels is not None:
            labels = builder.bind(list(permission_labels))
            where.append(f"permission_labels && CAST({labels} AS text[])")
        where_sql = " AND ".join(where)
        try:
            order_by = builder.order_by(
                query.get("sort") or config.get("ckan.search.default_package_sort")
            )
        except InvalidSort as error:
            raise SearchQueryError('Invalid "sort" parameter') from error

        rows = max(int(query.get("rows", 10)), 0)
        start = max(int(query.get("start", 0) or 0), 0)
        session = model.Session
        self.count = session.execute(
            sa.text(f"SELECT count(*) FROM {TABLE_NAME} WHERE {where_sql}"), builder.params
        ).scalar()
        self.results = []
        if rows:
            found = session.execute(
                sa.text(
                    f"SELECT doc, {builder.rank()} AS score FROM {TABLE_NAME} WHERE {where_sql}"
                    f" ORDER BY {order_by} LIMIT {rows} OFFSET {start}"
                ),
                builder.params,
            )
            fl = query.get("fl") or "name"
            self.results = [_select_fields(doc, score, fl) for doc, score in found]
            if fl in ("id", "name"):
                self.results = [result.get(fl) for result in self.results]

        self.facets = {}
        if str(query.get("facet", "true")).lower() == "true":
            self.facets = count_facets(
                session,
                f"SELECT terms FROM {TABLE_NAME} WHERE {where_sql}",
                builder.params,
                _facet_fields(query.get("facet.field")),
                limit=int(query.get("facet.limit", config.get("search.facets.limit"))),
                mincount=int(query.get("facet.mincount", 1)),
            )
        return {"results": self.results, "count": self.count}


def _compile_q(builder: SqlBuilder, q: str | None) -> str:
    q = (q or "").strip()
    if q in ("", '""', "''", "*:*"):
        return "TRUE"
    if ":" not in q and "*" not in q:
        return builder.free_text(q)
    try:
        return builder.where(lucene.parse(q))
    except lucene.QuerySyntaxError:
        log.debug("Query %r read as plain words", q)
        return builder.free_text(q)


def _filter_queries(query: dict[str, Any]) -> list[str]:
    filters = []
    if query.get("fq"):
        fq = query["fq"]
        filters.extend(fq if isinstance(fq, list) else [fq])
    filters.extend(query.get("fq_list") or [])
    return [fq for fq in filters if fq and fq.strip()]


def _facet_fields(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        value = json.loads(value) if value.startswith("[") else [value]
    return list(value)


def _select_fields(doc: dict[str, Any], score: float, fl: str) -> dict[str, Any]:
    """The requested stored fields, with ``extras_*`` gathered into ``extras`` like CKAN does."""
    wanted = [f for f in _FL_SPLIT_RE.split(fl) if f]
    result: dict[str, Any] = {}
    for pattern in wanted:
        if pattern == "score":
            result["score"] = score
        elif "*" in pattern or "?" in pattern:
            result.update({k: v for k, v in doc.items() if fnmatch.fnmatchcase(k, pattern)})
        elif pattern in doc:
            result[pattern] = doc[pattern]
    extras = {
        key[len("extras_") :]: result.pop(key) for key in list(result) if key.startswith("extras_")
    }
    result["extras"] = extras
    return result
