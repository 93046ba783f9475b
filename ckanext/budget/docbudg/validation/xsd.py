"""Layer 3: the official XSD (bundled V95), with the version gap told apart from defects.

V95 validates documents up to ``VersionSchema`` 97. Newer documents (100–115 in the wild)
fail only where a later schema added an element, an attribute or an enumeration value; for
them those failures are warnings naming the gap, grouped by name, while every other failure
stays an error. Each libxml2 error is classified by its type and the fixed wording of its
message, and our own message is rebuilt from element and attribute names and what the
schema expects: libxml2's text quotes the offending value, which may be personal data.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from ..messages import Message
from ..model import NS, BudgetDocument, q
from .locate import element_at, local_name, readable_path
from .report import ERROR, INFO, LAYER_SCHEMA, WARNING, FindingCollector

XSD_DIR = Path(__file__).resolve().parent.parent / "schemas" / "xsd" / "v95"
XSD_ENTRY = XSD_DIR / "DocumentBudgetaire.xsd"
BUNDLED_VERSION = 95
MAX_VERSION_COVERED = 97
"""Highest ``VersionSchema`` the bundled V95 schema fully validates."""

_local = threading.local()
_XS = "{http://www.w3.org/2001/XMLSchema}"


@functools.cache
def declared_elements() -> frozenset[str]:
    """Every element name V95 declares, wherever: tells an addition from a misplacement."""
    names: set[str] = set()
    for path in XSD_DIR.glob("*.xsd"):
        tree = etree.parse(str(path), etree.XMLParser(no_network=True, load_dtd=False))
        names.update(el.get("name") for el in tree.iter(f"{_XS}element") if el.get("name"))
    return frozenset(names)


def bundled_schema() -> etree.XMLSchema:
    """The compiled V95 schema, built once per thread.

    An lxml validator keeps the error log of its last run on itself, so threads (a CKAN
    worker pool) must not share one; compiling takes about 20 ms.
    """
    schema = getattr(_local, "schema", None)
    if schema is None:
        parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
        schema = etree.XMLSchema(etree.parse(str(XSD_ENTRY), parser))
        _local.schema = schema
    return schema


_SKIPPED_ANNEXES = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns="{NS}"
    targetNamespace="{NS}" elementFormDefault="qualified">
  <xs:complexType name="TAnnexes">
    <xs:sequence>
      <xs:any processContents="skip" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence>
    <xs:anyAttribute processContents="skip"/>
  </xs:complexType>
</xs:schema>""".encode()
_ANNEXES_ROOT = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns="{NS}"
    targetNamespace="{NS}" elementFormDefault="qualified">
  <xs:include schemaLocation="DocumentBudgetaire.xsd"/>
  <xs:element name="Annexes" type="TAnnexes"/>
