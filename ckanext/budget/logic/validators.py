"""Validators used by the ``budget`` dataset type's scheming schema."""

from __future__ import annotations

from typing import Any

from ckan.plugins import toolkit as tk

from ..upload import SHA_FIELD

__all__ = ["budget_document_upload"]


def budget_document_upload(
    key: tuple[Any, ...], data: dict[tuple[Any, ...], Any], errors: dict, context: Any
) -> None:
    """A ``budget`` dataset holds budget documents: refuse another uploaded file.

    The upload gate marks an uploaded file that is not a budget document with an empty
    content hash; links and metadata-only edits are left alone.
    """
    sha_key = (*key[:-1], SHA_FIELD)
    if data.get(sha_key) == "":
        errors[key].append(
            tk._(
                "This dataset holds budget documents: upload the XML file of a "
                "DocumentBudgetaire (TotEM) or of a compte financier unique, "
                "optionally compressed as .xml.gz."
            )
        )
