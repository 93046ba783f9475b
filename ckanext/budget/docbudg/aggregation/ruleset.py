"""Rule sets: which lines count (``Selection``), category trees, and split lines.

A rule set is plain data meant to be versioned (see :mod:`.storage`); formulas are kept as
text and parsed once into :class:`~.formula.Formula` when the rule set is built, so an
invalid formula is reported when rules are loaded, not when a document is aggregated.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from ..conventions import NEUTRAL_NATURES
from ..messages import Message
from ..model import CARRIED_OVER_RESULTS, Stage
from ..stage_amounts import Amount, stage_amount
from .formula import Formula, FormulaError, Program, compile_formula, parse_formula

OPERATIONS = ("reel", "ordre", "tout")
MAX_TEXT = 2000
"""Characters of an editorial text at most: a few paragraphs beside the figures, not an
article (the pages show it whole)."""
FIRST_YEAR, LAST_YEAR = 1990, 2100
"""The years an editorial text may be written for."""


@dataclass(frozen=True)
class Text:
    """A producer's editorial text for one year: French, English optional. Plain text
    (the pages escape it), one paragraph per line."""

    fr: str
    en: str | None = None

    def shown(self, lang: str | None) -> tuple[str, str]:
        """(text, its language): the English on English pages when there is one, else
        the French."""
        if lang == "en" and self.en:
            return self.en, "en"
        return self.fr, "fr"

    def paragraphs(self, lang: str | None) -> tuple[list[str], str]:
        """The shown text's non-empty lines, and its language."""
        text, found = self.shown(lang)
        return [line.strip() for line in text.splitlines() if line.strip()], found


Texts = dict[int, Text]
"""Editorial texts by year."""


def clean_text(value: str | None) -> str:
    """A text as kept: Windows line ends made plain, outer blanks removed."""
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def text_problem(year: object, fr: str, en: str | None) -> Message | None:
    """Why a text cannot be kept (``None``: it can): a year outside the plausible ones,
    an English text without French, or a text longer than :data:`MAX_TEXT`."""
    if not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        return Message(
            "Année de texte invalide « {year} » (de {first} à {last}).",
            "Invalid text year '{year}' ({first} to {last}).",
            {"year": year, "first": FIRST_YEAR, "last": LAST_YEAR},
        )
    if en and not fr:
        return Message(
            "Texte de {year} : le texte en anglais accompagne un texte en français, qui manque.",
            "Text of {year}: the English text goes with a French one, which is missing.",
            {"year": year},
        )
    for text in (fr, en or ""):
        if len(text) > MAX_TEXT:
            return Message(
                "Texte de {year} trop long : {length} caractères, {max} au plus.",
                "Text of {year} too long: {length} characters, {max} at most.",
                {"year": year, "length": len(text), "max": MAX_TEXT},
            )
    return None


@dataclass(frozen=True)
class Selection:
    """Which lines of a document are aggregated, and with which amount.

    Calculated totals (``calculated="true"``) are never counted, whatever this says.
    """

    amounts: dict[str, str] = field(default_factory=dict)
    """By stage name (``BP``, ``DM``, ``BS``, ``CA``, ``CFU``), the amount a rule set counts
    instead of the stage's own (``stage_amounts``): a field, or fields joined by ``+``."""
    operations: str = "reel"
    """``reel`` (``OpBudg`` 0, the default of published explorers), ``ordre`` or ``tout``."""
    exclude_natures: tuple[str, ...] = CARRIED_OVER_RESULTS
    """Natures left out, exactly: the carried-over results by default."""
    skip_zero: bool = True
    """Drop lines whose amount (after merging duplicates) is zero."""
    merge_duplicates: bool = True
    """Sum lines with the same (CodRD, Fonction, Nature, OpBudg) into one."""
    neutral_debt_apart: bool = True
    """Leave neutral debt operations (``conventions.NEUTRAL_NATURES``: refinancing,
    revolving credit) out, as every figure of the portal does; they are shown apart."""

    def left_out_prefixes(self) -> tuple[str, ...]:
        """Natures left out with all their sub-accounts."""
        return NEUTRAL_NATURES if self.neutral_debt_apart else ()

    def amount(self, stage: Stage | None) -> Amount:
        """The amount counted of each line of a document of this stage."""
        chosen = self.amounts.get(stage.name) if stage is not None else None
        return Amount.parse(chosen) if chosen else stage_amount(stage)


