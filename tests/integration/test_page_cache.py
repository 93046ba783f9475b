"""The cache of anonymous pages in a real portal: what anonymous visitors get a second time
comes from memory, and never once something changed in the database — a title, a dataset
made private, a deleted resource, a processed document, the extension's own raw writes —;
signed-in visitors, API tokens, other pages, errors and forms carrying a CSRF token are
never served from it; browsers revalidate with ETags; without Redis the pages are
rendered as before."""

from __future__ import annotations

import re
from typing import Any

import flask
import pytest
import sqlalchemy as sa
from ckan import model
from ckan.tests import factories, helpers
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from ckanext.budget.documents import jobs
from ckanext.budget.documents import model as db
from ckanext.budget.search.index import PgSearchIndex
from ckanext.budget.web import page_cache

from .budget_pages import budget_dataset

pytestmark = pytest.mark.usefixtures("clean_db")

HOST = "test.ckan.net"
"""The host of CKAN's test client: its cookies are sent to it."""
CRACH_CA = ("crach/Crach_principal_CA_2021.xml",)


@pytest.fixture
def crach() -> dict[str, Any]:
    """Its aggregation stored already: a first view does not compute (and write) it."""
    dataset = budget_dataset("crach-budget-principal", CRACH_CA, title="Crach principal")
    for resource in helpers.call_action("package_show", id=dataset["id"])["resources"]:
        helpers.call_action("budget_aggregate", id=resource["id"])
    model.Session.remove()
    return dataset


@pytest.fixture(autouse=True)
def redis_reachable() -> None:
    """Each test starts with Redis reachable and no bump waiting."""
    page_cache._redis_down_until = 0.0
    page_cache._pending_bump = False


def budget_page(dataset: dict[str, Any]) -> str:
    return f"/budget/{dataset['name']}/explorer"


def embed(dataset: dict[str, Any]) -> str:
    resource = helpers.call_action("package_show", id=dataset["id"])["resources"][0]
    return f"/dataset/{dataset['name']}/resource/{resource['id']}/budget/explorer/embed"


def cache_state(response: Any) -> str | None:
    return response.headers.get(page_cache.HEADER)


def test_second_anonymous_visit_is_served_from_memory(app, crach) -> None:
    first = app.get(budget_page(crach))
    second = app.get(budget_page(crach))
    assert first.status_code == second.status_code == 200
    assert (cache_state(first), cache_state(second)) == ("miss", "hit")
    assert "Crach principal" in second.get_data(as_text=True)
    assert second.headers["Content-Type"] == first.headers["Content-Type"]
    assert int(second.headers["Content-Length"]) == len(second.get_data())


def test_each_visitor_gets_a_csrf_token_of_their_own_that_works(app, crach) -> None:
    """CKAN's forms (its language selector, scripts reading the ``<meta>`` tag) post a
    token bound to the visitor's session: visitors served from memory get a token and a
    session of their own."""
    visitors = []
    for visitor in range(3):
        client = app.test_client()  # a browser of its own: no cookie yet
        page = client.get(budget_page(crach))
        assert cache_state(page) == ("miss" if visitor == 0 else "hit")
        html = page.get_data(as_text=True)
        token = re.search(r'<meta name="_csrf_token" content="([^"]+)"', html).group(1)
        # The meta tag (the budget page offers its languages as links, without a form).
        assert html.count(token) == 1
        (cookie,) = page.headers.getlist("Set-Cookie")
        visitors.append((token, cookie.split(";", 1)[0]))
        switched = client.post(
            "/util/redirect",
            data={"_csrf_token": token, "url": "/en" + budget_page(crach)},
            follow_redirects=False,
        )
        assert switched.status_code == 302
        assert switched.headers["Location"].endswith("/en" + budget_page(crach))
    assert len({token for token, _ in visitors}) == 3
    for i, (_, cookie) in enumerate(visitors):
        for j, (token, _) in enumerate(visitors):
            with app.flask_app.test_request_context(headers={"Cookie": cookie}):
                if i == j:
                    validate_csrf(token)
                else:
                    with pytest.raises(ValidationError):
                        validate_csrf(token)


