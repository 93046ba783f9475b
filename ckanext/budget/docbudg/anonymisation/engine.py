"""Applying the policy to a parsed document, in place.

Elements are found with :mod:`..records`, the locator every published output reads
records with: by local name, anywhere in the file, in any namespace. So a record placed
in another annex block, outside the annexes, in a nested document or with ``xmlns=""``
is seen here exactly as the annex pages and exports would see it. One XPath pass finds
every element the policy names; Python then loops over those few only. Readable paths
are built only for the elements changed.
"""

from __future__ import annotations

import hashlib
import re

from lxml import etree

from .. import records
from ..model import BudgetDocument
from ..records import Element, local_name
from .beneficiaries import classify_beneficiary, normalise
from .policy import (
    DEFAULT_POLICY,
    FIELD_OWNERS,
    KNOWN_REPLACEMENTS,
    RULES,
    AnonymisationPolicy,
    Condition,
    Rule,
    Scope,
)
from .report import AnonymisationReport

_LEGAL_NATURE = re.compile(r"^[PU][0-9]$")
_BENEFICIARY_CONDITIONS = (Condition.NATURAL_PERSON, Condition.NOT_ORGANISATION)
_PRIVATE_RECORD_CONDITIONS = (*_BENEFICIARY_CONDITIONS, Condition.NOT_PUBLIC_BODY)
_ORDER = (Scope.RECORD, Scope.ELEMENT, Scope.ATTRIBUTES, Scope.REMOVED, Scope.FREE_TEXT)
_STRAY_TEXT = etree.XPath("//text()[normalize-space()]")


def _remove(el: Element) -> None:
    """Remove an element; lxml drops its tail with it, so keep the layout of the last line."""
    parent = el.getparent()
    if parent is None:
        return
    if el.getnext() is None and el.tail is not None and not el.tail.strip():
        previous = el.getprevious()
        if previous is not None:
            previous.tail = el.tail
        else:
            parent.text = el.tail
    parent.remove(el)


def _empty(el: Element) -> bool:
    """Whether ``el`` says nothing at all: no attribute value, text or child."""
    return (
        len(el) == 0
        and not (el.text or "").strip()
        and not any(value.strip() for value in el.attrib.values())
    )


def _only_value(el: Element) -> bool:
    """Whether ``el`` holds nothing but its ``V`` (no other attribute, text or child)."""
    return len(el) == 0 and not (el.text or "").strip() and all(a == "V" for a in el.attrib)


