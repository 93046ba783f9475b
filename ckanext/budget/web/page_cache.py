"""The pages anonymous visitors get, kept in each web process until the database changes.

Why: a budget's pages are read by many and changed rarely. Rendering one costs CKAN 10 to
80 ms of CPU (identifying the visitor, auth checks, templates), so a 2-core server tops out
near 50–120 pages a second; an answer from here costs well under a millisecond.

Who is anonymous: the one thing this cache must never get wrong, since a signed-in
member's page served to someone else leaks private data. So it never guesses on its own:

- An answer is *kept* only when CKAN itself, once its login machinery ran for the
  request, found the visitor anonymous (a Flask ``after_request`` hook marks the request),
  and the request also passes the serving rule below. Only answers 200 of known length,
  at most a tenth of the cache, that set no cookie but the session's and are not
  ``no-store``, to ``GET`` requests under :data:`CACHED_PATHS`.
- A kept answer is *served* only to a request that carries no credential as CKAN reads
  them: cookies parsed by the request class Flask uses (Werkzeug's parser, which
  Flask-Login and Flask's sessions read too), a session cookie opened through Flask's
  session interface and accepted only when it holds nothing but a CSRF token and flags;
  no remember-me cookie, no API token header, no ``REMOTE_USER``.
- A request it cannot classify the way CKAN will (a session or remember-me cookie name in
  the header that Werkzeug does not parse exactly once, a header Werkzeug cannot read) is
  passed on to CKAN untouched: neither kept nor served. The old rule parsed cookies with
  ``http.cookies``, which silently drops a header it cannot read while Werkzeug still
  finds the session in it: a member's private page was kept and served to anyone.

Each visitor's own part of a page: the CSRF token of CKAN's language selector and of its
``<meta>`` tag. A visitor served from here gets a token of their own session in its place
(a new session, with its cookie, when they have none), as CKAN would have given them; a
page holding a token field of another value is not kept. Such pages are marked
``Cache-Control: private``: no shared cache may keep one visitor's token for another.

HTTP's own caching: answers the same for everyone carry a strong ``ETag`` (a hash of the
bytes), so a conditional ``GET`` that matches gets ``304 Not Modified``, also after the
cache went stale when the new rendering is the same. A page with a per-visitor token
carries a weak ``ETag`` bound to the visitor's session and the time its token was issued:
``304`` only while that token still has at least half of its lifetime to run.

When it is stale: writes committed through CKAN's ORM sessions (``model.Session``) by
any process that loads the plugin (web, ``ckan jobs worker``, command line) set a new
random *generation* in Redis once the commit has landed. A flush of new, changed or
deleted objects counts (except what no kept page shows: CKAN's tracking log, a user's last
activity, a token's last use), as do DML statements run through the session. What the ORM
cannot see, the code that writes says: :func:`note_write` for a ``sa.text`` write through
the session (bumped at its commit), :func:`bump` after a write committed on a connection
of its own. An entry is served only while the generation read when its request began is
still current and it is younger than ``ckanext.budget.page_cache.seconds``. Without Redis
nothing is served from here, and the process forgets what it kept. A change that does not
go through CKAN (SQL by hand, a template or a config file) takes a restart.

Answers from here carry ``X-Budget-Cache: hit``, answers stored ``X-Budget-Cache: miss``.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import cachetools
import flask
import redis
import sqlalchemy as sa
from ckan import model
from ckan.plugins import toolkit as tk
from flask_wtf.csrf import generate_csrf
from redis.backoff import NoBackoff
from redis.retry import Retry
from werkzeug.http import parse_etags

log = logging.getLogger(__name__)

HEADER = "X-Budget-Cache"
ANONYMOUS = "ckanext.budget.page_cache.anonymous"
"""The WSGI environ key of CKAN's verdict on a request whose answer may be kept: True
when the visitor was anonymous to CKAN."""
DROPPED_HEADERS = ("set-cookie", "etag", HEADER.lower())
"""Not kept: the session cookie is the first visitor's own; the ETag is this cache's."""
NOT_MODIFIED_HEADERS = ("cache-control", "content-location", "date", "etag", "expires", "vary")
"""What a 304 repeats of the 200 it stands for (RFC 9110, 15.4.5)."""
GENERATION_KEY = "ckanext-budget:{site_id}:page-cache:generation"
"""Per site: portals sharing a Redis database do not empty each other's caches."""
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
VISITOR_ETAG = re.compile(r"^([0-9a-f]{32})\.([0-9]{1,12})$")
"""A per-visitor page's ETag: hash of (page, visitor's session, issue time), issue time."""

