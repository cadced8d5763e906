/* cache — the coordinator's side of the result cache (DESIGN.md section 7):
 * opening the store, what a module's phases were given by its imports, the
 * validation of a loaded module's candidate results, and `coord cache`.
 *
 * Invariants
 *   - Runs on the coordinator thread only.  The cache's file I/O and the
 *     hashing of sources run in tasks on the workers: the load task (lookup)
 *     and the typecheck task (publishing the finished result).  Those two
 *     task kinds and cache_validate are the only places results are looked
 *     up or stored, so another tier (a remote cache) plugs in there.
 *   - What the phases of module M were given by import i is a function of
 *     the import graph and of finished modules only (import_iface,
 *     import_artifact), so the dependency record written after M's check
 *     and the one compared when M is loaded describe the same thing.
 *   - A candidate is valid when, for every import, the same kind of input
 *     was given (interface or not, with a broken header or not, artifact or
 *     not), every name canonicalize looked up has the recorded fingerprint
 *     in the import's current interface, and every name typecheck looked up
 *     has the recorded fingerprint in the import's current artifact — which
 *     may itself have been reused or recomputed this run (early cutoff).
 *     O(the candidate's dependencies) lookups by name; no phase is re-run
 *     to decide.
 *   - Mappings of loaded entries stay until the session ends: a reused
 *     interface or artifact may be read by any later task.
 */
#include "coordinator/actor.h"

#include "base/mem.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const NameIface *import_iface(const CoordSession *s, const Module *m, uint32_t i)
{
    uint32_t e = m->import_edge[i];
    return e == NONE ? NULL : s->mods[edge_at(s, e)->to]->iface;
}

const Artifact *import_artifact(const CoordSession *s, const Module *m, uint32_t i)
{
    uint32_t e = m->import_edge[i];
    const Module *to = e == NONE ? NULL : s->mods[edge_at(s, e)->to];
    return (!to || edge_at(s, e)->in_cycle || to->failed) ? NULL : to->artifact;
}

/* The remote tier: only behind a local cache (what it fetches is stored
 * there).  No I/O here: connections are made by the tasks that use them. */
static void remote_open_tier(CoordSession *s)
{
    const char *url = s->opts.remote_cache;
    if (!url)
        url = getenv("COORD_REMOTE_CACHE");
    if (!url || !*url || !s->cache || s->remote)
        return;
    RemoteConfig cfg;
    memset(&cfg, 0, sizeof cfg);
    char err[300];
    if (remote_parse_url(url, &cfg, err, sizeof err) != 0) {
        snprintf(s->remote_warning, sizeof s->remote_warning, "%s; checking without it", err);
        return;
    }
    cfg.timeout_ms = s->opts.remote_timeout_ms;
    cfg.ttl_s = s->opts.remote_ttl_s;
    cfg.readonly = s->opts.remote_readonly;
    cfg.build_id = coord_build_id();
    s->remote = remote_open(&cfg);
    if (!s->remote)     /* before the protected run: no co_oom here */
        snprintf(s->remote_warning, sizeof s->remote_warning,
                 "%s: out of memory; checking without it", url);
}

/* The manifest of this run's shape: the working directory, the roots and
 * the -I directories as given (their paths are the modules' paths). */
static void manifest_open_for(CoordSession *s)
{
    char cwd[PATH_MAX];
    if (!s->cache || !getcwd(cwd, sizeof cwd))
        return;
    uint64_t shape = manifest_shape(cwd);
    for (uint32_t i = 0; i < s->root_count; i++)
        shape = manifest_shape_add(shape, s->roots[i].walked ? 'R' : 'F', s->roots[i].dir);
    for (uint32_t i = 0; i < s->search_count; i++)
        shape = manifest_shape_add(shape, 'I', s->search[i].dir);
    s->manifest_shape = shape;
    s->manifest = manifest_open(cache_store_vfd(s->cache), shape);
}

/* Writes this run's manifest when it read a source or knows a different
 * set of files: one record per module whose stat data may be trusted. */
