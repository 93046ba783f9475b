"""One plan de comptes (nomenclature) for a year: typed lookups over the compact data.

Budget lines carry codes (``Nature``, ``Fonction``, ``ContNat``); validation, aggregation
and the explorer need what the plan says about them: labels, nesting, and which chapter
(hence which section, fonctionnement or investissement) a line belongs to.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

from ..model import BudgetLine
from .compact import CHAPTER_KEYS


class FrozenDict(dict):
    """A read-only dict: hashable and picklable (unlike ``MappingProxyType``), and still a
    ``dict`` so ``dataclasses.asdict`` and ``json`` handle the dataclasses below."""

    __slots__ = ()

    def _readonly(self, *args: object, **kwargs: object) -> None:
        raise TypeError("plan data is read-only")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _readonly
    __ior__ = _readonly  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def __reduce__(self) -> tuple[type, tuple[dict[str, str]]]:
        return (type(self), (dict(self),))


_EMPTY: Mapping[str, str] = FrozenDict()
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Chapter:
    """A nature or functional chapter: the level at which credits are usually voted."""

    code: str
    label: str
    section: str | None
    """``F`` (fonctionnement) or ``I`` (investissement)."""
    kind: str | None = None
    """``TypeChapitre``: ``C`` ordinary, ``G`` globalised (011, 012, 040…), ``L`` a single
    line without execution (002, 022, 023…)."""
    special: bool = False
    supprime: bool = False
    short_label: str | None = None
    functional: bool = False


@dataclass(frozen=True, slots=True)
class Account:
    """A nature account (``Nature//Compte``); only leaves carry chapter keys."""

    code: str
    label: str
    parent: str | None
    supprime: bool
    chapters: Mapping[str, str]
    """Chapter code by key ``DR RR DOES ROES DOIS ROIS`` (real expense/revenue; ordre
    between sections; ordre inside a section); keys the plan leaves empty are absent."""
    short_label: str | None = None


@dataclass(frozen=True, slots=True)
class Function:
    """A functional code: a reference function (``RefFonc``, how M14/M52 lines write
    ``Fonction``) or a functional account (``Fonction//Compte``, chapter + function)."""

    code: str
    label: str
    parent: str | None
    chapter: str | None
    """Functional chapter of a functional account (``DR``, e.g. ``900``); ``None`` for a
    reference function, whose chapter depends on the section."""
    supprime: bool = False
    short_label: str | None = None
    is_account: bool = False


def _keys(values: list[str] | int) -> Mapping[str, str]:
    if not values:
        return _EMPTY
    return FrozenDict({k: v for k, v in zip(CHAPTER_KEYS, values, strict=False) if v})


def _chapter(row: list[Any], functional: bool) -> Chapter:
    code, label, short, section, kind, special, supprime = row
    return Chapter(
        code=code,
        label=label,
        section=section,
        kind=kind,
        special=bool(special),
        supprime=bool(supprime),
        short_label=short,
        functional=functional,
    )


def _account(row: list[Any]) -> Account:
    code, label, short, parent, supprime, keys = row
    return Account(
        code=code,
        label=label,
        parent=parent,
        supprime=bool(supprime),
        chapters=_keys(keys),
        short_label=short,
    )


def _function(row: list[Any], is_account: bool) -> Function:
    code, label, short, parent, supprime, keys = row
    return Function(
        code=code,
        label=label,
        parent=parent,
        chapter=(keys[0] or None) if keys else None,
        supprime=bool(supprime),
        short_label=short,
        is_account=is_account,
    )


class _Table(Generic[T]):
    """Rows by code, turned into entries on first use: a plan loads in a few
    milliseconds although a document only looks up a few hundred of its codes."""

    __slots__ = ("_built", "_make", "_rows")

    def __init__(self, rows: dict[str, list[Any]], make: Callable[[list[Any]], T]) -> None:
        self._rows = rows
        self._make = make
        self._built: dict[str, T] = {}

    @classmethod
    def of(cls, rows: list[list[Any]], make: Callable[[list[Any]], T]) -> _Table[T]:
        return cls({row[0]: row for row in rows}, make)

    def get(self, code: str) -> T | None:
        entry = self._built.get(code)
        if entry is None:
            row = self._rows.get(code)
            if row is None:
                return None
            entry = self._built[code] = self._make(row)
        return entry

    def __contains__(self, code: object) -> bool:
        return code in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def values(self) -> Iterator[T]:
        for code in self._rows:
            entry = self.get(code)
            if entry is not None:
                yield entry

    def parents(self) -> dict[str, str | None]:
        """Code → parent code, for the nested tables (accounts, functions)."""
        return {code: row[3] for code, row in self._rows.items()}

    def merged(self, other: _Table[T]) -> tuple[_Table[T], list[str]]:
        """This table completed by ``other``'s codes; also the codes added."""
        added = [code for code in other._rows if code not in self._rows]
        table = _Table({**self._rows, **{c: other._rows[c] for c in added}}, self._make)
        table._built = dict(self._built)
        return table, added


def _descendants(parents: Mapping[str, str | None]) -> dict[str, frozenset[str]]:
    children: dict[str, list[str]] = {}
    for code, parent in parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(code)
    result: dict[str, frozenset[str]] = {}

    def visit(code: str) -> frozenset[str]:
        found = result.get(code)
        if found is None:
            members = {code}
            for child in children.get(code, ()):
                members |= visit(child)
            found = result[code] = frozenset(members)
        return found

    for code in parents:
        visit(code)
    return result


_TABLES = (
    "_chapters",
    "_function_chapters",
    "_accounts",
    "_ref_functions",
    "_function_accounts",
)


class Plan:
    """The plan de comptes of one (year, norme, declinaison)."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.exer: int = doc["exer"]
        self.norme: str = doc["norme"]
        self.declinaison: str = doc["declinaison"]
        self._chapters = _Table.of(doc["chapters"], partial(_chapter, functional=False))
        self._function_chapters = _Table.of(
            doc["function_chapters"], partial(_chapter, functional=True)
        )
        self._accounts = _Table.of(doc["accounts"], _account)
        self._ref_functions = _Table.of(doc["ref_functions"], partial(_function, is_account=False))
        self._function_accounts = _Table.of(
            doc["function_accounts"], partial(_function, is_account=True)
        )
        self._origin: dict[str, int] = {}
        self._reset_trees()

    def _reset_trees(self) -> None:
        self._account_tree: dict[str, frozenset[str]] | None = None
        self._function_tree: dict[str, frozenset[str]] | None = None
        self._ref_tree: dict[str, frozenset[str]] | None = None

    def merged_with(self, *others: Plan) -> Plan:
        """A copy of this plan completed by the codes only ``others`` know, in that order.

        Documents often keep a code of the previous year's plan (Saint-Malo's BP 2022
        uses nature 6518, present only in the 2021 M43_D plan); a merged plan resolves
        such codes while ``exer`` stays this plan's year and ``year_of`` tells where a
        code came from. Codes of this plan always win, with their labels and chapters.
        """
        merged = copy.copy(self)
        merged._origin = dict(self._origin)
        for name in _TABLES:
            table = getattr(self, name)
            for other in others:
                table, added = table.merged(getattr(other, name))
                for code in added:
                    merged._origin.setdefault(code, other.year_of(code) or other.exer)
            setattr(merged, name, table)
        merged._reset_trees()
        return merged

    def year_of(self, code: str) -> int | None:
        """The plan year a code comes from (``exer`` unless merged in from a neighbour)."""
        if code in self._origin:
            return self._origin[code]
        known = any(code in getattr(self, name) for name in _TABLES)
        return self.exer if known else None

    @property
    def nomenclature(self) -> str:
        """As written in ``EnTeteBudget/Nomenclature``: ``M14-M14_COM_SUP3500``."""
        return f"{self.norme}-{self.declinaison}"

    def __repr__(self) -> str:
        return f"<Plan {self.nomenclature} {self.exer}>"

    # -- lookups -------------------------------------------------------------------------
    def account(self, code: str) -> Account | None:
        return self._accounts.get(code)

    def chapter(self, code: str) -> Chapter | None:
        """A nature chapter (``011``, ``012``, ``20``, ``16``, ``040``, ``042``…)."""
        return self._chapters.get(code)

    def function_chapter(self, code: str) -> Chapter | None:
        return self._function_chapters.get(code)

    def function(self, code: str) -> Function | None:
        """A reference function (``RefFonc``) first, else a functional account."""
        return self._ref_functions.get(code) or self._function_accounts.get(code)

    def accounts(self) -> Iterable[Account]:
        return self._accounts.values()

    def chapters(self) -> Iterable[Chapter]:
        return self._chapters.values()

    def function_chapters(self) -> Iterable[Chapter]:
        return self._function_chapters.values()

    def functions(self) -> Iterator[Function]:
        """Reference functions, then functional accounts whose code is not one of them."""
        yield from self._ref_functions.values()
        for function in self._function_accounts.values():
            if function.code not in self._ref_functions:
                yield function

    # -- nesting -------------------------------------------------------------------------
    def account_descendants(self, code: str) -> frozenset[str]:
        """The account and every account nested under it; empty if unknown."""
        if self._account_tree is None:
            self._account_tree = _descendants(self._accounts.parents())
        return self._account_tree.get(code, frozenset())

    def function_descendants(self, code: str) -> frozenset[str]:
        """The function and every function nested under it (same tree as ``function``)."""
        if code in self._ref_functions:
            if self._ref_tree is None:
                self._ref_tree = _descendants(self._ref_functions.parents())
            return self._ref_tree[code]
        if code in self._function_accounts:
            if self._function_tree is None:
                self._function_tree = _descendants(self._function_accounts.parents())
            return self._function_tree[code]
        return frozenset()

    # -- line classification -------------------------------------------------------------
    def _any_chapter(self, code: str) -> Chapter | None:
        return self._chapters.get(code) or self._function_chapters.get(code)

    def chapter_of(self, line: BudgetLine) -> str | None:
        """The chapter a line's credits belong to.

        ``ContNat`` when it is a chapter (nature, or functional when the vote is by
        function); otherwise the chapter key of the account (``ContNat`` when it is an
        article, then ``Nature``) chosen by direction and operation type: real → ``DR``/
        ``RR``; ordre between sections (``TypOpBudg`` 2) → ``DOES``/``ROES``; inside a
        section (1) → ``DOIS``/``ROIS``; unknown type → both, between sections first.
        """
        cont_nat = (line.cont_nat or "").strip()
        if cont_nat and self._any_chapter(cont_nat) is not None:
            return cont_nat
        keys = _chapter_keys(line)
        if not keys:
            return None
        for code in (cont_nat, (line.nature or "").strip()):
            if code not in self._accounts:
                continue
            for key in keys:
                chapter = self.account_chapter(code, key)
                if chapter:
                    return chapter
        return None

    def account_chapter(self, code: str, key: str) -> str | None:
        """The chapter of an account for a key (``DR``…), also for a non-leaf account.

        Only leaves carry chapters; a line may still use a parent account (a code split
        into sub-accounts the next year, like M57's 6061 in 2024). When every leaf under
        it that has a chapter for that key agrees on it, that chapter is the account's.
        """
        account = self._accounts.get(code)
        if account is None:
            return None
        if account.chapters:
            return account.chapters.get(key)
        found = {
            chapter
            for child in self.account_descendants(code)
            if (leaf := self._accounts.get(child)) and (chapter := leaf.chapters.get(key))
        }
        return found.pop() if len(found) == 1 else None

    def section_of(self, line: BudgetLine) -> str | None:
        """``F`` or ``I``: the ``Section`` of the line's chapter."""
        code = self.chapter_of(line)
        chapter = self._any_chapter(code) if code else None
        return chapter.section if chapter is not None else None


def _chapter_keys(line: BudgetLine) -> tuple[str, ...]:
    side = (line.cod_rd or "").strip().upper()
    if side not in ("D", "R"):
        return ()
    op = (line.op_budg or "").strip()
    if op == "0":
        return (f"{side}R",)
    if op == "1":
        typ = (line.typ_op_budg or "").strip()
        if typ == "2":
            return (f"{side}OES",)
        if typ == "1":
            return (f"{side}OIS",)
        return (f"{side}OES", f"{side}OIS")
    return ()
