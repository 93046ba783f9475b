"""Reading budget documents: formats, encodings, the document model, and hostile input."""

from __future__ import annotations

import gzip
import io
import resource
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ckanext.budget.docbudg import errors
from ckanext.budget.docbudg.model import Stage
from ckanext.budget.docbudg.reader import Limits, open_document, read_document

from . import hostile

SAMPLES = Path(__file__).parent.parent / "fixtures" / "samples"


def test_reads_a_commune_account_with_header_and_lines() -> None:
    doc = read_document(SAMPLES / "montreuil" / "Montreuil_CA_2018.xml.gz")
    header = doc.header
    assert header.libelle_coll == "VILLE DE MONTREUIL"
    assert header.id_coll == "21930048000015"
    assert header.siren == "219300480"
    assert header.stage is Stage.CA and header.stage.label_fr == "compte administratif"
    assert header.exer == 2018
    assert (header.norme, header.declinaison) == ("M14", "M14_COM_SUP3500")
    assert header.is_principal is True
    assert doc.encoding == "UTF-8"
    assert len(doc.lines) == 1431
    first = doc.lines[0]
    assert first.cod_rd in ("R", "D") and first.nature
    assert all(isinstance(v, Decimal) for line in doc.lines for v in line.amounts.values())


def test_cfu_is_unwrapped_and_calculated_totals_are_flagged() -> None:
    doc = read_document(SAMPLES / "mohon" / "Mohon_CFU_2023.xml.gz")
    assert doc.is_cfu and doc.header.is_cfu
    assert doc.header.stage is Stage.CFU
    assert doc.header.nomenclature == "M57-M57_A"
    assert len(doc.lines) == 796
    assert sum(line.calculated for line in doc.lines) == 633
    assert len(doc.detail_lines) == 163
    assert len(doc.record_rows("CONCOURS")) == 37


def test_latin1_document_keeps_its_encoding_on_output() -> None:
    doc = read_document(SAMPLES / "crach" / "Crach_principal_BP_2022.xml")
    assert doc.encoding == "ISO-8859-1"
    out = doc.to_bytes()
    assert out.startswith(b"<?xml version='1.0' encoding='ISO-8859-1'?>")
    again = read_document(out)
    assert again.lines == doc.lines


@pytest.mark.parametrize("encoding", ["UTF-8", "ISO-8859-1", "UTF-16"])
def test_declared_encodings_are_honoured(encoding: str) -> None:
    doc = read_document(hostile.minimal(encoding))
    assert doc.header.libelle_coll == "COMMUNE D'ÉTÉ"
    assert doc.lines[0].amounts["MtReal"] == Decimal("1234.56")


def test_utf8_with_bom_is_read() -> None:
    doc = read_document(b"\xef\xbb\xbf" + hostile.minimal("UTF-8"))
    assert doc.header.exer == 2018


def test_path_bytes_file_object_and_gzip_give_the_same_document() -> None:
    path = SAMPLES / "saint-malo" / "SaintMaloAgglo_transport_BP_2022.xml"
    raw = path.read_bytes()
    from_path = read_document(path)
    from_str = read_document(str(path))
    from_bytes = read_document(raw)
    from_file = read_document(io.BytesIO(raw))
    from_gzip = read_document(gzip.compress(raw))
    assert from_path.lines == from_str.lines == from_bytes.lines == from_file.lines
    assert from_gzip.lines == from_path.lines
    assert from_path.header == from_gzip.header


def test_annex_records_and_general_information() -> None:
    doc = read_document(SAMPLES / "crach" / "Crach_principal_CA_2021.xml")
    counts = doc.annex_blocks()
    assert counts["CONCOURS"] == len(doc.record_rows("CONCOURS")) == 36
    assert all("MtSubv" in row for row in doc.record_rows("CONCOURS"))


