/* test_remote — the remote cache client (workers/remote.[ch]) against a real
 * redis-server started by tests/remote/run.sh (REDIS_PORT, REDIS_SOCK,
 * REDIS_PID in the environment), and against fake servers run by a thread of
 * this test (junk, silence, replies of the wrong type, trickled bytes).
 *
 * SIGPIPE keeps its default disposition here on purpose: the client must
 * survive writing to a server that went away without the embedder's help.
 * The test that kills the server runs last.
 */
#include "workers/remote.h"

#include "base/mem.h"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static int redis_port;
static const char *redis_sock;
static pid_t redis_pid;

static uint64_t ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* An admin connection with hiredis's own replies (CONFIG, TTL, DBSIZE). */
static redisContext *admin(void)
{
    redisContext *c = redisConnectUnix(redis_sock);
    assert_non_null(c);
    assert_int_equal(c->err, 0);
    return c;
}

static long long admin_int(const char *fmt, ...)
{
    redisContext *c = admin();
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    long long v = r->integer;
    freeReplyObject(r);
    redisFree(c);
    return v;
}

static void admin_ok(const char *fmt, ...)
{
    redisContext *c = admin();
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    freeReplyObject(r);
    redisFree(c);
}

static RemoteConfig tcp_config(int port)
{
    RemoteConfig cfg = { .port = (uint16_t)port, .build_id = 0x1234abcdULL };
    strcpy(cfg.addr, "127.0.0.1");
    return cfg;
}

static RemoteConfig unix_config(void)
{
    RemoteConfig cfg = { .unix_socket = true, .build_id = 0x1234abcdULL };
    snprintf(cfg.addr, sizeof cfg.addr, "%s", redis_sock);
    return cfg;
}

/* A Remote and one connection to it; client_close frees both. */
static RemoteConn *client(const RemoteConfig *cfg, Remote **r)
{
    *r = remote_open(cfg);
    assert_non_null(*r);
    RemoteConn *c = remote_conn_new(*r);
    assert_non_null(c);
    return c;
}

static void client_close(RemoteConn *c, Remote *r)
{
    remote_conn_free(c);
    remote_close(r);
}

static int setup_flush(void **state)
{
    admin_ok("FLUSHALL");
    admin_ok("CONFIG SET maxmemory 0");
    admin_ok("CONFIG SET maxmemory-policy noeviction");
    return 0;
}

static void free_values(RemoteValue *v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        mem_free(v[i].data);
}

/* ------------------------------------------------------------------ URLs */

