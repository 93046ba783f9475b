"""Uploaded content and editors' input are shown as text, never as markup or code.

Labels and free text of a budget document are untrusted (anyone may send a crafted
file), and so is what organisation editors type (rule-set labels, identifiers,
formulas, dataset and resource names). A crafted document and a crafted rule set put a
payload in every field a page can show; every page that may show them is then read and
parsed: no script, event attribute, ``javascript:`` link or evaluated template
expression comes out, and the values are still shown, as text.

Downloads are not pages: CSV, JSON and YAML come with their own content type,
``nosniff`` and, for files, ``Content-Disposition: attachment``.

CSV and spreadsheets: the CSV exports of the explorer pages (made for people who open
them in a spreadsheet) prefix with an apostrophe a text cell that starts like a formula
(``= + - @``, tab, carriage return) and is not a number; amounts stay numbers. The
published data files (SCDL budget and subsidies, lines) and the API keep the document's
values exactly: the SCDL files must stay valid against their schemas, and programs read
them as data.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import yaml
from bs4 import BeautifulSoup
from ckan.plugins import toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import _get_test_app, call_action
from lxml import etree

from .budget_uploads import file_storage, sample_bytes, upload_resource
from .security_portal import module_portal

NS = {"d": "http://www.minefi.gouv.fr/cp/demat/docbudgetaire"}
EVALUATED = "1343433"
"""What ``{{7*191919}}`` would give if a value were ever evaluated as a template."""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
PASSWORD = "correct-horse-battery-staple"


def payload(tag: str) -> str:
    """Markup, an event handler, a template expression and a formula, marked ``tag``."""
    return (
        f'=1+2"><script>alert("{tag}")</script><img src=x onerror=alert("{tag}")>{{{{7*191919}}}}'
    )


def markdown_payload(tag: str) -> str:
    """For fields CKAN renders as Markdown (its cleaner keeps harmless images)."""
    return f'<script>alert("{tag}")</script>[clic](javascript:alert("{tag}")){{{{7*191919}}}}'


def short(tag: str) -> str:
    """For identifiers that go into URL paths (no slash)."""
    return f'{tag}"><img src=x onerror=alert("{tag}")>'


def q(tag: str) -> str:
    return f"{{{NS['d']}}}{tag}"


def hostile_account(source: bytes) -> bytes:
    """A compte administratif (of an ancillary budget, whose name is shown) with a
    payload in its authority and budget names, an attachment name, an editor's field, its
    population and another general information, the label of a line whose nature the plan
    does not know, and a subsidy's beneficiary and purpose."""
    root = etree.fromstring(source)
    root.find(".//d:EnTeteDocBudgetaire/d:LibelleColl", NS).set("V", payload("LibelleColl"))
    root.find(".//d:EnTeteBudget/d:LibelleEtab", NS).set("V", payload("LibelleEtab"))
    root.find(".//d:BlocBudget/d:CodTypBud", NS).set("V", "A")
    bloc = root.find(".//d:BlocBudget", NS)
    etree.SubElement(etree.SubElement(bloc, q("PJRef")), q("NomPJ")).set("V", payload("NomPJ"))
    informations = root.find(".//d:InformationsGenerales", NS)
    informations.find("d:Information[@Code='PopTot']", NS).set("V", payload("PopTot"))
    information = etree.SubElement(informations, q("Information"))
    information.set("Code", "Libre")
    information.set("V", payload("Information"))
    line = root.find(".//d:LigneBudget", NS)
    unknown = copy.deepcopy(line)
    line.addnext(unknown)
    unknown.find(q("Nature")).set("V", "6999")
    etree.SubElement(unknown, q("LibCpte")).set("V", LIBCPTE)
    etree.SubElement(unknown, q("Champ_Editeur")).set("V", payload("Champ_Editeur"))
    concours = root.find(".//d:CONCOURS", NS)
    concours.find(q("LibOrgaBenef")).set("V", "ASSOCIATION " + payload("LibOrgaBenef"))
    etree.SubElement(concours, q("ObjSubv")).set("V", payload("ObjSubv"))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def hostile_amendment(source: bytes) -> bytes:
    """A décision modificative whose number (shown in the stage words) and SIRET (quoted
    by validation) are payloads, with a line whose nature code is one."""
    root = etree.fromstring(source)
    bloc = root.find(".//d:BlocBudget", NS)
    number = bloc.find(q("NumDec"))
    if number is None:
        number = etree.Element(q("NumDec"))
        bloc.find(q("NatDec")).addnext(number)
    number.set("V", payload("NumDec"))
    root.find(".//d:EnTeteBudget/d:IdEtab", NS).set("V", short("IdEtab"))
    line = root.find(".//d:LigneBudget", NS)
    odd = copy.deepcopy(line)
    line.addnext(odd)
    odd.find(q("Nature")).set("V", short("Nature"))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


