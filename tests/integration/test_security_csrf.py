"""CSRF protection of every form of the extension: a POST from a logged-in browser is
refused (400) without the session's CSRF token, with a forged one or with another
session's, and changes nothing; with its token it works.

CKAN 2.11 leaves extension pages out of its own CSRF check, and CKAN 2.12.0 stops
checking a page for good once any request without a session (anonymous, or an API token)
reached it: the extension's forms check their token themselves. Each case first makes
that anonymous request, so both versions are tested in their weakest state.

The forms are the POST rows of the authorisation matrix (``security_portal.PAGES``),
whose completeness test lists every POST route of the extension.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from bs4 import BeautifulSoup

from .security_portal import (
    PAGES,
    Page,
    Portal,
    csrf_token,
    logged_in,
    module_portal,
    no_override,
    no_rules,
    reset_override,
    reset_rules,
)

EDITOR = "editor"
"""Allowed on every form of the extension (rules, re-processing, checking a file)."""
POSTS = [page for page in PAGES if page.method == "POST"]
SCOPE = "public"


@pytest.fixture(scope="module")
def portal(reset_db: Any, migrate_db_for: Any) -> Iterator[Portal]:
    yield from module_portal(reset_db, migrate_db_for)


@pytest.fixture(autouse=True)
def load_standard_plugins() -> None:
    """The module's portal keeps the plugins loaded (see ``module_portal``)."""


@pytest.fixture(scope="module")
def browsers(portal: Portal) -> dict[str, Any]:
    """Logged-in browsers: the editor, and an admin whose token must not work for him."""
    return {role: logged_in(portal, role) for role in (EDITOR, "admin")}


def scope_of(page: Page) -> str:
    return SCOPE if SCOPE in page.who else next(iter(page.who))


def token_of(browser: Any) -> str:
    return csrf_token(browser.get("/budget-check").get_data(as_text=True))


def post(page: Page, portal: Portal, browser: Any, token: str | None) -> Any:
    data = page.data(portal, scope_of(page))
    if token is not None:
        data["_csrf_token"] = token
    return browser.post(page.url(portal, scope_of(page)), data=data, follow_redirects=False)


@pytest.mark.parametrize("page", POSTS, ids=[page.name for page in POSTS])
@pytest.mark.parametrize("token", ["missing", "forged", "another session's"])
def test_a_form_without_its_token_is_refused(
    portal: Portal, browsers: dict[str, Any], page: Page, token: str
) -> None:
    scope = scope_of(page)
    if page.prepare:
        page.prepare(portal, scope)
    anonymous = portal.app.post(page.url(portal, scope), follow_redirects=False)
    assert anonymous.status_code in (400, 403, 404)
    before = page.state(portal, scope) if page.state else None
    value = {
        "missing": None,
        "forged": "ImZvcmdlZCI.forged.forged",
        "another session's": token_of(browsers["admin"]),
    }[token]
    response = post(page, portal, browsers[EDITOR], value)
    assert response.status_code == 400
    assert "The CSRF" in response.get_data(as_text=True)
    if page.state:
        assert page.state(portal, scope) == before


@pytest.mark.parametrize("page", POSTS, ids=[page.name for page in POSTS])
def test_a_form_with_its_token_works(portal: Portal, browsers: dict[str, Any], page: Page) -> None:
    scope = scope_of(page)
    if page.prepare:
        page.prepare(portal, scope)
    before = page.state(portal, scope) if page.state else None
    browser = browsers[EDITOR]
    response = post(page, portal, browser, token_of(browser))
    assert response.status_code == page.ok
    if page.state:
        assert (page.state(portal, scope) != before) == page.changes


@pytest.mark.parametrize("rules", ["with rules", "without rules"])
def test_every_form_of_the_pages_carries_the_token(
    portal: Portal, browsers: dict[str, Any], rules: str
) -> None:
    """The forms users actually submit: each POST form of every page has the token."""
    if rules == "with rules":
        reset_rules(portal)
        reset_override(portal, SCOPE)
    else:
        no_rules(portal)
        no_override(portal, SCOPE)
    browser = browsers[EDITOR]
    forms = set()
    for page in PAGES:
        if page.method != "GET":
            continue
        response = browser.get(page.url(portal, scope_of(page)))
        if response.mimetype != "text/html":
            continue
        for form in BeautifulSoup(response.get_data(as_text=True), "html.parser").select("form"):
            if (form.get("method") or "get").lower() != "post":
                continue
            forms.add((page.name, form.get("action")))
            assert form.select_one("input[name=_csrf_token]"), (page.name, str(form)[:300])
    assert len(forms) >= (20 if rules == "with rules" else 10)
    reset_rules(portal)
    reset_override(portal, SCOPE)


def test_an_api_token_needs_no_csrf_token(portal: Portal) -> None:
    """Programs use API tokens, which a browser never sends by itself: no CSRF token."""
    page = next(page for page in POSTS if page.name == "rules add tree")
    page.prepare(portal, "site")
    before = page.state(portal, "site")
    response = portal.app.post(
        page.url(portal, "site"),
        data=page.data(portal, "site"),
        headers=portal.headers(EDITOR),
        follow_redirects=False,
    )
    assert response.status_code == page.ok
    assert page.state(portal, "site") != before