UNSEEN_CHANGES: dict[str, frozenset[str] | None] = {
    "tracking_raw": None,
    "user": frozenset({"last_active"}),
    "api_token": frozenset({"last_access"}),
}
"""Changes no kept page shows, by table (None: any change): a page view logged by CKAN's
tracking, a signed-in user's last activity, an API token's last use. Counting them would
empty the cache on every view or visit."""
WRITES = "ckanext-budget:page-cache:writes"
"""The ``Session.info`` key of a transaction that wrote something a page may show."""

StartResponse = Callable[..., Any]


# Generation: a new random value after every committed write, in every process.

_redis_lock = threading.Lock()
_redis_client: redis.Redis | None = None
_redis_down_until = 0.0
_pending_bump = False


def _connect(url: str) -> redis.Redis:
    """A client that fails fast: short timeouts (a stuck Redis must not stall every
    page), and no retry (redis-py 6 and later retry with seconds of back-off)."""
    return redis.Redis.from_url(
        url,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
    )


def fast_redis() -> redis.Redis | None:
    """This process's client that fails fast, or None for a few seconds after a failure
    (:func:`redis_failed`): what a request uses of Redis beside CKAN, so that a stuck
    Redis never stalls a page."""
    global _redis_client
    if time.monotonic() < _redis_down_until:
        return None
    with _redis_lock:
        if _redis_client is None:
            _redis_client = _connect(tk.config.get("ckan.redis.url"))
        return _redis_client


def redis_failed(error: Exception) -> None:
    """Leave Redis alone for a few seconds after it failed a request."""
    global _redis_down_until
    _redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
    log.warning("Redis unavailable (%s): pages are rendered, jobs wait", type(error).__name__)


def _generation_key() -> str:
    return GENERATION_KEY.format(site_id=tk.config.get("ckan.site_id"))


def current_generation() -> str | None:
    """The generation now, created if Redis has none (first start, Redis restarted);
    None when Redis cannot be reached."""
    client = fast_redis()
    if client is None:
        return None
    try:
        if _pending_bump:
            bump()
        key = _generation_key()
        value = client.get(key)
        if value is None:
            client.set(key, secrets.token_hex(8), nx=True)
            value = client.get(key)
    except redis.RedisError as error:
        redis_failed(error)
        return None
    return value.decode() if value is not None else None


def bump() -> None:
    """Make every cached page stale, in every process: call it once a write the ORM does
    not see has been committed (a connection of its own). Retried at the next request of
    this process when Redis cannot be reached now."""
    global _pending_bump
    client = fast_redis()
    if client is None:
        _pending_bump = True
        return
    try:
        client.set(_generation_key(), secrets.token_hex(8))
        _pending_bump = False
    except redis.RedisError as error:
        _pending_bump = True
        redis_failed(error)


# Which writes make pages stale: what CKAN's ORM sessions flush and commit.


def note_write(session: Any = None) -> None:
    """Say that ``session`` (CKAN's current one by default) wrote what the ORM does not
    see (``session.execute(sa.text(...))``): its commit makes every cached page stale."""
    (session if session is not None else model.Session()).info[WRITES] = True


def _shown(instance: Any, *, changed: bool) -> bool:
    """Whether a new or deleted object (``changed=False``), or a changed one, may change
    a kept page."""
    state = sa.inspect(instance)
    table = getattr(state.mapper.local_table, "name", None)
    unseen = UNSEEN_CHANGES.get(table, frozenset()) if table else frozenset()
    if unseen is None:
        return False
    if not changed:
        return True
    return any(
        attribute.key not in unseen and attribute.history.has_changes() for attribute in state.attrs
    )


def _note_flush(session: Any, flush_context: Any) -> None:
    # After the flush, before its bookkeeping: new/dirty/deleted and the attributes'
    # history still say what it wrote.
    if WRITES in session.info:
        return
    if any(_shown(i, changed=False) for i in (*session.new, *session.deleted)) or any(
        _shown(i, changed=True) for i in session.dirty
    ):
        session.info[WRITES] = True


