/* live — the session tier of DESIGN.md section 7: results that outlive one
 * coord_run of a session (editors, `coord check --watch`), overlays
 * (coord_set_source) and change notices (coord_notify).
 *
 * A repeated coord_run gives what a cold run gives; replayed in full, it is
 * a cold run whose modules may adopt the result the session holds for
 * their file, validated by exactly the rules of the local
 * cache (coordinator/cache.c: same bytes, every fingerprint of the
 * dependency record equal to the imports' current ones), in memory: no disk
 * round trip, no copy.
 *
 * What outlives a run: the Live record (below), created by the first
 * coord_add_root; in it one LiveFile per source file of the last completed
 * run that has a result: its keep arena (source bytes, name interface,
 * artifact, reports, dependency record), its key (xxHash3 of the bytes and
 * the module name), the stamp of the file when its bytes were read, and the
 * disk-cache mappings its result points into, if any.
 *
 * A repeated run is one of three kinds:
 *   - nothing to do (live_unchanged): no_rescan, nothing notified since a
 *     completed run: the last run's results stand;
 *   - a patch run (live_patchable, live_patch): no_rescan, every notified
 *     path is a module of the last completed run's table, and its new
 *     bytes (file or overlay, parsed by tasks first) give an interface
 *     whose header is the same (declared name, import lines and their
 *     spans: all discovery, the graph, the cycle pass and the E040x
 *     reports read).  The module table, graph and every other result stay;
 *     the changed modules run on from PARSED, and every module importing
 *     one of them, directly or not, is LOADED again with its result as the
 *     one candidate: it waits for its imports among them and is validated
 *     on the same rules as any repeated run (early cutoff: one none of
 *     whose imports was computed again holds as it did, else
 *     cache_validate by names), or computed again.  Then results_patch
 *     updates the frozen results for the modules that ran a phase.  Cost:
 *     O(changed modules + their importers' closure), not O(modules) (the
 *     first patch run over a table builds its path map and the results'
 *     index once; a module gaining or losing its artifact re-sorts the
 *     checked list).
 *     Everything a patch run allocates in the session arena is transient:
 *     each one rewinds to the mark taken before the first one over the
 *     table.  A module computed again keeps its previous result readable
 *     for the run (its entry's arena when lent, else prev_keep, freed when
 *     it is computed again or at the next full replay).  A patch run
 *     neither reads nor writes the result cache; a result a module had
 *     from it stays mapped as long as its arena (prev_entries);
 *   - anything else (a file created or deleted, a directory notified, a
 *     header changed, an importer without a result of its own, the last
 *     run failed, rescan on, --cache-verify): a full replay, in order:
 *   1. live_absorb (before the protected call): the modules of the last run
 *      hand their keep arenas to their files' entries: a module that adopted
 *      an entry gives it back; a module computed afresh that succeeded
 *      replaces its entry (the old arena is freed); anything else is freed.
 *      Entries of files no longer in the build are freed.  So the session
 *      holds at most one result per file: memory follows the current
 *      files, never the number of runs.  After a run that failed as a whole
 *      (out of memory) only the adopted arenas go back; entries stay.
 *   2. The run state (session arena, module table, graph, results, stats)
 *      is reset and the recorded coord_add_root / coord_add_search_dir calls
 *      are replayed: discovery is exactly a cold run's.  Overlay paths that
 *      discovery did not find join the build as files (under a directory
 *      root) or as lone file arguments.
 *   3. At its first dispatch a module is classified (live_dispatch):
 *        ADOPT    its entry's bytes are current: it takes the entry's arena
 *                 and result and is LOADED with no task;
 *        PROBE    its file may have changed (stat data differ or are racy,
 *                 or it was notified): a load task reads and hashes it; the
 *                 same bytes adopt the entry (live_same_bytes), other bytes
 *                 are parsed at once;
 *        OVERLAY  coord_set_source text that is not the entry's: parsed
 *                 from a copy in its keep arena;
 *        FRESH    no entry: as in a cold run.
 *      An adopted result whose dependency record no longer holds (or that
 *      --cache-verify checks again) gets its module a fresh arena with a
 *      copy of the bytes (live_stale); the entry keeps its own until the
 *      next absorb replaces it.
 *
 * Racy-clean (git's rule): a stamp whose mtime or ctime is not at least
 * LIVE_RACY_NS older than the moment its bytes began to be read does not
 * prove the bytes unchanged: the next run with rescan reads them again
 * (a read and a hash, not a check, when they are the same).
 *
 * Invariants
 *   - Session thread only.  Allocation here is mem_alloc (checked): a
 *     LiveFile that cannot be recorded is only a result not kept (the next
 *     run computes it), never a wrong one.
 *   - An entry's arena has exactly one owner: the entry, or (lent) the one
 *     module of the run that adopted it.
 *   - Paths are compared lexically normalized ("./a//b" is "a/b").
 */
#include "coordinator/actor.h"

#include "base/hash.h"
#include "base/mem.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#define LIVE_RACY_NS 20000000LL   /* 20 ms: above the kernel's coarse clock tick */
#define LIVE_KEEP_CHUNK (4u * 1024u)

/* ---- a string map (open addressing; removal by tombstone) -------------- */

typedef struct MapSlot {
    const char *key;            /* NULL: empty; TOMB: removed */
    uint64_t hash;
    void *value;
} MapSlot;

typedef struct StrMap {
    MapSlot *slots;
    uint32_t mask, count, used; /* used: live + tombstones */
} StrMap;

static const char tomb_[1];
#define TOMB tomb_

static uint64_t str_hash(const char *s) { return hash_bytes(s, strlen(s)); }

static MapSlot *map_find_slot(const StrMap *m, const char *key, uint64_t h)
{
    if (!m->slots)
        return NULL;
    for (uint32_t i = (uint32_t)h & m->mask;; i = (i + 1) & m->mask) {
        MapSlot *e = &m->slots[i];
        if (!e->key)
            return NULL;
        if (e->key != TOMB && e->hash == h && strcmp(e->key, key) == 0)
            return e;
    }
}

