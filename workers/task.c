/* task — running one task to an explicit result.
 *
 * Invariants
 *   - Every task ends in exactly one Result, success or failure; nothing here
 *     aborts on bad input or on allocation failure.
 *   - The parse task reads its source file itself, into the module's keep
 *     arena, so an unreadable file (E0001) is an ordinary parse_failed result
 *     produced on the worker, not a stall of the coordinator.
 *   - Phase status maps to result kind: OK -> parsed/canonicalized/checked;
 *     FAILED -> parse_failed (parse) or task_failed/internal (later phases,
 *     which have no "failed but usable" outcome); OOM -> task_failed/oom;
 *     INTERNAL -> task_failed/internal.  After OOM the partial AST/IR arenas
 *     are reset here: nothing in them is reachable from the result.
 *   - Running out of file descriptors is not a property of the source: the
 *     parse task waits a little for one, then fails with FAIL_NOFILE, and
 *     the coordinator fails the whole run (exit 3) with one message.
 *   - The caller's scratch arena is reset before returning.
 *   - The result cache (DESIGN.md section 7) is read here and written here,
 *     never on the coordinator: a load task reads, hashes and looks up a
 *     source (a miss parses at once and answers as a parse task), a
 *     typecheck task given a cache hands its module's result to the store
 *     (published as one pack when the run ends).  A cache failure is only
 *     counted (Result.cache, write_failed): it never fails the task.
 *   - With a manifest (workers/manifest.h) a load task first stats the
 *     source: when the previous run's record stands for it, the key is the
 *     record's and the file is not read (Result.unread, src NULL); a
 *     canonicalize task without src reads it when it must parse.  Every
 *     read records the file's stat data and whether they may be trusted by
 *     a later run (Result.mstat, recordable).
 *   - A load task loads a batch of modules, each to its own Result
 *     (Task.load_results): keys and local lookups first, then one remote
 *     request for all the modules that found nothing locally.  A module's
 *     result is exactly what a load of it alone would give; the batch's own
 *     Result carries only the connection, the remote counters and the
 *     timing.
 *   - The remote tier, when the task carries a connection: a load task asks
 *     it for its local misses, and stores what passes validation in the
 *     local cache; a publishing typecheck task queues the entry's bytes on
 *     the connection (remote_put_queue: sent with a later request, or by
 *     the coordinator at the end of the run).  Its failures are only counted
 *     (Result.remote_cnt).  The connection always goes back in Result.remote.
 */
#include "workers/worker.h"
#include "base/hash.h"
#include "base/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *task_kind_name(TaskKind k)
{
    static const char *const names[] = {
#define TASK_NAME_(name, desc) desc,
        TASK_KINDS(TASK_NAME_)
#undef TASK_NAME_
    };
    return names[k];
}

uint64_t worker_thread_cpu_nanos(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* wc -l semantics, like the benchmark's other schedulers */
static uint32_t count_lines(const char *src, uint32_t len)
{
    uint32_t n = 0;
    const char *p = src, *end = src + len;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        n++;
        p++;
    }
    return n;
}

/* Beyond every errno value: a FIFO, socket or device (E0001); no file
 * descriptor to be had (the run fails: FAIL_NOFILE). */
#define READ_NOT_REGULAR (-2)
#define READ_NO_FD (-3)
#define NOFILE_WAIT_MS 200u

/* Room kept after a source copied into its module's keep arena before a
 * remote lookup (src_keep): a fetched result's structs (load_finish: about
 * 500 bytes) fit in the source's chunk. */
#define LOAD_VIEW_ROOM 1024u
/* A source read for its key alone that is asked of the remote stays in
 * scratch until the answer when it is at most this long (a batch holds at
 * most LOAD_BATCH_MAX of them); a longer one is copied into the module's
 * keep arena at once. */
#define LOAD_SCRATCH_SOURCE (64u * 1024u)

/* Whether the module's keep arena will hold its dependency record. */
static bool deps_kept(const Task *t)
{
    return !t->no_deps && !t->deps_transient;
}

/* The keep chunk a module's parse outputs go to, for a source of `size`
 * bytes: about twice the source for Kite, measured on generated trees (6.6
 * KiB kept of 2.1 KiB sources), capped so a huge file does not reserve
 * three times its size.  Without a dependency record kept (deps_kept) what
 * stays is 1.1 to 1.5 times the source (the four trees of make bench):
 * three quarters of that room.  Too little costs a second chunk, mostly
 * empty. */
