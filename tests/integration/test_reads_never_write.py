"""Reads never write: no GET of the extension's pages and no read action of its API
commits anything to the database — also when a document's aggregation is out of date
(the page says so, and a background job computes it).

Every GET row of the security matrix (``security_portal.PAGES``) and every read action
(``ACTIONS`` that change nothing) is requested anonymously and as the sysadmin, on the
public and the private dataset, while every committed INSERT, UPDATE or DELETE is
recorded (CKAN's own record of a signed-in user's last activity aside).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from ckan import model
from ckan.tests.helpers import call_action

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


def test_missing_figures_are_announced_and_queued_not_computed_by_a_read(
    portal: Portal, writes: Writes
) -> None:
    """A document whose aggregation is not stored (yet, or any more): the budget page and
    the explorer read what is stored, say the figures are being computed, and leave the
    computing to a job."""
    resource_id = portal.resources["public"]["id"]
    model.Session.query(AggregationRecord).filter_by(resource_id=resource_id).delete()
    model.Session.commit()
    pages = [p for p in GET_PAGES if p.endpoint in ("budget_page.read", "dataset_resource.read")]
    for page in pages:
        with writes.watch():
            status = _get(portal, page, "public", "anonymous")
        assert status == 200
        assert writes.committed == [], page.name
