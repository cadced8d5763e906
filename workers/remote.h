/* remote — the client of the remote cache tier (DESIGN.md section 7) on a
 * Redis server, through hiredis.  Values are opaque bytes here: one key holds
 * one whole cache entry, which the caller validates exactly like a local one
 * (a remote is never trusted).
 *
 * Threads and connections.  A Remote is shared by every thread of a run; a
 * RemoteConn is one connection used by one thread at a time, never
 * concurrently, because hiredis contexts are not thread-safe (coord hands
 * idle ones to tasks and gets them back with the results: the channel's
 * release/acquire orders the uses).
 * See the top of remote.c for the invariants.
 *
 * Batching.  remote_get and remote_put take n keys and pipeline the n
 * requests: one write, then the n replies are read.  A batch costs one round
 * trip (plus bandwidth), so a warm build fetching its modules in batches of
 * k costs about modules/k round trips per connection, not one per module
 * (coord's load tasks ask for up to LOAD_BATCH_MAX modules at once).  A
 * read is GETEX with EX, which renews the TTL in the same command; a server
 * without GETEX (before Redis 6.2: "ERR unknown command" to the probe sent
 * with PING on connect) gets GET and EXPIRE, two commands a key, still in
 * the same round trip.  Writes of computed results are queued on the
 * connection (remote_put_queue) and go out with its next read, or in a
 * batch of their own once REMOTE_WRITE_BATCH entries or REMOTE_WRITE_BYTES
 * are queued, or when the owner calls remote_flush (coord does at the end
 * of the run).  A batch sent because the queue was full is not waited for:
 * the thread goes back to its task while the server stores the values, and
 * the replies are read (written and errors counted) by the next call on the
 * connection, remote_flush included.  RemoteCounters.round_trips counts the exchanges (one per
 * pipeline, one per connect handshake).
 *
 * Failures.  Every failure (cannot connect, I/O error, timeout, a reply that
 * is not what was asked, a value larger than max_value, an error reply
 * such as OOM under maxmemory or WRONGTYPE) is counted in the Remote and in
 * the caller's counters, turns the batch's unanswered keys into misses
 * (get) or unwritten keys (put), and is never a crash or a hang.  The first
 * failure's text is kept for one warning that the caller prints
 * (remote_warning).  A connection that never succeeded on a fresh Remote (the
 * server is unreachable at start-up) disables the Remote at once; otherwise
 * REMOTE_MAX_ERRORS failures disable it for the rest of the run.  A disabled
 * Remote answers every get with misses and every put with nothing written,
 * without touching the network.
 *
 * Time bounds.  Connecting takes at most timeout_ms; each later wait for the
 * socket (one read or write) at most timeout_ms / 2 (at least 1 ms); a
 * reply must also complete within that bound plus 1 ms per KiB it holds, so
 * a server that trickles bytes cannot hold a worker for long.
 *
 * Placing fetched entries.  remote_get_entries (not remote_get) places each
 * value of up to REMOTE_REGION_BYTES / 4 in a region: a block of
 * REMOTE_REGION_BYTES, bump-allocated under a lock, one current region for
 * all the Remote's connections, with madvise(MADV_HUGEPAGE) on its 2
 * MiB-aligned part.  A warm build fetches tens of megabytes that stay in
 * memory for the whole session (the coordinator reads the entries in
 * place); one malloc'd buffer each cost a page fault per 4 KiB and a
 * heap-growing mprotect per few values, a third of machine B's CPU time.
 * The regions belong to the Remote: an entry placed there is not a heap
 * entry (cache_entry_release frees nothing), it stays valid after its
 * connection is freed, and remote_close frees every region, so the Remote
 * is closed only once no placed entry is read any more (coord closes it at
 * the end of the session, with the local store).  A value that failed
 * validation keeps its place until then too.
 *
 * SIGPIPE.  hiredis writes with write(2), which raises SIGPIPE when the peer
 * went away.  remote.c blocks SIGPIPE on the writing thread around its
 * writes and discards a SIGPIPE that those writes raised, so the process is
 * never killed and the embedder's signal disposition is left alone.
 */
#ifndef COORD_WORKERS_REMOTE_H
#define COORD_WORKERS_REMOTE_H

#include "workers/cache_store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REMOTE_DEFAULT_PORT        6379
#define REMOTE_DEFAULT_TIMEOUT_MS  500u
#define REMOTE_DEFAULT_TTL_S       (7u * 24u * 3600u)   /* 7 days */
#define REMOTE_MAX_ERRORS          3u
#define REMOTE_MAX_VALUE           ((uint64_t)64 << 20)  /* larger values are refused */
#define REMOTE_ADDR_MAX            256
#define REMOTE_WRITE_BATCH         32u   /* queued writes sent together */
#define REMOTE_GET_BATCH           64u   /* keys per request of remote_get_entries */
#define REMOTE_WRITE_BYTES         ((uint64_t)1 << 20)
#define REMOTE_REGION_BYTES        ((size_t)8 << 20)   /* see "Placing fetched entries" */