static void test_parse_url(void **state)
{
    RemoteConfig c;
    char err[200];
    memset(&c, 0, sizeof c);
    assert_int_equal(remote_parse_url("redis://cache.example:6380/3", &c, err, sizeof err), 0);
    assert_false(c.unix_socket);
    assert_string_equal(c.addr, "cache.example");
    assert_int_equal(c.port, 6380);
    assert_int_equal(c.db, 3);
    assert_int_equal(remote_parse_url("redis://h", &c, err, sizeof err), 0);
    assert_string_equal(c.addr, "h");
    assert_int_equal(c.port, 6379);
    assert_int_equal(c.db, 0);
    assert_int_equal(remote_parse_url("redis://[::1]:7000/", &c, err, sizeof err), 0);
    assert_string_equal(c.addr, "::1");
    assert_int_equal(c.port, 7000);
    assert_int_equal(remote_parse_url("unix:///run/redis.sock", &c, err, sizeof err), 0);
    assert_true(c.unix_socket);
    assert_string_equal(c.addr, "/run/redis.sock");

    static const struct { const char *url, *msg; } bad[] = {
        { "http://h", "remote cache URL must start with redis:// or unix://: 'http://h'" },
        { "redis://", "remote cache URL: no host: 'redis://'" },
        { "redis://h:0", "remote cache URL: bad port: 'redis://h:0'" },
        { "redis://h:65536", "remote cache URL: bad port: 'redis://h:65536'" },
        { "redis://h:x1", "remote cache URL: bad port: 'redis://h:x1'" },
        { "redis://h/db", "remote cache URL: bad database number: 'redis://h/db'" },
        { "redis://[::1", "remote cache URL: bad [IPv6] host: 'redis://[::1'" },
        { "unix://relative", "remote cache URL: unix:// needs an absolute socket path: 'unix://relative'" },
        { "redis://u:p@h", "not supported yet: a user or password in the remote cache URL: 'redis://u:p@h'" },
        { "redis://h?x=1", "not supported yet: a query in the remote cache URL: 'redis://h?x=1'" },
        { "rediss://h", "not supported yet: TLS (rediss://) for the remote cache: 'rediss://h'" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(remote_parse_url(bad[i].url, &c, err, sizeof err), -1);
        assert_string_equal(err, bad[i].msg);
    }
}

static void test_key_name(void **state)
{
    RemoteConfig cfg = tcp_config(1);
    Remote *r = remote_open(&cfg);
    assert_non_null(r);
    char key[REMOTE_KEY_LEN + 1];
    remote_key_name(r, (CacheKey){ 0x0123456789abcdefULL, 42 }, key);
    assert_string_equal(key, "coord:00000002:000000001234abcd:0123456789abcdef000000000000002a");
    assert_int_equal(strlen(key), REMOTE_KEY_LEN);
    assert_int_equal(CACHE_FORMAT_VERSION, 2);   /* the "00000002" above */
    remote_close(r);
}

/* ------------------------------------------------------ against a server */

static void test_round_trip(void **state)
{
    for (int transport = 0; transport < 2; transport++) {
        admin_ok("FLUSHALL");
        RemoteConfig cfg = transport ? unix_config() : tcp_config(redis_port);
        Remote *r;
        RemoteConn *c = client(&cfg, &r);
        assert_non_null(c);
        size_t big = 1u << 20;
        char *bigbuf = malloc(big);
        for (size_t i = 0; i < big; i++)
            bigbuf[i] = (char)(i * 7);
        CacheKey keys[4] = { { 1, 2 }, { 3, 4 }, { 5, 6 }, { 7, 8 } };
        RemoteValue vals[3] = { { "abc", 3 }, { "\0x\0y", 4 }, { bigbuf, big } };
        RemoteCounters cnt = { 0 };
        assert_int_equal(remote_put(c, keys, vals, 3, &cnt), 3);
        assert_int_equal(cnt.written, 3);
        assert_int_equal(cnt.bytes_written, 3 + 4 + big);
        assert_int_equal(admin_int("DBSIZE"), 3);

        RemoteValue got[4];
        CacheKey ask[4] = { keys[0], keys[3], keys[1], keys[2] };   /* keys[3]: a miss */
        assert_int_equal(remote_get(c, ask, 4, got, &cnt), 3);
        assert_int_equal(cnt.hits, 3);
        assert_int_equal(cnt.misses, 1);
        assert_int_equal(cnt.errors, 0);
        assert_int_equal(cnt.bytes_read, 3 + 4 + big);
        assert_int_equal(got[0].len, 3);
        assert_memory_equal(got[0].data, "abc", 3);
        assert_null(got[1].data);
        assert_int_equal(got[2].len, 4);
        assert_memory_equal(got[2].data, "\0x\0y", 4);
        assert_int_equal(got[3].len, big);
        assert_memory_equal(got[3].data, bigbuf, big);
        assert_int_equal((uintptr_t)got[3].data % 8, 0);
        assert_true(remote_enabled(r));
        char w[300];
        assert_false(remote_warning(r, w, sizeof w));
        free_values(got, 4);
        free(bigbuf);
        client_close(c, r);
    }
}

static void test_ttl_set_and_refreshed(void **state)
{
    RemoteConfig cfg = tcp_config(redis_port);
    cfg.ttl_s = 1000;
    Remote *r;
    RemoteConn *c = client(&cfg, &r);
    CacheKey k = { 9, 9 };
    RemoteCounters cnt = { 0 };
    assert_int_equal(remote_put(c, &k, &(RemoteValue){ "v", 1 }, 1, &cnt), 1);
    char key[REMOTE_KEY_LEN + 1];
    remote_key_name(r, k, key);
    long long ttl = admin_int("TTL %s", key);
    assert_true(ttl > 990 && ttl <= 1000);
    assert_int_equal(admin_int("EXPIRE %s 5", key), 1);
    assert_true(admin_int("TTL %s", key) <= 5);
    RemoteValue got;
    assert_int_equal(remote_get(c, &k, 1, &got, &cnt), 1);      /* a hit refreshes */
    ttl = admin_int("TTL %s", key);
    assert_true(ttl > 990 && ttl <= 1000);
    free_values(&got, 1);
    /* A miss creates nothing. */
    CacheKey none = { 10, 10 };
    assert_int_equal(remote_get(c, &none, 1, &got, &cnt), 0);
    remote_key_name(r, none, key);
    assert_int_equal(admin_int("EXISTS %s", key), 0);
    client_close(c, r);
}

/* Queued writes: nothing sent until REMOTE_WRITE_BATCH are queued (then one
 * round trip), the rest go out with the next read or with remote_flush;
 * a read of n keys is one round trip; read-only queues nothing. */
static void test_write_queue(void **state)
{
    RemoteConfig cfg = tcp_config(redis_port);
    Remote *r;
    RemoteConn *c = client(&cfg, &r);
    RemoteCounters cnt = { 0 };
    CacheKey ks[REMOTE_WRITE_BATCH + 3];
    for (uint32_t i = 0; i < REMOTE_WRITE_BATCH + 3; i++) {
        ks[i] = (CacheKey){ 100, i };
        char *v = mem_alloc(8);
        assert_non_null(v);
        memcpy(v, "value-", 6);
        v[6] = (char)('a' + i % 26);
        v[7] = '\0';
        remote_put_queue(c, ks[i], v, 7, &cnt);
        uint32_t sent = i + 1 >= REMOTE_WRITE_BATCH ? REMOTE_WRITE_BATCH : 0;
        if (!sent)
            assert_int_equal(admin_int("DBSIZE"), 0);
        assert_int_equal(remote_queued(c), i + 1 - sent);
    }
    /* connect + one batch, sent without waiting for its replies */
    assert_int_equal(cnt.round_trips, 2);
    assert_int_equal(cnt.written, 0);
    /* A read first reads those replies, and carries the 3 queued writes:
     * one round trip, and it sees them. */
    RemoteValue got[2];
    CacheKey ask[2] = { ks[REMOTE_WRITE_BATCH + 2], { 7, 7 } };
    assert_int_equal(remote_get(c, ask, 2, got, &cnt), 1);
    assert_int_equal(cnt.round_trips, 3);
    assert_int_equal(cnt.written, REMOTE_WRITE_BATCH + 3);
    assert_int_equal(remote_queued(c), 0);
    assert_int_equal(admin_int("DBSIZE"), REMOTE_WRITE_BATCH + 3);
    assert_int_equal(got[0].len, 7);
    assert_memory_equal(got[0].data, "value-", 6);
    assert_null(got[1].data);
    free_values(got, 2);
    /* remote_flush: one round trip with something queued, none without. */
    char *v = mem_alloc(1);
    assert_non_null(v);
    *v = 'x';
    remote_put_queue(c, (CacheKey){ 200, 1 }, v, 1, &cnt);
    remote_flush(c, &cnt);
    remote_flush(c, &cnt);
    assert_int_equal(cnt.round_trips, 4);
    assert_int_equal(admin_int("DBSIZE"), REMOTE_WRITE_BATCH + 4);
    assert_int_equal(cnt.errors, 0);
    client_close(c, r);

    cfg.readonly = true;
    c = client(&cfg, &r);
    RemoteCounters ro = { 0 };
    v = mem_alloc(1);
    assert_non_null(v);
    remote_put_queue(c, (CacheKey){ 200, 2 }, v, 1, &ro);
    assert_int_equal(remote_queued(c), 0);
    remote_flush(c, &ro);
    assert_int_equal(ro.round_trips, 0);
    assert_int_equal(admin_int("DBSIZE"), REMOTE_WRITE_BATCH + 4);
    client_close(c, r);
}

/* Writes sent by a full queue are acknowledged later: refusals (OOM under
 * maxmemory noeviction) are counted when the replies are read, by the
 * next call on the connection (here remote_flush, as coord's end of run). */
static void test_deferred_refusals(void **state)
{
    admin_ok("CONFIG SET maxmemory 1");
    RemoteConfig cfg = unix_config();
    Remote *r;
    RemoteConn *c = client(&cfg, &r);
    RemoteCounters cnt = { 0 };
    for (uint32_t i = 0; i < REMOTE_WRITE_BATCH; i++) {
        char *v = mem_alloc(4);
        assert_non_null(v);
        memcpy(v, "abcd", 4);
        remote_put_queue(c, (CacheKey){ 300, i }, v, 4, &cnt);
    }
    assert_int_equal(remote_queued(c), 0);
    assert_int_equal(cnt.errors, 0);            /* sent, not answered yet */
    remote_flush(c, &cnt);                      /* nothing queued: reads the replies */
    assert_int_equal(cnt.written, 0);
    assert_int_equal(cnt.errors, REMOTE_WRITE_BATCH);
    assert_int_equal(cnt.round_trips, 2);       /* the connect and the batch */
    assert_false(remote_enabled(r));
    char w[300];
    assert_true(remote_warning(r, w, sizeof w));
    assert_non_null(strstr(w, "SET refused: OOM"));
    admin_ok("CONFIG SET maxmemory 0");
    assert_int_equal(admin_int("DBSIZE"), 0);
    client_close(c, r);
}

/* Another build id or format is another namespace on the same server. */
static void test_namespaces(void **state)
{
    RemoteConfig a = tcp_config(redis_port), b = a;
    b.build_id++;
    Remote *ra, *rb;
    RemoteConn *ca = client(&a, &ra), *cb = client(&b, &rb);
    CacheKey k = { 1, 1 };
    RemoteCounters cnt = { 0 };
    RemoteValue got;
    assert_int_equal(remote_put(ca, &k, &(RemoteValue){ "a", 1 }, 1, &cnt), 1);
    assert_int_equal(remote_get(cb, &k, 1, &got, &cnt), 0);
    assert_int_equal(remote_get(ca, &k, 1, &got, &cnt), 1);
    free_values(&got, 1);
    client_close(ca, ra);
    client_close(cb, rb);
}

static void test_readonly_writes_nothing(void **state)
{
    RemoteConfig cfg = unix_config();
    cfg.readonly = true;
    Remote *r;
    RemoteConn *c = client(&cfg, &r);
    CacheKey k = { 1, 1 };
    RemoteCounters cnt = { 0 };
    assert_int_equal(remote_put(c, &k, &(RemoteValue){ "a", 1 }, 1, &cnt), 0);
    assert_int_equal(cnt.written, 0);
    assert_int_equal(admin_int("DBSIZE"), 0);
    client_close(c, r);
}

/* Database selection: /2 writes into database 2 only. */
static void test_select_db(void **state)
{
    RemoteConfig cfg = tcp_config(redis_port);
    cfg.db = 2;
    Remote *r;
    RemoteConn *c = client(&cfg, &r);
    CacheKey k = { 1, 1 };
    RemoteCounters cnt = { 0 };
    assert_int_equal(remote_put(c, &k, &(RemoteValue){ "a", 1 }, 1, &cnt), 1);
    assert_int_equal(admin_int("DBSIZE"), 0);
    char key[REMOTE_KEY_LEN + 1];
    remote_key_name(r, k, key);
    redisContext *a = admin();
    redisReply *rep = redisCommand(a, "SELECT 2");
    freeReplyObject(rep);
    rep = redisCommand(a, "EXISTS %s", key);
    assert_int_equal(rep->integer, 1);
    freeReplyObject(rep);
    freeReplyObject(redisCommand(a, "FLUSHDB"));
    redisFree(a);
    client_close(c, r);
}

/* Junk under valid keys: bytes come back as they are (the caller validates
 * them); a key of another type is a miss and an error, and the connection
 * stays usable. */
static void test_junk_under_valid_keys(void **state)
{
    RemoteConfig cfg = tcp_config(redis_port);
    Remote *r;
    RemoteConn *c = client(&cfg, &r);
    CacheKey ks[3] = { { 1, 1 }, { 2, 2 }, { 3, 3 } };
    char k0[REMOTE_KEY_LEN + 1], k1[REMOTE_KEY_LEN + 1], k2[REMOTE_KEY_LEN + 1];
    remote_key_name(r, ks[0], k0);
    remote_key_name(r, ks[1], k1);
    remote_key_name(r, ks[2], k2);
    admin_ok("SET %s %s", k0, "garbage");
    assert_int_equal(admin_int("LPUSH %s x", k1), 1);
    admin_ok("SET %s %s", k2, "ok");
    RemoteValue got[3];
    RemoteCounters cnt = { 0 };
    assert_int_equal(remote_get(c, ks, 3, got, &cnt), 2);
    assert_int_equal(got[0].len, 7);
    assert_memory_equal(got[0].data, "garbage", 7);
    assert_null(got[1].data);
    assert_int_equal(got[2].len, 2);
    assert_int_equal(cnt.errors, 1);
    assert_int_equal(cnt.misses, 1);
    assert_int_equal(remote_errors(r), 1);
    assert_true(remote_enabled(r));
    char w[300];
    assert_true(remote_warning(r, w, sizeof w));
    char want[300];
    snprintf(want, sizeof want,
             "redis://127.0.0.1:%d/0: GET refused: WRONGTYPE Operation against a key holding "
             "the wrong kind of value (1 error)", redis_port);
    assert_string_equal(w, want);
    free_values(got, 3);
    client_close(c, r);
}

/* maxmemory tiny: with eviction every write is acknowledged and later reads
 * miss what was evicted; without eviction writes are refused (counted, the
 * remote disabled after REMOTE_MAX_ERRORS). */
static void test_maxmemory(void **state)
{
    admin_ok("CONFIG SET maxmemory 2mb");
    admin_ok("CONFIG SET maxmemory-policy allkeys-lru");
    RemoteConfig cfg = unix_config();
    Remote *r;
    RemoteConn *c = client(&cfg, &r);
    enum { N = 40 };
    size_t len = 200 * 1024;
    char *buf = calloc(1, len);
    CacheKey ks[N];
    RemoteValue vs[N];
    for (uint32_t i = 0; i < N; i++) {
        ks[i] = (CacheKey){ 77, i };
        vs[i] = (RemoteValue){ buf, len };
    }
    RemoteCounters cnt = { 0 };
    for (uint32_t i = 0; i < N; i++)
        assert_int_equal(remote_put(c, &ks[i], &vs[i], 1, &cnt), 1);
    RemoteValue got[N];
    uint32_t hits = remote_get(c, ks, N, got, &cnt);
    assert_true(hits < N);
    assert_int_equal(cnt.hits + cnt.misses, N);
    for (uint32_t i = 0; i < N; i++)
        if (got[i].data) {
            assert_int_equal(got[i].len, len);
            assert_memory_equal(got[i].data, buf, len);
        }
    free_values(got, N);
    assert_int_equal(cnt.errors, 0);
    assert_true(remote_enabled(r));

    admin_ok("CONFIG SET maxmemory-policy noeviction");
    cnt = (RemoteCounters){ 0 };
    assert_true(remote_put(c, ks, vs, N, &cnt) < N);
    assert_true(cnt.errors >= REMOTE_MAX_ERRORS);
    assert_false(remote_enabled(r));
    char w[300];
    assert_true(remote_warning(r, w, sizeof w));
    assert_non_null(strstr(w, "SET refused: OOM"));
    assert_non_null(strstr(w, "; not used for the rest of this run)"));
    /* Disabled: nothing is asked any more. */
    cnt = (RemoteCounters){ 0 };
    assert_int_equal(remote_get(c, ks, N, got, &cnt), 0);
    assert_int_equal(cnt.misses, N);
    assert_int_equal(cnt.errors, 0);
    free(buf);
    client_close(c, r);
}

/* Cache entries through the remote: validated like local files. */
static void put_raw(Remote *r, CacheKey k, const void *data, size_t len)
{
    char key[REMOTE_KEY_LEN + 1];
    remote_key_name(r, k, key);
    redisContext *a = admin();
    redisReply *rep = redisCommand(a, "SET %s %b", key, data, len);
    assert_non_null(rep);
    assert_int_equal(rep->type, REDIS_REPLY_STATUS);
    freeReplyObject(rep);
    redisFree(a);
}

static void test_entries(void **state)
{
    RemoteConfig cfg = tcp_config(redis_port);
    Remote *r;
    RemoteConn *c = client(&cfg, &r);
    CacheKey ks[3] = { { 11, 1 }, { 11, 2 }, { 11, 3 } };
    CacheSection secs[2] = { { "interface", 9 }, { "artifact bytes", 14 } };
    CacheEntry made[2];
    for (uint32_t i = 0; i < 2; i++) {
        void *buf;
        size_t len;
        assert_int_equal(cache_entry_encode(cfg.build_id, ks[i], 100 + i, secs, 2, &buf, &len), 0);
        assert_int_equal(cache_entry_adopt(cfg.build_id, ks[i], buf, len, &made[i], NULL), 0);
    }
    RemoteCounters cnt = { 0 };
    assert_int_equal(remote_put_entries(c, ks, made, 2, &cnt), 2);
    CacheEntry got[3];
    assert_int_equal(remote_get_entries(c, ks, 3, got, &cnt), 2);
    assert_int_equal(cnt.hits, 2);
    assert_int_equal(cnt.misses, 1);
    assert_int_equal(cnt.corrupt, 0);
    for (uint32_t i = 0; i < 2; i++) {
        assert_int_equal(got[i].variant, 100 + i);
        assert_int_equal(got[i].section_count, 2);
        assert_int_equal(got[i].sections[1].len, 14);
        assert_memory_equal(got[i].sections[1].data, "artifact bytes", 14);
        cache_entry_release(&got[i]);
    }
    assert_null(got[2].map);

    /* Corrupted values under valid keys: a flipped bit, another key's entry,
     * junk.  Each is a miss, counted corrupt and as an error. */
    char *flipped = malloc(made[0].map_len);
    memcpy(flipped, made[0].map, made[0].map_len);
    flipped[made[0].map_len - 3] ^= 4;
    put_raw(r, ks[0], flipped, made[0].map_len);
    put_raw(r, ks[2], made[1].map, made[1].map_len);      /* ks[1]'s entry */
    put_raw(r, ks[1], "garbage", 7);
    cnt = (RemoteCounters){ 0 };
    assert_int_equal(remote_get_entries(c, ks, 3, got, &cnt), 0);
    assert_int_equal(cnt.hits, 0);
    assert_int_equal(cnt.misses, 3);
    assert_int_equal(cnt.corrupt, 3);
    assert_int_equal(cnt.errors, 3);
    for (uint32_t i = 0; i < 3; i++)
        assert_null(got[i].map);
    assert_false(remote_enabled(r));
    char w[400];
    assert_true(remote_warning(r, w, sizeof w));
    assert_non_null(strstr(w, "invalid entry: failed validation (key coord:00000002:000000001234abcd:"
                              "000000000000000b0000000000000001)"));
    free(flipped);
    cache_entry_release(&made[0]);
    cache_entry_release(&made[1]);
    client_close(c, r);
}

/* remote_get_entries places entries of up to a quarter region in the
 * Remote's regions: not heap entries (release frees nothing), still valid
 * after their connection is freed, until remote_close.  A larger entry gets
 * a heap buffer of its own. */
static void test_entries_placed(void **state)
{
    RemoteConfig cfg = unix_config();
    Remote *r;
    RemoteConn *c = client(&cfg, &r);
    CacheKey ks[3] = { { 12, 1 }, { 12, 2 }, { 12, 3 } };
    size_t big_len = REMOTE_REGION_BYTES / 4 + 1;
    char *big = malloc(big_len);
    assert_non_null(big);
    memset(big, 'b', big_len);
    CacheSection small[1] = { { "small entry", 11 } }, large[1] = { { big, big_len } };
    CacheEntry made[3];
    for (uint32_t i = 0; i < 3; i++) {
        void *buf;
        size_t len;
        assert_int_equal(cache_entry_encode(cfg.build_id, ks[i], 7, i < 2 ? small : large, 1,
                                            &buf, &len), 0);
        assert_int_equal(cache_entry_adopt(cfg.build_id, ks[i], buf, len, &made[i], NULL), 0);
    }
    RemoteCounters cnt = { 0 };
    assert_int_equal(remote_put_entries(c, ks, made, 3, &cnt), 3);
    CacheEntry got[3];
    assert_int_equal(remote_get_entries(c, ks, 3, got, &cnt), 3);
    assert_false(got[0].heap);
    assert_false(got[1].heap);
    assert_true(got[2].heap);
    remote_conn_free(c);        /* the regions belong to the Remote */
    for (uint32_t i = 0; i < 2; i++) {
        assert_int_equal(got[i].map_len, made[i].map_len);
        assert_memory_equal(got[i].map, made[i].map, made[i].map_len);
        assert_memory_equal(got[i].sections[0].data, "small entry", 11);
        assert_int_equal((uintptr_t)got[i].map % 8, 0);
        cache_entry_release(&got[i]);
        assert_null(got[i].map);
    }
    assert_int_equal(got[2].sections[0].len, big_len);
    assert_memory_equal(got[2].sections[0].data, big, big_len);
    cache_entry_release(&got[2]);
    remote_close(r);            /* frees the regions (ASan: nothing leaks) */
    for (uint32_t i = 0; i < 3; i++)
        cache_entry_release(&made[i]);
    free(big);
}

/* Several threads, one connection each, on one Remote (TSan). */
typedef struct { Remote *r; uint32_t id; uint32_t hits; } ThreadArg;

static void *thread_main(void *p)
{
    ThreadArg *a = p;
    RemoteConn *c = remote_conn_new(a->r);
    RemoteCounters cnt = { 0 };
    for (uint32_t round = 0; round < 20; round++) {
        CacheKey ks[8];
        RemoteValue vs[8], got[8];
        char data[8][16];
        for (uint32_t i = 0; i < 8; i++) {
            ks[i] = (CacheKey){ a->id, round * 8 + i };
            snprintf(data[i], sizeof data[i], "%u-%u-%u", a->id, round, i);
            vs[i] = (RemoteValue){ data[i], strlen(data[i]) };
        }
        if (remote_put(c, ks, vs, 8, &cnt) != 8)
            break;
        uint32_t h = remote_get(c, ks, 8, got, &cnt);
        for (uint32_t i = 0; i < 8; i++)
            if (got[i].data && got[i].len == vs[i].len && memcmp(got[i].data, data[i], vs[i].len) == 0)
                a->hits++;
        (void)h;
        free_values(got, 8);
    }
    remote_conn_free(c);
    return NULL;
}

static void test_threads(void **state)
{
    RemoteConfig cfg = tcp_config(redis_port);
    Remote *r = remote_open(&cfg);
    enum { T = 4 };
    pthread_t th[T];
    ThreadArg args[T];
    for (uint32_t i = 0; i < T; i++) {
        args[i] = (ThreadArg){ r, i, 0 };
        assert_int_equal(pthread_create(&th[i], NULL, thread_main, &args[i]), 0);
    }
    for (uint32_t i = 0; i < T; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].hits, 160);
    }
    assert_int_equal(remote_errors(r), 0);
    remote_close(r);
}

