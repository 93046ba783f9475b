"""Helpers of the budget and comparison page tests: datasets of uploaded samples and the
stored aggregations their pages must show."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ckan.tests import factories

from ckanext.budget.rulesets import service

from .budget_uploads import sample_bytes, upload_resource


def budget_dataset(name: str, files: tuple[str, ...], **fields: Any) -> dict[str, Any]:
    """A ``budget`` dataset (in ``org``, else a new organisation) with these samples."""
    org = fields.pop("org", None) or factories.Organization()
    dataset = factories.Dataset(name=name, owner_org=org["id"], type="budget", **fields)
    for path in files:
        upload_resource(dataset["id"], sample_bytes(path), path.rsplit("/", 1)[1])
    return dataset


def stored_node(resource_id: str, tree_id: str, node_id: str | None) -> dict[str, Any]:
    """A node of a document's stored aggregation (the tree's first level for ``None``)."""
    tree = next(t for t in service.stored(resource_id).result["arbres"] if t["id"] == tree_id)
    if node_id is None:
        return {"enfants": tree["categories"]}
    stack = list(tree["categories"])
    while stack:
        node = stack.pop()
        if node["id"] == node_id:
            return node
        stack.extend(node.get("enfants") or [])
    raise KeyError(node_id)


def children_amounts(resource_id: str, tree_id: str, node_id: str | None) -> dict[str, Decimal]:
    """The stored amount of each child of a node, by id."""
    node = stored_node(resource_id, tree_id, node_id)
    return {c["id"]: Decimal(c["montant"]) for c in node["enfants"]}
