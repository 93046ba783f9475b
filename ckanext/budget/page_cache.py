"""The pages anonymous visitors get, kept in each web process until the database changes.

Why: a budget's pages are read by many and changed rarely. Rendering one costs CKAN 10 to
80 ms of CPU (identifying the visitor, auth checks, templates), so a 2-core server tops out
near 50–120 pages a second; an answer from here costs 1 to 2 ms (``bench_load.py``).

What is kept: answers 200 to ``GET`` requests under the extension's addresses
(:data:`CACHED_PATHS`: the budget dataset type's pages, the explorer, its embeds and data
files, the annexes, the derived files, the ``budget_*`` read actions of the API) made with
no sign of a signed-in visitor — no remember-me cookie, no API token header, no
``REMOTE_USER``, no session cookie but one of a session that only holds a CSRF token —,
whose body is at most a tenth of the cache, that set no cookie but CKAN's session cookie
and no ``Cache-Control: no-store``. Such an answer is by construction the one every
anonymous visitor gets: a private dataset's pages are never 200 for them, so they are
never kept.

One part of a page is each visitor's own: the CSRF token of CKAN's language selector (a
form that posts) and of its ``<meta>`` tag. Each visitor served from here gets a token of
a new session of their own in its place, with that session's cookie, as CKAN would have
given them; a page holding a token field of another value is not kept.

When it is stale: every write committed to the database by any process that loads the
plugin (web, ``ckan jobs worker``, command line) sets a new random *generation* in Redis
as it commits, and again once its connection goes back to the pool (the commit landed).
An entry is served only while the generation read when its request began is still
current and it is younger than ``ckanext.budget.page_cache.seconds``. Without Redis
nothing is served from here, and the process forgets what it kept. A change that does not
go through the database (a template or a config file) takes a restart, which empties the
cache.

Answers from here carry ``X-Budget-Cache: hit``, answers stored ``X-Budget-Cache: miss``.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any

import redis
import sqlalchemy as sa
from ckan.plugins import toolkit as tk
from flask import session
from flask_wtf.csrf import generate_csrf

log = logging.getLogger(__name__)

HEADER = "X-Budget-Cache"
DROPPED_HEADERS = ("set-cookie", HEADER.lower())
"""Not kept: the session cookie is the first visitor's own."""
GENERATION_KEY = "ckanext-budget:page-cache:generation"
REDIS_TIMEOUT_SECONDS = 0.5
REDIS_RETRY_SECONDS = 5.0
ENTRY_SHARE = 10
"""An entry takes at most this fraction of the cache (1/10)."""

CACHED_PATHS = re.compile(
    # CKAN 2.12 runs plugins' middleware outside its own that takes the locale off the path.
    r"^(?:/[a-z]{2,3}(?:_[A-Za-z]{2,4}){0,2})?"
    r"/(?:budget(?:/.*)?"
    r"|dataset/[^/]+/resource/[^/]+/budget/.*"
    r"|api/(?:\d+/)?action/budget_[a-z_]+)$"
)
WRITE_STATEMENT = re.compile(
    r"^\s*(?:INSERT|UPDATE|DELETE|TRUNCATE|ALTER|CREATE|DROP|MERGE|COPY|WITH|GRANT|REVOKE"
    r"|COMMENT|REFRESH)\b",
    re.IGNORECASE,
)
UNSEEN_WRITES = re.compile(
    r'^\s*(?:INSERT INTO tracking_raw\b|UPDATE "user" SET last_active=%\(last_active\)s WHERE)'
)
"""Writes no cached page shows: a page view logged by CKAN's tracking, a signed-in user's
last activity. Counting them would empty the cache on every view or visit."""

ANONYMOUS_SESSION_KEYS = frozenset({"_csrf_token", "_fresh", "_permanent"})
"""What the session of a visitor who never signed in holds (CSRF token, Flask-Login's and
CKAN's flags)."""

StartResponse = Callable[..., Any]


# Generation: a new random value after every committed write, in every process.

_redis_lock = threading.Lock()
_redis_client: redis.Redis | None = None
_redis_down_until = 0.0
_pending_bump = False


def _redis() -> redis.Redis | None:
    """A client with short timeouts (a stuck Redis must not stall every page), or None
    for a few seconds after a failure."""
    global _redis_client
    if time.monotonic() < _redis_down_until:
        return None
    with _redis_lock:
        if _redis_client is None:
            _redis_client = redis.Redis.from_url(
                tk.config.get("ckan.redis.url"),
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            )
        return _redis_client


