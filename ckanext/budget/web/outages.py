"""A clear answer when the database cannot be reached, instead of an internal error.

When PostgreSQL is stopped or restarted, CKAN answers "Internal Server Error" (HTTP 500):
the API's action view catches the error itself, the pages fail while rendering. Here any
database error that says the connection failed (SQLAlchemy's ``handle_error`` event)
marks the request; a page or API call that then fails is answered HTTP 503 with a
message saying that nothing was saved and to try again, in the request's language. The
transaction is rolled back, which also puts the files written by the request back as
they were (``storage``). The message never repeats the failed statement or its values.
"""

from __future__ import annotations

import html
import json
import logging
from typing import Any

import sqlalchemy as sa
from ckan import model
from flask import Response, g, has_request_context, request

from .. import settings
from ..docbudg.messages import Message

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
DATABASE_UNAVAILABLE = Message(
    "Le portail ne parvient pas à joindre sa base de données pour le moment : rien n'a "
    "été enregistré. Réessayez dans quelques minutes ; si le problème persiste, prévenez "
    "l'administrateur du portail.",
    "The portal cannot reach its database at the moment: nothing was saved. Try again in "
    "a few minutes; if the problem persists, tell the portal administrator.",
)
TITLE = Message("Service momentanément indisponible", "Service temporarily unavailable")


# SQLSTATE classes of a lost or refused connection: 08 connection exception, 57 operator
# intervention (server shutting down, connection terminated by an administrator).
OUTAGE_SQLSTATE_CLASSES = ("08", "57")


@sa.event.listens_for(sa.engine.Engine, "handle_error")
def _note_connection_failure(context: Any) -> None:
    """Remember that this request lost (or could not open) its database connection."""
    if not has_request_context():
        return
    original = context.original_exception
    code = getattr(original, "pgcode", None)
    if context.is_disconnect or (
        isinstance(context.sqlalchemy_exception, sa.exc.OperationalError)
        and (code is None or code[:2] in OUTAGE_SQLSTATE_CLASSES)
    ):
        g.budget_database_unavailable = type(original).__name__


def register(app: Any) -> None:
    """Answer 503 for database outages on ``app`` (the portal's Flask app)."""
    app.register_error_handler(sa.exc.OperationalError, _on_database_error)
    app.register_error_handler(sa.exc.InterfaceError, _on_database_error)
    app.after_request(_replace_internal_error)


def _on_database_error(error: Exception) -> Response:
    g.budget_database_unavailable = type(getattr(error, "orig", error)).__name__
    return unavailable()


def _replace_internal_error(response: Response) -> Response:
    if response.status_code >= 500 and getattr(g, "budget_database_unavailable", None):
        return unavailable()
    return response


def unavailable() -> Response:
    """The 503 answer: JSON for the API, a short page otherwise."""
    _rollback()
    log.error(
        "database unavailable during %s %s (%s)",
        request.method,
        request.path,
        g.get("budget_database_unavailable"),
    )
    lang = settings.current_language()
    text = DATABASE_UNAVAILABLE.text(lang)
    if request.path.startswith("/api/"):
        body = json.dumps(
            {
                "success": False,
                "error": {"__type": "Service Unavailable", "message": text},
            },
            ensure_ascii=False,
        )
        response = Response(body, status=503, content_type="application/json;charset=utf-8")
    else:
        title = html.escape(TITLE.text(lang))
        body = (
            f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>{title}</title></head><body><h1>{title}</h1>"
            f"<p>{html.escape(text)}</p></body></html>"
        )
        response = Response(body, status=503, content_type="text/html;charset=utf-8")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _rollback() -> None:
    """End the failed transaction now (the connection is invalidated, files restored)."""
    try:
        model.Session.rollback()
    except sa.exc.SQLAlchemyError:
        log.warning("rollback after a lost database connection failed")
