#!/bin/sh
# run.sh PROGRAM [ARG...] — runs the remote cache client's tests
# (tests/remote/test_remote.c, built as build/MODE/remote/test_remote), or
# tools/bench_remote(.sh), against a private redis-server (tests/remote/redis.sh),
# which is stopped at the end, also when a test fails.  The tests pause and
# kill that server.
set -eu
export LC_ALL=C
if [ $# -lt 1 ]; then
    echo "usage: run.sh PROGRAM [ARG...]" >&2
    exit 2
fi
. "$(dirname "$0")/redis.sh"
redis_start
# A hang is a failure too (REMOTE_RUN_TIMEOUT seconds, default 600).
status=0
timeout "${REMOTE_RUN_TIMEOUT:-600}" "$@" || status=$?
redis_stop
exit $status
