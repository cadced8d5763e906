#!/bin/sh
# run.sh TEST_BINARY — runs the remote cache client's tests
# (tests/remote/test_remote.c, built as build/MODE/remote/test_remote), or
# tools/bench_remote, against a private redis-server (tests/remote/redis.sh),
# which is stopped at the end, also when a test fails.  The tests pause and
# kill that server.
set -eu
export LC_ALL=C
if [ $# -ne 1 ]; then
    echo "usage: run.sh TEST_BINARY" >&2
    exit 2
fi
. "$(dirname "$0")/redis.sh"
redis_start
# A hang is a failure too.
status=0
timeout 300 "$1" || status=$?
redis_stop
exit $status
