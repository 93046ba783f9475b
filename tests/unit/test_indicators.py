"""Key indicators of a document: the usual definitions, checked against sums made by hand
on the real samples and against the figures the documents print themselves."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from ckanext.budget.docbudg.cli import main
from ckanext.budget.docbudg.figures import analysis as indicators
from ckanext.budget.docbudg.model import NS, BudgetDocument
from ckanext.budget.docbudg.reader import read_document

SAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "samples"
MONTREUIL = {year: SAMPLES / f"montreuil/Montreuil_CA_{year}.xml.gz" for year in range(2016, 2022)}
MOHON = SAMPLES / "mohon/Mohon_CFU_2023.xml.gz"
CRACH_DM = SAMPLES / "crach/Crach_principal_DM2_2021.xml"
SAINT_MALO = SAMPLES / "saint-malo/SaintMaloAgglo_transport_BP_2022.xml"


@pytest.fixture(scope="module")
def montreuil() -> dict[int, BudgetDocument]:
    return {year: read_document(path) for year, path in MONTREUIL.items()}


def ratio(doc: BudgetDocument, code: str) -> Decimal:
    """A per-inhabitant ratio the document prints itself ("1 888,82")."""
    text = doc.general_information[code]
    return Decimal("".join(text.split()).replace(",", "."))


def test_montreuil_2018_gross_savings_by_summing_its_lines(montreuil) -> None:
    doc = montreuil[2018]
    receipts = spending = Decimal(0)
    for line in doc.detail_lines:
        nature = line.nature or ""
        # Operating section = natures of classes 6 and 7; real operations; no carry-over.
        if line.op_budg != "0" or nature[:1] not in ("6", "7"):
            continue
        if line.cod_rd == "R" and not nature.startswith("775"):
            receipts += line.amount("MtReal")
        elif line.cod_rd == "D":
            spending += line.amount("MtReal")
    result = indicators.compute(doc)
    assert (receipts, spending) == (Decimal("210345758.09"), Decimal("191602651.45"))
    assert result["rrf"] == str(receipts) and result["drf"] == str(spending)
    assert result["epargne_brute"] == str(receipts - spending) == "18743106.64"
    # The loans annex's ratio record prints the same real operating receipts.
    ratio_record = next(r for r in doc.record_rows("EMPRUNT") if r.get("CodTypEmpr") == "10")
    assert Decimal(ratio_record["RReelFon"]) == receipts


def test_montreuil_2018_every_figure(montreuil) -> None:
    found = indicators.compute(montreuil[2018])
    del found["groupes"]  # where the money comes from and goes: tests/unit/test_figures_groups.py
    assert found == {
        "version": indicators.VERSION,
        "nature": "realise",
        "population": 107564,
        "rrf": "210345758.09",
        "drf": "191602651.45",
        "epargne_gestion": "22529390.58",
        "interets_dette": "3786283.94",
        "epargne_brute": "18743106.64",
        "remboursement_capital": "22859525.86",
        "epargne_nette": "-4116419.22",
        "depenses_equipement": "35154918.57",
        "subventions_equipement_versees": "1688486.90",
        "emprunts_nouveaux": "22374220.00",
        "cessions": "2883490.00",
        "refinancements": "0.00",
        "tresorerie": "0.00",
        "encours_dette": "213319297.47",
        "capacite_desendettement": "11.4",
        "par_habitant": {
            "rrf": "1955.54",
            "drf": "1781.29",
            "epargne_gestion": "209.45",
            "interets_dette": "35.20",
            "epargne_brute": "174.25",
            "remboursement_capital": "212.52",
            "epargne_nette": "-38.27",
            "depenses_equipement": "326.83",
            "subventions_equipement_versees": "15.70",
            "emprunts_nouveaux": "208.01",
            "cessions": "26.81",
            "refinancements": "0.00",
            "tresorerie": "0.00",
            "encours_dette": "1983.18",
        },
        "grands_chiffres": {
            "recettes_fonctionnement": "210345758.09",
            "depenses_fonctionnement": "191602651.45",
            "recettes_investissement": "43108809.73",
            "depenses_investissement": "60181357.57",
            "operations_neutres": {
                "refinancements": {"depenses": "0.00", "recettes": "0.00"},
                "tresorerie": {"depenses": "0.00", "recettes": "0.00"},
            },
        },
        "subventions_detaillees": {
            "annexe": "6418731.80",
            "comptes": "5235704.90",
            "taux": "1.2260",
        },
        "raisons": {},
    }


@pytest.mark.parametrize("year", [2017, 2018, 2019, 2020, 2021])
def test_capital_repaid_is_what_the_loans_annex_says(montreuil, year: int) -> None:
    """Refinancing (166 in 2019 and 2020), revolving credit (16449 in 2017) and deposits
    (165) move money on accounts 16 but repay no debt: left out, the lines give the
    capital the annex reports as repaid on the authority's own loans, to the cent."""
    doc = montreuil[year]
    own = [r for r in doc.record_rows("EMPRUNT") if r.get("CodTypEmpr") == "01"]
    repaid = sum((Decimal(r.get("MtCapitalExer") or 0) for r in own), Decimal(0))
    assert indicators.compute(doc)["remboursement_capital"] == f"{repaid:.2f}"


