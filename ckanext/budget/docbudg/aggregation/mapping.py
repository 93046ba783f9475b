"""Spreadsheet mappings: one row per combination of codes, then the category levels.

What a finance department keeps (15,000 rows for a city): direction, movement, section,
chapter, nature and function, then the levels of one or more hierarchies ("niveau 1",
"niveau 2"…). Each hierarchy becomes a tree, and each tree must count every line once:

- codes are read exactly (``fonction=41`` takes function 41, never 411 to 415 too);
- the usual spellings of direction, movement and section are understood (``D``,
  ``Dépense``, ``DEPENSES``; ``REELLE``, ``réel``, ``0``, ``ORDRE``, ``d'ordre``, ``1``;
  ``F``, ``Fonctionnement``…); any other value, or a code that is not a code, is an error
  naming the column, the value and its rows: a condition is never dropped;
- headers are matched whatever their spaces (non-breaking, narrow, doubled), case and
  accents; messages show them quoted, with every space other than a plain inner one as
  ``␣``;
- placeholder cells (empty, ``-``, ``–``, ``n/a``…) add no condition in a code column; in
  the levels, the level is skipped: "Culture / - / -" counts in "Culture", "Culture / - /
  Musées" in "Culture / Musées";
- a category's id is its label path made into words (``culture.musees``); labels that
  differ, if only by case or accents ("Espaces publics", "Espaces Publics"), are never
  merged: in the order of their exact text, the second gets ``-2`` (then ``-3``…), the
  same ids whatever the order of the rows, and a note says so.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..messages import Message
from ..nomenclature import Plan
from .importers import slug
from .ruleset import Category, RuleSet, RuleSetError, Tree

MAPPING_ROLES = ("sens", "mouvement", "section", "chapitre", "nature", "fonction")
CODE_ROLES = ("chapitre", "nature", "fonction")
DEFAULT_TREE = "correspondance"
SHOWN = 10
"""Rows, values or categories a note names one by one before counting the rest."""

# --- headers --------------------------------------------------------------------------


def header_key(text: object) -> str:
    """A header as compared: accents, case and every kind of space left out of account."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    kept = "".join(
        " " if c.isspace() else c
        for c in decomposed
        if not unicodedata.combining(c) and unicodedata.category(c) != "Cf"
    )
    return " ".join(kept.casefold().split())


def visible(text: object) -> str:
    """A header or value as written, with every space but a plain inner one shown as ``␣``
    (a non-breaking or trailing space is otherwise invisible in a message)."""
    shown = "".join(
        "␣" if (c.isspace() and c != " ") or unicodedata.category(c) == "Cf" else c
        for c in str(text)
    )
    inner = shown.strip(" ")
    before = len(shown) - len(shown.lstrip(" "))
    return "␣" * before + inner + "␣" * (len(shown) - before - len(inner))


def quoted(texts: Iterable[object]) -> Message:
    """Headers or values quoted the way each language quotes, spaces made visible."""
    shown = [visible(t) for t in texts]
    return Message(", ".join(f"« {t} »" for t in shown), ", ".join(f"'{t}'" for t in shown))


def _words(text: str) -> str:
    """Lower-case words without accents or punctuation: ``D'ordre`` → ``d ordre``."""
    return " ".join(re.findall(r"[0-9a-z]+", header_key(text)))


_ROLE_HEADERS = {
    "sens": {"sens", "codrd", "cod rd", "code rd", "d r", "r d", "depense recette",
             "recette depense", "direction", "sens budgetaire"},
    "mouvement": {"mouvement", "mvt", "type de mouvement", "type mouvement", "opbudg",
                  "op budg", "reel ordre", "mouvement budgetaire", "nature du mouvement",
                  "movement", "reel ou ordre"},
    "section": {"section", "sect", "section budgetaire", "fonctionnement investissement",
                "f i"},
    "chapitre": {"chapitre", "chap", "contnat", "cont nat", "code chapitre",
                 "chapitre budgetaire", "chapter"},
    "nature": {"nature", "compte", "article", "code nature", "nature comptable",
               "compte nature", "compte par nature", "account"},
    "fonction": {"fonction", "code fonction", "sous fonction", "rubrique",
                 "rubrique fonctionnelle", "function"},
}  # fmt: skip
_LEVEL = re.compile(
    r"(?:^|(?<=[\s_.\-]))(?:niveau|niv|nv|level|lvl|n)\s*[.°]?\s*(?P<a>[0-9]{1,2})(?=$|[\s_.\-])"
    r"|(?<=\s)(?P<b>[0-9]{1,2})$",
    re.IGNORECASE,
)


