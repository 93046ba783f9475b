"""The portal in a subprocess, for the fault tests: ``python serve.py PORT [INI]``.

It is test.ini's portal, or INI's (the CKAN_* environment variables point it at the
private PostgreSQL, Redis and storage), served by werkzeug with threads. It first brings the
database schema up to date (as ``ckan db init``, without a second CKAN start-up), and
has two test hooks:

- ``BUDGET_FAULTS_SETUP`` (a file): a sysadmin ``faults-admin`` and an API token are
  created and written there as JSON before serving;
- ``BUDGET_FAULTS_GATE`` (a folder): once a test creates ``armed`` in it, the next
  upload stops after CKAN has written its file and before its results are stored, writes
  ``reached`` and waits for ``release`` — the moment a test stops the database;
- in the same folder, while ``hold-<point>`` exists, every upload reaching that point
  writes ``<point>-<n>`` and waits for ``release`` (or to be killed): ``writing`` (its
  temporary file written, not yet renamed), ``written`` (its file in place, the
  transaction open), ``committed`` (committed, the previous file not yet removed).
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from ckan import model
from ckan.cli import db as ckan_db
from ckan.cli import load_config
from ckan.config.middleware import make_app
from ckan.lib import uploader
from ckan.plugins import toolkit as tk
from werkzeug.serving import run_simple

from ckanext.budget.documents import processing, storage

ROOT = Path(__file__).resolve().parents[3]
ADMIN = "faults-admin"


def gated(function: Any, gate: Path) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        armed = gate / "armed"
        if armed.exists():
            armed.unlink()
            (gate / "reached").touch()
            deadline = time.monotonic() + 60
            while not (gate / "release").exists() and time.monotonic() < deadline:
                time.sleep(0.02)
        return function(*args, **kwargs)

    return wrapper


def hold(gate: Path, point: str) -> None:
    """Wait here, while the test holds ``point``, for ``release`` (or to be killed)."""
    if not (gate / f"hold-{point}").exists():
        return
    (gate / f"{point}-{uuid.uuid4().hex}").touch()
    deadline = time.monotonic() + 120
    while not (gate / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def install_holds(gate: Path) -> None:
    copy_file = uploader._copy_file
    upload = storage.GuardedUpload.upload

    def copying(input_file: Any, output_file: Any, max_size: int) -> None:
        copy_file(input_file, output_file, max_size)
        output_file.flush()
        hold(gate, "writing")

    def uploading(self: Any, id: str, max_size: int = 10) -> None:
        upload(self, id, max_size)
        hold(gate, "written")

    @sa.event.listens_for(model.Session, "after_commit", insert=True)
    def committed(session: Any) -> None:  # before storage's listener removes the copy
        if session.info.get(storage._FILES_KEY) and not session.in_nested_transaction():
            hold(gate, "committed")

    uploader._copy_file = copying
    storage.GuardedUpload.upload = uploading


def create_admin(app: Any, path: Path) -> None:
    with app._wsgi_app.test_request_context():
        site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
        if model.User.get(ADMIN) is None:
            tk.get_action("user_create")(
                {"ignore_auth": True, "user": site_user},
                {"name": ADMIN, "email": "faults@example.org", "password": "faults-Admin-1234"},
            )
        model.User.get(ADMIN).sysadmin = True
        model.repo.commit()
        token = tk.get_action("api_token_create")(
            {"ignore_auth": True, "user": ADMIN}, {"user": ADMIN, "name": "faults"}
        )["token"]
    path.write_text(json.dumps({"user": ADMIN, "token": token}))


def main() -> None:
    port = int(sys.argv[1])
    config = load_config(sys.argv[2] if len(sys.argv) > 2 else str(ROOT / "test.ini"))
    config["testing"] = False  # answer errors as a production portal does
    app = make_app(config)
    with app._wsgi_app.app_context():
        ckan_db._run_migrations("")
        ckan_db._migrate_plugins(apply=True)
    gate = Path(os.environ["BUDGET_FAULTS_GATE"])
    processing.sync_package = gated(processing.sync_package, gate)
    install_holds(gate)
    create_admin(app, Path(os.environ["BUDGET_FAULTS_SETUP"]))
    run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False, use_debugger=False)


if __name__ == "__main__":
    main()