static void *map_get(const StrMap *m, const char *key, uint64_t h)
{
    MapSlot *e = map_find_slot(m, key, h);
    return e ? e->value : NULL;
}

/* Room for `n` more entries; false when out of memory. */
static bool map_reserve(StrMap *m, uint32_t n)
{
    if (m->slots && (uint64_t)(m->used + n) * 2 <= (uint64_t)m->mask + 1)
        return true;
    uint64_t size = 16;
    while (size < (uint64_t)(m->count + n) * 2 + 2)
        size *= 2;
    if (size > (1u << 30))
        return false;
    MapSlot *slots = mem_calloc((size_t)size, sizeof *slots);
    if (!slots)
        return false;
    for (uint32_t i = 0; m->slots && i <= m->mask; i++) {
        MapSlot *e = &m->slots[i];
        if (!e->key || e->key == TOMB)
            continue;
        uint32_t k = (uint32_t)e->hash & (uint32_t)(size - 1);
        while (slots[k].key)
            k = (k + 1) & (uint32_t)(size - 1);
        slots[k] = *e;
    }
    mem_free(m->slots);
    m->slots = slots;
    m->mask = (uint32_t)(size - 1);
    m->used = m->count;
    return true;
}

/* The key is owned by the caller (it must outlive the entry).  Only after
 * map_reserve(m, 1) succeeded; the key must not be present. */
static void map_put(StrMap *m, const char *key, uint64_t h, void *value)
{
    uint32_t i = (uint32_t)h & m->mask;
    while (m->slots[i].key && m->slots[i].key != TOMB)
        i = (i + 1) & m->mask;
    if (!m->slots[i].key)
        m->used++;
    m->slots[i] = (MapSlot){ key, h, value };
    m->count++;
}

static void map_remove(StrMap *m, MapSlot *e)
{
    e->key = TOMB;
    e->value = NULL;
    m->count--;
}

static void map_free(StrMap *m)
{
    mem_free(m->slots);
    memset(m, 0, sizeof *m);
}

/* ---- the record ---------------------------------------------------------- */

typedef struct LiveFile {
    char *path;                 /* normalized; its key in Live.files */
    Arena keep;
    bool lent;                  /* keep is with the module that adopted it */
    bool taken;                 /* live_absorb: already placed */
    const char *src;
    uint32_t src_len, lines;
    CacheKey key;
    FileStamp stamp;            /* set: read from the file; unset: an overlay */
    ModuleResult res;
    CacheHold *entries;         /* disk-cache mappings res points into (in keep) */
    uint32_t entry_count;
    /* serial: names this result (never 0, never reused); dep_serials: per
     * import, the serial of the import's result that the dependency record
     * was last found to hold against (0: none or unknown), mem_alloc'd */
    uint64_t serial;
    uint64_t *dep_serials;
    uint32_t dep_count;
} LiveFile;

typedef struct Overlay {
    char *path;                 /* normalized; its key */
    char *text;
    uint32_t len;
} Overlay;

typedef struct LiveAdd {
    char *path;
    bool search;
} LiveAdd;

/* A changed module of a patch run, parsed into its own arenas before the
 * run decides it can patch. */
typedef struct PatchCand {
    Module *m;
    Arena keep, ast, ir;
    Result r;
    bool got;                   /* r is its parse result */
} PatchCand;

typedef struct Live {
    StrMap files;               /* LiveFile* */
    StrMap overlays;            /* Overlay* */
    StrMap notified;            /* char* (the key itself) */
    LiveAdd *adds;
    uint32_t add_count, add_cap;
    bool prev_ok;               /* the last run completed */
    uint64_t next_serial;
    /* Patch runs over the current module table (reset by live_absorb):
     * by_path maps each module's normalized path to it (keys in the session
     * arena; value AMBIGUOUS for a path of two modules); `mark` is the
     * session arena's state before the first patch run, to which every
     * later one rewinds (a patch run's own allocations are transient). */
    bool table_ready;
    StrMap by_path;
    ArenaMark mark;
    PatchCand *cands;
    uint32_t cand_count, cand_cap;
} Live;

static const char ambiguous_[1];
#define AMBIGUOUS ((void *)ambiguous_)

static Live *live_get(CoordSession *s)
{
    if (!s->live)
        s->live = mem_calloc(1, sizeof *s->live);
    return s->live;
}

/* "./a//b/./c/" -> "a/b/c" into buf; false when it does not fit. */
bool live_normalize(const char *path, char *buf, size_t size)
{
    size_t n = 0;
    const char *p = path;
    bool abs = *p == '/';
    if (abs) {
        if (size < 2)
            return false;
        buf[n++] = '/';
    }
    while (*p) {
        while (*p == '/')
            p++;
        const char *start = p;
        while (*p && *p != '/')
            p++;
        size_t len = (size_t)(p - start);
        if (len == 0 || (len == 1 && start[0] == '.'))
            continue;
        if (n > (abs ? 1u : 0u)) {
            if (n + 1 >= size)
                return false;
            buf[n++] = '/';
        }
        if (n + len >= size)
            return false;
        memcpy(buf + n, start, len);
        n += len;
    }
    if (n == 0) {
        if (size < 2)
            return false;
        buf[n++] = '.';
    }
    buf[n] = '\0';
    return true;
}

static char *normalized_copy(const char *path)
{
    size_t size = strlen(path) + 2;
    char *buf = mem_alloc(size);
    if (buf && !live_normalize(path, buf, size)) {
        mem_free(buf);
        buf = NULL;
    }
    return buf;
}

static void file_release(LiveFile *f)
{
    for (uint32_t k = 0; k < f->entry_count; k++)
        cache_hold_release(&f->entries[k]);
    f->entry_count = 0;
    arena_free(&f->keep);
}

static void file_free(LiveFile *f)
{
    if (!f)
        return;
    file_release(f);
    mem_free(f->dep_serials);
    mem_free(f->path);
    mem_free(f);
}

/* ---- the public calls ---------------------------------------------------- */

