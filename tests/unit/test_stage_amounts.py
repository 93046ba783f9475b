"""The amount each stage's figures count (``docbudg.stage_amounts``): every stage reads its
own fields and no other's, in the aggregation, the big numbers and the lines export, and
rule sets may still name a field per stage."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from ckanext.budget.docbudg.aggregation import aggregate, default_ruleset
from ckanext.budget.docbudg.aggregation.ruleset import RuleSetError, Selection
from ckanext.budget.docbudg.aggregation.storage import ruleset_from_dict, ruleset_to_dict
from ckanext.budget.docbudg.export import export
from ckanext.budget.docbudg.figures.big_numbers import big_numbers
from ckanext.budget.docbudg.model import Stage, q
from ckanext.budget.docbudg.reader import read_document
from ckanext.budget.docbudg.stage_amounts import amount_words

from . import independent_sums
from .independent_sums import SAMPLES

KEYS = ("RF", "DF", "RI", "DI")
FIELDS = ("MtBudgPrec", "MtRARPrec", "MtPropNouv", "MtPrev", "CredOuv", "MtReal", "MtRAR3112")
COLUMNS = {"MtBudgPrec": "mt_budg_prec", "MtRARPrec": "mt_rar_prec", "MtPrev": "mt_prev"}
COLUMNS["MtReal"] = "mt_real"
CASES = {
    # stage: (sample, NatDec, the fields its figures add up)
    "BP": ("crach/Crach_principal_BP_2022.xml", "01", ("MtPrev", "MtRARPrec")),
    "BS": ("crach/Crach_principal_DM3_2021.xml", "03", ("MtBudgPrec", "MtRARPrec", "MtPrev")),
    "DM": ("crach/Crach_principal_DM3_2021.xml", "02", ("MtBudgPrec", "MtPrev")),
    "CA": ("crach/Crach_principal_CA_2021.xml", "09", ("MtReal",)),
    "CFU": ("mohon/Mohon_CFU_2023.xml.gz", "10", ("MtReal",)),
}


def every_field_filled(sample: str, nat_dec: str, folder: Path) -> Path:
    """A sample made a document of stage ``nat_dec``, each amount field of each line set
    to a value of its own (10^k € for the k-th field, plus a few cents varying by line):
    reading any other field, or leaving one out, changes the sums."""
    doc = read_document(SAMPLES / sample)
    doc.budget.find(q("BlocBudget")).find(q("NatDec")).set("V", nat_dec)
    for i, line in enumerate(doc.line_elements()):
        for k, name in enumerate(FIELDS):
            element = line.find(q(name))
            if element is None:
                element = etree.SubElement(line, q(name))
            element.set("V", str(Decimal(10**k) + Decimal(i % 7) / 100))
    path = folder / f"synthetic-{nat_dec}.xml"
    path.write_bytes(doc.to_bytes())
    return path


@pytest.mark.parametrize("stage", CASES)
def test_every_stage_counts_its_own_fields_and_no_other(stage: str, tmp_path: Path) -> None:
    sample, nat_dec, fields = CASES[stage]
    path = every_field_filled(sample, nat_dec, tmp_path)
    assert independent_sums.AMOUNTS[nat_dec] == fields
    expected = independent_sums.big_numbers(path)
    others = {f for _, _, f in CASES.values()} | {(name,) for name in FIELDS}
    for other in others - {fields}:
        assert independent_sums.big_numbers(path, other) != expected, other  # told apart

    doc = read_document(path)
    assert doc.header.stage is Stage[stage]
    assert dict(big_numbers(doc)) == expected
    aggregated = aggregate(doc, default_ruleset(doc))
    assert aggregated.amount_field == "+".join(fields)
    assert {key: aggregated.rdfi.get(key, 0) for key in KEYS} == {
        key: expected.get(key, Decimal(0)) for key in KEYS
    }
    exported = json.loads(export(doc, "lines", "json").data)
    assert exported["document"]["amount_field"] == "+".join(fields)
    for row in exported["rows"]:  # ``amount`` is the stage's; every field stays as it is
        counted = [Decimal(row[COLUMNS[name]]) for name in fields]
        assert Decimal(row["amount"]) == sum(counted, Decimal(0))


def test_a_budget_primitif_counts_the_commitments_it_takes_over_not_last_years_budget() -> None:
    """Crach's 2022 BP takes last year's commitments over (``MtRARPrec``) and prints
    last year's budget (``MtBudgPrec``) beside its own: the first counts, never the
    second; ``CredOuv`` (credits opened) is their sum as the document gives it."""
    path = SAMPLES / "crach" / "Crach_principal_BP_2022.xml"
    carried = independent_sums.big_numbers(path, ("MtRARPrec",))
    assert carried["DI"] and carried["RI"]
    found = big_numbers(read_document(path))
    assert dict(found) == independent_sums.big_numbers(path, ("CredOuv",))
    new_credits = independent_sums.big_numbers(path, ("MtPrev",))
    assert found["DI"] == new_credits["DI"] + carried["DI"]
    assert found["DF"] != independent_sums.big_numbers(path, ("MtBudgPrec",))["DF"]


@pytest.mark.parametrize(
    ("stage", "number", "fr", "en"),
    [
        (
            Stage.DM,
            "3",
            "Crédits votés après la décision modificative n° 3 (MtBudgPrec + MtPrev)",
            "Credits voted after amending budget no. 3 (MtBudgPrec + MtPrev)",
        ),
        (
            Stage.BS,
            None,
            "Crédits votés après le budget supplémentaire (MtBudgPrec + MtRARPrec + MtPrev)",
            "Credits voted after the supplementary budget (MtBudgPrec + MtRARPrec + MtPrev)",
        ),
        (
            Stage.BP,
            None,
            "Crédits votés au budget primitif, restes à réaliser repris compris "
            "(MtPrev + MtRARPrec)",
            "Credits voted in the initial budget, carried-forward commitments included "
            "(MtPrev + MtRARPrec)",
        ),
        (
            Stage.CFU,
            None,
            "Montants réalisés du compte financier unique (MtReal)",
            "Amounts realised, from the single financial account (MtReal)",
        ),
    ],
)
def test_the_amount_is_named_in_both_languages(stage, number, fr, en) -> None:
    words = amount_words(stage, None, number)
    assert (words.text("fr"), words.text("en")) == (fr, en)
    chosen = amount_words(stage, "MtPrev", number)
    assert chosen.text("en") == "Amount chosen by the presentation rules (MtPrev)"


def rules(amounts: object) -> dict:
    return {
        "format": "budget-aggregation/1",
        "id": "r",
        "label": "r",
        "selection": {"amounts": amounts},
        "trees": [{"id": "t", "label": "t", "categories": [{"id": "a", "label": "a"}]}],
    }


def test_a_rule_set_may_name_the_field_of_a_stage(tmp_path: Path) -> None:
    """An authority that presents a DM by its changes says so; the rule set keeps only
    what departs from the stages' own amounts."""
    changes_only = ruleset_from_dict(rules({"DM": "MtPrev", "CA": "MtReal"}))
    assert changes_only.selection.amounts == {"DM": "MtPrev"}
    assert ruleset_to_dict(changes_only)["selection"]["amounts"] == {"DM": "MtPrev"}
    path = every_field_filled(CASES["DM"][0], "02", tmp_path)
    doc = read_document(path)
    ruleset = default_ruleset(doc)
    ruleset.selection = changes_only.selection
    aggregated = aggregate(doc, ruleset)
    assert aggregated.amount_field == "MtPrev"
    expected = independent_sums.big_numbers(path, ("MtPrev",))
    assert {k: aggregated.rdfi.get(k, 0) for k in expected} == expected
    assert Selection().amount(Stage.DM).name == "MtBudgPrec+MtPrev"


def test_rule_sets_saved_before_read_as_the_stages_own_amounts() -> None:
    """Every rule set saved before wrote the former defaults in full, chosen or not."""
    former = {"BP": "MtPrev", "BS": "MtPrev", "DM": "MtPrev", "CA": "MtReal", "CFU": "MtReal"}
    assert ruleset_from_dict(rules(former)).selection.amounts == {}


@pytest.mark.parametrize(
    ("amounts", "said"),
    [
        ({"DM": "MtPrevu"}, "selection.amounts.DM"),
        ({"DM": "MtPrev+MtPrev"}, "selection.amounts.DM"),
        ({"XX": "MtPrev"}, "'XX'"),
        (["MtPrev"], "selection.amounts"),
    ],
)
def test_an_unreadable_amount_is_refused_in_both_languages(amounts, said) -> None:
    with pytest.raises(RuleSetError) as caught:
        ruleset_from_dict(rules(amounts))
    assert said in caught.value.text("en") and caught.value.text("fr") != caught.value.text("en")
