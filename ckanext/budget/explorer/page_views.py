"""Stable URLs of the budget page and the comparison page, their embeddable variants (no
portal header or footer) and the data behind each chart and table as CSV and JSON.

Every state is a plain GET URL, so the pages work without JavaScript and can be shared:

- ``/budget/<dataset>/explorer?tree=&node=&year=&stage=`` (``stage``: ``realised`` or
  ``voted``), ``…/explorer/embed?…``, ``…/explorer/data.csv|data.json?table=…&…``
  (``table``: ``level``, ``evolution``, ``execution`` or ``indicators``);
- ``/budget/<dataset>/explorer/analysis?year=&unit=`` (``unit``: ``euros`` or
  ``inhabitant``): the financial analysis, ``…/analysis/embed?…`` and
  ``…/analysis/data.csv|data.json?unit=``;
- ``/budget/compare?doc=<resource id>&doc=…&tree=&node=&unit=`` (``q`` filters the datasets
  offered by the form), ``/budget/compare/embed?…``, ``/budget/compare/data.csv|.json?…``
  (``table``: ``categories`` or ``totals``).

Access follows CKAN's dataset pages: a dataset the user may not see is "not found".
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from ckan.plugins import toolkit as tk
from flask import Blueprint, Response

from ..documents import access
from ..documents.presenters import download_name
from ..rulesets import publishing
from ..web.downloads import csv_download, safe_cell, safe_rows, wants_excel
from . import analysis_page, budget_page, compare, subsidies_page, unknown_values

blueprint = Blueprint("budget_page", __name__)
PAGE = "/budget/<id>/explorer"
COMPARE = "/budget/compare"
STATE = ("tree", "node", "year", "stage")


@dataclass(frozen=True)
class Links:
    """URLs of the page in the state shown, with some parameters changed:
    ``link(year=2020)``; ``None`` drops a parameter. ``endpoint`` and ``args`` (everything
    but ``tree`` and ``node``) serve the document explorer's table snippet."""

    endpoint: str
    fixed: dict[str, Any]
    state: dict[str, Any] = field(default_factory=dict)
    bases: dict[tuple[str, bool], str] = field(default_factory=dict, compare=False)

    def __call__(self, **changes: Any) -> str:
        return self.to(self.endpoint, **changes)

    def to(self, endpoint: str, _external: bool = False, **changes: Any) -> str:
        """The URL of ``endpoint`` in this state with ``changes``. The route is built once
        per endpoint (CKAN's ``url_for`` costs a fraction of a millisecond and a page
        has hundreds of links); the query string is encoded for each link."""
        base = self.bases.get((endpoint, _external))
        if base is None:
            base = tk.h.url_for(endpoint, _external=_external, **self.fixed)
            self.bases[(endpoint, _external)] = base
        params = {**self.state, **changes}
        kept = {k: v for k, v in params.items() if v is not None and v != "" and v != []}
        return f"{base}?{urlencode(kept, doseq=True)}" if kept else base

    @property
    def args(self) -> dict[str, Any]:
        kept = {k: v for k, v in self.state.items() if k not in ("tree", "node") and v}
        return {**self.fixed, **kept}


def _package(id: str) -> dict[str, Any]:
    try:
        return tk.get_action("package_show")(access.context(), {"id": id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, tk._("Dataset not found"))


def _page(id: str) -> tuple[dict[str, Any], budget_page.BudgetPage]:
    package = _package(id)
    args = tk.request.args
    draft = None
    if publishing.PREVIEW_PARAMETER[0] in args:
        if args[publishing.PREVIEW_PARAMETER[0]] != publishing.PREVIEW_PARAMETER[1]:
            tk.abort(404, tk._("Unknown preview: the only one is apercu=brouillon."))
        draft = publishing.draft_for_package(package, access.context())
    page = budget_page.build(package, *(args.get(name) for name in STATE), draft=draft)
    unknown_values.check_page(package, page)
    return package, page


def _render(endpoint: str, template: str, package: dict[str, Any], **found: Any) -> str:
    """A dataset's explorer page (``found``: its one state-carrying object, by the name its
    template reads), linked to ``endpoint``; an ``…_embed`` endpoint is the iframe form."""
    (state_holder,) = found.values()
    link = Links(endpoint, {"id": package["name"]}, state_holder.state)
    embedded = endpoint.endswith("embed")
    return tk.render(template, {"pkg_dict": package, "link": link, "embedded": embedded, **found})


def read(id: str) -> str:
    """The budget page inside the portal (the dataset's header, tabs and sidebar)."""
    package, page = _page(id)
    return _render("budget_page.read", "budget/explorer/page/read.html", package, page=page)


def embed(id: str) -> str:
    """The budget page alone, to put in an iframe on another site."""
    package, page = _page(id)
    return _render("budget_page.embed", "budget/explorer/page/embed.html", package, page=page)


def _csv(fields: list[str], rows: list[dict[str, str]], filename: str) -> Response:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writerow({name: safe_cell(name) for name in fields})  # names can be labels
    writer.writerows(safe_rows(rows))
    return csv_download(buffer.getvalue(), filename, wants_excel(tk.request.args))


def _json(body: dict[str, Any]) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False, indent=1),
        content_type="application/json; charset=utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )


