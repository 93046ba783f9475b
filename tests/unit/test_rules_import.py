"""Rule imports that never double-count: each cause the import of a real city's mapping ran
into (ids merged by folded labels, function codes read with their descendants, movement
spellings dropped, placeholder cells, headers with non-breaking spaces), the checks that
name every category of a line counted twice, and ``budget-doc rules import``.

Totals are checked against sums computed here from the XML (``independent_sums``)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import yaml

from ckanext.budget.docbudg.aggregation import (
    Category,
    RuleSet,
    RuleSetError,
    Tree,
    aggregate,
    import_mapping,
    native,
    parse_formula,
    ruleset_from_dict,
)
from ckanext.budget.docbudg.aggregation.engine import SHOWN_TWICE
from ckanext.budget.docbudg.aggregation.formula import Atom, FormulaError
from ckanext.budget.docbudg.aggregation.index import bits
from ckanext.budget.docbudg.aggregation.mapping import recognised
from ckanext.budget.docbudg.cli import main
from ckanext.budget.docbudg.reader import read_document

from . import independent_sums as ind
from . import mapping_fixture as fixture

FIXTURES = Path(__file__).parent.parent / "fixtures"
RULES = FIXTURES / "rules"
MONTREUIL = sorted((FIXTURES / "samples" / "montreuil").glob("*.xml.gz"))
M2016 = MONTREUIL[0]


@pytest.fixture(autouse=True)
def french_session(monkeypatch):
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    monkeypatch.delenv("BUDGET_DOC_DEBUG", raising=False)


@pytest.fixture(scope="module")
def doc_2016():
    return read_document(M2016)


def counted(path: Path) -> dict[tuple[str, str, str], Decimal]:
    """The lines a rule set counts, from the XML: duplicates summed, zeros left out."""
    sums: dict[tuple[str, str, str], Decimal] = {}
    for line in ind.counted_lines(path):
        key = (line["CodRD"], line["Nature"], line.get("Fonction", ""))
        sums[key] = sums.get(key, Decimal(0)) + Decimal(line["amount"])
    return {key: amount for key, amount in sums.items() if amount}


def function_total(path: Path, fonction: str) -> Decimal:
    return sum((a for (_sens, _nature, f), a in counted(path).items() if f == fonction), Decimal(0))


def _rules(*leaves: tuple[str, str]) -> RuleSet:
    categories = [Category(id=i, label=i, formula_text=f) for i, f in leaves]
    return RuleSet(id="r", label="r", trees=[Tree(id="t", label="t", categories=categories)])


def _write(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False, sep=";")
    else:
        frame.to_excel(path, index=False)
    return path


# --- the whole spreadsheet: two exact partitions every year ------------------------------


@pytest.fixture(scope="module")
def real_frame() -> pd.DataFrame:
    """The spreadsheet of every line of the six Montreuil years."""
    return fixture.mapping_frame(MONTREUIL)


@pytest.fixture(scope="module")
def real_mapping(tmp_path_factory, real_frame) -> RuleSet:
    """That spreadsheet imported, roles and trees guessed."""
    path = tmp_path_factory.mktemp("mapping") / "correspondance.xlsx"
    return import_mapping(_write(real_frame, path), guess=True)


@pytest.mark.parametrize("path", MONTREUIL, ids=lambda p: p.name[:-7])
def test_two_hierarchies_of_real_lines_are_exact_partitions_every_year(real_mapping, path):
    assert [t.id for t in real_mapping.trees] == ["politique", "nature"]
    expected_lines = counted(path)
    expected_totals = ind.big_numbers(path)
    result = aggregate(read_document(path), real_mapping)
    for tree in result.trees.values():
        positions = [i for node in tree.walk() if node.is_leaf for i in bits(node.mask)]
        assert tree.checks.multiple == [], tree.tree_id
        assert tree.checks.unmatched == [], tree.tree_id
        assert len(positions) == len(set(positions)) == len(expected_lines)
        totals: dict[str, Decimal] = {}
        for node in tree.nodes:
            for key, amount in node.rdfi.items():
                totals[key] = totals.get(key, Decimal(0)) + amount
        assert {k: v for k, v in totals.items() if v} == expected_totals, tree.tree_id
        assert tree.checks.ok


def test_the_guessed_layout_is_reported_with_its_spaces_visible(real_mapping):
    first = real_mapping.notes[0]
    assert "sens ← « Sens␣ »" in first.text("fr")
    assert "fonction ← 'Code␣fonction'" in first.text("en")
    assert "nature ← 'Nature N1', 'Nature␣N2'" in first.text("en")


# --- ids --------------------------------------------------------------------------------


def test_labels_differing_only_by_case_or_accents_are_kept_apart(real_mapping, doc_2016):
    tree = real_mapping.tree("politique")
    by_label = {c.label: c.id for c, _ in tree.walk()}
    # in the order of their exact text: "P" comes before "p", "E" before "É"
    assert by_label["Espaces Publics"] == "amenagement.espaces-publics"
    assert by_label["Espaces publics"] == "amenagement.espaces-publics-2"
    assert by_label["Ecoles"] == "enseignement.ecoles"
    assert by_label["Écoles"] == "enseignement.ecoles-2"
    notes = " ".join(n.text("en") for n in real_mapping.notes)
    assert "'Espaces Publics', 'Espaces publics' differ only by case" in notes
    result = aggregate(doc_2016, real_mapping).trees["politique"]
    assert result.node("amenagement.espaces-publics").total == function_total(M2016, "823")
    assert result.node("amenagement.espaces-publics-2").total == function_total(M2016, "822")


def test_ids_do_not_depend_on_the_order_of_the_rows(tmp_path, real_frame, real_mapping):
    again = import_mapping(_write(real_frame[::-1], tmp_path / "reversed.csv"), guess=True)

    def ids(rules: RuleSet) -> dict[tuple[str, str], str]:
        out = {}
        for tree in rules.trees:
            stack = [(c, (c.label,)) for c in tree.categories]
            while stack:
                category, path = stack.pop()
                out[(tree.id, " / ".join(path))] = category.id
                stack.extend((c, (*path, c.label)) for c in category.children)
        return out

    assert ids(again) == ids(real_mapping)


def test_a_rule_set_with_duplicate_ids_is_refused_naming_them():
    data = yaml.safe_load((RULES / "montreuil.yaml").read_text("utf-8"))
    categories = data["trees"][0]["categories"]
    categories[1]["id"] = categories[0]["id"]
    with pytest.raises(RuleSetError) as info:
        ruleset_from_dict(data)
    same = categories[0]["id"]
    assert f"Tree rdfi: several categories have the same id ({same})" in info.value.text("en")
    assert f"plusieurs catégories portent le même identifiant ({same})" in info.value.text("fr")


# --- function codes ------------------------------------------------------------------------


def test_the_exact_selector_is_parsed_shown_back_and_selects_that_code_only(doc_2016):
    assert parse_formula("fonction=41") == Atom("fonction_exact", "41")
    assert native(parse_formula("sens:D & Fonction=41")) == "sens:D & fonction=41"
    assert parse_formula("compte=60") == Atom("nature", "60")
    assert parse_formula("fonction=aucune") == parse_formula("fonction:aucune")
    with pytest.raises(FormulaError):
        parse_formula("nature=6*")
    exact = aggregate(doc_2016, _rules(("x", "fonction=41"))).trees["t"].node("x").total
    wide = aggregate(doc_2016, _rules(("x", "fonction:41"))).trees["t"].node("x").total
    assert exact == function_total(M2016, "41") > 0
    assert wide == sum(function_total(M2016, f) for f in ("41", "411", "412", "413", "414"))


def test_a_spreadsheet_function_code_lands_in_one_category(tmp_path, doc_2016):
    frame = pd.DataFrame(
        [["D", "41", "Sport", "Sport (général)"], ["D", "411", "Sport", "Gymnases"]],
        columns=["Sens", "Fonction", "N1", "N2"],
    )
    rules = import_mapping(
        _write(frame, tmp_path / "m.csv"),
        columns={"sens": "Sens", "fonction": "Fonction"},
        hierarchies={"t": ["N1", "N2"]},
    )
    assert rules.tree("t").find("sport.sport-general").formula_text == "(sens:D & fonction=41)"
    tree = aggregate(doc_2016, rules).trees["t"]
    assert tree.checks.multiple == []
    assert tree.node("sport.sport-general").total == function_total(M2016, "41")
    assert tree.node("sport.gymnases").total == function_total(M2016, "411")


# --- movement, direction, section ---------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "value", "meaning"),
    [
        ("mouvement", "REELLE", "reel"),
        ("mouvement", "Réelles", "reel"),
        ("mouvement", "opérations réelles", "reel"),
        ("mouvement", "Mouvement réel", "reel"),
        ("mouvement", "0", "reel"),
        ("mouvement", "ORDRE", "ordre"),
        ("mouvement", "d'ordre", "ordre"),
        ("mouvement", "Opération d'ordre", "ordre"),
        ("mouvement", "1", "ordre"),
        ("sens", "D", "D"),
        ("sens", "Dépense", "D"),
        ("sens", "DEPENSES", "D"),
        ("sens", "R", "R"),
        ("sens", "Recettes", "R"),
        ("section", "Fonctionnement", "F"),
        ("section", "Section d'investissement", "I"),
        ("section", "I", "I"),
    ],
)
def test_usual_spellings_are_understood(role, value, meaning):
    assert recognised(role, value) == meaning


def test_a_value_not_understood_is_an_error_never_a_dropped_condition(tmp_path):
    frame = pd.DataFrame(
        [
            ["Dépense", "REELLE", "6574", "A"],
            ["Dépense", "Prévu", "6574", "B"],
            ["X", "Prévu", "65 74", "C"],
        ],
        columns=["Sens", "Mouvement\u00a0", "Nature", "N1"],
    )
    with pytest.raises(RuleSetError) as info:
        import_mapping(
            _write(frame, tmp_path / "m.csv"),
            columns={"sens": "Sens", "mouvement": "Mouvement", "nature": "Nature"},
            hierarchies={"t": ["N1"]},
        )
    fr, en = info.value.text("fr"), info.value.text("en")
    assert "Colonne « Mouvement␣ » (mouvement) : valeurs non comprises Prévu (ligne(s) 3, 4)" in fr
    assert "Column 'Sens' (sens): values not understood X (row(s) 4)" in en
    assert (
        "Column 'Nature' (nature): values not understood 65 74 (row(s) 4); expected: a code" in en
    )
    assert "Nothing was imported" in en and "Rien n'a été importé" in fr


def test_real_and_ordre_rows_select_their_own_lines(tmp_path, doc_2016):
    frame = pd.DataFrame(
        [["D", "REELLE", "2313", "Travaux"], ["D", "ORDRE", "2313", "Écritures d'ordre"]],
        columns=["Sens", "Mouvement", "Nature", "N1"],
    )
    rules = import_mapping(
        _write(frame, tmp_path / "m.csv"),
        columns={"sens": "Sens", "mouvement": "Mouvement", "nature": "Nature"},
        hierarchies={"t": ["N1"]},
    )
    assert rules.tree("t").find("travaux").formula_text == "(sens:D & reel & nature=2313)"
    assert any("1 row(s) of the sheet are ordre operations" in n.text("en") for n in rules.notes)
    tree = aggregate(doc_2016, rules).trees["t"]
    real = sum((a for (s, n, _f), a in counted(M2016).items() if (s, n) == ("D", "2313")))
    assert tree.node("travaux").total == real > 0
    assert tree.node("ecritures-d-ordre").total == 0


# --- placeholders -------------------------------------------------------------------------


def test_placeholder_cells_skip_the_level_and_never_become_categories(tmp_path):
    frame = pd.DataFrame(
        [
            ["D", "6574", "311", "Culture", "-", "-"],
            ["D", "6574", "312", "Culture", "–", "Musées"],
            ["D", "6574", "313", "Culture", "Théâtre", ""],
            ["D", "6574", "-", " - ", "", "n/a"],
            ["R", "n/a", "", "Recettes", "", ""],
        ],
        columns=["Sens", "Nature", "Fonction", "N1", "N2", "N3"],
    )
    rules = import_mapping(
        _write(frame, tmp_path / "m.csv"),
        columns={"sens": "Sens", "nature": "Nature", "fonction": "Fonction"},
        hierarchies={"t": ["N1", "N2", "N3"]},
    )
    tree = rules.tree("t")
    assert [(c.id, c.label) for c, _ in tree.walk()] == [
        ("culture", "Culture"),
        ("culture.musees", "Musées"),
        ("culture.theatre", "Théâtre"),
        ("culture.autres", "Culture (autres)"),
        ("recettes", "Recettes"),
    ]
    assert tree.find("culture.autres").formula_text == "(sens:D & nature=6574 & fonction=311)"
    assert tree.find("recettes").formula_text == "(sens:R)"
    notes = [n.text("en") for n in rules.notes]
    assert "Tree t, row(s) 5: no category, these codes are counted nowhere in it." in notes


# --- headers ------------------------------------------------------------------------------


def test_headers_match_whatever_their_spaces_case_and_accents(tmp_path, doc_2016):
    frame = pd.DataFrame(
        [["D", "6574", "Subventions"]],
        columns=["Sens\u00a0", "NATURE\u202fCOMPTABLE", "Catégorie  niveau\u00a01"],
    )
    rules = import_mapping(
        _write(frame, tmp_path / "m.xlsx"),
        columns={"sens": "sens", "nature": "Nature comptable"},
        hierarchies={"t": ["categorie niveau 1"]},
    )
    total = aggregate(doc_2016, rules).trees["t"].node("subventions").total
    assert total == sum((a for (s, n, _f), a in counted(M2016).items() if (s, n) == ("D", "6574")))


def test_a_missing_column_is_named_with_the_spaces_of_every_header_visible(tmp_path):
    frame = pd.DataFrame([["D", "6574", "A"]], columns=["Sens\u00a0", "Fonction ", "N1"])
    with pytest.raises(RuleSetError) as info:
        import_mapping(
            _write(frame, tmp_path / "m.csv"),
            columns={"sens": "Sens", "fonction": "Fonctions"},
            hierarchies={"t": ["N1"]},
        )
    assert info.value.text("fr") == (
        "Colonnes introuvables : « Fonctions ». "
        "Colonnes du fichier : « Sens␣ », « Fonction␣ », « N1 »."
    )
    assert info.value.text("en") == (
        "Columns not found: 'Fonctions'. Columns in the file: 'Sens␣', 'Fonction␣', 'N1'."
    )


def test_headers_that_differ_only_by_spaces_or_case_are_ambiguous(tmp_path):
    frame = pd.DataFrame([["6574", "6574", "A"]], columns=["Nature", "NATURE\u00a0", "N1"])
    with pytest.raises(RuleSetError) as info:
        import_mapping(
            _write(frame, tmp_path / "m.csv"),
            columns={"nature": "nature"},
            hierarchies={"t": ["N1"]},
        )
    assert "differ only by spaces, case or accents: 'Nature', 'NATURE␣'" in info.value.text("en")


# --- checks -------------------------------------------------------------------------------


def test_the_checks_name_every_category_a_line_counted_twice_lands_in(tmp_path, doc_2016):
    frame = pd.DataFrame(
        [["D", "6574", "33", "A"], ["D", "6574", "33", "B"]],
        columns=["Sens", "Nature", "Fonction", "N1"],
    )
    rules = import_mapping(
        _write(frame, tmp_path / "m.csv"),
        columns={"sens": "Sens", "nature": "Nature", "fonction": "Fonction"},
        hierarchies={"t": ["N1"]},
    )
    assert any("rows 2 and 3 have the same codes" in n.text("en") for n in rules.notes)
    rules.tree("t").categories.append(Category(id="c", label="C", formula_text="compte:657"))
    checks = aggregate(doc_2016, rules).trees["t"].checks
    assert [leaves for _, leaves in checks.multiple] == [["a", "b", "c"]]
    fr = [m.text("fr") for m in checks.messages()]
    en = [m.text("en") for m in checks.messages()]
    assert "1 ligne(s) sont comptées plusieurs fois :" in fr
    assert any("nature 6574 fonction 33" in m and "dans 3 catégories : a, b, c" in m for m in fr)
    assert any("nature 6574 function 33" in m and "in 3 categories: a, b, c" in m for m in en)


def test_many_lines_counted_twice_are_named_up_to_a_limit_then_counted(doc_2016):
    checks = aggregate(doc_2016, _rules(("a", "D"), ("b", "D"))).trees["t"].checks
    named = [m for m in checks.messages() if m.text("en").startswith("- ")]
    assert len(checks.multiple) > SHOWN_TWICE == len(named)
    assert all(m.text("en").endswith("in 2 categories: a, b") for m in named)
    rest = len(checks.multiple) - SHOWN_TWICE
    assert any(f"… and {rest} more line(s)" in m.text("en") for m in checks.messages())


# --- budget-doc rules import ----------------------------------------------------------------


def run(capsys, *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def mapping_2016(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "correspondance.csv"
    return _write(fixture.mapping_frame([M2016]), path)


def test_cli_imports_a_mapping_then_aggregates_with_it_in_french(capsys, tmp_path, mapping_2016):
    rules = tmp_path / "regles.yaml"
    code, _out, err = run(capsys, "rules", "import", mapping_2016, "-o", rules)
    assert code == 0, err
    assert "Note : Colonnes lues : sens ← « Sens␣ »" in err
    assert f"Écrit : {rules} — 2 arbre(s) : politique (" in err
    assert f"Ensuite : budget-doc aggregate DOCUMENT.xml --rules {rules}" in err
    assert "fonction=41)" in rules.read_text("utf-8")
    code, _out, err = run(capsys, "aggregate", M2016, "--rules", rules, "-o", tmp_path / "out.json")
    assert code == 0, err


def test_cli_takes_columns_and_trees_as_typed_in_english(capsys, tmp_path, mapping_2016):
    rules = tmp_path / "rules.json"
    code, _out, err = run(
        capsys,
        "--lang",
        "en",
        "rules",
        "import",
        mapping_2016,
        "-o",
        rules,
        "--format",
        "mapping",
        "--column",
        "fonction=code fonction",
        "--column",
        "sens=SENS",
        "--tree",
        "politiques=politique niveau 1, politique niveau 2,politique niveau 3",
    )
    assert code == 0, err
    assert f"Written: {rules} — 1 tree(s): politiques (" in err
    assert "fonction ← 'Code␣fonction'" in err
    out = tmp_path / "out.csv"
    code, _out, err = run(
        capsys, "--lang", "en", "aggregate", M2016, "--rules", rules, "--format", "csv", "-o", out
    )
    assert code == 0, err
    rows = pd.read_csv(out, dtype=str)
    top = rows[rows["id"].str.count(r"\.") == 0]
    total = sum(map(Decimal, top["montant"]))
    assert total == sum(ind.big_numbers(M2016).values())


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_cli_writes_nothing_when_a_value_is_not_understood(capsys, tmp_path, lang):
    frame = pd.DataFrame(
        [["D", "Prévu", "6574", "A"]], columns=["Sens", "Mouvement", "Nature", "N1"]
    )
    rules = tmp_path / "rules.yaml"
    code, _out, err = run(
        capsys, "--lang", lang, "rules", "import", _write(frame, tmp_path / "m.csv"), "-o", rules
    )
    assert code == 1 and not rules.exists()
    prefix, cause = {
        "fr": ("Erreur : ", "m.csv ne peut pas être importé : Colonne « Mouvement »"),
        "en": ("Error: ", "m.csv cannot be imported: Column 'Mouvement'"),
    }[lang]
    assert err.startswith(prefix) and cause in err and "Prévu" in err


def test_cli_usage_errors(capsys, tmp_path, mapping_2016):
    out = tmp_path / "r.yaml"
    code, _out, err = run(capsys, "rules", "import", mapping_2016, "-o", out, "--column", "nature")
    assert code == 2 and "« nature » : attendu RÔLE=EN-TÊTE" in err
    code, _out, err = run(
        capsys, "--lang", "en", "rules", "import", mapping_2016, "-o", out, "--corrections", out
    )
    assert code == 2 and "--corrections only go with --format gironde" in err
    code, _out, err = run(
        capsys, "rules", "import", mapping_2016, "-o", out, "--format", "corrections"
    )
    assert code == 2 and "--format corrections demande --rules" in err
    assert not out.exists()


def test_cli_imports_the_gironde_tree_and_its_split_lines(capsys, tmp_path):
    tree = tmp_path / "gironde.yaml"
    code, _out, err = run(
        capsys,
        "rules",
        "import",
        RULES / "gironde-description-agregation.json",
        "--corrections",
        RULES / "gironde-corrections-agregation.csv",
        "-o",
        tree,
    )
    assert code == 0, err
    assert "439 ligne(s) partagée(s)" in err
    bare = tmp_path / "bare.yaml"
    assert (
        run(capsys, "rules", "import", RULES / "gironde-description-agregation.json", "-o", bare)[0]
        == 0
    )
    assert "corrections" not in yaml.safe_load(bare.read_text("utf-8"))
    again = tmp_path / "again.yaml"
    code, _out, err = run(
        capsys,
        "rules",
        "import",
        RULES / "gironde-corrections-agregation.csv",
        "--rules",
        bare,
        "-o",
        again,
    )
    assert code == 0, err
    assert (
        yaml.safe_load(again.read_text("utf-8"))["corrections"]
        == yaml.safe_load(tree.read_text("utf-8"))["corrections"]
    )


def test_aggregate_refuses_rules_with_duplicate_ids_naming_them(capsys, tmp_path):
    data = yaml.safe_load((RULES / "montreuil.yaml").read_text("utf-8"))
    data["trees"][0]["categories"][1]["id"] = "DF"
    rules = tmp_path / "dup.yaml"
    rules.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    code, _out, err = run(capsys, "--lang", "en", "aggregate", M2016, "--rules", rules)
    assert code == 2 and "several categories have the same id (DF)" in err