def _level_of(header: str) -> tuple[str, int] | None:
    """``("Politique", 2)`` for "Politique niveau 2"; ``("", 1)`` for "N1"."""
    text = " ".join(unicodedata.normalize("NFKC", header).split())
    match = _LEVEL.search(text)
    if match is None:
        return None
    stem = (text[: match.start()] + " " + text[match.end() :]).strip(" _.-")
    return " ".join(stem.split()), int(match["a"] or match["b"])


# --- values ---------------------------------------------------------------------------

_SIDE = {
    **dict.fromkeys(("d", "dep", "depense", "depenses", "expenditure", "expense"), "D"),
    **dict.fromkeys(("expenses", "spending"), "D"),
    **dict.fromkeys(("r", "rec", "recette", "recettes", "receipt", "receipts"), "R"),
    **dict.fromkeys(("revenue", "revenues", "income"), "R"),
}
_MOVE = {
    **dict.fromkeys(("reel", "reelle", "reels", "reelles", "r", "0", "real", "mixte"), "reel"),
    **dict.fromkeys(("ordre", "ordres", "o", "1", "order"), "ordre"),
}
_SECTION = {
    **dict.fromkeys(("f", "fonct", "fonctionnement", "operating"), "F"),
    **dict.fromkeys(("i", "inv", "invest", "investissement", "investment"), "I"),
}
_FILLERS = frozenset({
    "operation", "operations", "op", "ope", "mouvement", "mouvements", "mvt", "mvts",
    "movement", "d", "de", "des", "du", "section", "sens", "budgetaire", "budgetaires",
    "of", "en",
})  # fmt: skip
_VALUES = {"sens": _SIDE, "mouvement": _MOVE, "section": _SECTION}
_SHOWN_SPELLINGS = {
    "sens": "D, R, Dépense(s), Recette(s), DEP, REC",
    "mouvement": "réel(le)(s), REELLE, ordre, d'ordre, 0, 1",
    "section": "F, I, Fonctionnement, Investissement",
}
_PLACEHOLDERS = frozenset({"n a", "na", "nc", "n c", "nd", "sans objet"})


def recognised(role: str, value: str) -> str | None:
    """``D``/``R``, ``reel``/``ordre`` or ``F``/``I`` for a usual spelling, else ``None``."""
    table = _VALUES[role]
    words = _words(value)
    found = table.get(words.replace(" ", ""))
    if found is None:
        found = table.get("".join(w for w in words.split() if w not in _FILLERS))
    return found


def placeholder(value: str) -> bool:
    """Empty, only punctuation (``-``, ``–``, ``/``, ``.``) or "n/a"-like."""
    return not any(c.isalnum() for c in value) or _words(value) in _PLACEHOLDERS


def _label(value: str) -> str:
    """A level cell as a label: spaces of every kind made one plain space."""
    return " ".join(value.split())


# --- reading ----------------------------------------------------------------------------


def _read_table(path: str | Path, sheet: str | int | None) -> pd.DataFrame:
    suffix = Path(path).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        frame = pd.read_excel(path, sheet_name=sheet or 0, dtype=str, engine="openpyxl")
    else:
        frame = pd.read_csv(
            path,
            dtype=str,
            sep=None,
            engine="python",
            encoding="utf-8-sig",
            skip_blank_lines=False,  # row numbers in messages are the file's
        )
    return frame.fillna("")


def _cell(row: pd.Series, column: str | None) -> str:
    if not column:
        return ""
    value = str(row.get(column, "")).strip()
    return value[:-2] if re.fullmatch(r"[0-9]+\.0", value) else value