static void manifest_write_for(CoordSession *s)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < s->mod_count; i++)
        n += s->mods[i]->keyed && s->mods[i]->recordable;
    if (!s->manifest_dirty && n == manifest_count(s->manifest))
        return;
    ManifestRec *recs = mem_alloc((size_t)(n + 1) * sizeof *recs);
    if (!recs)
        return;                     /* the next run reads again: only slower */
    uint64_t k = 0;
    for (uint32_t i = 0; i < s->mod_count; i++) {
        const Module *m = s->mods[i];
        if (!m->keyed || !m->recordable)
            continue;
        recs[k++] = (ManifestRec){ m->path, m->mstat, m->key, m->src_len, m->lines };
    }
    manifest_write(cache_store_vfd(s->cache), s->manifest_shape, recs, k);
    mem_free(recs);
}

void cache_note_stat(CoordSession *s, Module *m, const Result *r)
{
    m->mstat = r->mstat;
    m->recordable = r->recordable;
    if (r->unread)
        s->cache_obs.unread++;
    else
        s->manifest_dirty = true;
}

void cache_open(CoordSession *s)
{
    if (!s->opts.cache || s->cache)     /* open already: a repeated run */
        return;
    char err[512];
    if (cache_store_open(s->opts.cache_dir, s->opts.cache_max, coord_build_id(), &s->cache,
                         err, sizeof err) != 0) {
        s->cache = NULL;
        snprintf(s->cache_warning, sizeof s->cache_warning, "%s; checking without the cache", err);
    }
    manifest_open_for(s);
    remote_open_tier(s);
}

/* A repeated run (a live session's full replay) starts with the run state
 * reset, the store still open: the manifest of its roots is opened again
 * once they are replayed, so its loads may use it and the run writes it
 * under its own shape (not under shape 0). */
void cache_manifest_reopen(CoordSession *s)
{
    if (s->cache && !s->manifest)
        manifest_open_for(s);
}

/* A connection for a load or typecheck task (NULL: none; the task runs
 * without the remote).  Taken from the free ones, else made (no I/O).
 * Writes queued on a connection travel with it; cache_finish sends what is
 * left on them at the end of the run. */
