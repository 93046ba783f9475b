"""What validation says about the real sample documents and the official invalid examples."""

from __future__ import annotations

from pathlib import Path

import pytest

from ckanext.budget.docbudg.validation import ERROR, validate_source

SAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "samples"

VALID_SAMPLES = [
    *(f"montreuil/Montreuil_CA_{year}.xml.gz" for year in range(2016, 2021)),
    *(p.relative_to(SAMPLES).as_posix() for p in sorted((SAMPLES / "crach").glob("*.xml"))),
    *(p.relative_to(SAMPLES).as_posix() for p in sorted((SAMPLES / "saint-malo").glob("*.xml"))),
]


@pytest.mark.parametrize("name", VALID_SAMPLES)
def test_real_documents_have_no_error(name):
    doc, report = validate_source(SAMPLES / name)
    assert doc is not None
    assert report.errors == [], [(f.code, f.path) for f in report.errors]


def test_sample_list_covers_every_crach_and_saint_malo_file():
    assert len(VALID_SAMPLES) == 5 + 7 + 1


def test_montreuil_2021_is_valid_and_names_the_element_newer_than_v95():
    _, report = validate_source(SAMPLES / "montreuil/Montreuil_CA_2021.xml.gz")
    assert report.status == "valid"
    (finding,) = report.findings
    assert finding.code == "xsd_version_newer" and finding.severity == "info"
    assert finding.message.params["unchecked"] == {"NomOrgaForm": 39}
    assert "100" in finding.message.text("fr") and "NomOrgaForm (39 fois)" in (
        finding.message.text("fr")
    )


def test_montreuil_2018_v86_is_plainly_valid():
    _, report = validate_source(SAMPLES / "montreuil/Montreuil_CA_2018.xml.gz")
    assert report.status == "valid"
    assert report.findings == []


def test_saint_malo_code_from_previous_plan_is_information():
    _, report = validate_source(SAMPLES / "saint-malo/SaintMaloAgglo_transport_BP_2022.xml")
    (finding,) = [f for f in report.findings if f.code == "nature_other_year"]
    assert finding.severity == "info"
    assert finding.message.params["code"] == "6518"
    assert finding.message.params["other"] == 2021
    assert finding.path.startswith("Budget/LigneBudget[") and finding.path.endswith("/Nature")


class TestMohonCfu:
    """A real CFU (VersionSchema 113, enriched with calculated totals by the DGFiP)."""

    @pytest.fixture(scope="class")
    def report(self):
        doc, report = validate_source(SAMPLES / "mohon/Mohon_CFU_2023.xml.gz")
        assert doc is not None and doc.is_cfu
        return report

    def test_valid_with_no_warning(self, report):
        assert report.errors == [] and report.warnings == []
        assert report.status == "valid"

    def test_cfu_is_reported_as_information(self, report):
        (finding,) = [f for f in report.findings if f.code == "cfu_detected"]
        assert finding.severity == "info" and finding.layer == "structure"
        assert finding.line == 4726

    def test_stage_10_is_not_an_xsd_finding(self, report):
        assert all(f.message.params.get("element") != "NatDec" for f in report.findings)

    def test_version_gap_is_one_information_item_listing_what_is_unchecked(self, report):
        (gap,) = [f for f in report.findings if f.layer == "schema"]
        assert gap.code == "xsd_version_newer" and gap.severity == "info"
        unchecked = gap.message.params["unchecked"]
        assert len(unchecked) == 17  # the 17 warnings the portal used to show, one per name
        assert {"InfoAPCP", "ChapitreNature", "DocumentRapport", "calculated"} <= set(unchecked)
        fr, en = gap.message.text("fr"), gap.message.text("en")
        assert "113" in fr and "ne peut donc pas vérifier" in fr and "InfoAPCP (125 fois)" in fr
        assert "cannot check" in en and "InfoAPCP (125 times)" in en
        assert "Rien à faire" in gap.hint.text("fr") and "Nothing to do" in gap.hint.text("en")

    def test_deleted_accounts_without_amounts_are_information(self, report):
        deleted = [f for f in report.findings if f.code.startswith("nature_deleted")]
        assert sorted(f.message.params["code"] for f in deleted) == ["6061", "6062", "6063"]
        assert {f.code for f in deleted} == {"nature_deleted_empty"}
        assert {f.severity for f in deleted} == {"info"}

    def test_calculated_totals_are_not_checked(self, report):
        assert not any(f.layer == "balances" for f in report.findings)
        assert not any(f.code in ("contnat_unknown", "nature_unknown") for f in report.findings)


@pytest.mark.parametrize(
    ("name", "code", "path"),
    [
        ("totem_mauvais_siret.xml", "siret_format", "Budget/EnTeteBudget/IdEtab"),
        ("totem_mauvaise_annee.xml", "exer_invalid", "Budget/BlocBudget/Exer"),
        ("totem_mauvaise_etape.xml", "natdec_unknown", "Budget/BlocBudget/NatDec"),
        (
            "totem_mauvaise_nomenclature.xml",
            "nomenclature_unknown",
            "Budget/EnTeteBudget/Nomenclature",
        ),
        ("mauvais_totem.xml", "xsd_missing_element", "DocumentBudgetaire"),
    ],
)
def test_each_invalid_example_yields_its_own_error(name, code, path):
    _, report = validate_source(SAMPLES / "invalid" / name)
    assert report.status == "errors"
    assert [(f.code, f.path) for f in report.errors] == [(code, path)]
    (finding,) = report.errors
    assert finding.severity == ERROR and finding.line is not None
    assert finding.hint is not None


def test_bad_year_value_is_not_quoted():
    _, report = validate_source(SAMPLES / "invalid/totem_mauvaise_annee.xml")
    text = str(report.as_dict())
    assert "en erreur" not in text


def test_reading_error_finding_keeps_position_and_specific_hint():
    data = (SAMPLES / "crach/Crach_lotissement_BP_2022.xml").read_bytes()
    doc, report = validate_source(data[: len(data) // 3])
    assert doc is None
    (finding,) = report.findings
    assert finding.code == "malformed_xml" and finding.layer == "reading"
    assert finding.line is not None
    assert f"ligne {finding.line}" in finding.message.text("fr")
    assert "s'arrête avant la fin d'un élément" in finding.message.text("fr")
    assert "coupé pendant l'export" in finding.hint.text("fr")
    assert "cut during export" in finding.hint.text("en")
