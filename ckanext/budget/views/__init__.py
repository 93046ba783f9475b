"""Pages of budget documents: validation report, derived files, re-processing and the
pre-publication check; the rule-set editor lives in ``rulesets.views``. Registered by the
plugin through ``tk.blanket.blueprints``."""

from __future__ import annotations

from flask import Blueprint

from ..rulesets.views import BLUEPRINTS as RULES_BLUEPRINTS
from . import annexes, check, document


def get_blueprints() -> list[Blueprint]:
    return [document.blueprint, check.blueprint, annexes.blueprint, *RULES_BLUEPRINTS]
