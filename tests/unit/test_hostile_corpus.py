"""A corpus of broken and hostile documents through the whole pipeline.

Each input must end in a :class:`PipelineResult` or a typed :class:`BudgetDocError` —
never another exception — with bounded work, and validation must name the problem when
the document is readable. The CPU-time guard is deliberately generous (a hang or a
quadratic blow-up, not a speed goal: speed is measured in ``benchmarks/``).
"""

from __future__ import annotations

import re
import time

import pytest

from ckanext.budget.docbudg import errors
from ckanext.budget.docbudg.pipeline import PipelineResult, process

from . import hostile
from .fuzz_strategies import SAMPLES, sample_bytes

GUARD_SECONDS = 10.0
VALID_SAMPLE = sample_bytes(SAMPLES / "crach" / "Crach_lotissement_BP_2022.xml")
FIRST_PREV = re.search(rb'<MtPrev V="[^"]*"', VALID_SAMPLE).group(0)
FIRST_NATURE = re.search(rb'<Nature V="[^"]*"', VALID_SAMPLE).group(0)


def outcome(data: bytes) -> PipelineResult | errors.BudgetDocError:
    """The pipeline's result or typed error; anything else fails the test."""
    started = time.process_time()
    try:
        result: PipelineResult | errors.BudgetDocError = process(data)
    except errors.BudgetDocError as error:
        result = error
    assert time.process_time() - started < GUARD_SECONDS
    return result


def error_code(data: bytes) -> str:
    result = outcome(data)
    assert isinstance(result, errors.BudgetDocError), "expected the document to be refused"
    return result.code


def findings(data: bytes) -> set[str]:
    result = outcome(data)
    assert isinstance(result, PipelineResult), f"refused: {getattr(result, 'code', '')}"
    return result.validation.codes


def _duplicate(data: bytes, tag: str) -> bytes:
    pattern = rb"(<%s>.*?</%s>)" % (tag.encode(), tag.encode())
    return re.sub(pattern, rb"\1\1", data, count=1, flags=re.S)


# --- encodings --------------------------------------------------------------------------


def test_invalid_utf8_bytes_are_refused() -> None:
    data = hostile.minimal("UTF-8").replace("ÉTÉ".encode(), b"\xc3\x28\xff")
    assert error_code(data) == "unsupported_encoding"


def test_utf16_with_odd_length_is_refused() -> None:
    assert isinstance(outcome(hostile.minimal("UTF-16")[:-1]), errors.BudgetDocError)


def test_utf16_with_a_lone_surrogate_is_refused() -> None:
    data = hostile.minimal("UTF-16").replace("ÉTÉ".encode("utf-16-le"), b"\x00\xd8A\x00")
    assert isinstance(outcome(data), errors.BudgetDocError)


def test_utf16_bytes_declared_latin1_follow_the_byte_order_mark() -> None:
    """The BOM wins over the declaration (XML 1.0 appendix F): the text is right."""
    declared = "ISO-8859-1".encode("utf-16-le")
    data = hostile.minimal("UTF-16").replace("UTF-16".encode("utf-16-le"), declared)
    result = outcome(data)
    assert isinstance(result, PipelineResult)
    assert result.header.libelle_coll == "COMMUNE D'ÉTÉ"


def test_utf8_content_declared_latin1_is_read_as_latin1() -> None:
    """Every byte is a Latin-1 character: mojibake, but a faithful reading of the bytes."""
    data = hostile.minimal("UTF-8").replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"')
    result = outcome(data)
    assert isinstance(result, PipelineResult)
    assert result.header.libelle_coll == "COMMUNE D'ÃÂ\x89TÃ\x89".replace("Â", "", 1)


def test_latin1_content_declared_utf8_is_refused() -> None:
    data = hostile.minimal("ISO-8859-1").replace(b'encoding="ISO-8859-1"', b'encoding="UTF-8"')
    assert error_code(data) == "unsupported_encoding"


# --- truncation, structure ----------------------------------------------------------------


