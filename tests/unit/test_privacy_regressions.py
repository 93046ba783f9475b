"""The privacy breaks found by the review of issue 12, one test each, through the core.

1. records the anonymiser did not visit (a subsidy in the loans block, a field with
   ``xmlns=""``, a guaranteed loan in the subsidies block) were published;
2. forms of the file the upload gate did not recognise although the reader reads them;
3. a compte financier unique without a namespace kept its signatures;
4. only the ``V`` attribute of an occulted element was replaced.
(5., the page cache, is tested in ``test_page_cache*``.)
"""

from __future__ import annotations

import gzip
import struct
import zlib

import pytest
from lxml import etree

from ckanext.budget.docbudg import annex_tables, errors, pipeline, reader
from ckanext.budget.docbudg.anonymisation import DEFAULT_REPLACEMENT, anonymise, engine
from ckanext.budget.docbudg.anonymisation import policy as policy_module
from ckanext.budget.docbudg.anonymisation.verify import verify
from ckanext.budget.docbudg.export.scdl_subventions import build as build_subventions

from ..fixtures.privacy import NS, make_document_with_personal_data

PERSON = "KANARDOUX Jeanne"


def _with(record: str, before: str) -> bytes:
    data = make_document_with_personal_data("UTF-8").decode("utf-8")
    assert before in data
    return data.replace(before, record + before, 1).encode("utf-8")


def _published(data: bytes) -> pipeline.PipelineResult:
    result = pipeline.process_any_file(data, keep_document=True)
    assert result is not None
    return result


def _everything(result: pipeline.PipelineResult) -> bytes:
    assert result.document is not None
    tables = annex_tables.build(result.document)
    return b"\n".join(
        [
            result.anonymised,
            *(export.data for export in result.exports.values()),
            *(annex_tables.to_csv(t.spec, t.rows) for t in tables.values()),
        ]
    )


# -- 1. one record locator ---------------------------------------------------------------
P3_CONCOURS = (
    f'<CONCOURS><CodNatJurBenefCA V="P3"/><LibOrgaBenef V="{PERSON}"/>'
    f'<MtSubv V="10.00"/><ObjSubv V="Bourse {PERSON}"/></CONCOURS>'
)


@pytest.mark.parametrize(
    ("record", "before"),
    [
        (P3_CONCOURS, "</DATA_EMPRUNT>"),  # a subsidy in the loans block
        (P3_CONCOURS, "</Annexes>"),  # outside any block
        (P3_CONCOURS, "</Budget>"),  # outside the annexes
        (P3_CONCOURS.replace("<CONCOURS>", '<CONCOURS xmlns="">'), "</DATA_CONCOURS>"),
        (
            f'<CONCOURS><LibOrgaBenef xmlns="" V="{PERSON}"/><MtSubv V="1.00"/></CONCOURS>',
            "</DATA_CONCOURS>",
        ),
        (
            '<EMPRUNT><CodTypEmpr V="09"/><LibOrgaPreteur V="BANQUE EXEMPLE"/>'
            f'<NomBenefEmprGaranti V="Mme {PERSON}"/></EMPRUNT>',
            "</DATA_CONCOURS>",  # a guaranteed loan to a person in the subsidies block
        ),
        (f'<Bloc><ObjSubv V="Bourse {PERSON}"/></Bloc>', "</Annexes>"),  # a stray field
    ],
)
def test_a_record_anywhere_in_any_namespace_is_anonymised_before_any_output(
    record: str, before: str
) -> None:
    data = _with(record, before)
    assert PERSON.encode() in data
    result = _published(data)
    assert PERSON.encode() not in _everything(result)
    assert DEFAULT_REPLACEMENT.encode() in result.anonymised


def test_the_tables_and_exports_read_records_where_the_anonymiser_finds_them() -> None:
    """One locator: a subsidy in another block is in the published table, occulted."""
    result = _published(_with(P3_CONCOURS, "</DATA_EMPRUNT>"))
    rows = annex_tables.build(result.document)["concours"].rows
    assert [r["beneficiaire"] for r in rows if r["type_beneficiaire"] == "P3"] == [
        DEFAULT_REPLACEMENT,
        DEFAULT_REPLACEMENT,
    ]
    table = build_subventions(result.document, None)
    assert PERSON not in str(table.rows)