int live_record_add(CoordSession *s, const char *path, bool search)
{
    Live *L = live_get(s);
    if (!L)
        return -1;
    if (L->add_count == L->add_cap) {
        uint32_t cap = L->add_cap ? L->add_cap * 2 : 8;
        LiveAdd *more = mem_realloc(L->adds, cap * sizeof *more);
        if (!more)
            return -1;
        L->adds = more;
        L->add_cap = cap;
    }
    size_t n = strlen(path) + 1;
    char *copy = mem_alloc(n);
    if (!copy)
        return -1;
    memcpy(copy, path, n);
    L->adds[L->add_count++] = (LiveAdd){ copy, search };
    return 0;
}

static int notify_path(Live *L, const char *path)
{
    char *key = normalized_copy(path);
    if (!key)
        return -1;
    uint64_t h = str_hash(key);
    if (map_get(&L->notified, key, h)) {
        mem_free(key);
        return 0;
    }
    if (!map_reserve(&L->notified, 1)) {
        mem_free(key);
        return -1;
    }
    map_put(&L->notified, key, h, key);
    return 0;
}

static int api_error(CoordSession *s, const char *what)
{
    snprintf(s->error, sizeof s->error, "%s", what);
    return COORD_EXIT_INTERNAL;
}

int coord_notify(CoordSession *s, const char *path)
{
    s->error[0] = '\0';
    Live *L = live_get(s);
    if (!L || notify_path(L, path) != 0)
        return api_error(s, "out of memory");
    return 0;
}

int coord_set_source(CoordSession *s, const char *path, const char *text, size_t len)
{
    s->error[0] = '\0';
    size_t n = strlen(path);
    if (n <= 5 || strcmp(path + n - 5, ".kite") != 0) {
        snprintf(s->error, sizeof s->error, "coord_set_source: '%s' is not a .kite file", path);
        return COORD_EXIT_USAGE;
    }
    if (len >= UINT32_MAX) {
        snprintf(s->error, sizeof s->error, "coord_set_source: the text of '%s' is too long", path);
        return COORD_EXIT_USAGE;
    }
    Live *L = live_get(s);
    if (!L)
        return api_error(s, "out of memory");
    char *key = normalized_copy(path);
    char *copy = mem_alloc(len + 1);
    Overlay *o = mem_calloc(1, sizeof *o);
    if (!key || !copy || !o || notify_path(L, path) != 0 || !map_reserve(&L->overlays, 1)) {
        mem_free(key);
        mem_free(copy);
        mem_free(o);
        return api_error(s, "out of memory");
    }
    if (len)
        memcpy(copy, text, len);
    copy[len] = '\0';
    uint64_t h = str_hash(key);
    MapSlot *old = map_find_slot(&L->overlays, key, h);
    if (old) {
        Overlay *prev = old->value;
        mem_free(prev->text);
        prev->text = copy;
        prev->len = (uint32_t)len;
        mem_free(key);
        mem_free(o);
        return 0;
    }
    o->path = key;
    o->text = copy;
    o->len = (uint32_t)len;
    map_put(&L->overlays, key, h, o);
    return 0;
}

int coord_clear_source(CoordSession *s, const char *path)
{
    s->error[0] = '\0';
    Live *L = live_get(s);
    if (!L)
        return api_error(s, "out of memory");
    char buf[PATH_MAX + 2];
    if (!live_normalize(path, buf, sizeof buf))
        return 0;
    MapSlot *e = map_find_slot(&L->overlays, buf, str_hash(buf));
    if (!e)
        return 0;
    if (notify_path(L, path) != 0)
        return api_error(s, "out of memory");
    Overlay *o = e->value;
    map_remove(&L->overlays, e);
    mem_free(o->text);
    mem_free(o->path);
    mem_free(o);
    return 0;
}

const char *live_overlay(const CoordSession *s, const char *path, uint32_t *len)
{
    const Live *L = s->live;
    if (!L || L->overlays.count == 0)
        return NULL;
    char buf[PATH_MAX + 2];
    if (!live_normalize(path, buf, sizeof buf))
        return NULL;
    const Overlay *o = map_get(&L->overlays, buf, str_hash(buf));
    if (!o)
        return NULL;
    *len = o->len;
    return o->text;
}

void live_free(CoordSession *s)
{
    Live *L = s->live;
    if (!L)
        return;
    for (uint32_t i = 0; L->files.slots && i <= L->files.mask; i++)
        if (L->files.slots[i].key && L->files.slots[i].key != TOMB)
            file_free(L->files.slots[i].value);
    for (uint32_t i = 0; L->overlays.slots && i <= L->overlays.mask; i++) {
        Overlay *o = L->overlays.slots[i].key && L->overlays.slots[i].key != TOMB
                   ? L->overlays.slots[i].value : NULL;
        if (o) {
            mem_free(o->text);
            mem_free(o->path);
            mem_free(o);
        }
    }
    for (uint32_t i = 0; L->notified.slots && i <= L->notified.mask; i++)
        if (L->notified.slots[i].key && L->notified.slots[i].key != TOMB)
            mem_free(L->notified.slots[i].value);
    for (uint32_t i = 0; i < L->add_count; i++)
        mem_free(L->adds[i].path);
    mem_free(L->adds);
    live_patch_abandon(s);
    mem_free(L->cands);
    map_free(&L->by_path);
    map_free(&L->files);
    map_free(&L->overlays);
    map_free(&L->notified);
    mem_free(L);
    s->live = NULL;
}

/* ---- after a run: the modules' arenas go to their entries ----------------- */

/* m succeeded this run and holds a result of its bytes. */
static bool usable(const Module *m)
{
    return m->state == MS_DONE && !m->failed && m->artifact && m->keyed &&
           m->dup_of == NONE && m->iface;   /* (src is NULL when the manifest spared
                                             * reading it: read when needed) */
}

static void module_release(Module *m)
{
    for (uint32_t k = 0; m->entries && k < m->cand_count; k++)
        cache_hold_release(&m->entries[k]);
    m->cand_count = 0;
    m->entries = NULL;
    /* its interface is in keep: what an importer absorbed after it records
     * of it (import_deps_keep) must not read it */
    m->released = true;
    m->released_header_broken = m->iface && m->iface->header_broken;
    arena_free(&m->keep);
}

