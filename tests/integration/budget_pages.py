"""Helpers of the budget and comparison page tests: datasets of uploaded samples and the
stored aggregations their pages must show."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ckan.tests import factories

from ckanext.budget.docbudg.figures.results import ResultCategory
from ckanext.budget.rulesets import service

from .budget_uploads import sample_bytes, upload_resource


def budget_dataset(name: str, files: tuple[str, ...], **fields: Any) -> dict[str, Any]:
    """A ``budget`` dataset (in ``org``, else a new organisation) with these samples."""
    org = fields.pop("org", None) or factories.Organization()
    dataset = factories.Dataset(name=name, owner_org=org["id"], type="budget", **fields)
    for path in files:
        upload_resource(dataset["id"], sample_bytes(path), path.rsplit("/", 1)[1])
    return dataset


def stored_node(resource_id: str, tree_id: str, node_id: str | None) -> ResultCategory:
    """A node of a document's stored aggregation (for ``None``: the tree, as a node whose
    children are its first level)."""
    tree = service.result(service.stored(resource_id)).tree(tree_id)
    assert tree is not None
    if node_id is None:
        return ResultCategory(
            tree.id, tree.label, tree.label_en, tree.total, {}, None, tree.categories
        )
    found = tree.find(node_id)
    if found is None:
        raise KeyError(node_id)
    return found


def children_amounts(resource_id: str, tree_id: str, node_id: str | None) -> dict[str, Decimal]:
    """The stored amount of each child of a node, by id."""
    return {c.id: c.amount for c in stored_node(resource_id, tree_id, node_id).children}


def publish_draft(
    web: Any, rules_url: str, headers: dict[str, Any], *, confirm: bool = False
) -> Any:
    """Publish the draft of the rules at ``rules_url`` (``…/budget-rules``) through the
    editor's « Publier » form, as an editor does; ``confirm``: tick « publish anyway »."""
    data = {"confirm": "yes"} if confirm else {}
    return web.post(f"{rules_url}/publish", data=data, **headers)
