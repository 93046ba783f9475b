# shellcheck shell=bash
# Functions shared by the project's commands (test.sh, demo.sh, freeze_requirements.sh).
# Sourced, never run. Everything here is idempotent: each function first checks whether
# its job is already done, because `make demo` and `make test` are run again and again,
# on a developer's machine as well as on a fresh Debian 12 image as root (CI).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC2034  # used by the scripts that source this file
VAR_DIR="$ROOT/var"

# One role for every database the project makes; the password matters only where
# PostgreSQL asks for one (Debian's default for TCP connections), trust auth ignores it.
DB_ROLE="ckan_budget"
DB_PASSWORD="ckan_budget"
DB_HOST="127.0.0.1"
DB_PORT="5432"
REDIS_HOST="127.0.0.1"
REDIS_PORT="6379"
SCHEMING_VERSION="3.1.0"

export DEBIAN_FRONTEND=noninteractive
export PIP_DISABLE_PIP_VERSION_CHECK=1

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() {
    printf 'ERROR: %s\n' "$*" >&2
    exit 1
}

# --- Debian packages ------------------------------------------------------------------

# Run a command as root: directly when we are root (CI, containers), else through sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run: $* (install it by hand or run as root)"
    fi
}

# Install Debian packages; refresh the package lists only when they are missing or
# stale (an install that fails on an old list succeeds after one update).
apt_install() {
    command -v apt-get >/dev/null 2>&1 || die "missing $* and no apt-get to install it"
    log "Installing Debian packages: $*"
    if ! compgen -G "/var/lib/apt/lists/*_Packages" >/dev/null; then
        as_root apt-get update -qq
    fi
    if ! as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null; then
        as_root apt-get update -qq
        as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
    fi
}

# What building the virtualenvs needs: python3 with venv and headers, a C compiler and
# libpq (psycopg2 is built from source), libmagic (python-magic, used by CKAN uploads).
ensure_build_tools() {
    local missing=()
    command -v python3 >/dev/null 2>&1 || missing+=(python3)
    if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
        missing+=(python3-venv)
    fi
    if ! python3 -c 'import os, sysconfig, sys
sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
        >/dev/null 2>&1; then
        missing+=(python3-dev)
    fi
    command -v gcc >/dev/null 2>&1 || missing+=(build-essential)
    command -v pg_config >/dev/null 2>&1 || missing+=(libpq-dev)
    if ! ldconfig -p 2>/dev/null | grep -q 'libmagic\.so\.1'; then
        missing+=(libmagic1)
    fi
    if [ "${#missing[@]}" -gt 0 ]; then
        apt_install "${missing[@]}"
    fi
}

# --- Services: PostgreSQL and Redis on loopback -----------------------------------------

pg_running() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h "$DB_HOST" -p "$DB_PORT"
    else
        (exec 3<>"/dev/tcp/$DB_HOST/$DB_PORT") 2>/dev/null
    fi
}

redis_running() {
    # Bash's /dev/tcp answers whether something listens; PING checks it is Redis.
    local reply=""
    {
        exec 3<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT" &&
            printf 'PING\r\n' >&3 &&
            IFS= read -r -t 3 reply <&3
    } 2>/dev/null || return 1
    exec 3>&-
    [[ "$reply" == "+PONG"* ]]
}

# Wait up to $2 seconds for the check named $1 to succeed.
wait_for() {
    local check="$1" seconds="$2" i
    for ((i = 0; i < seconds * 2; i++)); do
        "$check" && return 0
        sleep 0.5
    done
    return 1
}

ensure_postgresql() {
    pg_running && return 0
    if ! command -v pg_ctlcluster >/dev/null 2>&1; then
        apt_install postgresql
    fi
    # Debian's postinst creates the cluster "main"; start the newest version's one
    # without systemd (containers and CI have none).
    local version
    version="$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)"
    [ -n "$version" ] || die "PostgreSQL is installed but has no cluster in /etc/postgresql"
    log "Starting PostgreSQL $version"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
    wait_for pg_running 30 || die "PostgreSQL did not start on $DB_HOST:$DB_PORT"
}

ensure_redis() {
    redis_running && return 0
    command -v redis-server >/dev/null 2>&1 || apt_install redis-server
    log "Starting Redis"
    # Nothing is persisted: CKAN keeps only queues and caches there.
    as_root redis-server --daemonize yes --bind "$REDIS_HOST" --port "$REDIS_PORT" \
        --save "" --appendonly no >/dev/null
    wait_for redis_running 15 || die "Redis did not start on $REDIS_HOST:$REDIS_PORT"
}