def test_each_language_and_query_is_its_own_entry(app, crach) -> None:
    app.get(budget_page(crach))
    french = app.get("/fr" + budget_page(crach))
    assert cache_state(french) == "miss"
    assert 'lang="fr"' in french.get_data(as_text=True)
    assert cache_state(app.get("/fr" + budget_page(crach))) == "hit"
    # A query the page knows (an unknown value is a 404, never kept).
    chapters = app.get(budget_page(crach) + "?tree=chapitre")
    assert cache_state(chapters) == "miss"
    assert cache_state(app.get(budget_page(crach) + "?tree=chapitre")) == "hit"


def test_a_changed_title_is_shown_at_once(app, crach, sysadmin) -> None:
    app.get(budget_page(crach))
    assert cache_state(app.get(budget_page(crach))) == "hit"
    helpers.call_action(
        "package_patch", {"user": sysadmin["name"]}, id=crach["id"], title="Crach — comptes"
    )
    after = app.get(budget_page(crach))
    assert cache_state(after) == "miss"
    assert "Crach — comptes" in after.get_data(as_text=True)


def test_a_dataset_made_private_is_no_longer_shown(app, crach, sysadmin) -> None:
    page, document = budget_page(crach), embed(crach)
    for url in (page, document, page, document):
        assert app.get(url).status_code == 200
    helpers.call_action("package_patch", {"user": sysadmin["name"]}, id=crach["id"], private=True)
    for url in (page, document):
        hidden = app.get(url, expect_errors=True)
        assert hidden.status_code in (403, 404), url
        assert "Crach principal" not in hidden.get_data(as_text=True)
        assert cache_state(hidden) is None


def resource_of(dataset: dict[str, Any]) -> dict[str, Any]:
    return helpers.call_action("package_show", id=dataset["id"])["resources"][0]


def cached(app: Any, url: str) -> str | None:
    """The generation once ``url`` is kept (and served once from memory)."""
    app.get(url)
    assert cache_state(app.get(url)) == "hit"
    return page_cache.current_generation()


def test_a_deleted_resource_is_no_longer_shown(app, crach, sysadmin) -> None:
    document = embed(crach)
    cached(app, document)
    helpers.call_action("resource_delete", {"user": sysadmin["name"]}, id=resource_of(crach)["id"])
    gone = app.get(document, expect_errors=True)
    assert gone.status_code == 404 and cache_state(gone) is None


def test_a_processed_document_makes_pages_stale(app, crach) -> None:
    """Processing replaces the lines in bulk (``query.delete()``, ``insert()``)."""
    generation = cached(app, budget_page(crach))
    jobs.reprocess(resource_of(crach)["id"], in_background=False)
    assert page_cache.current_generation() != generation
    assert cache_state(app.get(budget_page(crach))) == "miss"


def test_writes_no_flush_shows_make_pages_stale(app, crach) -> None:
    """A bulk update through the session is seen; a ``sa.text`` write counts once noted,
    at its commit."""
    generation = cached(app, budget_page(crach))
    model.Session.query(model.Package).filter_by(id=crach["id"]).update(
        {"notes": "en masse"}, synchronize_session=False
    )
    model.Session.commit()
    assert page_cache.current_generation() != generation
    generation = cached(app, budget_page(crach))
    model.Session.execute(
        sa.text("UPDATE package SET notes = 'texte' WHERE id = :id"), {"id": crach["id"]}
    )
    page_cache.note_write()
    assert page_cache.current_generation() == generation  # not before the commit
    model.Session.commit()
    assert page_cache.current_generation() != generation


def test_a_write_counts_when_its_outer_transaction_commits_and_never_if_rolled_back(
    app, crach
) -> None:
    """Readers that start before the commit lands must not keep pages under a new
    generation: a savepoint's release is not the commit."""
    generation = cached(app, budget_page(crach))
    package = model.Package.get(crach["id"])
    package.title = "jamais"
    model.Session.flush()
    model.Session.execute(model.package_table.update().values(notes="jamais non plus"))
    model.Session.rollback()
    model.Session.commit()
    assert page_cache.current_generation() == generation
    assert cache_state(app.get(budget_page(crach))) == "hit"
    with model.Session.begin_nested():
        model.Package.get(crach["id"]).title = "Crach — dans un point de sauvegarde"
    assert page_cache.current_generation() == generation
    model.Session.commit()
    assert page_cache.current_generation() != generation