/* --------------------------------------------------------- fake servers */

/* A listener on 127.0.0.1 (port 0: the kernel picks).  For each read from
 * its one client it sends the next scripted answer; after the script it
 * reads until the client goes away.  NULL in the script: stay silent (never
 * answer) until the client goes away.  A "~" prefix: trickle the rest one
 * byte per 50 ms. */
typedef struct Fake {
    int lfd, port;
    const char *const *script;
    pthread_t th;
} Fake;

static void *fake_main(void *p)
{
    Fake *f = p;
    int fd = accept(f->lfd, NULL, NULL);
    if (fd < 0)
        return NULL;
    char buf[4096];
    size_t step = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
            break;
        const char *ans = f->script[step];
        if (!ans)
            continue;                   /* silent from here on */
        step++;
        if (ans[0] == '~') {
            for (const char *q = ans + 1; *q; q++) {
                if (send(fd, q, 1, MSG_NOSIGNAL) != 1)
                    break;
                usleep(50 * 1000);
            }
        } else if (send(fd, ans, strlen(ans), MSG_NOSIGNAL) < 0) {
            break;
        }
    }
    close(fd);
    return NULL;
}

static void fake_start(Fake *f, const char *const *script)
{
    f->script = script;
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(f->lfd >= 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(bind(f->lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(f->lfd, 4), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&a, &len), 0);
    f->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&f->th, NULL, fake_main, f), 0);
}

