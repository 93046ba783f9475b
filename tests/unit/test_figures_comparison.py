"""Documents side by side (``docbudg.figures.comparison``): one level of a shared tree,
in euros and per inhabitant, equal to sums computed here from the XML."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from ckanext.budget.docbudg.aggregation import aggregate, default_ruleset, load_ruleset
from ckanext.budget.docbudg.figures.big_numbers import big_numbers
from ckanext.budget.docbudg.figures.comparison import compare, per_inhabitant
from ckanext.budget.docbudg.figures.results import Result, result_of
from ckanext.budget.docbudg.reader import read_document

from . import independent_sums
from .independent_sums import SAMPLES

YEARS = [SAMPLES / "montreuil" / f"Montreuil_CA_{year}.xml.gz" for year in (2018, 2019)]
CRACH = SAMPLES / "crach" / "Crach_principal_CA_2021.xml"
RULES = SAMPLES.parent / "rules" / "montreuil.yaml"


def stored(path, rules=None) -> Result:
    doc = read_document(path)
    return result_of(aggregate(doc, rules or default_ruleset(doc)), big_numbers(doc))


def test_years_side_by_side_in_euros_and_per_inhabitant() -> None:
    results = [stored(path) for path in YEARS]
    populations = [independent_sums.population(path) for path in YEARS]
    found = compare(results, populations, False, "chapitre", "D", "en")
    assert (found.tree_id, found.node_id, found.label) == ("chapitre", "D", "Expenditure")
    assert found.found == [True, True]
    expected = [independent_sums.big_numbers(path) for path in YEARS]
    rows = {row.id: row for row in found.rows}
    assert set(rows) == {"DF", "DI"}
    for key in ("DF", "DI"):
        assert rows[key].amounts == [e[key] for e in expected]
        assert rows[key].per_inhabitant == [
            (e[key] / p).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            for e, p in zip(expected, populations, strict=True)
        ]
    assert found.totals == [e["DF"] + e["DI"] for e in expected]
    assert per_inhabitant(Decimal(10), None) is None and per_inhabitant(None, 3) is None


def test_only_shared_trees_and_known_categories_are_offered() -> None:
    own = stored(YEARS[0], load_ruleset(RULES))
    defaults = stored(CRACH)
    found = compare([own, defaults], [None, None], False, "rdfi", "no-such-node", "en")
    assert found.trees == [] and found.tree_id is None and found.rows == []
    assert found.found == [False, False] and found.totals == [None, None]
    mixed = compare([stored(YEARS[0]), defaults], [None, None], False, None, "DF.012", "fr")
    assert [tree for tree, _ in mixed.trees] == ["fonction", "chapitre"]
    assert mixed.tree_id == "fonction" and mixed.node_id is None  # not in "by function"
    staff = compare([stored(YEARS[0]), defaults], [None, None], False, "chapitre", "DF.012", "fr")
    assert staff.node_id == "DF.012" and staff.path[0] == ("D", "Dépenses")
    assert [row.amounts for row in staff.rows] == [
        [
            independent_sums.by_chapter(YEARS[0], "DF")["012"],
            independent_sums.by_chapter(CRACH, "DF")["012"],
        ]
    ]
