"""Three annexes as tables for citizens: subsidies granted, loans, staff.

Built from a document as given, i.e. after anonymisation in the portal (a natural
person's name is already the replacement text). Each table is a list of rows of text
cells — amounts with two decimals, codes as the annex writes them — and its columns say
how to read them: the words for each code in French and English, which columns are
money, how rows are totalled. The same rows are stored as CSV (``to_csv``) and read back
(``from_csv``) by the pages, which search, sort and total them without the document.

- ``concours``: one row per ``CONCOURS`` record: beneficiary, its legal nature
  (``CodNatJurBenefCA``), object (``ObjSubv``, else ``DenomOuNumSubv``), help in kind
  (``LibPrestaNat``, when it is not a copy of the object), article, section, amount.
  Totals by legal nature.
- ``emprunt``: one row per loan of the authority (``CodTypEmpr`` 01, 02) and per loan it
  guarantees (09): lender, object, beneficiary of a guaranteed loan, article, year,
  initial amount, capital owed at 31 December, capital and interest of the year, rate
  type, index and margin of a variable rate (``IndexTxVari…``, ``TxMargeInit``) and
  rate (``TxActua``). Left out: 05/06 (renegotiated loans, listed again), 10 (ratio
  figures) and the annex's total rows (no type). Totals by type, and the authority's
  own debt (01, 02) apart from the loans it guarantees (09): never one sum of both.
- ``personnel``: posts grouped by status (``CodTypAgent``), category (``CodCatAgent``),
  sector and grade: budgeted, filled and part-time posts as the annex counts them
  (``EffectifBud``, ``EffectifPourvu``, ``EffectifTNC``); no individual row, no pay.
  Totals by status and category.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from .export.table import amount
from .messages import Message
from .model import BudgetDocument, to_decimal

M = Message
VERSION = 2
"""Raised when the tables' columns change: a document whose stored tables are of another
version gets them built again by the aggregation job (2: a variable rate's index and
margin on loans)."""
TEXT, CODE, MONEY, NUMBER = "text", "code", "money", "number"
LABEL_SUFFIX = "_libelle"
NOT_GIVEN = M("Non précisé", "Not given")


@dataclass(frozen=True)
class Column:
    key: str
    label: Message
    kind: str = TEXT
    codes: Mapping[str, Message] = field(default_factory=dict)

    @property
    def numeric(self) -> bool:
        return self.kind in (MONEY, NUMBER)

    def words(self, value: str, lang: str) -> str:
        """What a cell says to a reader: a code's words (the code when unknown)."""
        if self.kind != CODE:
            return value
        if not value:
            return NOT_GIVEN.text(lang)
        found = self.codes.get(value)
        return found.text(lang) if found is not None else value


@dataclass(frozen=True)
class Part:
    """Rows totalled on their own and never added to the other parts' (a guaranteed
    loan is another body's debt, not the authority's): rows whose first grouping column
    holds one of ``codes``."""

    key: str
    label: Message
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Spec:
    """What a table is: its annex record, columns, and how its rows are totalled."""

    name: str
    record: str
    title: Message
    columns: tuple[Column, ...]
    group_by: tuple[str, ...]
    sums: tuple[str, ...]
    parts: tuple[Part, ...] = ()
    """When given, the table has one total per part and no grand total."""

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)


@dataclass
class Total:
    """The rows of one group (or all rows when ``group`` is empty): count and sums."""

    group: dict[str, str]
    count: int
    sums: dict[str, str]


@dataclass
class AnnexTable:
    spec: Spec
    rows: list[dict[str, str]]


