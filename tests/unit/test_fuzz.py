"""Property-based fuzzing of the whole core: read, anonymise, validate, aggregate, export.

Two properties, over mutated real documents and random bytes: nothing but a typed
:class:`BudgetDocError` ever escapes, and no name planted in a beneficiary field that
anonymisation must blank reaches any output. Runs are derandomised and database-free so
CI is deterministic; ``benchmarks/fuzz.py --examples N`` runs longer sessions.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings

from ckanext.budget.docbudg.aggregation import aggregate, default_ruleset
from ckanext.budget.docbudg.errors import BudgetDocError
from ckanext.budget.docbudg.figures.report import result_to_dict
from ckanext.budget.docbudg.pipeline import process

from .fuzz_strategies import PersonalDocument, mutated_samples, personal_documents, random_bytes

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def run_everything(data: bytes) -> list[str]:
    """Every text the core produces from ``data``: anonymised XML, exports, reports,
    aggregation, or the error's messages in both languages."""
    try:
        result = process(data, keep_document=True)
    except BudgetDocError as error:
        return [error.text("fr"), error.text("en"), str(error), json.dumps(error.as_dict())]
    outputs = [
        result.anonymised.decode(result.document.encoding or "utf-8"),
        json.dumps(result.summary("fr"), default=str, ensure_ascii=False),
        json.dumps(result.validation.as_dict("en"), default=str, ensure_ascii=False),
        json.dumps(result.anonymisation.as_dict(include_paths=True), ensure_ascii=False),
    ]
    outputs += [produced.data.decode("utf-8") for produced in result.exports.values()]
    doc = result.document
    aggregated = aggregate(doc, default_ruleset(doc))
    outputs.append(json.dumps(result_to_dict(aggregated), default=str, ensure_ascii=False))
    return outputs


@FUZZ
@given(mutated_samples())
def test_mutated_samples_end_in_a_result_or_a_typed_error(data: bytes) -> None:
    outputs = run_everything(data)
    assert outputs and all(isinstance(text, str) for text in outputs)


@FUZZ
@given(random_bytes)
def test_random_bytes_end_in_a_result_or_a_typed_error(data: bytes) -> None:
    assert run_everything(data)


@FUZZ
@given(personal_documents())
def test_names_of_natural_persons_never_reach_an_output(doc: PersonalDocument) -> None:
    outputs = run_everything(doc.data)
    for name in doc.names:
        leaks = [i for i, text in enumerate(outputs) if name in text]
        assert not leaks, f"planted name found in outputs {leaks}"
