/* discover — finding source files: PATH roots, lone files, -I directories,
 * and the lookup of an imported module name (LANGUAGE.md section 9).
 *
 * Invariants
 *   - A directory PATH is walked completely when it is added, in sorted
 *     (byte order) entry order, so module ids of its files do not depend on
 *     the order readdir returns them.  Every directory is entered at most once
 *     (its dev/inode is remembered), so symlink loops end.
 *   - The module table maps the name a file's path implies (relative to its
 *     root, `/` -> `.`, without `.kite`) to the module.  A second file of an
 *     already known name in another root is registered as a duplicate
 *     (dup_of, E0405 once its header is parsed) and never entered in the map.
 *     The same file reached twice (same dev/inode) is registered once.
 *   - Files are not read here (the parse task reads them), except the header
 *     of a lone file argument, whose module name decides its root before any
 *     import could need it.  Anything unreadable — a dangling symlink, a
 *     directory or a FIFO named x.kite — is registered all the same; its
 *     parse task reports E0001.  Nothing here opens a file without
 *     O_NONBLOCK, so a FIFO never blocks discovery.
 *   - A file argument must end in .kite (else a usage error): a lone file
 *     is a module, and only .kite files are modules.
 *   - A directory below a root that cannot be read (no permission, a path
 *     longer than PATH_MAX) fails coord_add_root with a `coord:` error, exit
 *     2 (out of descriptors: 3); it is never skipped, which would lose the
 *     reports of the modules in it.  What the walk registered before stays;
 *     the caller gives up on the session.
 *   - Directory roots never nest (compared by real path): one inside
 *     another is a usage error, whatever the argument order.
 *   - Lookup order for an import: the table; then the roots of lone files and
 *     then the -I directories, in the order given; the first hit wins.
 *     Directory roots need no search: every file under them is known.
 */
#include "coordinator/actor.h"

#include "base/hash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- name table ---------------------------------------------------------- */

/* A slot: the low 32 bits of the name's hash, its module's id + 1 (0:
 * empty) and its name (the module's).  A lookup reads the slot and the name
 * it compares: the loop resolves every import here, and each cache miss on
 * the way counts. */
typedef struct NameSlot { uint32_t hash, module; const char *name; } NameSlot;

uint32_t discover_name_hash(const char *name)
{
    return (uint32_t)hash_bytes(name, strlen(name));
}

void discover_prefetch(const CoordSession *s, uint32_t hash)
{
    if (s->name_slots)
        __builtin_prefetch(&s->name_slots[hash & s->name_mask]);
}

static uint32_t name_find(const CoordSession *s, const char *name, uint32_t h)
{
    if (!s->name_slots)
        return NONE;
    for (uint32_t i = h & s->name_mask;; i = (i + 1) & s->name_mask) {
        const NameSlot *e = &s->name_slots[i];
        if (e->module == 0)
            return NONE;
        if (e->hash == h && strcmp(e->name, name) == 0)
            return e->module - 1;
    }
}

static void name_place(NameSlot *slots, uint32_t mask, const NameSlot *e)
{
    uint32_t i = e->hash & mask;
    while (slots[i].module != 0)
        i = (i + 1) & mask;
    slots[i] = *e;
}

/* m's name is not in the table yet. */
static void name_insert(CoordSession *s, Module *m, uint32_t h)
{
    if (!s->name_slots || 2 * (s->name_count + 1) > s->name_mask + 1) {
        uint32_t size = s->name_slots ? 2 * (s->name_mask + 1) : 1024;
        NameSlot *slots = co_alloc(s, size * sizeof *slots);
        memset(slots, 0, size * sizeof *slots);
        for (uint32_t i = 0; s->name_slots && i <= s->name_mask; i++)
            if (s->name_slots[i].module != 0)
                name_place(slots, size - 1, &s->name_slots[i]);
        s->name_slots = slots;      /* the old array stays in the arena */
        s->name_mask = size - 1;
    }
    name_place(s->name_slots, s->name_mask, &(NameSlot){ h, m->id + 1, m->name });
    s->name_count++;
}

/* ---- files already seen (dev, inode) ------------------------------------- */

typedef struct SeenFile { dev_t dev; ino_t ino; bool used; } SeenFile;