def test_visits_and_token_uses_keep_the_cache(app, crach, sysadmin) -> None:
    """CKAN writes a signed-in user's last activity and a token's last use: no page
    shows them."""
    generation = cached(app, budget_page(crach))
    user = model.User.get(sysadmin["name"])
    user.last_active = None
    model.Session.commit()
    generation = cached(app, budget_page(crach))
    shown = app.get(
        "/api/3/action/package_show?id=" + crach["id"], headers={"Authorization": sysadmin["token"]}
    )
    assert shown.json["success"]
    model.Session.remove()
    assert model.User.get(sysadmin["name"]).last_active is not None  # written by the visit
    assert page_cache.current_generation() == generation
    assert cache_state(app.get(budget_page(crach))) == "hit"


def test_the_extension_s_own_raw_writes_make_pages_stale(app, crach) -> None:
    """Writes committed on a connection of their own, which the ORM does not see, call
    :func:`page_cache.bump` once committed."""
    resource_id = resource_of(crach)["id"]
    record = db.get_document(resource_id)
    record.status, record.job_id = db.STATUS_RUNNING, "job-lost"
    model.Session.commit()
    generation = cached(app, budget_page(crach))
    jobs._fail_outside(model.Session(), resource_id, "job-lost", jobs.INTERRUPTED)
    assert page_cache.current_generation() != generation
    generation = cached(app, budget_page(crach))
    PgSearchIndex().clear()
    assert page_cache.current_generation() != generation


def test_signed_in_visitors_and_api_tokens_are_never_served_from_it(app, crach, sysadmin) -> None:
    app.get(budget_page(crach))
    token = {"Authorization": sysadmin["token"]}
    assert cache_state(app.get(budget_page(crach), headers=token)) is None
    user = factories.User(password="Correct-horse-123")
    browser = app.test_client()
    form = browser.get("/user/login").get_data(as_text=True)
    signed_in = browser.post(
        "/user/login",
        data={
            "login": user["name"],
            "password": "Correct-horse-123",
            "_csrf_token": re.search(r'name="_csrf_token" value="([^"]+)"', form).group(1),
        },
    )
    assert signed_in.status_code == 200
    page = browser.get(budget_page(crach))
    assert cache_state(page) is None
    assert "/user/_logout" in page.get_data(as_text=True)  # the header of a signed-in user
    remembered = app.test_client()
    remembered.set_cookie("remember_token", "anything", domain=HOST)
    assert cache_state(remembered.get(budget_page(crach))) is None


def test_anonymous_visitors_coming_back_with_their_session_are_served_from_it(app, crach) -> None:
    """Once given a CSRF token, a browser sends its session cookie with every request."""
    app.get(budget_page(crach))
    visitor = app.test_client()
    visitor.set_cookie("_pk_id", "analytics", domain=HOST)
    tokens = []
    for _ in range(2):
        page = visitor.get(budget_page(crach))
        assert cache_state(page) == "hit"
        html = page.get_data(as_text=True)
        tokens.append(re.search(r'<meta name="_csrf_token" content="([^"]+)"', html).group(1))
    cookie = visitor.get_cookie("ckan", domain=HOST)
    assert cookie is not None
    with app.flask_app.test_request_context(headers={"Cookie": f"ckan={cookie.value}"}):
        for token in tokens:
            validate_csrf(token)
    # A message waiting in the session (set by a page before a redirect) is shown.
    with app.flask_app.test_request_context(headers={"Cookie": f"ckan={cookie.value}"}):
        flask.flash("Message pour ce visiteur", "alert-info")
        saved = app.flask_app.response_class()
        app.flask_app.session_interface.save_session(app.flask_app, flask.session, saved)
    with_message = saved.headers["Set-Cookie"].split(";", 1)[0].split("=", 1)[1]
    visitor.set_cookie("ckan", with_message, domain=HOST)
    shown = visitor.get(budget_page(crach))
    assert cache_state(shown) is None
    assert "Message pour ce visiteur" in shown.get_data(as_text=True)


@pytest.mark.ckan_config("SESSION_COOKIE_NAME", "portail_session")
@pytest.mark.ckan_config("REMEMBER_COOKIE_NAME", "portail_souvenir")
def test_the_portal_s_own_cookie_names_are_the_ones_read(app, crach) -> None:
    flask_app = app.flask_app
    signed_in = flask_app.session_interface.get_signing_serializer(flask_app).dumps(
        {"_user_id": "someone", "_fresh": True}
    )
    app.get(budget_page(crach))
    for cookie, state in (
        ("ckan=from-another-portal", "hit"),
        (f"portail_session={signed_in}", None),
        ("portail_souvenir=someone", None),
    ):
        answer = app.test_client(use_cookies=False).get(
            budget_page(crach), headers={"Cookie": cookie}
        )
        assert cache_state(answer) == state, cookie


