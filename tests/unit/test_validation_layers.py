"""Each validation layer on small hand-made documents derived from one valid synthetic BP."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from ckanext.budget.docbudg.model import NS, NS_CFU, q
from ckanext.budget.docbudg.nomenclature import available_plans
from ckanext.budget.docbudg.validation import validate_source

LAST_PLAN_YEAR = max(
    year for year, norme, declinaison in available_plans() if declinaison == "M14_COM_SUP3500"
)
MINIMAL = Path(__file__).resolve().parent.parent / "fixtures" / "validation" / "minimal_bp.xml"

Edit = Callable[[etree._Element], None]


def build(*edits: Edit) -> bytes:
    root = etree.fromstring(MINIMAL.read_bytes())
    for edit in edits:
        edit(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def check(*edits: Edit):
    doc, report = validate_source(build(*edits))
    assert doc is not None
    return report


def codes(report) -> list[str]:
    return [f.code for f in report.findings]


def set_value(path: str, value: str) -> Edit:
    def edit(root: etree._Element) -> None:
        root.find("/".join(q(step) for step in path.split("/"))).set("V", value)

    return edit


def lines(root: etree._Element) -> list[etree._Element]:
    return root.findall(f"{q('Budget')}/{q('LigneBudget')}")


def set_line(index: int, name: str, value: str | None) -> Edit:
    """Set (or remove, with None) field ``name`` of budget line ``index`` (from 0)."""

    def edit(root: etree._Element) -> None:
        line = lines(root)[index]
        field = line.find(q(name))
        if value is None:
            line.remove(field)
        else:
            field.set("V", value)

    return edit


def version(number: int) -> Edit:
    return set_value("VersionSchema", str(number))


def test_minimal_document_is_valid():
    report = check()
    assert report.status == "valid" and report.findings == []


# -- layer 1: reading ------------------------------------------------------------------
class TestReading:
    def test_truncated_file_is_one_reading_error(self):
        data = MINIMAL.read_bytes()[:-40]
        doc, report = validate_source(data)
        assert doc is None
        (finding,) = report.findings
        assert (finding.code, finding.layer, finding.severity) == (
            "malformed_xml",
            "reading",
            "error",
        )
        assert finding.line is not None and finding.hint is not None

    def test_dtd_is_refused(self):
        data = MINIMAL.read_bytes().replace(
            b"<DocumentBudgetaire", b'<!DOCTYPE x [<!ENTITY e "x">]>\n<DocumentBudgetaire', 1
        )
        doc, report = validate_source(data)
        assert doc is None and codes(report) == ["unsafe_xml"]

    def test_gzip_is_read_transparently(self):
        doc, report = validate_source(gzip.compress(MINIMAL.read_bytes()))
        assert doc is not None and report.status == "valid"


# -- layer 2: root, namespace, CFU -----------------------------------------------------
class TestStructure:
    def test_other_xml_is_a_structure_error(self):
        doc, report = validate_source(b'<?xml version="1.0"?><facture xmlns="urn:x"/>')
        assert doc is None
        (finding,) = report.findings
        assert (finding.code, finding.layer) == ("not_a_budget_document", "structure")

    def test_cfu_is_unwrapped_and_reported(self):
        budget = etree.fromstring(build())
        cfu = etree.Element(f"{{{NS_CFU}}}CompteFinancierUnique", nsmap={"cfu": NS_CFU})
        etree.SubElement(cfu, f"{{{NS_CFU}}}DocumentComptable")
        cfu.append(budget)
        data = etree.tostring(cfu, xml_declaration=True, encoding="UTF-8")
        doc, report = validate_source(data)
        assert doc is not None and doc.is_cfu
        assert codes(report) == ["cfu_detected"]
        assert report.findings[0].severity == "info"


# -- layer 3: XSD ----------------------------------------------------------------------
def add_to_first_line(tag: str, namespace: str = NS, **attributes: str) -> Edit:
    def edit(root: etree._Element) -> None:
        line = lines(root)[0]
        line.find(q("OpBudg")).addnext(etree.Element(f"{{{namespace}}}{tag}", attributes))

    return edit


def set_attribute(path: str, name: str, value: str) -> Edit:
    def edit(root: etree._Element) -> None:
        root.find("/".join(q(step) for step in path.split("/"))).set(name, value)

    return edit


class TestSchema:
    def test_unknown_element_in_a_v95_era_document_is_an_error(self):
        report = check(add_to_first_line("NouvelElement", V="1"))
        (finding,) = report.findings
        assert finding.code == "xsd_unexpected_element" and finding.severity == "error"
        assert finding.layer == "schema"
        assert finding.path == "Budget/LigneBudget[1]/NouvelElement"
        assert finding.line is not None

    def test_unknown_element_in_a_newer_document_is_named_in_one_information_item(self):
        report = check(version(105), add_to_first_line("NouvelElement", V="1"))
        assert report.status == "valid"
        (info,) = report.findings
        assert info.code == "xsd_version_newer" and info.severity == "info"
        assert info.message.params["unchecked"] == {"NouvelElement": 1}
        fr, en = info.message.text("fr"), info.message.text("en")
        assert "105" in fr and "ne peut donc pas vérifier" in fr and "NouvelElement (1 fois)" in fr
        assert "cannot check" in en and "NouvelElement (1 time)" in en
        assert info.hint is not None and "Rien à faire" in info.hint.text("fr")

    def test_newer_document_without_additions_says_everything_was_checked(self):
        (info,) = check(version(105)).findings
        assert info.code == "xsd_version_newer" and info.severity == "info"
        assert "ne peut" not in info.message.text("fr")
        assert "Everything version 95 knows has been checked" in info.message.text("en")

    def test_known_element_out_of_place_in_a_newer_document_is_told_apart(self):
        report = check(version(105), add_to_first_line("Nature", V="60632"))
        (warning,) = report.warnings
        assert warning.code == "xsd_misplaced_element_newer"
        assert warning.hint is not None and warning.hint.text("fr") != warning.hint.text("en")

    def test_unknown_attribute_error_then_information_when_newer(self):
        edit = set_attribute("Budget/EnTeteBudget", "id", "X1")
        assert codes(check(edit)) == ["xsd_unknown_attribute"]
        report = check(version(110), edit)
        assert report.status == "valid"
        (info,) = report.infos
        assert info.message.params["unchecked"] == {"id": 1}
        assert "attributs id (1 fois)" in info.message.text("fr")

    def test_missing_required_element_is_an_error_even_when_newer(self):
        def drop_budget(root):
            root.remove(root.find(q("Budget")))

        report = check(version(110), drop_budget)
        assert [f.code for f in report.errors] == ["xsd_missing_element"]
        assert report.errors[0].message.params["expected_en"] == "Budget"

    def test_enumeration_outside_v95_list(self):
        edit = set_value("Budget/BlocBudget/NatVote", "ZZ")
        (finding,) = check(edit).findings
        assert finding.code == "xsd_invalid_value" and finding.severity == "error"
        assert finding.path == "Budget/BlocBudget/NatVote"
        newer = check(version(110), edit)
        assert newer.status == "valid"
        assert "valeurs hors liste de NatVote (1 fois)" in newer.infos[0].message.text("fr")

    def test_bad_amount_is_an_error_without_the_value(self):
        report = check(set_line(0, "MtPrev", "mille euros"))
        errors = [f for f in report.errors if f.layer == "schema"]
        assert [f.code for f in errors] == ["xsd_invalid_value"]
        assert errors[0].path == "Budget/LigneBudget[1]/MtPrev"
        assert "mille" not in str(report.as_dict())

    def test_findings_of_one_code_are_capped_with_a_summary(self):
        def many_lines(root):
            budget = root.find(q("Budget"))
            template = lines(root)[0]
            for _ in range(230):
                copy = etree.fromstring(etree.tostring(template))
                copy.find(q("OpBudg")).addnext(etree.Element(q("Inconnu"), V="1"))
                copy.find(q("MtPrev")).set("V", "0")
                copy.find(q("CredOuv")).set("V", "0")
                budget.append(copy)

        report = check(many_lines)
        unexpected = [f for f in report.findings if f.code == "xsd_unexpected_element"]
        assert len(unexpected) == 200
        (summary,) = [f for f in report.findings if f.code == "too_many_findings"]
        assert summary.message.params == {
            "omitted": 30,
            "code": "xsd_unexpected_element",
            "cap": 200,
        }
        assert summary.severity == "error" and summary.layer == "schema"


# -- layer 4: metadata -----------------------------------------------------------------
class TestMetadata:
    def test_siret_checksum(self):
        report = check(set_value("Budget/EnTeteBudget/IdEtab", "21000000000006"))
        (finding,) = report.findings
        assert (finding.code, finding.path) == ("siret_checksum", "Budget/EnTeteBudget/IdEtab")

    def test_la_poste_siret_follows_its_own_rule(self):
        assert check(set_value("Budget/EnTeteBudget/IdEtab", "35600000000048")).findings == []
        report = check(set_value("Budget/EnTeteBudget/IdEtab", "35600000012345"))
        assert codes(report) == ["siret_checksum"]

    def test_collectivity_may_give_a_siren(self):
        assert check(set_value("EnTeteDocBudgetaire/IdColl", "210000006")).findings == []
        report = check(set_value("EnTeteDocBudgetaire/IdColl", "210000007"))
        assert codes(report) == ["siret_checksum"]

    def test_no_siret_at_all_is_a_warning(self):
        def drop(root):
            entete = root.find(f"{q('Budget')}/{q('EnTeteBudget')}")
            entete.remove(entete.find(q("IdEtab")))
            doc_entete = root.find(q("EnTeteDocBudgetaire"))
            doc_entete.remove(doc_entete.find(q("IdColl")))

        report = check(drop)
        assert [(f.code, f.severity) for f in report.findings] == [("siret_missing", "warning")]

    @pytest.mark.parametrize("year", ["1999", "2099"])
    def test_implausible_year(self, year):
        report = check(set_value("Budget/BlocBudget/Exer", year))
        assert codes(report) == ["exer_implausible"]
        assert report.findings[0].message.params["year"] == int(year)

    def test_unknown_stage(self):
        report = check(version(105), set_value("Budget/BlocBudget/NatDec", "07"))
        assert [f.code for f in report.errors] == ["natdec_unknown"]
        assert "10" in report.errors[0].message.text("en")

    def test_plan_of_previous_year_is_information_naming_it(self):
        year = str(LAST_PLAN_YEAR + 1)
        report = check(set_value("Budget/BlocBudget/Exer", year))
        (finding,) = report.findings
        assert (finding.code, finding.severity) == ("plan_previous_year", "info")
        assert finding.message.params["used"] == LAST_PLAN_YEAR
        assert str(LAST_PLAN_YEAR) in finding.message.text("fr")

    def test_plan_of_a_distant_year_is_a_warning(self):
        report = check(set_value("Budget/BlocBudget/Exer", str(LAST_PLAN_YEAR + 2)))
        (finding,) = report.findings
        assert (finding.code, finding.severity) == ("plan_other_year", "warning")

    def test_unknown_codes_are_warnings_when_the_plan_is_another_year(self):
        report = check(
            set_value("Budget/BlocBudget/Exer", str(LAST_PLAN_YEAR + 1)),
            set_line(0, "Nature", "60699"),
        )
        (finding,) = [f for f in report.findings if f.code == "nature_unknown"]
        assert finding.severity == "warning"

    def test_nomenclature_unknown(self):
        report = check(set_value("Budget/EnTeteBudget/Nomenclature", "M99-M99_X"))
        assert codes(report) == ["nomenclature_unknown"]
        assert "M99-M99_X" in report.findings[0].message.text("en")


# -- layer 5: codes --------------------------------------------------------------------
class TestCodes:
    def test_unknown_nature(self):
        report = check(set_line(2, "Nature", "6599"), set_line(2, "MtPrev", "0"))
        (finding,) = [f for f in report.findings if f.code == "nature_unknown"]
        assert finding.severity == "error" and finding.layer == "codes"
        assert finding.path == "Budget/LigneBudget[3]/Nature"
        assert finding.message.params["code"] == "6599"

    def test_deleted_nature_with_amounts_is_a_warning(self):
        report = check(set_line(0, "Nature", "6417"))  # deleted in the 2022 plan
        (finding,) = [f for f in report.findings if f.code.startswith("nature_deleted")]
        assert (finding.code, finding.severity) == ("nature_deleted", "warning")

    def test_unknown_function(self):
        report = check(set_line(0, "Fonction", "999"))
        (finding,) = report.findings
        assert (finding.code, finding.path) == (
            "fonction_unknown",
            "Budget/LigneBudget[1]/Fonction",
        )

    def test_cont_nat_chapter_article_or_third_party_operation(self):
        assert check(set_line(0, "ContNat", "60632")).findings == []  # an article
        assert (
            check(set_line(3, "ContNat", "4581001")).findings == []
        )  # operation for a third party
        report = check(set_line(0, "ContNat", "999"))
        assert [(f.code, f.severity) for f in report.findings] == [("contnat_unknown", "warning")]

    def test_direction_and_operation_type(self):
        report = check(version(105), set_line(0, "CodRD", "X"), set_line(1, "OpBudg", "7"))
        errors = [(f.code, f.path) for f in report.errors]
        assert ("codrd_invalid", "Budget/LigneBudget[1]/CodRD") in errors
        assert ("opbudg_invalid", "Budget/LigneBudget[2]/OpBudg") in errors
        assert not any(f.layer == "schema" and f.severity == "error" for f in report.findings)

    def test_calculated_lines_are_not_checked(self):
        def calculated_total(root):
            budget = root.find(q("Budget"))
            total = etree.fromstring(etree.tostring(lines(root)[0]))
            total.set("calculated", "true")
            total.find(q("Nature")).set("V", "69999")
            total.find(q("MtPrev")).set("V", "999999.99")
            total.find(q("CredOuv")).set("V", "1")
            budget.append(total)

        report = check(version(113), calculated_total)
        assert codes(report) == ["xsd_version_newer"]  # V95 allows @calculated on lines


# -- layer 6: balances -----------------------------------------------------------------
class TestBalances:
    def test_bp_section_imbalance_states_the_amounts(self):
        report = check(set_line(1, "MtPrev", "1234.56"), set_line(1, "CredOuv", "1234.56"))
        (finding,) = report.findings
        assert (finding.code, finding.severity) == ("balance_bp_section", "warning")
        fr, en = finding.message.text("fr"), finding.message.text("en")
        assert "fonctionnement" in fr and "1\u00a0234,56\u00a0€" in fr and "34,56\u00a0€" in fr
        assert "operating" in en and "€1,234.56" in en

    def test_carried_over_results_count_in_the_bp_balance(self):
        def carry_over(root):
            budget = root.find(q("Budget"))
            line = etree.fromstring(etree.tostring(lines(root)[1]))  # a revenue in F
            line.find(q("Nature")).set("V", "002")
            line.find(q("ContNat")).set("V", "002")
            line.find(q("Fonction")).set("V", "01")
            line.find(q("MtPrev")).set("V", "50.00")
            line.remove(line.find(q("CredOuv")))
            budget.append(line)

        report = check(carry_over)
        (finding,) = report.findings
        assert finding.code == "balance_bp_section"
        assert finding.message.params["gap_en"] == "€50.00"

    def test_opened_credits_must_sum_forecast_and_carry_over(self):
        report = check(set_line(3, "CredOuv", "500.00"))
        (finding,) = report.findings
        assert (finding.code, finding.path) == ("credouv_bp_line", "Budget/LigneBudget[4]/CredOuv")
        assert finding.message.params["expected_fr"] == "600,00\u00a0€"

    def test_ca_ordre_operations_must_balance(self):
        def ca_with_ordre(root):
            root.find(f"{q('Budget')}/{q('BlocBudget')}/{q('NatDec')}").set("V", "09")
            budget = root.find(q("Budget"))
            for side, nature, amount in (("D", "6811", "300.00"), ("R", "28183", "299.99")):
                line = etree.SubElement(budget, q("LigneBudget"))
                for tag, value in (
                    ("Nature", nature),
                    ("CodRD", side),
                    ("MtReal", amount),
                    ("OpBudg", "1"),
                    ("TypOpBudg", "2"),
                ):
                    etree.SubElement(line, q(tag), V=value)

        report = check(ca_with_ordre)
        (finding,) = [f for f in report.findings if f.layer == "balances"]
        assert (finding.code, finding.severity) == ("balance_ca_ordre", "error")
        assert finding.message.params["gap_en"] == "-€0.01"

    def test_dm_net_change_per_section(self):
        report = check(set_value("Budget/BlocBudget/NatDec", "02"), set_line(4, "MtPrev", "0"))
        (finding,) = [f for f in report.findings if f.layer == "balances"]
        assert (finding.code, finding.severity) == ("balance_dm_section", "warning")
        assert "investissement" in finding.message.text("fr")


# -- layer 7: annexes ------------------------------------------------------------------
def as_ca_with_grants(paid: str, listed: list[str] | None) -> Edit:
    def edit(root):
        root.find(f"{q('Budget')}/{q('BlocBudget')}/{q('NatDec')}").set("V", "09")
        line = lines(root)[2]  # 6574
        etree.SubElement(line, q("MtReal"), V=paid)
        line.find(q("OpBudg")).addprevious(line.find(q("MtReal")))
        if listed is None:
            return
        annexes = etree.SubElement(root.find(q("Budget")), q("Annexes"))
        block = etree.SubElement(annexes, q("DATA_CONCOURS"))
        for amount in listed:
            grant = etree.SubElement(block, q("CONCOURS"))
            etree.SubElement(grant, q("CodNatJurBenefCA"), V="P1")
            etree.SubElement(grant, q("LibOrgaBenef"), V="Association sportive")
            etree.SubElement(grant, q("MtSubv"), V=amount)

    return edit


class TestAnnexes:
    def test_grants_listed_below_grants_paid(self):
        report = check(as_ca_with_grants("200.00", ["120.00", "50.00"]))
        (finding,) = [f for f in report.findings if f.layer == "annexes"]
        assert (finding.code, finding.severity) == ("annex_concours_below_6574", "warning")
        assert finding.message.params["listed_en"] == "€170.00"
        assert finding.path == "Budget/Annexes/DATA_CONCOURS"

    def test_grants_listed_cover_grants_paid(self):
        report = check(as_ca_with_grants("200.00", ["150.00", "50.00"]))
        assert not any(f.layer == "annexes" for f in report.findings)

    def test_no_grant_list_is_information(self):
        report = check(as_ca_with_grants("200.00", None))
        (finding,) = [f for f in report.findings if f.layer == "annexes"]
        assert (finding.code, finding.severity) == ("annex_concours_absent", "info")


def test_amounts_are_decimal_exact():
    report = check(set_line(1, "MtPrev", "1200.01"), set_line(1, "CredOuv", "1200.01"))
    (finding,) = report.findings
    assert finding.message.params["gap_en"] == "€0.01"
    assert Decimal("1200.01") - Decimal("1200.00") == Decimal("0.01")
