"""Applying the policy to a parsed document, in place.

Speed matters (a département's CA is 10–20 MB, a portal holds thousands of documents), so
each rule is one targeted ``iterfind``/``iter`` over the few elements it concerns; nothing
walks the whole tree in Python. Readable paths are built only for the elements changed.
"""

from __future__ import annotations

import hashlib
import re
from functools import cached_property, lru_cache
from typing import NamedTuple

from lxml import etree

from ..model import NS, NS_CFU, NS_COMPTABLE, BudgetDocument, q
from .beneficiaries import classify_beneficiary, normalise
from .policy import (
    DEFAULT_POLICY,
    KNOWN_REPLACEMENTS,
    RULES,
    AnonymisationPolicy,
    Condition,
    Rule,
    Scope,
)
from .report import AnonymisationReport

NS_DSIG = "http://www.w3.org/2000/09/xmldsig#"
_LEGAL_NATURE = re.compile(r"^[PU][0-9]$")
_NAMESPACES = {"Scellement": NS, "Signature": NS_DSIG}
_BENEFICIARY_CONDITIONS = (Condition.NATURAL_PERSON, Condition.NOT_ORGANISATION)
# Conditions that read only the field they occult: no need to look at the whole record.
_FIELD_CONDITIONS = (Condition.ALWAYS, Condition.PERSON_LABEL)


class Place(NamedTuple):
    """Known readable path of an annex record, to avoid computing it per field."""

    path: str
    annex: str | None
    element: etree._Element


def _local(tag: str) -> str:
    return tag[tag.index("}") + 1 :] if tag[:1] == "{" else tag


@lru_cache(maxsize=256)
def _q(name: str) -> str:
    return q(name)


def _value(record: etree._Element, name: str | None) -> str | None:
    """``V`` of the first child ``name`` (C-level child scan: ``find`` costs 10× more)."""
    if name is None:
        return None
    for child in record.iterchildren(_q(name)):
        return child.get("V")
    return None


def _remove(el: etree._Element) -> None:
    """Remove an element; lxml drops its tail with it, so keep the layout of the last line."""
    parent = el.getparent()
    if parent is None:
        return
    if el.getnext() is None and el.tail is not None:
        previous = el.getprevious()
        if previous is not None:
            previous.tail = el.tail
        else:
            parent.text = el.tail
    parent.remove(el)


