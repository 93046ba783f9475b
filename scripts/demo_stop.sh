#!/usr/bin/env bash
# `make demo-stop`: stop the demo's front server (nginx), web server and worker (started by scripts/demo.sh,
# each in its own session whose id is in var/demo/run/<name>.pid). Data and config stay
# in var/demo/ and in the ckan_demo database; `make demo` starts again from them.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"

stop() {
    local name="$1" pid_file="$VAR_DIR/demo/run/$1.pid" pid i
    [ -s "$pid_file" ] || return 0
    pid="$(cat "$pid_file")"
    if kill -0 "$pid" 2>/dev/null; then
        log "Stopping $name (session $pid)"
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
        for ((i = 0; i < 20; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    rm -f "$pid_file"
}

stop nginx
stop web
stop worker
echo "Demo stopped."