@dataclass
class Layout:
    """Which header holds each role and each tree's levels, as found in the file."""

    columns: dict[str, str]
    hierarchies: dict[str, list[str]]
    labels: dict[str, str]
    """Tree id → label."""

    def describe(self) -> Message:
        """Which column was read for what, the headers quoted with their spaces visible."""
        roles = _joined(
            [quoted([h]) for h in self.columns.values()],
            [f"{role} ← {{m{i}}}" for i, role in enumerate(self.columns)],
            ", ",
        )
        trees = _joined(
            [quoted(levels) for levels in self.hierarchies.values()],
            [f"{tree} ← {{m{i}}}" for i, tree in enumerate(self.hierarchies)],
            "; ",
        )
        return Message(
            "Colonnes lues : {roles} ; arbres : {trees}.",
            "Columns read: {roles}; trees: {trees}.",
            {"roles": roles, "trees": trees},
        )


def _find(headers: list[str], wanted: str) -> list[str]:
    key = header_key(wanted)
    return [h for h in headers if header_key(h) == key]


def layout(
    headers: Iterable[object],
    columns: dict[str, str] | None = None,
    hierarchies: dict[str, list[str]] | None = None,
    *,
    guess: bool = False,
) -> Layout:
    """The file's headers for the roles and trees asked (compared by :func:`header_key`);
    with ``guess``, roles not given and, when none is given, trees are told from the
    usual headers ("Sens", "Nature", "Fonction"…; "Niveau 1", "Politique N2"…)."""
    names = [str(h) for h in headers]
    columns = dict(columns or {})
    hierarchies = {k: list(v) for k, v in (hierarchies or {}).items()}
    unknown_roles = sorted(set(columns) - set(MAPPING_ROLES))
    missing: list[str] = []
    ambiguous: list[str] = []

    def resolve(wanted: str) -> str:
        found = _find(names, wanted)
        if not found:
            missing.append(wanted)
        elif len(found) > 1:
            ambiguous.extend(found)
        return found[0] if found else wanted

    found_columns = {
        role: resolve(header) for role, header in columns.items() if role in MAPPING_ROLES
    }
    found_levels = {tree: [resolve(h) for h in levels] for tree, levels in hierarchies.items()}
    if unknown_roles or missing or ambiguous:
        raise RuleSetError(_layout_error(names, unknown_roles, missing, ambiguous))
    labels = {tree: tree for tree in found_levels}
    if guess:
        used = {*found_columns.values(), *(h for hs in found_levels.values() for h in hs)}
        for role in MAPPING_ROLES:
            if role not in found_columns:
                match = next(
                    (h for h in names if h not in used and _words(h) in _ROLE_HEADERS[role]),
                    None,
                )
                if match is not None:
                    found_columns[role] = match
                    used.add(match)
        if not found_levels:
            found_levels, labels = _guess_trees([h for h in names if h not in used])
    if not found_levels or not any(role in found_columns for role in MAPPING_ROLES):
        raise RuleSetError(
            Message(
                "Indiquez la colonne d'au moins un code (sens, mouvement, section, chapitre, "
                "nature, fonction) et les colonnes de niveaux d'au moins un arbre (colonnes "
                "du fichier : {available}).",
                "Name the column of at least one code (sens, mouvement, section, chapitre, "
                "nature, fonction) and the level columns of at least one tree (columns in "
                "the file: {available}).",
                {"available": quoted(names)},
            )
        )
    ordered = {role: found_columns[role] for role in MAPPING_ROLES if role in found_columns}
    return Layout(ordered, found_levels, labels)


def _layout_error(
    names: list[str], unknown_roles: list[str], missing: list[str], ambiguous: list[str]
) -> Message:
    parts: list[Message] = []
    if unknown_roles:
        parts.append(
            Message(
                "Rôles inconnus : {roles} (rôles possibles : {known}).",
                "Unknown roles: {roles} (possible roles: {known}).",
                {"roles": ", ".join(unknown_roles), "known": ", ".join(MAPPING_ROLES)},
            )
        )
    if missing:
        parts.append(
            Message(
                "Colonnes introuvables : {names}.",
                "Columns not found: {names}.",
                {"names": quoted(missing)},
            )
        )
    if ambiguous:
        parts.append(
            Message(
                "Colonnes qui ne diffèrent que par les espaces, la casse ou les accents : "
                "{names} ; renommez-en une.",
                "Columns that differ only by spaces, case or accents: {names}; rename one.",
                {"names": quoted(dict.fromkeys(ambiguous))},
            )
        )
    parts.append(
        Message(
            "Colonnes du fichier : {available}.",
            "Columns in the file: {available}.",
            {"available": quoted(names)},
        )
    )
    return _joined(parts)


