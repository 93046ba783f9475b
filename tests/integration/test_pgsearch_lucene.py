"""The Solr query syntax subset that budget_pgsearch reads (no database needed)."""

from __future__ import annotations

import pytest

from ckanext.budget.search.lucene import (
    And,
    MatchAll,
    Not,
    Or,
    QuerySyntaxError,
    Range,
    Term,
    parse,
)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("*:*", MatchAll()),
        ("", MatchAll()),
        ("budget", Term(None, "budget")),
        # as CKAN's tag pages write it
        (
            '+capacity:public +tags:"eau potable"',
            And((Term("capacity", "public"), Term("tags", "eau potable", phrase=True))),
        ),
        # as CKAN 2.11's organisation bulk actions write it
        ('id:"x" OR id:"y"', Or((Term("id", "x", phrase=True), Term("id", "y", phrase=True)))),
        # as package_search writes the state filter
        ("+state:(active OR draft)", Or((Term("state", "active"), Term("state", "draft")))),
        ("budget -tags:eau", And((Term(None, "budget"), Not(Term("tags", "eau"))))),
        ("NOT tags:eau", Not(Term("tags", "eau"))),
        ("(a || b) && c", And((Or((Term(None, "a"), Term(None, "b"))), Term(None, "c")))),
        ("name:budget-2024", Term("name", "budget-2024")),
        ("res_format:*", Term("res_format", "*")),
        (r"url:http\://x", Term("url", "http://x")),
        (
            "metadata_modified:[2020-01-01T00:00:00Z TO *]",
            Range("metadata_modified", "2020-01-01T00:00:00Z", None),
        ),
    ],
)
def test_parse(query, expected):
    assert parse(query) == expected


@pytest.mark.parametrize("query", ["tags:(eau", "tags:eau)", "title:[a b]", "AND"])
def test_unsupported_syntax_is_reported(query):
    with pytest.raises(QuerySyntaxError):
        parse(query)
