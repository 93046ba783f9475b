"""The ``budget`` CKAN plugin: the entry point that wires ckanext-budget into a portal.

Kept thin on purpose: each feature lives in its own module and is only registered here.
The ``budget`` dataset type itself is a ckanext-scheming schema
(``scheming.dataset_schemas = ckanext.budget.schemas:budget.yaml``). Actions, auth
functions and validators are picked up from ``logic/`` by CKAN's blanket decorators.

Upload path (see ``upload`` and ``processing``): ``IUploader`` anonymises every uploaded
budget document before CKAN's own uploader stores it; ``IPackageController`` hooks then
record the document and store (or schedule) its results. List ``budget`` before any
storage plugin (e.g. a cloud uploader) in ``ckan.plugins``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
import flask
from ckan.lib.plugins import DefaultTranslation

from . import db, document_fields, outages, page_cache, processing, search, storage, upload, views
from .rulesets import service as rulesets
from .sweep import sweep_when_a_worker_starts


@tk.blanket.config_declarations
@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.validators
@tk.blanket.cli
@tk.blanket.helpers
@tk.blanket.blueprints(views.get_blueprints)
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
        # The rule editor's optional script; absolute, as webassets matches normalised
        # paths (the budget_view plugin adds the same library: registered once).
        tk.add_resource(str(Path(__file__).resolve().parent / "assets"), "ckanext-budget")

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

    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        return search.add_to_index(pkg_dict)

    def after_dataset_search(
        self, search_results: dict[str, Any], search_params: dict[str, Any]
    ) -> dict[str, Any]:
        return search.name_facet_values(search_results)

    # ISignal

    def get_signal_subscriptions(self) -> dict[Any, list[Any]]:
        return {processing.document_processed: [rulesets.on_document_processed]}

    # IFacets

    def dataset_facets(self, facets_dict: dict[str, Any], package_type: str) -> dict[str, Any]:
        return search.add_facets(facets_dict)

    # IResourceController

    def before_resource_show(self, resource_dict: dict[str, Any]) -> dict[str, Any]:
        document_fields.add_to_resource(resource_dict)
        return resource_dict

    def after_resource_create(self, context: Any, resource: dict[str, Any]) -> None:
        processing.document_processed.send(resource["id"])

    def after_resource_update(self, context: Any, resource: dict[str, Any]) -> None:
        processing.document_processed.send(resource["id"])

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
