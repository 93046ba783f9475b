"""The authorisation matrix: every page and every API action of the extension, for every
role (anonymous, logged-in user, member, editor and admin of the organisation, editor of
another organisation, sysadmin), on a public and a private dataset.

The rows live in ``security_portal`` (one line per page or action). A refused request
never changes anything; an allowed one that should change something does. Two tests make
the tables complete: a page or action the extension adds without a row fails them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from bs4 import BeautifulSoup
from ckan import plugins
from ckan.plugins import toolkit as tk
from ckan.tests.helpers import call_action

from .security_portal import (
    ACTIONS,
    ALLOWED,
    EDIT,
    HIDDEN,
    ORG_EDIT,
    OVERRIDE_LABEL,
    PAGES,
    READ,
    REFUSED,
    ROLES,
    VISIBILITIES,
    Action,
    Page,
    Portal,
    cases,
    module_portal,
    reset_override,
    reset_rules,
)

OUR_MODULES = "ckanext.budget"


@pytest.fixture(scope="module")
def portal(reset_db: Any, migrate_db_for: Any) -> Iterator[Portal]:
    yield from module_portal(reset_db, migrate_db_for)


@pytest.fixture(autouse=True)
def load_standard_plugins() -> None:
    """The module's portal keeps the plugins loaded (see ``module_portal``)."""


def expected_status(page: Page, outcome: str) -> int:
    return {ALLOWED: page.ok, REFUSED: 403, HIDDEN: 404}[outcome]


@pytest.mark.parametrize(("page", "scope", "role"), cases(PAGES))
def test_page(portal: Portal, page: Page, scope: str, role: str) -> None:
    if page.prepare:
        page.prepare(portal, scope)
    before = page.state(portal, scope) if page.state else None
    url = page.url(portal, scope)
    headers = portal.headers(role)
    if page.method == "GET":
        response = portal.app.get(url, headers=headers, follow_redirects=False)
    else:
        response = portal.app.post(
            url, headers=headers, data=page.data(portal, scope), follow_redirects=False
        )
    outcome = page.who[scope][role]
    assert response.status_code == expected_status(page, outcome), response.get_data(as_text=True)[
        :2000
    ]
    if page.state:
        changed = page.state(portal, scope) != before
        assert changed == (outcome == ALLOWED and page.changes)


@pytest.mark.parametrize(("action", "scope", "role"), cases(ACTIONS))
def test_action(portal: Portal, action: Action, scope: str, role: str) -> None:
    if action.prepare:
        action.prepare(portal, scope)
    before = action.state(portal, scope) if action.state else None
    context = {"user": portal.user_name(role), "ignore_auth": False}
    outcome = action.who[scope][role]
    with portal.app.flask_app.test_request_context():
        if outcome == ALLOWED:
            call_action(action.action, context=context, **action.data(portal, scope))
        else:
            with pytest.raises(tk.NotAuthorized):
                call_action(action.action, context=context, **action.data(portal, scope))
    if action.state:
        changed = action.state(portal, scope) != before
        assert changed == (outcome == ALLOWED and action.changes)


