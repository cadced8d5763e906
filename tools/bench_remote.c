/* bench_remote — what the remote cache client costs per module against a
 * local redis-server (make bench-remote starts one with tests/remote/redis.sh).
 *
 * 10 000 values of VALUE_BYTES are written in batches of 64, then read back
 * one key per request (10 000 round trips in series) and in batches of 1,
 * 8, 64 and 256 keys per request.  Prints wall time, time per key and round
 * trips per key of each; the figures to compare are the ratios within one
 * run (the machine is shared).
 */
#include "workers/remote.h"

#include "base/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KEYS 10000u
#define VALUE_BYTES 4096u

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
    const char *url = getenv("REDIS_URL");
    if (!url) {
        fprintf(stderr, "bench_remote: run me through make bench-remote (it starts the server)\n");
        return 2;
    }
    RemoteConfig cfg = { .build_id = 0xbe7c4 };
    char err[256];
    if (remote_parse_url(url, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "bench_remote: %s\n", err);
        return 2;
    }
    Remote *r = remote_open(&cfg);
    RemoteConn *c = r ? remote_conn_new(r) : NULL;
    CacheKey *keys = malloc(KEYS * sizeof *keys);
    RemoteValue *vals = malloc(KEYS * sizeof *vals), *got = malloc(KEYS * sizeof *got);
    char *data = malloc(VALUE_BYTES);
    if (!c || !keys || !vals || !got || !data) {
        fprintf(stderr, "bench_remote: out of memory\n");
        return 2;
    }
    memset(data, 'x', VALUE_BYTES);
    for (uint32_t i = 0; i < KEYS; i++) {
        keys[i] = (CacheKey){ 0xbe7c4, i };
        vals[i] = (RemoteValue){ data, VALUE_BYTES };
    }
    RemoteCounters cnt = { 0 };
    double t0 = now_s();
    for (uint32_t i = 0; i < KEYS; i += 64)
        remote_put(c, keys + i, vals + i, KEYS - i < 64 ? KEYS - i : 64, &cnt);
    printf("put    %5u keys of %u bytes, 64 per request:  %7.3f s  %6.1f us/key  %.4f round trips/key\n",
           KEYS, VALUE_BYTES, now_s() - t0, (now_s() - t0) * 1e6 / KEYS, 1.0 / 64);
    static const uint32_t batches[] = { 1, 8, 64, 256 };
    for (size_t b = 0; b < sizeof batches / sizeof batches[0]; b++) {
        uint32_t k = batches[b];
        cnt = (RemoteCounters){ 0 };
        t0 = now_s();
        for (uint32_t i = 0; i < KEYS; i += k) {
            uint32_t n = KEYS - i < k ? KEYS - i : k;
            remote_get(c, keys + i, n, got + i, &cnt);
            for (uint32_t j = 0; j < n; j++)
                mem_free(got[i + j].data);
        }
        double s = now_s() - t0;
        printf("get    %5u keys, %3u per request:              %7.3f s  %6.1f us/key  %.4f round trips/key  (%llu hits)\n",
               KEYS, k, s, s * 1e6 / KEYS, 1.0 / k, (unsigned long long)cnt.hits);
        if (cnt.hits != KEYS || cnt.errors) {
            fprintf(stderr, "bench_remote: expected %u hits, got %llu (%llu errors)\n", KEYS,
                    (unsigned long long)cnt.hits, (unsigned long long)cnt.errors);
            return 1;
        }
    }
    remote_conn_free(c);
    remote_close(r);
    free(keys);
    free(vals);
    free(got);
    free(data);
    return 0;
}
