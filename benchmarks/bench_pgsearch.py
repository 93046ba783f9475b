"""Speed of budget_pgsearch on a portal of 10,000 datasets (goal: every search under 300 ms).

Fills the index table of an empty CKAN database with synthetic index entries (built by the
plugin's own document code, so rows look like real ones), then times the searches CKAN's pages
make: the /dataset/ page with its five facets, a free-text search, facet filters, a sort, the
group/organisation counts. Also times real ``package_create`` calls, indexing included.

    createdb -U postgres -h 127.0.0.1 pgsearch_bench
    CKAN_SQLALCHEMY_URL=postgresql://postgres@127.0.0.1/pgsearch_bench \\
        python benchmarks/bench_pgsearch.py --ckan-ini test.ini [--datasets 10000]

It empties that database first: never point it at a portal's database.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
import uuid
from collections.abc import Callable

import sqlalchemy as sa

GOAL_MS = 300.0
WORDS = [
    "budget",
    "primitif",
    "compte",
    "administratif",
    "décision",
    "modificative",
    "supplémentaire",
    "investissement",
    "fonctionnement",
    "dette",
    "emprunt",
    "subvention",
    "dotation",
    "fiscalité",
    "eau",
    "assainissement",
    "transports",
    "voirie",
    "collège",
    "lycée",
    "crèche",
    "piscine",
    "bibliothèque",
    "personnel",
    "charges",
    "produits",
    "recettes",
    "dépenses",
    "excédent",
    "déficit",
    "annexe",
    "principal",
    "commune",
    "département",
    "région",
    "métropole",
    "syndicat",
]
FORMATS = ["XML", "CSV", "JSON", "PDF", "XLSX"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ckan-ini", required=True)
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--created", type=int, default=50, help="real package_create calls")
    args = parser.parse_args()

    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    make_app(load_config(args.ckan_ini))
    from ckan import model

    model.repo.rebuild_db()
    fill_index(args.datasets)
    time_searches()
    time_creation(args.created)


def fill_index(count: int) -> None:
    from ckan import model
    from ckan.common import config

    from ckanext.budget.search.document import IndexEntry, extract_terms, extract_text
    from ckanext.budget.search.index import upsert
    from ckanext.budget.search.table import TABLE_NAME, ensure_table

    ensure_table()
    rng = random.Random(2024)
    orgs = [f"org-{i}" for i in range(100)]
    groups = [f"group-{i}" for i in range(20)]
    started = time.perf_counter()
    for number in range(count):
        title = " ".join(rng.choices(WORDS, k=6)).capitalize()
        pkg = {
            "id": str(uuid.uuid4()),
            "name": f"dataset-{number}",
            "title": title,
            "title_string": title,
            "notes": " ".join(rng.choices(WORDS, k=60)),
            "tags": rng.sample(WORDS, 3),
            "groups": rng.sample(groups, 1),
            "organization": (organization := rng.choice(orgs)),
            "owner_org": str(uuid.uuid5(uuid.NAMESPACE_DNS, organization)),
            "res_format": rng.sample(FORMATS, 2),
            "res_name": [title, "Annexes"],
            "license_id": rng.choice(["odc-odbl", "cc-by", "lov2"]),
            "type": "budget",
            "dataset_type": "budget",
            "state": "active",
            "private": False,
            "capacity": "public",
            "extras_collectivite": f"Commune {rng.randrange(500)}",
            "metadata_created": f"2024-01-{rng.randrange(1, 29):02d}T10:00:00Z",
            "metadata_modified": f"2024-02-{rng.randrange(1, 29):02d}T10:00:00Z",
            "site_id": config.get("ckan.site_id"),
            "permission_labels": ["public"],
        }
        pkg["data_dict"] = json.dumps(pkg)
        pkg["validated_data_dict"] = pkg["data_dict"]
        entry = IndexEntry(
            id=pkg["id"],
            name=pkg["name"],
            site_id=pkg["site_id"],
            state="active",
            capacity="public",
            dataset_type="budget",
            metadata_modified=pkg["metadata_modified"],
            permission_labels=["public"],
            doc=pkg,
            terms=extract_terms(pkg),
            text_by_weight=extract_text(pkg),
        )
        model.Session.execute(upsert(entry))
    model.Session.commit()
    model.Session.execute(sa.text(f"ANALYZE {TABLE_NAME}"))
    model.Session.commit()
    print(f"filled {count} index entries in {time.perf_counter() - started:.1f} s")


def time_searches() -> None:
    from ckan.common import config

    from ckanext.budget.search.query import PgPackageSearchQuery

    page_facets = ["organization", "groups", "tags", "res_format", "license_id"]
    site = f'+site_id:"{config.get("ckan.site_id")}"'
    searches: dict[str, dict] = {
        "/dataset/ page (5 facets, 20 rows)": {"q": "", "facet.field": page_facets},
        "free text 'budgets primitifs' + facets": {
            "q": "budgets primitifs",
            "facet.field": page_facets,
        },
        "fq organization + tags, sorted by title": {
            "q": "",
            "fq": '+organization:"org-7" +tags:"dette"',
            "sort": "title_string asc",
        },
        "fielded q + paging (start=500)": {"q": "res_format:CSV", "start": 500},
        "rows=0 count": {"q": "", "rows": 0, "facet": "false"},
        "group/organisation counts": {
            "q": "",
            "facet.field": ["groups", "owner_org"],
            "facet.limit": -1,
            "rows": 1,
        },
    }
    for label, params in searches.items():
        query = {"rows": 20, "fl": "id validated_data_dict", "fq_list": [site], **params}
        median = _median_ms(
            lambda q=query: PgPackageSearchQuery().run(dict(q), permission_labels=["public"])
        )
        flag = "ok" if median < GOAL_MS else "SLOW"
        print(f"{label:45s} {median:7.1f} ms  {flag}")


def time_creation(count: int) -> None:
    from ckan.tests import factories

    org = factories.Organization()
    started = time.perf_counter()
    for number in range(count):
        factories.Dataset(
            name=f"created-{number}",
            owner_org=org["id"],
            tags=[{"name": "budget"}],
            resources=[{"url": "http://example.org/x.xml", "format": "XML"}],
        )
    per_dataset = (time.perf_counter() - started) / max(count, 1) * 1000
    print(f"package_create incl. indexing: {per_dataset:.0f} ms per dataset")


def _median_ms(run: Callable[[], object], repeat: int = 15) -> float:
    run()  # warm caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


if __name__ == "__main__":
    main()
