#!/usr/bin/env bash
# `make lint`: ruff check + ruff format --check, with the pinned ruff of .venv-<version>.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"

version="${1:-2.11.6}"
ensure_venv "$version"
run_ruff "$(venv_dir "$version")"