@pytest.mark.parametrize("fiftieth", range(1, 50))
def test_truncated_document_is_refused_as_malformed(fiftieth: int) -> None:
    cut = VALID_SAMPLE[: len(VALID_SAMPLE) * fiftieth // 50]
    assert error_code(cut) == "malformed_xml"


@pytest.mark.parametrize(
    "namespace", [b"http://www.minefi.gouv.fr/cp/demat/autre", b"", b"urn:x-budget"]
)
def test_wrong_namespace_is_not_a_budget_document(namespace: bytes) -> None:
    data = VALID_SAMPLE.replace(b"http://www.minefi.gouv.fr/cp/demat/docbudgetaire", namespace)
    assert error_code(data) in ("not_a_budget_document", "malformed_xml")


def test_cfu_without_budget_part_says_so() -> None:
    data = (
        b'<?xml version="1.0"?><doccfu:CompteFinancierUnique '
        b'xmlns:doccfu="http://www.minefi.gouv.fr/cp/demat/doccfu"><Autre/>'
        b"</doccfu:CompteFinancierUnique>"
    )
    assert error_code(data) == "cfu_without_budget"


@pytest.mark.parametrize("tag", ["EnTeteBudget", "BlocBudget", "Budget", "EnTeteDocBudgetaire"])
def test_duplicated_header_is_reported_by_validation(tag: str) -> None:
    assert "xsd_version_newer" in findings(VALID_SAMPLE)  # the sample's only finding
    codes = findings(_duplicate(VALID_SAMPLE, tag))
    # A duplicate is reported (today as a misplaced element, the code for schema drift).
    assert codes - {"xsd_version_newer"}


# --- absurd values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [b"NaN", b"sNaN", b"Infinity", b"1,5", b"", b"1E+5", b"0x10", b"12 345"]
)
def test_absurd_amount_is_a_validation_finding(value: bytes) -> None:
    codes = findings(VALID_SAMPLE.replace(FIRST_PREV, b'<MtPrev V="' + value + b'"', 1))
    assert "xsd_invalid_value" in codes


def test_negative_zero_amount_is_read() -> None:
    codes = findings(VALID_SAMPLE.replace(FIRST_PREV, b'<MtPrev V="-0"', 1))
    assert "balance_bp_section" in codes  # the line no longer balances its section


@pytest.mark.parametrize("value", [b"1e999", b"9" * 40, b"-" + b"9" * 40 + b".99"])
def test_huge_amount_is_a_finding_not_a_crash(value: bytes) -> None:
    """Once crashed the SCDL export (quantize beyond Decimal's 28-digit context)."""
    codes = findings(VALID_SAMPLE.replace(FIRST_PREV, b'<MtPrev V="' + value + b'"', 1))
    assert "amount_out_of_range" in codes


def test_ten_thousand_character_nature_is_an_unknown_code() -> None:
    data = VALID_SAMPLE.replace(FIRST_NATURE, b'<Nature V="' + b"6" * 10_000 + b'"', 1)
    assert "nature_unknown" in findings(data)


@pytest.mark.parametrize("ref", [b"&#x1;", b"&#0;", b"&#xFFFE;", b"&#xD800;"])
def test_forbidden_character_reference_in_a_code_is_refused(ref: bytes) -> None:
    data = VALID_SAMPLE.replace(FIRST_NATURE, b'<Nature V="60' + ref + b'"', 1)
    assert isinstance(outcome(data), errors.BudgetDocError)


def test_allowed_control_characters_in_a_code_make_it_unknown() -> None:
    data = VALID_SAMPLE.replace(FIRST_NATURE, b'<Nature V="60&#9;4&#xD;"', 1)
    assert "nature_unknown" in findings(data)


# --- size and depth ---------------------------------------------------------------------


def test_giant_attribute_is_refused() -> None:
    assert isinstance(outcome(hostile.giant_attribute(20)), errors.BudgetDocError)


def test_deep_nesting_is_refused() -> None:
    assert error_code(hostile.deep_nesting(100_000)) == "too_deep"


def test_deep_nesting_inside_a_budget_is_refused() -> None:
    deep = b"<X>" * 5_000 + b"</X>" * 5_000
    data = VALID_SAMPLE.replace(b"<LigneBudget>", deep + b"<LigneBudget>", 1)
    assert error_code(data) == "too_deep"