/* The ImportDep part of m's record, into its keep arena (as cache.c's
 * cache_import_deps, which writes into the session arena). */
static const ImportDep *import_deps_keep(const CoordSession *s, Module *m)
{
    ImportDep *d = arena_alloc(&m->keep, (m->import_count + 1) * sizeof *d, _Alignof(ImportDep));
    if (!d)
        return NULL;
    for (uint32_t i = 0; i < m->import_count; i++) {
        memset(&d[i], 0, sizeof d[i]);
        uint32_t e = m->import_edge[i];
        const Module *to = e == NONE ? NULL : s->mods[edge_at(s, e)->to];
        if (to && to->released)     /* as import_flags, from what release kept */
            d[i].flags = (import_iface(s, m, i) ? IMPORT_DEP_IFACE : 0u) |
                         (to->released_header_broken ? IMPORT_DEP_HEADER_BROKEN : 0u) |
                         (import_artifact(s, m, i) ? IMPORT_DEP_ARTIFACT : 0u);
        else                        /* digests only of what is still there */
            d[i] = import_dep(s, m, i);
    }
    return d;
}

/* Whether m's result stays with the session after its run. */
static bool m_keeps(const Module *m)
{
    return m->live_lent || (m->lv->serial != 0);
}

/* The dependency record of m's result held, at the end of the run, against
 * these results of its imports (live_validate): into m->lv->dep_serials. */
static void record_dep_serials(const CoordSession *s, Module *m)
{
    m->lv->dep_serials = NULL;
    uint64_t *d = mem_alloc((m->import_count + 1) * sizeof *d);
    if (!d)
        return;             /* the next run validates by fingerprints */
    for (uint32_t i = 0; i < m->import_count; i++) {
        uint32_t e = m->import_edge[i];
        d[i] = e != NONE && import_artifact(s, m, i) ? s->mods[edge_at(s, e)->to]->lv->serial : 0;
    }
    m->lv->dep_serials = d;
}

static void set_dep_serials(LiveFile *f, Module *m)
{
    mem_free(f->dep_serials);
    f->dep_serials = m->lv->dep_serials;
    f->dep_count = m->import_count;
    m->lv->dep_serials = NULL;
}

/* m's fresh result into f (f's previous arena was released). */
static bool file_take(const CoordSession *s, LiveFile *f, Module *m)
{
    if (m->reused) {
        f->res = *m->reused;        /* a disk-cache candidate: its mappings come along */
        f->entries = m->entries;
        f->entry_count = m->cand_count;
    } else {
        for (uint32_t k = 0; m->entries && k < m->cand_count; k++)
            cache_hold_release(&m->entries[k]);     /* stale candidates */
        memset(&f->res, 0, sizeof f->res);
        f->res.iface = m->iface;
        f->res.artifact = m->artifact;
        for (int p = 0; p < COORD_PHASE_COUNT; p++)
            f->res.reports[p] = m->phase_reports[p];
        f->res.lines = m->lines;
        f->res.iface_fp = m->iface_fp;
        f->res.deps = m->deps;
        f->res.imports = import_deps_keep(s, m);
        f->entries = NULL;
        f->entry_count = 0;
    }
    m->cand_count = 0;
    m->entries = NULL;
    f->keep = m->keep;
    memset(&m->keep, 0, sizeof m->keep);
    f->src = m->src;
    f->src_len = m->src_len;
    f->lines = m->lines;
    f->key = m->key;
    f->stamp = m->stamp;
    f->lent = false;
    return f->res.imports != NULL;
}

void live_absorb(CoordSession *s)
{
    Live *L = s->live;
    if (!L)
        return;
    L->table_ready = false;         /* the run state goes: rebuilt by a full replay */
    map_free(&L->by_path);
    bool ok = L->prev_ok;
    StrMap next;
    memset(&next, 0, sizeof next);
    bool have_next = map_reserve(&next, s->mod_count + L->files.count);
    /* the serial of every result that stays: an adopted one keeps its own,
     * one computed afresh gets a new one */
    for (uint32_t i = 0; i < s->mod_count; i++) {
        Module *m = s->mods[i];
        if (!ok || !m->live_lent)
            m->lv->serial = ok && usable(m) ? ++L->next_serial : 0;
    }
    for (uint32_t i = 0; ok && i < s->mod_count; i++)
        if (m_keeps(s->mods[i]))
            record_dep_serials(s, s->mods[i]);
    for (uint32_t i = 0; i < s->mod_count; i++) {
        Module *m = s->mods[i];
        LiveFile *f = m->lv->file;
        if (m->live_lent) {         /* adopted: the arena goes back unchanged */
            f->keep = m->keep;
            memset(&m->keep, 0, sizeof m->keep);
            f->lent = false;
            m->live_lent = false;
            if (ok && m->stamp.set)
                f->stamp = m->stamp;
            if (ok)
                set_dep_serials(f, m);
            if (have_next && !f->taken) {
                MapSlot *e = map_find_slot(&L->files, f->path, str_hash(f->path));
                if (e)
                    map_remove(&L->files, e);
                map_put(&next, f->path, str_hash(f->path), f);
                f->taken = true;
            }
            module_release(m);
            continue;
        }
        if (!ok || !have_next || !usable(m)) {
            mem_free(m->lv->dep_serials);
            m->lv->dep_serials = NULL;
            module_release(m);
            continue;
        }
        char buf[PATH_MAX + 2];
        uint64_t h = 0;
        if (!live_normalize(m->path, buf, sizeof buf) || map_get(&next, buf, h = str_hash(buf))) {
            mem_free(m->lv->dep_serials);   /* (the same path twice: keep one) */
            m->lv->dep_serials = NULL;
            module_release(m);
            continue;
        }
        MapSlot *e = map_find_slot(&L->files, buf, h);
        f = e ? e->value : NULL;
        if (e)
            map_remove(&L->files, e);
        if (f) {
            file_release(f);
        } else {
            f = mem_calloc(1, sizeof *f);
            char *path = f ? normalized_copy(buf) : NULL;
            if (!path) {
                mem_free(f);
                mem_free(m->lv->dep_serials);
                m->lv->dep_serials = NULL;
                module_release(m);
                continue;
            }
            f->path = path;
        }
        if (!file_take(s, f, m)) {
            mem_free(m->lv->dep_serials);
            m->lv->dep_serials = NULL;
            file_free(f);
            continue;
        }
        f->serial = m->lv->serial;
        set_dep_serials(f, m);
        f->taken = true;
        map_put(&next, f->path, h, f);
    }
    /* what is left: files no longer in the build (after a failed run: all
     * entries stay) */
    for (uint32_t i = 0; L->files.slots && i <= L->files.mask; i++) {
        MapSlot *e = &L->files.slots[i];
        if (!e->key || e->key == TOMB)
            continue;
        LiveFile *f = e->value;
        if (!ok && have_next && !f->taken)
            map_put(&next, f->path, e->hash, f);
        else if (!f->taken)
            file_free(f);
    }
    map_free(&L->files);
    L->files = next;
    for (uint32_t i = 0; L->files.slots && i <= L->files.mask; i++)
        if (L->files.slots[i].key && L->files.slots[i].key != TOMB)
            ((LiveFile *)L->files.slots[i].value)->taken = false;
}

