"""Turn a dataset dict into the index document CKAN would send to Solr.

Follows ``ckan.lib.search.index.PackageSearchIndex.index_package`` (CKAN 2.11 and 2.12) field by
field, so that ``fq``/facets/``fl`` written for Solr find the same fields here, including what
``before_dataset_index`` plugins add.
"""

from __future__ import annotations

import collections
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import ckan.lib.navl.dictization_functions as dictization_functions
import ckan.lib.plugins as lib_plugins
import ckan.plugins as p
from ckan import logic, model
from ckan.common import config

from .fields import NOT_IN_TERMS, full_text_weight

_KEY_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-")
_RESERVED_FIELDS = frozenset(
    {
        "entity_type",
        "res_url",
        "text",
        "urls",
        "indexed_ts",
        "site_id",
        "tags",
        "groups",
        "res_name",
        "res_description",
        "res_format",
        "res_type",
    }
)
_RESOURCE_FIELDS = (
    ("name", "res_name"),
    ("description", "res_description"),
    ("format", "res_format"),
    ("url", "res_url"),
    ("resource_type", "res_type"),
)


@dataclass(frozen=True)
class IndexEntry:
    """One row of the index table."""

    id: str
    name: str
    site_id: str
    state: str | None
    capacity: str
    dataset_type: str | None
    metadata_modified: str | None
    permission_labels: list[str]
    doc: dict[str, Any]
    terms: dict[str, list[str]]
    # full-text source text per weight letter (A..D)
    text_by_weight: dict[str, str]


def build_entry(pkg_dict: dict[str, Any]) -> IndexEntry:
    """Index entry for a dataset dict as given to ``SearchIndex.update_dict``."""
    doc = build_document(pkg_dict)
    return IndexEntry(
        id=doc["id"],
        name=doc["name"],
        site_id=doc["site_id"],
        state=doc.get("state"),
        capacity=doc["capacity"],
        dataset_type=doc.get("dataset_type"),
        metadata_modified=doc.get("metadata_modified"),
        permission_labels=list(doc["permission_labels"]),
        doc=doc,
        terms=extract_terms(doc),
        text_by_weight=extract_text(doc),
    )


def build_document(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """The flattened Solr document for ``pkg_dict`` (which is left unchanged)."""
    pkg = dict(pkg_dict)
    # CKAN 2.12 passes the dict validated with the custom schema; 2.11 leaves it to the index.
    validated = pkg.pop("with_custom_schema", None)
    if validated is None:
        validated = _validate(pkg)
    pkg["data_dict"] = json.dumps(pkg)
    pkg["validated_data_dict"] = json.dumps(validated, cls=dictization_functions.MissingNullEncoder)
    if pkg.get("title"):
        pkg["title"] = pkg["title"].lstrip()
        pkg["title_string"] = pkg["title"]

    index_fields = _RESERVED_FIELDS | set(pkg)
    for extra in pkg.pop("extras", None) or []:
        key, value = extra["key"], extra["value"]
        if isinstance(value, list | tuple):
            value = " ".join(map(str, value))
        key = "".join(c for c in key if c in _KEY_CHARS)
        pkg["extras_" + key] = value
        if key not in index_fields:
            pkg[key] = value

    tags: list[str] = []
    for tag in pkg.pop("tags", None) or []:
        if tag.get("vocabulary_id"):
            vocab = logic.get_action("vocabulary_show")(
                {"model": model}, {"id": tag["vocabulary_id"]}
            )
            pkg.setdefault("vocab_" + vocab["name"], []).append(tag["name"])
        else:
            tags.append(tag["name"])
    pkg["tags"] = tags
    pkg["groups"] = [group["name"] for group in pkg.pop("groups", None) or []]
    pkg["capacity"] = "private" if pkg.get("private") else "public"
    organization = pkg.get("organization")
    pkg["organization"] = organization["name"] if organization else None

    resource_fields = list(_RESOURCE_FIELDS) + [
        (extra, "res_extras_" + extra) for extra in model.Resource.get_extra_columns()
    ]
    for resource in pkg.pop("resources", None) or []:
        for source, target in resource_fields:
            pkg.setdefault(target, []).append(resource.get(source, ""))

    pkg.update(_relationships(pkg))
    pkg["entity_type"] = "package"
    pkg["dataset_type"] = pkg.get("type")
    for key in ("metadata_created", "metadata_modified"):
        if pkg.get(key) and not str(pkg[key]).endswith("Z"):
            pkg[key] = f"{pkg[key]}Z"
    pkg["site_id"] = config.get("ckan.site_id")
    pkg["index_id"] = hashlib.md5(f"{pkg['id']}{pkg['site_id']}".encode()).hexdigest()

    for plugin in p.PluginImplementations(p.IPackageController):
        pkg = plugin.before_dataset_index(pkg)
    if not pkg:
        raise AssertionError("Plugin must return non empty package dict on index")

    # permission labels decide visibility; plugins cannot set them
    dataset = model.Package.get(pkg["id"])
    labels = lib_plugins.get_permission_labels()
    pkg["permission_labels"] = labels.get_dataset_labels(dataset) if dataset else []
    return pkg


def extract_terms(doc: dict[str, Any]) -> dict[str, list[str]]:
    """Every scalar or list-of-scalars field as distinct text values, in order."""
    terms: dict[str, list[str]] = {}
    for key, value in doc.items():
        if key in NOT_IN_TERMS:
            continue
        kept = list(dict.fromkeys(v for v in map(_as_text, _flatten(value)) if v is not None))
        if kept:
            terms[key] = kept
    return terms


def extract_text(doc: dict[str, Any]) -> dict[str, str]:
    """The words of the fields that feed free-text search, grouped by weight."""
    by_weight: dict[str, list[str]] = collections.defaultdict(list)
    for key, value in doc.items():
        weight = full_text_weight(key)
        if weight is None:
            continue
        by_weight[weight].extend(text for text in map(_as_text, _flatten(value)) if text)
    return {weight: " ".join(parts) for weight, parts in by_weight.items()}


def _validate(pkg: dict[str, Any]) -> dict[str, Any]:
    package_plugin = lib_plugins.lookup_package_plugin(pkg.get("type"))
    validated, _errors = lib_plugins.plugin_validate(
        package_plugin,
        {"model": model, "session": model.Session},
        dict(pkg),
        package_plugin.show_package_schema(),
        "package_show",
    )
    return validated


def _relationships(pkg: dict[str, Any]) -> dict[str, list[str]]:
    related: dict[str, list[str]] = collections.defaultdict(list)
    for rel in pkg.pop("relationships_as_object", None) or []:
        other = model.Package.get(rel["subject_package_id"])
        if other:
            related[model.PackageRelationship.forward_to_reverse_type(rel["type"])].append(
                other.name
            )
    for rel in pkg.pop("relationships_as_subject", None) or []:
        other = model.Package.get(rel["object_package_id"])
        if other:
            related[rel["type"]].append(other.name)
    return {key: names for key, names in related.items() if key not in pkg}


def _flatten(value: Any) -> Iterable[Any]:
    return value if isinstance(value, list | tuple) else [value]


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list | tuple):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