RemoteConn *cache_remote_take(CoordSession *s, bool write)
{
    if (!s->remote || !remote_enabled(s->remote) || (write && s->opts.remote_readonly))
        return NULL;
    if (s->remote_free_count)
        return s->remote_free[--s->remote_free_count];
    RemoteConn **grown = mem_realloc(s->remote_free, (s->remote_conn_count + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    s->remote_free = grown;
    RemoteConn *c = remote_conn_new(s->remote);
    if (c)
        s->remote_conn_count++;
    return c;
}

/* Sends the writes still queued on every connection (all are free: no task
 * is in flight), on this thread, counted like the tasks' own. */
static void remote_flush_all(CoordSession *s)
{
    for (uint32_t i = 0; i < s->remote_free_count; i++)
        remote_flush(s->remote_free[i], &s->remote_obs);
}

static void remote_close_tier(CoordSession *s)
{
    remote_flush_all(s);        /* none left after cache_finish */
    for (uint32_t i = 0; i < s->remote_free_count; i++)
        remote_conn_free(s->remote_free[i]);
    mem_free(s->remote_free);
    s->remote_free = NULL;
    s->remote_free_count = s->remote_conn_count = 0;
    remote_close(s->remote);
    s->remote = NULL;
}

void cache_close(CoordSession *s)
{
    remote_close_tier(s);
    for (uint32_t i = 0; i < s->mod_count; i++) {
        Module *m = s->mods[i];
        for (uint32_t k = 0; m->entries && k < m->cand_count; k++)
            cache_hold_release(&m->entries[k]);
        m->cand_count = 0;
    }
    manifest_close(s->manifest);
    s->manifest = NULL;
    cache_store_close(s->cache);
    s->cache = NULL;
}

/* After the run: counters, and the trim of a cache pushed over its bound. */
void cache_finish(CoordSession *s)
{
    if (!s->cache)
        return;
    /* This run's entries become one pack (also rewriting packs in which a
     * lookup rejected an entry), then the bound is enforced. */
    uint64_t removed = 0;
    if (cache_store_publish(s->cache) != 0 && s->cache_obs.written > 0 && !s->cache_warning[0])
        snprintf(s->cache_warning, sizeof s->cache_warning,
                 "cannot write results into the cache %s; they were not saved",
                 cache_store_dir(s->cache));
    if (s->cache_obs.written > 0)
        cache_store_maybe_trim(s->cache, &removed);
    remote_flush_all(s);        /* the computed results still queued */
    manifest_write_for(s);
    if (s->remote && !s->remote_warning[0])
        remote_warning(s->remote, s->remote_warning, sizeof s->remote_warning);
}

void cache_count(CoordSession *s, const Result *r)
{
    s->cache_obs.corrupt += r->cache.corrupt;
    s->cache_obs.written += r->cache.written;
    s->cache_obs.bytes_read += r->cache.bytes_read;
    s->cache_obs.bytes_written += r->cache.bytes_written;
    if (r->remote)              /* the connection comes back (capacity: one per task) */
        s->remote_free[s->remote_free_count++] = r->remote;
    RemoteCounters *o = &s->remote_obs;
    const RemoteCounters *c = &r->remote_cnt;
    o->hits += c->hits;
    o->misses += c->misses;
    o->errors += c->errors;
    o->written += c->written;
    o->bytes_read += c->bytes_read;
    o->bytes_written += c->bytes_written;
    o->wait_ns += c->wait_ns;
    o->corrupt += c->corrupt;
    o->round_trips += c->round_trips;
    if (r->write_failed && !s->cache_warning[0])
        snprintf(s->cache_warning, sizeof s->cache_warning,
                 "cannot write results into the cache %s; they were not saved",
                 cache_store_dir(s->cache));
}

/* How import i is given to the phases of m (result.h ImportDep). */
uint32_t import_flags(const CoordSession *s, const Module *m, uint32_t i)
{
    const NameIface *f = import_iface(s, m, i);
    uint32_t flags = 0;
    if (f)
        flags |= IMPORT_DEP_IFACE | (f->header_broken ? IMPORT_DEP_HEADER_BROKEN : 0u);
    if (import_artifact(s, m, i))
        flags |= IMPORT_DEP_ARTIFACT;
    return flags;
}


/* One remembered fingerprint (CoordSession.fp_memo).  A run's artifacts
 * stay where they are until it ends, so (artifact, kind, index) names one
 * definition for the whole run; the table is cleared when a run begins, and
 * a slot also holds its artifact's interface hash, in case a session frees
 * an artifact during a run and another is made at the same address. */
typedef struct FpMemoSlot {
    const Artifact *art;
    uint64_t iface_hash;        /* the artifact's: an artifact freed and another
                                 * made at its address in one run is told apart */
    uint32_t kind, index;
    uint64_t fp;
} FpMemoSlot;

#define FP_MEMO_SLOTS 4096u

void cache_memo_begin(CoordSession *s)
{
    s->fp_memo = NULL;
    /* (not in a session's first run, where nothing can be reused: its 128
     * KiB would be fresh memory, a huge page cleared on this thread) */
    if (s->cache || (s->live && !live_idle(s))) {
        s->fp_memo = co_alloc(s, FP_MEMO_SLOTS * sizeof *s->fp_memo);
        memset(s->fp_memo, 0, FP_MEMO_SLOTS * sizeof *s->fp_memo);
    }
}

/* The memo's slot of (a, kind, i), holding its fingerprint: computed when
 * the slot held something else. */
static uint64_t memo_fp(const CoordSession *s, const Artifact *a, uint32_t kind, uint32_t i)
{
    uint64_t h = ((uint64_t)(uintptr_t)a ^ (uint64_t)kind << 32 ^ i) * 0x9e3779b97f4a7c15ull;
    FpMemoSlot *slot = &s->fp_memo[h >> 52];        /* 12 bits: FP_MEMO_SLOTS */
    uint64_t tag = artifact_interface_hash(a);
    if (slot->art != a || slot->iface_hash != tag || slot->kind != kind || slot->index != i) {
        slot->art = a;
        slot->iface_hash = tag;
        slot->kind = kind;
        slot->index = i;
        slot->fp = artifact_fingerprint_at(a, (DepKind)kind, i);
    }
    return slot->fp;
}

/* artifact_fingerprint(a, kind, name), remembered: the importers of a
 * module look up the same few names (a hub's exports thousands of times);
 * the name is found each time, its definition hashed once. */
static uint64_t dep_artifact_fp(const CoordSession *s, const Artifact *a, DepKind kind,
                                const char *name)
{
    uint32_t i = artifact_dep_index(a, kind, name);
    if (!s->fp_memo || i == UINT32_MAX)
        return artifact_fingerprint_at(a, kind, i);
    return memo_fp(s, a, (uint32_t)kind, i);
}

void cache_note_digest(Module *m, const Artifact *a, uint64_t d)
{
    if (d == 0 || !a)
        return;
    m->digest_of = a;
    m->digest_tag = artifact_interface_hash(a);
    m->digest = d;
}

/* artifact_deps_digest of module `to`'s artifact a, remembered in the
 * module (it hashes every export: never once per importer, and never
 * evicted by the names' memo; a live session may free an artifact and make
 * another at its address: the interface hash tells them apart): the one
 * noted from its entry or its typecheck, else hashed here. */
static uint64_t art_digest(Module *to, const Artifact *a)
{
    if (to->digest_of != a || to->digest_tag != artifact_interface_hash(a))
        cache_note_digest(to, a, artifact_deps_digest(a));
    return to->digest;
}

/* d's digests of import i of m, for d->flags (import_flags). */
static void import_digests(const CoordSession *s, const Module *m, uint32_t i, ImportDep *d)
{
    d->iface_digest = d->art_digest = 0;
    uint32_t e = m->import_edge[i];
    Module *to = e == NONE ? NULL : s->mods[edge_at(s, e)->to];
    if (d->flags & IMPORT_DEP_IFACE)        /* (to is then set) */
        d->iface_digest = iface_deps_digest(to->iface_fp);
    const Artifact *a = import_artifact(s, m, i);
    if (a)
        d->art_digest = art_digest(to, a);
}

/* What import i gives m's phases (flags) and the digests of it (result.h). */
ImportDep import_dep(const CoordSession *s, const Module *m, uint32_t i)
{
    ImportDep d;
    memset(&d, 0, sizeof d);
    d.flags = import_flags(s, m, i);
    import_digests(s, m, i, &d);
    return d;
}

static ImportDep *cache_import_deps(CoordSession *s, const Module *m)
{
    ImportDep *d = co_alloc(s, (m->import_count + 1) * sizeof *d);
    for (uint32_t i = 0; i < m->import_count; i++)
        d[i] = import_dep(s, m, i);
    return d;
}

static bool candidate_holds(const CoordSession *s, const Module *m, const ModuleResult *c)
{
    if (c->iface->import_count != m->import_count)
        return false;
    for (uint32_t i = 0; i < m->import_count; i++)
        if (c->imports[i].flags != import_flags(s, m, i))
            return false;
    /* The names of an import whose digest is the recorded one hold
     * without a lookup (deps.h); the list is sorted by import. */
    uint32_t at = NONE;
    bool same_iface = false, same_art = false;
    for (uint32_t k = 0; k < c->deps.count; k++) {
        const NameDep *d = &c->deps.items[k];
        if (d->import != at) {
            at = d->import;
            const ImportDep *rec = &c->imports[at];
            ImportDep now = { .flags = rec->flags };    /* (equal to import_flags: above) */
            import_digests(s, m, at, &now);
            same_iface = rec->iface_digest != 0 && rec->iface_digest == now.iface_digest;
            same_art = rec->art_digest != 0 && rec->art_digest == now.art_digest;
        }
        if (dep_kind_reads_iface(d->kind) ? same_iface : same_art)
            continue;
        const char *name = c->deps.strings + d->name;
        if (dep_kind_reads_iface(d->kind)) {
            const NameIface *f = import_iface(s, m, d->import);
            if (!f || iface_dep_fingerprint(f, (DepKind)d->kind, name) != d->fp)
                return false;
        } else {
            const Artifact *a = import_artifact(s, m, d->import);
            if (!a || dep_artifact_fp(s, a, (DepKind)d->kind, name) != d->fp)
                return false;
        }
    }
    return true;
}

uint32_t cache_validate(const CoordSession *s, const Module *m)
{
    for (uint32_t k = 0; k < m->cand_count; k++)
        if (candidate_holds(s, m, &m->cands[k]))
            return k;
    return NONE;
}

/* The typecheck task of a fresh module also publishes its result: what the
 * coordinator knows of it goes into the task (the task adds the artifact,
 * its reports and the names it looked up). */
void cache_prepare_store(CoordSession *s, Module *m, Task *t)
{
    if (!s->cache || !m->keyed || m->verify != NONE)
        return;
    ModuleResult *r = co_alloc(s, sizeof *r);
    memset(r, 0, sizeof *r);
    r->iface = m->iface;
    r->reports[TASK_PARSE] = m->phase_reports[TASK_PARSE];
    r->reports[TASK_CANON] = m->phase_reports[TASK_CANON];
    r->lines = m->lines;
    r->iface_fp = m->iface_fp;
    r->imports = cache_import_deps(s, m);
    t->cache = s->cache;
    t->key = m->key;
    t->result = r;
}

/* --cache-verify: the fresh result of a module whose candidate `verify` was
 * valid must equal it. */
bool cache_verify_matches(const Module *m)
{
    ModuleResult fresh = m->cands[m->verify];
    fresh.iface = m->iface;
    fresh.artifact = m->artifact;
    fresh.art_digest = 0;       /* hashed afresh, against the stored one */
    for (int p = 0; p < 3; p++)
        fresh.reports[p] = m->phase_reports[p];
    fresh.lines = m->lines;
    fresh.iface_fp = m->iface_fp;
    return result_digest(&fresh) == result_digest(&m->cands[m->verify]);
}

const char *coord_cache_warning(const CoordSession *s)
{
    return s->cache_warning;
}

const char *coord_remote_warning(const CoordSession *s)
{
    return s->remote_warning;
}

int coord_parse_size(const char *str, uint64_t *out)
{
    return cache_parse_size(str, out);
}

int coord_cache_command(const char *cmd, const char *dir_or_null, uint64_t max_or_0,
                        FILE *out, FILE *err)
{
    if (strcmp(cmd, "info") != 0 && strcmp(cmd, "trim") != 0 && strcmp(cmd, "clean") != 0)
        return COORD_EXIT_USAGE;
    char msg[512];
    CacheStore *c = NULL;
    if (cache_store_open(dir_or_null, max_or_0, coord_build_id(), &c, msg, sizeof msg) != 0) {
        fprintf(err, "coord: %s\n", msg);
        return COORD_EXIT_USAGE;
    }
    int rc = 0;
    uint64_t entries = 0, bytes = 0, removed = 0;
    if (strcmp(cmd, "info") == 0) {
        rc = cache_store_info(c, &entries, &bytes);
        if (rc == 0)
            fprintf(out, "directory: %s\nentries: %llu\nbytes: %llu\nbound: %llu\n", cache_store_dir(c),
                    (unsigned long long)entries, (unsigned long long)bytes,
                    (unsigned long long)cache_store_max(c));
    } else if (strcmp(cmd, "trim") == 0) {
        rc = cache_store_trim(c, cache_store_max(c), &removed);
        if (rc == 0)
            rc = cache_store_info(c, &entries, &bytes);
        if (rc == 0)
            fprintf(out, "removed: %llu\nentries: %llu\nbytes: %llu\n", (unsigned long long)removed,
                    (unsigned long long)entries, (unsigned long long)bytes);
    } else {
        rc = cache_store_clean(c);
    }
    if (rc != 0)
        fprintf(err, "coord: cannot %s the cache %s\n", cmd, cache_store_dir(c));
    cache_store_close(c);
    return rc == 0 ? COORD_EXIT_OK : COORD_EXIT_USAGE;
}
