"""PostgreSQL-backed stand-in for CKAN's Solr dataset search (plugin ``budget_pgsearch``).

For the demo, the tests and small portals that cannot run Solr. A portal with Solr does not
enable it.
"""
