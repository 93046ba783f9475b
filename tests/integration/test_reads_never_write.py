"""Reads never write: no GET of the extension's pages and no read action of its API
commits anything to the database — also when a document's aggregation is missing or out
of date (the page says its figures are being computed, and queues one background job that
computes them), or its processing job was interrupted (shown, not recorded).

Every GET row of the security matrix (``security_portal.PAGES``) and every read action
(``ACTIONS`` that change nothing) is requested anonymously and as the sysadmin, on the
public and the private dataset, while every committed INSERT, UPDATE or DELETE is
recorded (CKAN's own record of a signed-in user's last activity aside).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis
import rq
import sqlalchemy as sa
from ckan import model
from ckan.lib import jobs
from ckan.tests.helpers import call_action

from ckanext.budget.documents import model as db
from ckanext.budget.rulesets import jobs as ruleset_jobs
from ckanext.budget.rulesets import service
from ckanext.budget.rulesets.model import AggregationRecord

from .security_portal import ACTIONS, PAGES, Action, Page, Portal, module_portal

ROLES = ("anonymous", "sysadmin")
NOT_OURS = {("user", "UPDATE"), ("api_token", "UPDATE")}
"""CKAN's own: a signed-in user's ``last_active`` (at most every 10 min) and an API
token's ``last_access``, updated by any request."""


class Writes:
    """Tables written by committed transactions while :meth:`watch` is active."""

    def __init__(self) -> None:
        self.active = False
        self.committed: list[tuple[str, str]] = []

    def executed(
        self, conn: Any, cursor: Any, statement: Any, params: Any, context: Any, *_: Any
    ) -> None:
        if not self.active or context is None or context.compiled is None:
            return
        kind = next(
            (
                name
                for name, flag in (
                    ("INSERT", context.isinsert),
                    ("UPDATE", context.isupdate),
                    ("DELETE", context.isdelete),
                )
                if flag
            ),
            None,
        )
        table = getattr(context.compiled.statement, "table", None)
        if kind and (getattr(table, "name", "?"), kind) not in NOT_OURS:
            conn.info.setdefault("reads_never_write", []).append(
                (getattr(table, "name", "?"), kind)
            )

    def commit(self, conn: Any) -> None:
        self.committed.extend(conn.info.pop("reads_never_write", []))

    def rollback(self, conn: Any) -> None:
        conn.info.pop("reads_never_write", None)

    @contextmanager
    def watch(self) -> Iterator[None]:
        self.committed.clear()
        self.active = True
        try:
            yield
        finally:
            self.active = False


@pytest.fixture(scope="module")
def portal(reset_db: Any, migrate_db_for: Any) -> Iterator[Portal]:
    yield from module_portal(reset_db, migrate_db_for)


@pytest.fixture(autouse=True)
def load_standard_plugins() -> None:
    """The module's portal keeps the plugins loaded (see ``module_portal``)."""


@pytest.fixture(scope="module")
def writes() -> Iterator[Writes]:
    watcher = Writes()
    events = (
        ("after_cursor_execute", watcher.executed),
        ("commit", watcher.commit),
        ("rollback", watcher.rollback),
    )
    for name, handler in events:
        sa.event.listen(sa.engine.Engine, name, handler)
    yield watcher
    for name, handler in events:
        sa.event.remove(sa.engine.Engine, name, handler)


GET_PAGES = [page for page in PAGES if page.method == "GET"]
READ_ACTIONS = [action for action in ACTIONS if not action.changes]


def _get(portal: Portal, page: Page, scope: str, role: str) -> int:
    response = portal.app.get(
        page.url(portal, scope), headers=portal.headers(role), follow_redirects=False
    )
    return response.status_code


@pytest.mark.parametrize("page", GET_PAGES, ids=[page.name for page in GET_PAGES])
def test_a_page_writes_nothing(portal: Portal, writes: Writes, page: Page) -> None:
    for scope in page.scopes():
        for role in ROLES:
            if page.prepare:
                page.prepare(portal, scope)
            with writes.watch():
                _get(portal, page, scope, role)
            assert writes.committed == [], (page.name, scope, role)


@pytest.mark.parametrize("action", READ_ACTIONS, ids=[a.name for a in READ_ACTIONS])
def test_a_read_action_writes_nothing(portal: Portal, writes: Writes, action: Action) -> None:
    for scope in action.scopes():
        if action.prepare:
            action.prepare(portal, scope)
        with writes.watch(), portal.app.flask_app.test_request_context():
            call_action(
                action.action,
                context={"user": portal.user_name("sysadmin")},
                **action.data(portal, scope),
            )
        assert writes.committed == [], (action.name, scope)


COMPUTING = {"": "are being computed", "/fr": "sont en cours de calcul"}
"""What the pages say of figures a job is computing, by language prefix of the URL."""
SHOWN = 'class="breadcrumb budget-explorer-path"'
"""Only a page that shows a breakdown has its path."""
FIGURE_PAGES = [p for p in GET_PAGES if p.endpoint in ("budget_page.read", "dataset_resource.read")]


def _missing(resource_id: str) -> None:
    model.Session.query(AggregationRecord).filter_by(resource_id=resource_id).delete()