void live_end_run(CoordSession *s, bool ok)
{
    Live *L = s->live;
    if (!L)
        return;
    L->prev_ok = ok;
    if (!ok)
        return;
    for (uint32_t i = 0; L->notified.slots && i <= L->notified.mask; i++)
        if (L->notified.slots[i].key && L->notified.slots[i].key != TOMB)
            mem_free(L->notified.slots[i].value);
    map_free(&L->notified);
}

bool live_unchanged(const CoordSession *s)
{
    const Live *L = s->live;
    return s->opts.no_rescan && L && L->prev_ok && L->notified.count == 0 &&
           !s->internal_failure;    /* (E0901/E0902: a cold run computes it again) */
}

bool live_patchable(const CoordSession *s)
{
    const Live *L = s->live;
    return s->opts.no_rescan && L && L->prev_ok && L->notified.count > 0 &&
           !s->internal_failure && !s->opts.cache_verify;
}

/* ---- a repeated run: discovery again -------------------------------------- */

int live_rediscover(CoordSession *s)
{
    Live *L = s->live;
    if (!L)
        return 0;
    for (uint32_t i = 0; i < L->add_count; i++) {
        int rc = L->adds[i].search ? discover_search_dir(s, L->adds[i].path)
                                   : discover_root(s, L->adds[i].path);
        if (rc)
            return rc;
    }
    return live_add_overlays(s);
}

/* Overlay paths discovery did not find join the build (before any import
 * is resolved, as the file would in a cold run). */
int live_add_overlays(CoordSession *s)
{
    Live *L = s->live;
    if (!L || L->overlays.count == 0)
        return 0;
    uint32_t missing = L->overlays.count;
    bool *found = co_alloc(s, (L->overlays.mask + 1) * sizeof *found);
    memset(found, 0, (L->overlays.mask + 1) * sizeof *found);
    for (uint32_t i = 0; i < s->mod_count && missing; i++) {
        char buf[PATH_MAX + 2];
        if (!live_normalize(s->mods[i]->path, buf, sizeof buf))
            continue;
        MapSlot *e = map_find_slot(&L->overlays, buf, str_hash(buf));
        if (e && !found[e - L->overlays.slots]) {
            found[e - L->overlays.slots] = true;
            missing--;
        }
    }
    for (uint32_t i = 0; missing && i <= L->overlays.mask; i++) {
        MapSlot *e = &L->overlays.slots[i];
        if (e->key && e->key != TOMB && !found[i])
            discover_overlay_path(s, ((Overlay *)e->value)->path);
    }
    return 0;
}

/* ---- classification at the first dispatch ---------------------------------- */

static bool same_key(CacheKey a, CacheKey b) { return a.hi == b.hi && a.lo == b.lo; }

static CacheKey text_key(const Module *m, const char *text, uint32_t len)
{
    CacheKey k;
    uint64_t seed = hash_bytes(m->name, strlen(m->name));
    hash_bytes128(text, len, seed, &k.hi, &k.lo);
    return k;
}

static void adopt(CoordSession *s, Module *m, LiveFile *f)
{
    m->keep = f->keep;
    memset(&f->keep, 0, sizeof f->keep);
    f->lent = true;
    m->live_lent = true;
    m->lv->serial = f->serial;
    m->src = f->src;
    m->src_len = f->src_len;
    m->lines = f->lines;
    m->keyed = true;
    m->key = f->key;
    m->cand_count = 1;
    m->cands = &f->res;
    m->entries = NULL;
    m->iface = f->res.iface;
    m->iface_fp = f->res.iface_fp;
    m->phase_reports[TASK_PARSE] = f->res.reports[TASK_PARSE];
}

static bool stamp_holds(const FileStamp *a, const struct stat *st)
{
    int64_t mt = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
    int64_t ct = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
    if (!a->set || !S_ISREG(st->st_mode) || a->mtime_ns != mt || a->ctime_ns != ct ||
        a->size != (uint64_t)st->st_size || a->ino != (uint64_t)st->st_ino ||
        a->dev != (uint64_t)st->st_dev)
        return false;
    /* racy: changed in the same clock tick as (or after) the read began */
    return (mt > ct ? mt : ct) + LIVE_RACY_NS < a->read_ns;
}

/* Whether path or a directory above it was notified. */
static bool notified(const Live *L, const char *norm)
{
    if (L->notified.count == 0)
        return false;
    char buf[PATH_MAX + 2];
    size_t n = strlen(norm);
    memcpy(buf, norm, n + 1);
    for (;;) {
        if (map_get(&L->notified, buf, str_hash(buf)))
            return true;
        char *slash = strrchr(buf, '/');
        if (!slash || slash == buf)
            return false;
        *slash = '\0';
    }
}

bool live_idle(const CoordSession *s)
{
    const Live *L = s->live;
    return !L || (L->files.count == 0 && L->overlays.count == 0);
}

