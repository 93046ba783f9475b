"""The data migration of stored aggregations (revision 0005): the French form of earlier
versions becomes the typed form the core reads, and back, without losing a figure."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ckanext.budget.docbudg.aggregation import (
    aggregate,
    default_ruleset,
    import_gironde,
    load_ruleset,
)
from ckanext.budget.docbudg.figures.big_numbers import KEYS, BigNumbers, big_numbers
from ckanext.budget.docbudg.figures.report import result_to_dict
from ckanext.budget.docbudg.figures.results import FORMAT, Result, result_of
from ckanext.budget.docbudg.reader import read_document

from .independent_sums import SAMPLES

VERSIONS = Path(__file__).parents[2] / "ckanext/budget/migration/budget/versions"
RULES = SAMPLES.parent / "rules"


@pytest.fixture(scope="module")
def migration() -> ModuleType:
    path = VERSIONS / "0005_budget_typed_results.py"
    spec = importlib.util.spec_from_file_location("budget_0005", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def as_stored(data: dict[str, Any]) -> dict[str, Any]:
    """What a JSONB column gives back."""
    return json.loads(json.dumps(data))


def read_migrated(typed: dict[str, Any]) -> Result:
    """Revision 0005 writes ``budget-result/1``: the shape of today's format, whose
    number changed with what figures count (the aggregation job then computes them
    again; pages never show a result of another format)."""
    assert typed["format"] == "budget-result/1"
    return Result.from_json({**typed, "format": FORMAT})


CASES = [
    ("montreuil/Montreuil_CA_2018.xml.gz", "default"),
    ("montreuil/Montreuil_CA_2018.xml.gz", "gironde"),
    ("montreuil/Montreuil_CA_2018.xml.gz", "montreuil"),
    ("crach/Crach_principal_DM2_2021.xml", "default"),
    ("mohon/Mohon_CFU_2023.xml.gz", "default"),
]


@pytest.mark.parametrize(("sample", "rules"), CASES)
def test_a_french_result_becomes_the_typed_result_and_back(
    migration: ModuleType, sample: str, rules: str
) -> None:
    doc = read_document(SAMPLES / sample)
    ruleset = {
        "default": lambda: default_ruleset(doc),
        "gironde": lambda: import_gironde(
            RULES / "gironde-description-agregation.json",
            RULES / "gironde-corrections-agregation.csv",
        ),
        "montreuil": lambda: load_ruleset(RULES / "montreuil.yaml"),
    }[rules]()
    aggregated = aggregate(doc, ruleset)
    french = as_stored(result_to_dict(aggregated, with_lines=False))  # as stored until 0005

    typed = as_stored(migration.upgrade_result(french, default_selection=True))
    read = read_migrated(typed)
    totals = BigNumbers({key: aggregated.rdfi[key] for key in KEYS})  # what pages showed
    expected = result_of(aggregated, totals)
    assert read == expected
    if rules == "default":  # the default rules count the lines the big numbers count
        assert dict(read.big_numbers) == dict(big_numbers(doc))
    assert as_stored(migration.downgrade_result(typed)) == french


def test_rules_that_count_other_lines_give_no_big_numbers(migration: ModuleType) -> None:
    doc = read_document(SAMPLES / "crach" / "Crach_principal_CA_2021.xml")
    french = as_stored(result_to_dict(aggregate(doc, default_ruleset(doc)), with_lines=False))
    assert read_migrated(migration.upgrade_result(french, False)).big_numbers == BigNumbers()
    default = {
        "amounts": {
            "BP": "MtPrev",
            "BS": "MtPrev",
            "DM": "MtPrev",
            "CA": "MtReal",
            "CFU": "MtReal",
        },
        "operations": "reel",
        "exclude_natures": ["001", "002"],
        "skip_zero": False,
    }
    assert migration._counts_the_big_numbers(default)
    assert not migration._counts_the_big_numbers({**default, "operations": "tout"})
    assert not migration._counts_the_big_numbers({**default, "exclude_natures": []})
    assert not migration._counts_the_big_numbers({**default, "amounts": {"CA": "MtPrev"}})