def _page_table(id: str) -> tuple[dict[str, Any], budget_page.BudgetPage, str, list, list]:
    package, page = _page(id)
    table = tk.request.args.get("table") or "level"
    if table not in budget_page.TABLES:
        tk.abort(404, tk._("No such table."))
    fields, rows = budget_page.export_table(page, table)
    return package, page, table, fields, rows


def page_csv(id: str) -> Response:
    package, page, table, fields, rows = _page_table(id)
    suffix = "-".join(str(v) for v in page.state.values() if v)
    name = download_name(package.get("title") or package["name"], f"{table}-{suffix}.csv")
    return _csv(fields, rows, name)


def page_json(id: str) -> Response:
    package, page, table, fields, rows = _page_table(id)
    return _json(
        {
            "jeu_de_donnees": package["name"],
            "table": table,
            "arbre": page.state["tree"],
            "noeud": page.state["node"],
            "annee": page.year,
            "etape": page.stage,
            "colonnes": fields,
            "lignes": rows,
        }
    )


def _analysis(id: str) -> tuple[dict[str, Any], analysis_page.Analysis]:
    package = _package(id)
    args = tk.request.args
    found = analysis_page.build(package, args.get("year"), args.get("unit"))
    unknown_values.check_analysis(package, found)
    return package, found


def analysis(id: str) -> str:
    """The financial analysis of the budget over the years, with one year's waterfall."""
    package, found = _analysis(id)
    return _render(
        "budget_page.analysis", "budget/explorer/analysis/read.html", package, analysis=found
    )


def analysis_embed(id: str) -> str:
    """The financial analysis alone, to put in an iframe on another site."""
    package, found = _analysis(id)
    return _render(
        "budget_page.analysis_embed", "budget/explorer/analysis/embed.html", package, analysis=found
    )


def analysis_csv(id: str) -> Response:
    package, found = _analysis(id)
    fields, rows = analysis_page.export_table(found)
    name = download_name(package.get("title") or package["name"], f"analyse-{found.unit}.csv")
    return _csv(fields, rows, name)


def analysis_json(id: str) -> Response:
    package, found = _analysis(id)
    fields, rows = analysis_page.export_table(found)
    return _json(
        {
            "jeu_de_donnees": package["name"],
            "unite": found.unit,
            "annees": [
                {
                    "annee": year.year,
                    "document": year.resource_id,
                    "libelle": year.words,
                    "nature": year.nature,
                    "calcule": year.values is not None,
                    "raisons": year.reasons,
                }
                for year in found.years
            ],
            "colonnes": fields,
            "lignes": rows,
        }
    )


def _comparison() -> compare.Comparison:
    args = tk.request.args
    found = compare.build(args.getlist("doc"), args.get("tree"), args.get("node"), args.get("unit"))
    unknown_values.check_comparison(found)
    return found


def _compare_links(endpoint: str, found: compare.Comparison) -> Links:
    return Links(endpoint, {}, {"doc": found.resource_ids, **found.state})


def compare_page() -> str:
    """Two or more budget documents side by side, and the form to choose them."""
    found = _comparison()
    q = tk.request.args.get("q") or ""
    return tk.render(
        "budget/explorer/compare/read.html",
        {
            "comparison": found,
            "link": _compare_links("budget_page.compare_page", found),
            "choices": compare.choices(q, found.resource_ids),
            "q": q,
            "embedded": False,
        },
    )


def compare_embed() -> str:
    found = _comparison()
    return tk.render(
        "budget/explorer/compare/embed.html",
        {
            "comparison": found,
            "link": _compare_links("budget_page.compare_embed", found),
            "embedded": True,
        },
    )


