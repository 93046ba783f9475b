"""One embed offer on a budget view: the explorer's own code (an iframe sized to its
content by a tiny script), not also CKAN's generic « Embed » of resource views; the
embeds load the extension's stylesheet and the script that posts their height. The
subsidies search and the financial analysis offer the same code for an embed that shows
what the page shows, browses inside the iframe, and answers 404 wherever the page does.

One portal for the module: a public dataset with Crach's 2021 account (made private by
the last test only, and public again after it).
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from ckan.tests import factories
from ckan.tests.helpers import _get_test_app, call_action

from .budget_uploads import sample_bytes, upload_resource
from .security_portal import module_portal

CRACH_CA = "crach/Crach_principal_CA_2021.xml"
NS = "{http://www.minefi.gouv.fr/cp/demat/docbudgetaire}"


@dataclass
class Portal:
    app: Any
    dataset: dict[str, Any]
    resource: dict[str, Any]
    view: dict[str, Any]
    member: dict[str, Any]


def _build() -> Portal:
    member = factories.UserWithToken()
    org = factories.Organization(users=[{"name": member["name"], "capacity": "member"}])
    dataset = factories.Dataset(owner_org=org["id"])
    resource = upload_resource(dataset["id"], sample_bytes(CRACH_CA), "ca.xml")
    view = next(
        v
        for v in call_action("resource_view_list", id=resource["id"])
        if v["view_type"] == "budget_view"
    )
    return Portal(_get_test_app(), dataset, resource, view, member)


@pytest.fixture(scope="module")
def portal(reset_db: Any, migrate_db_for: Any) -> Iterator[Portal]:
    yield from module_portal(reset_db, migrate_db_for, _build)


@pytest.fixture(autouse=True)
def load_standard_plugins() -> None:
    """The module's portal keeps the plugins loaded (see ``module_portal``)."""


def soup(app: Any, url: str) -> BeautifulSoup:
    response = app.get(url)
    assert response.status_code == 200, url
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def embed_src(code: str) -> str:
    """The path and query of the iframe an embed code holds."""
    frame = re.match(r'<iframe src="([^"]+)"', code)
    assert frame, code
    src = urlsplit(html.unescape(frame.group(1)))
    return f"{src.path}?{src.query}" if src.query else src.path


def test_budget_view_offers_one_embed_that_follows_its_height(portal: Portal) -> None:
    app, dataset, resource, view = portal.app, portal.dataset, portal.resource, portal.view
    page = soup(app, f"/dataset/{dataset['name']}/resource/{resource['id']}?view_id={view['id']}")
    shown = page.select_one(f"#view-{view['id']}")
    assert shown is not None and shown.select_one("section.budget-explorer")
    assert not page.select("[data-module=resource-view-embed], .resource-view-embed")
    offers = page.select("textarea[id$=embed-code]")
    assert [t["id"] for t in offers] == ["budget-embed-code"]
    code = offers[0].get_text()
    frame = re.match(r'<iframe src="([^"]+)"[^>]* id="([^"]+)"[^>]* height="(\d+)"', code)
    assert frame and "/budget/explorer/embed" in frame.group(1)
    assert int(frame.group(3)) >= 600  # without JavaScript: a fixed, sensible height
    script = code[code.index("<script>") :]
    assert f'document.getElementById("{frame.group(2)}")' in script
    assert "e.source!==f.contentWindow" in script and 'e.origin!=="http' in script
    assert '"ckanext-budget:embed-height"' in script

    src = urlsplit(html.unescape(frame.group(1)))
    embed = soup(app, f"{src.path}?{src.query}")
    assert embed.body["class"] == ["budget-embed"]
    assert [s["src"].rsplit("/", 1)[-1] for s in embed.select("script[src]")] == ["embed.js"]
    posted = app.get(embed.select_one("script[src]")["src"]).get_data(as_text=True)
    assert "window.parent.postMessage" in posted and "ckanext-budget:embed-height" in posted
    sheets = [link["href"] for link in embed.select("link[rel=stylesheet]")]
    assert any("explorer.css" in sheet for sheet in sheets)