def test_a_duplicated_code_or_label_cannot_hide_a_person() -> None:
    record = (
        '<CONCOURS><CodNatJurBenefCA V="P1"/><CodNatJurBenefCA V="P3"/>'
        f'<LibOrgaBenef V="ASSOCIATION EXEMPLE"/><LibOrgaBenef V="{PERSON}"/>'
        '<MtSubv V="5.00"/></CONCOURS>'
        '<CONCOURS><LibOrgaBenef V="CLUB NAUTIQUE EXEMPLE"/>'
        f'<LibOrgaBenef V="{PERSON}"/><MtSubv V="6.00"/></CONCOURS>'
    )
    result = _published(_with(record, "</DATA_CONCOURS>"))
    assert PERSON.encode() not in result.anonymised


# -- 2. one reading path -----------------------------------------------------------------
def _gzip_with_comment(data: bytes, comment_size: int) -> bytes:
    header = b"\x1f\x8b\x08\x10" + b"\0\0\0\0\0\xff" + b"c" * comment_size + b"\0"
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = compressor.compress(data) + compressor.flush()
    return header + body + struct.pack("<II", zlib.crc32(data), len(data))


def _bad_crc(compressed: bytes) -> bytes:
    crc = struct.unpack("<I", compressed[-8:-4])[0]
    return compressed[:-8] + struct.pack("<I", crc ^ 1) + compressed[-4:]


DOCUMENT = make_document_with_personal_data("UTF-8")
WITHOUT_DECLARATION = DOCUMENT.decode("utf-8").split("?>", 1)[1]


@pytest.mark.parametrize(
    "data",
    [
        b" \n" * 2000 + DOCUMENT,  # more than 1 KB of whitespace before the declaration
        (" " * 5000 + WITHOUT_DECLARATION).encode("utf-8"),
        gzip.compress(b"") + gzip.compress(DOCUMENT),  # an empty first member
        gzip.compress(DOCUMENT[:700]) + gzip.compress(DOCUMENT[700:]),  # split in two
        _gzip_with_comment(DOCUMENT, 2 << 20),  # a header comment over 1 MB
        WITHOUT_DECLARATION.encode("utf-32"),  # UTF-32 with a BOM
        WITHOUT_DECLARATION.encode("utf-32-le"),
        WITHOUT_DECLARATION.encode("utf-16-le"),  # UTF-16 without BOM or declaration
    ],
    ids=[
        "spaces before the declaration",
        "spaces before the root",
        "empty first member",
        "two members",
        "2 MB header comment",
        "UTF-32 BOM",
        "UTF-32 without BOM",
        "UTF-16 without BOM",
    ],
)
def test_every_form_the_reader_reads_is_a_document_for_the_gate_too(data: bytes) -> None:
    document = reader.open_document(data)
    assert document is not None and document.header.exer == 2022
    assert b"DURANDEAU" not in _published(data).anonymised


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (_bad_crc(gzip.compress(DOCUMENT)), "corrupt_gzip"),
        (gzip.compress(DOCUMENT)[:-20], "corrupt_gzip"),
        (gzip.compress(b"plain text, not a document")[:-3], "corrupt_gzip"),
        (gzip.compress(DOCUMENT) + b"trailing bytes", "corrupt_gzip"),
        (f"<enveloppe>{WITHOUT_DECLARATION}</enveloppe>".encode(), "nested_budget_document"),
        (
            f"<a>{WITHOUT_DECLARATION.replace('<', '&lt;')}</a>".encode(),
            "nested_budget_document",
        ),
        (DOCUMENT[:-40], "malformed_xml"),
    ],
    ids=[
        "bad CRC",
        "truncated",
        "corrupt other file",
        "trailing bytes",
        "nested",
        "escaped",
        "truncated XML",
    ],
)
def test_a_file_holding_a_document_is_refused_when_unreadable_never_taken_for_another(
    data: bytes, error: str
) -> None:
    with pytest.raises(errors.BudgetDocError) as raised:
        reader.open_document(data)
    assert raised.value.code == error
    assert "DURANDEAU" not in raised.value.text("fr") + raised.value.text("en")


