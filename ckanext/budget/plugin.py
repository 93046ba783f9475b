"""The ``budget`` CKAN plugin: the entry point that wires ckanext-budget into a portal.

Kept thin on purpose: each feature lives in its own module and is only registered here.
The ``budget`` dataset type itself is a ckanext-scheming schema
(``scheming.dataset_schemas = ckanext.budget.schemas:budget.yaml``).
"""

from __future__ import annotations

from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultTranslation


@tk.blanket.config_declarations
class BudgetPlugin(p.SingletonPlugin, DefaultTranslation):
    p.implements(p.IConfigurer)
    p.implements(p.ITranslation)

    # IConfigurer

    def update_config(self, config: Any) -> None:
        tk.add_template_directory(config, "templates")