LIBCPTE = '=HYPERLINK("http://evil.test";"LibCpte")'
TREE = short("tree")
NODE = short("node")
FORMULA_LABELS = (
    '=HYPERLINK("http://evil.test";"clic")',
    "+cmd|' /C calc'!A0",
    "-1+2",
    "@SUM(1+1)",
)


def hostile_rules() -> dict[str, Any]:
    leaves = [
        {"id": f"f{i}", "label": label, "formula": formula}
        for i, (label, formula) in enumerate(
            zip(
                FORMULA_LABELS,
                (
                    "section:F - nature:6999",
                    "section:I & sens:D",
                    "section:I & sens:R",
                    "nature:6999",
                ),
                strict=True,
            )
        )
    ]
    return {
        "format": "budget-aggregation/1",
        "id": short("rulesid"),
        "label": payload("ruleset"),
        "description": payload("description"),
        "trees": [
            {
                "id": TREE,
                "label": payload("treelabel"),
                "description": payload("treedescription"),
                "categories": [
                    {"id": NODE, "label": payload("category"), "children": leaves},
                ],
            }
        ],
    }


@dataclass
class Hostile:
    app: Any
    org: dict[str, Any]
    dataset: dict[str, Any]
    account: dict[str, Any]
    amendment: dict[str, Any]
    views: dict[str, str]
    sysadmin: dict[str, Any]
    editor: dict[str, Any]

    def headers(self, role: str) -> dict[str, str]:
        user = {"sysadmin": self.sysadmin, "editor": self.editor}.get(role)
        return {"Authorization": user["token"]} if user else {}


def build_hostile() -> Hostile:
    sysadmin = factories.SysadminWithToken()
    editor = factories.UserWithToken(password=PASSWORD)
    org = factories.Organization(
        name="hostile",
        title=payload("organisation"),
        users=[{"name": editor["name"], "capacity": "editor"}],
    )
    dataset = factories.Dataset(
        type="budget",
        name="hostile-dataset",
        title=payload("dataset"),
        notes=markdown_payload("notes"),
        owner_org=org["id"],
    )
    account = upload_resource(
        dataset["id"],
        hostile_account(sample_bytes("crach/Crach_principal_CA_2021.xml")),
        'ca"><img src=x onerror=alert(1)>.xml',
    )
    amendment = upload_resource(
        dataset["id"],
        hostile_amendment(sample_bytes("crach/Crach_principal_DM2_2021.xml")),
        "dm2.xml",
        name=payload("resource name"),
        description=markdown_payload("resource description"),
    )
    call_action("budget_ruleset_create", organization=org["id"], rules=hostile_rules())
    views = {
        resource["id"]: next(
            view["id"]
            for view in call_action("resource_view_list", id=resource["id"])
            if view["view_type"] == "budget_view"
        )
        for resource in (account, amendment)
    }
    return Hostile(_get_test_app(), org, dataset, account, amendment, views, sysadmin, editor)


@pytest.fixture(scope="module")
def hostile(reset_db: Any, migrate_db_for: Any) -> Iterator[Hostile]:
    yield from module_portal(reset_db, migrate_db_for, build_hostile)


@pytest.fixture(autouse=True)
def load_standard_plugins() -> None:
    """The module's fixture keeps the plugins loaded (see ``module_portal``)."""


# --- what an inert page is ----------------------------------------------------------------

URL_ATTRIBUTES = ("href", "src", "action", "formaction", "xlink:href", "data", "poster")


