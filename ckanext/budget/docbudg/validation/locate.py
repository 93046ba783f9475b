"""Readable locations: ``Budget/LigneBudget[12]/Nature`` rather than ``/*/*[7]/*[24]``.

Paths start below the ``DocumentBudgetaire`` element (also inside a compte financier
unique), name elements without namespace and number an element (from 1) only when its
parent holds several elements of that name.
"""

from __future__ import annotations

import re

from lxml import etree

_PREFIXED_STEP = re.compile(r"\b[A-Za-z_][\w.-]*:([A-Za-z_][\w.-]*)")


def local_name(tag: object) -> str:
    if not isinstance(tag, str):
        return ""
    return tag[tag.index("}") + 1 :] if tag.startswith("{") else tag


def readable_path(element: etree._Element, top: etree._Element) -> str:
    """Path of ``element`` relative to ``top`` (``top`` itself is named by its own name)."""
    steps: list[str] = []
    node: etree._Element | None = element
    while node is not None and node is not top:
        tag = node.tag
        name = local_name(tag)
        before = sum(1 for _ in node.itersiblings(tag, preceding=True))
        if before or next(node.itersiblings(tag), None) is not None:
            name = f"{name}[{before + 1}]"
        steps.append(name)
        node = node.getparent()
    if node is None or not steps:
        return local_name(element.tag)
    return "/".join(reversed(steps))


def element_at(validated: etree._Element, libxml_path: str | None) -> etree._Element | None:
    """The element an XSD error's path points to; the path is relative to what was validated.

    libxml2 writes ``/*/*[7]/ano:DocumentRapport``; the prefix of a foreign element is the
    document's, unknown here, so such steps are matched by local name.
    """
    if not libxml_path or not libxml_path.startswith("/*"):
        return None
    rest = libxml_path[2:].lstrip("/")
    if not rest:
        return validated
    rest = _PREFIXED_STEP.sub(lambda m: f"*[local-name()='{m.group(1)}']", rest)
    try:
        found = validated.xpath(rest)
    except etree.XPathError:
        return None
    return found[0] if isinstance(found, list) and found else None


def line_path(index: int, field: str | None = None) -> str:
    """Path of a budget line (``BudgetLine.index`` counts from 0) or of one of its fields."""
    path = f"Budget/LigneBudget[{index + 1}]"
    return f"{path}/{field}" if field else path
