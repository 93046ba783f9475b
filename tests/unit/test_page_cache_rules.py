"""What the page cache keeps, serves and passes on untouched, around a stand-in for CKAN in
a real Flask application (its sessions, its request class): only whole 200 answers of
known length that set no cookie but the session's, not ``no-store``, that CKAN found
anonymous, to ``GET`` requests of the extension's addresses carrying no credential as
Werkzeug and Flask-Login read them; memory bounded by the least recently used; stale
entries never served; ``304`` to conditional requests that match."""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator
from typing import Any

import flask
import flask_login
import pytest
import sqlalchemy as sa
from ckan import model
from ckanext.tracking.model import TrackingRaw
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm.attributes import set_committed_value

from ckanext.budget.web import page_cache

from ..fixtures.cookies import CORPUS

PAGE = "/budget/crach/explorer"
SECRET_KEY = "unit-tests-only"
TOKEN_PAGE = (
    b'<meta name="_csrf_token" content="TOKEN-A" />'
    b'<form><input name="_csrf_token" value="TOKEN-A"></form>'
)


class Application:
    """Answers ``body`` with ``headers``, saying (as CKAN's ``after_request`` hook does)
    that it found the visitor anonymous unless ``anonymous=False``; counts its calls and
    whether its body was read."""

    def __init__(
        self,
        body: bytes = b"<p>budget</p>",
        status: str = "200 OK",
        anonymous: bool = True,
        **headers: str | None,
    ) -> None:
        self.body, self.status, self.anonymous, self.calls, self.closed = (
            body,
            status,
            anonymous,
            0,
            0,
        )
        self.headers = {"Content-Type": "text/html", "Content-Length": str(len(body))}
        self.headers.update({k.replace("_", "-"): v for k, v in headers.items() if v})
        for name in [k for k, v in headers.items() if v is None]:
            self.headers.pop(name.replace("_", "-"))

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        self.calls += 1
        if self.anonymous:
            environ[page_cache.ANONYMOUS] = True
        start_response(self.status, list(self.headers.items()))
        return self._chunks()

    def _chunks(self) -> Iterator[bytes]:
        try:
            yield self.body
        finally:
            self.closed += 1


def flask_app(app: Application | None = None) -> flask.Flask:
    """A Flask application configured as CKAN's (session cookie, CSRF field)."""
    flask_app = flask.Flask(__name__)
    flask_app.config.update(
        SECRET_KEY=SECRET_KEY, SESSION_COOKIE_NAME="ckan", WTF_CSRF_FIELD_NAME="_csrf_token"
    )
    if app is not None:
        flask_app.wsgi_app = app  # type: ignore[method-assign]
    return flask_app


def session_cookie(**data: Any) -> str:
    """The value of a session cookie holding ``data``, signed as Flask signs it."""
    app = flask_app()
    return app.session_interface.get_signing_serializer(app).dumps(data)


ANONYMOUS_SESSION = session_cookie(_csrf_token="raw-token-of-a-visitor", _permanent=True)
MEMBER_SESSION = session_cookie(_user_id="member", _fresh=True, _csrf_token="raw")
FLASH_SESSION = session_cookie(_csrf_token="raw", _flashes=[("alert-info", "Saved")])


