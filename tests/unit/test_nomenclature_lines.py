"""Joining real budget lines to their plan: every nature known, every line in a section."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ckanext.budget.docbudg.nomenclature import find_merged_plan, find_plan
from ckanext.budget.docbudg.reader import read_document

SAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "samples"
DOCUMENTS = [
    "montreuil/Montreuil_CA_2016.xml.gz",
    "montreuil/Montreuil_CA_2019.xml.gz",
    "montreuil/Montreuil_CA_2021.xml.gz",
    "mohon/Mohon_CFU_2023.xml.gz",
    "saint-malo/SaintMaloAgglo_transport_BP_2022.xml",
    "crach/Crach_principal_CA_2021.xml",
    "crach/Crach_lotissement_BP_2022.xml",
]


@pytest.fixture(scope="module", params=DOCUMENTS)
def document(request):
    return read_document(SAMPLES / request.param)


def _plan(document):
    header = document.header
    return find_merged_plan(header.exer, header.nomenclature)


def test_plan_of_the_document_year_exists(document):
    header = document.header
    plan = find_plan(header.exer, header.nomenclature, fallback=False)
    assert plan is not None
    assert plan.nomenclature == header.nomenclature


def test_every_nature_resolves_to_a_labelled_account(document):
    plan = _plan(document)
    for line in document.detail_lines:
        account = plan.account(line.nature)
        assert account is not None, line.nature
        assert account.label


def test_every_function_resolves(document):
    plan = _plan(document)
    for line in document.detail_lines:
        if line.fonction:
            assert plan.function(line.fonction) is not None, line.fonction


def test_every_detail_line_gets_a_section(document):
    plan = _plan(document)
    for line in document.detail_lines:
        assert plan.section_of(line) in ("F", "I"), (line.nature, line.cont_nat)


def test_chapter_from_the_account_matches_the_voted_chapter(document):
    """Dropping ``ContNat`` and deriving the chapter from the nature gives it back."""
    plan = _plan(document)
    checked = agreed = 0
    for line in document.detail_lines:
        if line.cont_nat and plan.chapter(line.cont_nat):
            checked += 1
            derived = plan.chapter_of(dataclasses.replace(line, cont_nat=None))
            agreed += derived == line.cont_nat
    assert checked > 0
    assert agreed >= 0.99 * checked


def test_ordre_lines_fall_in_ordre_chapters(document):
    plan = _plan(document)
    for line in document.detail_lines:
        if line.op_budg != "1":
            continue
        # Between sections: transfers (040/042) and the virement (021 revenue, 023 expense).
        expected = {"2": {"040", "042", "021", "023"}, "1": {"041", "043"}}.get(line.typ_op_budg)
        if expected:
            stripped = dataclasses.replace(line, cont_nat=None)
            assert plan.chapter_of(stripped) in expected, line.nature


def test_missing_operation_type_tries_both_ordre_kinds():
    plan = find_plan(2016, "M14-M14_COM_SUP3500")
    line = read_document(SAMPLES / DOCUMENTS[0]).detail_lines[0]
    within = dataclasses.replace(
        line, nature="2313", cont_nat=None, cod_rd="D", op_budg="1", fields={}
    )
    assert plan.chapter_of(within) == "040"
    assert plan.section_of(within) == "I"
    real = dataclasses.replace(within, op_budg="0")
    assert plan.chapter_of(real) == "23"
    unknown = dataclasses.replace(within, nature="99999")
    assert plan.chapter_of(unknown) is None
    assert plan.section_of(unknown) is None


def test_contnat_article_is_used_as_account():
    plan = find_plan(2016, "M14-M14_COM_SUP3500")
    line = read_document(SAMPLES / DOCUMENTS[0]).detail_lines[0]
    article = dataclasses.replace(line, nature=None, cont_nat="64131", cod_rd="D", op_budg="0")
    assert plan.chapter_of(article) == "012"
    assert plan.section_of(article) == "F"


def test_strict_plan_misses_a_code_of_the_previous_year():
    document = read_document(SAMPLES / "saint-malo/SaintMaloAgglo_transport_BP_2022.xml")
    strict = find_plan(2022, "M4-M43_D", fallback=False)
    missing = {line.nature for line in document.detail_lines if not strict.account(line.nature)}
    assert missing == {"6518"}


def test_a_parent_account_gets_the_chapter_its_leaves_agree_on():
    plan = find_plan(2024, "M57-M57_A", fallback=False)
    # 6061 was a leaf in 2023 (chapter 011) and is split into sub-accounts in 2024.
    assert dict(plan.account("6061").chapters) == {}
    line = read_document(SAMPLES / "mohon/Mohon_CFU_2023.xml.gz").detail_lines[0]
    parent_line = dataclasses.replace(line, nature="6061", cont_nat=None, cod_rd="D", op_budg="0")
    assert plan.chapter_of(parent_line) == "011"
    assert plan.section_of(parent_line) == "F"
    # Intangible assets split between chapters 20 and 204: no single answer.
    leaves = {plan.account(code).chapters.get("DR") for code in plan.account_descendants("20")}
    assert {"20", "204"} <= leaves
    assert plan.account_chapter("20", "DR") is None


def test_parent_accounts_never_contradict_their_leaves():
    plan = find_plan(2019, "M14-M14_COM_SUP3500", fallback=False)
    for account in plan.accounts():
        chapter = plan.account_chapter(account.code, "DR")
        if chapter is None:
            continue
        for code in plan.account_descendants(account.code):
            leaf = plan.account(code).chapters.get("DR")
            assert leaf in (None, chapter)


def test_vote_by_function_contnat_is_a_functional_chapter():
    plan = find_plan(2023, "M57-M57_A", fallback=False)
    line = read_document(SAMPLES / "mohon/Mohon_CFU_2023.xml.gz").detail_lines[0]
    operating = dataclasses.replace(line, nature="6068", cont_nat="930", cod_rd="D", op_budg="0")
    assert plan.chapter_of(operating) == "930"
    assert plan.section_of(operating) == "F"
    investing = dataclasses.replace(operating, nature="2183", cont_nat="900")
    assert plan.section_of(investing) == "I"
