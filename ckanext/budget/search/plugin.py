"""Plugin ``budget_pgsearch``: points CKAN's search registries at the PostgreSQL backend."""

from __future__ import annotations

import logging
from typing import Any

import ckan.lib.search as search
import ckan.plugins as p

from .index import PgSearchIndex
from .query import PgPackageSearchQuery

log = logging.getLogger(__name__)

# ``solr_url`` is a required setting; without Solr it only needs to be there.
UNUSED_SOLR_URL = "http://127.0.0.1:8983/solr/unused-budget_pgsearch"


def _no_solr_to_check(schema_file: str | None = None) -> bool:
    """Start-up check of the Solr schema: there is no Solr to check."""
    log.info("Solr is not used: budget_pgsearch serves dataset search from PostgreSQL")
    return False


def install_backend() -> None:
    """Make CKAN index and search datasets through PostgreSQL.

    ``PackageSearchQuery`` and ``PackageSearchIndex`` are also module attributes because CKAN
    instantiates them directly (group counts, tag pages, 2.11's organisation bulk actions).
    CKAN's start-up Solr schema check would only log a connection error, so it is skipped.

    Once installed, the backend stays for the life of the process, like any plugin's effect on
    a running portal. In tests, CKAN unloads the plugins between tests: datasets created by
    tests that do not enable plugins are then still indexed in PostgreSQL, not sent to Solr.
    """
    search._INDICES["package"] = PgSearchIndex
    search._QUERIES["package"] = PgPackageSearchQuery
    search.PackageSearchQuery = PgPackageSearchQuery  # type: ignore[misc]
    search.PackageSearchIndex = PgSearchIndex  # type: ignore[misc]
    search.check_solr_schema_version = _no_solr_to_check


class PgSearchPlugin(p.SingletonPlugin):
    """Dataset search without Solr, for the demo, the tests and small portals."""

    p.implements(p.IConfigurer)

    def update_config(self, config: Any) -> None:
        # Runs on every plugin (re)load, before CKAN reads ``solr_url`` and checks Solr.
        install_backend()
        if not config.get("solr_url"):
            config["solr_url"] = UNUSED_SOLR_URL