static SeenFile *seen_slot(SeenFile *slots, uint32_t mask, dev_t dev, ino_t ino)
{
    uint64_t key[2] = { (uint64_t)dev, (uint64_t)ino };
    uint32_t i = (uint32_t)hash_bytes(key, sizeof key) & mask;
    while (slots[i].used && !(slots[i].dev == dev && slots[i].ino == ino))
        i = (i + 1) & mask;
    return &slots[i];
}

/* true when new (and remembers it) */
static bool seen_add(CoordSession *s, const struct stat *st)
{
    if (!s->seen || (s->seen_count + 1) * 2 > s->seen_mask + 1) {
        uint32_t old_size = s->seen ? s->seen_mask + 1 : 0;
        uint32_t size = old_size ? old_size * 2 : 256;
        SeenFile *slots = co_alloc(s, size * sizeof *slots);
        memset(slots, 0, size * sizeof *slots);
        for (uint32_t i = 0; i < old_size; i++)
            if (s->seen[i].used)
                *seen_slot(slots, size - 1, s->seen[i].dev, s->seen[i].ino) = s->seen[i];
        s->seen = slots;
        s->seen_mask = size - 1;
    }
    SeenFile *slot = seen_slot(s->seen, s->seen_mask, st->st_dev, st->st_ino);
    if (slot->used)
        return false;
    *slot = (SeenFile){ st->st_dev, st->st_ino, true };
    s->seen_count++;
    return true;
}

/* ---- modules ------------------------------------------------------------- */

#define KEEP_CHUNK (4u * 1024u)
#define WALK_TMP_CHUNK (16u * 1024u)   /* the walk's scratch (walk) */
#define NAME_BLOCK 4096u                /* (name_copy) */

/* A copy of a module's name, packed with the other names in blocks of the
 * session arena rather than beside its Module: the loops over names (the
 * table's lookups, results_collect's order of the checked modules) then
 * read a few cache lines for many names, not one line (and page) each. */
static const char *name_copy(CoordSession *s, const char *name)
{
    size_t n = strlen(name) + 1;
    if (n > NAME_BLOCK / 4)
        return co_strdup(s, name);
    if ((size_t)(s->names_end - s->names_at) < n) {
        s->names_at = co_alloc(s, NAME_BLOCK);
        s->names_end = s->names_at + NAME_BLOCK;
    }
    char *p = s->names_at;
    memcpy(p, name, n);
    s->names_at += n;
    return p;
}

static Module *new_module(CoordSession *s, const char *name, const char *path, uint32_t root)
{
    s->mods = co_grow(s, s->mods, s->mod_count, &s->mod_cap, sizeof *s->mods, 64);
    Module *m = arena_alloc(&s->arena, sizeof *m, MODULE_ALIGN);
    memset(m, 0, sizeof *m);
    m->id = s->mod_count;
    m->name = name_copy(s, name);
    m->path = co_strdup(s, path);
    m->root = root;
    m->dup_of = NONE;
    m->verify = NONE;
    m->first_in = NONE;
    m->seq_slot = NONE;
    m->state = MS_DISCOVERED;   /* its first state; the actor admits it */
    arena_init(&m->keep, KEEP_CHUNK, 0);
    m->lv = live_module_new(s);
    s->mods[s->mod_count++] = m;
    return m;
}