static size_t parse_room(size_t size, bool deps)
{
    size_t room = size < (1u << 19) ? 2 * size : (1u << 20);
    return (deps ? room : room * 3 / 4) + 1024;
}

/* The same when the source does not stay with the module (it holds only
 * what the parse, canonicalize and typecheck keep: Task.src_transient, no
 * record kept): 2.35 to 2.57 KiB per module on the four trees of make
 * bench, whose sources are 1.6 to 2.4 KiB (about 2 KiB plus a quarter of
 * the source), so 2 KiB plus half the source.  Such a session runs once,
 * so this is room reserved in its thread's shared arena
 * (Task.keep_by_worker, keep_reserve), where what a module leaves unused
 * is the next module's: only a chunk's end is ever lost. */
static size_t kept_room(size_t size)
{
    return (size < (1u << 20) ? size / 2 : (1u << 19)) + 2048;
}

/* The room task t's keep arena needs besides the source: kept_room when the
 * source goes with the AST (then no record is kept either: src_transient
 * is a session that runs once), else parse_room. */
static size_t keep_room(const Task *t, size_t size)
{
    return t->src_transient ? kept_room(size) : parse_room(size, deps_kept(t));
}

static _Thread_local uint32_t worker_number;   /* (worker_set_number) */

void worker_set_number(uint32_t number)
{
    worker_number = number;
}

/* Where task t's kept outputs go (Task.keep_by_worker). */
static Arena *keep_of(const Task *t)
{
    return t->keep_by_worker ? &t->keep_by_worker[worker_number].arena : t->keep;
}

/* Room for `size` bytes kept by t in one chunk: a module's own arena gets a
 * chunk of exactly that size when it needs one (its data, of known total,
 * is all it will hold); a thread's shared one (Task.keep_by_worker) a chunk
 * of its usual size. */
static bool keep_reserve(const Task *t, size_t size)
{
    return t->keep_by_worker ? arena_reserve(keep_of(t), size)
                             : arena_reserve_exact(t->keep, size);
}

/* Reads the whole file into `into` (NUL-terminated).  Returns 0, an errno
 * value, READ_NOT_REGULAR, or -1 when out of memory.  parse: the task whose
 * source will be parsed, whose keep arena gets room for what the parse
 * keeps (keep_room): in the source's chunk when `into` is that arena (the
 * source stays with the module), else a chunk of its own (the source goes
 * with the AST: Task.src_transient); NULL: just the bytes (a load that
 * reads for the key alone, into scratch: a module whose result is found
 * keeps none of them, parse_room_after_load copies them when it is not;
 * a source read again to print its reports). */
