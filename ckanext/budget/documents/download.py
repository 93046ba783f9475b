"""The download of a ``budget`` dataset's uploaded file, wherever the portal stores it.

CKAN serves an uploaded file at ``/<type>/<id>/resource/<resource_id>/download/<name>``
by sending the file at its uploader's ``get_path``: a local path. An object-storage
extension replaces that page for the ``dataset`` type only (ckanext-s3filestore's
``/dataset/…/download``), so the file of a ``budget`` dataset, in a bucket, would be an
error (HTTP 500). Here the download asks the portal's uploader: its own ``download``
(ckanext-s3filestore's: a redirect to the object) when it has one; CKAN's page otherwise
(local storage, CKAN 2.12's file storages, links).
"""

from __future__ import annotations

from typing import Any

from ckan.plugins import toolkit as tk
from ckan.views import resource as resource_views
from flask import Blueprint

from . import access, storage

blueprint = Blueprint("budget_download", __name__)
PREFIX = "/budget/<id>/resource/<resource_id>/download"


def download(id: str, resource_id: str, filename: str | None = None) -> Any:
    """The file, as the uploader serves it; visibility as on the extension's other pages
    (a private dataset's file is "not found" to those who may not see it, as its pages)."""
    try:
        resource = tk.get_action("resource_show")(access.context(), {"id": resource_id})
        tk.get_action("package_show")(access.context(), {"id": id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, tk._("Resource not found"))
    uploaded = resource.get("url_type") == "upload"
    upload = storage.portal_uploader(dict(resource)) if uploaded else None
    served = getattr(upload, "download", None)
    if served is None or storage.is_local(upload):
        return resource_views.download("budget", id, resource_id, filename)
    try:  # the resource's current object, whatever name the URL ends with
        return served(resource_id, None)
    except (OSError, tk.ObjectNotFound):  # the uploader's "no such object"
        return tk.abort(404, tk._("Resource data not found"))


blueprint.add_url_rule(PREFIX, view_func=download)
blueprint.add_url_rule(f"{PREFIX}/<filename>", view_func=download)
