"""Rule set files: native round trip, Gironde and spreadsheet imports, CLI, multi-year table."""

import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import yaml

from ckanext.budget.docbudg.aggregation import (
    RuleSetError,
    aggregate,
    dump_ruleset,
    import_gironde,
    import_mapping,
    load_ruleset,
    ruleset_from_dict,
)
from ckanext.budget.docbudg.cli import main
from ckanext.budget.docbudg.figures.report import multi_year_table, result_to_csv, result_to_dict
from ckanext.budget.docbudg.nomenclature import find_plan
from ckanext.budget.docbudg.reader import read_document

FIXTURES = Path(__file__).parent.parent / "fixtures"
RULES = FIXTURES / "rules"
MONTREUIL = sorted((FIXTURES / "samples" / "montreuil").glob("*.xml.gz"))


@pytest.fixture(scope="module")
def gironde():
    return import_gironde(
        RULES / "gironde-description-agregation.json",
        RULES / "gironde-corrections-agregation.csv",
    )


@pytest.fixture(scope="module")
def montreuil_2018():
    return read_document(MONTREUIL[2])


def test_gironde_import_keeps_corrections_and_reports_what_it_could_not_use(gironde):
    notes = [n.text("en") for n in gironde.notes]
    leaves = {leaf.id for tree in gironde.trees for leaf in tree.leaves()}
    assert len(leaves) == 109  # in two trees: DF.1 and DF.2 are alternative breakdowns
    assert any("DF.2" in n and "gironde-publics" in n for n in notes)
    assert len(gironde.corrections) == 439  # 440 rows, one names a category not in the tree
    assert any("DF.3.6.3" in n for n in notes)
    assert any("DI.2.6" in n and "empty" in n for n in notes)
    assert any("Duplicate id RI.8" in n for n in notes)
    first = gironde.corrections[0]
    assert (first.exer, first.nature, first.category, first.amount) == (
        2012,
        "65111",
        "DF.1.1.3",
        Decimal("13101007.65"),
    )


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_native_format_round_trips_without_changing_results(gironde, montreuil_2018, fmt, tmp_path):
    text = dump_ruleset(gironde, fmt)
    path = tmp_path / f"rules.{fmt}"
    path.write_text(text, encoding="utf-8")
    again = load_ruleset(path)
    assert dump_ruleset(again, fmt) == text
    assert again.corrections == gironde.corrections
    before = aggregate(montreuil_2018, gironde)
    after = aggregate(montreuil_2018, again)
    assert result_to_csv(before) == result_to_csv(after)
    checks = [result_to_dict(r)["arbres"][0]["controles"] for r in (before, after)]
    assert checks[0] == checks[1]


def test_a_rule_file_with_a_bad_formula_is_refused_naming_the_category():
    data = yaml.safe_load((RULES / "montreuil.yaml").read_text("utf-8"))
    data["trees"][0]["categories"][1]["formula"] = "sens:D & sectoin:I"
    with pytest.raises(RuleSetError) as info:
        ruleset_from_dict(data)
    assert "rdfi/DI" in info.value.text("en") and "section:I" in info.value.text("en")


def _mapping_rows():
    return [
        # sens, mouvement, section, chapitre, nature, fonction, niveau 1, niveau 2, public
        ["Dépense", "réel", "F", "012", "", "", "Ressources", "Personnel", "Tous"],
        ["D", "reel", "fonctionnement", "011", "", "", "Ressources", "Achats", "Tous"],
        ["dépense", "réel", "F", "65", "6574", "", "Solidarités", "", "Associations"],
        ["D", "réel", "F", "65", "9999", "", "Solidarités", "", "Associations"],
    ]


