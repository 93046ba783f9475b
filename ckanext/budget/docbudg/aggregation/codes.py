"""The codes a formula can name, with their labels, found in a plan de comptes: what the
editor suggests as ``chapitre 01…`` is typed, and its searchable list of codes.

A query is either a keyword of the formula language and the start of a code
(``chapitre 01``, ``compte 65``, ``fonction = 4``), which lists the codes of that kind
starting so, or words (``personnel``, ``subventions associations``), which list the
chapters, accounts and functions whose code starts with them or whose label holds them all
(case and accents ignored).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..nomenclature import Plan
from .formula import fold, keyword_kind

KINDS = ("chapitre", "compte", "fonction")
"""The kinds listed, in this order; ``nature`` codes are the accounts'."""
_QUERY = re.compile(r"^\s*(?P<key>[^\s=0-9]+)\s*(?P<exact>=)?\s*(?P<code>[0-9A-Za-z]*)\s*$")


@dataclass(frozen=True)
class Code:
    """A code of the plan, as a formula names it: ``keyword`` + ``code``."""

    kind: str  # "chapitre", "compte", "fonction"
    code: str
    label: str
    keyword: str
    """The word written in the formula (``compte``, or ``nature`` when asked so)."""

    @property
    def formula(self) -> str:
        return f"{self.keyword} {self.code}"


def _entries(plan: Plan, kind: str) -> list[tuple[str, str]]:
    if kind == "chapitre":
        found = [(c.code, c.label) for c in plan.chapters() if not c.supprime]
        found += [(c.code, c.label) for c in plan.function_chapters() if not c.supprime]
    elif kind == "compte":
        found = [(a.code, a.label) for a in plan.accounts() if not a.supprime]
    else:
        found = [(f.code, f.label) for f in plan.functions() if not f.supprime]
    return sorted(set(found), key=lambda item: (len(item[0]) > 3, item[0]))


def search_codes(plan: Plan, query: str, limit: int = 50) -> tuple[list[Code], int]:
    """The codes matching ``query`` (at most ``limit``) and how many match in all."""
    match = _QUERY.match(query or "")
    kind = keyword_kind(match["key"]) if match else None
    if kind == "nature":
        kind, keyword = "compte", "nature"
    else:
        keyword = kind or ""
    if match and kind in KINDS:
        prefix = match["code"]
        found = [
            Code(kind, code, label, keyword)
            for code, label in _entries(plan, kind)
            if code.startswith(prefix)
        ]
    else:
        words = fold(query or "").split()
        found = []
        for each in KINDS:
            for code, label in _entries(plan, each):
                folded = fold(label)
                if (
                    not words
                    or (len(words) == 1 and code.startswith(words[0]))
                    or all(word in folded for word in words)
                ):
                    found.append(Code(each, code, label, each))
    return found[:limit], len(found)
