"""Property: a natural person planted anywhere the reader lets through never comes out
of the portal.

The cases of ``tests/fixtures/planting.py`` (a synthetic person, a *canary*, planted in a
random place, namespace form, encoding, padding and gzip variant, or the whole document
wrapped in a foreign root) are uploaded through the real paths — CKAN's action, the web
form with a logged-in editor's session, the multipart API with a token — to a new
``budget`` or plain ``dataset`` dataset each. Either the upload is refused (a wrapped
document must be, and then nothing is stored) with an error that does not name the
canary, or it is stored, processed, and no answer the portal gives about that dataset —
its pages, downloads, derived files and API, anonymously and to its editor — holds the
canary. Once every example has run, the storage folder, a dump of the database, Redis,
the captured logs and the files written to the temporary directory must not hold any
example's canary either.
"""

from __future__ import annotations

import contextlib
import html
import itertools
import json
import logging
import os
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from ckan import model
from ckan.plugins import toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action
from hypothesis import HealthCheck, Phase, event, example, given, settings
from hypothesis import strategies as st

from ckanext.budget.docbudg.errors import NestedBudgetDocument
from ckanext.budget.documents import model as db

from ..fixtures.planting import Canary, Planted, canary_forms, leaked, planted_documents
from ..fixtures.privacy import make_document_with_personal_data
from .budget_uploads import file_storage, upload_resource
from .test_pages_forms import PASSWORD, logged_in, post_new_resource_form
from .test_upload_privacy import database_dump, redis_blob

pytestmark = pytest.mark.usefixtures("clean_db", "clean_queues")

BASES = ("synthetic", "synthetic CFU", "Crach CA")
DATASET_TYPES = ("budget", "dataset")
ROUTES = ("action", "web form", "API")
LANGUAGES = ("", "/fr")
MAX_EXAMPLES = 25
"""An example (an upload, a dry run, some 90 requests) takes about 2.2 s on a quiet 2-core
machine, 3.5 s on a busy one: 55–90 s a CKAN version."""

ENVELOPED = Canary("KANARENVELOP", "Jeanne", "99000000000017")
WRAPPED = Planted(
    data=make_document_with_personal_data(
        "UTF-8",
        names={
            "concours_p3": ENVELOPED.name,
            "concours_p3_siret": ENVELOPED.siret,
        },
    ).replace(b"?>", b"?><enveloppe>", 1)
    + b"</enveloppe>",
    canary=ENVELOPED,
    description="the synthetic document wrapped in <enveloppe>",
    refused=True,
)
"""A refused case is run every time (a random draw may have none)."""


# -- the portal ---------------------------------------------------------------------------
@dataclass
class Portal:
    app: Any
    org: dict[str, Any]
    editor: dict[str, Any]
    browser: Any
    """The editor's browser: a session cookie, CSRF tokens from the forms."""

    @property
    def token(self) -> dict[str, str]:
        return {"Authorization": self.editor["token"]}


@pytest.fixture
def portal(app: Any, clean_db: None) -> Portal:
    editor = factories.UserWithToken(password=PASSWORD)
    org = factories.Organization(users=[{"name": editor["name"], "capacity": "editor"}])
    return Portal(app, org, editor, logged_in(app, editor))


@dataclass
class Traces:
    """The canaries of every example, looked for everywhere once all have run."""

    canaries: list[Canary] = field(default_factory=list)


def _regular_files(root: str | Path) -> dict[str, int]:
    """Every regular file under ``root`` with its modification time (unreadable skipped)."""
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            try:
                info = os.lstat(path)
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):
                found[path] = info.st_mtime_ns
    return found


def _written_since(root: str | Path, before: dict[str, int]) -> Iterator[tuple[str, bytes]]:
    """Each file under ``root`` written since ``before`` was taken, with its content."""
    for path, mtime in _regular_files(root).items():
        if before.get(path) != mtime:
            with contextlib.suppress(OSError):
                yield path, Path(path).read_bytes()


def _in_dump(dump: bytes, canary: Canary) -> bool:
    """``pg_dump`` writes ``bytea`` columns (the derived files) as hexadecimal."""
    return leaked(dump, canary) or any(form.hex().encode() in dump for form in canary_forms(canary))


