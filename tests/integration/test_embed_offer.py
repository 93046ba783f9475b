"""One embed offer on a budget view: the explorer's own code (an iframe sized to its
content by a tiny script), not also CKAN's generic « Embed » of resource views; the
embeds load the extension's stylesheet and the script that posts their height."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from ckan.tests import factories
from ckan.tests.helpers import call_action

from .budget_uploads import sample_bytes, upload_resource

pytestmark = pytest.mark.usefixtures("clean_db")


@pytest.fixture
def uploaded() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    dataset = factories.Dataset(owner_org=factories.Organization()["id"])
    resource = upload_resource(
        dataset["id"], sample_bytes("crach/Crach_principal_CA_2021.xml"), "ca.xml"
    )
    view = next(
        v
        for v in call_action("resource_view_list", id=resource["id"])
        if v["view_type"] == "budget_view"
    )
    return dataset, resource, view


def soup(app: Any, url: str) -> BeautifulSoup:
    response = app.get(url)
    assert response.status_code == 200, url
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_budget_view_offers_one_embed_that_follows_its_height(app: Any, uploaded) -> None:
    dataset, resource, view = uploaded
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