/* A module's session-tier fields, zeroed, in the session arena. */
static ModuleLive *module_live_alloc(CoordSession *s)
{
    ModuleLive *lv = co_alloc(s, sizeof *lv);
    memset(lv, 0, sizeof *lv);
    return lv;
}

int live_dispatch(CoordSession *s, Module *m)
{
    Live *L = s->live;
    m->live_mode = LIVE_FRESH;
    if (!L || (L->files.count == 0 && L->overlays.count == 0))
        return LIVE_FRESH;
    if (!m->lv)     /* a session that runs once, with overlays (no patch run
                     * rewinds its arena) */
        m->lv = module_live_alloc(s);
    char buf[PATH_MAX + 2];
    if (!live_normalize(m->path, buf, sizeof buf))
        return LIVE_FRESH;
    uint64_t h = str_hash(buf);
    LiveFile *f = map_get(&L->files, buf, h);
    if (f && f->lent)
        f = NULL;                   /* another module of this run has it */
    m->lv->file = f;
    const Overlay *o = L->overlays.count ? map_get(&L->overlays, buf, h) : NULL;
    if (o) {
        const char *text = o->text;
        uint32_t len = o->len;
        if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
            text += 3;          /* a byte-order mark, as the file read skips it */
            len -= 3;
        }
        m->lv->overlay = text;
        m->lv->overlay_len = len;
        m->lv->overlay_key = text_key(m, text, len);
        if (f && same_key(f->key, m->lv->overlay_key)) {
            adopt(s, m, f);
            s->obs.lines += m->lines;
            return m->live_mode = LIVE_ADOPT;
        }
        return m->live_mode = LIVE_OVERLAY;
    }
    if (!f)
        return LIVE_FRESH;
    if (!f->stamp.set || notified(L, buf))
        return m->live_mode = LIVE_PROBE;
    if (!s->opts.no_rescan) {
        struct stat st;
        if (stat(m->path, &st) != 0 || !stamp_holds(&f->stamp, &st))
            return m->live_mode = LIVE_PROBE;
    }
    m->stamp = f->stamp;
    adopt(s, m, f);
    s->obs.lines += m->lines;
    return m->live_mode = LIVE_ADOPT;
}

/* The overlay's bytes for the parse task, in the module's own arena (the
 * overlay may be replaced before the results are read). */
const char *live_overlay_copy(CoordSession *s, Module *m)
{
    char *copy = arena_alloc(&m->keep, (size_t)m->lv->overlay_len + 1, 1);
    if (!copy)
        co_oom(s);
    memcpy(copy, m->lv->overlay, m->lv->overlay_len);
    copy[m->lv->overlay_len] = '\0';
    return copy;
}

/* An adopted result's record holds when every import gives the same kind
 * of input as recorded, the same interface fingerprint, and an artifact of
 * the very result the record last held against (same serial: the same
 * artifact, so the same fingerprints of every name): O(imports), no name
 * fingerprint computed.  Otherwise the local cache's rule decides
 * (cache_validate: every name's fingerprint). */
uint32_t live_validate(const CoordSession *s, const Module *m)
{
    const LiveFile *f = m->lv->file;
    const ModuleResult *c = &f->res;
    if (f->dep_serials && f->dep_count == m->import_count &&
        c->iface->import_count == m->import_count) {
        bool same = true;
        for (uint32_t i = 0; same && i < m->import_count; i++) {
            /* the same result of every import it read (dep_serials is 0
             * for an import without an artifact: then the names decide) */
            const ImportDep *d = &c->imports[i];
            uint32_t flags = import_flags(s, m, i);
            const Module *to = m->import_edge[i] != NONE ? s->mods[edge_at(s, m->import_edge[i])->to] : NULL;
            same = d->flags == flags &&
                   (!(flags & IMPORT_DEP_IFACE) ||
                    (to && to->lv->serial != 0 && to->lv->serial == f->dep_serials[i]));
        }
        if (same)
            return 0;
    }
    return cache_validate(s, m);
}

CacheKey live_probe_key(const Module *m)
{
    return m->lv->file->key;
}

void live_same_bytes(CoordSession *s, Module *m, const Result *r)
{
    LiveFile *f = m->lv->file;
    FileStamp stamp = r->stamp.set ? r->stamp : f->stamp;   /* unset: not read (manifest) */
    arena_free(&m->keep);           /* the bytes just read again */
    adopt(s, m, f);
    m->stamp = stamp;
}

/* m's bytes copied into a fresh arena (NULL when the manifest spared
 * reading them: its canonicalize task reads the file). */
static char *src_copy(CoordSession *s, Arena *fresh, const Module *m)
{
    if (!m->src)
        return NULL;
    char *copy = arena_alloc(fresh, (size_t)m->src_len + 1, 1);
    if (!copy) {
        arena_free(fresh);
        co_oom(s);
    }
    memcpy(copy, m->src, m->src_len);
    copy[m->src_len] = '\0';
    return copy;
}

void live_stale(CoordSession *s, Module *m)
{
    LiveFile *f = m->lv->file;
    Arena fresh;
    arena_init(&fresh, LIVE_KEEP_CHUNK, 0);
    char *copy = src_copy(s, &fresh, m);
    f->keep = m->keep;              /* the entry's result stays readable this run */
    f->lent = false;
    m->keep = fresh;
    m->live_lent = false;
    m->src = copy;
    m->cand_count = 0;              /* nothing of the entry is m's to release */
}

/* ---- a patch run ------------------------------------------------------------ */

static bool same_str(const NameIface *a, IStr x, const NameIface *b, IStr y)
{
    if (x == ISTR_NONE || y == ISTR_NONE)
        return x == y;
    return strcmp(iface_str(a, x), iface_str(b, y)) == 0;
}

/* Everything discovery, the graph, the cycle pass and the coordinator's own
 * reports read of a module's interface: its declared name and where it is,
 * whether the header parsed, and each import line's module, where, and
 * whether it parsed. */