def test_api_reads_are_cached_and_errors_are_not(app, crach) -> None:
    resource = helpers.call_action("package_show", id=crach["id"])["resources"][0]
    url = f"/api/3/action/budget_aggregate?id={resource['id']}"
    first, second = app.get(url), app.get(url)
    assert (cache_state(first), cache_state(second)) == ("miss", "hit")
    assert second.json == first.json and second.json["success"]
    missing = "/api/3/action/budget_aggregate?id=nope"
    for _ in range(2):
        answer = app.get(missing, expect_errors=True)
        assert answer.status_code == 404 and cache_state(answer) is None


def test_browsers_revalidate_what_is_the_same_for_everyone(app, crach) -> None:
    url = f"/api/3/action/budget_aggregate?id={resource_of(crach)['id']}"
    first = app.get(url)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and cache_state(first) == "miss"
    again = app.get(url, headers={"If-None-Match": etag})
    assert (again.status_code, again.get_data(), cache_state(again)) == (304, b"", "hit")
    assert again.headers["ETag"] == etag
    # Emptied by a write elsewhere: rendered again, the same, so still not sent again.
    page_cache.bump()
    after = app.get(url, headers={"If-None-Match": etag})
    assert (after.status_code, after.get_data(), cache_state(after)) == (304, b"", "miss")


@pytest.mark.ckan_config("ckan.cache_enabled", "true")
@pytest.mark.ckan_config("ckan.cache_expires", "600")
def test_a_page_with_a_visitor_s_token_stays_theirs(app, crach) -> None:
    """No shared cache may keep it, even where CKAN lets shared caches keep anonymous
    pages; its visitor revalidates it, with a token that still works."""
    first = app.get(budget_page(crach))
    browser = app.test_client()
    served = browser.get(budget_page(crach))
    for page in (first, served):
        directives = {d.strip() for d in page.headers["Cache-Control"].split(",")}
        assert "private" in directives and "public" not in directives
    assert cache_state(served) == "hit" and served.headers["ETag"].startswith('W/"')
    html = served.get_data(as_text=True)
    token = re.search(r'<meta name="_csrf_token" content="([^"]+)"', html).group(1)
    revalidated = browser.get(budget_page(crach), headers={"If-None-Match": served.headers["ETag"]})
    assert (revalidated.status_code, revalidated.get_data()) == (304, b"")
    switched = browser.post(
        "/util/redirect",
        data={"_csrf_token": token, "url": "/en" + budget_page(crach)},
        follow_redirects=False,
    )
    assert switched.status_code == 302
    other = app.get(budget_page(crach), headers={"If-None-Match": served.headers["ETag"]})
    assert other.status_code == 200 and token not in other.get_data(as_text=True)


def test_other_portal_pages_are_left_alone(app, crach) -> None:
    for url in ("/dataset/", f"/dataset/{crach['name']}", "/api/3/action/status_show"):
        app.get(url)
        assert cache_state(app.get(url)) is None, url


def test_without_redis_pages_are_rendered(app, crach, monkeypatch) -> None:
    app.get(budget_page(crach))
    assert cache_state(app.get(budget_page(crach))) == "hit"
    unreachable = page_cache._connect("redis://127.0.0.1:1/0")
    monkeypatch.setattr(page_cache, "_redis_client", unreachable)
    rendered = app.get(budget_page(crach))
    assert rendered.status_code == 200 and cache_state(rendered) is None
    assert "Crach principal" in rendered.get_data(as_text=True)
    # A write while Redis is away is announced once it is back.
    helpers.call_action("package_patch", id=crach["id"], title="Crach sans Redis")
    assert page_cache._pending_bump
    monkeypatch.undo()
    page_cache._redis_down_until = 0.0
    back = app.get(budget_page(crach))
    assert cache_state(back) == "miss" and "Crach sans Redis" in back.get_data(as_text=True)
    assert not page_cache._pending_bump


@pytest.mark.ckan_config("ckanext.budget.page_cache.seconds", "0")
def test_turned_off(app, crach) -> None:
    app.get(budget_page(crach))
    assert cache_state(app.get(budget_page(crach))) is None
