#!/usr/bin/env bash
# `make i18n`: extract the translatable strings into ckanext/budget/i18n/ckanext-budget.pot
# (settings in setup.cfg and babel.cfg), merge them into each language's .po, then
# compile the .mo files. Translators edit the .po files; .mo files are never committed.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"

version="${1:-2.11.6}"
ensure_venv "$version"
venv="$(venv_dir "$version")"
cd "$ROOT"
"$venv/bin/python" setup.py -q extract_messages
"$venv/bin/python" setup.py -q update_catalog
compile_translations "$venv"
