"""A budget's subsidies searched across its years: who received what, for what, when.

Each year's grants come from one document (its account, CA or CFU, when there is one;
else its latest budget), read from the stored ``annexe-concours.csv`` (built from the
anonymised document at processing), never from the document. The core
(:mod:`..docbudg.figures.subsidies`) withholds natural persons and searches. Only the
documents among the resources the user was shown are read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .. import settings
from ..docbudg import annex_tables
from ..docbudg.anonymisation.policy import KNOWN_REPLACEMENTS
from ..docbudg.figures import subsidies
from ..docbudg.model import Stage
from ..documents import model as db
from ..documents.presenters import stage_words
from . import budget_page

PAGE_SIZE = 100
MAX_QUERY = 200
REALISED = {Stage.CA.name, Stage.CFU.name}


@dataclass
class Source:
    year: int
    resource_id: str
    words: str


@dataclass
class SubsidiesPage:
    query: str
    year: int | None
    years: list[int]
    sources: list[Source]
    grants: list[subsidies.Grant]
    """Every matching grant, largest first (the page shows ``shown``)."""
    totals: list[subsidies.YearTotal]
    page: int
    pages: int
    withheld: int
    """Matching grants whose beneficiary is withheld."""
    shown: list[subsidies.Grant] = field(default_factory=list)
    lang: str = "fr"

    def nature(self, code: str) -> str:
        """The beneficiary's legal nature in words (« Associations »)."""
        return nature_words(code, self.lang)

    @property
    def total(self) -> Decimal:
        return sum((t.amount for t in self.totals), Decimal(0))

    @property
    def state(self) -> dict[str, Any]:
        return {
            "q": self.query or None,
            "year": self.year,
            "page": self.page if self.page > 1 else None,
        }


def _year_documents(package: dict[str, Any]) -> list[db.BudgetDocumentRecord]:
    """One document per year with a subsidies table: the account first, else the latest
    processed budget."""
    chosen: dict[int, db.BudgetDocumentRecord] = {}
    for record in budget_page.documents_of(package):
        if record.status != db.STATUS_DONE or record.exercice is None:
            continue
        current = chosen.get(record.exercice)
        if current is None or _rank(record) > _rank(current):
            chosen[record.exercice] = record
    return [chosen[year] for year in sorted(chosen, reverse=True)]


def _rank(record: db.BudgetDocumentRecord) -> tuple:
    processed = record.processed.timestamp() if record.processed else 0.0
    return (record.stage in REALISED, processed)


def _replacements() -> tuple[str, ...]:
    return (settings.anonymisation_policy().replacement, *KNOWN_REPLACEMENTS)


def build(
    package: dict[str, Any], query: str | None, year: str | None, page: str | None = None
) -> SubsidiesPage:
    """The dataset's grants matching ``query`` in ``year`` (unknown: every year)."""
    lang = settings.current_language()
    text = (query or "").strip()[:MAX_QUERY]
    records = _year_documents(package)
    replacements = _replacements()
    sources, everything = [], []
    for record in records:
        export = db.get_export(record.resource_id, annex_tables.export_name("concours"))
        if export is None:
            continue
        rows = annex_tables.from_csv("concours", export.content).rows
        everything += subsidies.grants(rows, record.exercice, record.resource_id, replacements)
        words = stage_words(record.stage, record.num_dec, record.exercice, lang)
        sources.append(Source(record.exercice, record.resource_id, words))
    years = [source.year for source in sources]
    chosen = int(year) if year and year.isdigit() and int(year) in years else None
    found = subsidies.search(everything, text, chosen)
    pages = max(1, math.ceil(len(found) / PAGE_SIZE))
    number = int(page) if page and page.isdigit() else 1
    number = min(max(number, 1), pages)
    return SubsidiesPage(
        query=text,
        year=chosen,
        years=years,
        sources=sources,
        grants=found,
        totals=subsidies.totals_by_year(found),
        page=number,
        pages=pages,
        withheld=sum(1 for g in found if g.beneficiary is None),
        shown=found[(number - 1) * PAGE_SIZE : number * PAGE_SIZE],
        lang=lang,
    )


def nature_words(code: str, lang: str) -> str:
    """The beneficiary's legal nature in words (« Associations »)."""
    column = annex_tables.CONCOURS.column("type_beneficiaire")
    assert column is not None
    return column.words(code, lang)


FIELDS = ("annee", "beneficiaire", "nature_beneficiaire", "objet", "montant", "document")


def export_rows(found: SubsidiesPage) -> tuple[list[str], list[dict[str, str]]]:
    """Every matching grant as exact strings; a withheld beneficiary is left empty."""
    lang = settings.current_language()
    rows = [
        {
            "annee": str(grant.year),
            "beneficiaire": grant.beneficiary or "",
            "nature_beneficiaire": nature_words(grant.nature, lang),
            "objet": grant.object,
            "montant": "" if grant.amount is None else f"{grant.amount:.2f}",
            "document": grant.document,
        }
        for grant in found.grants
    ]
    return list(FIELDS), rows
