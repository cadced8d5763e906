/* mem — the allocation choke point.
 *
 * Every durable allocation in coord (arena chunks, coordinator tables,
 * channel rings) goes through mem_alloc / mem_realloc / mem_free.  In builds
 * with COORD_TESTING a failpoint can make the Nth call (counted process-wide,
 * atomically, from the moment it is armed) return NULL, so tests can walk
 * N = 1, 2, ... over a whole run.  Release builds compile the counter out.
 *
 * Thread safety: all functions may be called from any thread.
 */
#ifndef COORD_BASE_MEM_H
#define COORD_BASE_MEM_H

#include <stddef.h>
#include <stdint.h>

void *mem_alloc(size_t size);              /* NULL on failure (never aborts) */
void *mem_calloc(size_t count, size_t size);
void *mem_realloc(void *p, size_t size);   /* NULL on failure, p untouched */
void  mem_free(void *p);
/* For allocators built on other memory (base/pool.c): counts one allocation
 * like mem_alloc does; 1 when the failpoint says it must fail. */
int   mem_fail_check(void);

/* Failpoint (COORD_TESTING builds; no-ops otherwise).
 * mem_fail_at(n): the nth allocation counted from now fails (n >= 1);
 * mem_fail_at(0) disarms.  mem_fail_every_after(n): every allocation from the
 * nth on fails (sticky), for "out of memory for good" tests.
 * mem_alloc_count(): allocations counted since the last arming or reset.
 * mem_failpoint_from_env(): arms from COORD_FAIL_ALLOC=N if set (N >= 1),
 * sticky when COORD_FAIL_ALLOC_STICKY=1 is set too. */
void     mem_fail_at(uint64_t n);
void     mem_fail_every_after(uint64_t n);
uint64_t mem_alloc_count(void);
int      mem_failpoint_hit(void);          /* 1 once the failpoint has fired */
void     mem_failpoint_from_env(void);

#endif