Module *discover_module(CoordSession *s, const char *name, const char *path, uint32_t root)
{
    uint32_t h = discover_name_hash(name);
    uint32_t known = name_find(s, name, h);
    Module *m = new_module(s, name, path, root);
    if (known == NONE)
        name_insert(s, m, h);
    else
        m->dup_of = known;
    return m;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* "A/B.kite" -> "A.B", in `into` (new_module copies it into the session
 * arena) */
static char *name_from_rel(Arena *into, const char *rel)
{
    char *name = arena_strndup(into, rel, strlen(rel));
    size_t n = strlen(name);
    if (n > 5 && ends_with(name, ".kite"))
        name[n - 5] = '\0';
    for (char *p = name; *p; p++)
        if (*p == '/')
            *p = '.';
    return name;
}

/* "A.B" -> "A/B.kite" */
static char *rel_from_name(CoordSession *s, const char *name)
{
    char *rel = co_printf(s, "%s.kite", name);
    for (char *p = rel; p[5]; p++)
        if (*p == '.')
            *p = '/';
    return rel;
}

/* dir/rel, in `into` */
static char *join_in(Arena *into, const char *dir, const char *rel)
{
    if (strcmp(dir, ".") == 0 && rel[0])
        return arena_strndup(into, rel, strlen(rel));
    return arena_printf(into, "%s/%s", dir, rel);
}

static char *join(CoordSession *s, const char *dir, const char *rel)
{
    return join_in(&s->arena, dir, rel);
}

static uint32_t add_root(CoordSession *s, const char *dir, bool walked)
{
    for (uint32_t i = 0; i < s->root_count; i++)
        if (strcmp(s->roots[i].dir, dir) == 0 && s->roots[i].walked == walked)
            return i;
    s->roots = co_grow(s, s->roots, s->root_count, &s->root_cap, sizeof *s->roots, 8);
    Root *r = &s->roots[s->root_count];
    r->dir = co_strdup(s, dir);
    r->real = NULL;
    r->walked = walked;
    return s->root_count++;
}

/* A path without trailing slashes ("/" stays). */
static char *trim_slashes(CoordSession *s, const char *path)
{
    char *p = co_strdup(s, path);
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = '\0';
    return p;
}

/* A directory root whose walk is to come (discover_pending). */
typedef struct PendingWalk {
    uint32_t root;
    const char *dir;
    struct stat st;
} PendingWalk;

/* A directory entry as readdir gave it: d_type lets the walk skip stat()
 * for plain files and directories (most of a source tree). */
typedef struct DirEntry {
    char *name;
    unsigned char type;         /* DT_* */
    ino_t ino;
} DirEntry;

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const DirEntry *)a)->name, ((const DirEntry *)b)->name);
}

/* Modules found between two calls of the walk's pump (besides one call per
 * directory): a batch of loads' worth, so a worker never waits long. */
#define PUMP_EVERY 64u

/* tmp: where the module's name is made before new_module copies it */
static void register_file(CoordSession *s, uint32_t root, const char *path, const char *rel,
                          Arena *tmp)
{
    discover_module(s, name_from_rel(tmp, rel), path, root);
    if (s->walk_pump && s->mod_count - s->admitted >= PUMP_EVERY)
        s->walk_pump(s);
}

/* A directory that cannot be read (errno: why) fails the whole PATH: its
 * modules' errors would vanish otherwise.  Out of descriptors is the
 * compiler's trouble, not the invocation's.  Returns the exit status. */
static int dir_error(CoordSession *s, const char *dir, int err)
{
    size_t n = strlen(dir);
    if (err == EMFILE || err == ENFILE) {
        snprintf(s->error, sizeof s->error, "out of file descriptors while reading "
                 "directories (%s; raise the limit: ulimit -n)", strerror(err));
        return COORD_EXIT_INTERNAL;
    }
    if (n > 160)    /* a path deeper than PATH_MAX: its two ends say enough */
        snprintf(s->error, sizeof s->error, "cannot read directory '%.60s...%s': %s", dir,
                 dir + n - 90, strerror(err));
    else
        snprintf(s->error, sizeof s->error, "cannot read directory '%s': %s", dir,
                 strerror(err));
    return COORD_EXIT_USAGE;
}

/* Reads the entry names of `dir`, sorted, into the walk's scratch; NULL
 * (errno set) when it cannot be opened.  Allocation failure must not leak
 * the DIR, so the arena's jump target is parked while it is open. */
static DirEntry *list_dir(CoordSession *s, const char *dir, uint32_t *count_out)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    Arena *tmp = &s->walk_tmp;
    jmp_buf *saved = tmp->oom;
    arena_set_oom(tmp, NULL);
    uint32_t count = 0, cap = 16;
    DirEntry *names = ARENA_ARRAY(tmp, DirEntry, cap);
    struct dirent *de;
    while (names && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (count == cap) {
            DirEntry *more = ARENA_ARRAY(tmp, DirEntry, cap * 2);
            if (more)
                memcpy(more, names, count * sizeof *names);
            names = more;
            cap *= 2;
            if (!names)
                break;
        }
        char *copy = arena_strndup(tmp, de->d_name, strlen(de->d_name));
        if (!copy) {
            names = NULL;
            break;
        }
        names[count++] = (DirEntry){ copy, de->d_type, de->d_ino };
    }
    closedir(d);
    arena_set_oom(tmp, saved);
    if (!names)
        co_oom(s);
    qsort(names, count, sizeof *names, cmp_entry);
    *count_out = count;
    return names;
}