static void fake_stop(Fake *f)
{
    shutdown(f->lfd, SHUT_RDWR);
    pthread_join(f->th, NULL);
    close(f->lfd);
}

/* One get against a fake server: a miss, within `bound_ms`, with `errors`
 * errors, and the first error's text containing `want`. */
static void fake_case(const char *const *script, uint32_t timeout_ms, uint64_t bound_ms,
                      bool disabled, const char *want)
{
    Fake f;
    fake_start(&f, script);
    RemoteConfig cfg = tcp_config(f.port);
    cfg.timeout_ms = timeout_ms;
    cfg.max_value = 100;
    Remote *r;
    RemoteConn *c = client(&cfg, &r);
    CacheKey k = { 1, 1 };
    RemoteValue got;
    RemoteCounters cnt = { 0 };
    uint64_t t0 = ms_now();
    assert_int_equal(remote_get(c, &k, 1, &got, &cnt), 0);
    uint64_t took = ms_now() - t0;
    assert_null(got.data);
    assert_int_equal(cnt.misses, 1);
    assert_int_equal(cnt.errors, 1);
    assert_true(took <= bound_ms);
    assert_int_equal(remote_enabled(r), !disabled);
    char w[300];
    assert_true(remote_warning(r, w, sizeof w));
    if (!strstr(w, want))
        fail_msg("warning '%s' lacks '%s'", w, want);
    remote_conn_free(c);      /* closes the socket: the fake thread ends */
    remote_close(r);
    fake_stop(&f);
}

