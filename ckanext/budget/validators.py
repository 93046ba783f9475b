"""Small navl validators for the API schemas (``documents/schema.py``,
``rulesets/schema.py``), where CKAN's own ones fall short.

CKAN's ``one_of`` builds its message before translating it (never in French on 2.11),
and has no form that maps values; ``limit_to_configured_maximum`` needs a configuration
option; nothing in CKAN says "give this key or one of those". Messages go through CKAN's
translations like CKAN's validators' own. :func:`validated` is how an action applies its
schema.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from ckan.plugins import toolkit as tk
from ckan.types import Context, FlattenDataDict, FlattenErrorDict, FlattenKey, Schema, Validator

__all__ = [
    "at_most",
    "comma_separated_list",
    "not_one_of",
    "required_unless",
    "strip_text",
    "validated",
    "value_in",
]


def validated(data_dict: dict[str, Any], schema: Schema, context: Any) -> dict[str, Any]:
    """``data_dict`` checked and converted by an action's ``schema``, every problem raised
    at once as a ``ValidationError`` (as CKAN's own actions do)."""
    data, errors = tk.navl_validate(data_dict, schema, context)
    if errors:
        raise tk.ValidationError(errors)
    return data


def not_one_of(values: Iterable[str]) -> tk.Invalid:
    """The error for a value outside ``values``, naming them."""
    return tk.Invalid(tk._("Value must be one of: {values}").format(values=", ".join(values)))


def value_in(values: Collection[str]) -> Validator:
    """Refuse a value that is not one of ``values`` (given after ``default`` or
    ``ignore_empty``: an empty value never reaches it)."""

    def validator(value: Any) -> Any:
        if value not in values:
            raise not_one_of(values)
        return value

    return validator


def at_most(maximum: int) -> Validator:
    """Lower an integer above ``maximum`` to it (after ``natural_number_validator``, which
    leaves a value it refused as it was)."""

    def validator(value: Any) -> Any:
        return min(value, maximum) if isinstance(value, int) else value

    return validator


def strip_text(value: Any) -> Any:
    """Text without its surrounding spaces: spaces alone count as no value for the
    validators that follow (CKAN's ``int_validator`` would turn them into ``None``)."""
    return value.strip() if isinstance(value, str) else value


def comma_separated_list(value: Any) -> list[str]:
    """``"60,61"`` or ``["60", "61"]`` as a list of non-empty, stripped strings."""
    items = value if isinstance(value, list) else str(value).split(",")
    return [text for text in (str(item).strip() for item in items) if text]


def required_unless(*others: str) -> Validator:
    """``Missing value`` when neither this key nor any of ``others`` is given: an action
    that finds its object by one of several keys (put first in the key's list)."""

    def validator(
        key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context
    ) -> None:
        names = (key[-1], *others)
        if any(data.get((*key[:-1], name)) for name in names):
            return
        errors[key].append(tk._("Missing value"))
        raise tk.StopOnError

    return validator
