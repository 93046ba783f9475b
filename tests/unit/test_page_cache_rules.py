"""What the page cache keeps and what it passes on untouched, around a stand-in WSGI
application: only whole 200 answers of known length that set no cookie but the session's,
not ``no-store``, to anonymous ``GET`` requests of the extension's addresses; memory
bounded by the least recently used; stale entries never served."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ckanext.budget import page_cache

PAGE = "/budget/crach/explorer"


class Application:
    """Answers ``body`` with ``headers``; counts its calls and whether its body was read."""

    def __init__(self, body: bytes = b"<p>budget</p>", status: str = "200 OK", **headers: str):
        self.body, self.status, self.calls, self.closed = body, status, 0, 0
        self.headers = {"Content-Type": "text/html", "Content-Length": str(len(body))}
        self.headers.update({k.replace("_", "-"): v for k, v in headers.items() if v})
        for name in [k for k, v in headers.items() if v is None]:
            self.headers.pop(name.replace("_", "-"))

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        self.calls += 1
        start_response(self.status, list(self.headers.items()))
        return self._chunks()

    def _chunks(self) -> Iterator[bytes]:
        try:
            yield self.body
        finally:
            self.closed += 1


class Flask:
    def __init__(self, app: Application) -> None:
        self.wsgi_app = app


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
    body = b"".join(cache({**base, **environ}, start_response))
    return answer["status"], answer["headers"], body


def cache_for(app: Application, max_mb: int = 1, seconds: int = 300) -> page_cache.PageCache:
    return page_cache.PageCache(Flask(app), seconds=seconds, max_mb=max_mb)


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


@pytest.mark.parametrize(
    "environ",
    [
        {"REQUEST_METHOD": "HEAD"},
        {"REQUEST_METHOD": "POST"},
        {"HTTP_AUTHORIZATION": "token"},
        {"HTTP_X_CKAN_API_KEY": "key"},
        {"REMOTE_USER": "alice"},
        {"HTTP_COOKIE": "_pk_id=1; remember_token=alice"},
        {"HTTP_RANGE": "bytes=0-10"},
    ],
)
def test_requests_that_may_be_someone_s_are_passed_on(environ: dict[str, str]) -> None:
    app = Application()
    cache = cache_for(app)
    get(cache)
    get(cache, **environ)
    assert app.calls == 2


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
    assert app.calls == 2 and len(cache.store) == 0


def test_the_session_cookie_is_the_first_visitor_s_only() -> None:
    page = (
        b'<meta name="_csrf_token" content="TOKEN-A" />'
        b'<form><input name="_csrf_token" value="TOKEN-A">'
    )
    app = Application(body=page, Set_Cookie="ckan=session-a; HttpOnly; Path=/")
    cache = cache_for(app)
    _, first, _ = get(cache)
    assert first["Set-Cookie"].startswith("ckan=session-a")
    (entry,) = cache.store._entries.values()
    assert entry.csrf_token == b"TOKEN-A"
    assert all(name.lower() != "set-cookie" for name, _ in entry.headers)


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
    assert len(cache.store) == 0 and app.calls == 2


def test_memory_is_bounded_least_recently_used_first() -> None:
    app = Application(body=b"x" * 100_000)  # a tenth of 1 MB: ten fit
    cache = cache_for(app, max_mb=1)
    for i in range(10):
        get(cache, f"/budget/d{i}/explorer")
    get(cache, "/budget/d0/explorer")  # d0 used again: d1 is now the oldest
    get(cache, "/budget/d10/explorer")
    assert cache.store.size <= 1 << 20
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


class Connection:
    def __init__(self) -> None:
        self.info: dict[str, bool] = {}


@pytest.mark.parametrize(
    ("statement", "counted"),
    [
        ("INSERT INTO budget_document (resource_id) VALUES (%(resource_id)s)", True),
        ("UPDATE package SET title=%(title)s WHERE package.id = %(package_id)s", True),
        ("  delete from budget_line where resource_id = 'r'", True),
        ("WITH moved AS (DELETE FROM a RETURNING *) INSERT INTO b SELECT * FROM moved", True),
        ('UPDATE "user" SET last_active=%(last_active)s, fullname=%(fullname)s WHERE', True),
        ("SELECT package.id FROM package WHERE package.name = %(name)s", False),
        ("SELECT pg_advisory_xact_lock(hashtext('budget_aggregation'), hashtext(%(id)s))", False),
        ("INSERT INTO tracking_raw (user_key, url, tracking_type) VALUES (%s, %s, %s)", False),
        ('UPDATE "user" SET last_active=%(last_active)s WHERE "user".id = %(user_id)s', False),
    ],
)
def test_which_statements_make_pages_stale(
    statement: str, counted: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    bumps: list[bool] = []
    monkeypatch.setattr(page_cache, "bump", lambda: bumps.append(True))
    connection = Connection()
    page_cache._note_write(connection, None, statement)
    page_cache._note_commit(connection)
    assert bool(bumps) is counted  # as it commits
    page_cache._bump_after_commit(None, connection)
    assert len(bumps) == (2 if counted else 0)  # and once the connection is back


def test_a_rolled_back_write_is_forgotten(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(page_cache, "bump", lambda: pytest.fail("bumped"))
    connection = Connection()
    page_cache._note_write(connection, None, "UPDATE package SET title='x'")
    page_cache._forget_writes(connection)
    page_cache._note_commit(connection)
    page_cache._bump_after_commit(None, connection)