static int walk_dir(CoordSession *s, uint32_t root, const char *dir, dev_t dev,
                    const char *rel);

/* dev: the device of `dir` (a plain file's (dev, inode) is its directory's
 * device and its d_ino; only links, unknown types and directories, which
 * may be mount points, are stat()ed).  What the walk of a directory
 * allocates besides its modules (the listing, paths, names before
 * new_module copies them) is in the walk's scratch, given back when the
 * directory is done: every module's path and name would otherwise be
 * there three times, a fresh page's worth every 25 files. */
static int walk(CoordSession *s, uint32_t root, const char *dir, dev_t dev, const char *rel)
{
    ArenaMark mark = arena_mark(&s->walk_tmp);
    int rc = walk_dir(s, root, dir, dev, rel);
    arena_rewind(&s->walk_tmp, mark);
    return rc;
}

static int walk_dir(CoordSession *s, uint32_t root, const char *dir, dev_t dev,
                    const char *rel)
{
    uint32_t count = 0;
    DirEntry *names = list_dir(s, dir, &count);
    if (!names)
        return dir_error(s, dir, errno);
    for (uint32_t i = 0; i < count; i++) {
        const char *name = names[i].name;
        bool kite = ends_with(name, ".kite") && strlen(name) > 5;
        if (names[i].type == DT_REG && !kite)
            continue;
        const char *path = join_in(&s->walk_tmp, dir, name);
        const char *sub = rel[0] ? arena_printf(&s->walk_tmp, "%s/%s", rel, name) : name;
        struct stat st;
        if (names[i].type == DT_REG) {
            st.st_dev = dev;
            st.st_ino = names[i].ino;
            st.st_mode = S_IFREG;
        } else if (stat(path, &st) != 0) {
            if (kite)
                register_file(s, root, path, sub, &s->walk_tmp);     /* dangling: E0001 */
            else if (errno != ENOENT && errno != ELOOP)
                return dir_error(s, path, errno);      /* e.g. deeper than PATH_MAX */
            continue;                                  /* a dangling link, a loop */
        }
        if (S_ISDIR(st.st_mode)) {
            int rc = 0;
            if (kite)
                register_file(s, root, path, sub, &s->walk_tmp);     /* a directory x.kite: E0001 */
            else if (seen_add(s, &st))
                rc = walk(s, root, path, st.st_dev, sub);
            if (rc)
                return rc;
            continue;
        }
        if (kite && seen_add(s, &st))
            register_file(s, root, path, sub, &s->walk_tmp);
    }
    if (s->walk_pump && s->mod_count > s->admitted)
        s->walk_pump(s);
    return 0;
}

static char *header_name_in(CoordSession *s, char *buf, ssize_t n);

/* The module name of a lone file's header ("module A.B exposing ..."), or
 * NULL when the file has no readable, well-formed header. */
static char *header_name(CoordSession *s, const char *path)
{
    char buf[16384];
    ssize_t n;
    uint32_t olen = 0;
    const char *overlay = live_overlay(s, path, &olen);
    if (overlay) {      /* coord_set_source: its text is the file's */
        n = olen < sizeof buf - 1 ? (ssize_t)olen : (ssize_t)sizeof buf - 1;
        memcpy(buf, overlay, (size_t)n);
        return header_name_in(s, buf, n);
    }
    /* O_NONBLOCK: a FIFO must not block the open (the parse task then
     * reports it: E0001 not a regular file) */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return NULL;
    }
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    return header_name_in(s, buf, n);
}