@pytest.mark.parametrize(
    "payload, error",
    [
        (hostile.billion_laughs(), errors.UnsafeContent),
        (hostile.quadratic_blowup(), errors.UnsafeContent),
        (hostile.external_entity(), errors.UnsafeContent),
        (hostile.external_dtd(), errors.UnsafeContent),
        (hostile.deep_nesting(), errors.UnsafeContent),
        (hostile.giant_attribute(), errors.MalformedXML),
        (b"", errors.EmptyDocument),
        (b"   \n", errors.EmptyDocument),
        (b"PK\x03\x04 not xml at all", errors.MalformedXML),
        (b"%PDF-1.4 binary", errors.MalformedXML),
        (b"<html><body>hello</body></html>", errors.NotABudgetDocument),
        (
            b'<DocumentBudgetaire xmlns="urn:wrong"><VersionSchema V="1"/></DocumentBudgetaire>',
            errors.NotABudgetDocument,
        ),
        (
            b'<c:CompteFinancierUnique xmlns:c="http://www.minefi.gouv.fr/cp/demat/doccfu"/>',
            errors.MissingBudgetPart,
        ),
        (b'<?xml version="1.0" encoding="EBCDIC-CP-US"?><a/>', errors.UnsupportedEncoding),
        (b'<?xml version="1.0" encoding="UTF-8"?><a V="\xff\xfe"/>', errors.UnsupportedEncoding),
        (b"\x1f\x8b\x08\x00 truncated gzip", errors.CorruptCompression),
    ],
    ids=[
        "billion-laughs",
        "quadratic-blowup",
        "xxe",
        "external-dtd",
        "deep-nesting",
        "giant-attribute",
        "empty",
        "blank",
        "zip",
        "pdf",
        "html",
        "wrong-namespace",
        "cfu-without-budget",
        "ebcdic",
        "bad-utf8-bytes",
        "truncated-gzip",
    ],
)
def test_hostile_or_broken_input_ends_in_a_typed_error(payload: bytes, error: type) -> None:
    with pytest.raises(error) as info:
        read_document(payload)
    assert info.value.text("fr") and info.value.text("en")
    assert info.value.text("fr") != info.value.text("en")


def test_gzip_bomb_is_stopped_at_the_decompressed_limit_without_exhausting_memory() -> None:
    bomb = hostile.gzip_bomb(300)
    assert len(bomb) < 2_000_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.process_time()
    with pytest.raises(errors.TooLarge) as info:
        read_document(bomb, Limits(max_bytes=50 << 20))
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 200, f"decompression grew the process by {grown_mb:.0f} MB"
    assert time.process_time() - started < 10
    assert "décompressé" in info.value.text("fr")


def test_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    path.write_bytes(hostile.minimal() + b"<!--" + b"x" * 2_000_000 + b"-->")
    with pytest.raises(errors.TooLarge) as info:
        read_document(path, Limits(max_bytes=1 << 20))
    assert "1.0 Mo" in info.value.text("fr")


def test_configured_depth_limit_applies() -> None:
    nested = hostile.minimal().replace(
        b"<Budget>", b"<Budget><X><X><X><X><X><X></X></X></X></X></X></X>"
    )
    read_document(nested, Limits(max_depth=40))
    with pytest.raises(errors.TooDeep):
        read_document(nested, Limits(max_depth=6))


@pytest.mark.parametrize("fraction", [0.02, 0.1, 0.3, 0.5, 0.8, 0.97, 0.995])
def test_truncated_documents_report_a_position(fraction: float) -> None:
    data = hostile.minimal()
    with pytest.raises(errors.MalformedXML) as info:
        read_document(data[: int(len(data) * fraction)])
    assert "ligne" in info.value.text("fr") and "line" in info.value.text("en")


def test_errors_never_quote_document_content() -> None:
    secret = "DUPONT-FICTIF Jeanne"
    broken = hostile.minimal(coll=secret).replace(b"</Budget>", b"</Budge>")
    with pytest.raises(errors.MalformedXML) as info:
        read_document(broken)
    for lang in ("fr", "en"):
        assert secret not in info.value.text(lang)
    assert secret not in str(info.value)


def test_any_file_is_recognised_as_a_budget_document_by_its_content() -> None:
    raw = (SAMPLES / "crach" / "Crach_lotissement_BP_2022.xml").read_bytes()
    assert open_document(raw) is not None
    assert open_document(gzip.compress(raw)) is not None
    assert open_document(hostile.minimal("UTF-16")) is not None
    assert open_document(b"Nature;Fonction;Montant\n6042;020;12.5\n") is None


def test_annex_records_are_found_whatever_their_block_is_called() -> None:
    data = hostile.minimal().replace(
        b"</Budget>",
        b"<Annexes><DATA_MEMBRESASA><MEMBREASA><Proprietaire V='X'/></MEMBREASA>"
        b"</DATA_MEMBRESASA></Annexes></Budget>",
    )
    doc = read_document(data)
    assert doc.annex_blocks() == {"MEMBREASA": 1}
    assert doc.record_rows("MEMBREASA") == [{"Proprietaire": "X"}]