static bool same_header(const NameIface *a, const NameIface *b)
{
    if (a->header_broken != b->header_broken || a->module_start != b->module_start ||
        a->module_end != b->module_end || a->import_count != b->import_count ||
        !same_str(a, a->module, b, b->module))
        return false;
    for (uint32_t i = 0; i < a->import_count; i++) {
        const IfaceImport *x = &a->imports[i], *y = &b->imports[i];
        if (x->broken != y->broken || x->name_start != y->name_start ||
            x->name_end != y->name_end || !same_str(a, x->module, b, y->module))
            return false;
    }
    return true;
}

static void cand_free(PatchCand *c)
{
    arena_free(&c->keep);
    arena_free(&c->ast);
    arena_free(&c->ir);
}

void live_patch_abandon(CoordSession *s)
{
    Live *L = s->live;
    if (!L)
        return;
    for (uint32_t k = 0; k < L->cand_count; k++)
        cand_free(&L->cands[k]);
    L->cand_count = 0;
}

/* The first patch run over a module table: the path map, the ready rings,
 * the results' index; then the mark every patch run rewinds to. */
static void patch_prepare(CoordSession *s, Live *L)
{
    if (L->table_ready) {
        arena_rewind(&s->arena, L->mark);
        return;
    }
    map_free(&L->by_path);
    if (!map_reserve(&L->by_path, s->mod_count))
        co_oom(s);
    for (uint32_t i = 0; i < s->mod_count; i++) {
        Module *m = s->mods[i];
        size_t size = strlen(m->path) + 2;
        char *key = co_alloc(s, size);
        if (!live_normalize(m->path, key, size))
            continue;
        uint64_t h = str_hash(key);
        MapSlot *e = map_find_slot(&L->by_path, key, h);
        if (e)
            e->value = AMBIGUOUS;
        else
            map_put(&L->by_path, key, h, m);
    }
    actor_reserve_ready(s);
    results_index(s);
    for (uint32_t i = 0; i < s->mod_count; i++)
        s->mods[i]->cp_parsed = s->mods[i]->cp_end = 0;     /* done before the run */
    L->mark = arena_mark(&s->arena);
    L->table_ready = true;
}

/* The changed modules: one candidate per notified path, each a module of
 * the table whose interface the graph was built from.  False: not a patch. */
static bool patch_candidates(CoordSession *s, Live *L)
{
    if (L->cand_cap < L->notified.count) {
        PatchCand *more = mem_realloc(L->cands, L->notified.count * sizeof *more);
        if (!more)
            co_oom(s);
        L->cands = more;
        L->cand_cap = L->notified.count;
    }
    for (uint32_t i = 0; i <= L->notified.mask; i++) {
        const MapSlot *e = &L->notified.slots[i];
        if (!e->key || e->key == TOMB)
            continue;
        Module *m = map_get(&L->by_path, e->key, e->hash);
        if (!m || m == AMBIGUOUS || m->state != MS_DONE || !m->iface || m->dup_of != NONE ||
            m->self_iface || m->in_patch)
            return false;       /* a new file, a directory, a duplicate, E0403 ... */
        PatchCand *c = &L->cands[L->cand_count++];
        memset(c, 0, sizeof *c);
        c->m = m;
        arena_init(&c->keep, LIVE_KEEP_CHUNK, 0);
        arena_init(&c->ast, ARENA_DEFAULT_CHUNK, 0);
        arena_init(&c->ir, ARENA_DEFAULT_CHUNK, 0);
        m->lv->patch_slot = L->cand_count - 1;
        m->in_patch = true;
    }
    return true;
}

static void cand_submit(CoordSession *s, PatchCand *c)
{
    Module *m = c->m;
    Task t;
    memset(&t, 0, sizeof t);
    t.kind = TASK_PARSE;
    t.module = m->id;
    t.keep = &c->keep;
    t.ast_arena = &c->ast;
    t.ir_arena = &c->ir;
    t.measure_cpu = s->obs.measure_cpu;
    t.path = m->path;
    t.name = m->name;
    uint32_t len;
    const char *text = live_overlay(s, m->path, &len);
    if (text) {
        if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
            text += 3;          /* a byte-order mark, as the file read skips it */
            len -= 3;
        }
        char *copy = arena_alloc(&c->keep, (size_t)len + 1, 1);
        if (!copy)
            co_oom(s);
        memcpy(copy, text, len);
        copy[len] = '\0';
        t.src = copy;
        t.src_len = len;
    }
    bool ok = runner_submit(s->runner, &t);
    assert(ok && "runner refused a task below its capacity");
    (void)ok;
}

/* Parses every candidate (tasks, as any parse). */
static void patch_parse(CoordSession *s, Live *L)
{
    uint32_t next = 0, got = 0;
    while (got < L->cand_count) {
        while (next < L->cand_count && runner_free_slots(s->runner) > 0)
            cand_submit(s, &L->cands[next++]);
        Result r;
        runner_wait(s->runner, &r);
        PatchCand *c = &L->cands[s->mods[r.module]->lv->patch_slot];
        c->r = r;
        c->got = true;
        got++;
    }
}

/* m's own result as a candidate, as the session would keep it (what its
 * imports gave it is what they give now: none of them changed since m
 * was checked, or m would have been checked again). */
static void own_result(CoordSession *s, Module *m)
{
    if (m->lv->patch_res)
        return;
    ModuleResult *r = arena_alloc(&m->keep, sizeof *r, _Alignof(ModuleResult));
    const ImportDep *imports = r ? import_deps_keep(s, m) : NULL;
    if (!imports)
        co_oom(s);
    memset(r, 0, sizeof *r);
    r->iface = m->iface;
    r->artifact = m->artifact;
    for (int p = 0; p < COORD_PHASE_COUNT; p++)
        r->reports[p] = m->phase_reports[p];
    r->lines = m->lines;
    r->iface_fp = m->iface_fp;
    r->imports = imports;
    r->deps = m->deps;
    m->lv->patch_res = r;
}

/* m's result stays readable this run in prev_keep (and the disk-cache
 * mappings it points into in prev_entries); what was there before goes. */
static void result_to_prev(Module *m)
{
    live_retire(m);
    m->lv->prev_keep = m->keep;
    m->lv->prev_entries = m->entries;
    m->lv->prev_entry_count = m->entries ? m->cand_count : 0;
}

