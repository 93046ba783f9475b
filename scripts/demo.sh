#!/usr/bin/env bash
# `make demo`: a demonstration portal on http://127.0.0.1:5000 with the sample budget
# documents. Builds what is missing (virtualenv, services, database, config, admin user),
# starts the web server and a background-jobs worker unless they run, then loads the
# samples through CKAN's HTTP API. Safe to run again: it keeps what exists.
# State (config, storage, logs, pid files, credentials) lives in var/demo/.
# Stop with `make demo-stop` (scripts/demo_stop.sh).
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"

CKAN_VERSION="${DEMO_CKAN_VERSION:-2.11.6}"
DEMO_DIR="$VAR_DIR/demo"
DEMO_DB="ckan_demo"
DEMO_HOST="127.0.0.1"
DEMO_PORT="5000"
DEMO_URL="http://$DEMO_HOST:$DEMO_PORT"
# CKAN's own server, reached only through nginx (the port the portal's visitors use).
CKAN_PORT="5001"
ADMIN="admin"
INI="$DEMO_DIR/ckan.ini"
VENV="$(venv_dir "$CKAN_VERSION")"

ckan() { "$VENV/bin/ckan" -c "$INI" "$@"; }

# Run a setup command with its chatter in var/demo/log/setup.log, shown only on failure.
quietly() {
    local setup_log="$DEMO_DIR/log/setup.log"
    if ! "$@" >>"$setup_log" 2>&1; then
        tail -n 40 "$setup_log" >&2
        die "failed: $* (full log: var/demo/log/setup.log)"
    fi
}

# A config made by CKAN itself (fresh secrets), then set to our values on every run.
ensure_config() {
    mkdir -p "$DEMO_DIR/storage" "$DEMO_DIR/log" "$DEMO_DIR/run"
    if [ ! -f "$INI" ]; then
        "$VENV/bin/ckan" generate config "$INI" >/dev/null
    fi
    "$VENV/bin/ckan" config-tool "$INI" \
        "sqlalchemy.url=$(database_url "$DEMO_DB")" \
        "ckan.site_url=$DEMO_URL" \
        "ckan.site_id=ckanext_budget_demo" \
        "ckan.site_title=Budgets des collectivités (démo ckanext-budget)" \
        "ckan.redis.url=redis://$REDIS_HOST:$REDIS_PORT/0" \
        "ckan.storage_path=$DEMO_DIR/storage" \
        "ckan.uploads_enabled=true" \
        "ckan.max_resource_size=200" \
        "ckan.plugins=budget budget_pgsearch budget_view scheming_datasets activity" \
        "scheming.dataset_schemas=ckanext.budget.schemas:budget.yaml" \
        "scheming.presets=ckanext.scheming:presets.json" \
        "ckan.locale_default=fr" \
        "ckan.locales_offered=fr en" \
        "ckan.auth.create_unowned_dataset=false" >/dev/null
}

# The sysadmin, with the password kept in var/demo/admin-password (set again on every run,
# so what is printed at the end is right even if var/ or the database was reset alone).
ensure_admin() {
    local password_file="$DEMO_DIR/admin-password"
    if [ ! -s "$password_file" ]; then
        (umask 077 && "$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(12))' \
            >"$password_file")
    fi
    if ckan user show "$ADMIN" 2>/dev/null | grep -q '^User: None'; then
        log "Creating sysadmin $ADMIN"
        quietly ckan user add "$ADMIN" email=admin@example.org \
            password="$(cat "$password_file")"
    else
        quietly ckan user setpass "$ADMIN" --password "$(cat "$password_file")"
    fi
    quietly ckan sysadmin add "$ADMIN"
}

pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Start "$@" detached in its own session (so demo-stop can end it and its children),
# unless the process recorded in pid file $1 still runs.
start_detached() {
    local name="$1"
    shift
    local pid_file="$DEMO_DIR/run/$name.pid"
    if pid_alive "$pid_file"; then
        return 0
    fi
    log "Starting $name (log: var/demo/log/$name.log)"
    setsid "$@" >>"$DEMO_DIR/log/$name.log" 2>&1 </dev/null &
    echo $! >"$pid_file"
}

web_answers() {
    "$VENV/bin/python" - "$DEMO_URL/api/3/action/status_show" <<'PY' 2>/dev/null
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
    sys.exit(0 if r.status == 200 else 1)
PY
}

port_taken() { (exec 3<>"/dev/tcp/$DEMO_HOST/$1") 2>/dev/null; }

start_services() {
    if ! pid_alive "$DEMO_DIR/run/nginx.pid" && port_taken "$DEMO_PORT"; then
        die "port $DEMO_PORT is used by another program (a demo started before nginx came" \
            "in front of it? run make demo-stop): stop it first"
    fi
    if ! pid_alive "$DEMO_DIR/run/web.pid" && port_taken "$CKAN_PORT"; then
        die "port $CKAN_PORT is used by another program: stop it first"
    fi
    write_nginx_config "$DEMO_DIR/nginx.conf" "$DEMO_DIR" "$DEMO_HOST" "$DEMO_PORT" "$CKAN_PORT"
    if pid_alive "$DEMO_DIR/run/nginx.pid"; then  # running: take the config written again
        "$NGINX" -c "$DEMO_DIR/nginx.conf" -p "$DEMO_DIR/nginx" -s reload
    fi
    start_detached nginx "$NGINX" -c "$DEMO_DIR/nginx.conf" -p "$DEMO_DIR/nginx"
    start_detached web "$VENV/bin/ckan" -c "$INI" run -H "$DEMO_HOST" -p "$CKAN_PORT" \
        --disable-reloader --threaded
    start_detached worker "$VENV/bin/ckan" -c "$INI" jobs worker
    wait_for web_answers 120 ||
        die "the portal did not answer, see var/demo/log/web.log and nginx-error.log"
}

# A token of the sysadmin's, kept in var/demo/api-token and re-made if it stopped working.
ensure_token() {
    local token_file="$DEMO_DIR/api-token"
    if [ -s "$token_file" ] && "$VENV/bin/python" -m ckanext.budget.demo.loader \
        --url "$DEMO_URL" --token-file "$token_file" --check-token "$ADMIN"; then
        return 0
    fi
    (umask 077 && ckan user token add "$ADMIN" demo-loader --quiet 2>>"$DEMO_DIR/log/setup.log" |
        tail -n 1 >"$token_file")
    [ -s "$token_file" ] || die "could not create an API token (see var/demo/log/setup.log)"
}

main() {
    ensure_services
    ensure_venv "$CKAN_VERSION"
    ensure_nginx
    ensure_database "$DEMO_DB"
    ensure_config
    compile_translations "$VENV"
    log "Migrating $DEMO_DB"
    quietly ckan db init
    quietly ckan db upgrade -p budget
    ensure_admin
    start_services
    ensure_token
    log "Loading the sample documents through the API"
    "$VENV/bin/python" -m ckanext.budget.demo.loader --url "$DEMO_URL" \
        --token-file "$DEMO_DIR/api-token" --samples "$ROOT/tests/fixtures/samples"
    cat <<MSG

Demo portal: $DEMO_URL
Log in as:   $ADMIN / $(cat "$DEMO_DIR/admin-password")
Budgets:     $DEMO_URL/budget/
Stop with:   make demo-stop
MSG
}

main "$@"
