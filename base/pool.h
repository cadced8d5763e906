/* pool — where arena chunks come from: memory in 2 MiB regions that the
 * kernel may back with transparent huge pages (madvise MADV_HUGEPAGE).
 *
 * Why: a build keeps most of what it allocates (every module's results) and
 * touches it once.  From malloc, every fresh 4 KiB page of that memory costs
 * a page fault, and faults are the most expensive thing a module's load or
 * check does on a virtual machine (measured: 28 700 faults, about a third of
 * the CPU time of a 10 000-module `--no-cache` run at -j1); two threads
 * faulting also contend for the process's memory map lock.  A region
 * advised for huge pages faults once per 2 MiB.
 *
 * Chunks are carved from the current region in size classes (0.5,
 * 0.625, 0.75, 0.875, 1, 1.25 ... 256 KiB: at most a fifth wasted); a freed
 * chunk goes on its class's free list and is the next of that class handed
 * out.  Larger requests are plain mem_alloc, and so is everything when the
 * pool is off: in AddressSanitizer builds (so overflows of arena chunks are
 * still caught, and leaks still reported), or with COORD_POOL=0 in the
 * environment (read once).  Memory goes back to the system when the last
 * chunk of the process is freed (every region at once), so a process that
 * ends its sessions holds none.
 *
 * The price: the kernel backs a region whole once any byte of it is
 * touched, so a chunk costs its whole size in memory whether it is used or
 * not.  Arenas on the pool must size their chunks to what they will hold.
 *
 * Touching ahead (pool_ahead).  The first touch of a region is where its
 * cost is paid: the kernel clears 2 MiB, and on a virtual machine the host
 * may have to back it too (measured here: 1.2 to 2.8 ms per MiB, the
 * largest single cost of discovering 10 000 files).  When a core would
 * otherwise idle (discovery runs on one thread; a -j1 run on one), coord
 * turns pool_ahead on: a thread of the pool then keeps the next region
 * mapped and touched while the current one is carved, so that cost is paid
 * on the idle core.  At most one region (2 MiB) is touched ahead; it ends
 * up used, or goes back with the others.  The thread ends when pool_ahead
 * is turned off and is joined by the next pool_ahead(true) or by
 * pool_ahead_end; the setting is the process's (a hint: the last call
 * wins).  coord never turns it on at -j1, which creates no thread.
 *
 * Touching ahead on a worker (pool_touch_here).  A thread that says so
 * touches the next region itself, outside the lock, in the pool_alloc
 * that finds the current region half carved and none touched ahead; the
 * threads runner's workers do (workers/runner.c).  Whoever first writes
 * a fresh region pays for all of it at once (up to 4 ms here when the
 * host has to back it: a run after a few idle seconds), and when that is
 * the coordinator's thread, running a task of its own share, the workers
 * run dry meanwhile, since only it refills their inboxes; a worker that
 * pays instead holds up nobody.  Same memory, same total work; at most
 * one region ahead (with the pool's thread too).
 *
 * Invariants
 *   - Thread safety: any thread may allocate or free; one mutex guards the
 *     free lists and the regions (a chunk is a few KiB of work: the lock is
 *     taken once per chunk, not per allocation).
 *   - Every pool_alloc counts as one allocation for the mem failpoint
 *     (base/mem.h), so allocation-failure walks cover it.
 *   - A chunk is freed with the size pool_alloc gave back (*got).
 */
#ifndef COORD_BASE_POOL_H
#define COORD_BASE_POOL_H

#include <stdbool.h>
#include <stddef.h>

/* At least `size` bytes, 16-aligned; *got: how many (the class size, or
 * `size` when it is plain mem_alloc memory).  NULL on failure. */
void *pool_alloc(size_t size, size_t *got);
/* Frees what pool_alloc returned with *got == size. */
void  pool_free(void *p, size_t size);

/* Keep one region touched ahead of use (see above); false: stop (the
 * thread ends after the region it is touching).  pool_ahead_end stops it
 * and joins the thread: call it before saying that every thread is gone. */
void  pool_ahead(bool on);
void  pool_ahead_end(void);
/* This thread touches the region after the current one itself (see
 * above), from now on (true) or no more (false); per thread. */
void  pool_touch_here(bool on);

typedef struct PoolStats {
    size_t in_use;      /* bytes of chunks handed out and not freed */
    size_t mapped;      /* bytes of regions held */
    size_t regions;
    size_t ahead;       /* bytes of a region touched ahead, not yet used */
    bool on;
} PoolStats;
PoolStats pool_stats(void);

#endif