def _redis_failed(error: Exception) -> None:
    global _redis_down_until
    _redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
    log.warning("page cache: Redis unavailable (%s), pages are rendered", type(error).__name__)


def current_generation() -> str | None:
    """The generation now, created if Redis has none (first start, Redis restarted);
    None when Redis cannot be reached."""
    client = _redis()
    if client is None:
        return None
    try:
        if _pending_bump:
            bump()
        value = client.get(GENERATION_KEY)
        if value is None:
            client.set(GENERATION_KEY, secrets.token_hex(8), nx=True)
            value = client.get(GENERATION_KEY)
    except redis.RedisError as error:
        _redis_failed(error)
        return None
    return value.decode() if value is not None else None


def bump() -> None:
    """Make every cached page stale, in every process. Retried at the next request of
    this process when Redis cannot be reached now."""
    global _pending_bump
    client = _redis()
    if client is None:
        _pending_bump = True
        return
    try:
        client.set(GENERATION_KEY, secrets.token_hex(8))
        _pending_bump = False
    except redis.RedisError as error:
        _pending_bump = True
        _redis_failed(error)


@sa.event.listens_for(sa.engine.Engine, "after_cursor_execute")
def _note_write(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
    if WRITE_STATEMENT.match(statement) and not UNSEEN_WRITES.match(statement):
        conn.info["budget_page_cache_writes"] = True


@sa.event.listens_for(sa.engine.Engine, "commit")
def _note_commit(conn: Any) -> None:
    """Pages rendered before this commit go stale now, those rendered while it lands
    when the connection goes back to the pool (which a leaked connection only does when
    collected)."""
    if conn.info.pop("budget_page_cache_writes", False):
        bump()
        conn.info["budget_page_cache_committed"] = True


@sa.event.listens_for(sa.engine.Engine, "rollback")
def _forget_writes(conn: Any) -> None:
    conn.info.pop("budget_page_cache_writes", None)


@sa.event.listens_for(sa.pool.Pool, "checkin")
def _bump_after_commit(dbapi_connection: Any, record: Any) -> None:
    """On the way back to the pool, the commit is over: readers that start now see it."""
    if record is not None and record.info.pop("budget_page_cache_committed", False):
        bump()


# The kept answers of this process.


@dataclass(frozen=True)
class Entry:
    generation: str
    stored: float
    status: str
    headers: list[tuple[str, str]]
    """As rendered, without the session cookie."""
    body: bytes
    csrf_token: bytes
    """The token the page was rendered with, replaced by each visitor's own (b"": none)."""


class Store:
    """Answers by request, least recently used dropped first, bounded in bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[tuple, Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple, entry: Entry) -> None:
        with self._lock:
            self._drop(key)
            self._entries[key] = entry
            self.size += len(entry.body)
            while self.size > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def discard(self, key: tuple) -> None:
        with self._lock:
            self._drop(key)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.size = 0

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, key: tuple) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self.size -= len(old.body)


class PageCache:
    """WSGI middleware around the portal's Flask application (``IMiddleware``)."""

    def __init__(self, flask_app: Any, seconds: int, max_mb: int) -> None:
        self.flask_app = flask_app
        self.app = flask_app.wsgi_app
        self.seconds = seconds
        self.store = Store(max_mb << 20)
        self.max_entry = self.store.max_bytes // ENTRY_SHARE
        self.session_cookie = tk.config.get("SESSION_COOKIE_NAME") or "ckan"
        self.remember_cookie = tk.config.get("REMEMBER_COOKIE_NAME") or "remember_token"
        self.token_headers = {
            "HTTP_" + name.upper().replace("-", "_")
            for name in (tk.config.get("apitoken_header_name"), "Authorization", "X-CKAN-API-Key")
            if name
        }
        field = (tk.config.get("WTF_CSRF_FIELD_NAME") or "_csrf_token").encode()
        self.csrf_field = b'name="' + field + b'"'
        self.csrf_meta = re.compile(rb'<meta name="' + re.escape(field) + rb'" content="([^"]+)"')

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not self._cacheable_request(environ):
            return self.app(environ, start_response)
        generation = current_generation()
        if generation is None:
            self.store.clear()
            return self.app(environ, start_response)
        key = (
            environ.get("CKAN_LANG"),
            environ.get("CKAN_LANG_IS_DEFAULT"),
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
        )
        entry = self.store.get(key)
        if entry is not None:
            if entry.generation == generation and time.monotonic() - entry.stored < self.seconds:
                return self._serve(entry, environ, start_response)
            self.store.discard(key)
        return self._render(environ, start_response, key, generation)

    def _cacheable_request(self, environ: dict[str, Any]) -> bool:
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("REMOTE_USER"):
            return False
        if not CACHED_PATHS.match(environ.get("PATH_INFO", "")):
            return False
        if any(environ.get(name) for name in self.token_headers):
            return False
        if "HTTP_RANGE" in environ:
            return False
        cookie_header = environ.get("HTTP_COOKIE")
        if not cookie_header:
            return True
        try:
            names = set(SimpleCookie(cookie_header))
        except CookieError:
            return False
        if self.remember_cookie in names:
            return False
        return self.session_cookie not in names or self._session_is_anonymous(environ)

    def _session_is_anonymous(self, environ: dict[str, Any]) -> bool:
        """Every visitor sends a session cookie back once CKAN gave them a CSRF token:
        left out are the sessions of signed-in visitors, and those holding anything else
        (a message to show, another plugin's state)."""
        with self.flask_app.request_context(dict(environ)):
            return set(session.keys()) <= ANONYMOUS_SESSION_KEYS

    def _serve(
        self, entry: Entry, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        body, headers = entry.body, entry.headers
        if entry.csrf_token:
            token, cookies = self._new_session_token(environ)
            body = body.replace(entry.csrf_token, token)
            headers = [
                *(h for h in headers if h[0].lower() != "content-length"),
                ("Content-Length", str(len(body))),
                *(("Set-Cookie", cookie) for cookie in cookies),
            ]
        start_response(entry.status, [*headers, (HEADER, "hit")])
        return [body]

    def _new_session_token(self, environ: dict[str, Any]) -> tuple[bytes, list[str]]:
        """A CSRF token in a new session of this visitor's own, as CKAN would have made
        it while rendering the page (its language selector posts a form): through Flask's
        session interface, without running the request."""
        with self.flask_app.request_context(environ):
            token = generate_csrf()
            response = self.flask_app.response_class()
            self.flask_app.session_interface.save_session(self.flask_app, session, response)
        return token.encode(), response.headers.getlist("Set-Cookie")

    def _render(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        key: tuple,
        generation: str,
    ) -> Iterable[bytes]:
        answer: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if answer.get("late") or exc_info is not None:
                return start_response(status, headers, exc_info)
            if not self._cacheable_answer(status, headers):
                return start_response(status, headers)
            answer["status"], answer["headers"] = status, headers
            return answer.setdefault("written", []).append

        body = self.app(environ, capture)
        if "status" not in answer:
            # Not to be kept, or an application that answers late: passed on as it is.
            answer["late"] = True
            return body
        try:
            data = b"".join([*answer.get("written", []), *body])
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        token = self._csrf_token(data)
        headers = list(answer["headers"])
        if token is not None:
            kept = [h for h in headers if h[0].lower() not in DROPPED_HEADERS]
            entry = Entry(generation, time.monotonic(), answer["status"], kept, data, token)
            self.store.put(key, entry)
            headers.append((HEADER, "miss"))
        # This visitor gets the answer as rendered: its token is theirs, with its cookie.
        start_response(answer["status"], headers)
        return [data]

    def _csrf_token(self, data: bytes) -> bytes | None:
        """The page's CSRF token (b"" for none), or None when a field holds another value
        that could not be replaced for the next visitor."""
        found = self.csrf_meta.search(data)
        token = found.group(1) if found else b""
        if data.count(self.csrf_field) > (data.count(token) if token else 0):
            return None
        return token

    def _cacheable_answer(self, status: str, headers: list[tuple[str, str]]) -> bool:
        if not status.startswith("200"):
            return False
        length = None
        for name, value in headers:
            lowered = name.lower()
            if lowered == "content-length":
                length = int(value) if value.isdigit() else None
            elif (lowered == "cache-control" and "no-store" in value.lower()) or (
                lowered == "set-cookie" and not value.startswith(self.session_cookie + "=")
            ):
                return False
        return length is not None and length <= self.max_entry


def wrap(app: Any) -> None:
    """Put the cache around ``app``'s WSGI callable, unless turned off (0 seconds)."""
    seconds = tk.config.get("ckanext.budget.page_cache.seconds")
    if seconds > 0:
        app.wsgi_app = PageCache(app, seconds, tk.config.get("ckanext.budget.page_cache.max_mb"))