typedef struct RemoteConfig {
    bool unix_socket;               /* addr is a socket path, else a host name */
    char addr[REMOTE_ADDR_MAX];
    uint16_t port;                  /* TCP only */
    uint32_t db;                    /* SELECT db after connecting when not 0 */
    uint32_t timeout_ms;            /* connect bound; 0 = REMOTE_DEFAULT_TIMEOUT_MS */
    uint32_t ttl_s;                 /* 0 = REMOTE_DEFAULT_TTL_S */
    bool readonly;                  /* remote_put writes nothing */
    uint64_t max_value;             /* larger values are neither read nor
                                     * written; 0 = REMOTE_MAX_VALUE */
    uint64_t build_id;              /* namespace: see remote_key_name */
} RemoteConfig;

/* redis://HOST[:PORT][/DB] (HOST may be [IPv6]) or unix:///absolute/path.
 * Fills addr, port, db and unix_socket; leaves the other fields alone.
 * Returns 0, or -1 with a message ("not supported yet: ..." for URL parts
 * that are valid but unsupported: credentials, query, rediss://). */
int remote_parse_url(const char *url, RemoteConfig *cfg, char *err, size_t errlen);

typedef struct Remote Remote;
typedef struct RemoteConn RemoteConn;

/* What one thread's requests cost; summed by the caller. */
typedef struct RemoteCounters {
    uint64_t hits, misses, errors, written, bytes_read, bytes_written, wait_ns;
    uint64_t corrupt;               /* values that failed entry validation */
    uint64_t round_trips;           /* pipelined exchanges, connects included */
} RemoteCounters;

/* A fetched value: mem_alloc'd (8-byte aligned, plus a NUL byte after
 * len), owned by the caller (mem_free); data is NULL on a miss. */
typedef struct RemoteValue { void *data; uint64_t len; } RemoteValue;

/* No I/O.  Returns NULL when out of memory. */
Remote *remote_open(const RemoteConfig *cfg);
/* After every RemoteConn is freed and once no entry of remote_get_entries
 * is read any more (it frees the regions they are placed in). */
void    remote_close(Remote *r);
bool    remote_enabled(const Remote *r);
uint32_t remote_errors(const Remote *r);
/* The text after "coord: warning: remote cache " for the run's one warning,
 * e.g. "redis://127.0.0.1:6379: timed out (3 errors; not used for the rest
 * of this run)", or false when nothing failed. */
bool    remote_warning(const Remote *r, char *buf, size_t len);

/* One connection for the calling thread; connects on first use.  NULL when
 * out of memory.  Free it on the same thread; writes still queued on it are
 * dropped (remote_flush first). */
RemoteConn *remote_conn_new(Remote *r);
void        remote_conn_free(RemoteConn *c);

/* Fetches n keys in one round trip, together with the writes queued on c:
 * out[i].data is the value or NULL (miss, or the batch failed).  A hit's TTL
 * is refreshed to ttl_s.  Returns the hit count. */
uint32_t remote_get(RemoteConn *c, const CacheKey *keys, uint32_t n,
                    RemoteValue *out, RemoteCounters *cnt);
/* Stores n values with a TTL of ttl_s in one round trip (nothing when
 * read-only or disabled; the queue is left alone).  Returns how many the
 * server acknowledged. */
uint32_t remote_put(RemoteConn *c, const CacheKey *keys, const RemoteValue *vals,
                    uint32_t n, RemoteCounters *cnt);
/* Queues one write; takes data (mem_alloc'd, len bytes), freed once sent.
 * Sends the queue when it is full (REMOTE_WRITE_BATCH entries or
 * REMOTE_WRITE_BYTES), without waiting for the replies (see Batching).
 * Read-only or disabled: data is freed at once. */
void     remote_put_queue(RemoteConn *c, CacheKey key, void *data, uint64_t len,
                          RemoteCounters *cnt);
/* Sends the queued writes (one round trip; nothing when none) and reads
 * every reply still due, also those of a batch sent earlier without
 * waiting.  A write that fails is counted (errors) like any other, never
 * dropped silently. */
void     remote_flush(RemoteConn *c, RemoteCounters *cnt);
uint32_t remote_queued(const RemoteConn *c);

/* The same on cache entries (the local cache's bytes, one key one entry).
 * remote_get_entries: each value is validated by cache_entry_adopt exactly
 * like a local file (key, build id, format, bounds, checksum); out[i] is the
 * adopted entry (release it with cache_entry_release; placed in a region
 * unless larger than REMOTE_REGION_BYTES / 4, see above) or zeroed.  A value
 * that fails validation is not a hit: it counts as a miss, in cnt->corrupt,
 * and as one error of the Remote (a server holding garbage under our keys).
 * remote_put_entries: writes each entry's bytes (map[0..map_len)) as they
 * are.  Both return what remote_get / remote_put return (usable hits, values
 * written). */
uint32_t remote_get_entries(RemoteConn *c, const CacheKey *keys, uint32_t n,
                            CacheEntry *out, RemoteCounters *cnt);
uint32_t remote_put_entries(RemoteConn *c, const CacheKey *keys, const CacheEntry *entries,
                            uint32_t n, RemoteCounters *cnt);

/* The Redis key of a cache key, into buf (REMOTE_KEY_LEN + 1 bytes):
 * "coord:<CACHE_FORMAT_VERSION, 8 hex>:<build id, 16 hex>:<key, 32 hex>", so
 * coord builds with another entry format or build id share a server without
 * seeing each other's entries.  One key holds one whole entry (the last one
 * written for that source). */
#define REMOTE_KEY_LEN 64
void remote_key_name(const Remote *r, CacheKey k, char *buf);

#endif