@pytest.fixture
def traces(
    clean_db: None,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[Traces]:
    """After the last example: no canary in the storage folder, the database, Redis, the
    logs or the files written to the temporary directory.

    The temporary directory is one of the test's own for its duration
    (``tempfile.gettempdir()`` and ``TMPDIR``): other processes write to the shared one
    at the same time — the report of a concurrent run of this very test holds the same
    first canaries, which hypothesis draws again and again."""
    for logger in (None, "ckan", "ckanext"):
        caplog.set_level(logging.DEBUG, logger=logger)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    assert tempfile.gettempdir() == str(tmp_path)
    storage = Path(tk.config["ckan.storage_path"])
    stored = _regular_files(storage)
    found = Traces()
    yield found
    assert found.canaries, "no example ran"
    records = [r for phase in ("setup", "call") for r in caplog.get_records(phase)]
    called = caplog.get_records("call")
    assert any(r.name.startswith("ckanext.budget.") for r in called), "no log line captured"
    formatter = logging.Formatter()
    logs = "\n".join(formatter.format(record) for record in records).encode()
    dump = database_dump()
    files = itertools.chain(
        # Files of earlier runs may lie in the storage folder: this test's only.
        _written_since(storage, stored),
        _written_since(tmp_path, {}),
    )
    blobs = [("Redis", redis_blob()), ("logs", logs), *files]
    leaks = {
        place: [canary.name for canary in found.canaries if leaked(blob, canary)]
        for place, blob in blobs
    }
    leaks["database"] = [canary.name for canary in found.canaries if _in_dump(dump, canary)]
    assert {place: names for place, names in leaks.items() if names} == {}


# -- uploading as a publisher would -------------------------------------------------------
@dataclass
class Outcome:
    resource_id: str | None
    """The stored resource, ``None`` when the upload was refused."""
    answer: str
    """What the publisher was told (the error, or the page the form led to), unescaped."""


def _by_action(portal: Portal, dataset: dict[str, Any], case: Planted, lang: str) -> Outcome:
    try:
        resource = upload_resource(dataset["id"], case.data, case.filename, user=portal.editor)
    except tk.ValidationError as error:
        model.Session.rollback()
        return Outcome(None, json.dumps(error.error_dict, ensure_ascii=False))
    return Outcome(resource["id"], json.dumps(resource, ensure_ascii=False))


def _by_web_form(portal: Portal, dataset: dict[str, Any], case: Planted, lang: str) -> Outcome:
    """The "add resource" form, filled in as a browser sends it."""
    url = f"{lang}/{dataset['type']}/{dataset['name']}/resource/new"
    response = post_new_resource_form(
        portal.browser,
        url,
        file_storage(case.data, case.filename),
        description="",
        format="",
    )
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200, (response.status_code, case.description)
    resources = call_action("package_show", id=dataset["id"])["resources"]
    if not resources:
        assert 'class="error-explanation' in page, "refused without saying why"
        return Outcome(None, page)
    return Outcome(resources[0]["id"], page)


def _by_api(portal: Portal, dataset: dict[str, Any], case: Planted, lang: str) -> Outcome:
    response = portal.app.post(
        f"{lang}/api/3/action/resource_create",
        headers=portal.token,
        data={"package_id": dataset["id"], "upload": file_storage(case.data, case.filename)},
        content_type="multipart/form-data",
    )
    body = json.loads(response.get_data(as_text=True))
    answer = json.dumps(body, ensure_ascii=False)
    if response.status_code == 409:
        assert body["error"]["upload"], answer
        return Outcome(None, answer)
    assert response.status_code == 200 and body["success"], answer
    return Outcome(body["result"]["id"], answer)


UPLOADS = {"action": _by_action, "web form": _by_web_form, "API": _by_api}


# -- every answer the portal gives about the dataset ---------------------------------------
def _pages(dataset: dict[str, Any], resource_id: str, lang: str) -> list[str]:
    """Its pages, downloads, derived files and API answers, for anyone who may read it."""
    name, kind = dataset["name"], dataset["type"]
    package = call_action("package_show", id=dataset["id"])
    resource = package["resources"][0]
    views = [v["id"] for v in call_action("resource_view_list", id=resource_id)]
    exports = [export.name for export in db.exports_for(resource_id)]
    annexes = [n[len("annexe-") : -len(".csv")] for n in exports if n.startswith("annexe-")]
    page = f"{lang}/{kind}/{name}/resource/{resource_id}"
    budget = f"{lang}/dataset/{name}/resource/{resource_id}/budget"
    api = f"{lang}/api/3/action"
    return [
        f"{lang}/{kind}/{name}",
        f"{lang}/dataset/?q={name}",
        page,
        *(f"{page}?view_id={view}" for view in views),
        *(f"{lang}/dataset/{name}/resource/{resource_id}/view/{view}" for view in views),
        urlsplit(resource["url"]).path,
        f"{budget}/report",
        f"{budget}/report.json",
        *(f"{budget}/files/{export}" for export in exports),
        f"{budget}/explorer/embed",
        f"{budget}/explorer/data.csv",
        f"{budget}/explorer/data.json",
        *(
            f"{budget}/annexes/{annex}{tail}"
            for annex in annexes
            for tail in ("", "/embed", "/data.csv", "/data.json")
        ),
        f"{lang}/budget/{name}/explorer",
        f"{lang}/budget/{name}/explorer/embed",
        f"{lang}/budget/{name}/explorer/data.csv",
        f"{lang}/budget/{name}/explorer/data.json",
        f"{lang}/budget/compare?doc={resource_id}",
        f"{lang}/budget/compare/data.csv?doc={resource_id}",
        f"{lang}/budget/compare/data.json?doc={resource_id}",
        f"{api}/package_show?id={dataset['id']}",
        f"{api}/package_search?q={name}&include_private=true",
        f"{api}/resource_show?id={resource_id}",
        f"{api}/resource_view_list?id={resource_id}",
        f"{api}/budget_document_show?id={resource_id}",
        f"{api}/budget_validation_show?id={resource_id}",
        f"{api}/budget_lines?id={resource_id}",
        f"{api}/budget_aggregate?id={resource_id}",
        f"{api}/budget_aggregate?package_id={dataset['id']}",
    ]


def _editor_pages(dataset: dict[str, Any], resource_id: str, lang: str) -> list[str]:
    name, kind = dataset["name"], dataset["type"]
    return [
        f"{lang}/{kind}/edit/{name}",
        f"{lang}/{kind}/{name}/resource/{resource_id}/edit",
        f"{lang}/{kind}/resources/{name}",
    ]


MAY_BE_MISSING = ("/budget/compare/data.", "/explorer/data.")
"""Answers that may be "not found" for a document: a comparison's or an explorer's data
needs an aggregation the document may not have (no rules, no lines)."""


def _assert_no_canary_answered(
    portal: Portal, dataset: dict[str, Any], resource_id: str, case: Planted, lang: str
) -> None:
    everyone = _pages(dataset, resource_id, lang)
    for who, headers, urls in (
        ("anonymous", {}, everyone),
        ("editor", portal.token, everyone + _editor_pages(dataset, resource_id, lang)),
    ):
        for url in urls:
            response = portal.app.get(url, headers=headers)
            missing_allowed = any(part in url for part in MAY_BE_MISSING)
            assert response.status_code == 200 or (
                missing_allowed and response.status_code == 404
            ), (response.status_code, url, who, case.description)
            assert not leaked(response.data, case.canary), (url, who, case.description)


def _dry_run(portal: Portal, case: Planted, lang: str) -> bytes:
    """The editor's "check a file before publishing" answer for the same file."""
    response = portal.app.post(
        f"{lang}/budget-check",
        headers=portal.token,
        data={"upload": file_storage(case.data, case.filename)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.status_code
    return response.data


@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(
    case=planted_documents(bases=BASES),
    dataset_type=st.sampled_from(DATASET_TYPES),
    route=st.sampled_from(ROUTES),
    lang=st.sampled_from(LANGUAGES),
)
@example(case=WRAPPED, dataset_type="budget", route="web form", lang="/fr")
@example(case=WRAPPED, dataset_type="dataset", route="API", lang="")
def test_a_planted_person_never_comes_out_of_the_portal(
    portal: Portal, traces: Traces, case: Planted, dataset_type: str, route: str, lang: str
) -> None:
    """Shrinking is off: each example costs seconds; the description names the case."""
    traces.canaries.append(case.canary)
    dataset = factories.Dataset(type=dataset_type, owner_org=portal.org["id"])
    uploads = Path(tk.config["ckan.storage_path"]) / "resources"  # not the web assets
    stored_before = _regular_files(uploads)
    outcome = UPLOADS[route](portal, dataset, case, lang)
    assert not leaked(outcome.answer.encode(), case.canary), (route, case.description)
    assert not leaked(_dry_run(portal, case, lang), case.canary), case.description
    event(f"{'refused' if outcome.resource_id is None else 'stored'} ({route}, {dataset_type})")
    if outcome.resource_id is None:
        assert case.refused, f"refused: {case.description}: {outcome.answer[:2000]}"
        told = "fr" if lang == "/fr" and route != "action" else "en"  # an action has no request
        assert NestedBudgetDocument(root="enveloppe").text(told) in outcome.answer
        model.Session.expire_all()
        assert call_action("package_show", id=dataset["id"])["resources"] == []
        assert db.documents_for_package(dataset["id"]) == []
        assert _regular_files(uploads) == stored_before
        return
    assert not case.refused, f"a document inside another root was stored: {case.description}"
    resource = call_action("resource_show", id=outcome.resource_id)
    stored = portal.app.get(urlsplit(resource["url"]).path).data
    assert not leaked(stored, case.canary), f"the stored file holds the canary: {case.description}"
    model.Session.expire_all()
    record = db.get_document(outcome.resource_id)
    assert record is not None and record.status == db.STATUS_DONE, case.description
    _assert_no_canary_answered(portal, dataset, outcome.resource_id, case, lang)
