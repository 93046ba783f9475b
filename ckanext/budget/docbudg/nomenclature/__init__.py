"""Plans de comptes (nomenclatures M14, M4x, M52, M57, M61, M71; 2013–2024 bundled).

Labels, nesting and chapter/section derivation for the codes of budget lines::

    plan = find_plan(2021, "M14-M14_COM_SUP3500")
    plan.account("6413").label, plan.section_of(line)
"""

from .plan import Account, Chapter, Function, Plan
from .store import (
    BUNDLED_DIR,
    ENV_PLANS_DIR,
    available_plans,
    find_merged_plan,
    find_plan,
    import_plans,
    load_plan,
    split_nomenclature,
)

__all__ = [
    "BUNDLED_DIR",
    "ENV_PLANS_DIR",
    "Account",
    "Chapter",
    "Function",
    "Plan",
    "available_plans",
    "find_merged_plan",
    "find_plan",
    "import_plans",
    "load_plan",
    "split_nomenclature",
]
