"""« Vérifier un fichier avant publication »: an editor uploads a document and sees its
validation report and what anonymisation would remove. Nothing is stored: the file
goes to the ``budget_validate`` action, which works in memory."""

from __future__ import annotations

from typing import Any

from ckan.plugins import toolkit as tk
from flask import Blueprint, request

from .. import settings
from . import access, presenters

blueprint = Blueprint("budget_check", __name__)


def _allowed() -> dict[str, Any]:
    ctx = access.context()
    try:
        tk.check_access("budget_validate", dict(ctx), {})
    except tk.NotAuthorized:
        tk.abort(403, tk._("Only users who can publish datasets may check a file."))
    return ctx


def check() -> str:
    ctx = _allowed()
    if request.method == "GET":
        return tk.render("budget/check.html", {"result": None, "error": None})
    access.protect_form()
    upload = request.files.get("upload")
    if upload is None or not upload.filename:
        return tk.render(
            "budget/check.html", {"result": None, "error": tk._("Choose a file to check.")}
        )
    result = tk.get_action("budget_validate")(
        dict(ctx), {"upload": upload, "lang": settings.current_language()}
    )
    validation = result.get("validation")
    return tk.render(
        "budget/check.html",
        {
            "result": result,
            "filename": upload.filename,
            "report": presenters.report_view(validation) if validation else None,
            "stage": presenters.stage_words(
                result.get("header", {}).get("stage"),
                None,
                result.get("header", {}).get("exercice"),
                settings.current_language(),
            )
            if result.get("readable")
            else "",
            "error": None,
        },
    )


blueprint.add_url_rule("/budget-check", view_func=check, methods=["GET", "POST"])
