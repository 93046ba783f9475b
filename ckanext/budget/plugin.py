"""The ``budget`` CKAN plugin: the entry point that wires ckanext-budget into a portal.

Kept thin on purpose: it only registers what the features hold — ``documents/`` (the
upload gate, processing, the document pages and API), ``rulesets/`` (the authorities' own
presentations), ``web/`` (the page cache, outages). The ``budget`` dataset type itself is a
ckanext-scheming schema (``scheming.dataset_schemas = ckanext.budget.schemas:budget.yaml``);
the explorer is the ``budget_view`` plugin (``explorer/``), search without Solr the
``budget_pgsearch`` plugin (``search/``).

Upload path: ``IUploader`` anonymises every uploaded budget document before CKAN's own
uploader stores it; ``IPackageController`` hooks then record the document and store (or
schedule) its results. List ``budget`` before any storage plugin (e.g. a cloud uploader)
in ``ckan.plugins``.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
import flask
from ckan.lib.plugins import DefaultTranslation
from flask import Blueprint

from .documents import actions as document_actions
from .documents import annexes, check, download, guide, processing, signals, storage, upload
from .documents import auth as document_auth
from .documents import fields as document_fields
from .documents import helpers as document_helpers
from .documents import index_fields as search
from .documents import model as db
from .documents import validators as document_validators
from .documents import views as document_views
from .documents.sweep import sweep_when_a_worker_starts
from .rulesets import actions as ruleset_actions
from .rulesets import auth as ruleset_auth
from .rulesets import helpers as ruleset_helpers
from .rulesets import jobs as ruleset_jobs
from .rulesets import signals as ruleset_signals
from .rulesets.views import BLUEPRINTS as RULES_BLUEPRINTS
from .schemas import labels as dataset_labels
from .web import not_found, outages, page_cache

LICENSES = Path(__file__).resolve().parent / "schemas" / "licenses.json"
"""The licence list a portal gets unless it sets ``licenses_group_url`` itself."""


def _exported(*modules: ModuleType) -> dict[str, Any]:
    """What the modules export (``__all__``), by name: a blanket decorator takes one source."""
    return {name: getattr(module, name) for module in modules for name in module.__all__}


def _blueprints() -> list[Blueprint]:
    return [
        document_views.blueprint,
        check.blueprint,
        guide.blueprint,
        annexes.blueprint,
        download.blueprint,
        *RULES_BLUEPRINTS,
    ]


@tk.blanket.config_declarations
@tk.blanket.actions(_exported(document_actions, ruleset_actions))
@tk.blanket.auth_functions(_exported(document_auth, ruleset_auth))
@tk.blanket.validators(_exported(document_validators))
@tk.blanket.cli
@tk.blanket.helpers(_exported(document_helpers, ruleset_helpers, dataset_labels, not_found))
@tk.blanket.blueprints(_blueprints)
class BudgetPlugin(p.SingletonPlugin, DefaultTranslation):
    p.implements(p.IConfigurer)
    p.implements(p.ITranslation)
    p.implements(p.IUploader, inherit=True)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.IResourceController, inherit=True)
    p.implements(p.IFacets, inherit=True)
    p.implements(p.ISignal)
    p.implements(p.IMiddleware, inherit=True)
    p.implements(p.IConfigurable)

    # IConfigurer

    def update_config(self, config: Any) -> None:
        tk.add_template_directory(config, "templates")
        # Files served as they are (the embeds' stylesheet), beside the webassets.
        tk.add_public_directory(config, "public")
        # The rule editor's optional script; absolute, as webassets matches normalised
        # paths (the budget_view plugin adds the same library: registered once).
        tk.add_resource(str(Path(__file__).resolve().parent / "assets"), "ckanext-budget")
        # CKAN's own licence list lacks the Licence Ouverte (fr-lo) the budget form proposes.
        if not config.get("licenses_group_url"):
            config["licenses_group_url"] = LICENSES.as_uri()

    # IConfigurable

    def configure(self, config: Any) -> None:
        # ``ckan jobs worker`` sweeps the storage before its first job; a no-op elsewhere.
        sweep_when_a_worker_starts()

    # IMiddleware

    def make_middleware(self, app: Any, config: Any) -> Any:
        outages.register(app)
        page_cache.wrap(app)
        return app

    # IUploader

    def get_resource_uploader(self, data_dict: dict[str, Any]) -> Any:
        """Swap an uploaded budget document for its anonymised version, then let the
        portal's uploader (the next ``IUploader`` plugin, or CKAN's) store it, all or
        nothing with the transaction (``storage``)."""
        if storage.choosing():
            return None
        upload.intercept(data_dict)
        return storage.guarded_uploader(data_dict)

    def get_uploader(self, upload_to: str, old_filename: str | None) -> None:
        return None

    # IPackageController

    def after_dataset_create(self, context: Any, pkg_dict: dict[str, Any]) -> None:
        processing.sync_package(pkg_dict)

    def after_dataset_update(self, context: Any, pkg_dict: dict[str, Any]) -> None:
        processing.sync_package(_with_resource_ids(context, pkg_dict))

    def after_dataset_delete(self, context: Any, pkg_dict: dict[str, Any]) -> None:
        db.delete_for_package(pkg_dict["id"])

    def read(self, entity: Any) -> None:
        # package_show then shows each resource: one query loads their documents into
        # the session, so ``before_resource_show`` finds them without one query each.
        # The session's identity map holds objects weakly: the request keeps them.
        if flask.has_request_context():
            kept = flask.g.setdefault("budget_documents", {})
            kept[entity.id] = db.documents_for_package(entity.id)

    def before_dataset_view(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        return dataset_labels.with_license_title(pkg_dict)

    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        return search.add_to_index(pkg_dict)

    def after_dataset_search(
        self, search_results: dict[str, Any], search_params: dict[str, Any]
    ) -> dict[str, Any]:
        return search.name_facet_values(search_results)

    # ISignal

    def get_signal_subscriptions(self) -> dict[Any, list[Any]]:
        return {
            signals.document_processed: [ruleset_jobs.on_document_processed],
            ruleset_signals.rules_changed: [ruleset_jobs.on_rules_changed],
        }

    # IFacets

    def dataset_facets(self, facets_dict: dict[str, Any], package_type: str) -> dict[str, Any]:
        return search.add_facets(facets_dict)

    # IResourceController

    def before_resource_show(self, resource_dict: dict[str, Any]) -> dict[str, Any]:
        document_fields.add_to_resource(resource_dict)
        return resource_dict

    def before_resource_delete(
        self, context: Any, resource: dict[str, Any], resources: list[dict[str, Any]]
    ) -> None:
        db.delete_for_resources([resource["id"]])


def _with_resource_ids(context: Any, pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """CKAN 2.12's ``package_update`` hands plugins its new resources without their ids
    (``package_create`` sets them): take them from the saved dataset, by position."""
    package = context.get("package")
    resources = pkg_dict.get("resources") or []
    if package is None or all(r.get("id") for r in resources):
        return pkg_dict
    saved = package.resources
    if len(saved) != len(resources):
        return pkg_dict
    return {
        **pkg_dict,
        "resources": [
            {**r, "id": r.get("id") or s.id} for r, s in zip(resources, saved, strict=True)
        ],
    }