def assert_inert(html: str, shown: tuple[str, ...] = ()) -> BeautifulSoup:
    """No script, event handler, ``javascript:`` URL or evaluated expression came from a
    payload; each value of ``shown`` is on the page as text."""
    page = BeautifulSoup(html, "html.parser")
    for script in page.find_all("script"):
        assert "alert(" not in script.get_text(), str(script)[:300]
    for element in page.find_all(True):
        for name, value in element.attrs.items():
            assert not name.lower().startswith("on"), (element.name, name, value)
            if name.lower() in URL_ATTRIBUTES:
                assert not str(value).strip().lower().startswith("javascript:"), value
    assert page.find("img", src="x") is None
    assert EVALUATED not in html
    text = page.get_text()
    for value in shown:
        assert shown_text(value) in text, value
    return page


def shown_text(value: str) -> str:
    """A tag stands for its payload, whose script element must be shown as text (a page
    may shorten the rest); other values are shown whole."""
    return f'<script>alert("{value}")</script>' if re.fullmatch(r"[\w ]+", value) else value


def get(hostile: Hostile, url: str, role: str = "sysadmin", status: int = 200) -> Any:
    response = hostile.app.get(url, headers=hostile.headers(role))
    assert response.status_code == status, (url, response.status_code)
    return response


def resource_url(hostile: Hostile, resource: dict[str, Any], tail: str = "") -> str:
    return f"/dataset/{hostile.dataset['name']}/resource/{resource['id']}{tail}"


