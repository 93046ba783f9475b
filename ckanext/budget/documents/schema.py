"""navl schemas of the document actions (``actions.py``): what each takes, its defaults
and bounds, the errors in the reader's language (CKAN's validators, and ours in
``..validators``)."""

from __future__ import annotations

from typing import Any

from ckan.plugins import toolkit as tk
from ckan.types import Schema, Validator, ValidatorFactory
from werkzeug.datastructures import FileStorage

from ..validators import (
    at_most,
    comma_separated_list,
    not_one_of,
    required_unless,
    strip_text,
    value_in,
)

LANGUAGES = ("fr", "en")
MAX_LINES_PER_PAGE = 5000
LINE_FILTERS = {
    "cod_rd": "cod_rd",
    "CodRD": "cod_rd",
    "section": "section",
    "chapter": "chapter",
    "chapitre": "chapter",
    "fonction": "fonction",
    "function": "fonction",
    "nature": "nature",
    "op_budg": "op_budg",
    "OpBudg": "op_budg",
}
"""``budget_lines`` filter parameters (French and English names, the documents' own
spellings) → the column they filter."""
MOVEMENTS = {"reel": "0", "réel": "0", "real": "0", "ordre": "1", "order": "1"}


def movement(value: Any) -> str:
    """``reel`` or ``ordre`` (any case, French or English) as the stored ``op_budg``."""
    code = MOVEMENTS.get(str(value).strip().lower())
    if code is None:
        raise not_one_of(("reel", "ordre"))
    return code


def uploaded_file(value: Any) -> FileStorage:
    """A file sent as a multipart upload, not text."""
    if not isinstance(value, FileStorage):
        raise tk.Invalid(tk._("Send the document as a file (multipart/form-data upload)."))
    return value


@tk.validator_args
def document_schema(
    if_empty_same_as: ValidatorFactory,
    not_empty: Validator,
    ignore_missing: Validator,
    unicode_safe: Validator,
) -> Schema:
    """A document by resource id (``id``, or ``resource_id``)."""
    return {
        "id": [if_empty_same_as("resource_id"), not_empty, unicode_safe],
        "resource_id": [ignore_missing, unicode_safe],
    }


@tk.validator_args
def validation_show_schema(ignore_empty: Validator) -> Schema:
    return {**document_schema(), "lang": [ignore_empty, value_in(LANGUAGES)]}


@tk.validator_args
def lines_schema(
    default: ValidatorFactory,
    ignore_empty: Validator,
    natural_number_validator: Validator,
) -> Schema:
    return {
        **document_schema(),
        **{param: [ignore_empty, comma_separated_list] for param in LINE_FILTERS},
        "movement": [ignore_empty, movement],
        "mouvement": [ignore_empty, movement],
        "offset": [strip_text, default(0), natural_number_validator],
        "limit": [
            strip_text,
            default(1000),
            natural_number_validator,
            at_most(MAX_LINES_PER_PAGE),
        ],
        "format": [default("json"), value_in(("json", "csv"))],
    }


@tk.validator_args
def validate_schema(not_empty: Validator, ignore_empty: Validator) -> Schema:
    return {
        "upload": [not_empty, uploaded_file],
        "lang": [ignore_empty, value_in(LANGUAGES)],
    }


@tk.validator_args
def reprocess_schema(
    ignore_empty: Validator,
    unicode_safe: Validator,
    default: ValidatorFactory,
    boolean_validator: Validator,
) -> Schema:
    return {
        "id": [required_unless("package_id"), ignore_empty, unicode_safe],
        "package_id": [ignore_empty, unicode_safe],
        # unicode_safe first: CKAN 2.11's boolean_validator takes text and booleans only.
        "background": [default(True), unicode_safe, boolean_validator],
    }
