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

from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultTranslation

from . import db, processing, upload


@tk.blanket.config_declarations
@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.validators
class BudgetPlugin(p.SingletonPlugin, DefaultTranslation):
    p.implements(p.IConfigurer)
    p.implements(p.ITranslation)
    p.implements(p.IUploader, inherit=True)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.IResourceController, inherit=True)

    # IConfigurer

    def update_config(self, config: Any) -> None:
        tk.add_template_directory(config, "templates")

    # IUploader

    def get_resource_uploader(self, data_dict: dict[str, Any]) -> None:
        """Swap an uploaded budget document for its anonymised version, then let the
        portal's uploader (the next ``IUploader`` plugin, or CKAN's) store it."""
        upload.intercept(data_dict)
        return None

    def get_uploader(self, upload_to: str, old_filename: str | None) -> None:
        return None

    # IPackageController

    def after_dataset_create(self, context: Any, pkg_dict: dict[str, Any]) -> None:
        processing.sync_package(pkg_dict)

    def after_dataset_update(self, context: Any, pkg_dict: dict[str, Any]) -> None:
        processing.sync_package(pkg_dict)

    def after_dataset_delete(self, context: Any, pkg_dict: dict[str, Any]) -> None:
        db.delete_for_package(pkg_dict["id"])

    # IResourceController

    def before_resource_delete(
        self, context: Any, resource: dict[str, Any], resources: list[dict[str, Any]]
    ) -> None:
        db.delete_for_resources([resource["id"]])