</xs:schema>"""


class _AnnexesUnchecked(etree.Resolver):
    """Serves a ``Class_Annexes.xsd`` whose ``TAnnexes`` takes any content unchecked."""

    def resolve(self, system_url: str, public_id: str, context: object) -> object:
        if system_url.replace("\\", "/").rsplit("/", 1)[-1] == "Class_Annexes.xsd":
            return self.resolve_string(_SKIPPED_ANNEXES, context, base_url=system_url)
        return None


def split_schemas() -> tuple[etree.XMLSchema, etree.XMLSchema]:
    """V95 without the annexes' content, and V95's ``TAnnexes`` as a root element.

    Together they make the same checks as :func:`bundled_schema` (see
    ``_SchemaCheck._errors``); built once per thread, like it.
    """
    schemas = getattr(_local, "split", None)
    if schemas is not None:
        return schemas
    outer_parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    outer_parser.resolvers.add(_AnnexesUnchecked())
    outer = etree.XMLSchema(etree.parse(str(XSD_ENTRY), outer_parser))
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    root = etree.XML(_ANNEXES_ROOT, parser, base_url=str(XSD_DIR / "AnnexesRoot.xsd"))
    _local.split = (outer, etree.XMLSchema(root))
    return _local.split


# -- messages ---------------------------------------------------------------------------
_HINT_EXPORT = Message(
    "Corrigez la saisie dans TotEM ou dans votre logiciel financier puis exportez à nouveau "
    "le document ; ne modifiez pas le XML à la main.",
    "Fix the entry in TotEM or your finance software and export the document again; do not "
    "edit the XML by hand.",
)
_HINT_NEWER = Message(
    "Rien à faire si le document vient d'un outil à jour : ces ajouts des versions récentes "
    "du schéma sont publiés tels quels, sans être vérifiés. Si le document déclare une version "
    "plus récente que celle de votre outil, signalez-le à l'administrateur du portail.",
    "Nothing to do if the document comes from an up-to-date tool: these additions of recent "
    "schema versions are published as they are, unchecked. If the document declares a newer "
    "version than your tool's, tell the portal administrator.",
)
_HINT_MISPLACED = Message(
    "Si le document vient d'un outil à jour, rien à faire. Sinon, vérifiez dans TotEM ou votre "
    "logiciel financier qu'aucune information obligatoire ne manque, puis exportez à nouveau.",
    "If the document comes from an up-to-date tool, nothing to do. Otherwise check in TotEM or "
    "your finance software that no required information is missing, then export again.",
)
_VERSION_NEWER = Message(
    "Le document suit la version {version} du schéma ; le portail vérifie avec la version "
    "{bundled}, valable jusqu'à la version {covered}. Tout ce que la version {bundled} connaît "
    "a été vérifié.",
    "The document follows schema version {version}; the portal checks with version {bundled}, "
    "valid up to version {covered}. Everything version {bundled} knows has been checked.",
)
_VERSION_NEWER_UNCHECKED = Message(
    "Le document suit la version {version} du schéma ; le portail vérifie avec la version "
    "{bundled}, valable jusqu'à la version {covered}, et ne peut donc pas vérifier ce que les "
    "versions suivantes ont ajouté : {additions}. Tout le reste a été vérifié.",
    "The document follows schema version {version}; the portal checks with version {bundled}, "
    "valid up to version {covered}, so it cannot check what later versions added: "
    "{additions}. Everything else has been checked.",
)
_ADDITION_KINDS = {
    "xsd_newer_element": Message("éléments {names}", "elements {names}"),
    "xsd_newer_attribute": Message("attributs {names}", "attributes {names}"),
    "xsd_newer_value": Message(
        "valeurs hors liste de {names}", "values outside the list of {names}"
    ),
}
"""The version-gap findings merged into the one information item, in the order they are listed."""
_MISPLACED_NEWER = Message(
    "Élément « {element} » inattendu à cet endroit (dans {parent}) : le schéma V{bundled} le "
    "connaît ailleurs. Une version plus récente (le document déclare la version {version}) "
    "l'a peut-être déplacé, sinon un élément obligatoire manque avant lui. "
    "{count} occurrence(s), la première ligne {line}.",
    "Element '{element}' is not expected here (in {parent}): schema V{bundled} knows it "
    "elsewhere. A newer version (the document declares version {version}) may have moved it; "
    "otherwise a required element is missing before it. {count} occurrence(s), the first on "
    "line {line}.",
)
_UNEXPECTED_ELEMENT = Message(
    "Élément « {element} » inattendu à cet endroit (dans {parent}). Attendu : {expected_fr}.",
    "Element '{element}' is not expected here (in {parent}). Expected: {expected_en}.",
)
_MISSING_ELEMENT = Message(
    "Il manque un élément obligatoire dans « {element} ». Attendu : {expected_fr}.",
    "A required element is missing in '{element}'. Expected: {expected_en}.",
)
_UNKNOWN_ATTRIBUTE = Message(
    "L'attribut « {attribute} » n'est pas permis sur l'élément « {element} ».",
    "Attribute '{attribute}' is not allowed on element '{element}'.",
)
_MISSING_ATTRIBUTE = Message(
    "L'attribut obligatoire « {attribute} » manque sur l'élément « {element} ».",
    "Required attribute '{attribute}' is missing on element '{element}'.",
)
_INVALID_VALUE = Message(
    "La valeur de l'attribut « {attribute} » de l'élément « {element} » ne respecte pas le "
    "schéma ({rule}).",
    "The value of attribute '{attribute}' of element '{element}' does not follow the schema "
    "({rule}).",
)
_INVALID = Message(
    "L'élément « {element} » ne respecte pas le schéma (règle {kind}).",
    "Element '{element}' does not follow the schema (rule {kind}).",
)

# -- parsing libxml2's fixed wording (never its quoted values) ----------------------------
_HEAD = re.compile(r"^Element '(?:\{[^}]*\})?([^']+)'(?:, attribute '([^']+)')?: ")
_EXPECTED = re.compile(r"Expected is (?:one of )?\( ([^)]*) \)")
_QNAME_NS = re.compile(r"\{[^}]*\}")
_FACET = re.compile(r"^\[facet '(\w+)'\]")
_TRAILING_NUMBER = re.compile(r"'(\d+)'\.?$")
_TYPE_NAME = re.compile(r"(?:atomic|list|union) type '(?:\{[^}]*\})?([\w.-]+)'\.?$")
_MAX_LIST = 10

_ELEMENT_ERRORS = {"SCHEMAV_ELEMENT_CONTENT"}
_VALUE_ERROR_PREFIX = "SCHEMAV_CVC_"
_CHECKED_LATER = {
    ("EnTeteDocBudgetaire", "IdColl"),
    ("EnTeteBudget", "IdEtab"),
    ("BlocBudget", "NatDec"),
    ("BlocBudget", "Exer"),
    ("LigneBudget", "CodRD"),
    ("LigneBudget", "OpBudg"),
}
"""Values layers 4 and 5 check more precisely (SIRET key, plausible year, stage CFU 10,
direction and operation type outside calculated totals): one finding, not two."""
_CHECKED_LATER_NAMES = {name for _, name in _CHECKED_LATER}


def _names(text: str) -> str:
    names = [n.strip() for n in _QNAME_NS.sub("", text).split(",") if n.strip()]
    shown = ", ".join(names[:_MAX_LIST])
    return shown + (", …" if len(names) > _MAX_LIST else "")


def _value_rule(body: str) -> tuple[str, bool]:
    """A readable statement of the rule a value broke, and whether it is an enumeration."""
    facet = _FACET.match(body)
    if facet and facet.group(1) == "enumeration":
        start = body.rfind(" the set {")
        values = body[start + len(" the set {") :].rstrip(".}") if start >= 0 else ""
        listed = [v.strip().strip("'") for v in values.split(",") if v.strip()]
        shown = ", ".join(listed[:_MAX_LIST]) + (", …" if len(listed) > _MAX_LIST else "")
        return f"enumeration: {shown}", True
    if facet and facet.group(1) == "pattern":
        start = body.rfind("by the pattern '")
        pattern = body[start + len("by the pattern '") :].rstrip(".'") if start >= 0 else ""
        return f"pattern {pattern}", False
    if facet:
        limit = _TRAILING_NUMBER.search(body)
        return f"{facet.group(1)} {limit.group(1)}" if limit else facet.group(1), False
    type_name = _TYPE_NAME.search(body)
    if type_name:
        return f"type {type_name.group(1)}", False
    return "type", False


@dataclass
class _Group:
    """Occurrences of one version-gap warning."""

    line: int | None
    path: str | None
    count: int = 0
    on: list[str] = field(default_factory=list)


class _SchemaCheck:
    def __init__(self, doc: BudgetDocument, collector: FindingCollector) -> None:
        self.doc = doc
        self.top = doc.budget_root
        self.collector = collector
        self.version = doc.header.version_schema
        self.newer = self.version is not None and self.version > MAX_VERSION_COVERED
        self.groups: dict[tuple[str, str], _Group] = {}
        self.values_seen: set[tuple[int, str, str, bool]] = set()
        self.validated = self.top
        """The element the current error's path starts from (the annexes are checked apart)."""

    def run(self) -> None:
        for error, validated in self._errors():
            self.validated = validated
            self._classify(error)
        self._flush_groups()
        if self.newer:
            self._add_version_gap()

    def _errors(self) -> list[tuple[etree._LogEntry, etree._Element]]:
        """libxml2's errors in document order, each with the element its path starts from.

        lxml writes the path of every error, and libxml2 counts the preceding siblings of
        each ancestor to write it: an error in the annexes of a document with 40,000 lines
        costs 40,000 steps, so a large document with many version-gap errors in its annexes
        took quadratic time (10 s of XSD for 100 MB). So the annexes are validated on their
        own (``TAnnexes`` as a root element) and the rest with ``Annexes`` taken unchecked:
        the same checks and errors. If the budget's own content is wrong (the annexes would
        not be checked in place then), the document is validated whole.
        """
        annexes = self.doc.annexes
        if annexes is None:
            return self._whole()
        outer, inner = split_schemas()
        outer_errors = [] if outer.validate(self.top) else list(outer.error_log)
        budget = annexes.getparent()
        top_path = self._libxml_path(self.top)
        budget_path = self._libxml_path(budget)
        before: list[etree._LogEntry] = []
        after: list[etree._LogEntry] = []
        for error in outer_errors:
            path = error.path or ""
            if error.type_name in _ELEMENT_ERRORS and self._in_budget_content(
                error, path, budget_path
            ):
                return self._whole()
            if path == top_path:
                # libxml2 reports a missing child when the element ends, after its content
                late = "Missing child" in (error.message or "")
                (after if late else before).append(error)
            elif path.startswith(budget_path + "/") or not self._after(path, budget):
                before.append(error)
            else:
                after.append(error)
        inner_errors = [] if inner.validate(annexes) else list(inner.error_log)
        return [
            *((error, self.top) for error in before),
            *((error, annexes) for error in inner_errors),
            *((error, self.top) for error in after),
        ]

    @staticmethod
    def _in_budget_content(error: etree._LogEntry, path: str, budget_path: str) -> bool:
        """Whether the error says the budget's own sequence of children is wrong."""
        if path == budget_path:
            return True
        return path.rsplit("/", 1)[0] == budget_path and "not expected" in (error.message or "")

    def _whole(self) -> list[tuple[etree._LogEntry, etree._Element]]:
        schema = bundled_schema()
        return [] if schema.validate(self.top) else [(e, self.top) for e in schema.error_log]

    def _libxml_path(self, element: etree._Element) -> str:
        """``element``'s path as libxml2 writes it when ``self.top`` is validated."""
        tree = self.top.getroottree()
        top_step = f"/{self.top.prefix}:{local_name(self.top.tag)}" if self.top.prefix else "/*"
        return top_step + tree.getpath(element)[len(tree.getpath(self.top)) :]

    def _after(self, path: str, budget: etree._Element) -> bool:
        """Whether an error's path (outside ``budget``) points after it."""
        steps = path.split("/")
        if len(steps) < 3:
            return False
        child = element_at(self.top, f"/*/{steps[2]}")
        return child is not None and self.top.index(child) > self.top.index(budget)

    def _version_line(self) -> int | None:
        el = self.top.find(q("VersionSchema"))
        return el.sourceline if el is not None else None

    def _locate(self, error: etree._LogEntry) -> tuple[etree._Element | None, str | None]:
        element = element_at(self.validated, error.path)
        return element, readable_path(element, self.top) if element is not None else None

    def _classify(self, error: etree._LogEntry) -> None:
        message = error.message or ""
        head = _HEAD.match(message)
        element_name = head.group(1) if head else "?"
        attribute = head.group(2) if head else None
        body = message[head.end() :] if head else ""
        kind = error.type_name
        found = _EXPECTED.search(body)
        expected = (
            {"expected_fr": _names(found.group(1)), "expected_en": _names(found.group(1))}
            if found
            else {"expected_fr": "plus aucun élément", "expected_en": "no further element"}
        )

        if kind in _ELEMENT_ERRORS and body.startswith("This element is not expected"):
            code = "xsd_unexpected_element"
            if self.newer:
                code = (
                    "xsd_misplaced_element_newer"
                    if element_name in declared_elements()
                    else "xsd_newer_element"
                )
                self._group(code, element_name, error)
            else:
                element, path = self._locate(error) if self._listed(code) else (None, None)
                parent = element.getparent() if element is not None else None
                parent_name = local_name(parent.tag) if parent is not None else "?"
                self._error(
                    code,
                    _UNEXPECTED_ELEMENT.with_params(
                        element=element_name, parent=parent_name, **expected
                    ),
                    error,
                    path,
                )
        elif kind in _ELEMENT_ERRORS and "Missing child element" in body:
            self._error(
                "xsd_missing_element",
                _MISSING_ELEMENT.with_params(element=element_name, **expected),
                error,
            )
        elif attribute and "is not allowed" in body and "The attribute" in body:
            if self.newer:
                self._group("xsd_newer_attribute", attribute, error, element_name)
            else:
                self._error(
                    "xsd_unknown_attribute",
                    _UNKNOWN_ATTRIBUTE.with_params(attribute=attribute, element=element_name),
                    error,
                )
        elif "is required but missing" in body:
            missing = re.search(r"The attribute '([^']+)' is required", body)
            self._error(
                "xsd_missing_attribute",
                _MISSING_ATTRIBUTE.with_params(
                    attribute=missing.group(1) if missing else "V", element=element_name
                ),
                error,
            )
        elif attribute and kind.startswith(_VALUE_ERROR_PREFIX):
            self._value_error(error, element_name, attribute, body)
        else:
            kind_text = kind.removeprefix("SCHEMAV_").lower()
            self._error(
                "xsd_invalid", _INVALID.with_params(element=element_name, kind=kind_text), error
            )

    def _value_error(
        self, error: etree._LogEntry, element_name: str, attribute: str, body: str
    ) -> None:
        key = (error.line, error.path, attribute, self.validated is self.top)
        if key in self.values_seen:
            return  # libxml2 may report a facet, then the type, for one value
        self.values_seen.add(key)
        if element_name in _CHECKED_LATER_NAMES:
            element = element_at(self.validated, error.path)
            if element is not None and self._checked_later(element):
                return
        rule, is_enumeration = _value_rule(body)
        if is_enumeration and self.newer:
            self._group("xsd_newer_value", element_name, error, rule)
            return
        self._error(
            "xsd_invalid_value",
            _INVALID_VALUE.with_params(attribute=attribute, element=element_name, rule=rule),
            error,
        )

    def _checked_later(self, element: etree._Element) -> bool:
        parent = element.getparent()
        if parent is None:
            return False
        key = (local_name(parent.tag), local_name(element.tag))
        if key not in _CHECKED_LATER:
            return False
        holder = parent.getparent()
        return holder is not None and (holder is self.top or holder.getparent() is self.top)

    def _listed(self, code: str) -> bool:
        """Whether a finding of ``code`` will be kept: locating costs a walk, skip it if not."""
        return self.collector.count(code) < self.collector.cap

    def _error(
        self,
        code: str,
        message: Message,
        error: etree._LogEntry,
        path: str | None = None,
    ) -> None:
        if path is None and self._listed(code):
            path = self._locate(error)[1]
        self.collector.add(
            code, ERROR, LAYER_SCHEMA, message, _HINT_EXPORT, line=error.line, path=path
        )

    def _group(self, code: str, name: str, error: etree._LogEntry, on: str | None = None) -> None:
        """Count a version-gap occurrence; only the first is located (a walk per error)."""
        group = self.groups.get((code, name))
        if group is None:
            element, path = self._locate(error)
            if on is None and element is not None:
                parent = element.getparent()
                on = local_name(parent.tag) if parent is not None else None
            group = self.groups[(code, name)] = _Group(error.line, path)
        group.count += 1
        if on and on not in group.on and len(group.on) <= _MAX_LIST:
            group.on.append(on)

    def _flush_groups(self) -> None:
        """Misplaced known elements stay warnings: the gap or a missing element may explain them."""
        for (code, name), group in self.groups.items():
            if code != "xsd_misplaced_element_newer":
                continue
            message = _MISPLACED_NEWER.with_params(
                element=name,
                parent=self._listed_names(group.on) or "?",
                bundled=BUNDLED_VERSION,
                version=self.version,
                count=group.count,
                line=group.line if group.line is not None else "?",
            )
            self.collector.add(
                code,
                WARNING,
                LAYER_SCHEMA,
                message,
                _HINT_MISPLACED,
                line=group.line,
                path=group.path,
            )

    def _add_version_gap(self) -> None:
        """One information item: the version the document follows, and what the portal could
        not check in it (the names added by later versions, with their number of occurrences)."""
        params = {
            "version": self.version,
            "bundled": BUNDLED_VERSION,
            "covered": MAX_VERSION_COVERED,
        }
        parts: list[Message] = []
        unchecked: dict[str, int] = {}
        for kind, template in _ADDITION_KINDS.items():
            found = {name: g.count for (code, name), g in self.groups.items() if code == kind}
            if found:
                unchecked.update(found)
                parts.append(template.with_params(names=_occurrences(found)))
        if parts:
            additions = Message(
                " ; ".join(p.text("fr") for p in parts), "; ".join(p.text("en") for p in parts)
            )
            message = _VERSION_NEWER_UNCHECKED.with_params(
                additions=additions, unchecked=unchecked, **params
            )
        else:
            message = _VERSION_NEWER.with_params(**params)
        self.collector.add(
            "xsd_version_newer",
            INFO,
            LAYER_SCHEMA,
            message,
            _HINT_NEWER if parts else None,
            line=self._version_line(),
            path="VersionSchema",
        )

    @staticmethod
    def _listed_names(names: list[str]) -> str:
        return ", ".join(names[:_MAX_LIST]) + (", …" if len(names) > _MAX_LIST else "")


def _occurrences(found: dict[str, int]) -> Message:
    """``InfoAPCP (125 fois), NatVoteInv (1 fois)``, in both languages."""
    return Message(
        ", ".join(f"{name} ({count} fois)" for name, count in found.items()),
        ", ".join(
            f"{name} ({count} time{'s' if count > 1 else ''})" for name, count in found.items()
        ),
    )


def check_schema(doc: BudgetDocument, collector: FindingCollector) -> None:
    """Validate the ``DocumentBudgetaire`` (the budget part of a CFU) against V95."""
    _SchemaCheck(doc, collector).run()
