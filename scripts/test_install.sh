#!/usr/bin/env bash
# A portal administrator's install, from a clean checkout (called by scripts/test.sh):
# builds the wheel (`pip wheel .`) from a copy of the project's files (tracked and new,
# never the git-ignored ones: no .mo, no virtualenv), checks that it holds the compiled
# translations, installs it with CKAN (requirements/ckan-<version>.txt) into a fresh
# virtualenv, then scripts/install_check.py migrates a fresh database, starts CKAN with
# the README's settings and checks a French budget page and an upload.
# pip's cache and the local package index make it cost about a minute.
# Usage: scripts/test_install.sh [CKAN_VERSION]   (default: 2.11.6)
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"

main() {
    local version="${1:-2.11.6}" work db wheel_s install_s
    SECONDS=0
    work="$VAR_DIR/install-test-$version"
    db="ckan_install_${version//./_}"
    rm -rf "$work"
    mkdir -p "$work/source" "$work/dist"

    log "Install test, CKAN $version: fresh virtualenv, wheel from a clean copy of the sources"
    python3 -m venv "$work/venv"
    (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' path; do
            [ -e "$path" ] && printf '%s\0' "$path"
        done | tar --null -T - -cf - | tar -xf - -C "$work/source")
    (cd "$work/source" && "$work/venv/bin/pip" wheel -q --no-deps -w "$work/dist" .)
    local wheel
    wheel="$(find "$work/dist" -name 'ckanext_budget-*.whl')"
    "$work/venv/bin/python" - "$wheel" <<'EOF' || die "the wheel has no compiled translations"
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
sys.exit(not {"ckanext/budget/i18n/fr/LC_MESSAGES/ckanext-budget.mo",
              "ckanext/budget/docbudg/cli/locale/fr/LC_MESSAGES/click.mo"} <= names)
EOF

    wheel_s=$SECONDS
    log "Install test, CKAN $version: the wheel and CKAN into the virtualenv"
    "$work/venv/bin/pip" install -q -c "$(constraints_file "$version")" \
        "ckan[requirements]==$version" "ckanext-scheming==$SCHEMING_VERSION" "$wheel"

    install_s=$((SECONDS - wheel_s))
    log "Install test, CKAN $version: fresh database $db, CKAN started with the README's settings"
    pg_admin -c "DROP DATABASE IF EXISTS $db"
    ensure_database "$db"
    (cd "$work" && "$work/venv/bin/python" "$ROOT/scripts/install_check.py" --workdir "$work" \
        --database-url "$(database_url "$db")" \
        --redis-url "redis://$REDIS_HOST:$REDIS_PORT/14")
    log "Install test, CKAN $version: passed in $SECONDS s (virtualenv and wheel ${wheel_s} s," \
        "pip install ${install_s} s, database, start and checks $((SECONDS - wheel_s - install_s)) s)"
}

main "$@"