def test_subsidies_search_offers_an_embed_of_the_same_search(portal: Portal) -> None:
    name = portal.dataset["name"]
    page = soup(portal.app, f"/budget/{name}/explorer/subsidies?year=2021")
    offers = page.select("textarea[id$=embed-code]")
    assert [t["id"] for t in offers] == ["budget-subsidies-embed-code"]
    src = embed_src(offers[0].get_text())
    assert src == f"/budget/{name}/explorer/subsidies/embed?year=2021"

    embed = soup(portal.app, src)
    assert embed.body["class"] == ["budget-embed"]
    assert embed.select_one("header") is None and embed.select_one("footer") is None
    assert [s["src"].rsplit("/", 1)[-1] for s in embed.select("script[src]")] == ["embed.js"]
    assert not embed.select("textarea[id$=embed-code]")
    # The same search: every grant of the year's account, counted here from the XML.
    root = ET.fromstring(sample_bytes(CRACH_CA))
    records = len(list(root.iter(f"{NS}CONCOURS")))
    assert records > 0
    for shown in (page, embed):
        assert int(shown.select_one("#budget-subsidies-count")["data-count"]) == records
    totals = [t.select_one("table.budget-subsidies-totals").get_text() for t in (page, embed)]
    assert totals[0] == totals[1]
    # Searching and choosing a year stay in the iframe; the portal's pages open on top.
    assert embed.select_one("#budget-subsidies-form")["action"].endswith("/subsidies/embed")
    year = embed.select_one("table.budget-subsidies-totals th a")
    assert "/subsidies/embed?" in year["href"] and not year.get("target")
    document = embed.select_one("table.budget-subsidies-totals td a")
    assert "/resource/" in document["href"] and document["target"] == "_top"
    assert embed.select_one(".budget-source a")["href"].endswith(
        f"/{name}/explorer/subsidies?year=2021"
    )


def test_financial_analysis_offers_an_embed_of_the_same_analysis(portal: Portal) -> None:
    name = portal.dataset["name"]
    page = soup(portal.app, f"/budget/{name}/explorer/analysis?unit=inhabitant")
    offers = page.select("textarea[id$=embed-code]")
    assert [t["id"] for t in offers] == ["budget-analysis-embed-code"]
    src = embed_src(offers[0].get_text())
    assert src == f"/budget/{name}/explorer/analysis/embed?year=2021&unit=inhabitant"

    embed = soup(portal.app, src)
    assert embed.body["class"] == ["budget-embed"]
    assert embed.select_one("header") is None and embed.select_one("footer") is None
    assert [s["src"].rsplit("/", 1)[-1] for s in embed.select("script[src]")] == ["embed.js"]
    assert not embed.select("textarea[id$=embed-code]")
    tables = [t.select_one("table.budget-analysis-table").get_text() for t in (page, embed)]
    assert tables[0] == tables[1]
    assert embed.select_one("#budget-analysis")["data-unit"] == "inhabitant"
    # Switching unit or year stays in the iframe; the portal's pages open on top.
    units = [a["href"] for a in embed.select("#budget-unit-nav a")]
    assert units and all("/analysis/embed" in href for href in units)
    back = embed.select_one("#budget-analysis-budget-page")
    assert back["target"] == "_top"


def test_a_private_datasets_embeds_are_not_found_where_its_pages_are_not(
    portal: Portal,
) -> None:
    """Last test of the module: the dataset is private during it."""
    name = portal.dataset["name"]
    call_action("package_patch", id=portal.dataset["id"], private=True)
    try:
        outsider = factories.UserWithToken()
        for what in (
            "",
            "/embed",
            "/subsidies",
            "/subsidies/embed",
            "/analysis",
            "/analysis/embed",
        ):
            url = f"/budget/{name}/explorer{what}"
            assert portal.app.get(url).status_code == 404, url
            headers = {"Authorization": outsider["token"]}
            assert portal.app.get(url, headers=headers).status_code == 404, url
            headers = {"Authorization": portal.member["token"]}
            assert portal.app.get(url, headers=headers).status_code == 200, url
    finally:
        call_action("package_patch", id=portal.dataset["id"], private=False)
