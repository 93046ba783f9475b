#!/usr/bin/env bash
# `make test`: lint, then the whole suite (tests/unit, tests/integration, tests/browser)
# in ONE pytest run per CKAN version, each in its own virtualenv (.venv-<version>),
# database (ckan_test_<version>), Redis database and storage folder, so versions never
# share state. The browser tests drive Debian's Chromium (installed when missing) and
# inject axe-core from node_modules/ (npm ci from package-lock.json). Then, per version,
# scripts/test_install.sh installs a wheel built from a clean copy as a portal would.
# Usage: scripts/test.sh [CKAN_VERSION...]   (default: 2.11.6 2.12.0)
# Extra pytest arguments can be passed through PYTEST_ARGS (e.g. PYTEST_ARGS="-x -k foo").
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"

# Each version gets a Redis database numbered after its minor version (2.11 -> 11).
redis_db_for() {
    local minor
    minor="$(cut -d. -f2 <<<"$1")"
    echo $((minor % 16))
}

# Run pytest for one CKAN version; print and remember its summary line.
run_suite() {
    local version="$1" venv db slug state log_file status=0
    venv="$(venv_dir "$version")"
    slug="${version//./_}"
    db="ckan_test_$slug"
    state="$VAR_DIR/test-$version"
    log_file="$state/pytest.log"
    mkdir -p "$state/storage"

    ensure_database "$db"
    export CKAN_SQLALCHEMY_URL CKAN_REDIS_URL CKAN_SITE_ID CKAN_STORAGE_PATH
    CKAN_SQLALCHEMY_URL="$(database_url "$db")"
    CKAN_REDIS_URL="redis://$REDIS_HOST:$REDIS_PORT/$(redis_db_for "$version")"
    CKAN_SITE_ID="ckanext_budget_test_$slug"
    CKAN_STORAGE_PATH="$state/storage"

    compile_translations "$venv"
    log "CKAN $version: migrating $db"
    (cd "$ROOT" && "$venv/bin/ckan" -c test.ini db init >/dev/null)

    log "CKAN $version: pytest"
    # shellcheck disable=SC2086  # PYTEST_ARGS is a list of words on purpose
    (cd "$ROOT" && "$venv/bin/python" -m pytest --ckan-ini=test.ini -p no:cacheprovider \
        ${PYTEST_ARGS:-} tests/unit tests/integration tests/browser) 2>&1 | tee "$log_file" ||
        status=$?
    SUMMARIES+=("CKAN $version: $(grep -E '^=+ .*(passed|failed|error|no tests ran).* =+$' \
        "$log_file" | tail -n 1 | tr -d '=' | xargs)")
    return "$status"
}

main() {
    local versions=("$@") version failed=0
    [ "${#versions[@]}" -gt 0 ] || versions=(2.11.6 2.12.0)
    SUMMARIES=()

    ensure_services
    ensure_chromium
    ensure_nginx
    ensure_node_modules
    for version in "${versions[@]}"; do
        ensure_venv "$version"
    done
    run_ruff "$(venv_dir "${versions[0]}")" || failed=1
    for version in "${versions[@]}"; do
        run_suite "$version" || failed=1
    done
    # A portal administrator's install: the wheel from a clean copy, CKAN, README settings.
    for version in "${versions[@]}"; do
        if bash "$ROOT/scripts/test_install.sh" "$version"; then
            SUMMARIES+=("CKAN $version: install from a clean wheel OK")
        else
            SUMMARIES+=("CKAN $version: install from a clean wheel FAILED")
            failed=1
        fi
    done

    echo
    printf '%s\n' "${SUMMARIES[@]}"
    # One plain closing line over all versions, for tools that read the last line.
    printf '%s\n' "${SUMMARIES[@]}" | awk '
        { for (i = 2; i <= NF; i++) {
              if ($i ~ /^passed/) p += $(i - 1)
              if ($i ~ /^(failed|errors?)/) f += $(i - 1) } }
        END { printf "total: %d passed, %d failed\n", p, f }'
    [ "$failed" -eq 0 ] || echo "FAILED (ruff or pytest, see above)"
    return "$failed"
}

main "$@"