def test_a_large_comment_inside_a_small_gzip_is_not_a_way_around() -> None:
    body = b"<!--" + b" " * (3 << 20) + b"-->" + WITHOUT_DECLARATION.encode()
    small = gzip.compress(body, 9)
    assert len(small) < 100_000
    with pytest.raises(errors.TooLarge):
        reader.open_document(small, reader.Limits(max_bytes=2 << 20))
    assert b"DURANDEAU" not in _published(small).anonymised


@pytest.mark.parametrize(
    "data",
    [
        b"Nature;Fonction;Montant\n6042;020;12.5\n",
        b"<a><b/></a>",
        b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        b'<xs:element name="DocumentBudgetaire"/></xs:schema>',
        b"Le DocumentBudgetaire est produit par TotEM.\n",
        gzip.compress(b"hello"),
    ],
)
def test_other_files_are_not_documents(data: bytes) -> None:
    assert reader.open_document(data) is None
    assert pipeline.process_any_file(data) is None


# -- 3. the compte financier unique, in every form the reader accepts -------------------
@pytest.mark.parametrize("form", ["namespaced", "no namespace on the root", "no namespace"])
def test_cfu_signatures_logins_and_accountants_go_whatever_the_namespaces(form: str) -> None:
    text = make_document_with_personal_data("UTF-8", cfu=True).decode("utf-8")
    if form != "namespaced":
        text = text.replace("<doccfu:", "<").replace("</doccfu:", "</")
        text = text.replace('xmlns:doccfu="http://www.minefi.gouv.fr/cp/demat/doccfu"', "")
    if form == "no namespace":
        text = text.replace(' xmlns="http://www.minefi.gouv.fr/cp/demat/doccomptable"', "")
    data = text.encode("utf-8")
    assert b"SIGNATAIRO" in data and b"gerald.durandeau" in data
    result = _published(data)
    for secret in (b"SIGNATAIRO", b"gerald.durandeau", b"COMPTABLOT"):
        assert secret not in result.anonymised, form
    assert result.anonymisation.counts["cfu_signatures"] == 1


# -- 4. an occulted element keeps nothing ------------------------------------------------
def test_an_occulted_element_keeps_no_text_attribute_child_or_comment() -> None:
    record = (
        '<CONCOURS><CodNatJurBenefCA V="P3"/>'
        f'<LibOrgaBenef V="{PERSON}" nom="{PERSON}">{PERSON}<Detail V="{PERSON}"/>'
        f'<!-- {PERSON} --></LibOrgaBenef><MtSubv V="3.00"/></CONCOURS>'
    )
    result = _published(_with(record, "</DATA_CONCOURS>"))
    assert PERSON.encode() not in result.anonymised
    root = etree.fromstring(result.anonymised)
    occulted = root.findall(f".//{{{NS}}}LibOrgaBenef")
    blank = [el for el in occulted if el.get("V") == DEFAULT_REPLACEMENT]
    assert blank and all(
        dict(el.attrib) == {"V": DEFAULT_REPLACEMENT} and len(el) == 0 and not el.text
        for el in blank
    )


def test_text_and_comments_are_never_published() -> None:
    data = DOCUMENT.replace(b"?>", f"?>\n<!-- {PERSON} -->".encode(), 1).replace(
        b"<Budget>", f"<Budget>{PERSON}".encode(), 1
    )
    result = _published(data)
    assert PERSON.encode() not in result.anonymised
    assert result.anonymisation.counts["free_text"] == 2


# -- defence in depth --------------------------------------------------------------------
def test_the_verification_refuses_what_a_broken_rule_left(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the subsidies rule gone, the published rows still name a person: refused."""
    rules = tuple(r for r in policy_module.RULES if r.id != "concours_beneficiary")
    monkeypatch.setattr(engine, "RULES", rules)
    with pytest.raises(errors.PersonalDataRemains) as raised:
        pipeline.process_any_file(DOCUMENT)
    assert "DURANDEAU" not in raised.value.text("fr")


def test_the_verification_refuses_a_document_escaped_inside_a_value() -> None:
    escaped = WITHOUT_DECLARATION.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    data = DOCUMENT.replace(b'<LibCpte V="Subventions', f'<LibCpte V="{escaped}" X="'.encode(), 1)
    doc = reader.read_document(data)
    anonymise(doc)
    with pytest.raises(errors.PersonalDataRemains):
        verify(doc, doc.to_bytes(), policy_module.DEFAULT_POLICY, again=True)