def pages(hostile: Hostile) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Pages, and what each must show as text (a tag: its payload)."""
    account, amendment = hostile.account, hostile.amendment
    explorer = "/budget/explorer"
    rules = f"/organization/{hostile.org['name']}/budget-rules"
    in_node = f"tree={TREE}&node={NODE}"
    in_leaf = f"tree={TREE}&node=f3"
    budget_page = f"/budget/{hostile.dataset['name']}/explorer"
    compare = "/budget/compare"
    both = f"doc={account['id']}&doc={amendment['id']}"
    annex = resource_url(hostile, account, "/budget/annexes/concours")

    def view(resource: dict[str, Any], query: str = "") -> str:
        return resource_url(hostile, resource, f"?view_id={hostile.views[resource['id']]}&{query}")

    return {
        "dataset page": (f"/dataset/{hostile.dataset['name']}", ("dataset",)),
        "budget dataset page": (f"/budget/{hostile.dataset['name']}", ("dataset", "LibelleColl")),
        "budget search": ("/budget/", ("dataset",)),
        "dataset search": (f"/dataset/?q=name:{hostile.dataset['name']}", ("dataset",)),
        "account page": (resource_url(hostile, account), ("LibelleColl", "LibelleEtab")),
        "amendment page": (resource_url(hostile, amendment), ("resource name", "NumDec")),
        "account explorer view": (view(account, in_node), ("category", "treelabel", "ruleset")),
        "account explorer leaf": (view(account, in_leaf), (FORMULA_LABELS[3],)),
        "amendment explorer view": (view(amendment), ("NumDec",)),
        "amendment view alone": (
            resource_url(hostile, amendment, f"/view/{hostile.views[amendment['id']]}"),
            ("NumDec",),
        ),
        "account report": (resource_url(hostile, account, "/budget/report"), ("LibelleEtab",)),
        "amendment report": (
            resource_url(hostile, amendment, "/budget/report"),
            ("resource name",),
        ),
        "account embed": (
            resource_url(hostile, account, f"{explorer}/embed?{in_node}"),
            ("category", "LibelleEtab"),
        ),
        "amendment embed": (
            resource_url(hostile, amendment, f"{explorer}/embed"),
            ("NumDec", "resource name"),
        ),
        "rules": (rules, ("ruleset", "treelabel", "category", NODE, TREE, "organisation")),
        "rules category": (f"{rules}/node/{TREE}/{NODE}", ("category",)),
        "rules leaf": (f"{rules}/node/{TREE}/f3?document={account['id']}", (FORMULA_LABELS[3],)),
        "rules checks": (f"{rules}/checks", ("LibelleEtab", "dataset")),
        "rules history": (rules + "/history", ("organisation",)),
        "rules import": (rules + "/import", ("organisation",)),
        "dataset rules": (f"/dataset/{hostile.dataset['name']}/budget-rules", ("dataset",)),
        "budget page": (f"{budget_page}?{in_node}", ("dataset", "category")),
        "budget page embed": (f"{budget_page}/embed?{in_node}", ("category",)),
        "compare": (f"{compare}?{both}&{in_node}", ("dataset", "category")),
        "compare embed": (f"{compare}/embed?{both}&{in_node}", ("category",)),
        "annex": (annex, ("LibOrgaBenef", "ObjSubv")),
        "annex embed": (annex + "/embed", ("LibOrgaBenef", "ObjSubv")),
        "subsidies": (f"{budget_page}/subsidies", ("dataset", "LibOrgaBenef", "ObjSubv")),
        "subsidies embed": (f"{budget_page}/subsidies/embed", ("dataset", "LibOrgaBenef")),
        "analysis": (f"{budget_page}/analysis", ("dataset",)),
        "analysis embed": (f"{budget_page}/analysis/embed", ("dataset",)),
    }


REFLECTED = payload("query")
"""A value given in the URL, which a page may show back (search terms, choices)."""


def reflecting(hostile: Hostile) -> dict[str, str]:
    """Pages given :data:`REFLECTED` in each of their query parameters."""
    account = hostile.account
    every = urlencode(
        {
            key: REFLECTED
            for key in ("q", "tree", "node", "year", "stage", "sort", "dir", "table", "page")
        }
    )
    rules = f"/organization/{hostile.org['name']}/budget-rules"
    return {
        "budget page": f"/budget/{hostile.dataset['name']}/explorer?{every}",
        "compare": f"/budget/compare?doc={account['id']}&{every}",
        "annex": resource_url(hostile, account, f"/budget/annexes/concours?{every}"),
        "explorer embed": resource_url(hostile, account, f"/budget/explorer/embed?{every}"),
        "explorer view": resource_url(
            hostile, account, f"?view_id={hostile.views[account['id']]}&{every}"
        ),
        "rules category": f"{rules}/node/{TREE}/f0?document={quote(REFLECTED)}",
    }


REFLECTING = (
    "budget page",
    "compare",
    "annex",
    "explorer embed",
    "explorer view",
    "rules category",
)


@pytest.mark.parametrize("name", REFLECTING)
def test_values_given_in_the_url_are_shown_as_text(hostile: Hostile, name: str) -> None:
    response = hostile.app.get(reflecting(hostile)[name], headers=hostile.headers("sysadmin"))
    assert response.status_code in (200, 404)
    assert_inert(response.get_data(as_text=True))


PAGE_NAMES = (
    "dataset page",
    "budget dataset page",
    "budget search",
    "dataset search",
    "account page",
    "amendment page",
    "account explorer view",
    "account explorer leaf",
    "amendment explorer view",
    "amendment view alone",
    "account report",
    "amendment report",
    "account embed",
    "amendment embed",
    "rules",
    "rules category",
    "rules leaf",
    "rules checks",
    "rules history",
    "rules import",
    "dataset rules",
    "budget page",
    "budget page embed",
    "compare",
    "compare embed",
    "annex",
    "annex embed",
    "subsidies",
    "subsidies embed",
    "analysis",
    "analysis embed",
)


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_pages_show_hostile_values_as_text(hostile: Hostile, name: str) -> None:
    url, shown = pages(hostile)[name]
    assert_inert(get(hostile, url).get_data(as_text=True), shown)


@pytest.mark.parametrize("name", ["account page", "amendment embed", "rules", "budget search"])
def test_pages_for_anonymous_visitors_are_inert_too(hostile: Hostile, name: str) -> None:
    url, shown = pages(hostile)[name]
    assert_inert(get(hostile, url, role="anonymous").get_data(as_text=True), shown)


# --- the code offered to embed a page elsewhere -------------------------------------------

EMBED_CODES = {
    "amendment explorer view": "#budget-embed-code",
    "account explorer view": "#budget-embed-code",
    "budget page": "#budget-page-embed-code",
    "compare": "#budget-compare-embed-code",
    "annex": "#budget-annex-embed-code",
    "subsidies": "#budget-subsidies-embed-code",
    "analysis": "#budget-analysis-embed-code",
}


SIZING_SCRIPT = (
    '(function(){var f=document.getElementById("budget-embed-0000000000");'
    'window.addEventListener("message",function(e){var d=e.data;'
    'if(!f||e.source!==f.contentWindow||e.origin!=="http://test.ckan.net"||!d||'
    'd.type!=="ckanext-budget:embed-height")return;var h=Math.ceil(Number(d.height));'
    'if(h>0&&h<100000){f.style.height=h+"px";}});})();'
)
"""The one script an embed code holds: the same for every page, whatever its titles."""


@pytest.mark.parametrize("name", list(EMBED_CODES))
def test_embed_code_is_one_iframe_whatever_the_title(hostile: Hostile, name: str) -> None:
    """The snippet a webmaster copies into another site: its text, read as HTML, is one
    iframe with the page's title as an attribute value, and the extension's fixed script
    that sizes it (nothing of the page's state or titles in it)."""
    url, _ = pages(hostile)[name]
    page = BeautifulSoup(get(hostile, url).get_data(as_text=True), "html.parser")
    code = page.select_one(EMBED_CODES[name]).get_text()
    snippet = BeautifulSoup(code, "html.parser")
    elements = snippet.find_all(True)
    assert [element.name for element in elements] == ["iframe", "script"], code
    iframe, script = elements
    assert set(iframe.attrs) == {"src", "title", "id", "width", "height", "style"}, code
    assert re.fullmatch(r"budget-embed-[0-9a-f]{10}", iframe["id"])
    assert iframe["src"].startswith("http://test.ckan.net/")
    assert iframe.get_text() == ""
    assert script.attrs == {}
    fixed = re.sub(r"budget-embed-[0-9a-f]{10}", "ID", script.get_text())
    assert fixed == re.sub(r"budget-embed-[0-9a-f]{10}", "ID", SIZING_SCRIPT), code


# --- downloads ------------------------------------------------------------------------------


def downloads(hostile: Hostile) -> dict[str, tuple[str, str, bool]]:
    """Download URLs: (url, expected media type, is a file to save)."""
    account = hostile.account
    files = resource_url(hostile, account, "/budget/files/")
    explorer = resource_url(hostile, account, "/budget/explorer/")
    rules = f"/organization/{hostile.org['name']}/budget-rules/export."
    budget_page = f"/budget/{hostile.dataset['name']}/explorer"
    in_node = urlencode({"tree": TREE, "node": NODE})
    both = f"doc={account['id']}&doc={hostile.amendment['id']}"
    annex = resource_url(hostile, account, "/budget/annexes/concours")
    return {
        "report JSON": (
            resource_url(hostile, account, "/budget/report.json"),
            "application/json",
            True,
        ),
        "SCDL budget": (files + "scdl-budget.csv", "text/csv", True),
        "SCDL subsidies": (files + "scdl-subventions.csv", "text/csv", True),
        "lines CSV": (files + "lines.csv", "text/csv", True),
        "lines JSON": (files + "lines.json", "application/json", True),
        "explorer CSV": (explorer + f"data.csv?tree={TREE}&node={NODE}", "text/csv", True),
        "explorer JSON": (
            explorer + f"data.json?tree={TREE}&node={NODE}",
            "application/json",
            False,
        ),
        "rules YAML": (rules + "yaml", "application/x-yaml", True),
        "rules JSON": (rules + "json", "application/json", True),
        "budget page CSV": (f"{budget_page}/data.csv?{in_node}", "text/csv", True),
        "budget page JSON": (f"{budget_page}/data.json?{in_node}", "application/json", False),
        "compare CSV": (f"/budget/compare/data.csv?{both}&{in_node}", "text/csv", True),
        "compare JSON": (f"/budget/compare/data.json?{both}&{in_node}", "application/json", False),
        "annex CSV": (annex + "/data.csv", "text/csv", True),
        "annex JSON": (annex + "/data.json", "application/json", False),
    }


DOWNLOADS = (
    "report JSON",
    "SCDL budget",
    "SCDL subsidies",
    "lines CSV",
    "lines JSON",
    "explorer CSV",
    "explorer JSON",
    "rules YAML",
    "rules JSON",
    "budget page CSV",
    "budget page JSON",
    "compare CSV",
    "compare JSON",
    "annex CSV",
    "annex JSON",
)


@pytest.mark.parametrize("name", DOWNLOADS)
def test_downloads_are_never_taken_for_pages(hostile: Hostile, name: str) -> None:
    url, media_type, is_file = downloads(hostile)[name]
    response = get(hostile, url)
    assert response.mimetype == media_type
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    disposition = response.headers.get("Content-Disposition", "")
    if is_file:
        assert disposition.startswith("attachment;")
        assert re.fullmatch(r'attachment; filename="[a-z0-9.-]+"', disposition), disposition


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("lines CSV", LIBCPTE),
        ("lines JSON", LIBCPTE),
        ("SCDL subsidies", payload("ObjSubv")),
        ("SCDL budget", payload("LibelleColl")),
        ("rules YAML", payload("treelabel")),
        ("rules JSON", NODE),
    ],
)
def test_data_files_keep_the_values_exactly(hostile: Hostile, name: str, value: str) -> None:
    """Published data is the document's (and the rules') data, not altered for display."""
    url, media_type, _ = downloads(hostile)[name]
    body = get(hostile, url).get_data(as_text=True)
    if media_type == "text/csv":
        assert any(value in cell for cell in spreadsheet_cells(body))
    else:
        loaded = json.loads(body) if media_type == "application/json" else yaml.safe_load(body)
        assert value in set(strings(loaded))


def strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for item in data.values():
            yield from strings(item)
    elif isinstance(data, list):
        for item in data:
            yield from strings(item)


def spreadsheet_cells(body: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(body)) for cell in row]


SPREADSHEET_EXPORTS = {
    "explorer CSV": [f"'{label}" for label in FORMULA_LABELS],
    "budget page CSV": [f"'{label}" for label in FORMULA_LABELS],
    "compare CSV": [f"'{label}" for label in FORMULA_LABELS],
    "annex CSV": [f"'{payload('ObjSubv')}"],
}


@pytest.mark.parametrize("name", list(SPREADSHEET_EXPORTS))
def test_page_exports_cannot_start_a_formula(hostile: Hostile, name: str) -> None:
    """Text starting like a formula gets a leading apostrophe; numbers stay numbers."""
    url = downloads(hostile)[name][0]
    cells = spreadsheet_cells(get(hostile, url).get_data(as_text=True))
    for cell in cells:
        assert NUMBER.fullmatch(cell) or not cell.startswith(FORMULA_STARTS), cell
    assert set(SPREADSHEET_EXPORTS[name]) <= set(cells)


def test_the_lines_of_a_leaf_cannot_start_a_formula(hostile: Hostile) -> None:
    query = urlencode({"tree": TREE, "node": "f3"})
    url = resource_url(hostile, hostile.account, f"/budget/explorer/data.csv?{query}")
    rows = list(csv.DictReader(io.StringIO(get(hostile, url).get_data(as_text=True))))
    assert rows
    for row in rows:
        assert NUMBER.fullmatch(row.pop("montant"))
        for cell in row.values():
            assert not cell.startswith(FORMULA_STARTS), cell