def _note_statement(state: Any) -> None:
    """Bulk ``INSERT``/``UPDATE``/``DELETE`` through the session (``query.update()``,
    ``session.execute(table.update())``) never reach a flush."""
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[WRITES] = True


def _bump_on_commit(session: Any) -> None:
    """The commit has landed: readers that start now see it. A savepoint's release is not
    the end (its writes land with the outer transaction)."""
    if session.get_nested_transaction() is None and session.info.pop(WRITES, False):
        bump()


def _forget_on_end(session: Any, transaction: Any) -> None:
    """The outermost transaction is over: what was not committed was rolled back."""
    if transaction.parent is None:
        session.info.pop(WRITES, None)


for _sessions in (model.Session, model.meta.create_local_session):
    sa.event.listen(_sessions, "after_flush", _note_flush)
    sa.event.listen(_sessions, "do_orm_execute", _note_statement)
    sa.event.listen(_sessions, "after_commit", _bump_on_commit)
    sa.event.listen(_sessions, "after_transaction_end", _forget_on_end)


# Who is anonymous: CKAN's verdict, once its login machinery ran.


def _note_anonymous(response: Any) -> Any:
    """``after_request``: a request the cache may keep the answer of is marked when CKAN
    found no one signed in. Never fails the request: unsure (the database is down while
    loading the user), it is not marked."""
    environ = flask.request.environ
    if ANONYMOUS in environ:
        try:
            environ[ANONYMOUS] = bool(tk.current_user.is_anonymous and not tk.g.get("user"))
        except Exception:
            log.warning("page cache: could not tell who the visitor is", exc_info=True)
    return response


@dataclass(frozen=True)
class Anonymous:
    """A request served from here; ``csrf_secret`` is its session's raw CSRF token."""

    csrf_secret: str | None


# The kept answers of this process.


@dataclass(frozen=True)
class Entry:
    generation: str
    stored: float
    status: str
    headers: list[tuple[str, str]]
    """As rendered, without the session cookie; with this cache's ETag unless per visitor."""
    body: bytes
    csrf_token: bytes
    """The token the page was rendered with, replaced by each visitor's own (b"": none)."""
    digest: str
    """A hash of the body without its token."""


