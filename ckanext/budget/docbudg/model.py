"""The budget document model: header, budget lines and generic access to annexes.

A :class:`BudgetDocument` wraps the parsed lxml tree (so anonymisation can change it in
place and serialise it back byte-compatible) and exposes typed, read-only views of it.
Amounts are :class:`~decimal.Decimal`: budgets must be right to the cent.
"""

from __future__ import annotations

import datetime
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import Enum
from functools import cached_property
from operator import attrgetter

from lxml import etree

from . import records

NS = "http://www.minefi.gouv.fr/cp/demat/docbudgetaire"
NS_CFU = "http://www.minefi.gouv.fr/cp/demat/doccfu"
NS_COMPTABLE = "http://www.minefi.gouv.fr/cp/demat/doccomptable"


def q(tag: str) -> str:
    """Qualified name of a DocumentBudgetaire element."""
    return f"{{{NS}}}{tag}"


class Stage(str, Enum):
    """Budget stage (``BlocBudget/NatDec``)."""

    BP = "01"
    DM = "02"
    BS = "03"
    CA = "09"
    CFU = "10"

    @property
    def label_fr(self) -> str:
        return STAGE_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return STAGE_LABELS[self][1]

    @property
    def is_realised(self) -> bool:
        """CA and CFU report what was really spent; the others are forecasts."""
        return self in (Stage.CA, Stage.CFU)

    @classmethod
    def from_natdec(cls, value: str | None) -> Stage | None:
        try:
            return cls(value) if value else None
        except ValueError:
            return None


STAGE_LABELS: dict[Stage, tuple[str, str]] = {
    Stage.BP: ("budget primitif", "initial budget"),
    Stage.DM: ("décision modificative", "amending budget"),
    Stage.BS: ("budget supplémentaire", "supplementary budget"),
    Stage.CA: ("compte administratif", "administrative account"),
    Stage.CFU: ("compte financier unique", "single financial account"),
}

CARRIED_OVER_RESULTS = ("001", "002")
"""Natures of the previous year's results carried over (investment 001, operating 002):
last year's balance, not this year's receipts or spending."""

AMOUNT_FIELDS = (
    "MtBudgPrec",
    "MtRARPrec",
    "MtPropNouv",
    "MtPrev",
    "CredOuv",
    "MtReal",
    "MtRAR3112",
)


# No local budget comes near 10¹⁵ € (the State's is ~5×10¹¹ €). Larger values are typing or
# export errors, and past 28 digits Decimal's default context would round sums silently.
MAX_AMOUNT = Decimal(10) ** 15


def parse_amount(value: str | None) -> Decimal | None:
    """The number written, finite or not, ``None`` if it is not a number at all."""
    if not value:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None


def to_decimal(value: str | None) -> Decimal | None:
    """Parse an amount; ``None`` for an absent, unreadable or out-of-range value
    (validation reports it)."""
    result = parse_amount(value)
    if result is None or not result.is_finite() or abs(result) >= MAX_AMOUNT:
        return None
    return result


@dataclass(frozen=True, slots=True)
class BudgetLine:
    """One ``LigneBudget``: every field as text, amounts as Decimal."""

    index: int
    sourceline: int | None
    cod_rd: str | None
    nature: str | None
    fonction: str | None
    cont_nat: str | None
    op_budg: str | None
    calculated: bool
    amounts: dict[str, Decimal]
    fields: dict[str, str]
    """Every simple child ``<X V="…"/>`` by tag, including the ones above (raw text)."""
    mt_sup: dict[str, str] = field(default_factory=dict)
    carac_sup: dict[str, str] = field(default_factory=dict)

    @property
    def lib_cpte(self) -> str | None:
        return self.fields.get("LibCpte")

    @property
    def operation(self) -> str | None:
        return self.fields.get("Operation")

    @property
    def art_spe(self) -> str | None:
        return self.fields.get("ArtSpe")

    @property
    def typ_op_budg(self) -> str | None:
        return self.fields.get("TypOpBudg")

    @property
    def is_real(self) -> bool:
        """Real (or mixed) operation, as opposed to an accounting ordre operation."""
        return self.op_budg == "0"

    def amount(self, name: str) -> Decimal:
        return self.amounts.get(name, Decimal(0))


