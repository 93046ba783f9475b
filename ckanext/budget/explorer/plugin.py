"""The ``budget_view`` plugin: a resource view that explores a budget document.

Shown on (and, through ``ckan.views.default_views``, added by default to) resources that
have a processed-document row. The view is rendered on the server from the stored
aggregation: it works without JavaScript and loads nothing from another host. Its
embeddable variant and its CSV/JSON exports live at stable URLs (``views``). The same
plugin serves the budget page of a dataset (every document over the years) and the
comparison page (``page_views``), with their stylesheet and optional script (``assets/``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from flask import Blueprint

from .. import formatting
from ..documents import model as db
from . import (
    analysis_page,
    budget_page,
    chart,
    data,
    donut,
    page_views,
    views,
    waterfall_chart,
)
from .constants import VIEW_TYPE

ASSETS = str(Path(__file__).resolve().parent.parent / "assets")
"""The webassets library (absolute: webassets matches files to URLs on normalised paths)."""
DEFAULT_VIEWS_KEY = "ckan.views.default_views"
CKAN_DEFAULT_VIEWS = ["image_view", "datatables_view"]
"""The value CKAN declares for ``ckan.views.default_views`` when a portal sets none."""


class BudgetViewPlugin(p.SingletonPlugin):
    p.implements(p.IConfigurer)
    p.implements(p.IResourceView, inherit=True)
    p.implements(p.IBlueprint)
    p.implements(p.ITemplateHelpers)

    # IConfigurer

    def update_config(self, config: Any) -> None:
        # Templates come from the ``budget`` plugin, which this one requires: adding the
        # folder twice would apply every ``{% ckan_extends %}`` override twice.
        views = list(config.get(DEFAULT_VIEWS_KEY) or [])
        if views == CKAN_DEFAULT_VIEWS:
            # Left to CKAN's default, the explorer joins it. A portal that lists its
            # default views itself decides whether to list budget_view.
            config[DEFAULT_VIEWS_KEY] = [*views, VIEW_TYPE]
        tk.add_resource(ASSETS, "ckanext-budget")

    # IResourceView

    def info(self) -> dict[str, Any]:
        return {
            "name": VIEW_TYPE,
            "title": tk._("Budget explorer"),
            "default_title": tk._("Budget explorer"),
            "icon": "chart-bar",
            "iframed": False,
            "always_available": False,
            "preview_enabled": False,
            "full_page_edit": False,
        }

    def can_view(self, data_dict: dict[str, Any]) -> bool:
        resource = data_dict.get("resource") or {}
        return bool(resource.get("id")) and db.get_document(resource["id"]) is not None

    def setup_template_variables(self, context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
        args = tk.request.args if tk.request else {}
        resource = data_dict["resource"]
        return {
            "explorer": data.explorer(resource["id"], args.get("tree"), args.get("node")),
        }

    def view_template(self, context: Any, data_dict: dict[str, Any]) -> str:
        return "budget/explorer/view.html"

    # IBlueprint

    def get_blueprint(self) -> list[Blueprint]:
        return [views.blueprint, page_views.blueprint]

    # ITemplateHelpers

    def get_helpers(self) -> dict[str, Any]:
        return {
            "budget_compact_money": formatting.compact_money,
            "budget_axis_money": formatting.axis_money,
            "budget_share": formatting.share,
            "budget_bar_chart": chart.level_chart,
            "budget_stack_chart": chart.stack_chart,
            "budget_execution_chart": chart.execution_chart,
            "budget_comparison_chart": chart.comparison_chart,
            "budget_indicators_chart": chart.indicators_chart,
            "budget_page_available": budget_page.has_documents,
            "budget_analysis_summary": analysis_page.summary,
            "budget_waterfall_chart": waterfall_chart.chart,
            "budget_donut": donut.donut,
            "budget_glossary": budget_page.glossary,
            "budget_dataset_brief": budget_page.dataset_brief,
        }
