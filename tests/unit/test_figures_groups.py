"""Where the money comes from and goes (``docbudg.figures.groups``), « Le budget en bref »
(``docbudg.figures.brief``), the glossary and the default presentation of a document that
does not vote by function — checked against sums made here from the XML alone
(``independent_sums``), never with the core's selection code."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

import pytest

from ckanext.budget.docbudg import glossary
from ckanext.budget.docbudg.aggregation import aggregate
from ckanext.budget.docbudg.aggregation.defaults import default_ruleset
from ckanext.budget.docbudg.figures import analysis, brief, groups
from ckanext.budget.docbudg.figures.levels import default_tree
from ckanext.budget.docbudg.figures.results import result_of
from ckanext.budget.docbudg.reader import read_document

from . import independent_sums
from .independent_sums import SAMPLES

ZERO = Decimal(0)
SAMPLE_FILES = [
    *(f"montreuil/Montreuil_CA_{year}.xml.gz" for year in range(2016, 2022)),
    *(
        f"crach/{name}.xml"
        for name in (
            "Crach_principal_CA_2021",
            "Crach_principal_DM2_2021",
            "Crach_principal_DM3_2021",
            "Crach_principal_BP_2022",
            "Crach_lotissement_CA_2021",
            "Crach_lotissement_BP_2022",
        )
    ),
    "mohon/Mohon_CFU_2023.xml.gz",
]
WITHOUT_FUNCTIONS = [p for p in SAMPLE_FILES if not p.startswith("montreuil")]

counted_lines = cache(independent_sums.counted_lines)
document = cache(read_document)


@cache
def stored(path: str) -> dict:
    return analysis.compute(document(SAMPLES / path))


def _sum(path: str, keep) -> Decimal:
    lines = counted_lines(SAMPLES / path)
    return sum((Decimal(line["amount"]) for line in lines if keep(line)), ZERO)


def _key(line: dict[str, str]) -> str:
    return line["CodRD"] + line["section"]


def _debt(nature: str) -> bool:
    return nature.startswith("16") and not nature.startswith(
        ("165", "166", "16449", "1645", "1688", "169")
    )


def _starts(key: str, *prefixes: str):
    return lambda x: _key(x) == key and x["Nature"].startswith(prefixes)


INDEPENDENT = {
    "recettes": {
        "impots_taxes": _starts("RF", "73"),
        "dotations_participations": _starts("RF", "74"),
        "produits_services": _starts("RF", "70"),
        "subventions_recues": _starts("RI", "13"),
        "fonds_investissement": _starts("RI", "10"),
        "emprunts": lambda x: _key(x) == "RI" and _debt(x["Nature"]),
        "cessions": lambda x: x["CodRD"] == "R" and x["Nature"].startswith(("775", "024")),
    },
    "depenses": {
        "subventions_versees": lambda x: _starts("DF", "657")(x) or _starts("DI", "204")(x),
        "interets": _starts("DF", "66"),
        "equipement": lambda x: (
            _starts("DI", "20", "21", "23")(x) and not x["Nature"].startswith("204")
        ),
        "remboursement_dette": lambda x: _key(x) == "DI" and _debt(x["Nature"]),
    },
}
"""The groups told apart by their natures alone, summed from the XML."""


def _amounts(rows: list[dict]) -> dict[str, Decimal]:
    return {row["cle"]: Decimal(row["montant"]) for row in rows}


@pytest.mark.parametrize("path", SAMPLE_FILES)
def test_every_line_in_one_group_adding_up_to_the_big_numbers(path: str) -> None:
    found = stored(path)["groupes"]
    totals = independent_sums.big_numbers(SAMPLES / path)
    receipts = _amounts(found["recettes"])
    spending = _amounts(found["depenses"])
    functions = _amounts(found["fonctions"])
    assert sum(receipts.values(), ZERO) == totals.get("RF", ZERO) + totals.get("RI", ZERO)
    assert sum(spending.values(), ZERO) == totals.get("DF", ZERO) + totals.get("DI", ZERO)
    assert sum(functions.values(), ZERO) == sum(spending.values(), ZERO)
    for side, rows in (("recettes", receipts), ("depenses", spending)):
        for key, keep in INDEPENDENT[side].items():
            assert rows.get(key, ZERO) == _sum(path, keep), (side, key)


@pytest.mark.parametrize("year", range(2016, 2022))
def test_montreuil_votes_by_function_spending_by_top_function(year: int) -> None:
    path = f"montreuil/Montreuil_CA_{year}.xml.gz"
    found = stored(path)["groupes"]
    assert found["par_fonction"] is True
    functions = _amounts(found["fonctions"])
    for top in "0123456789":
        expected = _sum(path, lambda x, t=top: x["CodRD"] == "D" and x.get("Fonction", "")[:1] == t)
        assert functions.get(top, ZERO) == expected, top
    labels = {row["cle"]: row["libelle"] for row in found["fonctions"]}
    assert labels["2"].startswith("Enseignement")


@pytest.mark.parametrize("path", WITHOUT_FUNCTIONS)
def test_communes_without_functions_by_nature_and_chapters_first(path: str) -> None:
    found = stored(path)["groupes"]
    assert found["par_fonction"] is False
    read = groups.stored_groups(stored(path), "fr")
    assert read is not None and not read.by_function
    assert [g.key for g in read.spending] == [g.key for g in read.spending_by_nature]
    doc = document(SAMPLES / path)
    result = result_of(aggregate(doc, default_ruleset(doc)))
    assert default_tree(result.trees, own_rules=False) == "chapitre"


def test_montreuil_opens_by_function() -> None:
    doc = document(SAMPLES / "montreuil/Montreuil_CA_2019.xml.gz")
    result = result_of(aggregate(doc, default_ruleset(doc)))
    assert default_tree(result.trees, own_rules=False) == "fonction"


def test_stored_groups_read_back_in_both_languages_with_their_accounts() -> None:
    data = stored("montreuil/Montreuil_CA_2019.xml.gz")
    french = groups.stored_groups(data, "fr")
    english = groups.stored_groups(data, "en")
    assert french is not None and english is not None
    taxes = next(g for g in french.receipts if g.key == "impots_taxes")
    assert taxes.label == "Impôts et taxes" and "73" in taxes.definition
    assert next(g for g in english.receipts if g.key == "impots_taxes").label == "Taxes"
    assert sum((g.share or ZERO for g in french.receipts), ZERO) == pytest.approx(Decimal(1))
    assert groups.stored_groups({}, "fr") is None


def _fmt(value) -> str:
    return str(value)


def test_brief_change_against_previous_and_per_inhabitant() -> None:
    now = stored("montreuil/Montreuil_CA_2019.xml.gz")
    before = stored("montreuil/Montreuil_CA_2018.xml.gz")
    found = brief.brief(now, before, "en", _fmt, _fmt, _fmt)
    assert found is not None and found.realised
    rf = next(f for f in found.figures if f.key == "recettes_fonctionnement")
    sums_now = independent_sums.big_numbers(SAMPLES / "montreuil/Montreuil_CA_2019.xml.gz")
    sums_before = independent_sums.big_numbers(SAMPLES / "montreuil/Montreuil_CA_2018.xml.gz")
    assert rf.amount == sums_now["RF"] and rf.previous == sums_before["RF"]
    assert rf.change == (sums_now["RF"] - sums_before["RF"]) / sums_before["RF"]
    population = independent_sums.population(SAMPLES / "montreuil/Montreuil_CA_2019.xml.gz")
    assert rf.per_inhabitant == (sums_now["RF"] / population).quantize(Decimal("0.01"))
    assert "109834" in found.population_note
    keys = [key for key, _ in found.sentences]
    assert keys[:2] == ["epargne_brute", "epargne_nette"]
    alone = brief.brief(now, None, "en", _fmt, _fmt, _fmt)
    assert alone is not None and all(f.change is None for f in alone.figures)
    assert brief.brief({"version": 1}, None, "en", _fmt, _fmt, _fmt) is None


def test_brief_without_population_says_so() -> None:
    data = dict(stored("crach/Crach_lotissement_CA_2021.xml"))
    found = brief.brief(data, None, "fr", _fmt, _fmt, _fmt)
    assert found is not None
    if data.get("population") is None:
        assert all(f.per_inhabitant is None for f in found.figures)
        assert found.population_note.startswith("Montants par habitant inconnus")


def test_glossary_defines_every_term_in_both_languages() -> None:
    for lang in ("fr", "en"):
        words = glossary.glossary(lang)
        for key in ("fonctionnement", "investissement", "BP", "DM", "BS", "CA", "CFU"):
            term, definition = words[key]
            assert term and len(definition) > 30
    assert glossary.glossary("fr")["CA"][0] == "Compte administratif (CA)"
