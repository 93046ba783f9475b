"""The signals of budget documents (a leaf module: the features that listen import only this)."""

from __future__ import annotations

from ckan.plugins import toolkit as tk

document_processed = tk.signals.ckanext.signal("budget_document_processed")
"""Sent with the resource id, ``document`` (the published document the pipeline parsed)
and ``content_sha256`` (its hash) once a document's results are in the session, before
the commit that stores them: the rule sets aggregate it in the same pass and the same
transaction, without the documents knowing of them. Listeners must not commit, nor fail:
the sender commits (the processing job; in the request, CKAN's action that saved the
dataset)."""
