"""Facet counts: for each field, how many matching datasets hold each value."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session


def count_facets(
    session: Session,
    matched_sql: str,
    params: dict[str, Any],
    fields: list[str],
    limit: int,
    mincount: int,
) -> dict[str, dict[str, int]]:
    """Solr-style ``facet_fields``: values by descending count then value; ``limit < 0``: all.

    ``matched_sql`` selects the ``terms`` column of the matching rows. Values are distinct per
    dataset (see ``document.extract_terms``), so a count is a number of datasets.
    """
    facets: dict[str, dict[str, int]] = {field: {} for field in fields}
    if not fields:
        return facets
    rows = session.execute(
        sa.text(
            f"""
            WITH matched AS ({matched_sql})
            SELECT f.field, v.value, count(*) AS n
            FROM matched
            CROSS JOIN LATERAL jsonb_each(matched.terms) AS f(field, dataset_values)
            CROSS JOIN LATERAL jsonb_array_elements_text(f.dataset_values) AS v(value)
            WHERE f.field = ANY(CAST(:facet_fields AS text[]))
            GROUP BY f.field, v.value
            HAVING count(*) >= :facet_mincount
            """
        ),
        {**params, "facet_fields": fields, "facet_mincount": mincount},
    )
    by_field: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for field, value, count in rows:
        by_field[field].append((value, count))
    for field, counts in by_field.items():
        counts.sort(key=lambda item: (-item[1], item[0]))
        if limit >= 0:
            counts = counts[:limit]
        facets[field] = dict(counts)
    return facets
