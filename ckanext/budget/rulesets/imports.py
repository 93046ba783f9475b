"""Rule sets from the files authorities already have: native YAML/JSON, the Gironde JSON
tree (with its corrections CSV), a spreadsheet mapping (CSV/XLSX with column choices).

Files arrive as bytes (an upload, a CLI path); the core importers read paths, so the bytes
go to a private temporary folder that is removed at once. Rule files hold no personal data.
"""

from __future__ import annotations

import datetime
import json
import tempfile
from pathlib import Path
from typing import Any

import yaml
from ckan import model

from ..docbudg.aggregation import RuleSet, import_gironde, import_mapping, ruleset_from_dict
from ..docbudg.aggregation.mapping import MAPPING_ROLES
from ..docbudg.messages import Message
from ..docbudg.nomenclature import Plan, find_plan
from ..documents import model as db
from . import service

FORMATS = ("native", "gironde", "mapping")
MAPPING_SUFFIXES = (".csv", ".xlsx", ".xlsm")


class ImportProblem(ValueError):
    """A file that cannot be imported, with a message for the user (already translated
    by the caller's choice of language)."""


def native_rules(data: Any) -> RuleSet:
    """A native rule set given as a dict, or as YAML/JSON text."""
    if isinstance(data, bytes):
        data = data.decode("utf-8-sig")
    if isinstance(data, str):
        try:
            data = yaml.safe_load(data)
        except yaml.YAMLError as exc:
            raise ImportProblem(str(exc)) from exc
    return ruleset_from_dict(data)


def parse_columns(value: Any) -> dict[str, str]:
    """``{role: column}`` from a dict, JSON text or ``role=column,role=column``."""
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items() if v}
    text = str(value or "").strip()
    if text.startswith("{"):
        return parse_columns(json.loads(text))
    out = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        role, _, column = part.partition("=")
        out[role.strip()] = column.strip()
    return out


def parse_hierarchies(value: Any) -> dict[str, list[str]]:
    """``{tree id: [level columns]}`` from a dict, JSON text or ``tree=col1|col2;tree2=…``."""
    if isinstance(value, dict):
        return {
            str(k): [str(c) for c in (v if isinstance(v, list) else str(v).split("|")) if c]
            for k, v in value.items()
        }
    text = str(value or "").strip()
    if text.startswith("{"):
        return parse_hierarchies(json.loads(text))
    out = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        tree, _, columns = part.partition("=")
        out[tree.strip()] = [c.strip() for c in columns.split("|") if c.strip()]
    return out


def plan_for(data_dict: dict[str, Any]) -> Plan | None:
    """The plan de comptes a spreadsheet's codes are checked against: the one named
    (``nomenclature`` and ``exer``), else the one of the latest processed document of
    the rule set's dataset or organisation (``id``, ``package_id`` or ``organization``)."""
    named = str(data_dict.get("nomenclature") or "").strip()
    if named:
        try:
            exer = int(data_dict.get("exer") or datetime.date.today().year)
        except (TypeError, ValueError):
            return None
        return find_plan(exer, named)
    package_id, org = data_dict.get("package_id"), data_dict.get("organization")
    if data_dict.get("id"):
        record = service.get(str(data_dict["id"]))
        package_id, org = (record.package_id, record.owner_org) if record else (None, None)
    org = org or data_dict.get("owner_org")
    if package_id:
        documents = db.documents_for_package(str(package_id))
    elif org:
        group = model.Group.get(str(org))
        documents = service.documents_of_organization(group.id) if group else []
    else:
        documents = []
    for document in reversed(documents):
        if document.status == db.STATUS_DONE and document.exercice and document.nomenclature:
            return find_plan(document.exercice, document.nomenclature)
    return None


_UNCHECKED = Message(
    "Les codes du tableau n'ont pas été comparés au plan de comptes : aucun document "
    "traité ne dit lequel (indiquez « nomenclature » et « exer »).",
    "The codes of the spreadsheet were not checked against a plan de comptes: no processed "
    "document tells which one (give 'nomenclature' and 'exer').",
)


def import_rules(
    fmt: str,
    data: bytes | str | dict[str, Any],
    *,
    filename: str = "",
    corrections: bytes | None = None,
    columns: dict[str, str] | None = None,
    hierarchies: dict[str, list[str]] | None = None,
    sheet: str | None = None,
    plan: Plan | None = None,
) -> RuleSet:
    """Build a rule set from one of :data:`FORMATS`; errors are ``RuleSetError``,
    ``FormulaError`` (raised through the core) or :class:`ImportProblem`. A spreadsheet's
    codes unknown to ``plan`` are listed in the rule set's notes."""
    if fmt == "native":
        return native_rules(data)
    if isinstance(data, dict):
        data = json.dumps(data)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with tempfile.TemporaryDirectory(prefix="budget-rules-") as folder:
        if fmt == "gironde":
            tree = Path(folder, "rules.json")
            tree.write_bytes(raw)
            extra = None
            if corrections:
                extra = Path(folder, "corrections.csv")
                extra.write_bytes(corrections)
            try:
                return import_gironde(tree, extra)
            except (json.JSONDecodeError, UnicodeDecodeError, AttributeError) as exc:
                raise ImportProblem(str(exc)) from exc
        if fmt == "mapping":
            suffix = Path(filename).suffix.lower()
            if suffix not in MAPPING_SUFFIXES:
                suffix = ".csv"
            table = Path(folder, "mapping" + suffix)
            table.write_bytes(raw)
            if not columns or not hierarchies:
                raise ImportProblem("columns, hierarchies")
            rules = import_mapping(
                table, columns=columns, hierarchies=hierarchies, sheet=sheet or None, plan=plan
            )
            if plan is None:
                rules.notes.append(_UNCHECKED)
            return rules
    raise ImportProblem(fmt)


__all__ = [
    "FORMATS",
    "MAPPING_ROLES",
    "ImportProblem",
    "import_rules",
    "native_rules",
    "parse_columns",
    "parse_hierarchies",
    "plan_for",
]
