"""The report's API and messages: both languages, JSON, no personal data, amounts, SIRET."""

from __future__ import annotations

import json
import re
import string
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from ckanext.budget.docbudg.messages import Message
from ckanext.budget.docbudg.model import q
from ckanext.budget.docbudg.validation import (
    annexes,
    balances,
    codes,
    metadata,
    report,
    validate_source,
    validator,
    xsd,
)
from ckanext.budget.docbudg.validation.money import format_en, format_fr
from ckanext.budget.docbudg.validation.siret import siren_valid, siret_valid

MINIMAL = Path(__file__).resolve().parent.parent / "fixtures" / "validation" / "minimal_bp.xml"
PERSON = "Jeanne Exemple-Fictif"


def document(*, version: str, value: str) -> bytes:
    """The minimal BP with ``value`` written into every field a check reads."""
    root = etree.fromstring(MINIMAL.read_bytes())
    root.find(q("VersionSchema")).set("V", version)
    for path in (
        "EnTeteDocBudgetaire/IdColl",
        "Budget/EnTeteBudget/IdEtab",
        "Budget/EnTeteBudget/Nomenclature",
        "Budget/BlocBudget/NatDec",
        "Budget/BlocBudget/Exer",
        "Budget/BlocBudget/NatVote",
    ):
        root.find("/".join(q(step) for step in path.split("/"))).set("V", value)
    line = root.find(f"{q('Budget')}/{q('LigneBudget')}")
    for name in ("Nature", "Fonction", "ContNat", "CodRD", "OpBudg", "MtPrev"):
        line.find(q(name)).set("V", value)
    line.set("proprietaire", value)
    line.append(etree.Element(q("NomBeneficiaire"), V=value))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@pytest.mark.parametrize("version", ["88", "113"])
def test_values_of_the_document_never_reach_the_report(version):
    _, found = validate_source(document(version=version, value=PERSON))
    assert found.status == "errors"
    text = json.dumps(found.as_dict(), ensure_ascii=False)
    for part in PERSON.replace("-", " ").split():
        assert part not in text
    reported = {f.code for f in found.findings}
    assert {"siret_format", "exer_invalid", "natdec_unknown", "nomenclature_unknown"} <= reported


def test_code_like_values_are_quoted_to_be_actionable():
    assert metadata.safe_code("6574") == "6574"
    assert metadata.safe_code("M14-M14_COM_SUP3500") == "M14-M14_COM_SUP3500"
    assert metadata.safe_code(PERSON) == "(…)"
    assert metadata.safe_code("DUPONT") == "(…)"


def all_messages() -> list[tuple[str, Message]]:
    found = []
    for module in (annexes, balances, codes, metadata, report, validator, xsd):
        for name, value in vars(module).items():
            if isinstance(value, Message):
                found.append((f"{module.__name__}.{name}", value))
    return found


def placeholders(template: str) -> set[str]:
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    return {re.sub(r"_(fr|en)$", "", name) for name in names}


@pytest.mark.parametrize(("name", "message"), all_messages())
def test_every_message_exists_in_both_languages_with_the_same_parameters(name, message):
    assert message.fr.strip() and message.en.strip() and message.fr != message.en, name
    assert placeholders(message.fr) == placeholders(message.en), name


def test_there_are_messages_to_check():
    assert len(all_messages()) > 40


def test_as_dict_is_json_in_one_or_both_languages():
    _, found = validate_source(MINIMAL.read_bytes().replace(b'"21000000000005"', b'"1"', 1))
    both = found.as_dict()
    json.dumps(both)
    assert both["status"] == "errors"
    assert both["counts"] == {"error": 1, "warning": 0, "info": 0}
    assert both["counts_by_layer"]["metadata"] == {"error": 1, "warning": 0, "info": 0}
    assert set(both["counts_by_layer"]) == set(report.LAYERS)
    (finding,) = both["findings"]
    assert set(finding["message"]) == {"fr", "en"} and set(finding["hint"]) == {"fr", "en"}
    assert finding["path"] == "EnTeteDocBudgetaire/IdColl" and finding["line"] == 11
    french = found.as_dict("fr")["findings"][0]
    assert isinstance(french["message"], str) and "chiffres" in french["message"]
    assert "digits" in found.as_dict("en")["findings"][0]["message"]
    with pytest.raises(ValueError):
        found.as_dict("de")


def test_status_follows_the_worst_severity():
    def finding(severity):
        return report.Finding("x", severity, "codes", Message("a", "b"), None, None, None)

    assert report.ValidationReport([]).status == "valid"
    assert report.ValidationReport([finding("info")]).status == "valid"
    both = report.ValidationReport([finding("info"), finding("warning")])
    assert both.status == "warnings" and len(both.warnings) == 1 and len(both.infos) == 1
    assert report.ValidationReport([finding("warning"), finding("error")]).status == "errors"


@pytest.mark.parametrize(
    ("amount", "fr", "en"),
    [
        ("1234.56", "1\u00a0234,56\u00a0€", "€1,234.56"),
        ("-1234567.5", "-1\u00a0234\u00a0567,50\u00a0€", "-€1,234,567.50"),
        ("0", "0,00\u00a0€", "€0.00"),
        ("999.999", "1\u00a0000,00\u00a0€", "€1,000.00"),
    ],
)
def test_amounts_are_written_per_language(amount, fr, en):
    assert format_fr(Decimal(amount)) == fr
    assert format_en(Decimal(amount)) == en


@pytest.mark.parametrize(
    ("siret", "valid"),
    [
        ("21930048000015", True),  # a commune (public register)
        ("21930048000016", False),
        ("35600000000048", True),  # La Poste head office: Luhn holds
        ("35600000012341", True),  # La Poste: digit sum multiple of 5, Luhn fails
        ("35600000012342", False),
        ("2193004800001", False),
        ("2193004800001A", False),
        ("２１９３００４８０００００１５", False),  # full-width digits
    ],
)
def test_siret_key(siret, valid):
    assert siret_valid(siret) is valid


def test_siren_key():
    assert siren_valid("219300480") and not siren_valid("219300481")
