"""Translate parsed Solr queries, sorts and facets into SQL over the index table."""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

from .fields import COLUMN_FIELDS, TEXT_FIELD, TOKENIZED_FIELDS
from .lucene import And, MatchAll, Node, Not, Or, Range, Term

_FIELD_RE = re.compile(r"^[A-Za-z_][\w.\-]*$")
_NUMBER_RE = r"^-?[0-9]+(\.[0-9]+)?$"
_WORD_CHARS_RE = re.compile(r"\W+")


class InvalidSort(ValueError):
    """The ``sort`` parameter cannot be read."""


class SqlBuilder:
    """Accumulates bind parameters while compiling query fragments.

    Field names and values always travel as bind parameters, never inside the SQL text.
    """

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}
        # tsquery expressions of the positive free-text terms, for relevance ranking
        self.rank_queries: list[str] = []

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def where(self, node: Node, negated: bool = False) -> str:
        if isinstance(node, MatchAll):
            return "TRUE"
        if isinstance(node, Not):
            return f"NOT ({self.where(node.node, not negated)})"
        if isinstance(node, And):
            return "(" + " AND ".join(self.where(n, negated) for n in node.nodes) + ")"
        if isinstance(node, Or):
            return "(" + " OR ".join(self.where(n, negated) for n in node.nodes) + ")"
        if isinstance(node, Range):
            return self._range(node)
        return self._term(node, negated)

    def free_text(self, text: str) -> str:
        """Web-search syntax over the full-text vector: words, "phrases", OR, -word."""
        value = self.bind(text)
        tsquery = (
            f"(websearch_to_tsquery('french', {value}) || websearch_to_tsquery('simple', {value}))"
        )
        self.rank_queries.append(tsquery)
        return f"search_vector @@ {tsquery}"

    def rank(self) -> str:
        if not self.rank_queries:
            return "0"
        return f"ts_rank(search_vector, {' && '.join(self.rank_queries)})"

    def order_by(self, sort: str) -> str:
        """ORDER BY clause for a Solr sort such as ``score desc, metadata_modified desc``."""
        clauses = []
        for part in filter(None, (p.strip() for p in sort.split(","))):
            words = part.split()
            if len(words) != 2 or words[1].lower() not in ("asc", "desc"):
                raise InvalidSort(part)
            field, direction = words[0], words[1].upper()
            if field == "score":
                if self.rank_queries:
                    clauses.append(f"{self.rank()} {direction}")
                continue
            if not _FIELD_RE.match(field):
                raise InvalidSort(part)
            if field in COLUMN_FIELDS:
                clauses.append(f"{field} {direction} NULLS LAST")
                continue
            clauses.append(f"lower(terms -> {self.bind(field)} ->> 0) {direction} NULLS LAST")
        clauses.append("id ASC")
        return ", ".join(clauses)

    def _term(self, term: Term, negated: bool) -> str:
        field = term.field or TEXT_FIELD
        if field == TEXT_FIELD or field in TOKENIZED_FIELDS:
            tsquery = self._tsquery(term)
            if tsquery is None:
                return "TRUE"
            if field == TEXT_FIELD:
                if not negated:
                    self.rank_queries.append(tsquery)
                return f"search_vector @@ {tsquery}"
            source = f"coalesce((doc -> {self.bind(field)})::text, '')"
            return (
                f"(to_tsvector('french', {source}) || to_tsvector('simple', {source})) @@ {tsquery}"
            )
        if field in COLUMN_FIELDS and not _is_pattern(term):
            # field names in COLUMN_FIELDS are column names
            return f"{field} = {self.bind(term.value)}"
        if term.value == "*" and not term.phrase:
            return f"jsonb_exists(terms, {self.bind(field)})"
        if _is_pattern(term):
            pattern = re.sub(r"([%_\\])", r"\\\1", term.value).replace("*", "%").replace("?", "_")
            return (
                f"EXISTS (SELECT 1 FROM jsonb_array_elements_text(terms -> {self.bind(field)})"
                f" AS v(value) WHERE v.value LIKE {self.bind(pattern)})"
            )
        return f"terms @> CAST({self.bind(json.dumps({field: [term.value]}))} AS jsonb)"

    def _tsquery(self, term: Term) -> str | None:
        if term.phrase:
            value = self.bind(term.value)
            return f"(phraseto_tsquery('french', {value}) || phraseto_tsquery('simple', {value}))"
        if term.value.endswith("*"):
            stem = _WORD_CHARS_RE.sub("", term.value.rstrip("*")).lower()
            if not stem:
                return None
            return f"to_tsquery('simple', {self.bind(stem + ':*')})"
        value = self.bind(term.value)
        return f"(plainto_tsquery('french', {value}) || plainto_tsquery('simple', {value}))"

    def _range(self, node: Range) -> str:
        bounds = [_now() if b == "NOW" else b for b in (node.low, node.high)]
        numeric = all(b is None or re.match(_NUMBER_RE, b) for b in bounds)
        value = (
            f"(CASE WHEN v.value ~ '{_NUMBER_RE}' THEN v.value::numeric END)"
            if numeric
            else "v.value"
        )
        conditions = []
        if bounds[0] is not None:
            conditions.append(f"{value} >= {self.bind(bounds[0])}")
        if bounds[1] is not None:
            conditions.append(f"{value} <= {self.bind(bounds[1])}")
        condition = " AND ".join(conditions) or "TRUE"
        return (
            f"EXISTS (SELECT 1 FROM jsonb_array_elements_text(terms -> {self.bind(node.field)})"
            f" AS v(value) WHERE {condition})"
        )


def _is_pattern(term: Term) -> bool:
    return not term.phrase and ("*" in term.value or "?" in term.value)


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