def _private(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``Cache-Control`` that lets no shared cache keep the answer (a visitor's token or
    session cookie), whatever CKAN's ``ckan.cache_enabled`` said."""
    kept = [h for h in headers if h[0].lower() != "cache-control"]
    directives = [
        d.strip()
        for name, value in headers
        if name.lower() == "cache-control"
        for d in value.split(",")
        if d.strip() and d.strip().lower() != "public" and not d.strip().lower().startswith("s-")
    ]
    if "private" not in (d.lower() for d in directives):
        directives.insert(0, "private")
    return [*kept, ("Cache-Control", ", ".join(directives))]


def _cookie_named(name: str) -> re.Pattern[str]:
    """``name`` where a Cookie header may name a cookie, wherever a parser may see it
    (inside a quoted value too); not inside another name (``ckan_lang``) or a URL
    (``https%3A%2F%2Fckan.example.org``)."""
    return re.compile(r"(?<![\w.$%-])" + re.escape(name) + r"\s*(?:=|;|$)")


class PageCache:
    """WSGI middleware around the portal's Flask application (``IMiddleware``)."""

    def __init__(self, flask_app: Any, seconds: int, max_mb: int) -> None:
        self.flask_app = flask_app
        self.app = flask_app.wsgi_app
        self.seconds = seconds
        self.max_bytes = max_mb << 20
        self.max_entry = self.max_bytes // ENTRY_SHARE
        self.entries: cachetools.LRUCache[tuple, Entry] = cachetools.LRUCache(
            self.max_bytes, getsizeof=lambda entry: len(entry.body)
        )
        self.lock = threading.Lock()
        config = flask_app.config
        self.session_cookie = config.get("SESSION_COOKIE_NAME") or "session"
        self.remember_cookie = config.get("REMEMBER_COOKIE_NAME") or "remember_token"
        self.session_named = _cookie_named(self.session_cookie)
        self.remember_named = _cookie_named(self.remember_cookie)
        self.token_headers = {
            "HTTP_" + name.upper().replace("-", "_")
            for name in (tk.config.get("apitoken_header_name"), "Authorization", "X-CKAN-API-Key")
            if name
        }
        field = config.get("WTF_CSRF_FIELD_NAME") or "csrf_token"
        self.csrf_field_name = field
        self.anonymous_session_keys = frozenset({field, "_fresh", "_permanent"})
        """What the session of a visitor who never signed in holds: the raw CSRF token,
        Flask-Login's and CKAN's flags."""
        limit = config.get("WTF_CSRF_TIME_LIMIT", 3600)
        self.token_reuse_seconds = None if limit is None else limit / 2
        self.csrf_field = b'name="' + field.encode() + b'"'
        self.csrf_meta = re.compile(
            rb'<meta name="' + re.escape(field.encode()) + rb'" content="([^"]+)"'
        )

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        environ.pop(ANONYMOUS, None)  # CKAN's verdict on this request only
        visitor = self.classify(environ) if self._cacheable_request(environ) else None
        if visitor is None:
            return self.app(environ, start_response)
        generation = current_generation()
        if generation is None:
            self.clear()
            return self.app(environ, start_response)
        key = (
            environ.get("CKAN_LANG"),
            environ.get("CKAN_LANG_IS_DEFAULT"),
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
        )
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None and (
                entry.generation != generation or time.monotonic() - entry.stored >= self.seconds
            ):
                del self.entries[key]
                entry = None
        if entry is not None:
            return self._serve(entry, visitor, environ, start_response)
        return self._render(environ, start_response, key, generation)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def size(self) -> int:
        """Bytes of the kept bodies."""
        return int(self.entries.currsize)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()

    def _cacheable_request(self, environ: dict[str, Any]) -> bool:
        return (
            environ.get("REQUEST_METHOD") == "GET"
            and "REMOTE_USER" not in environ
            and "HTTP_RANGE" not in environ
            and not any(name in environ for name in self.token_headers)
            and CACHED_PATHS.match(environ.get("PATH_INFO", "")) is not None
        )

    def classify(self, environ: dict[str, Any]) -> Anonymous | None:
        """The request as CKAN will see it: anonymous (what a kept answer may be served
        to), or None for a credential or anything it cannot read the way CKAN will."""
        header = environ.get("HTTP_COOKIE")
        if not header:
            return Anonymous(None)
        if self.remember_named.search(header):
            return None
        request = self.flask_app.request_class(environ, populate_request=False, shallow=True)
        try:
            cookies = request.cookies
        except Exception:  # Flask would fail on this request too: no guess.
            return None
        if self.remember_cookie in cookies:
            return None
        sessions = cookies.getlist(self.session_cookie)
        if not sessions:
            return None if self.session_named.search(header) else Anonymous(None)
        if len(sessions) > 1:
            return None
        return self._session_visitor(request)

    def _session_visitor(self, request: Any) -> Anonymous | None:
        """Every visitor sends a session cookie back once CKAN gave them a CSRF token:
        left out are the sessions of signed-in visitors, and those holding anything else
        (a message to show, another plugin's state)."""
        app = self.flask_app
        try:
            session = app.session_interface.open_session(app, request)
        except Exception:
            log.warning("page cache: a session could not be opened", exc_info=True)
            return None
        if session is None or not set(session.keys()) <= self.anonymous_session_keys:
            return None
        secret = session.get(self.csrf_field_name)
        return Anonymous(secret if isinstance(secret, str) else None)

    def _serve(
        self,
        entry: Entry,
        visitor: Anonymous,
        environ: dict[str, Any],
        start_response: StartResponse,
    ) -> Iterable[bytes]:
        if not entry.csrf_token:
            if self._matches(environ, entry.headers):
                return self._not_modified(entry.headers, start_response)
            start_response(entry.status, [*entry.headers, (HEADER, "hit")])
            return [entry.body]
        if visitor.csrf_secret is not None:
            tag = self._still_valid(environ, entry.digest, visitor.csrf_secret)
            if tag is not None:
                return self._not_modified([*entry.headers, ("ETag", tag)], start_response)
        issued = int(time.time())  # the token's own time is this or later
        token, secret, cookies = self._new_session_token(environ)
        body = entry.body.replace(entry.csrf_token, token)
        headers = [
            *(h for h in entry.headers if h[0].lower() != "content-length"),
            ("Content-Length", str(len(body))),
            ("ETag", self._visitor_etag(entry.digest, secret, issued)),
            *(("Set-Cookie", cookie) for cookie in cookies),
            (HEADER, "hit"),
        ]
        start_response(entry.status, headers)
        return [body]

    @staticmethod
    def _matches(environ: dict[str, Any], headers: list[tuple[str, str]]) -> bool:
        condition = environ.get("HTTP_IF_NONE_MATCH")
        if not condition:
            return False
        tag = next((v for n, v in headers if n.lower() == "etag"), None)
        return tag is not None and parse_etags(condition).contains_weak(tag.strip('"'))

    def _still_valid(self, environ: dict[str, Any], digest: str, secret: str) -> str | None:
        """The visitor's ETag of this page (their session, a token with at least half of
        its lifetime left), if their conditional request holds one."""
        condition = environ.get("HTTP_IF_NONE_MATCH")
        if not condition:
            return None
        now = time.time()
        for tag in parse_etags(condition).as_set(include_weak=True):
            found = VISITOR_ETAG.match(tag)
            if found is None:
                continue
            issued = int(found.group(2))
            fresh = self.token_reuse_seconds is None or now - issued < self.token_reuse_seconds
            if fresh and self._visitor_etag(digest, secret, issued) == f'W/"{tag}"':
                return f'W/"{tag}"'
        return None

    @staticmethod
    def _visitor_etag(digest: str, secret: str, issued: int) -> str:
        """Weak: the bytes differ by the token's signature, not what the visitor sees."""
        bound = hashlib.blake2b(f"{digest}|{secret}|{issued}".encode(), digest_size=16)
        return f'W/"{bound.hexdigest()}.{issued}"'

    @staticmethod
    def _not_modified(
        headers: list[tuple[str, str]], start_response: StartResponse, state: str = "hit"
    ) -> Iterable[bytes]:
        kept = [h for h in headers if h[0].lower() in NOT_MODIFIED_HEADERS]
        start_response("304 Not Modified", [*kept, (HEADER, state)])
        return []

    def _new_session_token(self, environ: dict[str, Any]) -> tuple[bytes, str, list[str]]:
        """A CSRF token in this visitor's session (a new one if they have none), as CKAN
        would have made it while rendering the page (its language selector posts a form):
        through Flask's session interface, without running the request. Also the raw
        token it is signed from and the session's cookie."""
        app = self.flask_app
        with app.request_context(environ):
            token = generate_csrf()
            secret = flask.session[self.csrf_field_name]
            response = app.response_class()
            app.session_interface.save_session(app, flask.session, response)
        return token.encode(), secret, response.headers.getlist("Set-Cookie")

    def _render(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        key: tuple,
        generation: str,
    ) -> Iterable[bytes]:
        answer: dict[str, Any] = {}
        environ[ANONYMOUS] = False  # until CKAN says otherwise

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
        status, headers = answer["status"], answer["headers"]
        token = self._csrf_token(data)
        if token is None or environ.get(ANONYMOUS) is not True:
            start_response(status, headers)
            return [data]
        entry = self._entry(generation, status, headers, data, token)
        with self.lock:
            self.entries[key] = entry
        # This visitor gets the answer as rendered: its token is theirs, with its cookie.
        sent = [h for h in headers if h[0].lower() not in ("etag", HEADER.lower())]
        sent += [h for h in entry.headers if h[0] == "ETag"]
        if token or any(h[0].lower() == "set-cookie" for h in sent):
            sent = _private(sent)
        elif self._matches(environ, entry.headers):
            return self._not_modified(entry.headers, start_response, "miss")
        start_response(status, [*sent, (HEADER, "miss")])
        return [data]

    def _entry(
        self,
        generation: str,
        status: str,
        headers: list[tuple[str, str]],
        data: bytes,
        token: bytes,
    ) -> Entry:
        kept = [h for h in headers if h[0].lower() not in DROPPED_HEADERS]
        digest = hashlib.blake2b(data.replace(token, b"") if token else data, digest_size=16)
        if token:
            kept = _private(kept)
        else:
            kept.append(("ETag", f'"{digest.hexdigest()}"'))
        return Entry(generation, time.monotonic(), status, kept, data, token, digest.hexdigest())

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
    """Put the cache around ``app``'s WSGI callable, unless turned off (0 seconds), and
    have CKAN say which requests it found anonymous."""
    seconds = tk.config.get("ckanext.budget.page_cache.seconds")
    if seconds > 0:
        app.after_request(_note_anonymous)
        app.wsgi_app = PageCache(app, seconds, tk.config.get("ckanext.budget.page_cache.max_mb"))