static void test_fake_junk_at_start(void **state)
{
    /* Another protocol on the port: disabled at once (never connected). */
    static const char *const http[] = { "HTTP/1.1 400 Bad Request\r\n\r\n", NULL };
    fake_case(http, 200, 1000, true, "unexpected reply");
    static const char *const ssh[] = { "SSH-2.0-OpenSSH_9.2\r\n", NULL };
    fake_case(ssh, 200, 1000, true, "unexpected reply");
    static const char *const err[] = { "-NOAUTH Authentication required.\r\n", NULL };
    fake_case(err, 200, 1000, true, "not a Redis server or refused: expected PONG, got NOAUTH");
}

static void test_fake_silent(void **state)
{
    /* Accepts and never answers: the PING times out after timeout_ms / 2. */
    static const char *const silent[] = { NULL };
    fake_case(silent, 200, 1000, true, "timed out");
}

static void test_fake_wrong_replies(void **state)
{
    /* PONG first: connected, so one wrong reply is one error, not disabled. */
    static const char *const integer[] = { "+PONG\r\n$-1\r\n", ":1\r\n:1\r\n", NULL };
    fake_case(integer, 200, 1000, false, "unexpected reply: wrong type for GET");
    static const char *const array[] = { "+PONG\r\n$-1\r\n", "*2\r\n$1\r\na\r\n$1\r\nb\r\n", NULL };
    fake_case(array, 200, 1000, false, "unexpected reply: unexpected array reply");
    static const char *const huge_array[] = { "+PONG\r\n$-1\r\n", "*2147483647\r\n", NULL };
    fake_case(huge_array, 200, 1000, false, "unexpected reply: unexpected array reply");
    /* max_value is 100 here: a larger value is refused once it has arrived,
     * or as soon as more than that is buffered. */
    static const char *const too_big[] = { "+PONG\r\n$-1\r\n", "$101\r\n"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
        ":1\r\n", NULL };
    fake_case(too_big, 200, 1000, false, "unexpected reply: value too large");
    static const char *const endless[] = { "+PONG\r\n$-1\r\n", "$99999999999\r\n"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        NULL };
    fake_case(endless, 200, 1000, false, "unexpected reply: value too large");
    static const char *const garbage[] = { "+PONG\r\n$-1\r\n", "hello world\r\n", NULL };
    fake_case(garbage, 200, 1000, false, "unexpected reply");
    static const char *const bad_len[] = { "+PONG\r\n$-1\r\n", "$-7\r\n", NULL };
    fake_case(bad_len, 200, 1000, false, "unexpected reply");
    /* A bulk that never completes: bounded by the per-request wait. */
    static const char *const partial[] = { "+PONG\r\n$-1\r\n", "$100\r\nabc", NULL };
    fake_case(partial, 200, 1000, false, "timed out");
    /* Trickled bytes: each arrives within the socket timeout, the reply as a
     * whole does not within its bound. */
    static const char *const trickle[] = { "+PONG\r\n$-1\r\n", "~$40\r\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", NULL };
    fake_case(trickle, 200, 1500, false, "timed out");
}

