"""Anonymisation reaches every annex of the budget and names each change's place exactly."""

from __future__ import annotations

from ckanext.budget.docbudg.anonymisation import DEFAULT_REPLACEMENT, anonymise
from ckanext.budget.docbudg.model import NS
from ckanext.budget.docbudg.reader import read_document


def loans(*names: str) -> str:
    records = "".join(
        f"<PRET><NomBenefPret V='{name}'/><MtPret V='1.00'/></PRET>" for name in names
    )
    return f"<Annexes><DATA_PRET>{records}</DATA_PRET></Annexes>"


def document(annexes: str, lines: int = 3) -> bytes:
    line = (
        "<LigneBudget><Nature V='6574'/><CodRD V='D'/><MtReal V='1.00'/><OpBudg V='0'/>"
        "</LigneBudget>"
    )
    return (
        f"<DocumentBudgetaire xmlns='{NS}'><VersionSchema V='95'/><Budget><EnTeteBudget>"
        "<LibelleEtab V='X'/><CodColl V='520'/><CodBud V='00'/><Nomenclature V='M57-M57'/>"
        "</EnTeteBudget><BlocBudget><NatDec V='09'/><Exer V='2022'/></BlocBudget>"
        f"{line * lines}{annexes}</Budget></DocumentBudgetaire>"
    ).encode()


def test_a_second_annexes_element_is_anonymised_too() -> None:
    # The XSD allows one Annexes; an invalid document with two must not publish the second.
    doc = read_document(document(loans("Jeanne Exemple") + loans("Paul Fictif")))
    report = anonymise(doc)
    text = doc.to_bytes().decode()
    assert "Jeanne Exemple" not in text and "Paul Fictif" not in text
    assert text.count(DEFAULT_REPLACEMENT) == 2
    assert report.paths == [
        "Budget/Annexes[1]/DATA_PRET/PRET/NomBenefPret",
        "Budget/Annexes[2]/DATA_PRET/PRET/NomBenefPret",
    ]


def test_paths_number_records_among_their_own_kind_only() -> None:
    # Thousands of budget lines precede the annexes: they must not shift the numbering.
    doc = read_document(document(loans("Jeanne Exemple", "Paul Fictif"), lines=2000))
    report = anonymise(doc)
    assert report.paths == [
        "Budget/Annexes/DATA_PRET/PRET[1]/NomBenefPret",
        "Budget/Annexes/DATA_PRET/PRET[2]/NomBenefPret",
    ]