LEGAL_NATURES = {
    "P1": M("Associations", "Associations"),
    "P2": M("Entreprises", "Companies"),
    "P3": M("Personnes physiques", "Natural persons"),
    "P4": M("Autres personnes de droit privé", "Other private-law persons"),
    "U1": M("Régions", "Regions"),
    "U2": M("Départements", "Départements"),
    "U3": M("Communes", "Municipalities"),
    "U4": M(
        "Établissements publics (EPCI, EPA, EPIC…)",
        "Public establishments (EPCI, EPA, EPIC…)",
    ),
    "U5": M("État", "State"),
    "U6": M("Autres personnes de droit public", "Other public-law persons"),
}
SECTIONS = {"F": M("Fonctionnement", "Operating"), "I": M("Investissement", "Investment")}
HELP_KINDS = {"numeraire": M("En numéraire", "In cash"), "nature": M("En nature", "In kind")}
LOAN_TYPES = {
    "01": M("Emprunt de la collectivité", "Loan of the authority"),
    "02": M("Emprunt pour un autre organisme", "Loan for another body"),
    "09": M("Emprunt garanti", "Guaranteed loan"),
}
RATE_TYPES = {
    "F": M("Fixe", "Fixed"),
    "V": M("Variable", "Variable"),
    "R": M("Préfixé", "Pre-set"),
    "C": M("Complexe", "Complex"),
}
STATUSES = {
    "I": M("Titulaire", "Tenured"),
    "N": M("Non titulaire", "Contract staff"),
    "R": M("Rattachement", "Attached"),
}
CATEGORIES = {code: M(f"Catégorie {code}", f"Category {code}") for code in "ABC"}
SECTORS = {
    "ADM": M("Administrative", "Administrative"),
    "FIN": M("Financière", "Finance"),
    "TECH": M("Technique", "Technical"),
    "URB": M("Urbanisme", "Town planning"),
    "ENV": M("Environnement", "Environment"),
    "COM": M("Communication", "Communication"),
    "S": M("Sociale", "Social"),
    "MS": M("Médico-sociale", "Medico-social"),
    "MT": M("Médico-technique", "Medico-technical"),
    "SP": M("Sportive", "Sports"),
    "CULT": M("Culturelle", "Cultural"),
    "ANIM": M("Animation", "Community activities"),
    "POL": M("Police municipale", "Municipal police"),
    "RS": M("Restauration scolaire", "School catering"),
    "ENT": M("Entretien", "Maintenance"),
    "CAB": M("Collaborateurs de cabinet", "Cabinet staff"),
    "X": M("Emplois non cités", "Other posts"),
    "DIR1": M("Directeur général des services", "Chief executive"),
    "DIR2": M("Directeur général adjoint des services", "Deputy chief executive"),
    "DIR3": M("Collaborateur de cabinet", "Cabinet staff"),
    "DIR4": M("Directeur général des services techniques", "Chief technical officer"),
    "DIR5": M("Emplois fonctionnels (art. 6-1, loi 84-53)", "Functional posts (art. 6-1)"),
}