static int read_source(int at, const char *path, Arena *into, const char **src, uint32_t *len,
                       struct stat *out_st, const Task *parse)
{
    /* O_NONBLOCK: opening a FIFO must not wait for a writer (it is then
     * rejected below as not a regular file).  Reads of a regular file
     * ignore the flag. */
    int fd = openat(at, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    /* Out of descriptors: the other workers each hold one for a moment
     * only, so wait for one to be released (up to NOFILE_WAIT_MS) before
     * giving up on the whole run.  Never an E0001 for one module and not for
     * another, depending on timing. */
    for (uint32_t ms = 0; fd < 0 && (errno == EMFILE || errno == ENFILE); ms++) {
        if (ms == NOFILE_WAIT_MS)
            return READ_NO_FD;
        nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
        fd = openat(at, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    }
    if (fd < 0)
        return errno;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return e;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return EISDIR;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return READ_NOT_REGULAR;
    }
    if (st.st_size >= (off_t)UINT32_MAX) {
        close(fd);
        return EFBIG;
    }
    size_t size = (size_t)st.st_size;
    /* One chunk for the source and what stays of the module with it (name
     * interface, artifact, dependency record, reports) */
    Arena *keep = parse ? keep_of(parse) : NULL;
    size_t room = parse ? keep_room(parse, size) : 0;
    if (!arena_reserve(into, size + 1 + (keep == into ? room : 0)) ||
        (keep && keep != into && !keep_reserve(parse, room))) {
        close(fd);
        return -1;
    }
    char *buf = arena_alloc(into, size + 1, 1);
    if (!buf) {
        close(fd);
        return -1;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            return e;
        }
        if (n == 0)
            break;          /* the file shrank: check what is there */
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    if (out_st)
        *out_st = st;
    /* A leading UTF-8 byte-order mark is not part of the text: offsets, and
     * so columns, count from after it, as an editor shows the line. */
    size_t bom = got >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    *src = buf + bom;
    *len = (uint32_t)(got - bom);
    return 0;
}

static void fail(Result *r, FailCause cause)
{
    r->kind = RESULT_TASK_FAILED;
    r->cause = cause;
}

static int64_t realtime_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return INT64_MAX;             /* every file then looks too recent */
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int worker_read_source(const char *path, Arena *keep, const char **src, uint32_t *len)
{
    return read_source(AT_FDCWD, path, keep, src, len, NULL, NULL);
}

/* The directory of the files a load batch looked at last, open (O_PATH):
 * the next stat or open of a file in it walks one name instead of its whole
 * path (2.3 instead of 2.95 us per stat of the benchmark trees' files on
 * this project's machines; a batch's modules are neighbours in discovery
 * order, so mostly in one directory).  A directory is opened only for two
 * files or more: `next` is the path the batch looks at after this one.
 * fd -1: none. */
typedef struct DirAt {
    int fd;
    size_t len;
    char dir[512];
    const char *next;
} DirAt;

#define DIR_AT_INIT { .fd = -1 }

static bool in_dir(const char *path, const char *dir, size_t len)
{
    return path && strncmp(path, dir, len) == 0 && path[len] == '/' && !strchr(path + len + 1, '/');
}

/* Where to find `path` relative to: *at and the name returned (with no
 * DirAt, or a directory that cannot be opened or named in d->dir, or one
 * the batch looks at only once, AT_FDCWD and the path itself). */
static const char *dir_at(DirAt *d, const char *path, int *at)
{
    *at = AT_FDCWD;
    const char *slash = d ? strrchr(path, '/') : NULL;
    size_t len = slash ? (size_t)(slash - path) : 0;
    if (len == 0 || len >= sizeof d->dir)
        return path;
    if (d->fd < 0 || d->len != len || memcmp(d->dir, path, len) != 0) {
        if (d->fd >= 0)
            close(d->fd);
        d->fd = -1;
        if (!in_dir(d->next, path, len))
            return path;
        memcpy(d->dir, path, len);
        d->dir[len] = '\0';
        d->len = len;
        d->fd = open(d->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (d->fd < 0)
            return path;
    }
    *at = d->fd;
    return slash + 1;
}

static void dir_at_close(DirAt *d)
{
    if (d->fd >= 0)
        close(d->fd);
    d->fd = -1;
}

/* Reads the task's source into r->src, with its stat data for the
 * manifest (false: r is final, E0001 or OOM): into the module's keep arena
 * when it is to be parsed, else into scratch (src_keep copies it). */
static bool read_step(Arena *scratch, const Task *t, Result *r, bool to_parse, DirAt *d)
{
    Arena *into = !to_parse ? scratch : t->src_transient ? t->ast_arena : keep_of(t);
    const char *src = NULL;
    uint32_t len = 0;
    struct stat st;
    int64_t read_ns = realtime_ns();
    int at;
    const char *name = dir_at(d, t->path, &at);
    int err = read_source(at, name, into, &src, &len, &st, to_parse ? t : NULL);
    if (err == 0) {
        r->mstat = manifest_stat_of(&st);
        r->recordable = !manifest_racy(&r->mstat, read_ns);
        r->stamp = (FileStamp){
            .set = true, .read_ns = read_ns,
            .mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec,
            .ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec,
            .size = (uint64_t)st.st_size, .ino = (uint64_t)st.st_ino, .dev = (uint64_t)st.st_dev,
        };
    }
    if (err == -1 || err == READ_NO_FD) {
        fail(r, err == -1 ? FAIL_OOM : FAIL_NOFILE);
        return false;
    }
    if (err != 0) {
        char buf[128];
        const char *why = err == READ_NOT_REGULAR ? "not a regular file"
                                                  : strerror_r(err, buf, sizeof buf);
        ReportList list;
        report_list_init(&list, scratch, keep_of(t));
        if (!report_add(&list, RC_E0001, 0, 0, "cannot read source file: %s", why)) {
            fail(r, FAIL_OOM);
            return false;
        }
        r->reports = report_list_seal(&list, keep_of(t));
        if (r->reports.count == 0) {
            fail(r, FAIL_OOM);
            return false;
        }
        r->kind = RESULT_PARSE_FAILED;
        return false;
    }
    r->src = src;
    r->src_len = len;
    r->lines = count_lines(src, len);
    return true;
}

/* A parse that failed resets the AST arena, and with it a source read
 * into it (Task.src_transient): the coordinator reads it again to print. */
static void parse_drop(const Task *t, Result *r)
{
    arena_reset(t->ast_arena);
    if (t->src_transient)
        r->src = NULL;
}

static void parse_step(Arena *scratch, const Task *t, Result *r)
{
    const char *src = r->src;
    uint32_t len = r->src_len;

    ParseOutput out;
    memset(&out, 0, sizeof out);
    PhaseStatus st = parse_module(src, len, keep_of(t), t->ast_arena, scratch, &out);
    r->reports = out.reports;
    switch (st) {
    case PHASE_OK:
        if (!out.ast || !out.iface) {
            parse_drop(t, r);
            fail(r, FAIL_INTERNAL);
            return;
        }
        r->kind = RESULT_PARSED;
        r->ast = out.ast;
        r->iface = out.iface;
        r->iface_fp = iface_fingerprint(out.iface);
        return;
    case PHASE_FAILED:
        parse_drop(t, r);
        r->kind = RESULT_PARSE_FAILED;
        return;
    case PHASE_OOM:
        parse_drop(t, r);
        fail(r, FAIL_OOM);
        return;
    case PHASE_INTERNAL:
        parse_drop(t, r);
        fail(r, FAIL_INTERNAL);
        return;
    }
    fail(r, FAIL_INTERNAL);
}

static void run_parse(Arena *scratch, const Task *t, Result *r)
{
    if (t->src) {
        r->src = t->src;
        r->src_len = t->src_len;
        r->lines = count_lines(t->src, t->src_len);
    } else if (!read_step(scratch, t, r, true, NULL)) {
        return;
    }
    if (t->name) {  /* the key the session tier keeps its result under */
        uint64_t seed = hash_bytes(t->name, strlen(t->name));
        hash_bytes128(r->src, r->src_len, seed, &r->key.hi, &r->key.lo);
        r->keyed = true;
    }
    parse_step(scratch, t, r);
}

/* Reads the source and hashes it into r->key.  False: r is final, answered
 * as a parse (E0001 or no memory).  A source a hit is expected for
 * (!to_parse) is read into scratch: a module whose result is found keeps
 * none of it (its reports' lines are read again when printed, as for a
 * source the manifest spared), and src_keep copies it for the others. */
static bool load_read_key(Arena *scratch, const Task *t, Result *r, bool to_parse, DirAt *d)
{
    r->unread = false;
    if (!read_step(scratch, t, r, to_parse, d)) {
        r->task = TASK_PARSE;
        return false;
    }
    /* The key: the source bytes and the module name its path implies (a
     * module whose header disagrees, E0403, is checked under that name). */
    uint64_t seed = hash_bytes(t->name, strlen(t->name));
    hash_bytes128(r->src, r->src_len, seed, &r->key.hi, &r->key.lo);
    r->keyed = true;
    return true;
}

/* The first step of a load: the key.  When the manifest's record stands for
 * the file (one stat), the record's key, and the file is not read
 * (r->unread); else the source is read and hashed.  False: r is final,
 * answered as a parse (E0001 or no memory). */
static bool load_key(Arena *scratch, const Task *t, Result *r, bool expect_miss, DirAt *d)
{
    struct stat st;
    ManifestRec rec;
    int at;
    const char *name = t->manifest ? dir_at(d, t->path, &at) : NULL;
    if (name && fstatat(at, name, &st, 0) == 0 && manifest_lookup(t->manifest, t->path, &st, &rec)) {
        r->key = rec.key;
        r->keyed = true;
        r->src_len = rec.src_len;
        r->lines = rec.lines;
        r->mstat = rec.st;
        r->recordable = true;
        r->unread = true;
        return true;
    }
    return load_read_key(scratch, t, r, expect_miss, d);
}

/* A source load_read_key left in scratch goes into the module's keep
 * arena, in one chunk with `room` more bytes (false: out of memory, r is
 * final, answered as a parse that failed). */
static bool src_keep(const Task *t, Result *r, size_t room)
{
    char *copy = keep_reserve(t, (size_t)r->src_len + 1 + room)
                     ? arena_strndup(keep_of(t), r->src, r->src_len) : NULL;
    if (!copy) {
        r->task = TASK_PARSE;
        fail(r, FAIL_OOM);
        return false;
    }
    r->src = copy;
    return true;
}

/* A source a load read (for a lookup) is parsed after all: the room its
 * parse keeps, one chunk, with the source when it is still in scratch
 * (false: out of memory, r is final, answered as a parse that failed). */
static bool parse_room_after_load(const Task *t, Result *r, bool src_in_scratch)
{
    size_t room = keep_room(t, r->src_len);
    if (src_in_scratch)
        return src_keep(t, r, room);
    if (arena_reserve(keep_of(t), room))
        return true;
    r->task = TASK_PARSE;
    fail(r, FAIL_OOM);
    return false;
}

/* An entry's sections as a result's (at most CACHE_MAX_SECTIONS). */
static void entry_sections(const CacheEntry *e, ResultSection *secs)
{
    for (uint32_t k = 0; k < e->section_count && k < CACHE_MAX_SECTIONS; k++) {
        secs[k].data = e->sections[k].data;
        secs[k].len = e->sections[k].len;
    }
}

/* The last step of a load: takes every result in found[0..n) that is well
 * formed (result_view); the coordinator validates their dependency records
 * once the imports are final.  None: a miss, parsed at once (a source the
 * manifest spared is read, and keyed by its bytes, first).  Local
 * candidates are marked used for the cache's LRU here, off the coordinator
 * (an atomic store into the shared lru table, only when it would move);
 * fetched ones (remote) are written to the local cache, and one whose
 * result does not load is counted in rc as corrupt. */
static void load_finish(Arena *scratch, const Task *t, Result *r, CacheEntry *found,
                        uint32_t n, bool remote, bool src_in_scratch, RemoteCounters *rc)
{
    /* The module's kept structs are small (about 1 KB): one chunk of their
     * size, not a fresh page of the default chunk per module. */
    size_t need = n ? n * (sizeof(ModuleResult) + sizeof(CacheHold)) + 32 : 0;
    for (uint32_t i = 0; i < n; i++) {
        ResultSection secs[CACHE_MAX_SECTIONS];
        entry_sections(&found[i], secs);
        need += result_view_bytes(secs, found[i].section_count);
    }
    Arena *keep = keep_of(t);
    bool room = n == 0 || keep_reserve(t, need);
    ModuleResult *cands = n && room ? ARENA_ARRAY(keep, ModuleResult, n) : NULL;
    CacheHold *kept = n && room ? ARENA_ARRAY(keep, CacheHold, n) : NULL;
    uint32_t valid = 0;
    for (uint32_t i = 0; i < n; i++) {
        ResultSection secs[CACHE_MAX_SECTIONS];
        entry_sections(&found[i], secs);
        if (cands && kept &&
            result_view(secs, found[i].section_count, r->src_len, keep, &cands[valid])) {
            if (remote)         /* fetched: kept locally too */
                cache_store_write(t->cache, r->key, found[i].variant, found[i].sections,
                                  found[i].section_count, &r->cache);
            else if (found[i].mtime + 3600 < (int64_t)time(NULL))
                cache_store_touch(t->cache, r->key, found[i].variant);
            kept[valid++] = cache_entry_hold(&found[i]);
        } else {
            if (remote) {       /* a valid entry whose result does not load */
                rc->hits--;
                rc->misses++;
                rc->corrupt++;
            } else {
                r->cache.corrupt++;
            }
            cache_entry_release(&found[i]);
        }
    }
    if (valid == 0) {
        if (r->unread ? !load_read_key(scratch, t, r, true, NULL)
                      : !parse_room_after_load(t, r, src_in_scratch))
            return;
        r->task = TASK_PARSE;       /* a parse task that looked first */
        parse_step(scratch, t, r);
        return;
    }
    r->kind = RESULT_LOADED;
    r->cand_count = valid;
    r->cands = cands;
    r->entries = kept;
    if (src_in_scratch)     /* (its lines are read again if a report prints them) */
        r->src = NULL;
}

/* Each module's share of a span of the batch: its wall time, and (with
 * measure_cpu) the span's thread CPU time split in proportion to the wall
 * times: the CPU clock is a system call, read twice per span, not twice
 * per module. */
static void load_cpu_shares(const Task *t, const uint32_t *idx, uint32_t count,
                            const uint64_t *wall, uint64_t cpu_span, uint64_t wall_span)
{
    for (uint32_t k = 0; k < count; k++) {
        Result *sub = &t->load_results[idx ? idx[k] : k];
        sub->cpu_nanos += !t->measure_cpu ? wall[k]
                          : wall_span == 0 ? cpu_span / count
                                           : (uint64_t)((double)cpu_span * (double)wall[k] /
                                                        (double)wall_span);
    }
}

/* A load task: loads[0..load_count), each to its own result in
 * load_results.  First every module's key (load_key: the manifest's, or
 * read and hashed) and local lookup (a module with a local
 * entry, or with none and no remote, is answered at once); then ONE request
 * to the remote for every module that found nothing locally (with the
 * writes queued on the connection); then those are answered.  Each
 * module's result carries its own time: its own steps, plus an equal share
 * of the remote request (load_cpu_shares). */
static void run_load_batch(Arena *scratch, const Task *t, Result *r)
{
    uint32_t n = t->load_count < LOAD_BATCH_MAX ? t->load_count : LOAD_BATCH_MAX;
    CacheKey keys[LOAD_BATCH_MAX];
    uint32_t ask[LOAD_BATCH_MAX], asked = 0;
    uint64_t wall[LOAD_BATCH_MAX] = { 0 };
    bool expect_miss = false;
    uint64_t cpu0 = t->measure_cpu ? worker_thread_cpu_nanos() : 0, wall0 = worker_now_nanos();
    /* Scratch holds, below `kept`, the sources of the modules asked of the
     * remote (read for their key alone): each module's other scratch goes
     * when it is done. */
    bool asked_in_scratch[LOAD_BATCH_MAX] = { false };
    ArenaMark kept = arena_mark(scratch);
    DirAt dir = DIR_AT_INIT;
    for (uint32_t i = 0; i < n; i++) {
        const Task *lt = &t->loads[i];
        Result *sub = &t->load_results[i];
        memset(sub, 0, sizeof *sub);
        sub->task = TASK_LOAD;
        sub->module = lt->module;
        /* Nothing to find (no disk cache, or an empty one and no remote):
         * a source is read for its parse (read_source's to_parse). */
        if (i == 0)
            expect_miss = !lt->cache ||
                          (!t->remote && !cache_store_has_entries(lt->cache, &sub->cache));
        sub->start_nanos = worker_now_nanos();
        bool keep_src = false;      /* this module's source stays in scratch */
        dir.next = i + 1 < n ? t->loads[i + 1].path : NULL;
        bool keyed = load_key(scratch, lt, sub, expect_miss, &dir);
        ArenaMark after_key = arena_mark(scratch);     /* (just above its source) */
        if (!keyed) {
            /* answered: the source could not be read */
        } else if (lt->live && sub->key.hi == lt->live_key.hi && sub->key.lo == lt->live_key.lo) {
            /* the session tier has its result */
            if (sub->unread || expect_miss || src_keep(lt, sub, 0)) {
                sub->kind = RESULT_LOADED;
                sub->same_bytes = true;
            }
        } else if (!lt->cache) {        /* (no manifest either: the source was read) */
            sub->task = TASK_PARSE;
            if (parse_room_after_load(lt, sub, false))
                parse_step(scratch, lt, sub);
        } else {
            /* a source read for its key alone is in scratch (load_read_key) */
            bool in_scratch = !sub->unread && !expect_miss;
            CacheEntry *found = ARENA_ARRAY(scratch, CacheEntry, LOAD_CANDIDATES);
            uint32_t got = found ? cache_store_load(lt->cache, sub->key, found, LOAD_CANDIDATES,
                                                    &sub->cache)
                                 : 0;
            if (got == 0 && found && t->remote) {
                /* asked below: its source stays in scratch (a hit keeps
                 * none of it), or, when large, goes with the module (with
                 * room for a fetched result) */
                keep_src = in_scratch && sub->src_len <= LOAD_SCRATCH_SOURCE;
                if (keep_src || !in_scratch || src_keep(lt, sub, LOAD_VIEW_ROOM)) {
                    asked_in_scratch[asked] = keep_src;
                    keys[asked] = sub->key;
                    ask[asked++] = i;
                }
            } else {
                load_finish(scratch, lt, sub, found, got, false, in_scratch, &r->remote_cnt);
            }
        }
        if (keep_src)
            kept = after_key;
        arena_rewind(scratch, kept);
        sub->nanos = wall[i] = worker_now_nanos() - sub->start_nanos;
    }
    dir_at_close(&dir);
    load_cpu_shares(t, NULL, n, wall, t->measure_cpu ? worker_thread_cpu_nanos() - cpu0 : 0,
                    worker_now_nanos() - wall0);
    if (asked > 0) {
        uint64_t cpu1 = t->measure_cpu ? worker_thread_cpu_nanos() : 0, start = worker_now_nanos();
        CacheEntry *got = ARENA_ARRAY(scratch, CacheEntry, asked);
        if (got)
            remote_get_entries(t->remote, keys, asked, got, &r->remote_cnt);
        else
            r->remote_cnt.misses += asked;      /* no memory to ask: misses */
        uint64_t wall_share = (worker_now_nanos() - start) / asked;
        ArenaMark mark = arena_mark(scratch);
        for (uint32_t k = 0; k < asked; k++) {
            const Task *lt = &t->loads[ask[k]];
            Result *sub = &t->load_results[ask[k]];
            uint64_t t0 = worker_now_nanos();
            bool hit = got && got[k].map;
            load_finish(scratch, lt, sub, hit ? &got[k] : NULL, hit ? 1 : 0, true,
                        asked_in_scratch[k],
                        &r->remote_cnt);
            arena_rewind(scratch, mark);
            wall[k] = worker_now_nanos() - t0 + wall_share;
            sub->nanos += wall[k];
        }
        load_cpu_shares(t, ask, asked, wall, t->measure_cpu ? worker_thread_cpu_nanos() - cpu1 : 0,
                        worker_now_nanos() - start);
    }
    r->kind = RESULT_LOADED;
    r->loaded = t->load_results;
    r->loaded_count = n;
    /* (a live session's loads find its own results: not "nothing") */
    uint32_t parsed = 0;
    for (uint32_t i = 0; i < n; i++)
        parsed += t->load_results[i].task == TASK_PARSE;
    r->found_nothing = expect_miss && parsed == n;
}

/* Publishes a finished module's result; a failure is only counted. */
static void store_step(Arena *scratch, const Task *t, Result *r)
{
    ModuleResult res = *t->result;
    res.artifact = r->artifact;
    res.reports[TASK_CHECK] = r->reports;
    res.deps = r->deps;
    /* hashed here, on a worker: the entry holds it, and the coordinator
     * compares the module's importers with it (cache_note_digest).  (Only
     * for modules with importers would save this run 2% of its CPU, but
     * whether a module has any is not known yet when its typecheck runs:
     * an importer's edge appears when it is parsed.) */
    res.art_digest = r->art_digest = artifact_deps_digest(r->artifact);
    ResultSection secs[RS__COUNT];
    CacheSection cs[RS__COUNT];
    if (!result_sections(&res, scratch, secs)) {
        r->write_failed = true;
        return;
    }
    for (uint32_t i = 0; i < RS__COUNT; i++) {
        cs[i].data = secs[i].data;
        cs[i].len = secs[i].len;
    }
    uint64_t variant = result_variant(&res);
    r->write_failed = cache_store_write(t->cache, t->key, variant, cs, RS__COUNT,
                                        &r->cache) != 0;
    if (t->remote) {            /* the same bytes to the remote, queued */
        void *buf;
        size_t len;
        if (cache_entry_encode(cache_store_build_id(t->cache), t->key, variant, cs, RS__COUNT,
                               &buf, &len) == 0)
            remote_put_queue(t->remote, t->key, buf, len, &r->remote_cnt);
        else                    /* no memory for its bytes: counted, not silent */
            r->remote_cnt.errors++;
    }
}

static void run_canon(Arena *scratch, const Task *t, Result *r)
{
    const Ast *ast = t->ast;
    if (!ast) {
        const char *src = t->src;
        uint32_t src_len = t->src_len;
        if (!src) {                 /* its load did not read it (the manifest) */
            int err = read_source(AT_FDCWD, t->path, keep_of(t), &src, &src_len, NULL, t);
            if (err != 0) {
                fail(r, err == -1 ? FAIL_OOM : err == READ_NO_FD ? FAIL_NOFILE : FAIL_INTERNAL);
                return;
            }
            r->src = src;
            r->src_len = src_len;
        }
        ParseOutput po;
        memset(&po, 0, sizeof po);
        PhaseStatus ps = parse_module(src, src_len, keep_of(t), t->ast_arena, scratch, &po);
        arena_reset(scratch);
        if (ps != PHASE_OK || !po.ast || !po.iface) {
            arena_reset(t->ast_arena);
            fail(r, ps == PHASE_OOM ? FAIL_OOM : FAIL_INTERNAL);
            return;
        }
        r->parsed_too = true;
        r->parse_reports = po.reports;
        r->iface = po.iface;
        r->iface_fp = iface_fingerprint(po.iface);
        ast = po.ast;
    }
    CanonOutput out;
    memset(&out, 0, sizeof out);
    PhaseStatus st = canon_module(ast, t->self, t->ifaces, t->import_count,
                                  keep_of(t), t->ir_arena, scratch, !t->no_deps, &out);
    /* The AST is dead now (the IR holds no pointer into it).  Released here,
     * by the thread that allocated most of it, rather than by the
     * coordinator: no cross-thread frees into this worker's malloc arena. */
    arena_reset(t->ast_arena);
    r->reports = out.reports;
    if (st == PHASE_OK && out.ir) {
        r->kind = RESULT_CANONICALIZED;
        r->ir = out.ir;
        return;
    }
    arena_reset(t->ir_arena);
    fail(r, st == PHASE_OOM ? FAIL_OOM : FAIL_INTERNAL);
}

static void run_check(Arena *scratch, const Task *t, Result *r)
{
    CheckOutput out;
    memset(&out, 0, sizeof out);
    PhaseStatus st = check_module(t->ir, t->artifacts, t->import_count,
                                  keep_of(t), scratch,
                                  t->no_deps ? DEPS_NONE : t->deps_transient ? DEPS_SCRATCH : DEPS_KEEP,
                                  &out);
    arena_reset(t->ir_arena);       /* the IR is dead now, as the AST above */
    r->reports = out.reports;
    if (st == PHASE_OK && out.artifact) {
        r->kind = RESULT_CHECKED;
        r->artifact = out.artifact;
        r->deps = out.deps;
        if (t->cache)
            store_step(scratch, t, r);
        if (t->deps_transient)      /* (in scratch: gone with this task) */
            memset(&r->deps, 0, sizeof r->deps);
        return;
    }
    fail(r, st == PHASE_OOM ? FAIL_OOM : FAIL_INTERNAL);
}

void worker_run_task(Arena *scratch, const Task *t, Result *r)
{
    memset(r, 0, sizeof *r);
    r->task = t->kind;
    r->module = t->module;
    /* The thread CPU clock (a system call, --stats only) is read inside the
     * task's wall time: measuring a task is the task's cost, not the
     * coordinator's (stats.c: a task run on its thread is inline time). */
    uint64_t start = worker_now_nanos();
    uint64_t cpu = t->measure_cpu ? worker_thread_cpu_nanos() : 0;
    switch (t->kind) {
    case TASK_PARSE: run_parse(scratch, t, r); break;
    case TASK_CANON: run_canon(scratch, t, r); break;
    case TASK_CHECK: run_check(scratch, t, r); break;
    case TASK_LOAD:  run_load_batch(scratch, t, r); break;
    case TASK_STOP:  fail(r, FAIL_INTERNAL); break;
    }
    r->remote = t->remote;          /* the connection goes back with the result */
    r->cpu_nanos = t->measure_cpu ? worker_thread_cpu_nanos() - cpu : 0;
    r->nanos = worker_now_nanos() - start;
    if (!t->measure_cpu)
        r->cpu_nanos = r->nanos;
    r->start_nanos = start;
    arena_reset(scratch);
}