def parse_date(value: str | None) -> datetime.date | None:
    """A date written ``YYYY-MM-DD`` at the start of ``value``; ``None`` otherwise."""
    try:
        return datetime.date.fromisoformat((value or "").strip()[:10])
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class DocumentHeader:
    """What identifies a document: who, which budget, which stage and year."""

    libelle_coll: str | None
    id_coll: str | None
    libelle_etab: str | None
    id_etab: str | None
    cod_coll: str | None
    cod_insee_coll: str | None
    cod_bud: str | None
    nomenclature: str | None
    nat_dec: str | None
    num_dec: str | None
    exer: int | None
    version_schema: int | None
    dte_dec: str | None
    nat_vote: str | None
    nat_fonc: str | None
    cod_typ_bud: str | None
    departement: str | None
    projet_budget: str | None
    is_cfu: bool = False

    @property
    def stage(self) -> Stage | None:
        return Stage.from_natdec(self.nat_dec)

    @property
    def norme(self) -> str | None:
        """``M14`` from ``M14-M14_COM_SUP3500``."""
        return self.nomenclature.split("-", 1)[0] if self.nomenclature else None

    @property
    def declinaison(self) -> str | None:
        """``M14_COM_SUP3500`` from ``M14-M14_COM_SUP3500`` (the norme itself if absent)."""
        if not self.nomenclature:
            return None
        parts = self.nomenclature.split("-", 1)
        return parts[1] if len(parts) == 2 and parts[1] else parts[0]

    @property
    def decision_date(self) -> datetime.date | None:
        """When the decision was voted (``DteDec``; TotEM writes ``YYYY-MM-DD``, a time
        or zone after it is ignored): what orders a year's decisions. ``None`` when
        absent or unreadable."""
        return parse_date(self.dte_dec)

    @property
    def is_principal(self) -> bool | None:
        if self.cod_typ_bud is None:
            return None
        return self.cod_typ_bud == "P"

    @property
    def siren(self) -> str | None:
        siret = self.id_etab or self.id_coll
        return siret[:9] if siret and len(siret) >= 9 else None


_LOCAL_NAMES: dict[str, str] = {}


def _local_name(tag: str) -> str:
    """Local part of a ``{ns}name`` tag, memoised (a document repeats a few dozen tags)."""
    name = tag[tag.index("}") + 1 :] if tag[:1] == "{" else tag
    if len(_LOCAL_NAMES) < 10_000:
        _LOCAL_NAMES[tag] = name
    return name


_TAG = attrgetter("tag")