def _compare_table() -> tuple[compare.Comparison, str, list[str], list[dict[str, str]]]:
    table = tk.request.args.get("table") or "categories"
    if table not in compare.TABLES:
        tk.abort(404, tk._("No such table."))
    found = _comparison()
    fields, rows = compare.export_table(found, table)
    return found, table, fields, rows


def compare_csv() -> Response:
    found, table, fields, rows = _compare_table()
    suffix = "-".join(str(v) for v in (table, *found.state.values()) if v)
    return _csv(fields, rows, download_name("comparaison", f"{suffix}.csv"))


def compare_json() -> Response:
    found, table, fields, rows = _compare_table()
    return _json(
        {
            "documents": found.resource_ids,
            "table": table,
            "arbre": found.state["tree"],
            "noeud": found.state["node"],
            "references": [
                {
                    "libelle": group.heading,
                    "effectif": group.count,
                    "documents": [found.resource_ids[n - 1] for n in group.documents],
                }
                for group in found.references
            ],
            "colonnes": fields,
            "lignes": rows,
        }
    )


blueprint.add_url_rule(PAGE, view_func=read)
blueprint.add_url_rule(f"{PAGE}/embed", view_func=embed)
blueprint.add_url_rule(f"{PAGE}/data.csv", view_func=page_csv)
blueprint.add_url_rule(f"{PAGE}/data.json", view_func=page_json)
blueprint.add_url_rule(f"{PAGE}/analysis", view_func=analysis)
blueprint.add_url_rule(f"{PAGE}/analysis/embed", view_func=analysis_embed)
blueprint.add_url_rule(f"{PAGE}/analysis/data.csv", view_func=analysis_csv)
blueprint.add_url_rule(f"{PAGE}/analysis/data.json", view_func=analysis_json)
blueprint.add_url_rule(COMPARE, view_func=compare_page)
blueprint.add_url_rule(f"{COMPARE}/embed", view_func=compare_embed)
blueprint.add_url_rule(f"{COMPARE}/data.csv", view_func=compare_csv)
blueprint.add_url_rule(f"{COMPARE}/data.json", view_func=compare_json)


# --- subsidies granted, searched across the years (issue 15) -------------------------------
# ``/budget/<dataset>/explorer/subsidies?q=&year=&page=``, ``…/subsidies/embed?…`` and
# ``…/subsidies/data.csv|.json`` (every matching grant). A dataset the user may not see
# is "not found".


def _subsidies(id: str) -> tuple[dict[str, Any], subsidies_page.SubsidiesPage]:
    package = _package(id)
    args = tk.request.args
    return package, subsidies_page.build(package, args.get("q"), args.get("year"), args.get("page"))


def subsidies(id: str) -> str:
    """The dataset's granted subsidies, searched by beneficiary or object, by year."""
    package, found = _subsidies(id)
    return _render(
        "budget_page.subsidies", "budget/explorer/subsidies/read.html", package, found=found
    )


def subsidies_embed(id: str) -> str:
    """The subsidies search alone, to put in an iframe on another site (the form searches
    inside the iframe)."""
    package, found = _subsidies(id)
    return _render(
        "budget_page.subsidies_embed", "budget/explorer/subsidies/embed.html", package, found=found
    )


def subsidies_csv(id: str) -> Response:
    package, found = _subsidies(id)
    fields, rows = subsidies_page.export_rows(found)
    suffix = "-".join(str(v) for k, v in found.state.items() if v and k != "page")
    name = download_name(package.get("title") or package["name"], f"subventions-{suffix}.csv")
    return _csv(fields, rows, name)


def subsidies_json(id: str) -> Response:
    package, found = _subsidies(id)
    fields, rows = subsidies_page.export_rows(found)
    return _json(
        {
            "jeu_de_donnees": package["name"],
            "recherche": found.query,
            "annee": found.year,
            "totaux": [
                {"annee": t.year, "nombre": t.count, "montant": f"{t.amount:.2f}"}
                for t in found.totals
            ],
            "colonnes": fields,
            "lignes": rows,
        }
    )


blueprint.add_url_rule(f"{PAGE}/subsidies", view_func=subsidies)
blueprint.add_url_rule(f"{PAGE}/subsidies/embed", view_func=subsidies_embed)
blueprint.add_url_rule(f"{PAGE}/subsidies/data.csv", view_func=subsidies_csv)
blueprint.add_url_rule(f"{PAGE}/subsidies/data.json", view_func=subsidies_json)
