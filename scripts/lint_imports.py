"""`lint-imports` for a package inside CKAN's ``ckanext`` namespace.

CKAN installs ``ckanext/__init__.py`` as an old-style (pkg_resources) namespace package,
which grimp, import-linter's graph builder, takes for a regular package, and then refuses
``ckanext.budget`` as a root ("not a top-level module"). ``ckanext`` is a namespace: say
so to grimp, then run import-linter as its own command would.
"""

from __future__ import annotations

import sys

from grimp.adaptors.packagefinder import ImportLibPackageFinder
from importlinter.cli import lint_imports_command

ImportLibPackageFinder._has_a_non_namespace_parent = lambda self, spec: False  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(lint_imports_command())
