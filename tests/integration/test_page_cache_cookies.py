"""A signed-in member's private pages never reach anyone else through the page cache,
whatever other cookies their browser sends with CKAN's session cookie: the cache reads
the Cookie header as CKAN does, and keeps only what CKAN itself answered an anonymous
visitor."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from ckan import model
from ckan.tests import factories, helpers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ckanext.budget.web import page_cache

from ..fixtures.cookies import CORPUS
from .budget_pages import budget_dataset

pytestmark = pytest.mark.usefixtures("clean_db")

HOST = "test.ckan.net"
"""The host of CKAN's test client: its cookies are sent to it."""
PASSWORD = "Correct-horse-123"
SECRET_TITLE = "Budget confidentiel de Crach"
LISTING = "/budget"
"""The budget datasets: a member's lists the private one, an anonymous visitor's not."""


@dataclass(frozen=True)
class Private:
    """A private budget dataset, and the session cookie of a member of its organisation."""

    urls: dict[str, str]
    session: str
    token: str


def sign_in(app: Any, name: str) -> str:
    """Sign in through CKAN's login form; the value of the session cookie it gives."""
    browser = app.test_client()
    form = browser.get("/user/login").get_data(as_text=True)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', form).group(1)
    signed_in = browser.post(
        "/user/login", data={"login": name, "password": PASSWORD, "_csrf_token": token}
    )
    assert signed_in.status_code == 200
    assert "/user/_logout" in browser.get("/dashboard/datasets").get_data(as_text=True)
    return browser.get_cookie("ckan", domain=HOST).value


@pytest.fixture
def private(app: Any) -> Private:
    member = factories.User(password=PASSWORD)
    org = factories.Organization(users=[{"name": member["name"], "capacity": "member"}])
    dataset = budget_dataset(
        "budget-confidentiel",
        ("crach/Crach_principal_CA_2021.xml",),
        org=org,
        private=True,
        title=SECRET_TITLE,
    )
    resource = helpers.call_action("package_show", id=dataset["id"])["resources"][0]
    helpers.call_action("budget_aggregate", id=resource["id"])
    model.Session.remove()
    prefix = f"/dataset/{dataset['name']}/resource/{resource['id']}/budget"
    urls = {
        "explorer": f"/budget/{dataset['name']}/explorer",
        "embed": f"{prefix}/explorer/embed",
        "annex": f"{prefix}/annexes/concours",
        "api": f"/api/3/action/budget_document_show?id={resource['id']}",
    }
    token = factories.APIToken(user=member["name"])["token"]
    session = sign_in(app, member["name"])
    # The portal's budget listing, kept for anonymous visitors: a member's must not be it.
    raw_get(app, LISTING)
    assert cache_state(raw_get(app, LISTING)) == "hit"
    return Private(urls, session, token)


def raw_get(app: Any, url: str, cookie: str | None = None) -> Any:
    """A request with exactly this Cookie header (none for ``None``), as a browser sends it."""
    headers = {"Cookie": cookie} if cookie is not None else {}
    return app.test_client(use_cookies=False).get(url, headers=headers)


def shows_private(response: Any) -> bool:
    """Whether the answer is the member's: the dataset's title or its document's record."""
    text = response.get_data(as_text=True)
    return response.status_code == 200 and (SECRET_TITLE in text or '"success": true' in text)


def cache_state(response: Any) -> str | None:
    return response.headers.get(page_cache.HEADER)


def test_a_member_s_page_behind_a_cookie_http_cookies_cannot_read_is_not_kept(
    app: Any, private: Private
) -> None:
    """The bug: ``prefs={"a":1}`` made ``http.cookies`` see no cookie at all, so the
    member's answer was kept and then served to anyone."""
    for page in ("explorer", "annex", "api"):
        url = private.urls[page]
        member = raw_get(app, url, f'prefs={{"a":1}}; ckan={private.session}')
        anyone = raw_get(app, url)
        assert shows_private(member), page  # CKAN found the member behind the JSON cookie
        assert not shows_private(anyone), page
        assert anyone.status_code in (403, 404) and cache_state(anyone) is None, page
        assert cache_state(member) is None, page


def test_ckan_s_own_verdict_keeps_a_member_s_answer_out_even_if_the_request_was_misread(
    app: Any, private: Private, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Second line of defence: were the cache to take the member's request for an
    anonymous one, CKAN, having identified the member (session cookie, or API token),
    still says not to keep it."""
    monkeypatch.setattr(page_cache.PageCache, "_cacheable_request", lambda self, environ: True)
    monkeypatch.setattr(
        page_cache.PageCache, "classify", lambda self, environ: page_cache.Anonymous(None)
    )
    for page in ("explorer", "api"):
        url = private.urls[page]
        for member in (
            raw_get(app, url, f"ckan={private.session}"),
            app.test_client(use_cookies=False).get(url, headers={"Authorization": private.token}),
        ):
            anyone = raw_get(app, url)
            assert shows_private(member) and cache_state(member) is None, page
            assert anyone.status_code in (403, 404) and not shows_private(anyone), page


def theirs_only(app: Any, url: str, cookie: str) -> None:
    """The member gets their own answer to this header, rendered for them and not kept."""
    member = raw_get(app, url, cookie)
    assert member.status_code == 200, cookie
    assert SECRET_TITLE in member.get_data(as_text=True) or url != LISTING, cookie
    assert cache_state(member) is None, cookie


def nothing_private_is_served(app: Any, private: Private) -> None:
    for url in private.urls.values():
        anyone = raw_get(app, url)
        assert anyone.status_code in (403, 404) and not shows_private(anyone), url
        assert cache_state(anyone) is None, url
    listing = raw_get(app, LISTING)
    assert listing.status_code == 200 and SECRET_TITLE not in listing.get_data(as_text=True)


def test_each_real_world_cookie_header_before_and_after_a_member_s_session(
    app: Any, private: Private
) -> None:
    session = f"ckan={private.session}"
    for other in CORPUS:
        for cookie in (f"{other}; {session}", f"{session}; {other}"):
            theirs_only(app, LISTING, cookie)
    nothing_private_is_served(app, private)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    page=st.sampled_from(["explorer", "embed", "annex", "api", "listing"]),
    others=st.lists(st.sampled_from(CORPUS), min_size=1, max_size=4),
    position=st.integers(min_value=0, max_value=4),
    separator=st.sampled_from(["; ", ";", " ; ", ";  "]),
)
def test_any_mix_of_them_with_a_member_s_session(
    app: Any, private: Private, page: str, others: list[str], position: int, separator: str
) -> None:
    parts = list(others)
    parts.insert(min(position, len(parts)), f"ckan={private.session}")
    url = LISTING if page == "listing" else private.urls[page]
    theirs_only(app, url, separator.join(parts))
    anyone = raw_get(app, url)
    assert SECRET_TITLE not in anyone.get_data(as_text=True)
    assert anyone.status_code in ((200,) if page == "listing" else (403, 404))
