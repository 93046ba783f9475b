"""The bundled SCDL Table Schemas (see ``schemas/PROVENANCE.md``).

Column order and constraints come from the schema itself, so a new schema version is a
file swap plus a review of the mapping, not a hunt through the code.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

BUDGET = "budget-0.8.3.schema.json"
SUBVENTIONS = "subventions-2.1.1.schema.json"


@lru_cache(maxsize=4)
def load_schema(name: str) -> dict[str, Any]:
    """The schema as a dict (callers must not modify it)."""
    text = resources.files(__package__).joinpath("schemas", name).read_text("utf-8")
    return json.loads(text)