class _Run:
    """State of one anonymisation run (the report, path caches, distinct persons)."""

    def __init__(self, doc: BudgetDocument, policy: AnonymisationPolicy) -> None:
        self.doc = doc
        self.policy = policy
        self.report = AnonymisationReport(
            replacement=policy.replacement, strict_beneficiaries=policy.strict_beneficiaries
        )
        self.markers = {normalise(m) for m in (*KNOWN_REPLACEMENTS, policy.replacement)}
        self._positions: dict[tuple[etree._Element, str], dict[etree._Element, int]] = {}
        # Digests of the persons' labels, to count distinct persons; dropped with the run.
        self._persons: set[bytes] = set()
        # Labels repeat (a lender, a guaranteed body): classify each once per run.
        self._kinds: dict[tuple[str, bool], str] = {}

    # -- paths -------------------------------------------------------------------------
    def _step(self, el: etree._Element) -> str:
        parent = el.getparent()
        name = _local(el.tag)
        if parent is None:
            return name
        # Indexed among the siblings of the same name only: the annexes' step must not
        # index the tens of thousands of budget lines before them.
        key = (parent, el.tag)
        index = self._positions.get(key)
        if index is None:
            children = parent.iterchildren(el.tag)
            index = self._positions[key] = {child: n for n, child in enumerate(children, 1)}
        return f"{name}[{index[el]}]" if len(index) > 1 else name

    def path(
        self, el: etree._Element, attribute: str | None = None, place: Place | None = None
    ) -> tuple[str, str | None]:
        """Readable path from the document's root (excluded) and the annex block, if any.

        ``place`` is the already known path of ``el``'s parent record (annex rules).
        """
        suffix = f"/@{attribute}" if attribute else ""
        if place is not None:
            if el is place.element:
                return place.path + suffix, place.annex
            return f"{place.path}/{_local(el.tag)}{suffix}", place.annex
        steps = []
        node = el
        root = self.doc.root
        while node is not None and node is not root:
            steps.append(self._step(node))
            node = node.getparent()
        steps.reverse()
        annex = next((s for s in steps if s.startswith("DATA_")), None)
        annex = annex.split("[", 1)[0] if annex else None
        return "/".join(steps) + suffix, annex

    # -- primitive changes -------------------------------------------------------------
    def is_marker(self, value: str) -> bool:
        return normalise(value) in self.markers

    def occult(
        self, rule: Rule, el: etree._Element, attribute: str = "V", place: Place | None = None
    ) -> bool:
        value = el.get(attribute)
        if value is None or not value.strip():
            return False
        if self.is_marker(value):
            self.report.already_occulted += 1
            return False
        path, annex = self.path(el, None if attribute == "V" else attribute, place)
        el.set(attribute, self.policy.replacement)
        self.report.add(rule.id, path, annex)
        return True

    def remove(self, rule: Rule, el: etree._Element, place: Place | None = None) -> bool:
        path, annex = self.path(el, None, place)
        _remove(el)
        self.report.add(rule.id, path, annex)
        return True

    # -- rules -------------------------------------------------------------------------
    def classify(self, label: str, siret: str | None = None) -> str:
        key = (label, bool(siret and siret.strip()))
        kind = self._kinds.get(key)
        if kind is None:
            kind = self._kinds[key] = classify_beneficiary(label, siret=siret)
        return kind

    def beneficiary_reason(self, rule: Rule, record: etree._Element) -> str | None:
        """``person``, ``uncertain`` or ``None`` (keep) for a record without a usable code."""
        label = _value(record, rule.label) or ""
        if self.is_marker(label):
            return "uncertain"
        kind = self.classify(label, _value(record, "Siret"))
        if kind == "person":
            return "person"
        if kind == "organisation" and not self.policy.strict_beneficiaries:
            self.report.organisations_kept += 1
            return None
        return "uncertain"

    def is_person_label(self, value: str | None) -> bool:
        """Occult a marker too, so that it counts as already occulted."""
        return bool(value) and (self.is_marker(value) or self.classify(value) == "person")

    def reason(self, rule: Rule, record: etree._Element) -> str | None:
        """Why the rule applies to this record (``None``: it does not)."""
        condition = rule.condition
        if condition is Condition.ALWAYS:
            return "always"
        if condition is Condition.NOT_PUBLIC_BODY:
            code = (_value(record, rule.code) or "").strip()
            return None if code == "U" else "private"
        if condition is Condition.NATURAL_PERSON:
            code = (_value(record, rule.code) or "").strip().upper()
            if _LEGAL_NATURE.match(code):
                return "person" if code == "P3" else None
        return self.beneficiary_reason(rule, record)

    def apply_record(self, rule: Rule, record: etree._Element, place: Place | None = None) -> None:
        reason = self.reason(rule, record)
        if reason is None:
            return
        label = _value(record, rule.label) if rule.label else None
        changed = 0
        if rule.fields:
            for child in record.iterchildren(*map(_q, rule.fields)):
                changed += self.occult(rule, child, place=place)
        if rule.removed_fields:
            for child in list(record.iterchildren(*map(_q, rule.removed_fields))):
                changed += self.remove(rule, child, place)
        if not changed or rule.condition not in _BENEFICIARY_CONDITIONS:
            return
        if reason == "person":
            self.report.natural_person_records += 1
            if label and not self.is_marker(label):
                self._persons.add(hashlib.blake2b(normalise(label).encode()).digest())
            self.report.natural_persons = len(self._persons)
        else:
            self.report.uncertain_beneficiaries += 1

    @cached_property
    def annexes(self) -> list[etree._Element]:
        """Every ``Annexes`` of the budget, looked up once (the budget holds every line);
        the XSD allows one, but an invalid document must not keep a second one unread."""
        budget = self.doc.budget
        return [] if budget is None else list(budget.iterchildren(_q("Annexes")))

    def run_annex(self, rule: Rule) -> None:
        block_tag, record_tag = _q(rule.block_name), _q(rule.element)
        blocks = (b for annexes in self.annexes for b in annexes.iterchildren(block_tag))
        for block in blocks:
            if rule.condition in _FIELD_CONDITIONS:
                self.run_fields(rule, block, record_tag)
                continue
            block_path, annex = self.path(block)
            for index, record in enumerate(block.iterchildren(record_tag), 1):
                place = Place(f"{block_path}/{rule.element}[{index}]", annex, record)
                self.apply_record(rule, record, place)

    def run_fields(self, rule: Rule, block: etree._Element, record_tag: str) -> None:
        """Rules decided field by field: one C-level scan for the fields, no record loop."""
        removed = set(map(_q, rule.removed_fields))
        for el in list(block.iter(*map(_q, rule.fields + rule.removed_fields))):
            record = el.getparent()
            if record.tag != record_tag or record.getparent() is not block:
                continue
            if el.tag in removed:
                self.remove(rule, el)
            elif rule.condition is Condition.ALWAYS or self.is_person_label(el.get("V")):
                self.occult(rule, el)

    def run_budget_path(self, rule: Rule) -> None:
        path = "/".join(q(step) for step in rule.element.split("/"))
        for el in self.doc.budget_root.iterfind(path):
            self.apply_record(rule, el)

    def run_anywhere(self, rule: Rule) -> None:
        for el in self.doc.budget_root.iter(q(rule.element)):
            self.occult(rule, el)

    def run_cfu(self, rule: Rule) -> None:
        if not self.doc.is_cfu:
            return
        tag = f"{{{NS_COMPTABLE}}}{rule.element}"
        for part in self.doc.root.iterfind(f"{{{NS_COMPTABLE}}}DocumentComptable"):
            for el in part.iter(tag):
                for name in rule.fields:
                    self.occult(rule, el, name.removeprefix("@"))

    def run_cfu_root(self, rule: Rule) -> None:
        if not self.doc.is_cfu:
            return
        for el in self.doc.root.findall(f"{{{NS_CFU}}}{rule.element}"):
            self.remove(rule, el)

    def run_integrity(self, rule: Rule) -> None:
        if not self.report.changed:
            return
        namespace = _NAMESPACES[rule.element]
        for el in self.doc.budget_root.findall(f"{{{namespace}}}{rule.element}"):
            self.remove(rule, el)

    def run(self) -> AnonymisationReport:
        runners = {
            Scope.ANNEX: self.run_annex,
            Scope.BUDGET_PATH: self.run_budget_path,
            Scope.ANYWHERE: self.run_anywhere,
            Scope.CFU: self.run_cfu,
            Scope.CFU_ROOT: self.run_cfu_root,
            Scope.INTEGRITY: self.run_integrity,
        }
        # Seals and signatures last: they are removed only if something else changed.
        for rule in sorted(RULES, key=lambda r: r.scope is Scope.INTEGRITY):
            runners[rule.scope](rule)
        return self.report


def anonymise(
    doc: BudgetDocument, policy: AnonymisationPolicy = DEFAULT_POLICY
) -> AnonymisationReport:
    """Occult the personal data of ``doc.tree`` in place and say what was done.

    Structure, amounts and every other value are unchanged; running it again changes
    nothing (the second report counts the values as ``already_occulted``).
    """
    return _Run(doc, policy).run()