/* A server without GETEX: "ERR unknown command" to the probe, then GET and
 * EXPIRE (two replies a key); a hit, no error.  A probe answered with
 * something else entirely: not a Redis server. */
static void test_fake_no_getex(void **state)
{
    static const char *const old[] = {
        "+PONG\r\n-ERR unknown command 'GETEX', with args beginning with: 'coord:getex-probe'\r\n",
        "$3\r\nabc\r\n:1\r\n$-1\r\n:0\r\n", NULL };
    Fake f;
    fake_start(&f, old);
    RemoteConfig cfg = tcp_config(f.port);
    cfg.timeout_ms = 200;
    Remote *r;
    RemoteConn *c = client(&cfg, &r);
    CacheKey k[2] = { { 1, 1 }, { 2, 2 } };
    RemoteValue got[2];
    RemoteCounters cnt = { 0 };
    assert_int_equal(remote_get(c, k, 2, got, &cnt), 1);
    assert_int_equal(got[0].len, 3);
    assert_memory_equal(got[0].data, "abc", 3);
    assert_null(got[1].data);
    assert_int_equal(cnt.errors, 0);
    assert_int_equal(cnt.hits, 1);
    assert_int_equal(cnt.misses, 1);
    assert_int_equal(cnt.round_trips, 2);
    free_values(got, 2);
    remote_conn_free(c);
    remote_close(r);
    fake_stop(&f);

    static const char *const odd[] = { "+PONG\r\n:5\r\n", NULL };
    fake_case(odd, 200, 1000, true, "not a Redis server or refused: unexpected reply to GETEX");
}

