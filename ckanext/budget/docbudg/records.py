"""Where a document's records and their fields are: one answer for every reader.

The anonymiser and everything that publishes records (annex tables, the SCDL subsidies
export, indicators, annex checks) find them here, so a record an output can show is a
record the anonymiser has seen. The answer is the widest the reader lets through: an
element is found by its local name wherever it stands in the file (in its annex block,
in another block, outside the annexes, in a nested document) and whatever its namespace
(the document's, another, none: ``xmlns=""``); a field is any child of that local name,
every occurrence of it.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

Element = etree._Element


def local_name(tag: str) -> str:
    """``CONCOURS`` for ``{namespace}CONCOURS`` and for ``CONCOURS``."""
    return tag[tag.index("}") + 1 :] if tag[:1] == "{" else tag


def find(root: Element, names: Iterable[str]) -> dict[str, list[Element]]:
    """Every element named one of ``names`` under ``root`` (itself included), in
    document order, by name."""
    wanted = set(names)
    found: dict[str, list[Element]] = {name: [] for name in wanted}
    if wanted:
        # One C-level pass (``{*}``: any namespace, or none); only matches reach Python.
        for element in root.iter(*(f"{{*}}{name}" for name in wanted)):
            found[local_name(element.tag)].append(element)
    return found


def elements(root: Element, name: str) -> list[Element]:
    """Every element named ``name`` under ``root`` (see :func:`find`)."""
    return find(root, (name,))[name]


def fields(record: Element, *names: str) -> list[Element]:
    """Every child of ``record`` named one of ``names``, in any namespace."""
    tags = [f"{{*}}{name}" for name in names if name]
    return list(record.iterchildren(*tags)) if tags else []


def values(record: Element, name: str) -> list[str]:
    """The ``V`` of every child named ``name`` that has one."""
    return [value for child in fields(record, name) if (value := child.get("V")) is not None]


def first_value(record: Element, name: str) -> str | None:
    found = values(record, name)
    return found[0] if found else None


def as_row(record: Element) -> dict[str, str]:
    """A record as ``{field: V}``: the first value of each field, as readers show it."""
    row: dict[str, str] = {}
    for child in record.iterchildren(etree.Element):
        name = local_name(child.tag)
        value = child.get("V")
        if value is not None and name not in row:
            row[name] = value
    return row
