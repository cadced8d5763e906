/* pool — arena chunks from huge-page regions (see base/pool.h).
 *
 * Layout: a region is POOL_REGION bytes aligned to POOL_REGION, listed in
 * `regions` (not in itself: mapping a region must not touch it, since the
 * first write to it makes the kernel clear its 2 MiB, and that should be
 * paid by the thread that uses the chunk, outside the lock); chunks are
 * carved from it by a bump pointer.  When the current region cannot hold a
 * chunk of the class asked for, its tail is cut into chunks of the largest
 * classes that fit (they go on the free lists) and a new region is mapped.
 * A free chunk's first word links it into its class's list.
 */
#include "base/pool.h"
#include "base/mem.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_UNDER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define POOL_UNDER_ASAN 1
#endif

#define POOL_REGION ((size_t)2 << 20)      /* one transparent huge page */
#define MAX_REGIONS 65536u                  /* 128 GiB; past it, plain memory */
/* Class k is (4 + k % 4) / 8 KiB << (k / 4): four classes per doubling
 * (0.5, 0.625, 0.75, 0.875, 1, 1.25 ... 256 KiB), so a chunk wastes at most
 * a fifth of itself; plus room for an arena chunk's header, so an arena's
 * power-of-two chunk fills its class exactly.  (Every byte of a region
 * counts: the kernel clears a huge page whole, and on a virtual machine
 * fresh memory is the dearest thing a warm run touches: a module loaded
 * from the cache keeps about 500 bytes, which the 1 KiB class used to
 * round up to twice that.) */
#define CLASS_SLACK 64u
#define CLASS_COUNT 37u                     /* up to 256 KiB + slack */

static size_t class_size(uint32_t k)
{
    return (((size_t)4 + (k & 3u)) * 128u << (k / 4)) + CLASS_SLACK;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool enabled;
static char *regions[MAX_REGIONS];
static char *bump, *bump_end;
static void *free_lists[CLASS_COUNT];
static size_t in_use, mapped, region_count;
/* pool_ahead: a region touched ahead of use, by the toucher thread */
static pthread_cond_t ahead_cond = PTHREAD_COND_INITIALIZER;
static char *ahead;
static bool ahead_on;
static bool toucher_alive;          /* the toucher runs (it clears this last) */
static bool toucher_unjoined;       /* a toucher was started, not yet joined */
/* pool_touch_here: this thread touches the next region itself */
static _Thread_local bool touch_here;
static bool touching;               /* such a thread is touching one now */
static pthread_t toucher_tid;

static void decide(void)
{
#ifdef POOL_UNDER_ASAN
    enabled = false;
#else
    const char *e = getenv("COORD_POOL");
    enabled = !(e && e[0] == '0' && e[1] == '\0');
#endif
}

static uint32_t class_of(size_t size)
{
    for (uint32_t k = 0; k < CLASS_COUNT; k++)
        if (size <= class_size(k))
            return k;
    return CLASS_COUNT;
}

/* A region mapped and advised for huge pages, not touched yet; NULL when
 * the system has no memory. */
static char *region_map(void)
{
    size_t span = 2 * POOL_REGION;
    char *m = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    char *r = (char *)(((uintptr_t)m + POOL_REGION - 1) & ~(uintptr_t)(POOL_REGION - 1));
    if (r > m)
        munmap(m, (size_t)(r - m));
    if (r + POOL_REGION < m + span)
        munmap(r + POOL_REGION, (size_t)(m + span - (r + POOL_REGION)));
#ifdef MADV_HUGEPAGE
    madvise(r, POOL_REGION, MADV_HUGEPAGE);    /* a hint: small pages otherwise */
#endif
    return r;
}

/* Touches every page of r (one write a page: a huge page, or else each
 * small one), so that the kernel backs it now, on this thread. */
static void region_touch(char *r)
{
    for (size_t off = 0; off < POOL_REGION; off += 4096)
        ((volatile char *)r)[off] = 0;
}

/* r, touched ahead outside the lock, becomes the region ahead, unless one
 * is there already or every region went back meanwhile (lock held). */
static void ahead_offer(char *r)
{
    if (ahead || region_count == 0)
        munmap(r, POOL_REGION);
    else
        ahead = r;
}

/* The toucher (pool_ahead): while it is wanted, it keeps one more region
 * mapped and touched in `ahead` (once the pool holds a region), outside the
 * lock, so that the kernel clears it on this thread rather than on the one
 * that will carve chunks from it.  It ends when it is no longer wanted, and
 * is joined by the next pool_ahead(true) or by pool_ahead_end. */
static void *toucher(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&lock);
    for (;;) {
        while (ahead_on && (ahead || region_count == 0))
            pthread_cond_wait(&ahead_cond, &lock);
        if (!ahead_on)
            break;
        pthread_mutex_unlock(&lock);
        char *r = region_map();
        if (r)
            region_touch(r);
        pthread_mutex_lock(&lock);
        if (!r)
            break;
        ahead_offer(r);
    }
    toucher_alive = false;
    pthread_mutex_unlock(&lock);
    return NULL;
}