/* Nothing listens: refused at once, disabled at once. */
static void test_unreachable_at_start(void **state)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);                         /* the port is now (very likely) free */
    RemoteConfig cfg = tcp_config(ntohs(a.sin_port));
    Remote *r;
    RemoteConn *c = client(&cfg, &r);
    CacheKey k = { 1, 1 };
    RemoteValue got;
    RemoteCounters cnt = { 0 };
    uint64_t t0 = ms_now();
    assert_int_equal(remote_get(c, &k, 1, &got, &cnt), 0);
    assert_true(ms_now() - t0 < 200);
    assert_false(remote_enabled(r));
    assert_int_equal(remote_errors(r), 1);
    char w[300];
    assert_true(remote_warning(r, w, sizeof w));
    assert_non_null(strstr(w, "cannot connect: Connection refused (1 error; not used for the rest of this run)"));
    /* Later requests cost nothing. */
    assert_int_equal(remote_put(c, &k, &(RemoteValue){ "a", 1 }, 1, &cnt), 0);
    assert_int_equal(remote_errors(r), 1);
    client_close(c, r);
}

/* ------------------------------------------------- faults of the server */

static int resume_server(void **state)
{
    kill(redis_pid, SIGCONT);
    return 0;
}

/* Paused (SIGSTOP) after connecting: every request ends within its bound,
 * errors are counted, and the remote is disabled after REMOTE_MAX_ERRORS;
 * a new connection is accepted by the kernel but PING times out too. */