CONCOURS = Spec(
    name="concours",
    record="CONCOURS",
    title=M("Subventions et aides accordées", "Subsidies and help granted"),
    columns=(
        Column("beneficiaire", M("Bénéficiaire", "Beneficiary")),
        Column(
            "type_beneficiaire", M("Type de bénéficiaire", "Beneficiary type"), CODE, LEGAL_NATURES
        ),
        Column("objet", M("Objet", "Purpose")),
        Column("nature_aide", M("Nature de l'aide", "Kind of help"), CODE, HELP_KINDS),
        Column("prestation", M("Prestation en nature", "Help in kind")),
        Column("article", M("Article", "Account")),
        Column("section", M("Section", "Section"), CODE, SECTIONS),
        Column("montant", M("Montant", "Amount"), MONEY),
    ),
    group_by=("type_beneficiaire",),
    sums=("montant",),
)
EMPRUNT = Spec(
    name="emprunt",
    record="EMPRUNT",
    title=M("Emprunts et dette", "Loans and debt"),
    columns=(
        Column("type", M("Type", "Type"), CODE, LOAN_TYPES),
        Column("preteur", M("Prêteur", "Lender")),
        Column("objet", M("Objet", "Purpose")),
        Column("beneficiaire", M("Bénéficiaire (emprunt garanti)", "Beneficiary (guaranteed)")),
        Column("article", M("Article", "Account")),
        Column("annee", M("Année d'encaissement", "Year received")),
        Column("montant_initial", M("Montant initial", "Initial amount"), MONEY),
        Column(
            "capital_restant_du",
            M("Capital restant dû au 31/12", "Capital owed at 31/12"),
            MONEY,
        ),
        Column("capital_exercice", M("Capital de l'exercice", "Capital of the year"), MONEY),
        Column("interets_exercice", M("Intérêts de l'exercice", "Interest of the year"), MONEY),
        Column("type_taux", M("Type de taux", "Rate type"), CODE, RATE_TYPES),
        Column("index_taux", M("Index du taux variable", "Index of the variable rate")),
        Column("marge_taux", M("Marge (%)", "Margin (%)"), NUMBER),
        Column("taux", M("Taux (%)", "Rate (%)"), NUMBER),
    ),
    group_by=("type",),
    sums=("montant_initial", "capital_restant_du", "capital_exercice", "interets_exercice"),
    parts=(
        Part(
            "dette_propre",
            M("Dette propre de la collectivité", "The authority's own debt"),
            ("01", "02"),
        ),
        Part(
            "emprunts_garantis",
            M(
                "Emprunts garantis (dette d'autres organismes)",
                "Guaranteed loans (debt of other bodies)",
            ),
            ("09",),
        ),
    ),
)
FIXED_RATE = "F"
PERSONNEL = Spec(
    name="personnel",
    record="PERSONNEL",
    title=M("Effectifs du personnel", "Staff numbers"),
    columns=(
        Column("statut", M("Statut", "Status"), CODE, STATUSES),
        Column("categorie", M("Catégorie", "Category"), CODE, CATEGORIES),
        Column("filiere", M("Filière", "Sector"), CODE, SECTORS),
        Column("emploi", M("Emploi ou grade", "Post or grade")),
        Column("effectif_budgetaire", M("Postes budgétaires", "Budgeted posts"), NUMBER),
        Column("effectif_pourvu", M("Postes pourvus", "Filled posts"), NUMBER),
        Column("temps_non_complet", M("Dont temps non complet", "Of which part-time"), NUMBER),
    ),
    group_by=("statut", "categorie"),
    sums=("effectif_budgetaire", "effectif_pourvu", "temps_non_complet"),
)
SPECS: dict[str, Spec] = {spec.name: spec for spec in (CONCOURS, EMPRUNT, PERSONNEL)}


def export_name(name: str) -> str:
    """Name of the stored CSV of a table (``annexe-concours.csv``)."""
    return f"annexe-{name}.csv"


