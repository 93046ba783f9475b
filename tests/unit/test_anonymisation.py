"""Anonymisation: every rule of the policy, the real CFU sample, and what must not change."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from lxml import etree

from ckanext.budget.docbudg.anonymisation import (
    DEFAULT_REPLACEMENT,
    RULES,
    AnonymisationPolicy,
    anonymise,
)
from ckanext.budget.docbudg.model import NS, BudgetDocument
from ckanext.budget.docbudg.reader import read_document
from tests.fixtures.privacy import (
    KEPT,
    PLANTED,
    PLANTED_PERSON_NAMES,
    SYNTHETIC_PERSON_NAMES,
    make_document_with_personal_data,
)

SAMPLES = Path(__file__).parent.parent / "fixtures" / "samples"
MOHON = SAMPLES / "mohon" / "Mohon_CFU_2023.xml.gz"
XSD = (
    Path(__file__).resolve().parents[2]
    / "ckanext/budget/docbudg/schemas/xsd/v95"
    / "DocumentBudgetaire.xsd"
)
# One document of each kind: a small commune's CA with a P3 subsidy, a CFU, a city's CA
# without and with values occulted at the source, a BP of a transport budget.
SAMPLE_SET = [
    SAMPLES / "crach" / "Crach_principal_CA_2021.xml",
    MOHON,
    SAMPLES / "montreuil" / "Montreuil_CA_2018.xml.gz",
    SAMPLES / "montreuil" / "Montreuil_CA_2021.xml.gz",
    SAMPLES / "saint-malo" / "SaintMaloAgglo_transport_BP_2022.xml",
]
REMOVED = ("RemunAgent", "Siret", "Signatures", "Scellement", "Signature")


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def annex_values(doc: BudgetDocument, record: str, field: str) -> list[str | None]:
    return [row.get(field) for row in doc.record_rows(record)]


def planted_doc(**kwargs) -> BudgetDocument:
    return read_document(make_document_with_personal_data(**kwargs))


def minimal_doc(annexes: str = "", bloc_extra: str = "", root_extra: str = "") -> BudgetDocument:
    budget = (
        "<Budget><EnTeteBudget><LibelleEtab V='X'/><CodColl V='520'/><CodBud V='00'/>"
        f"<Nomenclature V='M57-M57'/></EnTeteBudget><BlocBudget><NatDec V='09'/>"
        f"<Exer V='2022'/>{bloc_extra}</BlocBudget>"
        "<LigneBudget><Nature V='6574'/><CodRD V='D'/><MtReal V='10.00'/><OpBudg V='0'/>"
        f"</LigneBudget>{annexes}</Budget>"
    )
    xml = f"<DocumentBudgetaire xmlns='{NS}'><VersionSchema V='95'/>{root_extra}{budget}"
    return read_document((xml + "</DocumentBudgetaire>").encode())


# -- the policy, rule by rule -------------------------------------------------------------
@pytest.mark.parametrize("cfu", [False, True])
def test_every_planted_name_is_gone_and_public_names_stay(cfu: bool) -> None:
    doc = planted_doc(cfu=cfu)
    anonymise(doc)
    text = doc.to_bytes().decode("iso-8859-1")
    assert [name for name in PLANTED_PERSON_NAMES if name in text] == []
    assert PLANTED["concours_p3_siret"] not in text
    assert PLANTED["remun"] not in text
    for public in KEPT.values():
        assert public in text


def test_each_rule_counts_what_it_changed() -> None:
    report = anonymise(planted_doc(cfu=True))
    assert report.counts == {
        "concours_beneficiary": 5,  # P3: label, object, SIRET; no code: 2 labels
        "fond_aides_eco_beneficiary": 1,
        "pret_beneficiary": 1,
        "membreasa_owner": 1,
        "provision_label": 2,
        "personnel_pay": 1,
        "organisme_eng_name": 2,
        "autre_engagement_beneficiary": 2,
        "credit_bail_label": 1,
        "dette_label": 1,
        "tiers_operation": 1,
        "emprunt_guaranteed_beneficiary": 1,
        "pj_name": 1,
        "champ_editeur": 1,
        "cfu_agent_login": 1,
        "cfu_accountant_name": 1,
        "cfu_signatures": 1,
        "seal": 1,
    }
    assert report.annexes["DATA_CONCOURS"] == 5 and report.annexes["DATA_MEMBRESASA"] == 1
    assert report.total_occulted == 23  # seals and signatures are not counted
    assert report.natural_persons == 4 and report.natural_person_records == 4


def test_natural_person_subsidy_loses_label_object_and_siret_keeps_amount() -> None:
    doc = planted_doc()
    anonymise(doc)
    p3 = doc.record_rows("CONCOURS")[0]
    assert p3["LibOrgaBenef"] == p3["ObjSubv"] == DEFAULT_REPLACEMENT
    assert "Siret" not in p3  # optional and digits only: removed rather than occulted
    assert p3["MtSubv"] == "150.00" and p3["CodNatJurBenefCA"] == "P3"


def test_organisation_with_a_code_or_recognised_by_its_label_is_kept() -> None:
    doc = planted_doc()
    anonymise(doc)
    labels = annex_values(doc, "CONCOURS", "LibOrgaBenef")
    assert labels[3:] == [KEPT["organisation"], KEPT["organisation_p1"]]
    assert doc.record_rows("CONCOURS")[3]["Siret"] == "12345678900011"


@pytest.mark.parametrize(
    ("code", "occulted"),
    [("P3", True), ("P1", False), ("P2", False), ("P4", False), ("U3", False), ("U6", False)],
)
def test_legal_nature_code_decides_whatever_the_label(code: str, occulted: bool) -> None:
    concours = (
        f"<Annexes><DATA_CONCOURS><CONCOURS><CodNatJurBenefCA V='{code}'/>"
        "<LibOrgaBenef V='ASSOCIATION DURANDEAU Gérald'/><MtSubv V='5'/>"
        "</CONCOURS></DATA_CONCOURS></Annexes>"
    )
    doc = minimal_doc(concours)
    anonymise(doc)
    label = annex_values(doc, "CONCOURS", "LibOrgaBenef")[0]
    assert (label == DEFAULT_REPLACEMENT) is occulted


def test_strict_setting_occults_every_beneficiary_without_code() -> None:
    doc = planted_doc()
    report = anonymise(doc, AnonymisationPolicy(strict_beneficiaries=True))
    labels = annex_values(doc, "CONCOURS", "LibOrgaBenef")
    assert labels[:4] == [DEFAULT_REPLACEMENT] * 4
    assert labels[4] == KEPT["organisation_p1"]  # coded P1: kept even in strict mode
    assert report.uncertain_beneficiaries == 1 and report.organisations_kept == 0
    assert "(mode strict)" in report.summary("fr")


def test_other_commitments_to_public_bodies_are_kept() -> None:
    doc = planted_doc()
    anonymise(doc)
    rows = doc.record_rows("AUTRE_ENGAGEMENT")
    assert rows[0]["NomOrgaBenef"] == rows[0]["NatEng"] == DEFAULT_REPLACEMENT
    assert rows[1]["NomOrgaBenef"] == KEPT["public_body"]


def test_labels_are_occulted_only_when_shaped_like_a_person() -> None:
    doc = planted_doc()
    anonymise(doc)
    guaranteed = annex_values(doc, "EMPRUNT", "NomBenefEmprGaranti")
    assert guaranteed == [DEFAULT_REPLACEMENT, KEPT["organisation"]]


def test_cfu_logins_accountants_and_signatures_are_handled() -> None:
    doc = planted_doc(cfu=True)
    report = anonymise(doc)
    comptable = "{http://www.minefi.gouv.fr/cp/demat/doccomptable}"
    edition = next(doc.root.iter(f"{comptable}Edition"))
    gestion = next(doc.root.iter(f"{comptable}Gestion"))
    assert edition.get("Utilisateur") == gestion.get("NomComptable") == DEFAULT_REPLACEMENT
    assert edition.get("DateArrete") == "2022-12-31"
    assert doc.root.find("{http://www.minefi.gouv.fr/cp/demat/doccfu}Signatures") is None
    assert report.signatures_removed == 1
    assert "DocumentComptable/EnteteComptable/Infos/Gestion/@NomComptable" in report.paths


def test_seal_is_removed_only_when_something_changed() -> None:
    seal = "<Scellement md5='A' sha1='B' date='2022-04-07T10:16:21'/>"
    clean = minimal_doc(root_extra=seal)
    report = anonymise(clean)
    assert not report.seal_removed and clean.budget_root.find(f"{{{NS}}}Scellement") is not None
    assert report.summary("en") == "No personal data found; document unchanged"
    changed = minimal_doc(
        "<Annexes><DATA_PRET><PRET><CodTypPret V='A'/><NomBenefPret V='X Y'/></PRET>"
        "</DATA_PRET></Annexes>",
        root_extra=seal,
    )
    report = anonymise(changed)
    assert report.seal_removed and changed.budget_root.find(f"{{{NS}}}Scellement") is None
    assert report.summary("fr").endswith("sceau supprimé")
    assert report.summary("en").endswith("seal removed")


def test_replacement_text_is_configurable_and_checked() -> None:
    doc = planted_doc()
    anonymise(doc, AnonymisationPolicy(replacement="Nom masqué"))
    assert annex_values(doc, "PRET", "NomBenefPret") == ["Nom masqué"]
    with pytest.raises(ValueError):
        AnonymisationPolicy(replacement="x" * 101)  # XSD Base_Texte100
    with pytest.raises(ValueError):
        AnonymisationPolicy(replacement="  ")


def test_policy_table_documents_every_rule() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))
    assert all(rule.why for rule in RULES)


# -- the acceptance figures on the real CFU --------------------------------------------------
def test_mohon_cfu_occults_the_seven_persons_and_keeps_the_organisations() -> None:
    before = read_document(MOHON)
    labels_before = annex_values(before, "CONCOURS", "LibOrgaBenef")
    persons = [label for label in labels_before if label in SYNTHETIC_PERSON_NAMES]
    assert len(persons) == 8 and len(set(persons)) == 7
    doc = read_document(MOHON)
    report = anonymise(doc)
    labels = annex_values(doc, "CONCOURS", "LibOrgaBenef")
    for old, new in zip(labels_before, labels, strict=True):
        if old in persons:
            assert new == DEFAULT_REPLACEMENT
    organisations_kept = sum(
        1
        for old, new in zip(labels_before, labels, strict=True)
        if old not in persons and old == new
    )
    assert organisations_kept >= 26
    assert report.natural_persons == 7 and report.natural_person_records == 8
    assert report.summary("fr").startswith(
        "7 bénéficiaires personnes physiques occultés (8 attributions)"
    )
    assert report.summary("en").startswith(
        "7 beneficiaries who are natural persons occulted (8 grants)"
    )
    assert report.seal_removed
    text = doc.to_bytes().decode("iso-8859-1")
    assert [name for name in SYNTHETIC_PERSON_NAMES if name in text] == []


def test_report_holds_counts_and_paths_never_values() -> None:
    doc = read_document(MOHON)
    report = anonymise(doc)
    dumped = json.dumps(report.as_dict(include_paths=True), ensure_ascii=False)
    dumped += report.summary("fr") + report.summary("en") + repr(report)
    assert [name for name in SYNTHETIC_PERSON_NAMES if name in dumped] == []
    assert "DocumentBudgetaire/Budget/Annexes/DATA_CONCOURS/CONCOURS[1]/LibOrgaBenef" in (
        report.paths
    )
    assert "paths" not in report.as_dict()
    json.dumps(report.as_dict())


# -- what must not change -------------------------------------------------------------------
@pytest.mark.parametrize("path", SAMPLE_SET, ids=lambda p: p.name)
def test_lines_read_back_from_the_output_are_the_input_lines(path: Path) -> None:
    original = read_document(path)
    doc = read_document(path)
    anonymise(doc)
    again = read_document(doc.to_bytes())
    # Removing the seal shifts source line numbers; everything else must be equal.
    assert [replace(line, sourceline=None) for line in again.lines] == [
        replace(line, sourceline=None) for line in original.lines
    ]
    assert again.header == original.header
    assert again.annex_blocks() == original.annex_blocks()


@pytest.mark.parametrize("path", SAMPLE_SET, ids=lambda p: p.name)
def test_anonymising_twice_changes_nothing_more(path: Path) -> None:
    doc = read_document(path)
    first = anonymise(doc)
    once = doc.to_bytes()
    second = anonymise(doc)
    assert doc.to_bytes() == once
    assert second.total_occulted == 0 and second.paths == [] and not second.seal_removed
    replaced = [p for p in first.paths if not p.endswith(REMOVED)]
    assert second.already_occulted == first.already_occulted + len(replaced)
    assert second.summary("en").endswith("already occulted")


def _values(doc: BudgetDocument) -> dict[str, dict[str, str]]:
    """Attributes of every element, by path (namespaces and ``[1]`` dropped)."""
    tree = doc.tree
    values = {}
    for el in doc.budget_root.iter():
        if isinstance(el.tag, str):
            path = tree.getelementpath(el)
            values[_plain(path)] = dict(el.attrib)
    return values


def _plain(path: str) -> str:
    for namespace in (NS, "http://www.w3.org/2000/09/xmldsig#"):
        path = path.replace(f"{{{namespace}}}", "")
    return path.replace("[1]", "")


@pytest.mark.parametrize("path", [MOHON, SAMPLE_SET[0]], ids=lambda p: p.name)
def test_amounts_and_every_other_value_are_unchanged(path: Path) -> None:
    before = _values(read_document(path))
    doc = read_document(path)
    report = anonymise(doc)
    after = _values(doc)
    changed = {_plain(p) for p in report.paths}
    removed = {p for p in changed if p.endswith(REMOVED)}
    assert set(before) - set(after) == {p for p in removed if p in before}
    assert set(after) <= set(before)
    for key, attrib in after.items():
        if key in changed:
            assert attrib["V"] == DEFAULT_REPLACEMENT != before[key]["V"]
        else:
            assert attrib == before[key], key


@pytest.mark.parametrize("path", SAMPLE_SET, ids=lambda p: p.name)
def test_xsd_validity_is_preserved(path: Path, schema: etree.XMLSchema) -> None:
    doc = read_document(path)
    valid_before = schema.validate(doc.budget_root)
    errors_before = sorted({(e.type_name, e.message) for e in schema.error_log})
    anonymise(doc)
    output = read_document(doc.to_bytes())
    assert schema.validate(output.budget_root) is valid_before
    assert sorted({(e.type_name, e.message) for e in schema.error_log}) == errors_before


@pytest.mark.parametrize("cfu", [False, True])
def test_planted_document_is_valid_before_and_after(cfu: bool, schema: etree.XMLSchema) -> None:
    doc = planted_doc(cfu=cfu)
    assert schema.validate(doc.budget_root), schema.error_log
    anonymise(doc)
    assert schema.validate(read_document(doc.to_bytes()).budget_root), schema.error_log


# -- robustness and encodings ---------------------------------------------------------------
@pytest.mark.parametrize(
    "annexes",
    [
        "",
        "<Annexes/>",
        "<Annexes><DATA_CONCOURS/><DATA_PRET/></Annexes>",
        "<Annexes><DATA_AUTRE_ENGAGEMENT><AUTRE_ENGAGEMENT><NomOrgaBenef V='DUPONT Jean'/>"
        "</AUTRE_ENGAGEMENT></DATA_AUTRE_ENGAGEMENT></Annexes>",
        "<Annexes><DATA_CONCOURS><CONCOURS><MtSubv V='1'/></CONCOURS>"
        "<CONCOURS><LibOrgaBenef V=''/></CONCOURS><CONCOURS><LibOrgaBenef/></CONCOURS>"
        "</DATA_CONCOURS></Annexes>",
        "<Annexes><DATA_FOND_AIDES_ECO><FOND_AIDES_ECO/></DATA_FOND_AIDES_ECO>"
        "<DATA_TIERS><TIERS><LibOper/></TIERS></DATA_TIERS></Annexes>",
    ],
)
def test_missing_optional_elements_never_crash(annexes: str) -> None:
    doc = minimal_doc(annexes)
    report = anonymise(doc)
    assert "DUPONT" not in doc.to_bytes().decode()
    assert report.total_occulted == ("DUPONT" in annexes)


def test_document_without_budget_block_or_bloc_budget() -> None:
    no_budget = read_document(
        f"<DocumentBudgetaire xmlns='{NS}'><VersionSchema V='95'/></DocumentBudgetaire>".encode()
    )
    assert anonymise(no_budget).total_occulted == 0
    xml = (
        f"<DocumentBudgetaire xmlns='{NS}'><Budget><Annexes><DATA_PRET><PRET>"
        "<NomBenefPret V='DUPONT Jean'/></PRET></DATA_PRET></Annexes></Budget>"
        "</DocumentBudgetaire>"
    )
    assert anonymise(read_document(xml.encode())).total_occulted == 1


@pytest.mark.parametrize("encoding", ["ISO-8859-1", "UTF-8"])
def test_encoding_is_kept_and_accents_round_trip(encoding: str) -> None:
    doc = planted_doc(encoding=encoding)
    anonymise(doc, AnonymisationPolicy(replacement="Donnée occultée"))
    data = doc.to_bytes()
    assert data.startswith(f"<?xml version='1.0' encoding='{encoding}'?>".encode())
    again = read_document(data)
    assert again.encoding.upper() == encoding
    assert annex_values(again, "CREDIT_BAIL", "NatBienContr") == ["Véhicule"]
    assert annex_values(again, "FORMATION", "NomElu") == [KEPT["elected_training"]]
    assert annex_values(again, "PRET", "NomBenefPret") == ["Donnée occultée"]
    raw = make_document_with_personal_data(encoding)
    assert PLANTED["pret"].encode(encoding) in raw and PLANTED["pret"].encode(encoding) not in data