XHTML_SCRIPT = b'<h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script>'


@pytest.mark.parametrize(
    "change",
    [
        lambda doc: doc.replace(b"</DocumentBudgetaire>", XHTML_SCRIPT + b"</DocumentBudgetaire>"),
        lambda doc: doc.replace(
            b"<VersionSchema", XHTML_SCRIPT.replace(b"http", b"&#104;ttp") + b"<VersionSchema"
        ),
        lambda doc: doc.replace(
            b"</DocumentBudgetaire>",
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/></DocumentBudgetaire>',
        ),
        lambda doc: doc.replace(b"?>", b'?><?xml-stylesheet type="text/xsl" href="x.xsl"?>', 1),
        lambda doc: doc.replace(
            b"<DocumentBudgetaire ",
            b'<DocumentBudgetaire xmlns:x="http://www.w3.org/1999/XSL/Transform" x:version="1.0" ',
            1,
        ),
    ],
    ids=["xhtml-script", "namespace-by-character-reference", "svg", "xml-stylesheet", "xslt"],
)
def test_what_a_browser_would_run_or_apply_is_refused(change: Any) -> None:
    """The published file is served from the portal: opened in a browser, it must run no
    script and apply no stylesheet."""
    document = (SAMPLES / "crach" / "Crach_lotissement_CA_2021.xml").read_bytes()
    read_document(document)
    with pytest.raises(errors.UnsafeContent):
        read_document(change(document))


@pytest.mark.parametrize(
    ("payload", "position", "fr", "en", "hint_fr"),
    [
        (
            lambda data: data[: len(data) // 2],
            None,
            "le fichier s'arrête avant la fin d'un élément",
            "the file ends before an element is closed",
            "coupé pendant l'export",
        ),
        (
            lambda data: b'<?xml version="1.0" encoding="UTF-8"?>\n',
            (2, None),
            "aucun élément XML n'a été trouvé",
            "no XML element was found",
            "et non un PDF",
        ),
        (
            lambda data: data.replace(b"</Budget>", b"</Budge>"),
            None,
            "une balise fermante ne correspond pas à la balise ouverte",
            "a closing tag does not match the open tag",
            "Exportez à nouveau",
        ),
        (
            lambda data: b"<a/>\n<b/>",
            (2, 1),
            "du contenu suit la fin du document",
            "content follows the end of the document",
            "un seul document budgétaire par fichier",
        ),
        (
            lambda data: b"<a x=1/>",
            (1, 6),
            "une balise ou un attribut est mal écrit",
            "a tag or an attribute is badly written",
            "Exportez à nouveau",
        ),
        (
            lambda data: b"<p:a/>",
            (1, None),
            "un préfixe d'espace de noms est utilisé sans être déclaré",
            "a namespace prefix is used without being declared",
            "Exportez à nouveau",
        ),
    ],
    ids=["truncated", "declaration-only", "tag-mismatch", "two-roots", "unquoted", "prefix"],
)
def test_parser_errors_are_told_in_french_and_english_with_what_to_do(
    payload, position, fr: str, en: str, hint_fr: str
) -> None:
    with pytest.raises(errors.MalformedXML) as info:
        read_document(payload(hostile.minimal()))
    error = info.value
    assert fr in error.text("fr") and en in error.text("en")
    assert hint_fr in error.hint.text("fr") and error.hint.text("en") != error.hint.text("fr")
    assert hint_fr in error.text_with_hint("fr")
    line, column = error.params["line"], error.params["column"]
    assert isinstance(line, int) and isinstance(column, int) and line >= 1
    if position is not None:
        assert line == position[0] and position[1] in (None, column)
    assert f"ligne {line}, colonne {column}" in error.text("fr")
    assert f"line {line}, column {column}" in error.text("en")
    for leaked in ("not finished", "Start tag expected", "mismatch", "expected '>'", "empty"):
        assert leaked not in error.text("fr")


def test_parser_message_does_not_depend_on_earlier_errors_of_the_thread() -> None:
    """lxml's exception log keeps every earlier error of the thread: the reason is this file's."""
    for earlier in (b"<a x=1/>", b"<p:a/>"):
        with pytest.raises(errors.MalformedXML):
            read_document(earlier)
    with pytest.raises(errors.MalformedXML) as info:
        read_document(b"<a></b>")
    assert "ne correspond pas" in info.value.text("fr")