def number(value: Decimal | None) -> str:
    """``2``, ``0.5``: a count as short as it is exact; empty when absent."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


def _money(value: str | None) -> str:
    return amount(to_decimal(value))


def _number(value: str | None) -> str:
    return number(to_decimal(value))


def concours_object(record: Mapping[str, str]) -> str:
    return record.get("ObjSubv") or record.get("DenomOuNumSubv") or ""


def in_kind_help(record: Mapping[str, str]) -> str:
    """The help in kind a ``CONCOURS`` record describes; empty for a subsidy in cash
    (some documents copy the object into ``LibPrestaNat``)."""
    in_kind = record.get("LibPrestaNat") or ""
    return "" if in_kind == concours_object(record) else in_kind


def _concours_rows(records: list[dict[str, str]]) -> list[dict[str, str]]:
    rows = []
    for r in records:
        objet = concours_object(r)
        in_kind = in_kind_help(r)
        rows.append(
            {
                "beneficiaire": r.get("LibOrgaBenef") or "",
                "type_beneficiaire": r.get("CodNatJurBenefCA") or "",
                "objet": objet,
                "nature_aide": "nature" if in_kind else "numeraire",
                "prestation": in_kind,
                "article": r.get("CodArticle") or "",
                "section": r.get("CodInvFonc") or "",
                "montant": _money(r.get("MtSubv")),
            }
        )
    return rows


def _emprunt_rows(records: list[dict[str, str]]) -> list[dict[str, str]]:
    rows = []
    for r in records:
        kind = r.get("CodTypEmpr") or ""
        if kind not in LOAN_TYPES:
            continue
        rows.append(
            {
                "type": kind,
                "preteur": r.get("LibOrgaPreteur") or "",
                "objet": r.get("ObjEmpr") or "",
                "beneficiaire": (r.get("NomBenefEmprGaranti") or "") if kind == "09" else "",
                "article": r.get("CodArticle") or "",
                "annee": r.get("AnEncaisse") or "",
                "montant_initial": _money(r.get("MtEmprOrig")),
                "capital_restant_du": _money(r.get("MtCapitalRestDu_31_12")),
                "capital_exercice": _money(r.get("MtCapitalExer")),
                "interets_exercice": _money(r.get("MtIntExer")),
                "type_taux": r.get("CodTyptxDtVote") or r.get("CodTyptxInit") or "",
                "index_taux": r.get("IndexTxVariDtVote") or r.get("IndexTxVariInit") or "",
                "marge_taux": _number(r.get("TxMargeInit")),
                "taux": _number(r.get("TxActua")),
            }
        )
    return rows


PERSONNEL_COUNTS = {
    "effectif_budgetaire": "EffectifBud",
    "effectif_pourvu": "EffectifPourvu",
    "temps_non_complet": "EffectifTNC",
}


def _personnel_rows(records: list[dict[str, str]]) -> list[dict[str, str]]:
    groups: dict[tuple[str, ...], dict[str, Decimal | None]] = {}
    for r in records:
        key = (
            r.get("CodTypAgent") or "",
            r.get("CodCatAgent") or "",
            r.get("CodSectAgentTitulaire") or r.get("CodSectAgentNonTitulaire") or "",
            " ".join((r.get("EmploiGradeAgent") or "").split()),
        )
        sums = groups.setdefault(key, dict.fromkeys(PERSONNEL_COUNTS))
        for column, source in PERSONNEL_COUNTS.items():
            value = to_decimal(r.get(source))
            if value is not None:
                sums[column] = (sums[column] or Decimal(0)) + value
    return [
        {
            "statut": statut,
            "categorie": categorie,
            "filiere": filiere,
            "emploi": emploi,
            **{column: number(total) for column, total in sums.items()},
        }
        for (statut, categorie, filiere, emploi), sums in sorted(groups.items())
    ]


BUILDERS: dict[str, Callable[[list[dict[str, str]]], list[dict[str, str]]]] = {
    "concours": _concours_rows,
    "emprunt": _emprunt_rows,
    "personnel": _personnel_rows,
}


def build(doc: BudgetDocument) -> dict[str, AnnexTable]:
    """The tables the document has rows for (an absent or empty annex gives none)."""
    tables = {}
    for name, spec in SPECS.items():
        rows = BUILDERS[name](doc.record_rows(spec.record))
        if rows:
            tables[name] = AnnexTable(spec, rows)
    return tables


# -- CSV --------------------------------------------------------------------------------
def csv_fields(spec: Spec) -> list[str]:
    """Columns of the CSV: each code column is followed by its French words."""
    fields = []
    for column in spec.columns:
        fields.append(column.key)
        if column.kind == CODE:
            fields.append(column.key + LABEL_SUFFIX)
    return fields


def to_csv(spec: Spec, rows: Iterable[dict[str, str]], lang: str = "fr") -> bytes:
    """UTF-8 CSV of ``rows`` with the words of each given code in ``lang``."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(csv_fields(spec))
    for row in rows:
        cells = []
        for column in spec.columns:
            value = row.get(column.key, "")
            cells.append(value)
            if column.kind == CODE:
                cells.append(column.words(value, lang) if value else "")
        writer.writerow(cells)
    return out.getvalue().encode("utf-8")


