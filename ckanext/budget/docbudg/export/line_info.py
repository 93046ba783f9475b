"""What the plan de comptes says about a budget line: chapter, section and labels.

Files leave ``ContNat`` empty or set it to an article, so the chapter and the section
(fonctionnement / investissement) are derived through the account, as the nomenclature
module does (``Plan.chapter_of``). Labels come from the plan first; a line's own
``LibCpte`` is the fallback for a nature the plan does not know.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..model import BudgetDocument, BudgetLine
from ..nomenclature import Plan, find_merged_plan

MAX_CACHED = 50_000
SECTION_LABELS = {"F": "fonctionnement", "I": "investissement"}
CODRD_LABELS = {"R": "recette", "D": "dépense"}
OPBUDG_LABELS = {"0": "réel", "1": "ordre"}


@dataclass(frozen=True, slots=True)
class LineInfo:
    chapter: str | None
    chapter_label: str | None
    section: str | None
    nature_label: str | None
    function_label: str | None


def describe(line: BudgetLine, plan: Plan | None) -> LineInfo:
    nature = (line.nature or "").strip()
    fonction = (line.fonction or "").strip()
    if plan is None:
        return LineInfo(None, None, None, line.lib_cpte, None)
    chapter_code = plan.chapter_of(line)
    chapter = None
    if chapter_code:
        chapter = plan.chapter(chapter_code) or plan.function_chapter(chapter_code)
    account = plan.account(nature) if nature else None
    function = plan.function(fonction) if fonction else None
    return LineInfo(
        chapter=chapter_code,
        chapter_label=chapter.label if chapter is not None else None,
        section=chapter.section if chapter is not None else None,
        nature_label=account.label if account is not None else line.lib_cpte,
        function_label=function.label if function is not None else None,
    )


@lru_cache(maxsize=32)
def describer(plan: Plan | None) -> Callable[[BudgetLine], LineInfo]:
    """``describe`` for one plan, memoised on the codes that decide the answer.

    A large document repeats the same (nature, fonction, chapter…) on many lines, and
    every export describes every line: the plan is asked once per combination.
    """
    cache: dict[tuple[str | None, ...], LineInfo] = {}

    def describe_line(line: BudgetLine) -> LineInfo:
        key = (
            line.nature,
            line.fonction,
            line.cont_nat,
            line.cod_rd,
            line.op_budg,
            line.fields.get("TypOpBudg"),
            line.fields.get("LibCpte"),
        )
        info = cache.get(key)
        if info is None:
            if len(cache) >= MAX_CACHED:
                cache.clear()
            info = cache[key] = describe(line, plan)
        return info

    return describe_line


def find_export_plan(doc: BudgetDocument, plans_dir: str | Path | None = None) -> Plan | None:
    """The plan used to explain lines: the document's year, completed by N-1 and N+1
    (files keep codes of last year's plan; they still deserve a label)."""
    header = doc.header
    if header.exer is None or not header.nomenclature:
        return None
    return find_merged_plan(header.exer, header.nomenclature, plans_dir=plans_dir)