@pytest.mark.parametrize("year", [2019, 2020, 2021])
def test_per_inhabitant_receipts_and_spending_match_the_documents_ratios(montreuil, year):
    doc = montreuil[year]
    per_inhabitant = indicators.compute(doc)["par_habitant"]
    assert Decimal(per_inhabitant["rrf"]) == ratio(doc, "ValRecRFonc")
    assert Decimal(per_inhabitant["drf"]) == ratio(doc, "ValDepRFonc")


@pytest.mark.parametrize("year", [2020, 2021])
def test_debt_per_inhabitant_matches_the_documents_ratio(montreuil, year: int) -> None:
    doc = montreuil[year]
    assert Decimal(indicators.compute(doc)["par_habitant"]["encours_dette"]) == ratio(
        doc, "ValEncDettePop"
    )


def test_debt_leaves_out_guaranteed_renegotiated_and_summary_records(montreuil) -> None:
    """Montreuil 2020 lists two refinancing loans twice (01 and 05) and 900 guaranteed
    loans (09); Mohon's CFU adds total rows without a type."""
    result = indicators.compute(montreuil[2020])
    assert result["encours_dette"] == "211469464.67"  # 210,386,234.80 + 1,083,229.87
    mohon = read_document(MOHON)
    totals = [r for r in mohon.record_rows("EMPRUNT") if "CodTypEmpr" not in r]
    assert {r["MtCapitalRestDu_31_12"] for r in totals} == {"249941.48"}
    assert indicators.compute(mohon)["encours_dette"] == "249941.48"


def test_mohon_cfu_leaves_asset_disposals_out_of_receipts() -> None:
    result = indicators.compute(read_document(MOHON))
    # RF of real operations 931,181.38 minus 7751 (disposals) 3,690.60.
    assert result["rrf"] == "927490.78"
    assert result["epargne_brute"] == "226040.72"
    assert result["epargne_nette"] == "162503.71"  # 1641 repaid 63,537.01; 165 left out
    assert result["capacite_desendettement"] == "1.1"  # 249,941.48 / 226,040.72 = 1.106
    assert result["population"] == 990


def test_without_population_or_loans_annex_the_dependent_figures_are_none(montreuil):
    early = indicators.compute(montreuil[2016])  # no general information, no annex
    assert early["population"] is None and early["encours_dette"] is None
    assert early["capacite_desendettement"] is None
    assert early["epargne_brute"] == "15755039.02"
    assert set(early["par_habitant"].values()) == {None}
    annexe = indicators.compute(read_document(SAINT_MALO))  # PopTot "0"
    assert annexe["population"] is None and set(annexe["par_habitant"].values()) == {None}
    assert annexe["encours_dette"] == "974931.77"


@pytest.mark.parametrize(
    ("text", "population"),
    [
        ("109 834", 109834),
        ("105608", 105608),
        ("3\u202f446", 3446),
        ("0", None),
        ("", None),
        ("n/a", None),
        (None, None),
    ],
)
def test_population_as_documents_write_it(text, population) -> None:
    assert indicators.parse_population(text) == population


