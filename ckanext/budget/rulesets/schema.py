"""navl schemas of the rule-set and aggregation actions (``actions.py``): what each
takes, its defaults, the errors in the reader's language (CKAN's validators, and ours in
``..validators``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ckan.plugins import toolkit as tk
from ckan.types import Schema, Validator, ValidatorFactory
from werkzeug.datastructures import FileStorage

from ..validators import required_unless, strip_text, value_in
from . import imports


def file_or_text(value: Any) -> FileStorage | bytes | str:
    """A file given as an upload, or its content as text or bytes."""
    if not isinstance(value, FileStorage | bytes | str):
        raise tk.Invalid(tk._("Send a file (multipart/form-data upload) or its content as text."))
    return value


def _parsed(parse: Callable[[Any], Any], example: str) -> Validator:
    """A converter through an ``imports.parse_*`` function, its failures as an error
    that shows the expected form."""

    def validator(value: Any) -> Any:
        try:
            return parse(value)
        except (json.JSONDecodeError, AttributeError, TypeError):
            raise tk.Invalid(
                tk._("Give a JSON object or the form {example}").format(example=example)
            ) from None

    return validator


columns = _parsed(imports.parse_columns, "sens=Sens,nature=Nature")
hierarchies = _parsed(imports.parse_hierarchies, "services=Niveau 1|Niveau 2")


@tk.validator_args
def ruleset_schema(ignore_empty: Validator, unicode_safe: Validator) -> Schema:
    """A rule set by ``id``, or the one of a dataset (``package_id``) or of an
    organisation (``organization``)."""
    return {
        "id": [required_unless("package_id", "organization"), ignore_empty, unicode_safe],
        "package_id": [ignore_empty, unicode_safe],
        "organization": [ignore_empty, unicode_safe],
    }


@tk.validator_args
def show_schema(ignore_missing: Validator, int_validator: Validator) -> Schema:
    return {**ruleset_schema(), "version": [ignore_missing, int_validator]}


@tk.validator_args
def list_schema(not_empty: Validator, unicode_safe: Validator) -> Schema:
    return {"organization": [not_empty, unicode_safe]}


@tk.validator_args
def rules_schema(
    default: ValidatorFactory,
    ignore_empty: Validator,
    ignore_missing: Validator,
    unicode_safe: Validator,
    int_validator: Validator,
) -> Schema:
    """The rules of a create or an update: given in ``rules`` or as a file in ``upload``,
    in one of ``imports.FORMATS``."""
    return {
        "format": [default("native"), value_in(imports.FORMATS)],
        "rules": [ignore_empty],
        "upload": [ignore_empty, file_or_text],
        "filename": [ignore_empty, unicode_safe],
        "corrections": [ignore_empty, file_or_text],
        "columns": [ignore_empty, columns],
        "hierarchies": [ignore_empty, hierarchies],
        "sheet": [ignore_empty, unicode_safe],
        "nomenclature": [ignore_empty, unicode_safe],
        "exer": [ignore_missing, int_validator],
        "label": [ignore_empty, unicode_safe],
        "comment": [ignore_empty, unicode_safe],
        **publish_flag(),
    }


@tk.validator_args
def create_schema(ignore_empty: Validator, unicode_safe: Validator) -> Schema:
    return {
        **rules_schema(),
        "organization": [
            required_unless("owner_org", "package_id"),
            ignore_empty,
            unicode_safe,
        ],
        "owner_org": [ignore_empty, unicode_safe],
        "package_id": [ignore_empty, unicode_safe],
    }


@tk.validator_args
def update_schema(ignore_missing: Validator, int_validator: Validator) -> Schema:
    return {
        **ruleset_schema(),
        **rules_schema(),
        "base_version": [ignore_missing, int_validator],
    }


@tk.validator_args
def publish_flag(
    default: ValidatorFactory, unicode_safe: Validator, boolean_validator: Validator
) -> Schema:
    """``publish``: the saved version is published at once (the API's default, as before
    drafts existed); the editor's pages save drafts."""
    # unicode_safe first: CKAN 2.11's boolean_validator takes text and booleans only.
    return {"publish": [default(True), unicode_safe, boolean_validator]}


@tk.validator_args
def restore_schema(not_empty: Validator, int_validator: Validator) -> Schema:
    return {
        **ruleset_schema(),
        "version": [strip_text, not_empty, int_validator],
        **publish_flag(),
    }


@tk.validator_args
def publish_schema(
    default: ValidatorFactory,
    ignore_missing: Validator,
    int_validator: Validator,
    unicode_safe: Validator,
    boolean_validator: Validator,
) -> Schema:
    return {
        **ruleset_schema(),
        "version": [ignore_missing, int_validator],
        "accept_failing_checks": [default(False), unicode_safe, boolean_validator],
    }


@tk.validator_args
def undelete_schema(not_empty: Validator, unicode_safe: Validator) -> Schema:
    """A deleted rule set, by ``id`` (an organisation or a dataset may have several)."""
    return {"id": [strip_text, not_empty, unicode_safe]}


@tk.validator_args
def aggregate_schema(
    if_empty_same_as: ValidatorFactory,
    ignore_empty: Validator,
    ignore_missing: Validator,
    unicode_safe: Validator,
    default: ValidatorFactory,
    boolean_validator: Validator,
) -> Schema:
    """A document (``id`` or ``resource_id``) or a dataset's documents (``package_id``)."""
    return {
        "id": [
            if_empty_same_as("resource_id"),
            required_unless("package_id"),
            ignore_empty,
            unicode_safe,
        ],
        "resource_id": [ignore_missing, unicode_safe],
        "package_id": [ignore_empty, unicode_safe],
        "tree": [ignore_empty, unicode_safe],
        "format": [default("json"), value_in(("json", "csv"))],
        # unicode_safe first: CKAN 2.11's boolean_validator takes text and booleans only.
        "lines": [default(False), unicode_safe, boolean_validator],
    }
