"""The signals of budget documents (a leaf module: the features that listen import only this)."""

from __future__ import annotations

from ckan.plugins import toolkit as tk

document_processed = tk.signals.ckanext.signal("budget_document_processed")
"""Sent with the resource id once a document's results are committed (and its file is
stored): the rule sets aggregate it, without the documents knowing of them."""
