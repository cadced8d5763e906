/* mem — the allocation choke point (see base/mem.h).
 *
 * Invariants: in COORD_TESTING builds every mem_alloc / mem_calloc /
 * mem_realloc call bumps one process-wide atomic counter exactly once, whether
 * or not it then fails; the failpoint compares that count against the armed
 * target.  Arming (mem_fail_at / mem_fail_every_after) restarts the count at
 * zero.  Release builds have neither counter nor failpoint: plain malloc.
 */
#include "base/mem.h"

#include <stdatomic.h>
#include <stdlib.h>

#ifdef COORD_TESTING

static atomic_uint_fast64_t alloc_count;
static atomic_uint_fast64_t fail_target;   /* 0 = disarmed */
static atomic_int fail_sticky;
static atomic_int fail_hit;

/* True when this call is one the failpoint says must fail. */
static int should_fail(void)
{
    uint64_t n = atomic_fetch_add(&alloc_count, 1) + 1;
    uint64_t target = atomic_load(&fail_target);
    if (target == 0)
        return 0;
    if (n == target || (n > target && atomic_load(&fail_sticky))) {
        atomic_store(&fail_hit, 1);
        return 1;
    }
    return 0;
}

static void arm(uint64_t n, int sticky)
{
    atomic_store(&fail_target, 0);
    atomic_store(&fail_sticky, sticky);
    atomic_store(&fail_hit, 0);
    atomic_store(&alloc_count, 0);
    atomic_store(&fail_target, n);
}

void mem_fail_at(uint64_t n) { arm(n, 0); }
void mem_fail_every_after(uint64_t n) { arm(n, n != 0); }
uint64_t mem_alloc_count(void) { return atomic_load(&alloc_count); }
int mem_failpoint_hit(void) { return atomic_load(&fail_hit); }

void mem_failpoint_from_env(void)
{
    const char *s = getenv("COORD_FAIL_ALLOC");
    if (!s || !*s)
        return;
    char *end;
    unsigned long long n = strtoull(s, &end, 10);
    if (*end != '\0' || n == 0)
        return;
    const char *sticky = getenv("COORD_FAIL_ALLOC_STICKY");
    arm(n, sticky && sticky[0] == '1' && sticky[1] == '\0');
}

#else

static int should_fail(void) { return 0; }
void mem_fail_at(uint64_t n) { (void)n; }
void mem_fail_every_after(uint64_t n) { (void)n; }
uint64_t mem_alloc_count(void) { return 0; }
int mem_failpoint_hit(void) { return 0; }
void mem_failpoint_from_env(void) {}

#endif

int mem_fail_check(void) { return should_fail(); }

void *mem_alloc(size_t size)
{
    if (should_fail())
        return NULL;
    return malloc(size ? size : 1);
}

void *mem_calloc(size_t count, size_t size)
{
    if (should_fail())
        return NULL;
    if (count == 0 || size == 0)
        count = size = 1;
    return calloc(count, size);
}

void *mem_realloc(void *p, size_t size)
{
    if (should_fail())
        return NULL;
    return realloc(p, size ? size : 1);
}

void mem_free(void *p)
{
    free(p);
}