class _Run:
    """State of one anonymisation run (the report, path caches, distinct persons)."""

    def __init__(self, doc: BudgetDocument, policy: AnonymisationPolicy) -> None:
        self.doc = doc
        self.policy = policy
        self.report = AnonymisationReport(
            replacement=policy.replacement, strict_beneficiaries=policy.strict_beneficiaries
        )
        self.markers = {normalise(m) for m in (*KNOWN_REPLACEMENTS, policy.replacement)}
        self._positions: dict[tuple[Element, str], dict[Element, int]] = {}
        self._paths: dict[Element, tuple[str, str | None]] = {}
        # Digests of the persons' labels, to count distinct persons; dropped with the run.
        self._persons: set[bytes] = set()
        # Labels repeat (a lender, a guaranteed body): classify each once per run.
        self._kinds: dict[tuple[str, bool], str] = {}
        names = {r.element for r in RULES if r.scope is not Scope.FREE_TEXT} | set(FIELD_OWNERS)
        self.found = records.find(doc.root, names)

    # -- paths -------------------------------------------------------------------------
    def _step(self, el: Element) -> str:
        parent = el.getparent()
        if not isinstance(el.tag, str):  # a comment or a processing instruction
            name = "comment()" if el.tag is etree.Comment else "processing-instruction()"
        else:
            name = local_name(el.tag)
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

    def path(self, el: Element) -> tuple[str, str | None]:
        """Readable path from the root (excluded) and the annex block it stands in."""
        known = self._paths.get(el)
        if known is not None:
            return known
        parent = el.getparent()
        if parent is None:
            found: tuple[str, str | None] = ("", None)
        else:
            above, annex = self.path(parent)
            step = self._step(el)
            if annex is None and step.startswith("DATA_"):
                annex = step.split("[", 1)[0]
            found = (f"{above}/{step}" if above else step, annex)
        self._paths[el] = found
        return found

    def attached(self, el: Element) -> bool:
        """Whether ``el`` is still in the document (not inside something removed)."""
        top = el
        for top in el.iterancestors():  # noqa: B007 - the last ancestor is the top
            pass
        return top is self.doc.root

    def note(self, rule: Rule, el: Element, suffix: str = "") -> None:
        path, annex = self.path(el)
        self.report.add(rule.id, path + suffix, annex)

    # -- primitive changes -------------------------------------------------------------
    def is_marker(self, value: str) -> bool:
        return normalise(value) in self.markers

    def occult(self, rule: Rule, el: Element) -> bool:
        """Replace the value of ``el`` and leave nothing else of it (attributes, text,
        children, comments)."""
        value = el.get("V")
        if _empty(el):
            return False
        if _only_value(el) and self.is_marker(value):
            self.report.already_occulted += 1
            return False
        self.note(rule, el)
        el.attrib.clear()
        el.text = None
        for child in list(el):
            el.remove(child)
        el.set("V", self.policy.replacement)
        return True

    def occult_attribute(self, rule: Rule, el: Element, name: str) -> bool:
        value = el.get(name)
        if value is None or not value.strip():
            return False
        if self.is_marker(value):
            self.report.already_occulted += 1
            return False
        self.note(rule, el, f"/@{local_name(name)}")
        el.set(name, self.policy.replacement)
        return True

    def remove(self, rule: Rule, el: Element) -> bool:
        self.note(rule, el)
        _remove(el)
        return True

    def keep_only_value(self, rule: Rule, el: Element) -> bool:
        """A kept field loses what is not its ``V``: nothing else in it can be classified."""
        if _only_value(el):
            return False
        self.note(rule, el)
        value = el.get("V")
        el.attrib.clear()
        el.text = None
        for child in list(el):
            el.remove(child)
        if value is not None:
            el.set("V", value)
        return True

    # -- conditions --------------------------------------------------------------------
    def classify(self, label: str, siret: str | None = None) -> str:
        key = (label, bool(siret and siret.strip()))
        kind = self._kinds.get(key)
        if kind is None:
            kind = self._kinds[key] = classify_beneficiary(label, siret=siret)
        return kind

    def beneficiary_reason(self, rule: Rule, record: Element) -> str | None:
        """``person``, ``uncertain`` or ``None`` (keep) for a record without a usable code:
        every occurrence of the label must be an organisation's for the record to be kept."""
        labels = records.values(record, rule.label) if rule.label else []
        if not labels or any(self.is_marker(label) for label in labels):
            return "uncertain"
        siret = records.first_value(record, "Siret")
        kinds = {self.classify(label, siret) for label in labels}
        if "person" in kinds:
            return "person"
        if kinds == {"organisation"} and not self.policy.strict_beneficiaries:
            self.report.organisations_kept += 1
            return None
        return "uncertain"

    def is_person_label(self, value: str | None) -> bool:
        """Occult a marker too, so that it counts as already occulted."""
        return bool(value) and (self.is_marker(value) or self.classify(value) == "person")

    def reason(self, rule: Rule, record: Element) -> str | None:
        """Why the rule applies to this record (``None``: it does not). Repeated code
        fields are read together: one of them saying "person" is enough."""
        condition = rule.condition
        if condition in (Condition.ALWAYS, Condition.PERSON_LABEL):
            return "always"
        codes = [code.strip().upper() for code in records.values(record, rule.code or "")]
        if condition is Condition.NOT_PUBLIC_BODY:
            return None if codes and all(code == "U" for code in codes) else "private"
        if condition is Condition.NATURAL_PERSON and codes:
            if "P3" in codes:
                return "person"
            if all(_LEGAL_NATURE.match(code) for code in codes):
                return None
        return self.beneficiary_reason(rule, record)

    # -- rules -------------------------------------------------------------------------
    def apply_record(self, rule: Rule, record: Element) -> None:
        reason = self.reason(rule, record)
        labels = records.values(record, rule.label) if reason == "person" and rule.label else []
        changed = 0
        for child in records.fields(record, *rule.fields, *rule.removed_fields):
            name = local_name(child.tag)
            if name in rule.removed_fields and reason is not None:
                changed += self.remove(rule, child)
            elif name in rule.removed_fields:
                changed += self.keep_only_value(rule, child)
            elif name in rule.fields:
                occult = reason is not None and (
                    rule.condition is not Condition.PERSON_LABEL
                    or self.is_person_label(child.get("V"))
                )
                changed += self.occult(rule, child) if occult else self.keep_only_value(rule, child)
        if reason is None or rule.condition not in _PRIVATE_RECORD_CONDITIONS:
            return
        if record.attrib:
            self.note(rule, record, "/@*")
            record.attrib.clear()
        if not changed or rule.condition not in _BENEFICIARY_CONDITIONS:
            return
        if reason == "person":
            self.report.natural_person_records += 1
            for label in labels:
                if not self.is_marker(label):
                    self._persons.add(hashlib.blake2b(normalise(label).encode()).digest())
            self.report.natural_persons = len(self._persons)
        else:
            self.report.uncertain_beneficiaries += 1

    def run_record(self, rule: Rule) -> None:
        for record in self.found[rule.element]:
            self.apply_record(rule, record)

    def run_stray_fields(self) -> None:
        """A field found outside the records it belongs to: whose it is cannot be told."""
        rules = {n: r for r in RULES for n in r.fields + r.removed_fields}
        for name, owners in FIELD_OWNERS.items():
            for el in self.found[name]:
                parent = el.getparent()
                if parent is None or not self.attached(el):
                    continue  # removed with its record's field, or the root itself
                if local_name(parent.tag) not in owners:
                    self.occult(rules[name], el)

    def run_element(self, rule: Rule) -> None:
        for el in self.found[rule.element]:
            self.occult(rule, el)

    def run_attributes(self, rule: Rule) -> None:
        wanted = {name.removeprefix("@") for name in rule.fields}
        for el in self.found[rule.element]:
            for name in list(el.attrib):
                if local_name(name) in wanted:
                    self.occult_attribute(rule, el, name)

    def run_removed(self, rule: Rule) -> None:
        for el in self.found[rule.element]:
            if el.getparent() is not None and self.attached(el):
                self.remove(rule, el)

    def run_free_text(self, rule: Rule) -> None:
        """Text, comments and processing instructions: in the tree and around the root
        (``to_bytes`` writes the root element only)."""
        root = self.doc.root
        for _ in root.itersiblings(preceding=True):
            self.report.add(rule.id, "(prologue)")
        for _ in root.itersiblings():
            self.report.add(rule.id, "(epilogue)")
        for node in list(root.iter(etree.Comment, etree.PI)):
            self.remove(rule, node)
        # Real documents hold whitespace only: a serialisation of the text (C-level) says
        # so faster than looking at each node.
        if not etree.tostring(root, method="text", encoding="unicode").strip():
            return
        for text in _STRAY_TEXT(root):
            parent = text.getparent()
            if text.is_tail:
                self.note(rule, parent, "/following-sibling::text()")
                parent.tail = None
            else:
                self.note(rule, parent, "/text()")
                parent.text = None

    def run_integrity(self, rule: Rule) -> None:
        if not self.report.changed:
            return
        for el in self.found[rule.element]:
            self.remove(rule, el)

    def run(self) -> AnonymisationReport:
        runners = {
            Scope.RECORD: self.run_record,
            Scope.ELEMENT: self.run_element,
            Scope.ATTRIBUTES: self.run_attributes,
            Scope.REMOVED: self.run_removed,
            Scope.FREE_TEXT: self.run_free_text,
        }
        for scope in _ORDER:
            for rule in RULES:
                if rule.scope is scope:
                    runners[scope](rule)
            if scope is Scope.RECORD:
                self.run_stray_fields()
        # Seals last: they are removed only if something else changed.
        for rule in RULES:
            if rule.scope is Scope.INTEGRITY:
                self.run_integrity(rule)
        return self.report


def anonymise(
    doc: BudgetDocument, policy: AnonymisationPolicy = DEFAULT_POLICY
) -> AnonymisationReport:
    """Occult the personal data of ``doc.tree`` in place and say what was done.

    Structure, amounts and every other value are unchanged; running it again changes
    nothing (the second report counts the values as ``already_occulted``).
    """
    return _Run(doc, policy).run()
