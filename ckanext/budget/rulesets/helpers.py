"""Template helpers of the rule sets: money in the reader's language, and a document's
aggregation checks as sentences ("3 lignes (12 400,00 €) ne sont dans aucune catégorie").

The plugin registers what ``__all__`` names as template helpers.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ckan.plugins import toolkit as tk

from .. import formatting
from ..docbudg.figures.results import ResultTree
from ..documents import model as db
from . import service


def tree_messages(tree: ResultTree) -> list[str]:
    """The checks of one stored tree as translated sentences."""
    checks = tree.checks
    if checks is None:
        return []
    out: list[str] = []
    if checks.unmatched:
        count = len(checks.unmatched)
        amount = sum((line.amount for line in checks.unmatched), Decimal(0))
        out.append(
            tk.ungettext(
                "{count} line ({amount}) is in no category",
                "{count} lines ({amount}) are in no category",
                count,
            ).format(count=count, amount=formatting.money(amount))
        )
    if checks.counted_twice:
        count = len(checks.counted_twice)
        line, categories = checks.counted_twice[0]
        out.append(
            tk.ungettext(
                "{count} line is counted in several categories (e.g. nature {nature} in "
                "{categories})",
                "{count} lines are counted in several categories (e.g. nature {nature} in "
                "{categories})",
                count,
            ).format(count=count, nature=line.nature, categories=", ".join(categories))
        )
    for key, (document, counted) in sorted(checks.totals.items()):
        if document != counted:
            out.append(
                tk._("{key} total: {counted} counted for {expected} in the document").format(
                    key=key, counted=formatting.money(counted), expected=formatting.money(document)
                )
            )
    if checks.empty:
        out.append(tk._("Categories without a formula: {ids}").format(ids=", ".join(checks.empty)))
    if checks.split_mismatches:
        count = len(checks.split_mismatches)
        out.append(
            tk.ungettext(
                "{count} split line is not fully assigned",
                "{count} split lines are not fully assigned",
                count,
            ).format(count=count)
        )
    return out


def document_checks(resource_id: str) -> dict[str, Any] | None:
    """What the resource page shows: to those who may edit the dataset, the rules used,
    whether they are current, and the checks of each tree; to others, only whether the
    rules that apply fail their checks (``public_note``). ``None`` for a resource that is
    not an aggregated document."""
    document = db.get_document(resource_id)
    aggregation = service.stored(resource_id)
    if document is None or aggregation is None:
        return None
    current = service.is_fresh(aggregation, document)
    if not _can_edit(document.package_id):
        # The public reads one short note, and only on the rules that apply now; the
        # details (which lines, which amounts) are the editors' work list.
        return {"editor": False, "public_note": current and not aggregation.ok}
    return {
        "editor": True,
        "ruleset_name": aggregation.ruleset_name,
        "ruleset_version": aggregation.ruleset_version,
        "custom": aggregation.ruleset_id is not None,
        "ok": aggregation.ok,
        "current": current,
        "computed": aggregation.computed,
        "trees": [
            {"id": tree.id, "label": tree.label, "messages": tree_messages(tree)}
            for tree in service.result(aggregation).trees
        ],
    }


def _can_edit(package_id: str) -> bool:
    """Whether the user may edit the dataset: the aggregation checks are shown in full
    to them only."""
    try:
        tk.check_access(
            "package_update",
            {"user": tk.current_user.name if tk.current_user else None},
            {"id": package_id},
        )
    except tk.NotAuthorized:
        return False
    return True


def dataset_rules_link(package: dict[str, Any]) -> bool:
    """Whether the dataset page shows its "Aggregation rules" tab: to those who may
    edit its rules, once it has processed budget documents or rules of its own."""
    if not package.get("owner_org"):
        return False
    try:
        tk.check_access(
            "budget_ruleset_create",
            {"user": tk.current_user.name if tk.current_user else None},
            {"owner_org": package["owner_org"], "package_id": package["id"]},
        )
    except tk.NotAuthorized:
        return False
    if service.for_package(package["id"]) is not None:
        return True
    return any(d.status == db.STATUS_DONE for d in db.documents_for_package(package["id"]))


budget_rules_document_checks = document_checks
budget_rules_dataset_link = dataset_rules_link
__all__ = ["budget_rules_dataset_link", "budget_rules_document_checks"]