ensure_services() {
    ensure_postgresql
    ensure_redis
}

# psql as a PostgreSQL superuser: the postgres system user through the socket when we
# are root (peer auth on Debian), else postgres over TCP (trust auth set-ups).
pg_admin() {
    if [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1; then
        (cd / && runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@")
    else
        psql -X -q -v ON_ERROR_STOP=1 -h "$DB_HOST" -p "$DB_PORT" -U postgres -d postgres "$@"
    fi
}

# Create the project's role and the database $1 it owns, unless they exist.
ensure_database() {
    local db="$1"
    if [ "$(pg_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$DB_ROLE'")" != "1" ]; then
        log "Creating PostgreSQL role $DB_ROLE"
        pg_admin -c "CREATE ROLE $DB_ROLE LOGIN PASSWORD '$DB_PASSWORD'"
    fi
    if [ "$(pg_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" != "1" ]; then
        log "Creating database $db"
        pg_admin -c "CREATE DATABASE $db OWNER $DB_ROLE ENCODING 'UTF8' TEMPLATE template0"
    fi
}

database_url() {
    printf 'postgresql://%s:%s@%s:%s/%s' "$DB_ROLE" "$DB_PASSWORD" "$DB_HOST" "$DB_PORT" "$1"
}

# --- Virtualenvs ---------------------------------------------------------------------

venv_dir() { printf '%s/.venv-%s' "$ROOT" "$1"; }
constraints_file() { printf '%s/requirements/ckan-%s.txt' "$ROOT" "$1"; }

# Build .venv-<version> from the pinned constraints; skip when neither the constraints
# nor pyproject.toml changed since the last successful install (a stamp holds their hash).
ensure_venv() {
    local version="$1" venv constraints stamp wanted
    venv="$(venv_dir "$version")"
    constraints="$(constraints_file "$version")"
    [ -f "$constraints" ] ||
        die "no $constraints: run scripts/freeze_requirements.sh $version first"
    stamp="$venv/.ckanext-budget-installed"
    wanted="$(cat "$constraints" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
        return 0
    fi
    ensure_build_tools
    if [ ! -x "$venv/bin/python" ]; then
        log "Creating $venv"
        python3 -m venv "$venv"
    fi
    log "Installing CKAN $version and ckanext-budget into $venv"
    # The ckan wheel declares no runtime dependencies: its pinned set is the
    # `requirements` extra; `dev` brings CKAN's pytest plugin and factories.
    "$venv/bin/pip" install -q -c "$constraints" \
        "ckan[requirements,dev]==$version" "ckanext-scheming==$SCHEMING_VERSION" \
        -e "${ROOT}[test]"
    printf '%s\n' "$wanted" >"$stamp"
}

# --- Browser tests: Debian's Chromium, axe-core from npm -------------------------------

CHROMIUM="/usr/bin/chromium"

# tests/browser drive Debian's Chromium through Playwright (PyPI); Playwright's own
# browser download is never used. DejaVu, so that screenshots show text on bare images.
ensure_chromium() {
    [ -x "$CHROMIUM" ] && return 0
    apt_install chromium fonts-dejavu-core
}

# nginx from Debian, the front server a production portal puts before CKAN: it compresses
# what it sends (CKAN does not), most of what makes a budget page light on a phone. Used by
# the demo and by the browser tests that weigh pages, each with its own config under
# var/ or a temporary folder. When this installs it, Debian's own nginx service is kept
# from running, at install (policy-rc.d) and after (disabled, its default site removed):
# nothing ends up listening on port 80.
NGINX="/usr/sbin/nginx"

ensure_nginx() {
    [ -x "$NGINX" ] && return 0
    local policy=/usr/sbin/policy-rc.d added=""
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
        as_root chmod +x "$policy"
        added=1
        trap 'as_root rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    apt_install nginx
    if [ -n "$added" ]; then
        as_root rm -f "$policy"
        trap - EXIT
    fi
    as_root rm -f /etc/nginx/sites-enabled/default
    if [ -d /run/systemd/system ]; then
        as_root systemctl disable --now nginx >/dev/null 2>&1 || true
    else
        as_root service nginx stop >/dev/null 2>&1 || true
        as_root update-rc.d nginx disable >/dev/null 2>&1 || true
    fi
}

# write_nginx_config CONF STATE HOST PORT UPSTREAM_PORT: an nginx config (run it in the
# foreground with `nginx -c CONF -p STATE/nginx`) that listens on HOST:PORT and hands every
# request to CKAN on HOST:UPSTREAM_PORT, compressing text answers as a portal should
# (the README's production advice shows the same gzip lines).
write_nginx_config() {
    local conf="$1" state="$2" host="$3" port="$4" upstream="$5" user_line=""
    mkdir -p "$state/nginx" "$state/log" "$state/run"
    [ "$(id -u)" -ne 0 ] || user_line="user $(id -un) $(id -gn);"
    cat >"$conf" <<CONF
$user_line
daemon off;
worker_processes 1;
pid $state/run/nginx-master.pid;
error_log $state/log/nginx-error.log warn;
events { worker_connections 256; }
http {
    access_log $state/log/nginx-access.log;
    client_body_temp_path $state/nginx/body;
    proxy_temp_path $state/nginx/proxy;
    fastcgi_temp_path $state/nginx/fastcgi;
    uwsgi_temp_path $state/nginx/uwsgi;
    scgi_temp_path $state/nginx/scgi;
    # Uploads up to ckan.max_resource_size, handed to CKAN as they arrive.
    client_max_body_size 200m;
    proxy_request_buffering off;
    gzip on;
    gzip_comp_level 6;
    gzip_min_length 512;
    gzip_proxied any;
    gzip_vary on;
    gzip_types text/css text/javascript application/javascript application/json
               image/svg+xml text/csv text/plain application/xml;
    server {
        listen $host:$port;
        location / {
            proxy_pass http://$host:$upstream;
            proxy_set_header Host \$http_host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_read_timeout 300s;
        }
    }
}
CONF
}

# Node.js and npm from Debian when missing; an image that ships its own keeps them.
ensure_node() {
    local missing=()
    command -v node >/dev/null 2>&1 || missing+=(nodejs)
    command -v npm >/dev/null 2>&1 || missing+=(npm)
    if [ "${#missing[@]}" -gt 0 ]; then
        apt_install "${missing[@]}"
    fi
}

# The npm packages pinned in package-lock.json (axe-core, injected into pages by the
# browser tests) in node_modules/; skipped when package.json and the lock file did not
# change since the last install (a stamp holds their hash, like the virtualenvs').
ensure_node_modules() {
    local stamp="$ROOT/node_modules/.ckanext-budget-installed" wanted
    wanted="$(cat "$ROOT/package.json" "$ROOT/package-lock.json" | sha256sum | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
        return 0
    fi
    ensure_node
    log "Installing the npm packages of package-lock.json into node_modules/"
    (cd "$ROOT" && npm ci --include=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
    printf '%s\n' "$wanted" >"$stamp"
}

# Compile the translations (.mo files are built, never committed).
compile_translations() {
    local venv="$1" po
    for po in "$ROOT"/ckanext/budget/i18n/*/LC_MESSAGES/ckanext-budget.po; do
        [ -f "$po" ] || continue
        "$venv/bin/pybabel" compile -D ckanext-budget -i "$po" -o "${po%.po}.mo" >/dev/null 2>&1
    done
    # click's own words ("Usage:", "Options"...) for budget-doc, in French.
    for po in "$ROOT"/ckanext/budget/docbudg/cli/locale/*/LC_MESSAGES/click.po; do
        [ -f "$po" ] || continue
        "$venv/bin/pybabel" compile -D click -i "$po" -o "${po%.po}.mo" >/dev/null 2>&1
    done
}

run_ruff() {
    local venv="$1"
    log "ruff check + ruff format --check"
    # The virtualenvs and var/ are git-ignored, but ruff reads .gitignore only in a git
    # work tree (not in an exported copy of the sources).
    local skip=(--extend-exclude ".venv-*" --extend-exclude var)
    (cd "$ROOT" && "$venv/bin/ruff" check "${skip[@]}" . &&
        "$venv/bin/ruff" format --check "${skip[@]}" .) || return 1
    log "lint-imports: the architecture's contracts (pyproject.toml)"
    (cd "$ROOT" && "$venv/bin/python" scripts/lint_imports.py)
}