/* The header's module name in buf[0, n) (room for a NUL at n). */
static char *header_name_in(CoordSession *s, char *buf, ssize_t n)
{
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    const char *p = buf;
    if (n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        p += 3;     /* a byte-order mark, skipped as the parse task does */
    for (;;) {      /* whitespace and comments */
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (*p != '#')
            break;
        while (*p && *p != '\n')
            p++;
    }
    if (strncmp(p, "module", 6) != 0)
        return NULL;
    p += 6;
    if (!(*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        return NULL;
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        p++;
    const char *start = p;
    for (;;) {
        if (!(*p >= 'A' && *p <= 'Z'))
            return NULL;
        while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
               (*p >= '0' && *p <= '9') || *p == '_')
            p++;
        if (*p != '.')
            break;
        p++;
    }
    char *name = co_alloc(s, (size_t)(p - start) + 1);
    memcpy(name, start, (size_t)(p - start));
    name[p - start] = '\0';
    return name;
}

/* st: NULL for an overlay path that is not on disk (coord_set_source) */
static void add_lone_file(CoordSession *s, const char *path, const struct stat *st)
{
    if (st && !seen_add(s, st))
        return;
    char *header = header_name(s, path);
    if (header) {
        const char *rel = rel_from_name(s, header);
        size_t n = strlen(path), k = strlen(rel);
        if (strcmp(path, rel) == 0) {
            discover_module(s, header, path, add_root(s, ".", false));
            return;
        }
        if (n > k && path[n - k - 1] == '/' && strcmp(path + n - k, rel) == 0) {
            char *dir = co_strdup(s, path);
            dir[n - k - 1] = '\0';
            discover_module(s, header, path, add_root(s, dir[0] ? dir : "/", false));
            return;
        }
    }
    /* no usable header, or it does not match the path (E0403 after parsing):
     * the file's own directory is its root and its base name its name */
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char *dir = slash ? co_strdup(s, path) : co_strdup(s, ".");
    if (slash)
        dir[slash - path] = '\0';
    discover_module(s, name_from_rel(&s->arena, base), path,
                    add_root(s, slash ? (dir[0] ? dir : "/") : ".", false));
}

/* Whether the real path `in` lies strictly below the real path `out`. */
static bool path_below(const char *in, const char *out)
{
    size_t n = strlen(out);
    if (strcmp(out, "/") == 0)
        return strcmp(in, "/") != 0;
    return strncmp(in, out, n) == 0 && in[n] == '/';
}

/* Nested source roots would give a file two names (src/Sub/A.kite is Sub.A
 * under src, A under src/Sub), and which one won would depend on the order
 * of the arguments: they are refused, whatever that order.  The same
 * directory twice is one root. */
static int check_nesting(CoordSession *s, const char *dir, const char *real)
{
    for (uint32_t i = 0; i < s->root_count; i++) {
        const Root *r = &s->roots[i];
        const char *inner = NULL, *outer = NULL;
        if (!r->real)
            continue;
        if (path_below(real, r->real)) {
            inner = dir;
            outer = r->dir;
        } else if (path_below(r->real, real)) {
            inner = r->dir;
            outer = dir;
        }
        if (inner) {
            snprintf(s->error, sizeof s->error,
                     "source root '%s' is inside source root '%s' (give only one of them)",
                     inner, outer);
            return COORD_EXIT_USAGE;
        }
    }
    return 0;
}

int discover_root(CoordSession *s, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(s->error, sizeof s->error, "cannot access '%s': %s", path, strerror(errno));
        return COORD_EXIT_USAGE;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (!ends_with(path, ".kite")) {
            snprintf(s->error, sizeof s->error,
                     "'%s' is neither a directory nor a .kite file", path);
            return COORD_EXIT_USAGE;
        }
        /* (after the walks of the roots before it, as their order says) */
        int rc = discover_pending(s);
        if (rc)
            return rc;
        add_lone_file(s, path, &st);
        return 0;
    }
    char *dir = trim_slashes(s, path);
    DIR *probe = opendir(dir);
    if (!probe)
        return dir_error(s, path, errno);
    closedir(probe);
    char real_buf[PATH_MAX];
    if (!realpath(dir, real_buf))
        return dir_error(s, path, errno);
    char *real = co_strdup(s, real_buf);
    int rc = check_nesting(s, dir, real);
    if (rc)
        return rc;
    uint32_t root = add_root(s, dir, true);
    s->roots[root].real = real;
    s->pending_walks = co_grow(s, s->pending_walks, s->pending_count, &s->pending_cap,
                               sizeof *s->pending_walks, 4);
    s->pending_walks[s->pending_count++] = (PendingWalk){ root, dir, st };
    /* coord check walks when coord_run has started the workers */
    return s->opts.single_run && !s->ran ? 0 : discover_pending(s);
}

int discover_pending(CoordSession *s)
{
    /* The walk's scratch runs out of memory as the session arena does (a
     * jump out of the protected call leaves its chunks to the session's
     * end); it is empty between walks. */
    if (s->walk_tmp.chunk_size == 0)
        arena_init(&s->walk_tmp, WALK_TMP_CHUNK, 0);
    arena_set_oom(&s->walk_tmp, s->arena.oom);
    int rc = 0;
    for (uint32_t i = 0; i < s->pending_count && rc == 0; i++) {
        const PendingWalk *w = &s->pending_walks[i];
        if (seen_add(s, &w->st))
            rc = walk(s, w->root, w->dir, w->st.st_dev, "");
    }
    s->pending_count = 0;
    arena_set_oom(&s->walk_tmp, NULL);
    arena_free(&s->walk_tmp);
    return rc;
}

int discover_search_dir(CoordSession *s, const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(s->error, sizeof s->error, "cannot access directory '%s': %s", dir,
                 stat(dir, &st) != 0 ? strerror(errno) : "Not a directory");
        return COORD_EXIT_USAGE;
    }
    s->search = co_grow(s, s->search, s->search_count, &s->search_cap, sizeof *s->search, 8);
    Root *r = &s->search[s->search_count++];
    r->dir = trim_slashes(s, dir);
    r->walked = false;
    return 0;
}