static void test_server_paused(void **state)
{
    RemoteConfig cfg = tcp_config(redis_port);
    cfg.timeout_ms = 200;
    Remote *r;
    RemoteConn *c = client(&cfg, &r);
    CacheKey k = { 5, 5 };
    RemoteCounters cnt = { 0 };
    assert_int_equal(remote_put(c, &k, &(RemoteValue){ "v", 1 }, 1, &cnt), 1);
    assert_int_equal(kill(redis_pid, SIGSTOP), 0);
    uint64_t t0 = ms_now();
    RemoteValue got;
    for (int i = 0; i < 5; i++)
        assert_int_equal(remote_get(c, &k, 1, &got, &cnt), 0);
    uint64_t took = ms_now() - t0;
    assert_int_equal(remote_errors(r), REMOTE_MAX_ERRORS);
    assert_false(remote_enabled(r));
    assert_true(took < REMOTE_MAX_ERRORS * 100 + 400);
    assert_true(cnt.wait_ns >= (uint64_t)REMOTE_MAX_ERRORS * 100 * 1000000u);
    char w[300];
    assert_true(remote_warning(r, w, sizeof w));
    assert_non_null(strstr(w, "timed out (3 errors; not used for the rest of this run)"));
    assert_int_equal(kill(redis_pid, SIGCONT), 0);
    client_close(c, r);
}

/* Killed: the next write to the unix socket raises SIGPIPE (default
 * disposition here), which must not kill the process; reconnecting is
 * refused; then disabled. */
static void test_server_killed(void **state)
{
    RemoteConfig cfg = unix_config();
    Remote *r;
    RemoteConn *c = client(&cfg, &r);
    CacheKey k = { 6, 6 };
    RemoteCounters cnt = { 0 };
    assert_int_equal(remote_put(c, &k, &(RemoteValue){ "v", 1 }, 1, &cnt), 1);
    assert_int_equal(kill(redis_pid, SIGKILL), 0);
    usleep(200 * 1000);                /* the socket's peer is gone */
    uint64_t t0 = ms_now();
    size_t len = 1u << 20;
    char *buf = calloc(1, len);
    for (int i = 0; i < 4; i++)
        assert_int_equal(remote_put(c, &k, &(RemoteValue){ buf, len }, 1, &cnt), 0);
    assert_true(ms_now() - t0 < 1000);
    assert_int_equal(remote_errors(r), REMOTE_MAX_ERRORS);
    assert_false(remote_enabled(r));
    sigset_t pending;
    sigpending(&pending);
    assert_false(sigismember(&pending, SIGPIPE));
    free(buf);
    client_close(c, r);
}

int main(void)
{
    const char *port = getenv("REDIS_PORT"), *pid = getenv("REDIS_PID");
    redis_sock = getenv("REDIS_SOCK");
    if (!port || !pid || !redis_sock) {
        fprintf(stderr, "test_remote: run me through tests/remote/run.sh (it starts the server)\n");
        return 1;
    }
    redis_port = atoi(port);
    redis_pid = (pid_t)atoi(pid);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_url),
        cmocka_unit_test(test_key_name),
        cmocka_unit_test_setup(test_round_trip, setup_flush),
        cmocka_unit_test_setup(test_ttl_set_and_refreshed, setup_flush),
        cmocka_unit_test_setup(test_write_queue, setup_flush),
        cmocka_unit_test_setup_teardown(test_deferred_refusals, setup_flush, setup_flush),
        cmocka_unit_test_setup(test_namespaces, setup_flush),
        cmocka_unit_test_setup(test_readonly_writes_nothing, setup_flush),
        cmocka_unit_test_setup(test_select_db, setup_flush),
        cmocka_unit_test_setup(test_junk_under_valid_keys, setup_flush),
        cmocka_unit_test_setup_teardown(test_maxmemory, setup_flush, setup_flush),
        cmocka_unit_test_setup(test_entries, setup_flush),
        cmocka_unit_test_setup(test_entries_placed, setup_flush),
        cmocka_unit_test_setup(test_threads, setup_flush),
        cmocka_unit_test(test_fake_junk_at_start),
        cmocka_unit_test(test_fake_silent),
        cmocka_unit_test(test_fake_wrong_replies),
        cmocka_unit_test(test_fake_no_getex),
        cmocka_unit_test(test_unreachable_at_start),
        cmocka_unit_test_setup_teardown(test_server_paused, setup_flush, resume_server),
        cmocka_unit_test_setup(test_server_killed, setup_flush),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