# --- what forms echo back -----------------------------------------------------------------


def test_check_page_shows_a_hostile_file_and_its_name_as_text(hostile: Hostile) -> None:
    document = hostile_account(sample_bytes("crach/Crach_principal_CA_2021.xml"))
    filename = "<img src=x onerror=alert('filename')>.xml"
    response = hostile.app.post(
        "/budget-check",
        headers=hostile.headers("editor"),
        data={"upload": file_storage(document, filename)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert_inert(response.get_data(as_text=True), ("LibelleColl", "LibelleEtab", filename))


def rules_post(hostile: Hostile, tail: str, data: dict[str, Any]) -> str:
    """An editor's form (API token: no CSRF token needed), then the page it leads to."""
    url = f"/organization/{hostile.org['name']}/budget-rules{tail}"
    response = hostile.app.post(url, headers=hostile.headers("editor"), data=data)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_formula_errors_quote_the_formula_as_text(hostile: Hostile) -> None:
    formula = 'section:F & <script>alert("formula")</script>'
    html = rules_post(hostile, f"/node/{TREE}/f0", {"op": "preview", "formula": formula})
    page = assert_inert(html)
    assert page.select_one(".budget-formula-error")
    assert formula in page.select_one("#formula").get_text()
    url = f"/organization/{hostile.org['name']}/budget-rules/node/{TREE}/f0/preview.json"
    live = hostile.app.post(url, headers=hostile.headers("editor"), data={"formula": formula})
    assert live.mimetype == "application/json"
    assert live.json["ok"] is False


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(
            lambda: yaml.safe_dump(
                {
                    **hostile_rules(),
                    "trees": [
                        {
                            **hostile_rules()["trees"][0],
                            "categories": [
                                {
                                    "id": short("bad"),
                                    "label": "x",
                                    "formula": '<script>alert("bad")</script>',
                                }
                            ],
                        }
                    ],
                }
            ),
            id="bad formula",
        ),
        pytest.param(lambda: 'trees: [<script>alert("yaml")</script>', id="broken YAML"),
    ],
)
def test_import_errors_quote_the_file_as_text(hostile: Hostile, content: Any) -> None:
    data = {"format": "native", "upload": file_storage(content().encode(), "r.yaml")}
    page = assert_inert(rules_post(hostile, "/import", data))
    errors = page.select_one(".error-explanation")
    assert errors is not None and "alert(" in errors.get_text()