def _stale(resource_id: str) -> None:
    """As if the rules had changed and their job not run yet."""
    service.stored(resource_id).ruleset_version = -1


def _pages(portal: Portal, prefix: str, role: str) -> dict[str, str]:
    out = {}
    for page in FIGURE_PAGES:
        response = portal.app.get(prefix + page.url(portal, "public"), headers=portal.headers(role))
        assert response.status_code == 200, page.name
        out[page.name] = response.get_data(as_text=True)
    return out


@pytest.mark.usefixtures("clean_queues")
@pytest.mark.parametrize("spoil", [_missing, _stale], ids=["missing", "stale"])
def test_missing_figures_are_announced_and_queued_not_computed_by_a_read(
    portal: Portal, writes: Writes, spoil: Any
) -> None:
    """A document whose aggregation is not stored (yet, or any more) or out of date: the
    budget page and the resource page read what is stored, say in the reader's language
    that the figures are being computed, and queue one job however often they are read;
    once it ran, they show the figures."""
    resource_id = portal.resources["public"]["id"]
    spoil(resource_id)
    model.Session.commit()
    for prefix, words in COMPUTING.items():
        for role in ROLES:
            with writes.watch():
                shown = _pages(portal, prefix, role)
            assert writes.committed == [], (prefix, role)
            for name, page in shown.items():
                assert words in page and SHOWN not in page, (name, prefix, role)
    with writes.watch(), portal.app.flask_app.test_request_context():
        for _ in range(100):  # and a hundred reads more
            assert call_action("budget_aggregate", id=resource_id)["current"] is False
    export = next(p for p in GET_PAGES if p.endpoint == "budget_explorer.export_csv")
    assert _get(portal, export, "public", "anonymous") == 503  # not there yet: try again
    assert writes.committed == []
    queued = call_action("job_list")
    assert [job["title"] for job in queued] == [f"ckanext-budget: aggregate resource {resource_id}"]
    assert service.current(db.get_document(resource_id)) is None  # nothing computed yet

    queue = jobs.get_queue()
    rq.SimpleWorker([queue], connection=queue.connection).work(burst=True)
    model.Session.expire_all()

    assert service.current(db.get_document(resource_id)) is not None
    for prefix, words in COMPUTING.items():
        for role in ROLES:
            for name, page in _pages(portal, prefix, role).items():
                assert words not in page and SHOWN in page, (name, prefix, role)


@pytest.mark.usefixtures("clean_queues")
def test_a_job_the_queue_refused_is_queued_by_the_next_read(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The queue refused the job (Redis full, a network error): the read still answers,
    with no job, and the next read queues it — nothing left behind holds it back."""
    resource_id = portal.resources["public"]["id"]
    _missing(resource_id)
    model.Session.commit()

    def refused(*_: Any, **__: Any) -> None:
        raise redis.ConnectionError("the queue is unavailable")

    monkeypatch.setattr(ruleset_jobs.tk, "enqueue_job", refused)
    with portal.app.flask_app.test_request_context():
        answer = call_action("budget_aggregate", id=resource_id)
    assert answer["current"] is False and answer["job_id"] is None
    monkeypatch.undo()
    with portal.app.flask_app.test_request_context():
        answer = call_action("budget_aggregate", id=resource_id)
    assert answer["job_id"]
    queued = call_action("job_list")
    assert [job["title"] for job in queued] == [f"ckanext-budget: aggregate resource {resource_id}"]
    queue = jobs.get_queue()
    rq.SimpleWorker([queue], connection=queue.connection).work(burst=True)
    model.Session.expire_all()
    assert service.current(db.get_document(resource_id)) is not None


def test_an_interrupted_processing_is_shown_not_recorded_by_a_read(
    portal: Portal, writes: Writes
) -> None:
    """A document whose processing job can no longer finish (its worker died) is shown
    failed, "interrupted", with the re-run button, by its page and the API; what is
    recorded stays as it was."""
    resource_id = portal.work_resources["public"]["id"]
    record = db.get_document(resource_id)
    state = (record.status, record.job_id, record.updated)
    record.status, record.job_id = db.STATUS_RUNNING, "budget-no-such-job"
    record.updated = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
    model.Session.commit()
    url = f"/dataset/{portal.work_datasets['public']['name']}/resource/{resource_id}"
    try:
        with writes.watch():
            page = portal.app.get(url, headers=portal.headers("sysadmin")).get_data(as_text=True)
            with portal.app.flask_app.test_request_context():
                shown = call_action("budget_document_show", id=resource_id)
                report = call_action("budget_validation_show", id=resource_id)
        assert writes.committed == []
        assert "Processing was interrupted" in page and "Process again" in page
        assert shown["status"] == report["status"] == db.STATUS_FAILED
        assert "interrupted" in shown["status_reason"]["en"]
        assert "interrompu" in shown["status_reason"]["fr"]
        model.Session.expire_all()
        assert db.get_document(resource_id).status == db.STATUS_RUNNING
    finally:
        record = db.get_document(resource_id)
        record.status, record.job_id, record.updated = state
        model.Session.commit()