def _joined(
    parts: list[Message], templates: list[str] | None = None, separator: str = " "
) -> Message:
    """Several messages as one, each in the reader's language (``templates`` place part
    ``i`` as ``{mi}``)."""
    template = separator.join(templates or [f"{{m{i}}}" for i in range(len(parts))])
    return Message(template, template, {f"m{i}": part for i, part in enumerate(parts)})


def _guess_trees(headers: list[str]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Level columns grouped by what remains of their header without the level:
    "Politique niveau 1", "Politique niveau 2" → tree ``politique``."""
    groups: dict[str, list[tuple[int, str]]] = {}
    stems: dict[str, str] = {}
    for header in headers:
        found = _level_of(header)
        if found is None:
            continue
        stem, number = found
        key = header_key(stem)
        groups.setdefault(key, []).append((number, header))
        stems.setdefault(key, stem)
    trees: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    for key, levels in groups.items():
        tree_id = slug(stems[key]) if key else DEFAULT_TREE
        trees[tree_id] = [header for _, header in sorted(levels)]
        labels[tree_id] = stems[key] or DEFAULT_TREE
    return trees, labels


# --- rows -----------------------------------------------------------------------------


class _Problems:
    """Values that are not understood, by column then value, with their rows."""

    def __init__(self) -> None:
        self.found: dict[tuple[str, str], dict[str, list[int]]] = {}

    def add(self, role: str, header: str, value: str, row: int) -> None:
        self.found.setdefault((role, header), {}).setdefault(value, []).append(row)

    def error(self) -> RuleSetError | None:
        if not self.found:
            return None
        parts = []
        for (role, header), values in self.found.items():
            listed = list(values.items())[:SHOWN]
            templates = [
                _escaped(visible(value)) + f" ({{m{i}}})" for i, (value, _) in enumerate(listed)
            ]
            if len(values) > SHOWN:
                templates.append(f"… +{len(values) - SHOWN}")
            shown = _joined([_rows(rows) for _, rows in listed], templates, "; ")
            expected = _SHOWN_SPELLINGS.get(role)
            parts.append(
                Message(
                    "Colonne « {header} » ({role}) : valeurs non comprises {values} ; "
                    "attendu : {expected}.",
                    "Column '{header}' ({role}): values not understood {values}; "
                    "expected: {expected}.",
                    {
                        "header": visible(header),
                        "role": role,
                        "values": shown,
                        "expected": expected or Message("un code", "a code"),
                    },
                )
            )
        parts.append(
            Message(
                "Rien n'a été importé : corrigez ces cellules (ou videz-les, ou mettez « - », "
                "pour ne poser aucune condition).",
                "Nothing was imported: correct these cells (or empty them, or write '-', for "
                "no condition).",
            )
        )
        return RuleSetError(_joined(parts))


def _escaped(text: str) -> str:
    """``text`` as a literal part of a message template."""
    return text.replace("{", "{{").replace("}", "}}")


def _rows(rows: list[int]) -> Message:
    shown = ", ".join(map(str, rows[:SHOWN])) + (" …" if len(rows) > SHOWN else "")
    return Message("ligne(s) {rows}", "row(s) {rows}", {"rows": shown})


def _row_atoms(
    row: pd.Series, columns: dict[str, str], plan: Plan | None, number: int, problems: _Problems
) -> tuple[list[str], list[Message]]:
    """The row's conditions (``sens:D``, ``reel``, ``fonction=41``…) and what the plan
    de comptes does not know."""
    atoms: list[str] = []
    unknown: list[Message] = []
    for role in ("sens", "mouvement", "section"):
        value = _cell(row, columns.get(role))
        if placeholder(value):
            continue
        choice = recognised(role, value)
        if choice is None:
            problems.add(role, columns[role], value, number)
        else:
            atoms.append(choice if role == "mouvement" else f"{role}:{choice}")
    for role in CODE_ROLES:
        value = _cell(row, columns.get(role))
        if placeholder(value):
            continue
        if not re.fullmatch(r"[0-9][0-9A-Za-z]*", value):
            problems.add(role, columns[role], value, number)
            continue
        if plan is not None and _unknown(plan, role, value):
            unknown.append(
                Message(
                    "Ligne {row} : {role} « {value} » inconnu du plan de comptes.",
                    "Row {row}: {role} '{value}' is unknown to the plan de comptes.",
                    {"row": number, "role": role, "value": value},
                )
            )
        atoms.append(f"{role}={value}")
    return atoms, unknown


def _unknown(plan: Plan, role: str, code: str) -> bool:
    if role == "nature":
        return plan.account(code) is None
    if role == "fonction":
        return plan.function(code) is None
    return plan.chapter(code) is None and plan.function_chapter(code) is None


def _path(row: pd.Series, levels: list[str]) -> tuple[str, ...]:
    """The row's categories from the broadest; placeholder levels are skipped."""
    return tuple(_label(v) for v in (_cell(row, c) for c in levels) if not placeholder(v))


def import_mapping(
    path: str | Path,
    *,
    columns: dict[str, str] | None = None,
    hierarchies: dict[str, list[str]] | None = None,
    sheet: str | int | None = None,
    plan: Plan | None = None,
    ruleset_id: str = DEFAULT_TREE,
    guess: bool = False,
) -> RuleSet:
    """A rule set from a spreadsheet mapping (CSV, XLSX).

    ``columns`` maps roles (:data:`MAPPING_ROLES`) to headers and ``hierarchies`` a tree
    id to its level headers, broadest first (see :func:`layout`, and ``guess`` to tell
    them from the usual headers). Codes unknown to ``plan``, rows that leave a tree
    without category and rows whose codes another row already classes elsewhere are
    listed in ``notes``; values that cannot be read are an error (nothing is imported).
    """
    frame = _read_table(path, sheet)
    found = layout(frame.columns, columns, hierarchies, guess=guess)
    notes: list[Message] = [found.describe()] if guess else []
    problems = _Problems()
    terms: dict[str, dict[tuple[str, ...], dict[str, int]]] = {t: {} for t in found.hierarchies}
    without_category: dict[str, list[int]] = {t: [] for t in found.hierarchies}
    without_code: list[int] = []
    ordre_rows: list[int] = []
    for number, (_, row) in enumerate(frame.iterrows(), start=2):
        atoms, unknown = _row_atoms(row, found.columns, plan, number, problems)
        notes.extend(unknown)
        paths = {tree: _path(row, levels) for tree, levels in found.hierarchies.items()}
        if not atoms:
            if any(paths.values()):
                without_code.append(number)
            continue
        if "ordre" in atoms:
            ordre_rows.append(number)
        conj = " & ".join(atoms)
        for tree_id, path_values in paths.items():
            if path_values:
                terms[tree_id].setdefault(path_values, {}).setdefault(conj, number)
            else:
                without_category[tree_id].append(number)
    error = problems.error()
    if error is not None:
        raise error
    notes.extend(_row_notes(without_code, without_category, ordre_rows))
    trees = []
    for tree_id, found_terms in terms.items():
        notes.extend(_same_codes_elsewhere(tree_id, found_terms))
        trees.append(_mapping_tree(tree_id, found.labels[tree_id], found_terms, notes))
    return RuleSet(id=ruleset_id, label=ruleset_id, trees=trees, notes=notes)


def _row_notes(
    without_code: list[int], without_category: dict[str, list[int]], ordre_rows: list[int]
) -> list[Message]:
    notes = []
    if without_code:
        notes.append(
            Message(
                "{rows} : aucun code, ignorée(s) (une ligne sans code prendrait tout).",
                "{rows}: no code, skipped (a row without a code would take everything).",
                {"rows": _rows(without_code)},
            )
        )
    for tree_id, rows in without_category.items():
        if rows:
            notes.append(
                Message(
                    "Arbre {tree}, {rows} : aucune catégorie, ces codes n'y sont comptés nulle "
                    "part.",
                    "Tree {tree}, {rows}: no category, these codes are counted nowhere in it.",
                    {"tree": tree_id, "rows": _rows(rows)},
                )
            )
    if ordre_rows:
        notes.append(
            Message(
                "{count} ligne(s) du tableau sont des opérations d'ordre : le jeu de règles "
                "compte les opérations réelles (sélection), elles ne retiennent donc aucune "
                "ligne.",
                "{count} row(s) of the sheet are ordre operations: the rule set counts real "
                "operations (selection), so they select no line.",
                {"count": len(ordre_rows)},
            )
        )
    return notes


def _same_codes_elsewhere(
    tree_id: str, terms: dict[tuple[str, ...], dict[str, int]]
) -> list[Message]:
    """Rows whose codes are exactly those of a row classed in another category of the
    same tree: the lines they select would be counted twice."""
    first: dict[str, tuple[tuple[str, ...], int]] = {}
    clashes: list[tuple[int, int, str]] = []
    for path_values, conjuncts in terms.items():
        for conj, number in conjuncts.items():
            seen = first.setdefault(conj, (path_values, number))
            if seen[0] != path_values:
                clashes.append((seen[1], number, conj))
    notes = [
        Message(
            "Arbre {tree} : les lignes {first} et {second} ont les mêmes codes ({codes}) et "
            "des catégories différentes : ces lignes budgétaires seront comptées deux fois.",
            "Tree {tree}: rows {first} and {second} have the same codes ({codes}) and "
            "different categories: these budget lines will be counted twice.",
            {"tree": tree_id, "first": a, "second": b, "codes": conj},
        )
        for a, b, conj in clashes[:SHOWN]
    ]
    if len(clashes) > SHOWN:
        notes.append(
            Message(
                "Arbre {tree} : {count} autre(s) ligne(s) dans ce cas.",
                "Tree {tree}: {count} more row(s) in this case.",
                {"tree": tree_id, "count": len(clashes) - SHOWN},
            )
        )
    return notes


def _mapping_tree(
    tree_id: str,
    label: str,
    found: dict[tuple[str, ...], dict[str, int]],
    notes: list[Message],
) -> Tree:
    """The tree of the label paths, in the order of the file; ids unique in the tree and
    independent of that order (see :func:`_name_children`)."""
    root = Category(id="", label="")
    index: dict[tuple[str, ...], Category] = {(): root}
    for path_values in found:
        for depth in range(1, len(path_values) + 1):
            key = path_values[:depth]
            if key not in index:
                index[key] = Category(id="", label=key[-1])
                index[key[:-1]].children.append(index[key])
    taken: set[str] = set()
    for node in index.values():  # parents first: a child's id starts with its parent's
        for same in _name_children(node, taken):
            notes.append(
                Message(
                    "Arbre {tree} : {labels} ne diffèrent que par la casse, les accents ou la "
                    "ponctuation ; gardées distinctes ({ids}). Corrigez le tableau s'il "
                    "s'agit de la même catégorie.",
                    "Tree {tree}: {labels} differ only by case, accents or punctuation; kept "
                    "apart ({ids}). Correct the sheet if they are one category.",
                    {
                        "tree": tree_id,
                        "labels": quoted(c.label for c in same),
                        "ids": ", ".join(c.id for c in same),
                    },
                )
            )
    for path_values, conjuncts in found.items():
        node = index[path_values]
        if node.children:  # rows stop at a level that has sub-levels elsewhere
            other = Category(id=_unique(f"{node.id}.autres", taken), label=f"{node.label} (autres)")
            node.children.append(other)
            node = other
        node.formula_text = " | ".join(f"({c})" for c in conjuncts)
    return Tree(id=tree_id, label=label, categories=root.children)


def _unique(base: str, taken: set[str]) -> str:
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    taken.add(candidate)
    return candidate


def _name_children(parent: Category, taken: set[str]) -> list[list[Category]]:
    """Give ``parent``'s children their ids: ``<parent id>.<label as words>``. Labels
    that make the same words ("Espaces publics", "Espaces Publics") are never merged:
    in the order of their exact text, the first keeps the words, the next ones get
    ``-2``, ``-3``… — the same ids whatever the order of the rows. Returns those groups."""
    prefix = f"{parent.id}." if parent.id else ""
    groups: dict[str, list[Category]] = {}
    for child in parent.children:
        groups.setdefault(prefix + slug(child.label), []).append(child)
    for base, same in groups.items():
        if len(same) == 1:
            same[0].id = _unique(base, taken)
    collisions = [sorted(same, key=lambda c: c.label) for same in groups.values() if len(same) > 1]
    for same in collisions:
        base = prefix + slug(same[0].label)
        for child in same:
            child.id = _unique(base, taken)
    return collisions