def test_editors_identifiers_and_names_are_shown_as_text(hostile: Hostile) -> None:
    """A tree and a category named and identified with payloads, by the editor's forms;
    adding the same tree again is refused with a message quoting it."""
    try:
        tree = {"tree_id": short("newtree"), "label": payload("newtreelabel")}
        assert_inert(rules_post(hostile, "/tree", tree), ("newtreelabel",))
        again = assert_inert(rules_post(hostile, "/tree", tree))
        assert short("newtree") in again.select_one(".flash-messages").get_text()
        category = {
            "tree": short("newtree"),
            "node_id": short("newnode"),
            "label": payload("newnode"),
        }
        assert_inert(rules_post(hostile, "/node/add", category), ("newnode",))
        url = f"/organization/{hostile.org['name']}/budget-rules"
        assert_inert(get(hostile, url).get_data(as_text=True), ("newtreelabel", "newnode"))
    finally:
        call_action("budget_ruleset_update", organization=hostile.org["id"], rules=hostile_rules())


def test_a_javascript_url_given_to_a_document_is_never_a_link(hostile: Hostile) -> None:
    """An editor may type any URL for a resource; the pages never link to a script."""
    resource = hostile.amendment
    original = call_action("resource_show", id=resource["id"])["url"]
    call_action("resource_patch", id=resource["id"], url='javascript:alert("url")')
    try:
        for name in ("amendment page", "amendment explorer view", "amendment embed"):
            page = assert_inert(get(hostile, pages(hostile)[name][0]).get_data(as_text=True))
            assert page.select_one(".budget-explorer, .budget-document"), name
    finally:
        call_action("resource_patch", id=resource["id"], url=original.rsplit("/", 1)[-1])


def test_a_document_a_browser_would_run_is_refused(hostile: Hostile) -> None:
    """The published document itself is served from the portal (as XML, inline): one
    holding a script a browser would run when opening it is not published."""
    source = sample_bytes("crach/Crach_lotissement_CA_2021.xml")
    script = b'<h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script>'
    document = source.replace(b"</DocumentBudgetaire>", script + b"</DocumentBudgetaire>")
    before = len(call_action("package_show", id=hostile.dataset["id"])["resources"])
    with pytest.raises(tk.ValidationError, match="security"):
        upload_resource(hostile.dataset["id"], document, "script.xml")
    assert len(call_action("package_show", id=hostile.dataset["id"])["resources"]) == before
