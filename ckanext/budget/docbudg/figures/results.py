"""A document's aggregation as the portal keeps it: typed, in one vocabulary (the rule
sets' one: ``id``, ``label``, ``label_en``, ``children``, ``formula``, ``amount``).

A :class:`Result` holds each tree's categories with their amounts and the tree's checks,
the totals the rule set's selection counts, and the document's big numbers. It is made
from the engine's :class:`~..aggregation.engine.AggregationResult` by :func:`result_of`,
written to JSON for the database by :meth:`Result.to_json` (amounts as exact decimal
strings, ``FORMAT`` says which shape) and read back by :meth:`Result.from_json`. A stored
result keeps the lines the checks name, not the leaves' lines: those are kept beside it
(:func:`leaf_lines_to_json`, format ``LINES_FORMAT``: each selected line once, and each
leaf's line positions), read only when a leaf's lines are shown (:func:`stored_leaf_lines`)
or listed (:meth:`Result.with_leaf_lines`), so that no page aggregates a document again.
The public JSON and CSV of the API and the command line (French keys) are written from a
:class:`Result` by :mod:`.report`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..aggregation.index import bits
from ..messages import Message
from .big_numbers import BigNumbers

if TYPE_CHECKING:  # the engine imports nothing from here; kept out of import cycles
    from ..aggregation.engine import AggregationResult, Checks, LineResult, NodeResult, Share

FORMAT = "budget-result/2"
"""2: figures under the conventions of ``conventions.VERSION`` 2 (asset disposals with
investment receipts, neutral debt operations apart)."""
LINES_FORMAT = "budget-lines/1"
ZERO = Decimal(0)


def _amounts(data: Mapping[str, Any] | None) -> dict[str, Decimal]:
    return {key: Decimal(value) for key, value in (data or {}).items()}


def _texts(amounts: Mapping[str, Decimal]) -> dict[str, str]:
    return {key: str(value) for key, value in amounts.items()}


@dataclass(frozen=True)
class ResultLine:
    """A counted line as users see it: codes, labels from the plan, amount."""

    direction: str
    """``R`` receipt or ``D`` spending (``CodRD``)."""
    section: str | None
    chapter: str | None
    chapter_label: str | None
    nature: str
    nature_label: str | None
    function: str | None
    function_label: str | None
    operation: str
    """``real`` (``OpBudg`` 0) or ``order`` (1)."""
    amount: Decimal
    sources: tuple[int, ...] = ()
    """Indexes of the document lines summed into this one."""

    @classmethod
    def of(cls, line: LineResult) -> ResultLine:
        entry = line.entry
        return cls(
            direction=entry.cod_rd,
            section=entry.section,
            chapter=entry.chapter,
            chapter_label=line.chapter_label,
            nature=entry.nature,
            nature_label=line.nature_label,
            function=entry.fonction,
            function_label=line.fonction_label,
            operation="order" if entry.op_budg == "1" else "real",
            amount=entry.amount,
            sources=tuple(entry.sources),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "section": self.section,
            "chapter": self.chapter,
            "chapter_label": self.chapter_label,
            "nature": self.nature,
            "nature_label": self.nature_label,
            "function": self.function,
            "function_label": self.function_label,
            "operation": self.operation,
            "amount": str(self.amount),
            "sources": list(self.sources),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResultLine:
        return cls(
            direction=data["direction"],
            section=data.get("section"),
            chapter=data.get("chapter"),
            chapter_label=data.get("chapter_label"),
            nature=data["nature"],
            nature_label=data.get("nature_label"),
            function=data.get("function"),
            function_label=data.get("function_label"),
            operation=data["operation"],
            amount=Decimal(data["amount"]),
            sources=tuple(data.get("sources") or ()),
        )

    def to_row(self) -> list[Any]:
        """The line as a row of :data:`LINE_FIELDS` (the stored leaf lines' compact form)."""
        return [
            *(getattr(self, name) for name in LINE_FIELDS[:-2]),
            str(self.amount),
            list(self.sources),
        ]

    @classmethod
    def from_row(cls, row: list[Any]) -> ResultLine:
        return cls.from_json(dict(zip(LINE_FIELDS, row, strict=True)))


LINE_FIELDS = (
    "direction",
    "section",
    "chapter",
    "chapter_label",
    "nature",
    "nature_label",
    "function",
    "function_label",
    "operation",
    "amount",
    "sources",
)
"""The columns of a stored line (``amount`` and ``sources`` last)."""


@dataclass(frozen=True)
class ResultShare:
    """The part of a line counted in a leaf: the whole line, or a split line's share."""

    line: ResultLine
    amount: Decimal
    split: bool = False

    @classmethod
    def of(cls, share: Share) -> ResultShare:
        return cls(ResultLine.of(share.line), share.amount, share.split)


@dataclass
class ResultCategory:
    """A category of a tree with its amount: a branch (``children``) or a leaf
    (``formula``)."""

    id: str
    label: str
    label_en: str | None = None
    amount: Decimal = ZERO
    rdfi: dict[str, Decimal] = field(default_factory=dict)
    """The amount by direction × section (``DF``, ``RI``…); empty for combined results."""
    formula: str | None = None
    children: list[ResultCategory] = field(default_factory=list)
    lines: list[ResultShare] | None = None
    """A leaf's lines, when asked for (``result_of(…, with_lines=True)``); the database
    form never keeps them."""

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def label_in(self, lang: str) -> str:
        """The English label in English when there is one, else the French one."""
        if lang == "en" and self.label_en:
            return self.label_en
        return self.label or self.id

    def walk(self) -> Iterator[ResultCategory]:
        """This category and its descendants, parents first."""
        yield self
        for child in self.children:
            yield from child.walk()

    @classmethod
    def of(cls, node: NodeResult, with_lines: bool = False) -> ResultCategory:
        return cls(
            id=node.id,
            label=node.label,
            label_en=node.label_en,
            amount=node.total,
            rdfi=dict(node.rdfi),
            formula=node.formula if node.is_leaf else None,
            children=[cls.of(child, with_lines) for child in node.children],
            lines=[ResultShare.of(s) for s in node.shares] if with_lines and node.is_leaf else None,
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "label": self.label,
            "label_en": self.label_en,
            "amount": str(self.amount),
            "rdfi": _texts(self.rdfi),
        }
        if self.children:
            out["children"] = [child.to_json() for child in self.children]
        else:
            out["formula"] = self.formula
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResultCategory:
        return cls(
            id=data["id"],
            label=data.get("label") or "",
            label_en=data.get("label_en"),
            amount=Decimal(data["amount"]),
            rdfi=_amounts(data.get("rdfi")),
            formula=data.get("formula"),
            children=[cls.from_json(child) for child in data.get("children") or []],
        )


@dataclass
class ResultChecks:
    """What the checks found in one tree (see :class:`~..aggregation.engine.Checks`)."""

    ok: bool
    unmatched: list[ResultLine] = field(default_factory=list)
    """Lines no category counts."""
    counted_twice: list[tuple[ResultLine, list[str]]] = field(default_factory=list)
    """Lines several leaves count, with those leaves."""
    totals: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    """``{DF: (document total, total counted by the tree)}``."""
    empty: list[str] = field(default_factory=list)
    """Leaves without a formula."""
    split_mismatches: list[tuple[ResultLine, Decimal]] = field(default_factory=list)
    """Split lines whose shares (second item) do not add up to the line's amount."""
    messages: list[Message] = field(default_factory=list)
    """In both languages, already written out (as stored)."""

    @classmethod
    def of(cls, checks: Checks) -> ResultChecks:
        return cls(
            ok=checks.ok,
            unmatched=[ResultLine.of(line) for line in checks.unmatched],
            counted_twice=[(ResultLine.of(line), list(ids)) for line, ids in checks.multiple],
            totals=dict(checks.rdfi),
            empty=list(checks.empty_leaves),
            split_mismatches=[
                (ResultLine.of(line), assigned) for line, assigned in checks.split_mismatches
            ],
            messages=[Message(m.text("fr"), m.text("en")) for m in checks.messages()],
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "unmatched": [line.to_json() for line in self.unmatched],
            "counted_twice": [
                {"line": line.to_json(), "categories": ids} for line, ids in self.counted_twice
            ],
            "totals": {
                key: {"document": str(document), "counted": str(counted)}
                for key, (document, counted) in self.totals.items()
            },
            "empty": self.empty,
            "split_mismatches": [
                {"line": line.to_json(), "assigned": str(assigned)}
                for line, assigned in self.split_mismatches
            ],
            "messages": [message.as_dict() for message in self.messages],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResultChecks:
        return cls(
            ok=bool(data["ok"]),
            unmatched=[ResultLine.from_json(line) for line in data.get("unmatched") or []],
            counted_twice=[
                (ResultLine.from_json(item["line"]), list(item["categories"]))
                for item in data.get("counted_twice") or []
            ],
            totals={
                key: (Decimal(value["document"]), Decimal(value["counted"]))
                for key, value in (data.get("totals") or {}).items()
            },
            empty=list(data.get("empty") or []),
            split_mismatches=[
                (ResultLine.from_json(item["line"]), Decimal(item["assigned"]))
                for item in data.get("split_mismatches") or []
            ],
            messages=[Message(m["fr"], m["en"]) for m in data.get("messages") or []],
        )


@dataclass
class ResultTree:
    """One tree of the rule set, aggregated: its categories and its checks (none for
    several documents combined: checks describe one document)."""

    id: str
    label: str
    label_en: str | None = None
    categories: list[ResultCategory] = field(default_factory=list)
    checks: ResultChecks | None = None

    def label_in(self, lang: str) -> str:
        if lang == "en" and self.label_en:
            return self.label_en
        return self.label or self.id

    def walk(self) -> Iterator[ResultCategory]:
        for category in self.categories:
            yield from category.walk()

    def path(self, category_id: str) -> list[ResultCategory] | None:
        """The categories from the first level down to ``category_id``; None when the
        tree has no such category."""

        def down(categories: list[ResultCategory]) -> list[ResultCategory] | None:
            for category in categories:
                if category.id == category_id:
                    return [category]
                found = down(category.children)
                if found is not None:
                    return [category, *found]
            return None

        return down(self.categories)

    def find(self, category_id: str) -> ResultCategory | None:
        path = self.path(category_id)
        return path[-1] if path else None

    @property
    def total(self) -> Decimal:
        """The sum of the first level."""
        return sum((category.amount for category in self.categories), ZERO)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "label": self.label,
            "label_en": self.label_en,
            "categories": [category.to_json() for category in self.categories],
        }
        if self.checks is not None:
            out["checks"] = self.checks.to_json()
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResultTree:
        checks = data.get("checks")
        return cls(
            id=data["id"],
            label=data.get("label") or "",
            label_en=data.get("label_en"),
            categories=[ResultCategory.from_json(c) for c in data.get("categories") or []],
            checks=ResultChecks.from_json(checks) if checks is not None else None,
        )


@dataclass(frozen=True)
class ResultDocument:
    """Which document was aggregated, and with which amount field."""

    year: int | None
    stage: str | None
    nomenclature: str | None
    siren: str | None
    label: str | None
    budget_code: str | None
    plan: str | None
    amount_field: str

    def to_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "stage": self.stage,
            "nomenclature": self.nomenclature,
            "siren": self.siren,
            "label": self.label,
            "budget_code": self.budget_code,
            "plan": self.plan,
            "amount_field": self.amount_field,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResultDocument:
        return cls(
            year=data.get("year"),
            stage=data.get("stage"),
            nomenclature=data.get("nomenclature"),
            siren=data.get("siren"),
            label=data.get("label"),
            budget_code=data.get("budget_code"),
            plan=data.get("plan"),
            amount_field=data["amount_field"],
        )


@dataclass
class Result:
    """One document aggregated with one rule set (or several documents combined)."""

    trees: list[ResultTree]
    totals: dict[str, Decimal] = field(default_factory=dict)
    """The document's totals by direction × section, counting the lines the rule set's
    selection counts (what each tree's checks compare the tree with)."""
    big_numbers: BigNumbers = field(default_factory=BigNumbers)
    document: ResultDocument | None = None
    """None for several documents combined."""
    ruleset: str | None = None
    """The rule set's id; None for several documents combined."""

    @property
    def ok(self) -> bool:
        """Every tree a partition of the document's lines (see the checks)."""
        return all(tree.checks is None or tree.checks.ok for tree in self.trees)

    def tree(self, tree_id: str) -> ResultTree | None:
        return next((tree for tree in self.trees if tree.id == tree_id), None)

    def find(self, tree_id: str, category_id: str) -> ResultCategory | None:
        """The category ``category_id`` of tree ``tree_id``, or None."""
        tree = self.tree(tree_id)
        return tree.find(category_id) if tree is not None else None

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "document": self.document.to_json() if self.document is not None else None,
            "ruleset": self.ruleset,
            "totals": _texts(self.totals),
            "big_numbers": self.big_numbers.to_json(),
            "trees": [tree.to_json() for tree in self.trees],
        }

    def with_leaf_lines(self, data: Mapping[str, Any]) -> Result:
        """This result with every leaf's lines, in the order the aggregation counted them
        (``lines`` of each leaf set, as ``result_of(…, with_lines=True)`` gives), from
        :func:`leaf_lines_to_json`'s form."""
        _check_lines(data)
        rows, made = data["lines"], {}
        stored = data.get("leaves") or {}

        def copy(category: ResultCategory, tree_id: str) -> ResultCategory:
            if category.children:
                children = [copy(child, tree_id) for child in category.children]
                return replace(category, children=children, lines=None)
            items = stored.get(tree_id, {}).get(category.id, [])
            return replace(category, lines=_shares(rows, items, made))

        trees = [
            replace(tree, categories=[copy(c, tree.id) for c in tree.categories])
            for tree in self.trees
        ]
        return replace(self, trees=trees)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Result:
        """A result written by :meth:`to_json`; anything else is refused (``ValueError``)."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise ValueError(f"not a stored aggregation result ({FORMAT} expected)")
        document = data.get("document")
        return cls(
            trees=[ResultTree.from_json(tree) for tree in data.get("trees") or []],
            totals=_amounts(data.get("totals")),
            big_numbers=BigNumbers.from_json(data.get("big_numbers")),
            document=ResultDocument.from_json(document) if document is not None else None,
            ruleset=data.get("ruleset"),
        )


def result_of(
    aggregation: AggregationResult,
    big_numbers: BigNumbers | None = None,
    *,
    with_lines: bool = False,
) -> Result:
    """The typed result of an aggregation, with the document's big numbers when given and
    every leaf's lines when asked for (one leaf's lines, stored: :func:`stored_leaf_lines`)."""
    return Result(
        trees=[
            ResultTree(
                id=tree.tree_id,
                label=tree.label,
                label_en=tree.label_en,
                categories=[ResultCategory.of(node, with_lines) for node in tree.nodes],
                checks=ResultChecks.of(tree.checks),
            )
            for tree in aggregation.trees.values()
        ],
        totals=dict(aggregation.rdfi),
        big_numbers=big_numbers if big_numbers is not None else BigNumbers(),
        document=ResultDocument(
            year=aggregation.exer,
            stage=aggregation.stage,
            nomenclature=aggregation.nomenclature,
            siren=aggregation.siren,
            label=aggregation.label,
            budget_code=aggregation.cod_bud,
            plan=aggregation.plan,
            amount_field=aggregation.amount_field,
        ),
        ruleset=aggregation.ruleset_id,
    )


# --- the leaves' lines, kept beside the stored result ------------------------------------


def leaf_lines_to_json(aggregation: AggregationResult) -> dict[str, Any]:
    """Every leaf's lines, for the database: the selected lines once (rows of
    :data:`LINE_FIELDS`), then per tree and leaf its shares in order — a whole line as its
    position, a split line's share as ``[position, amount]``. Leaves without lines are
    left out."""
    leaves: dict[str, dict[str, list[Any]]] = {}
    for tree in aggregation.trees.values():
        found = leaves[tree.tree_id] = {}
        for node in tree.walk():
            if not node.is_leaf or not (node.mask or node.split_shares):
                continue
            found[node.id] = [
                *bits(node.mask),
                *([s.line.entry.position, str(s.amount)] for s in node.split_shares),
            ]
    return {
        "format": LINES_FORMAT,
        "fields": list(LINE_FIELDS),
        "lines": [ResultLine.of(line).to_row() for line in aggregation.lines],
        "leaves": leaves,
    }


def _check_lines(data: Mapping[str, Any]) -> None:
    if not isinstance(data, Mapping) or data.get("format") != LINES_FORMAT:
        raise ValueError(f"not stored leaf lines ({LINES_FORMAT} expected)")


def _shares(rows: list[Any], items: list[Any], made: dict[int, ResultLine]) -> list[ResultShare]:
    shares = []
    for item in items:
        position, amount = (item, None) if isinstance(item, int) else item
        line = made.get(position)
        if line is None:
            line = made[position] = ResultLine.from_row(rows[position])
        split = amount is not None
        shares.append(ResultShare(line, Decimal(amount) if split else line.amount, split))
    return shares


def stored_leaf_lines(data: Mapping[str, Any], tree_id: str, leaf_id: str) -> list[ResultShare]:
    """The lines of one leaf, from :func:`leaf_lines_to_json`'s form, largest first (only
    this leaf's lines are read); none for a branch or an unknown leaf."""
    _check_lines(data)
    items = (data.get("leaves") or {}).get(tree_id, {}).get(leaf_id, [])
    shares = _shares(data["lines"], items, {})
    return sorted(shares, key=lambda s: (-s.amount, s.line.nature))
