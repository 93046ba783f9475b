"""The XSD layer validates the annexes apart (for speed); its findings must be the same as
those of one validation of the whole document, valid or not, wherever the errors are."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from ckanext.budget.docbudg.model import q
from ckanext.budget.docbudg.reader import read_document
from ckanext.budget.docbudg.validation import xsd
from ckanext.budget.docbudg.validation.report import FindingCollector

SAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "samples"
MINIMAL = Path(__file__).resolve().parent.parent / "fixtures" / "validation" / "minimal_bp.xml"

Edit = Callable[[etree._Element], None]


def findings(source: bytes | Path, *, whole: bool, monkeypatch: pytest.MonkeyPatch) -> list:
    doc = read_document(source)
    collector = FindingCollector(cap=3)
    with monkeypatch.context() as patch:
        if whole:
            patch.setattr(xsd._SchemaCheck, "_errors", xsd._SchemaCheck._whole)
        xsd.check_schema(doc, collector)
    return [f.as_dict() for f in collector.report().findings]


def budget(root: etree._Element) -> etree._Element:
    return root.find(q("Budget"))


def add_annexes(root: etree._Element) -> None:
    """Two subsidies records, the second with an element V95 does not know."""
    annexes = etree.SubElement(budget(root), q("Annexes"))
    block = etree.SubElement(annexes, q("DATA_CONCOURS"))
    for extra in (False, True):
        record = etree.SubElement(block, q("CONCOURS"))
        for name, value in (("CodArticle", "6574"), ("LibOrgaBenef", "CLUB DE TEST")):
            etree.SubElement(record, q(name), V=value)
        if extra:
            etree.SubElement(record, q("ChampInconnu"), V="x")
        etree.SubElement(record, q("MtSubv"), V="abc")


def line_error(root: etree._Element) -> None:
    budget(root).find(q("LigneBudget")).find(q("MtPrev")).set("V", "12,5")


def annexes_first(root: etree._Element) -> None:
    annexes = budget(root).find(q("Annexes"))
    budget(root).find(q("InformationsGenerales")).addnext(annexes)


def annexes_twice(root: etree._Element) -> None:
    budget(root).append(etree.fromstring(etree.tostring(budget(root).find(q("Annexes")))))


def no_lines(root: etree._Element) -> None:
    for line in budget(root).findall(q("LigneBudget")):
        budget(root).remove(line)


def header_and_trailer_errors(root: etree._Element) -> None:
    root.find(q("VersionSchema")).set("Bogus", "1")
    etree.SubElement(root, q("Inconnu"), V="1")


def newer_version(root: etree._Element) -> None:
    root.find(q("VersionSchema")).set("V", "110")


def build(*edits: Edit) -> bytes:
    root = etree.fromstring(MINIMAL.read_bytes())
    for edit in edits:
        edit(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


CASES = {
    "valid": (),
    "annex errors": (add_annexes,),
    "line and annex errors": (add_annexes, line_error),
    "newer version": (add_annexes, newer_version),
    "annexes misplaced": (add_annexes, annexes_first),
    "annexes twice": (add_annexes, annexes_twice),
    "budget without lines": (add_annexes, no_lines),
    "errors before and after the budget": (add_annexes, header_and_trailer_errors),
}


@pytest.mark.parametrize("edits", CASES.values(), ids=CASES.keys())
def test_split_validation_reports_what_whole_validation_does(edits, monkeypatch):
    data = build(*edits)
    split = findings(data, whole=False, monkeypatch=monkeypatch)
    assert split == findings(data, whole=True, monkeypatch=monkeypatch)
    if edits and edits[0] is add_annexes and no_lines not in edits:
        assert any("Annexes" in (f["path"] or "") for f in split)


@pytest.mark.parametrize(
    "path",
    [p for p in sorted(SAMPLES.glob("*/*.xml*")) if p.stat().st_size < 600_000],
    ids=lambda p: p.name,
)
def test_split_validation_on_samples(path, monkeypatch):
    split = findings(path, whole=False, monkeypatch=monkeypatch)
    assert split == findings(path, whole=True, monkeypatch=monkeypatch)