def test_an_amending_budget_gives_the_forecast_cascade_on_its_voted_credits() -> None:
    """A DM's figures are the credits voted after it (``MtBudgPrec`` + ``MtPrev``): the
    year's budget, so its cascade is a forecast, with a repayment capacity."""
    result = indicators.compute(read_document(CRACH_DM))
    assert result["nature"] == "previsionnel"
    assert result["encours_dette"] == "2079074.34"
    savings = Decimal(result["epargne_brute"])
    assert savings > 0
    expected = (Decimal("2079074.34") / savings).quantize(Decimal("0.1"))
    assert result["capacite_desendettement"] == str(expected)


def document(lines: str, annexes: str = "", stage: str = "09") -> BudgetDocument:
    xml = (
        f"<DocumentBudgetaire xmlns='{NS}'><VersionSchema V='95'/><Budget><EnTeteBudget>"
        "<Nomenclature V='M14-M14_COM_SUP3500'/></EnTeteBudget><BlocBudget>"
        f"<NatDec V='{stage}'/><Exer V='2021'/></BlocBudget>{lines}"
        f"<Annexes>{annexes}</Annexes></Budget></DocumentBudgetaire>"
    )
    return read_document(xml.encode())


def line(cod_rd: str, nature: str, amount: str, op: str = "0") -> str:
    return (
        f"<LigneBudget><Nature V='{nature}'/><CodRD V='{cod_rd}'/><OpBudg V='{op}'/>"
        f"<MtReal V='{amount}'/></LigneBudget>"
    )


def test_negative_gross_savings_give_no_capacity_and_other_debts_are_the_fallback():
    doc = document(
        line("R", "7311", "1000.00")
        + line("D", "6411", "1500.50")
        + line("D", "1641", "200")
        + line("D", "166", "999")
        + line("R", "002", "5000")
        + line("D", "6811", "70", op="1"),
        "<DATA_DETTE><DETTE><CodTypDette V='01'/><MtRestDette V='300.10'/></DETTE>"
        "<DETTE><CodTypDette V='05'/><MtRestDette V='99.90'/></DETTE></DATA_DETTE>",
    )
    result = indicators.compute(doc)
    assert result["epargne_brute"] == "-500.50"
    assert result["epargne_nette"] == "-700.50"
    assert result["encours_dette"] == "400.00"
    assert result["capacite_desendettement"] is None


def test_shape_is_plain_json_with_two_decimal_amounts(montreuil) -> None:
    result = indicators.compute(montreuil[2021])
    assert json.loads(json.dumps(result)) == result
    assert list(result) == [
        "version",
        "nature",
        "population",
        *indicators.AMOUNTS,
        "capacite_desendettement",
        "par_habitant",
        "grands_chiffres",
        "subventions_detaillees",
        "groupes",
        "raisons",
    ]
    assert list(result["par_habitant"]) == list(indicators.PER_INHABITANT)
    for key in indicators.AMOUNTS:
        assert len(result[key].split(".")[1]) == 2
    assert result["capacite_desendettement"] == "9.5"


def test_every_indicator_has_a_definition_in_both_languages() -> None:
    french, english = indicators.definitions("fr"), indicators.definitions("en")
    assert set(french) == set(english)
    assert set(french) >= {*indicators.KEYS, "par_habitant", "subventions_detaillees"}
    assert set(indicators.labels("fr")) == set(indicators.KEYS)
    assert "775" in french["rrf"] and "cessions" in french["rrf"]
    assert "166" in english["remboursement_capital"] and "16449" in french["remboursement_capital"]
    assert "6611" in french["interets_dette"] and "204" in french["depenses_equipement"]
    assert all(french[key] != english[key] for key in french)
    reasons_fr = {k: m.text("fr") for k, m in indicators.REASONS.items()}
    assert "négative" in reasons_fr["epargne_brute_negative"]


def test_command_prints_words_in_french_and_the_stored_json(capsys, monkeypatch) -> None:
    monkeypatch.setenv("LANGUAGE", "fr")
    assert main(["indicators", str(MONTREUIL[2018])]) == 0
    out = capsys.readouterr().out
    assert "Épargne brute" in out and "18\u202f743\u202f106,64\u00a0€" in out
    assert "11,4 ans" in out and "107\u202f564 habitants" in out
    assert "Définitions" in out and "cessions d'immobilisations (775)" in out
    assert main(["--lang", "en", "indicators", str(MOHON), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == indicators.compute(read_document(MOHON))