@pytest.fixture(autouse=True)
def generation(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The current generation, as a list the test can change."""
    current = ["g1"]
    monkeypatch.setattr(page_cache, "current_generation", lambda: current[0])
    return current


def get(cache: page_cache.PageCache, path: str = PAGE, **environ: Any) -> tuple[str, dict, bytes]:
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer["status"], answer["headers"] = status, dict(headers)

    base = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "CKAN_LANG": "fr"}
    base.update({"SERVER_NAME": "localhost", "SERVER_PORT": "80", "wsgi.url_scheme": "http"})
    body = b"".join(cache({**base, **environ}, start_response))
    return answer["status"], answer["headers"], body


def cache_for(app: Application, max_mb: int = 1, seconds: int = 300) -> page_cache.PageCache:
    return page_cache.PageCache(flask_app(app), seconds=seconds, max_mb=max_mb)


def test_a_kept_answer_is_served_without_calling_the_application() -> None:
    app = Application()
    cache = cache_for(app)
    first, second = get(cache), get(cache)
    assert first[2] == second[2] == b"<p>budget</p>" and app.calls == 1 and app.closed == 1
    assert (first[1][page_cache.HEADER], second[1][page_cache.HEADER]) == ("miss", "hit")


@pytest.mark.parametrize(
    "path",
    [
        "/budget",
        "/budget/crach/explorer/data.csv",
        "/dataset/crach/resource/r1/budget/explorer/embed",
        "/dataset/crach/resource/r1/budget/annexes/concours",
        "/api/3/action/budget_aggregate",
        "/api/action/budget_document_show",
        "/fr/budget/crach/explorer",
        "/pt_BR/dataset/crach/resource/r1/budget/explorer/data.csv",
    ],
)
def test_the_extension_addresses_are_kept(path: str) -> None:
    app = Application()
    cache = cache_for(app)
    get(cache, path), get(cache, path)
    assert app.calls == 1


@pytest.mark.parametrize(
    "path",
    ["/dataset/crach", "/budgetx", "/api/3/action/package_show", "/user/login", "/dataset/"],
)
def test_other_addresses_are_passed_on(path: str) -> None:
    app = Application()
    cache = cache_for(app)
    assert page_cache.HEADER not in get(cache, path)[1]
    get(cache, path)
    assert app.calls == 2


def test_an_answer_ckan_did_not_find_anonymous_is_not_kept() -> None:
    """CKAN's verdict, not the cache's reading of the request, decides what is kept; a
    request cannot say it itself."""
    app = Application(anonymous=False)
    cache = cache_for(app)
    for _ in range(2):
        _, headers, body = get(cache, **{page_cache.ANONYMOUS: True})
        assert body == app.body and page_cache.HEADER not in headers
    assert app.calls == 2 and len(cache) == 0


@pytest.mark.parametrize(
    "environ",
    [
        {"REQUEST_METHOD": "HEAD"},
        {"REQUEST_METHOD": "POST"},
        {"HTTP_AUTHORIZATION": "token"},
        {"HTTP_AUTHORIZATION": ""},
        {"HTTP_X_CKAN_API_KEY": "key"},
        {"REMOTE_USER": "alice"},
        {"HTTP_RANGE": "bytes=0-10"},
        {"HTTP_COOKIE": "_pk_id=1; remember_token=alice"},
        {"HTTP_COOKIE": f"ckan={MEMBER_SESSION}"},
        {"HTTP_COOKIE": f'prefs={{"a":1}}; ckan={MEMBER_SESSION}'},
        {"HTTP_COOKIE": f'ckan="{MEMBER_SESSION}"'},
        {"HTTP_COOKIE": f"ckan={FLASH_SESSION}"},
        {"HTTP_COOKIE": f"ckan={ANONYMOUS_SESSION}; ckan={MEMBER_SESSION}"},
        {"HTTP_COOKIE": f"ckan={ANONYMOUS_SESSION}; ckan={ANONYMOUS_SESSION}"},
        {"HTTP_COOKIE": f'note="ckan={ANONYMOUS_SESSION}"'},
        {"HTTP_COOKIE": f"a=1, ckan={ANONYMOUS_SESSION}"},
    ],
    ids=[
        "HEAD",
        "POST",
        "API token",
        "empty Authorization",
        "API key",
        "REMOTE_USER",
        "range",
        "remember-me",
        "member session",
        "member session after JSON",
        "member session quoted",
        "session with a message",
        "two sessions",
        "the same session twice",
        "session name in another value",
        "session after a comma",
    ],
)
def test_requests_that_may_be_someone_s_are_passed_on(environ: dict[str, str]) -> None:
    app = Application()
    cache = cache_for(app)
    get(cache)
    _, headers, _ = get(cache, **environ)
    assert page_cache.HEADER not in headers
    assert app.calls == 2 and len(cache) == 1


@pytest.mark.parametrize(
    "cookie",
    [
        "_ga=GA1.1.1.1; cookieconsent_status=dismiss",
        f"ckan={ANONYMOUS_SESSION}",
        f'prefs={{"a":1}}; ckan={ANONYMOUS_SESSION}',
        "ckan=",
        "ckan=not-signed-by-this-portal",
        'ckan_lang=fr; prefs={"ckan": 1}',
        "OptanonConsent=landingPath=https%3A%2F%2Fckan.example.org%2Fbudget&groups=C0001%3A1",
    ],
    ids=[
        "analytics",
        "anonymous session",
        "anonymous session after JSON",
        "empty",
        "forged",
        "name in other names",
        "name in a URL",
    ],
)
def test_anonymous_visitors_are_served(cookie: str) -> None:
    """A session CKAN would open as new and empty is anonymous to CKAN too."""
    app = Application()
    cache = cache_for(app)
    get(cache)
    assert get(cache, HTTP_COOKIE=cookie)[1][page_cache.HEADER] == "hit"


@pytest.mark.parametrize(
    "app",
    [
        Application(status="404 Not Found"),
        Application(status="302 Found", Location="/"),
        Application(Set_Cookie="lang=fr; Path=/"),
        Application(Cache_Control="no-store"),
        Application(Content_Length=None),
        Application(body=b"x" * 200_000),
    ],
    ids=["404", "302", "other cookie", "no-store", "unknown length", "over a tenth"],
)
def test_answers_not_to_keep_are_passed_on_as_they_are(app: Application) -> None:
    cache = cache_for(app)
    status, headers, body = get(cache)
    assert (status, body) == (app.status, app.body)
    assert page_cache.HEADER not in headers
    get(cache)
    assert app.calls == 2 and len(cache) == 0


def test_the_session_cookie_and_token_are_the_first_visitor_s_only() -> None:
    app = Application(body=TOKEN_PAGE, Set_Cookie="ckan=session-a; HttpOnly; Path=/")
    cache = cache_for(app)
    _, first, _ = get(cache)
    assert first["Set-Cookie"].startswith("ckan=session-a")
    (entry,) = cache.entries.values()
    assert entry.csrf_token == b"TOKEN-A"
    assert all(name.lower() != "set-cookie" for name, _ in entry.headers)
    _, second, body = get(cache)
    assert b"TOKEN-A" not in body and body.count(body.split(b'content="')[1][:20]) == 2
    assert second["Set-Cookie"].startswith("ckan=") and "session-a" not in second["Set-Cookie"]


def test_a_page_whose_token_field_cannot_be_replaced_is_not_kept() -> None:
    page = b'<meta name="_csrf_token" content="A" /><input name="_csrf_token" value="B">'
    app = Application(body=page)
    cache = cache_for(app)
    _, headers, body = get(cache)
    assert body == page and page_cache.HEADER not in headers
    get(cache)
    assert app.calls == 2


def test_stale_entries_are_rendered_again(generation: list[str]) -> None:
    app = Application()
    cache = cache_for(app)
    get(cache)
    generation[0] = "g2"
    assert get(cache)[1][page_cache.HEADER] == "miss"
    assert get(cache)[1][page_cache.HEADER] == "hit"
    assert app.calls == 2


def test_entries_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    app = Application()
    cache = cache_for(app, seconds=60)
    clock = [1000.0]
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: clock[0])
    get(cache)
    clock[0] += 59
    get(cache)
    clock[0] += 2
    get(cache)
    assert app.calls == 2


def test_without_redis_nothing_is_served_and_what_was_kept_is_forgotten(
    generation: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = Application()
    cache = cache_for(app)
    get(cache)
    monkeypatch.setattr(page_cache, "current_generation", lambda: None)
    assert page_cache.HEADER not in get(cache)[1]
    assert len(cache) == 0 and app.calls == 2


def test_memory_is_bounded_least_recently_used_first() -> None:
    app = Application(body=b"x" * 100_000)  # a tenth of 1 MB: ten fit
    cache = cache_for(app, max_mb=1)
    for i in range(10):
        get(cache, f"/budget/d{i}/explorer")
    get(cache, "/budget/d0/explorer")  # d0 used again: d1 is now the oldest
    get(cache, "/budget/d10/explorer")
    assert cache.size <= 1 << 20
    calls = app.calls
    get(cache, "/budget/d0/explorer")
    assert app.calls == calls
    get(cache, "/budget/d1/explorer")
    assert app.calls == calls + 1


def test_each_language_is_its_own_entry() -> None:
    app = Application()
    cache = cache_for(app)
    get(cache, CKAN_LANG="fr"), get(cache, CKAN_LANG="en"), get(cache, CKAN_LANG="en")
    assert app.calls == 2


# HTTP's own caching


def test_an_answer_the_same_for_everyone_gets_a_strong_etag_and_304() -> None:
    app = Application(Cache_Control="public, max-age=0, must-revalidate")
    cache = cache_for(app)
    _, first, _ = get(cache)
    etag = first["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    status, headers, body = get(cache, HTTP_IF_NONE_MATCH=etag)
    assert (status, body, headers[page_cache.HEADER]) == ("304 Not Modified", b"", "hit")
    assert headers["ETag"] == etag and "Content-Length" not in headers
    assert headers["Cache-Control"] == "public, max-age=0, must-revalidate"
    assert get(cache, HTTP_IF_NONE_MATCH=f'"other", W/{etag}')[0] == "304 Not Modified"
    assert get(cache, HTTP_IF_NONE_MATCH='"other"')[0] == "200 OK"
    assert app.calls == 1


def test_a_new_rendering_that_did_not_change_is_not_sent_again(generation: list[str]) -> None:
    app = Application()
    cache = cache_for(app)
    etag = get(cache)[1]["ETag"]
    generation[0] = "g2"  # something else changed in the database
    status, headers, body = get(cache, HTTP_IF_NONE_MATCH=etag)
    assert (status, body, headers[page_cache.HEADER]) == ("304 Not Modified", b"", "miss")
    assert app.calls == 2


def test_a_page_with_a_token_is_the_visitor_s_own_to_revalidate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = Application(body=TOKEN_PAGE, Cache_Control="public, max-age=60")
    cache = cache_for(app)
    _, miss, _ = get(cache)
    assert "public" not in miss["Cache-Control"] and "private" in miss["Cache-Control"]
    _, served, _ = get(cache)
    etag, cookie = served["ETag"], served["Set-Cookie"].split(";", 1)[0]
    assert etag.startswith('W/"') and "private" in served["Cache-Control"]
    again = get(cache, HTTP_IF_NONE_MATCH=etag, HTTP_COOKIE=cookie)
    assert again[0] == "304 Not Modified" and again[1]["ETag"] == etag
    # Another visitor (another session, or none) gets a page and token of their own.
    for other in (f"ckan={ANONYMOUS_SESSION}", ""):
        status, headers, body = get(cache, HTTP_IF_NONE_MATCH=etag, HTTP_COOKIE=other)
        assert status == "200 OK" and headers["ETag"] != etag and b"TOKEN-A" not in body
    # Once the token has used half of its hour, the page is sent with a fresh one.
    later = time.time() + 1801
    monkeypatch.setattr(page_cache.time, "time", lambda: later)
    assert get(cache, HTTP_IF_NONE_MATCH=etag, HTTP_COOKIE=cookie)[0] == "200 OK"
    assert app.calls == 1


# Who is anonymous: the cache never says so when Flask-Login would find someone.


class User(flask_login.UserMixin):
    def __init__(self, user_id: str) -> None:
        self.id = user_id


def flask_login_app() -> flask.Flask:
    """Flask-Login as CKAN sets it up: users from the session or the remember-me cookie."""
    app = flask_app()
    manager = flask_login.LoginManager(app)
    manager.user_loader(lambda user_id: User(user_id) if user_id == "member" else None)

    @app.get(PAGE)
    def page() -> str:
        return "anonymous" if flask_login.current_user.is_anonymous else "signed in"

    return app


def remember_cookie() -> str:
    with flask_app().app_context():
        return flask_login.utils.encode_cookie("member")


COOKIE_PARTS = st.one_of(
    st.sampled_from(CORPUS),
    st.sampled_from(
        [
            f"ckan={MEMBER_SESSION}",
            f'ckan="{MEMBER_SESSION}"',
            f"ckan ={MEMBER_SESSION}",
            f"ckan={ANONYMOUS_SESSION}",
            f"remember_token={remember_cookie()}",
            "ckan",
        ]
    ),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
)


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(COOKIE_PARTS, min_size=1, max_size=6),
    separator=st.sampled_from(["; ", ";", ", "]),
)
def test_whoever_it_serves_flask_login_finds_anonymous(parts: list[str], separator: str) -> None:
    header = separator.join(parts)
    cache = cache_for(Application())
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": PAGE, "HTTP_COOKIE": header}
    if cache.classify(environ) is None:
        return
    answer = flask_login_app().test_client(use_cookies=False).get(PAGE, headers={"Cookie": header})
    assert answer.get_data(as_text=True) == "anonymous", header


# What makes pages stale: changes a page may show.


def persistent(instance: Any, **values: Any) -> Any:
    """As if loaded from the database: what is set so far is its stored state."""
    for name, value in values.items():
        setattr(instance, name, value)
    for attribute in sa.inspect(instance).attrs:
        if attribute.history.has_changes():
            set_committed_value(instance, attribute.key, attribute.value)
    return instance


def test_changes_no_page_shows_are_not_counted() -> None:
    user = persistent(model.User(), name="agent", fullname="Agent")
    user.last_active = datetime.datetime(2024, 1, 1)
    assert not page_cache._shown(user, changed=True)
    user.fullname = "Agent Exemple"
    assert page_cache._shown(user, changed=True)
    token = persistent(model.ApiToken(), id="t1", name="jeton")
    token.last_access = datetime.datetime(2024, 1, 1)
    assert not page_cache._shown(token, changed=True)
    assert not page_cache._shown(
        TrackingRaw(user_key="k", url="/budget", tracking_type="page"), changed=False
    )
    assert page_cache._shown(model.Package(name="crach"), changed=False)
    assert page_cache._shown(model.User(name="new"), changed=False)