COLUMNS = ["Sens", "Mouvement", "Section", "Chapitre", "Nature", "Fonction", "N1", "N2", "Public"]
ROLES = {
    "sens": "Sens",
    "mouvement": "Mouvement",
    "section": "Section",
    "chapitre": "Chapitre",
    "nature": "Nature",
    "fonction": "Fonction",
}


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_spreadsheet_mapping_becomes_alternative_trees(tmp_path, montreuil_2018, suffix):
    frame = pd.DataFrame(_mapping_rows(), columns=COLUMNS)
    path = tmp_path / f"mapping{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False, sep=";")
    else:
        frame.to_excel(path, index=False)
    plan = find_plan(2018, "M14-M14_COM_SUP3500")
    rules = import_mapping(
        path,
        columns=ROLES,
        hierarchies={"services": ["N1", "N2"], "publics": ["Public"]},
        plan=plan,
    )
    assert [t.id for t in rules.trees] == ["services", "publics"]
    assert [n.text("en") for n in rules.notes] == [
        "Row 5: nature '9999' is unknown to the plan de comptes."
    ]
    result = aggregate(montreuil_2018, rules)
    services = result.trees["services"]
    personnel = services.node("ressources.personnel")
    assert personnel.total == Decimal("106775683.65")  # as chapter 012 in montreuil.yaml
    assert services.node("solidarites").total == result.trees["publics"].node("associations").total
    assert services.node("solidarites").total > 0


def test_mapping_with_a_wrong_column_name_says_which_columns_exist(tmp_path):
    path = tmp_path / "m.csv"
    pd.DataFrame(_mapping_rows(), columns=COLUMNS).to_csv(path, index=False)
    with pytest.raises(RuleSetError) as info:
        import_mapping(path, columns={"sens": "Direction"}, hierarchies={"t": ["N1"]})
    assert "Direction" in info.value.text("en") and "Mouvement" in info.value.text("en")


def test_multi_year_table_has_one_column_per_document():
    rules = load_ruleset(RULES / "montreuil.yaml")
    results = [aggregate(read_document(p), rules) for p in MONTREUIL]
    table = multi_year_table(results, "rdfi")
    assert list(table.columns) == [f"{year} CA" for year in range(2016, 2022)]
    assert table.loc[("rdfi", "DF", 0, "Dépenses de fonctionnement"), "2018 CA"] == Decimal(
        "191602651.45"
    )


def _cli(*argv):
    return main(["aggregate", *argv])


def test_cli_writes_csv_and_exits_zero_when_checks_pass(tmp_path):
    out = tmp_path / "out.csv"
    code = _cli(
        str(MONTREUIL[2]),
        "--rules",
        str(RULES / "montreuil.yaml"),
        "--format",
        "csv",
        "-o",
        str(out),
    )
    assert code == 0
    rows = pd.read_csv(out, dtype=str)
    assert rows.set_index("id").loc["RI", "montant"] == "43108809.73"


def test_cli_reports_failed_checks_with_exit_status_one(tmp_path, capsys):
    out = tmp_path / "out.json"
    code = _cli(
        str(MONTREUIL[2]),
        "--rules",
        str(RULES / "gironde-description-agregation.json"),
        "-o",
        str(out),
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "[gironde]" in err and "[gironde-publics]" in err and "DF.6.1.4" in err
    assert json.loads(out.read_text("utf-8"))["arbres"][0]["controles"]["ok"] is False


def test_cli_default_rules_and_unreadable_rules(tmp_path, capsys):
    assert _cli(str(MONTREUIL[0]), "--tree", "fonction", "-o", str(tmp_path / "x.json")) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: autre\n", encoding="utf-8")
    assert _cli(str(MONTREUIL[0]), "--rules", str(bad)) == 2
    assert "budget-aggregation/1" in capsys.readouterr().err


def test_csv_has_one_row_per_category(montreuil_2018):
    rules = load_ruleset(RULES / "montreuil.yaml")
    lines = result_to_csv(aggregate(montreuil_2018, rules)).splitlines()
    assert len(lines) == 1 + sum(1 for _ in rules.trees[0].walk())