def _value(parent: etree._Element | None, tag: str) -> str | None:
    if parent is None:
        return None
    child = parent.find(q(tag))
    return None if child is None else child.get("V")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class BudgetDocument:
    """A parsed budget document (a ``DocumentBudgetaire``, possibly inside a CFU)."""

    def __init__(
        self,
        tree: etree._ElementTree,
        budget_root: etree._Element,
        *,
        encoding: str,
        source_size: int,
    ) -> None:
        self.tree = tree
        self.root: etree._Element = tree.getroot()
        self.budget_root = budget_root
        self.encoding = encoding
        self.source_size = source_size

    @property
    def is_cfu(self) -> bool:
        return self.root is not self.budget_root

    @property
    def budget(self) -> etree._Element | None:
        return self.budget_root.find(q("Budget"))

    @cached_property
    def header(self) -> DocumentHeader:
        root = self.budget_root
        entete_doc = root.find(q("EnTeteDocBudgetaire"))
        budget = self.budget
        entete = budget.find(q("EnTeteBudget")) if budget is not None else None
        bloc = budget.find(q("BlocBudget")) if budget is not None else None
        return DocumentHeader(
            libelle_coll=_value(entete_doc, "LibelleColl"),
            id_coll=_value(entete_doc, "IdColl"),
            libelle_etab=_value(entete, "LibelleEtab"),
            id_etab=_value(entete, "IdEtab"),
            cod_coll=_value(entete, "CodColl"),
            cod_insee_coll=_value(entete, "CodInseeColl"),
            cod_bud=_value(entete, "CodBud"),
            nomenclature=_value(entete, "Nomenclature"),
            nat_dec=_value(bloc, "NatDec"),
            num_dec=_value(bloc, "NumDec"),
            exer=_int(_value(bloc, "Exer")),
            version_schema=_int(_value(root, "VersionSchema")),
            dte_dec=_value(bloc, "DteDec"),
            nat_vote=_value(bloc, "NatVote"),
            nat_fonc=_value(bloc, "NatFonc"),
            cod_typ_bud=_value(bloc, "CodTypBud"),
            departement=_value(entete_doc, "Departement"),
            projet_budget=_value(bloc, "ProjetBudget"),
            is_cfu=self.is_cfu,
        )

    @cached_property
    def general_information(self) -> dict[str, str]:
        """``InformationsGenerales/Information@Code@V`` (population ``PopTot``, ratios…)."""
        budget = self.budget
        infos = budget.find(q("InformationsGenerales")) if budget is not None else None
        if infos is None:
            return {}
        return {
            el.get("Code"): el.get("V", "")
            for el in infos.iterfind(q("Information"))
            if el.get("Code")
        }

    def line_elements(self) -> Iterator[etree._Element]:
        budget = self.budget
        if budget is not None:
            yield from budget.iterfind(q("LigneBudget"))

    @cached_property
    def lines(self) -> list[BudgetLine]:
        """Every ``LigneBudget``, calculated totals included (see ``BudgetLine.calculated``)."""
        return [self._make_line(i, el) for i, el in enumerate(self.line_elements())]

    @property
    def detail_lines(self) -> list[BudgetLine]:
        """Lines that are not totals added by an enrichment step: the ones to count."""
        return [line for line in self.lines if not line.calculated]

    @staticmethod
    def _make_line(index: int, el: etree._Element) -> BudgetLine:
        # Hot path: a département's account has tens of thousands of lines.
        fields: dict[str, str] = {}
        mt_sup: dict[str, str] = {}
        carac_sup: dict[str, str] = {}
        for child in el.iterchildren(etree.Element):
            value = child.get("V")
            if value is None:
                continue
            tag = child.tag
            name = _LOCAL_NAMES.get(tag) or _local_name(tag)
            if name == "MtSup":
                mt_sup[child.get("Code", "")] = value
            elif name == "CaracSup":
                carac_sup[child.get("Code", "")] = value
            else:
                fields[name] = value
        amounts = {}
        for name in AMOUNT_FIELDS:
            raw = fields.get(name)
            if raw is not None and (amount := to_decimal(raw)) is not None:
                amounts[name] = amount
        op_budg = fields.get("OpBudg")
        return BudgetLine(
            index,
            el.sourceline,
            fields.get("CodRD"),
            fields.get("Nature"),
            fields.get("Fonction"),
            fields.get("ContNat"),
            op_budg,
            el.get("calculated") == "true" or op_budg == "T",
            amounts,
            fields,
            mt_sup,
            carac_sup,
        )

    @property
    def annexes(self) -> etree._Element | None:
        budget = self.budget
        return budget.find(q("Annexes")) if budget is not None else None

    def annex_blocks(self) -> dict[str, int]:
        """Record counts by annex record name (``CONCOURS`` for ``DATA_CONCOURS``)."""
        counts: dict[str, int] = {}
        annexes = self.annexes
        if annexes is None:
            return counts
        for block in annexes.iterchildren(etree.Element):
            if not _local_name(block.tag).startswith("DATA_"):
                continue
            # Count tags in C, name them once each: a département has 10^4–10^5 records.
            for tag, count in Counter(map(_TAG, block.iterchildren(etree.Element))).items():
                name = _LOCAL_NAMES.get(tag) or _local_name(tag)
                counts[name] = counts.get(name, 0) + count
        return counts

    def records(self, name: str) -> list[etree._Element]:
        """Every record named ``name`` (``CONCOURS``…) in the file, wherever it stands and
        in whatever namespace: the locator the anonymiser uses too (see ``records``)."""
        return records.elements(self.root, name)

    def record_rows(self, name: str) -> list[dict[str, str]]:
        """Those records as ``{field: V}`` dicts (first occurrence of a repeated field)."""
        return [records.as_row(element) for element in self.records(name)]

    def to_bytes(self, encoding: str | None = None) -> bytes:
        """Serialise the (possibly anonymised) document, with a correct XML declaration.

        The root element only: comments and processing instructions around it are not
        part of a budget document (the anonymiser reports them). Written in chunks to a
        growing buffer rather than with ``etree.tostring``, whose whole-document buffer is
        then copied: the same bytes, 20 MB less peak per 20 MB.
        """
        out = io.BytesIO()
        with etree.xmlfile(out, encoding=encoding or self.encoding) as xml:
            xml.write_declaration()
            xml.write(self.root)
        return out.getvalue()