/* A fresh region (lock held); false when the system has no memory. */
static bool region_new(void)
{
    if (region_count == MAX_REGIONS)
        return false;
    char *r = ahead;
    ahead = NULL;
    if (!r && !(r = region_map()))
        return false;
    regions[region_count++] = r;
    mapped += POOL_REGION;
    if (ahead_on)       /* the next one, meanwhile */
        pthread_cond_signal(&ahead_cond);
    /* What is left of the old region becomes free chunks, largest first. */
    for (uint32_t k = CLASS_COUNT; k-- > 0;) {
        while ((size_t)(bump_end - bump) >= class_size(k)) {
            *(void **)bump = free_lists[k];
            free_lists[k] = bump;
            bump += class_size(k);
        }
    }
    bump = r;
    bump_end = r + POOL_REGION;
    return true;
}

/* Every chunk is back: the regions go back to the system (lock held). */
static void release_all(void)
{
    for (size_t i = 0; i < region_count; i++)
        munmap(regions[i], POOL_REGION);
    memset(free_lists, 0, sizeof free_lists);
    bump = bump_end = NULL;
    mapped = 0;
    region_count = 0;
    if (ahead)
        munmap(ahead, POOL_REGION);
    ahead = NULL;
}

void *pool_alloc(size_t size, size_t *got)
{
    pthread_once(&once, decide);
    uint32_t k = enabled ? class_of(size) : CLASS_COUNT;
    if (k == CLASS_COUNT) {
        *got = size;
        return mem_alloc(size);
    }
    if (mem_fail_check())
        return NULL;
    size_t cs = class_size(k);
    pthread_mutex_lock(&lock);
    void *p = free_lists[k];
    if (p) {
        free_lists[k] = *(void **)p;
    } else if ((size_t)(bump_end - bump) >= cs || region_new()) {
        p = bump;
        bump += cs;
    }
    if (p)
        in_use += cs;
    /* pool_touch_here: the region after this one, once it is half carved */
    bool touch = touch_here && !ahead && !touching && region_count > 0 &&
                 (size_t)(bump_end - bump) < POOL_REGION / 2;
    if (touch)
        touching = true;
    pthread_mutex_unlock(&lock);
    if (touch) {
        char *r = region_map();
        if (r)
            region_touch(r);
        pthread_mutex_lock(&lock);
        touching = false;
        if (r)
            ahead_offer(r);
        pthread_mutex_unlock(&lock);
    }
    *got = cs;
    return p;
}

void pool_free(void *p, size_t size)
{
    if (!p)
        return;
    uint32_t k = enabled ? class_of(size) : CLASS_COUNT;
    if (k == CLASS_COUNT || class_size(k) != size) {
        mem_free(p);
        return;
    }
    pthread_mutex_lock(&lock);
    *(void **)p = free_lists[k];
    free_lists[k] = p;
    in_use -= size;
    if (in_use == 0)
        release_all();
    pthread_mutex_unlock(&lock);
}

/* Joins the toucher (lock not held): one that ended, or with `stop` any
 * (it is told to end first). */
static void toucher_join(bool stop)
{
    pthread_mutex_lock(&lock);
    if (stop) {
        ahead_on = false;
        pthread_cond_signal(&ahead_cond);
    }
    bool join = toucher_unjoined && (stop || !toucher_alive);
    pthread_mutex_unlock(&lock);
    if (join) {
        pthread_join(toucher_tid, NULL);
        pthread_mutex_lock(&lock);
        toucher_unjoined = false;
        pthread_mutex_unlock(&lock);
    }
}

void pool_ahead(bool on)
{
    pthread_once(&once, decide);
    if (!enabled)
        return;
    if (on)
        toucher_join(false);
    pthread_mutex_lock(&lock);
    ahead_on = on;
    if (on && !toucher_unjoined &&
        pthread_create(&toucher_tid, NULL, toucher, NULL) == 0)
        toucher_alive = toucher_unjoined = true;
    pthread_cond_signal(&ahead_cond);
    pthread_mutex_unlock(&lock);
}

void pool_touch_here(bool on)
{
    touch_here = on;
}

void pool_ahead_end(void)
{
    pthread_once(&once, decide);
    if (enabled)
        toucher_join(true);
}

PoolStats pool_stats(void)
{
    pthread_once(&once, decide);
    pthread_mutex_lock(&lock);
    PoolStats s = { in_use, mapped, region_count, ahead ? POOL_REGION : 0, enabled };
    pthread_mutex_unlock(&lock);
    return s;
}