def from_csv(name: str, data: bytes) -> AnnexTable:
    """A table read back from its stored CSV (the words columns are rebuilt on display)."""
    spec = SPECS[name]
    keys = [column.key for column in spec.columns]
    reader = csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""))
    rows = [{key: row.get(key) or "" for key in keys} for row in reader]
    return AnnexTable(spec, rows)


# -- reading: search, sort, totals -----------------------------------------------------
def fold(text: str) -> str:
    """Lower case without accents: « Écoles » and "ecoles" match."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def search(spec: Spec, rows: list[dict[str, str]], query: str) -> list[dict[str, str]]:
    """Rows where every word of ``query`` appears in some cell (its code or its words,
    in either language), ignoring case and accents."""
    words = fold(query).split()
    if not words:
        return rows

    def haystack(row: dict[str, str]) -> str:
        parts = []
        for column in spec.columns:
            value = row.get(column.key, "")
            parts.append(value)
            if column.kind == CODE:
                parts.extend(column.words(value, lang) for lang in ("fr", "en"))
        return fold(" ".join(parts))

    found = []
    for row in rows:
        text = haystack(row)
        if all(word in text for word in words):
            found.append(row)
    return found


def sort(
    spec: Spec, rows: list[dict[str, str]], key: str, descending: bool, lang: str
) -> list[dict[str, str]]:
    """Rows by one column: numbers by value, text and codes' words alphabetically
    (case and accents ignored); empty cells last either way."""
    column = spec.column(key)
    if column is None:
        return rows
    if column.numeric:
        values = [(to_decimal(r.get(key)), r) for r in rows]
    else:
        values = [(fold(column.words(r[key], lang)) if r.get(key) else None, r) for r in rows]
    present = [(value, row) for value, row in values if value is not None]
    present.sort(key=lambda pair: pair[0], reverse=descending)  # stable: ties keep order
    return [row for _, row in present] + [row for value, row in values if value is None]


def _sums(spec: Spec, rows: list[dict[str, str]]) -> dict[str, str]:
    sums = {}
    for key in spec.sums:
        column = spec.column(key)
        values = [v for r in rows if (v := to_decimal(r.get(key))) is not None]
        total = sum(values, Decimal(0)) if values else None
        sums[key] = amount(total) if column is not None and column.kind == MONEY else number(total)
    return sums


def totals(spec: Spec, rows: list[dict[str, str]]) -> list[Total]:
    """One total per group, in the order of the groups' codes."""
    groups: dict[tuple[str, ...], list[dict[str, str]]] = {}
    for row in rows:
        groups.setdefault(tuple(row.get(k, "") for k in spec.group_by), []).append(row)
    found = [
        Total(dict(zip(spec.group_by, key, strict=True)), len(members), _sums(spec, members))
        for key, members in groups.items()
    ]
    return sorted(found, key=lambda t: tuple(t.group.values()))


def grand_total(spec: Spec, rows: list[dict[str, str]]) -> Total:
    return Total({}, len(rows), _sums(spec, rows))


def part_totals(spec: Spec, rows: list[dict[str, str]]) -> list[tuple[Part, Total]]:
    """One total per part of the table (none for a table without parts): the own debt
    and the guaranteed loans each summed alone."""
    if not spec.parts:
        return []
    key = spec.group_by[0]
    found = []
    for part in spec.parts:
        members = [row for row in rows if row.get(key, "") in part.codes]
        found.append((part, Total({}, len(members), _sums(spec, members))))
    return found


def is_variable(row: Mapping[str, str]) -> bool:
    """A loan whose rate follows an index (any type but fixed, when the annex says it
    or gives an index): its ``TxActua`` is the index's level, often 0 recently."""
    kind = row.get("type_taux", "")
    return bool(kind and kind != FIXED_RATE) or (not kind and bool(row.get("index_taux")))
