/* remote — the Redis client of the remote cache tier (see workers/remote.h).
 *
 * Invariants
 *   - A RemoteConn (its hiredis context, its reply objects) is touched by
 *     one thread at a time, whoever holds it (coordinator/cache.c moves it
 *     with tasks); the
 *     shared Remote holds the read-only configuration, set in
 *     remote_open before any thread sees it, and the run's health: `errors`,
 *     `disabled` and `connected_once` are atomics; the first failure's text
 *     is written once under `lock` and read under it; the regions (the
 *     current one first) are taken from and added under `region_lock`.
 *   - A RemoteConn's context is either NULL (not connected) or connected,
 *     with its reply reader in sync: every command written has its reply
 *     read before the call returns, except the writes a full queue sent
 *     (remote_put_queue): their value sizes wait in unacked[0..unacked_count)
 *     and their replies are read first by the next call on the connection
 *     (remote_get, remote_put, remote_flush, or the next full queue, which
 *     so never has more than one batch unanswered); dropping the context
 *     forgets them (they count as unwritten, like a failed batch).  Any failure that could leave a reply
 *     unread or half read frees the context (the next call reconnects while
 *     the Remote is enabled).  An error *reply* (-ERR ...) keeps the stream
 *     in sync, so the context stays.
 *   - A RemoteConn's write queue (queue[0..queued)) owns its buffers
 *     until they are sent: every request on the connection (remote_get,
 *     remote_flush) sends the queue first in the same pipeline and empties
 *     it, written or counted as failed; remote_conn_free drops what is
 *     left, queued or unanswered (its owner flushes first).  remote_put leaves the queue alone.
 *   - getex is decided once per connection, by the probe pipelined with the
 *     connect's PING.
 *   - Replies are built by our own reader functions (reply_fns): strings
 *     land in a mem_alloc'd buffer that becomes the caller's RemoteValue
 *     (no copy), or, while remote_get_entries asks (c->place), in the
 *     Remote's current region (Reply.placed: never freed but by
 *     remote_close, which frees every region on the Remote's list); arrays
 *     are refused outright (no command here answers with one), as is a
 *     string over max_value, so a hostile server cannot make the reader
 *     allocate on its say-so.
 *   - Time: the connect is bounded by timeout_ms; then SO_RCVTIMEO and
 *     SO_SNDTIMEO bound each socket wait by io_ms = timeout_ms / 2; reading
 *     one reply is also bounded by io_ms + 1 ms per KiB buffered, and its
 *     unparsed bytes by max_value + a header's worth.
 *   - wait_ns counts wall time inside connect, write and read only.
 */
#include "workers/remote.h"

#include "base/mem.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>

#define GETEX_PROBE_KEY "coord:getex-probe"

/* A region of fetched entries (see "Placing fetched entries" in remote.h):
 * this header, then the values, bump-allocated 8-byte aligned. */
typedef struct Region {
    struct Region *next;            /* the Remote's list */
    size_t size, used;              /* bytes after the header */
} Region;

#define REGION_HEADER ((sizeof(Region) + 7u) & ~(size_t)7u)
#define HUGE_PAGE ((uintptr_t)2 << 20)

struct Remote {
    RemoteConfig cfg;
    uint32_t io_ms;
    char ttl[16];                       /* ttl_s in decimal, for EXPIRE and SET EX */
    char url[REMOTE_ADDR_MAX + 32];     /* for messages */
    atomic_uint errors;
    atomic_bool disabled;
    atomic_bool connected_once;
    pthread_mutex_t lock;
    bool have_error;
    char first_error[200];
    pthread_mutex_t region_lock;
    Region *regions;                    /* the current region first (region_lock) */
};

typedef struct Reply {
    int type;                           /* REDIS_REPLY_* */
    long long integer;
    char *str;                          /* STRING, STATUS, ERROR: mem_alloc'd, or in
                                         * a region when placed */
    size_t len;
    bool placed;                        /* str is in a region: not freed */
} Reply;

/* One write: a key and the bytes to store under it. */
typedef struct PutItem {
    CacheKey key;
    RemoteValue v;
} PutItem;

