"""Auth functions, collected for CKAN's ``blanket.auth_functions`` (one module per subject)."""

from .documents import (
    budget_document_show,
    budget_lines,
    budget_reprocess,
    budget_validate,
    budget_validation_show,
)
from .rulesets import (
    budget_aggregate,
    budget_ruleset_create,
    budget_ruleset_delete,
    budget_ruleset_history,
    budget_ruleset_list,
    budget_ruleset_restore,
    budget_ruleset_show,
    budget_ruleset_update,
)

__all__ = [
    "budget_aggregate",
    "budget_document_show",
    "budget_lines",
    "budget_reprocess",
    "budget_ruleset_create",
    "budget_ruleset_delete",
    "budget_ruleset_history",
    "budget_ruleset_list",
    "budget_ruleset_restore",
    "budget_ruleset_show",
    "budget_ruleset_update",
    "budget_validate",
    "budget_validation_show",
]