static uint32_t try_dir(CoordSession *s, const char *dir, const char *rel, const char *name,
                        uint32_t root)
{
    const char *path = join(s, dir, rel);
    struct stat st;
    uint32_t olen;
    if (lstat(path, &st) != 0)
        return live_overlay(s, path, &olen) ? discover_module(s, name, path, root)->id : NONE;
    if (stat(path, &st) == 0)
        seen_add(s, &st);
    return discover_module(s, name, path, root)->id;
}

uint32_t discover_lookup(CoordSession *s, const char *name)
{
    return discover_lookup_hashed(s, name, discover_name_hash(name));
}

uint32_t discover_lookup_hashed(CoordSession *s, const char *name, uint32_t hash)
{
    uint32_t id = name_find(s, name, hash);
    if (id != NONE)
        return id;
    const char *rel = rel_from_name(s, name);
    for (uint32_t i = 0; i < s->root_count; i++) {
        if (s->roots[i].walked)
            continue;
        if ((id = try_dir(s, s->roots[i].dir, rel, name, i)) != NONE)
            return id;
    }
    for (uint32_t i = 0; i < s->search_count; i++) {
        if ((id = try_dir(s, s->search[i].dir, rel, name, NONE)) != NONE)
            return id;
    }
    return NONE;
}

/* Whether the normalized `path` lies below the directory `dir` (as given);
 * *rel: the rest of path. */
static bool norm_below(const char *path, const char *dir, const char **rel)
{
    char buf[PATH_MAX + 2];
    if (!live_normalize(dir, buf, sizeof buf))
        return false;
    size_t n = strlen(buf);
    if (strcmp(buf, ".") == 0 && path[0] != '/')
        *rel = path;
    else if (strncmp(path, buf, n) == 0 && (path[n] == '/' || (n == 1 && buf[0] == '/')))
        *rel = path + (path[n] == '/' ? n + 1 : n);
    else
        return false;
    for (const char *p = *rel; *p;) {     /* no ".." on the way down */
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return false;
        p += len + (e ? 1 : 0);
    }
    return true;
}

/* An overlay (coord_set_source) whose path discovery did not find: below a
 * directory root it is a file of that root, as the walk would have found
 * it; below a lone file's root or an -I directory it is found when
 * imported (try_dir); anywhere else it is a lone file argument. */
void discover_overlay_path(CoordSession *s, const char *path)
{
    const char *rel;
    for (uint32_t i = 0; i < s->root_count; i++) {
        if (!norm_below(path, s->roots[i].dir, &rel))
            continue;
        if (s->roots[i].walked)
            register_file(s, i, join(s, s->roots[i].dir, rel), rel, &s->arena);
        return;
    }
    for (uint32_t i = 0; i < s->search_count; i++)
        if (norm_below(path, s->search[i].dir, &rel))
            return;
    add_lone_file(s, path, NULL);
}