struct RemoteConn {
    Remote *r;
    redisContext *ctx;
    const char *refused;                /* why a reply object was refused */
    bool getex;                         /* the server knows GETEX (probed at connect) */
    bool place;                         /* string replies go to regions (remote_get_entries) */
    /* Writes queued by remote_put_queue (their buffers are owned here),
     * sent with the next request on this connection or by remote_flush. */
    PutItem queue[REMOTE_WRITE_BATCH];
    uint32_t queued;
    uint64_t queued_bytes;
    /* Writes sent by remote_put_queue whose replies are not read yet (the
     * sizes of their values): read first by the next call on this
     * connection. */
    uint64_t unacked[REMOTE_WRITE_BATCH];
    uint32_t unacked_count;
};

/* ---------------------------------------------------------------- helpers */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct timeval ms_tv(uint32_t ms)
{
    struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000 };
    return tv;
}

static void set_err(char *err, size_t errlen, const char *msg, const char *url)
{
    if (err && errlen)
        snprintf(err, errlen, "%s: '%s'", msg, url);
}

/* ------------------------------------------------------------------- URLs */

static int parse_uint(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    if (n == 0 || n > 10)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

int remote_parse_url(const char *url, RemoteConfig *cfg, char *err, size_t errlen)
{
    static const char redis[] = "redis://", unix_[] = "unix://";
    if (strchr(url, '?') || strchr(url, '#')) {
        set_err(err, errlen, "not supported yet: a query in the remote cache URL", url);
        return -1;
    }
    if (strncmp(url, unix_, sizeof unix_ - 1) == 0) {
        const char *path = url + sizeof unix_ - 1;
        size_t n = strlen(path);
        if (path[0] != '/' || n < 2) {
            set_err(err, errlen, "remote cache URL: unix:// needs an absolute socket path", url);
            return -1;
        }
        if (n >= 108) {     /* sun_path */
            set_err(err, errlen, "remote cache URL: socket path too long", url);
            return -1;
        }
        cfg->unix_socket = true;
        memcpy(cfg->addr, path, n + 1);
        cfg->port = 0;
        cfg->db = 0;
        return 0;
    }
    if (strncmp(url, "rediss://", 9) == 0) {
        set_err(err, errlen, "not supported yet: TLS (rediss://) for the remote cache", url);
        return -1;
    }
    if (strncmp(url, redis, sizeof redis - 1) != 0) {
        set_err(err, errlen, "remote cache URL must start with redis:// or unix://", url);
        return -1;
    }
    const char *p = url + sizeof redis - 1;
    const char *slash = strchr(p, '/');
    const char *end = slash ? slash : p + strlen(p);
    if (memchr(p, '@', (size_t)(end - p))) {
        set_err(err, errlen, "not supported yet: a user or password in the remote cache URL", url);
        return -1;
    }
    const char *host = p, *host_end, *colon = NULL;
    if (*p == '[') {                    /* [IPv6] */
        host = p + 1;
        host_end = memchr(host, ']', (size_t)(end - host));
        if (!host_end || (host_end + 1 != end && host_end[1] != ':')) {
            set_err(err, errlen, "remote cache URL: bad [IPv6] host", url);
            return -1;
        }
        if (host_end + 1 != end)
            colon = host_end + 1;
    } else {
        colon = memchr(p, ':', (size_t)(end - p));
        host_end = colon ? colon : end;
    }
    size_t hn = (size_t)(host_end - host);
    if (hn == 0 || hn >= REMOTE_ADDR_MAX) {
        set_err(err, errlen, hn ? "remote cache URL: host name too long"
                                : "remote cache URL: no host", url);
        return -1;
    }
    uint64_t port = REMOTE_DEFAULT_PORT, db = 0;
    if (colon && parse_uint(colon + 1, (size_t)(end - colon - 1), 65535, &port) != 0) {
        set_err(err, errlen, "remote cache URL: bad port", url);
        return -1;
    }
    if (port == 0) {
        set_err(err, errlen, "remote cache URL: bad port", url);
        return -1;
    }
    if (slash && slash[1] && parse_uint(slash + 1, strlen(slash + 1), INT_MAX, &db) != 0) {
        set_err(err, errlen, "remote cache URL: bad database number", url);
        return -1;
    }
    cfg->unix_socket = false;
    memcpy(cfg->addr, host, hn);
    cfg->addr[hn] = '\0';
    cfg->port = (uint16_t)port;
    cfg->db = (uint32_t)db;
    return 0;
}

/* ----------------------------------------------------------------- Remote */

Remote *remote_open(const RemoteConfig *cfg)
{
    Remote *r = mem_calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->cfg = *cfg;
    if (r->cfg.timeout_ms == 0)
        r->cfg.timeout_ms = REMOTE_DEFAULT_TIMEOUT_MS;
    if (r->cfg.ttl_s == 0)
        r->cfg.ttl_s = REMOTE_DEFAULT_TTL_S;
    if (r->cfg.max_value == 0)
        r->cfg.max_value = REMOTE_MAX_VALUE;
    r->io_ms = r->cfg.timeout_ms / 2 ? r->cfg.timeout_ms / 2 : 1;
    snprintf(r->ttl, sizeof r->ttl, "%" PRIu32, r->cfg.ttl_s);
    if (r->cfg.unix_socket)
        snprintf(r->url, sizeof r->url, "unix://%s", r->cfg.addr);
    else
        snprintf(r->url, sizeof r->url, strchr(r->cfg.addr, ':') ? "redis://[%s]:%u/%u"
                                                                   : "redis://%s:%u/%u",
                 r->cfg.addr, (unsigned)r->cfg.port, (unsigned)r->cfg.db);
    atomic_init(&r->errors, 0);
    atomic_init(&r->disabled, false);
    atomic_init(&r->connected_once, false);
    pthread_mutex_init(&r->lock, NULL);
    pthread_mutex_init(&r->region_lock, NULL);
    return r;
}

void remote_close(Remote *r)
{
    if (!r)
        return;
    for (Region *g = r->regions, *next; g; g = next) {
        next = g->next;
        mem_free(g);
    }
    pthread_mutex_destroy(&r->region_lock);
    pthread_mutex_destroy(&r->lock);
    mem_free(r);
}

bool remote_enabled(const Remote *r)
{
    return !atomic_load(&((Remote *)r)->disabled);
}

uint32_t remote_errors(const Remote *r)
{
    return atomic_load(&((Remote *)r)->errors);
}

bool remote_warning(const Remote *r, char *buf, size_t len)
{
    Remote *m = (Remote *)r;
    pthread_mutex_lock(&m->lock);
    bool have = m->have_error;
    if (have) {
        uint32_t n = atomic_load(&m->errors);
        snprintf(buf, len, "%s: %s (%" PRIu32 " error%s%s)", m->url, m->first_error, n,
                 n == 1 ? "" : "s",
                 atomic_load(&m->disabled) ? "; not used for the rest of this run" : "");
    }
    pthread_mutex_unlock(&m->lock);
    return have;
}

void remote_key_name(const Remote *r, CacheKey k, char *buf)
{
    snprintf(buf, REMOTE_KEY_LEN + 1, "coord:%08" PRIx32 ":%016" PRIx64 ":%016" PRIx64 "%016" PRIx64,
             (uint32_t)CACHE_FORMAT_VERSION, r->cfg.build_id, k.hi, k.lo);
}

/* One failure: counted, its text kept when it is the first, and the remote
 * disabled at once (never connected) or after REMOTE_MAX_ERRORS. */
static void remote_fail(Remote *r, RemoteCounters *cnt, bool at_connect, const char *what,
                        const char *detail)
{
    cnt->errors++;
    uint32_t n = atomic_fetch_add(&r->errors, 1) + 1;
    pthread_mutex_lock(&r->lock);
    if (!r->have_error) {
        r->have_error = true;
        snprintf(r->first_error, sizeof r->first_error, "%s%s%s", what,
                 detail && *detail ? ": " : "", detail ? detail : "");
    }
    pthread_mutex_unlock(&r->lock);
    if (n >= REMOTE_MAX_ERRORS || (at_connect && !atomic_load(&r->connected_once)))
        atomic_store(&r->disabled, true);
}

/* ---------------------------------------------------------- reply objects */

static void *reply_new(const redisReadTask *t, int type)
{
    RemoteConn *c = t->privdata;
    Reply *rep = mem_calloc(1, sizeof *rep);
    if (!rep)
        c->refused = "out of memory";
    else
        rep->type = type;
    return rep;
}

/* n bytes (8-byte aligned) of the Remote's current region, or of a new
 * one; NULL when n is more than a quarter of a region (such a value gets a
 * buffer of its own) or there is no memory for a region.  One current
 * region for all connections (a lock per value), so a run touches about
 * what it fetched, not a part-filled region per connection.  A new region
 * asks for huge pages on its 2 MiB-aligned part (madvise; only a hint:
 * where transparent huge pages are off, it changes nothing), so the
 * megabytes of entries a warm build fetches fault in a few pages, not one
 * fault per 4 KiB. */
static void *region_alloc(Remote *r, size_t n)
{
    n = (n + 7u) & ~(size_t)7u;
    if (n > REMOTE_REGION_BYTES / 4)
        return NULL;
    pthread_mutex_lock(&r->region_lock);
    Region *g = r->regions;
    if (!g || g->size - g->used < n) {
        g = mem_alloc(REMOTE_REGION_BYTES);
        if (!g) {
            pthread_mutex_unlock(&r->region_lock);
            return NULL;
        }
        g->size = REMOTE_REGION_BYTES - REGION_HEADER;
        g->used = 0;
#ifdef MADV_HUGEPAGE
        uintptr_t lo = ((uintptr_t)g + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
        uintptr_t hi = ((uintptr_t)g + REMOTE_REGION_BYTES) & ~(HUGE_PAGE - 1);
        if (hi > lo)
            madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#endif
        g->next = r->regions;
        r->regions = g;
    }
    void *p = (char *)g + REGION_HEADER + g->used;
    g->used += n;
    pthread_mutex_unlock(&r->region_lock);
    return p;
}

static void *reply_string(const redisReadTask *t, char *s, size_t len)
{
    RemoteConn *c = t->privdata;
    if (len > c->r->cfg.max_value) {
        c->refused = "value too large";
        return NULL;
    }
    Reply *rep = reply_new(t, t->type);
    if (!rep)
        return NULL;
    if (c->place && t->type == REDIS_REPLY_STRING)
        rep->str = region_alloc(c->r, len + 1);
    rep->placed = rep->str != NULL;
    if (!rep->str)
        rep->str = mem_alloc(len + 1);
    if (!rep->str) {
        mem_free(rep);
        c->refused = "out of memory";
        return NULL;
    }
    memcpy(rep->str, s, len);
    rep->str[len] = '\0';
    rep->len = len;
    return rep;
}

static void *reply_array(const redisReadTask *t, int elements)
{
    ((RemoteConn *)t->privdata)->refused = "unexpected array reply";
    return NULL;
}

static void *reply_integer(const redisReadTask *t, long long v)
{
    Reply *rep = reply_new(t, REDIS_REPLY_INTEGER);
    if (rep)
        rep->integer = v;
    return rep;
}

static void *reply_nil(const redisReadTask *t)
{
    return reply_new(t, REDIS_REPLY_NIL);
}

static void reply_free(void *p)
{
    Reply *rep = p;
    if (!rep)
        return;
    if (!rep->placed)
        mem_free(rep->str);
    mem_free(rep);
}

static redisReplyObjectFunctions reply_fns = {
    reply_string, reply_array, reply_integer, reply_nil, reply_free,
};

/* ------------------------------------------------------------ connections */

RemoteConn *remote_conn_new(Remote *r)
{
    RemoteConn *c = mem_calloc(1, sizeof *c);
    if (c)
        c->r = r;
    return c;
}

static void conn_drop(RemoteConn *c)
{
    if (c->ctx) {
        redisFree(c->ctx);
        c->ctx = NULL;
    }
    c->unacked_count = 0;       /* their replies are lost with the stream */
}

static void queue_clear(RemoteConn *c)
{
    for (uint32_t i = 0; i < c->queued; i++)
        mem_free(c->queue[i].v.data);
    c->queued = 0;
    c->queued_bytes = 0;
}

void remote_conn_free(RemoteConn *c)
{
    if (!c)
        return;
    queue_clear(c);
    conn_drop(c);
    mem_free(c);
}

uint32_t remote_queued(const RemoteConn *c)
{
    return c->queued;
}

/* A failure that may have left the stream out of sync: drop the context
 * (detail may point into it). */
static void conn_fail(RemoteConn *c, RemoteCounters *cnt, bool at_connect, const char *what,
                      const char *detail)
{
    char copy[128];
    snprintf(copy, sizeof copy, "%s", detail ? detail : "");
    conn_drop(c);
    remote_fail(c->r, cnt, at_connect, what, copy);
}

static const char *io_detail(const redisContext *ctx)
{
    if (ctx->err == REDIS_ERR_EOF)
        return "connection closed by the server";
    if (strstr(ctx->errstr, "temporarily unavailable") || strstr(ctx->errstr, "timed out") ||
        strstr(ctx->errstr, "in progress"))
        return "timed out";
    return ctx->errstr[0] ? ctx->errstr : "I/O error";
}

/* Writes everything appended to the context.  SIGPIPE is blocked on this
 * thread meanwhile; one that the write raised is discarded (one that was
 * pending before is left pending). */
static int conn_flush(RemoteConn *c, RemoteCounters *cnt, bool at_connect)
{
    sigset_t pipe_set, old, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE);
    int done = 0, rc = 0;
    while (!done) {
        if (redisBufferWrite(c->ctx, &done) != REDIS_OK) {
            rc = -1;
            break;
        }
    }
    if (!was_pending) {
        sigpending(&pending);
        if (sigismember(&pending, SIGPIPE)) {
            struct timespec zero = { 0, 0 };
            sigtimedwait(&pipe_set, NULL, &zero);
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        conn_fail(c, cnt, at_connect, "cannot write", io_detail(c->ctx));
    return rc;
}

/* Reads one reply (NULL and -1 after a failure, which dropped the context). */
static int conn_read(RemoteConn *c, RemoteCounters *cnt, bool at_connect, Reply **out)
{
    redisContext *ctx = c->ctx;
    uint64_t start = now_ns();
    *out = NULL;
    for (;;) {
        void *rep = NULL;
        c->refused = NULL;
        if (redisGetReplyFromReader(ctx, &rep) != REDIS_OK) {
            const char *why = c->refused ? c->refused : ctx->errstr;
            conn_fail(c, cnt, at_connect, "unexpected reply", why);
            return -1;
        }
        if (rep) {
            *out = rep;
            return 0;
        }
        size_t buffered = ctx->reader->len - ctx->reader->pos;
        if (buffered > c->r->cfg.max_value + 64) {
            conn_fail(c, cnt, at_connect, "unexpected reply", "value too large");
            return -1;
        }
        uint64_t allowed_ms = c->r->io_ms + buffered / 1024;
        if (now_ns() - start > allowed_ms * 1000000u) {
            conn_fail(c, cnt, at_connect, "reply", "timed out");
            return -1;
        }
        if (redisBufferRead(ctx) != REDIS_OK) {
            conn_fail(c, cnt, at_connect, "reply", io_detail(ctx));
            return -1;
        }
    }
}

/* Expects +OK (after SELECT) or +PONG. */
static int expect_status(RemoteConn *c, RemoteCounters *cnt, const char *want)
{
    Reply *rep;
    if (conn_read(c, cnt, true, &rep) != 0)
        return -1;
    int ok = rep->type == REDIS_REPLY_STATUS && strcmp(rep->str, want) == 0;
    char detail[96];
    if (!ok)
        snprintf(detail, sizeof detail, "expected %s, got %.60s", want,
                 rep->type == REDIS_REPLY_ERROR || rep->type == REDIS_REPLY_STATUS ? rep->str
                                                                                  : "another reply");
    reply_free(rep);
    if (!ok) {
        conn_fail(c, cnt, true, "not a Redis server or refused", detail);
        return -1;
    }
    return 0;
}

/* Connects when not connected: TCP or unix socket within timeout_ms, socket
 * waits bounded by io_ms, our reply reader, SELECT db, PING. */
static int conn_ensure(RemoteConn *c, RemoteCounters *cnt)
{
    if (c->ctx)
        return 0;
    Remote *r = c->r;
    struct timeval tv = ms_tv(r->cfg.timeout_ms);
    c->ctx = r->cfg.unix_socket ? redisConnectUnixWithTimeout(r->cfg.addr, tv)
                                : redisConnectWithTimeout(r->cfg.addr, r->cfg.port, tv);
    if (!c->ctx) {
        remote_fail(r, cnt, true, "cannot connect", "out of memory");
        return -1;
    }
    if (c->ctx->err) {
        conn_fail(c, cnt, true, "cannot connect", io_detail(c->ctx));
        return -1;
    }
    if (redisSetTimeout(c->ctx, ms_tv(r->io_ms)) != REDIS_OK) {
        conn_fail(c, cnt, true, "cannot connect", c->ctx->errstr);
        return -1;
    }
    c->ctx->reader->fn = &reply_fns;
    c->ctx->reader->privdata = c;
    if (r->cfg.db) {
        char db[16];
        snprintf(db, sizeof db, "%" PRIu32, r->cfg.db);
        redisAppendCommand(c->ctx, "SELECT %s", db);
    }
    redisAppendCommand(c->ctx, "PING");
    /* GETEX (Redis 6.2) reads a key and renews its TTL in one command; on
     * a key that does not exist and without options it changes nothing. */
    redisAppendCommand(c->ctx, "GETEX %s", GETEX_PROBE_KEY);
    cnt->round_trips++;
    if (conn_flush(c, cnt, true) != 0)
        return -1;
    if (r->cfg.db && expect_status(c, cnt, "OK") != 0)
        return -1;
    if (expect_status(c, cnt, "PONG") != 0)
        return -1;
    Reply *rep;
    if (conn_read(c, cnt, true, &rep) != 0)
        return -1;
    int type = rep->type;
    bool unknown = type == REDIS_REPLY_ERROR && strncmp(rep->str, "ERR unknown command", 19) == 0;
    reply_free(rep);
    if (type != REDIS_REPLY_NIL && type != REDIS_REPLY_STRING && type != REDIS_REPLY_ERROR) {
        conn_fail(c, cnt, true, "not a Redis server or refused", "unexpected reply to GETEX");
        return -1;
    }
    c->getex = !unknown;        /* else GET and EXPIRE, two commands a key */
    atomic_store(&r->connected_once, true);
    return 0;
}

/* --------------------------------------------------------------- requests */

/* Appends one command with binary-safe arguments. */
static void append(RemoteConn *c, int argc, const char **argv, const size_t *lens)
{
    redisAppendCommandArgv(c->ctx, argc, argv, lens);
}

/* One round trip: the writes puts[0..np) (SET with EX; none when
 * read-only), then the reads gets[0..ng) (GETEX with EX, or GET and
 * EXPIRE), pipelined: one write of every command, then every reply in
 * order.  out[i] is the value of gets[i] or NULL; *written counts the
 * writes acknowledged.  Returns the hit count. */
/* Reads the replies of the writes sent without waiting (c->unacked), in
 * order; 0, or -1 after a failure that dropped the connection. */
static int acks_read(RemoteConn *c, RemoteCounters *cnt)
{
    for (uint32_t i = 0; i < c->unacked_count; i++) {
        Reply *rep;
        if (conn_read(c, cnt, false, &rep) != 0)
            return -1;
        if (rep->type == REDIS_REPLY_STATUS && strcmp(rep->str, "OK") == 0) {
            cnt->written++;
            cnt->bytes_written += c->unacked[i];
        } else if (rep->type == REDIS_REPLY_ERROR) {    /* e.g. OOM: full */
            remote_fail(c->r, cnt, false, "SET refused", rep->str);
        } else {
            reply_free(rep);
            conn_fail(c, cnt, false, "unexpected reply", "wrong type for SET");
            return -1;
        }
        reply_free(rep);
    }
    c->unacked_count = 0;
    return 0;
}

static uint32_t exchange(RemoteConn *c, const PutItem *puts, uint32_t np, const CacheKey *gets,
                         uint32_t ng, RemoteValue *out, bool *placed, RemoteCounters *cnt,
                         uint32_t *written, bool defer)
{
    Remote *r = c->r;
    *written = 0;
    for (uint32_t i = 0; i < ng; i++)
        out[i] = (RemoteValue){ NULL, 0 };
    if (r->cfg.readonly)
        np = 0;
    uint32_t sent = 0;
    for (uint32_t i = 0; i < np; i++)
        sent += puts[i].v.len <= r->cfg.max_value;   /* the server would refuse the others */
    if (!remote_enabled(r) && c->unacked_count) {
        conn_drop(c);           /* disabled meanwhile: not read any more */
    }
    if ((sent + ng == 0 && c->unacked_count == 0) || !remote_enabled(r)) {
        cnt->misses += ng;
        return 0;
    }
    uint64_t t0 = now_ns();
    uint32_t hits = 0, answered = 0;
    if (conn_ensure(c, cnt) != 0)
        goto done;
    if (c->unacked_count && acks_read(c, cnt) != 0)
        goto done;
    if (sent + ng == 0)
        goto done;
    for (uint32_t i = 0; i < np; i++) {
        if (puts[i].v.len > r->cfg.max_value)
            continue;
        char key[REMOTE_KEY_LEN + 1];
        remote_key_name(r, puts[i].key, key);
        const char *set[5] = { "SET", key, puts[i].v.data, "EX", r->ttl };
        size_t set_len[5] = { 3, REMOTE_KEY_LEN, (size_t)puts[i].v.len, 2, strlen(r->ttl) };
        append(c, 5, set, set_len);
    }
    bool getex = c->getex;
    for (uint32_t i = 0; i < ng; i++) {
        char key[REMOTE_KEY_LEN + 1];
        remote_key_name(r, gets[i], key);
        if (getex) {            /* the value, and its TTL renewed */
            const char *cmd[4] = { "GETEX", key, "EX", r->ttl };
            size_t len[4] = { 5, REMOTE_KEY_LEN, 2, strlen(r->ttl) };
            append(c, 4, cmd, len);
        } else {                /* EXPIRE renews a hit's TTL (a miss: 0, no-op) */
            const char *get[2] = { "GET", key };
            size_t get_len[2] = { 3, REMOTE_KEY_LEN };
            const char *exp[3] = { "EXPIRE", key, r->ttl };
            size_t exp_len[3] = { 6, REMOTE_KEY_LEN, strlen(r->ttl) };
            append(c, 2, get, get_len);
            append(c, 3, exp, exp_len);
        }
    }
    cnt->round_trips++;
    if (conn_flush(c, cnt, false) != 0)
        goto done;
    if (defer && ng == 0) {     /* their replies are read by the next call */
        for (uint32_t i = 0; i < np; i++)
            if (puts[i].v.len <= r->cfg.max_value)
                c->unacked[c->unacked_count++] = puts[i].v.len;
        goto done;
    }
    for (uint32_t i = 0; i < np; i++) {
        if (puts[i].v.len > r->cfg.max_value)
            continue;
        Reply *rep;
        if (conn_read(c, cnt, false, &rep) != 0)
            goto done;
        if (rep->type == REDIS_REPLY_STATUS && strcmp(rep->str, "OK") == 0) {
            (*written)++;
            cnt->written++;
            cnt->bytes_written += puts[i].v.len;
        } else if (rep->type == REDIS_REPLY_ERROR) {    /* e.g. OOM: full */
            remote_fail(r, cnt, false, "SET refused", rep->str);
        } else {
            reply_free(rep);
            conn_fail(c, cnt, false, "unexpected reply", "wrong type for SET");
            goto done;
        }
        reply_free(rep);
    }
    for (; answered < ng; answered++) {
        Reply *g, *e = NULL;
        if (conn_read(c, cnt, false, &g) != 0)
            break;
        if (!getex && conn_read(c, cnt, false, &e) != 0) {
            reply_free(g);
            break;
        }
        int gt = g->type, et = e ? e->type : REDIS_REPLY_INTEGER;
        bool in_sync = (gt == REDIS_REPLY_STRING || gt == REDIS_REPLY_NIL ||
                        gt == REDIS_REPLY_ERROR) &&
                       (et == REDIS_REPLY_INTEGER || et == REDIS_REPLY_ERROR);
        if (!in_sync) {
            reply_free(g);
            reply_free(e);
            conn_fail(c, cnt, false, "unexpected reply", "wrong type for GET");
            break;
        }
        if (gt == REDIS_REPLY_ERROR) {          /* e.g. WRONGTYPE: a miss */
            remote_fail(r, cnt, false, "GET refused", g->str);
            cnt->misses++;
        } else if (gt == REDIS_REPLY_NIL) {
            cnt->misses++;
        } else {
            out[answered] = (RemoteValue){ g->str, g->len };
            if (placed)
                placed[answered] = g->placed;
            g->str = NULL;
            cnt->hits++;
            cnt->bytes_read += out[answered].len;
            hits++;
        }
        reply_free(g);
        reply_free(e);
    }
done:
    cnt->misses += ng - answered;
    cnt->wait_ns += now_ns() - t0;
    return hits;
}

uint32_t remote_get(RemoteConn *c, const CacheKey *keys, uint32_t n, RemoteValue *out,
                    RemoteCounters *cnt)
{
    uint32_t written;
    uint32_t hits = exchange(c, c->queue, c->queued, keys, n, out, NULL, cnt, &written, false);
    queue_clear(c);             /* sent with the reads, or counted as failed */
    return hits;
}

uint32_t remote_put(RemoteConn *c, const CacheKey *keys, const RemoteValue *vals, uint32_t n,
                    RemoteCounters *cnt)
{
    if (n == 0)
        return 0;
    PutItem *items = mem_alloc(n * sizeof *items);
    if (!items) {
        remote_fail(c->r, cnt, false, "cannot write", "out of memory");
        return 0;
    }
    for (uint32_t i = 0; i < n; i++)
        items[i] = (PutItem){ keys[i], vals[i] };
    uint32_t written;
    exchange(c, items, n, NULL, 0, NULL, NULL, cnt, &written, false);
    mem_free(items);
    return written;
}

void remote_flush(RemoteConn *c, RemoteCounters *cnt)
{
    if (c->queued == 0 && c->unacked_count == 0)
        return;
    uint32_t written;
    exchange(c, c->queue, c->queued, NULL, 0, NULL, NULL, cnt, &written, false);
    queue_clear(c);
}

void remote_put_queue(RemoteConn *c, CacheKey key, void *data, uint64_t len, RemoteCounters *cnt)
{
    Remote *r = c->r;
    if (r->cfg.readonly || !remote_enabled(r)) {
        mem_free(data);
        return;
    }
    c->queue[c->queued++] = (PutItem){ key, { data, len } };
    c->queued_bytes += len;
    if (c->queued == REMOTE_WRITE_BATCH || c->queued_bytes >= REMOTE_WRITE_BYTES) {
        uint32_t written;       /* sent; the replies are read by the next call */
        exchange(c, c->queue, c->queued, NULL, 0, NULL, NULL, cnt, &written, true);
        queue_clear(c);
    }
}

/* ------------------------------------------------------------ entries */

/* Batches of this many keys keep the RemoteValue arrays on the stack. */
#define ENTRY_BATCH REMOTE_GET_BATCH

uint32_t remote_get_entries(RemoteConn *c, const CacheKey *keys, uint32_t n, CacheEntry *out,
                            RemoteCounters *cnt)
{
    uint32_t usable = 0;
    for (uint32_t base = 0; base < n; base += ENTRY_BATCH) {
        uint32_t m = n - base < ENTRY_BATCH ? n - base : ENTRY_BATCH;
        RemoteValue v[ENTRY_BATCH];
        bool placed[ENTRY_BATCH] = { false };
        uint32_t written;
        c->place = true;            /* as remote_get, the values in regions */
        exchange(c, c->queue, c->queued, keys + base, m, v, placed, cnt, &written, false);
        c->place = false;
        queue_clear(c);
        for (uint32_t i = 0; i < m; i++) {
            CacheEntry *e = &out[base + i];
            if (!v[i].data) {
                memset(e, 0, sizeof *e);
                continue;
            }
            if (cache_entry_adopt(c->r->cfg.build_id, keys[base + i], v[i].data,
                                  (size_t)v[i].len, e, NULL) == 0) {
                e->heap = !placed[i];     /* a region's bytes stay until remote_close */
                usable++;
                continue;
            }
            if (!placed[i])
                mem_free(v[i].data);
            cnt->hits--;
            cnt->misses++;
            cnt->corrupt++;
            char key[REMOTE_KEY_LEN + 1], detail[REMOTE_KEY_LEN + 32];
            remote_key_name(c->r, keys[base + i], key);
            snprintf(detail, sizeof detail, "failed validation (key %s)", key);
            remote_fail(c->r, cnt, false, "invalid entry", detail);
        }
    }
    return usable;
}

uint32_t remote_put_entries(RemoteConn *c, const CacheKey *keys, const CacheEntry *entries,
                            uint32_t n, RemoteCounters *cnt)
{
    uint32_t written = 0;
    for (uint32_t base = 0; base < n; base += ENTRY_BATCH) {
        uint32_t m = n - base < ENTRY_BATCH ? n - base : ENTRY_BATCH;
        RemoteValue v[ENTRY_BATCH];
        for (uint32_t i = 0; i < m; i++)
            v[i] = (RemoteValue){ entries[base + i].map, entries[base + i].map_len };
        written += remote_put(c, keys + base, v, m, cnt);
    }
    return written;
}
