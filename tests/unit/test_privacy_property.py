"""Property: a natural person planted anywhere the reader lets through never comes out
of the core — not in the published document, its exports, the annex tables, the reports
or an error message — and every such document is published (anonymised), except one
wrapped in a foreign root, which is refused. ``tests/fixtures/planting.py`` draws the
cases; the portal's own property test sends the same cases through a real CKAN."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings

from ckanext.budget.docbudg import annex_tables, pipeline
from ckanext.budget.docbudg.errors import BudgetDocError, NestedBudgetDocument
from ckanext.budget.docbudg.reader import load_bytes

from ..fixtures.planting import Planted, leaked, planted_documents
from ..fixtures.privacy import SYNTHETIC_PERSON_NAMES

BASES = ("synthetic", "synthetic CFU", "Crach CA")


def _outputs(result: pipeline.PipelineResult) -> list[bytes]:
    assert result.document is not None and result.validation is not None
    tables = annex_tables.build(result.document)
    return [
        result.anonymised,
        json.dumps(result.summary("fr"), ensure_ascii=False).encode(),
        json.dumps(result.anonymisation.as_dict(include_paths=True)).encode(),
        json.dumps(result.validation.as_dict("fr"), ensure_ascii=False).encode(),
        *(export.data for export in result.exports.values()),
        *(annex_tables.to_csv(table.spec, table.rows) for table in tables.values()),
    ]


def _decoded(result: pipeline.PipelineResult) -> str:
    """The published document as text, whatever its encoding (for the fixture's names)."""
    assert result.document is not None
    return result.anonymised.decode(result.document.encoding.replace("UCS-4", "UTF-32"))


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=planted_documents(bases=BASES))
def test_a_planted_person_never_comes_out_of_the_core(case: Planted) -> None:
    try:
        result = pipeline.process_any_file(case.data, keep_document=True)
    except BudgetDocError as error:
        for lang in ("fr", "en"):
            assert not leaked(error.text(lang).encode(), case.canary), case.description
        assert case.refused, f"refused: {case.description}: {error.code}"
        assert isinstance(error, NestedBudgetDocument)
        return
    assert not case.refused, f"a document inside another root was published: {case.description}"
    assert result is not None, f"not recognised as a budget document: {case.description}"
    for blob in _outputs(result):
        assert not leaked(blob, case.canary), case.description
    text = _decoded(result)
    assert not [name for name in SYNTHETIC_PERSON_NAMES if name in text], case.description


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=planted_documents(bases=BASES))
def test_the_planted_cases_really_carry_the_canary(case: Planted) -> None:
    """The drawn inputs hold the canary, or the property above would prove nothing."""
    assert leaked(load_bytes(case.data), case.canary), case.description