def test_every_page_of_the_extension_has_a_row(portal: Portal) -> None:
    """Each route of the extension's blueprints, with each method, is in ``PAGES``, and
    each row's URL reaches the endpoint it names."""
    flask_app = portal.app.flask_app
    ours = {
        blueprint.name
        for plugin in plugins.PluginImplementations(plugins.IBlueprint)
        if type(plugin).__module__.startswith(OUR_MODULES)
        for blueprint in _blueprints(plugin)
    }
    routes = {
        (rule.endpoint, method)
        for rule in flask_app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in ours
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes, "no blueprint of the extension found"
    assert routes <= {(page.endpoint, page.method) for page in PAGES}
    adapter = flask_app.url_map.bind("test.ckan.net")
    for page in PAGES:
        for scope in page.scopes():
            path = page.url(portal, scope).split("?")[0]
            assert adapter.match(path, method=page.method)[0] == page.endpoint, page.name


def _blueprints(plugin: Any) -> list[Any]:
    found = plugin.get_blueprint()
    return found if isinstance(found, list) else [found]


def test_every_action_of_the_extension_has_a_row(portal: Portal) -> None:
    ours = {
        name
        for plugin in plugins.PluginImplementations(plugins.IActions)
        if type(plugin).__module__.startswith(OUR_MODULES)
        for name in plugin.get_actions()
    }
    assert ours
    assert ours == {action.action for action in ACTIONS}


@pytest.mark.parametrize("role", ROLES)
def test_lists_do_not_reveal_private_datasets(portal: Portal, role: str) -> None:
    """Pages listing what an organisation has (its rules and the datasets' own rules, the
    documents offered for comparison) list a private dataset only to those who may see
    it."""
    reset_rules(portal)
    for scope in VISIBILITIES:
        reset_override(portal, scope)
    sees_private = READ["private"][role] == ALLOWED
    rules = portal.app.get(
        f"/organization/{portal.org['name']}/budget-rules", headers=portal.headers(role)
    ).get_data(as_text=True)
    assert (OVERRIDE_LABEL.format(visibility="private") in rules) == sees_private
    assert (f"/dataset/{portal.datasets['private']['name']}/" in rules) == sees_private
    assert OVERRIDE_LABEL.format(visibility="public") in rules
    compare = portal.app.get("/budget/compare", headers=portal.headers(role))
    choices = {
        box["value"]
        for box in BeautifulSoup(compare.get_data(as_text=True), "html.parser").select(
            "input[name=doc]"
        )
    }
    assert (portal.resources["private"]["id"] in choices) == sees_private
    assert portal.resources["public"]["id"] in choices


@pytest.mark.parametrize("role", ROLES)
def test_buttons_and_forms_are_shown_to_those_who_may_use_them(portal: Portal, role: str) -> None:
    """The "process again" button, and the forms of the rule editor."""
    reset_rules(portal)
    for scope in VISIBILITIES:
        reset_override(portal, scope)
        resource = portal.app.get(
            f"/dataset/{portal.datasets[scope]['name']}/resource/{portal.resources[scope]['id']}",
            headers=portal.headers(role),
        )
        rules = portal.app.get(
            f"/dataset/{portal.datasets[scope]['name']}/budget-rules", headers=portal.headers(role)
        )
        if READ[scope][role] == HIDDEN:
            assert resource.status_code == rules.status_code == 404
            continue
        may_edit = EDIT[scope][role] == ALLOWED
        assert ("budget-reprocess" in resource.get_data(as_text=True)) == may_edit
        assert post_forms(rules.get_data(as_text=True)) == may_edit
    org_rules = portal.app.get(
        f"/organization/{portal.org['name']}/budget-rules", headers=portal.headers(role)
    )
    assert post_forms(org_rules.get_data(as_text=True)) == (ORG_EDIT["site"][role] == ALLOWED)


def post_forms(html: str) -> bool:
    """Whether the page has forms of the rule editor (not CKAN's language or logout)."""
    page = BeautifulSoup(html, "html.parser")
    return any(
        (form.get("method") or "").lower() == "post"
        and "budget-rules" in (form.get("action") or "budget-rules")
        for form in page.select("form")
    )


@pytest.mark.parametrize("role", ROLES)
def test_the_http_api_answers_like_the_actions(portal: Portal, role: str) -> None:
    """Over HTTP, a refused read is a 403 that carries no budget data."""
    for scope in VISIBILITIES:
        for action in ("budget_document_show", "budget_lines", "budget_aggregate"):
            response = portal.app.get(
                f"/api/3/action/{action}",
                query_string={"id": portal.resources[scope]["id"]},
                headers=portal.headers(role),
            )
            allowed = READ[scope][role] == ALLOWED
            assert response.status_code == (200 if allowed else 403), (action, scope)
            assert response.json["success"] is allowed
            assert ("result" in response.json) == allowed