@dataclass
class Category:
    """A node of a tree: a branch with ``children`` or a leaf with a ``formula``."""

    id: str
    label: str
    label_en: str | None = None
    description: str | None = None
    formula_text: str | None = None
    children: list[Category] = field(default_factory=list)
    texts: Texts = field(default_factory=dict)
    """The producer's editorial texts by year (shown under the category's heading)."""

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def set_formula(self, text: str | None) -> None:
        """Change the formula's text; its parsed and compiled forms follow."""
        self.formula_text = text
        self.__dict__.pop("formula", None)
        self.__dict__.pop("program", None)

    @cached_property
    def formula(self) -> Formula | None:
        """The parsed formula; ``None`` for an empty leaf (reported by the checks)."""
        if not self.formula_text or not self.formula_text.strip():
            return None
        return parse_formula(self.formula_text)

    @cached_property
    def program(self) -> Program | None:
        """The formula compiled once for every document the rule set is applied to."""
        formula = self.formula
        return compile_formula(formula) if formula is not None else None

    def walk(self, depth: int = 0) -> Iterator[tuple[Category, int]]:
        """This category and its descendants, parents first, with their depth."""
        stack = [(self, depth)]
        while stack:
            category, level = stack.pop()
            yield category, level
            stack.extend((child, level + 1) for child in reversed(category.children))


@dataclass
class Tree:
    """One partition of the document's lines (e.g. "by service", "by public")."""

    id: str
    label: str
    label_en: str | None = None
    description: str | None = None
    categories: list[Category] = field(default_factory=list)

    def walk(self) -> Iterator[tuple[Category, int]]:
        for category in self.categories:
            yield from category.walk()

    def leaves(self) -> list[Category]:
        return [c for c, _ in self.walk() if c.is_leaf]

    def find(self, category_id: str) -> Category | None:
        return next((c for c, _ in self.walk() if c.id == category_id), None)

    def duplicate_ids(self) -> list[str]:
        """Ids held by more than one category: their lines and totals would merge."""
        seen: set[str] = set()
        twice: dict[str, None] = {}
        for category, _ in self.walk():
            if category.id in seen:
                twice[category.id] = None
            seen.add(category.id)
        return list(twice)


@dataclass(frozen=True)
class Correction:
    """An exact share of one line assigned to a leaf for one year (a split line)."""

    exer: int
    cod_rd: str
    nature: str
    fonction: str | None
    amount: Decimal
    category: str
    tree: str | None = None
    """The tree holding ``category``; ``None``: every tree that has a leaf of that id."""

    @property
    def key(self) -> tuple[int, str, str, str]:
        return (self.exer, self.cod_rd, self.nature, self.fonction or "")


@dataclass
class RuleSet:
    id: str
    label: str
    label_en: str | None = None
    description: str | None = None
    selection: Selection = field(default_factory=Selection)
    trees: list[Tree] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)
    notes: list[Message] = field(default_factory=list, compare=False)
    """What an importer noticed (empty formulas, unknown codes…); not saved."""
    texts: Texts = field(default_factory=dict)
    """The producer's editorial texts on the whole budget, by year (« Ce qui s'est passé
    cette année »)."""

    def tree(self, tree_id: str | None = None) -> Tree:
        if tree_id is None:
            return self.trees[0]
        for tree in self.trees:
            if tree.id == tree_id:
                return tree
        raise KeyError(tree_id)

    def formula_errors(self) -> list[tuple[str, str, FormulaError]]:
        """``(tree id, category id, error)`` for every leaf whose formula does not parse."""
        errors = []
        for tree in self.trees:
            for leaf in tree.leaves():
                try:
                    leaf.formula  # noqa: B018 - parsing is the check
                except FormulaError as exc:
                    errors.append((tree.id, leaf.id, exc))
        return errors

    def empty_leaves(self) -> list[tuple[str, str]]:
        return [
            (tree.id, leaf.id)
            for tree in self.trees
            for leaf in tree.leaves()
            if not (leaf.formula_text or "").strip()
        ]

    def editorial_texts(self) -> EditorialTexts:
        """Only the texts: what the pages read of a rule set beside the figures."""
        return EditorialTexts(
            budget=dict(self.texts),
            categories={
                (tree.id, category.id): dict(category.texts)
                for tree in self.trees
                for category, _ in tree.walk()
                if category.texts
            },
        )


@dataclass(frozen=True)
class EditorialTexts:
    """A rule set's editorial texts, light to keep: the whole budget's and each
    category's (by tree and category id), by year."""

    budget: Texts = field(default_factory=dict)
    categories: dict[tuple[str, str], Texts] = field(default_factory=dict)

    def of_budget(self, year: int | None) -> Text | None:
        return self.budget.get(year) if year is not None else None

    def of_category(self, tree_id: str, category_id: str | None, year: int | None) -> Text | None:
        if category_id is None or year is None:
            return None
        return self.categories.get((tree_id, category_id), {}).get(year)


class RuleSetError(ValueError):
    """A rule set file that cannot be used, with a bilingual message."""

    def __init__(self, message: Message) -> None:
        self.msg = message
        super().__init__(message.text("en"))

    def text(self, lang: str | None = None) -> str:
        return self.msg.text(lang)
