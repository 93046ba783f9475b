"""The evolution chart names each part by its official code (functions 0–9, chapters
011…), and numbers only the parts that have none."""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
from pathlib import Path

from ckanext.budget.docbudg.aggregation import aggregate, default_ruleset
from ckanext.budget.docbudg.figures.big_numbers import big_numbers
from ckanext.budget.docbudg.figures.evolution import Series, category_code, evolution, marks
from ckanext.budget.docbudg.figures.results import Result, result_of
from ckanext.budget.docbudg.reader import read_document
from ckanext.budget.explorer.chart import stack_chart

from .independent_sums import SAMPLES

CA_2021 = SAMPLES / "crach" / "Crach_principal_CA_2021.xml"
MONTREUIL = SAMPLES / "montreuil" / "Montreuil_CA_2018.xml.gz"


def stored(path: Path) -> Result:
    doc = read_document(path)
    return result_of(aggregate(doc, default_ruleset(doc)), big_numbers(doc))


def function_codes_of_expenses(path: Path) -> set[str]:
    """Top-level function codes (their first character) of the real expense lines, read
    from the XML without the library."""
    codes = set()
    with gzip.open(path) as file:
        root = ET.parse(file).getroot()
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] != "LigneBudget":
            continue
        fields = {child.tag.rsplit("}", 1)[-1]: child.get("V") for child in element}
        if fields.get("CodRD") == "D" and fields.get("Fonction") and fields.get("OpBudg") == "0":
            codes.add(fields["Fonction"][0])
    return codes


def test_function_parts_are_marked_with_their_code() -> None:
    (stack,) = evolution({2018: stored(MONTREUIL)}, "fonction", ["D"], "fr")
    found = dict(zip((s.id for s in stack.series), stack.marks, strict=True))
    coded = {mark for mark in found.values() if mark.isdigit()}
    assert "0" in coded and coded <= function_codes_of_expenses(MONTREUIL)
    for series_id, mark in found.items():
        if series_id.startswith("D.") and series_id[2:].isdigit():
            assert mark == series_id[2:]  # « D.0 » is function 0, not « 1 »
        else:
            assert mark.isalpha()  # « autres », « non ventilé »: lettered, not a code
    chart = stack_chart(stack)
    assert [item.mark for item in chart.legend] == stack.marks
    for column in chart.columns:
        for segment in column.segments:
            assert segment.mark == found[segment.id]


def test_chapter_parts_are_marked_with_the_chapter() -> None:
    (stack,) = evolution({2021: stored(CA_2021)}, "chapitre", ["DF"], "fr")
    for series, mark in zip(stack.series, stack.marks, strict=True):
        if series.id != "DF.autres":
            assert mark == series.id.split(".", 1)[1]  # 011, 012, 65…


def test_parts_without_code_are_numbered() -> None:
    (stack,) = evolution({2021: stored(CA_2021)}, "chapitre", ["D"], "fr")
    assert [s.id for s in stack.series] == ["DF", "DI"]
    assert stack.marks == ["1", "2"]
    assert marks([Series("a", "A"), Series("b", "B", code="3"), Series("c", "C")]) == [
        "a",
        "3",
        "b",
    ]


def test_code_of_a_category() -> None:
    assert category_code("D.0", "sens:D & fonction:0") == "0"
    assert category_code("RI.13", "(sens:R & section:I - (compte:775)) & chapitre:13") == "13"
    assert category_code("D.autres", "sens:D & fonction:* - (fonction:0)") is None
    assert category_code("x", "sens:D | fonction:1") is None
    assert category_code("x", "sens:D - compte:6 & fonction:1") is None
    assert category_code("D.non-ventile", "sens:D & fonction:aucune") is None
    assert category_code("DF.011", None) == "011"
    assert category_code("education", None) is None