/* m points at no candidate and no reused or own earlier result. */
static void forget_candidates(Module *m)
{
    m->cands = NULL;
    m->cand_count = 0;
    m->entries = NULL;
    m->reused = NULL;
    m->lv->patch_res = NULL;
}

/* m takes its candidate's parse: its previous result goes to its entry
 * (lent) or to prev_keep. */
static void patch_commit(CoordSession *s, PatchCand *c)
{
    Module *m = c->m;
    const Result *r = &c->r;
    /* (first: the one step that may run out of memory, before anything
     * moves from the candidate to the module) */
    PhaseArenas *p = module_phase_arenas(s, m);
    if (m->live_lent) {
        LiveFile *f = m->lv->file;
        f->keep = m->keep;
        f->lent = false;
        m->live_lent = false;
    } else {
        result_to_prev(m);
    }
    m->keep = c->keep;
    arena_free(&p->ast);
    arena_free(&p->ir);
    p->ast = c->ast;
    p->ir = c->ir;
    memset(&c->keep, 0, sizeof c->keep);
    memset(&c->ast, 0, sizeof c->ast);
    memset(&c->ir, 0, sizeof c->ir);
    m->src = r->src;
    m->src_len = r->src_len;
    m->lines = r->lines;
    m->keyed = true;
    m->key = r->key;
    m->stamp = r->stamp;
    m->ast = r->ast;
    m->iface = r->iface;
    m->iface_fp = r->iface_fp;
    memset(m->phase_reports, 0, sizeof m->phase_reports);
    m->phase_reports[TASK_PARSE] = r->reports;
    m->artifact = NULL;
    memset(&m->deps, 0, sizeof m->deps);
    m->ir = NULL;
    forget_candidates(m);
    m->lv->serial = 0;
}

bool live_patch_holds(const CoordSession *s, const Module *m)
{
    for (uint32_t i = 0; i < m->import_count; i++) {
        uint32_t e = m->import_edge[i];
        const Module *to = e == NONE ? NULL : s->mods[edge_at(s, e)->to];
        if (to && to->in_patch && to->ran_phase)
            return false;       /* computed again this run: the names decide */
    }
    return true;
}

ModuleLive *live_module_new(CoordSession *s)
{
    return s->opts.single_run ? NULL : module_live_alloc(s);
}

void live_retire(Module *m)
{
    if (!m->lv)
        return;
    for (uint32_t k = 0; k < m->lv->prev_entry_count; k++)
        cache_hold_release(&m->lv->prev_entries[k]);
    m->lv->prev_entries = NULL;
    m->lv->prev_entry_count = 0;
    arena_free(&m->lv->prev_keep);
}

void live_patch_stale(CoordSession *s, Module *m)
{
    Arena fresh;
    arena_init(&fresh, LIVE_KEEP_CHUNK, 0);
    char *copy = src_copy(s, &fresh, m);
    result_to_prev(m);
    m->keep = fresh;
    m->src = copy;
    forget_candidates(m);
}

int live_patch(CoordSession *s)
{
    Live *L = s->live;
    patch_prepare(s, L);
    bool ok = patch_candidates(s, L);
    if (ok)
        patch_parse(s, L);
    /* each candidate parsed; its header as before, else a full replay */
    uint32_t changed = 0;
    for (uint32_t k = 0; ok && k < L->cand_count; k++) {
        PatchCand *c = &L->cands[k];
        ok = c->r.kind == RESULT_PARSED && same_header(c->m->iface, c->r.iface);
    }
    /* the modules to run again: the changed ones (bytes not those of their
     * result), then everything that imports them, directly or not */
    Module **list = co_alloc(s, (s->mod_count + 1) * sizeof *list);
    for (uint32_t k = 0; ok && k < L->cand_count; k++) {
        PatchCand *c = &L->cands[k];
        if (c->m->keyed && c->r.key.hi == c->m->key.hi && c->r.key.lo == c->m->key.lo) {
            c->m->in_patch = false;         /* the same bytes: its result stands */
            cand_free(c);
            continue;
        }
        list[changed++] = c->m;
        c->m->ran_phase = false;
        stats_on_result(s, c->m, &c->r);    /* its parse counts */
    }
    uint32_t n = changed;
    for (uint32_t k = 0; ok && k < n; k++) {
        for (uint32_t id = list[k]->first_in; id != NONE; id = edge_at(s, id)->next_in) {
            Module *x = s->mods[edge_at(s, id)->from];
            if (x->in_patch)
                continue;
            if (x->state != MS_DONE || x->failed || !x->artifact || !x->iface || !x->keyed ||
                x->self_iface || x->dup_of != NONE) {
                ok = false;             /* no result of its own to validate */
                break;
            }
            x->in_patch = true;
            list[n++] = x;
        }
    }
    for (uint32_t k = changed; ok && k < n; k++)
        if (!list[k]->live_lent)
            own_result(s, list[k]);
    if (!ok) {
        for (uint32_t k = 0; k < L->cand_count; k++)
            L->cands[k].m->in_patch = false;
        for (uint32_t k = changed; k < n; k++)
            list[k]->in_patch = false;
        live_patch_abandon(s);
        return 1;
    }
    for (uint32_t k = 0; k < L->cand_count; k++)
        if (L->cands[k].m->in_patch)
            patch_commit(s, &L->cands[k]);
    L->cand_count = 0;
    for (uint32_t k = changed; k < n; k++) {
        Module *m = list[k];
        m->ran_phase = false;
        m->reused = NULL;
        m->verify = NONE;
        if (m->live_lent) {
            m->cands = &m->lv->file->res;
            m->cand_count = 1;
        }
    }
    actor_run_patch(s, list, n, changed);
    uint64_t begin = worker_now_nanos();
    results_patch(s, list, n);
    s->obs.finish_ns = worker_now_nanos() - begin;
    for (uint32_t k = 0; k < n; k++) {
        Module *m = list[k];
        m->in_patch = false;
        if (m->ran_phase) {             /* computed again: a new result */
            m->lv->serial = 0;
            m->lv->patch_res = NULL;
        }
        m->cp_parsed = m->cp_end = 0;
    }
    return 0;
}
