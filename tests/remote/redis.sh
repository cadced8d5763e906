# redis.sh — a private redis-server for the remote cache tests (sourced).
#
#   . tests/remote/redis.sh
#   redis_start        # starts it; sets REDIS_PORT REDIS_SOCK REDIS_PID
#                      # REDIS_URL (TCP) REDIS_UNIX_URL REDIS_DIR; traps
#                      # EXIT/INT/TERM to stop it, also when a test fails
#   redis_stop         # stops it (resumed first if paused) and removes its
#                      # temporary directory; safe to call twice
#
# The server listens on 127.0.0.1 on a free port (a random one, tried again
# when taken) and on a unix socket in a temporary directory, with
# persistence off (no RDB snapshots, no AOF) and its log in that directory.
# REDIS_EXTRA_ARGS, when set, is added to its command line (words without
# spaces, e.g. "--rename-command getex some-other-name").
# Needs /usr/bin/redis-server (make deps installs it).

redis_start() {
    command -v redis-server >/dev/null 2>&1 || {
        echo "redis.sh: redis-server is not installed (run: make deps)" >&2
        return 1
    }
    REDIS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/coord-redis.XXXXXX")
    REDIS_SOCK=$REDIS_DIR/redis.sock
    REDIS_PID=
    trap 'redis_stop' EXIT
    trap 'redis_stop; exit 130' INT
    trap 'redis_stop; exit 143' TERM
    tries=0
    while [ $tries -lt 20 ]; do
        tries=$((tries + 1))
        REDIS_PORT=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 30000 + 20000 ))
        rm -f "$REDIS_SOCK" "$REDIS_DIR/log"
        redis-server --bind 127.0.0.1 --port "$REDIS_PORT" \
            --unixsocket "$REDIS_SOCK" --unixsocketperm 700 \
            --save '' --appendonly no --dir "$REDIS_DIR" \
            --logfile "$REDIS_DIR/log" --daemonize no --protected-mode yes \
            ${REDIS_EXTRA_ARGS:-} &
        REDIS_PID=$!
        # Ready when the unix socket exists (created after the TCP bind).
        waited=0
        while [ $waited -lt 100 ] && kill -0 "$REDIS_PID" 2>/dev/null && [ ! -S "$REDIS_SOCK" ]; do
            sleep 0.05
            waited=$((waited + 1))
        done
        if [ -S "$REDIS_SOCK" ] && kill -0 "$REDIS_PID" 2>/dev/null; then
            REDIS_URL=redis://127.0.0.1:$REDIS_PORT
            REDIS_UNIX_URL=unix://$REDIS_SOCK
            export REDIS_PORT REDIS_SOCK REDIS_PID REDIS_URL REDIS_UNIX_URL REDIS_DIR
            return 0
        fi
        kill "$REDIS_PID" 2>/dev/null || true
        wait "$REDIS_PID" 2>/dev/null || true
        REDIS_PID=
        grep -q 'in use' "$REDIS_DIR/log" 2>/dev/null || break
    done
    echo "redis.sh: redis-server did not start:" >&2
    cat "$REDIS_DIR/log" >&2 2>/dev/null
    return 1
}

redis_stop() {
    if [ -n "${REDIS_PID:-}" ]; then
        # `|| true`: the caller may run under set -e, and a test may have
        # killed the server already.
        kill -CONT "$REDIS_PID" 2>/dev/null || true
        kill -TERM "$REDIS_PID" 2>/dev/null || true
        wait "$REDIS_PID" 2>/dev/null || true
        REDIS_PID=
    fi
    if [ -n "${REDIS_DIR:-}" ]; then
        rm -rf "$REDIS_DIR"
        REDIS_DIR=
    fi
}
