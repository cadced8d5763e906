/* ck_pr.h — ThreadSanitizer shim (DESIGN.md section 5).
 *
 * Only TSan builds see this file: the Makefile puts channels/tsan first on
 * the include path in the tsan mode, so <ck_ring.h> picks it up instead of
 * the real ck_pr.h.  The real one uses inline assembly and volatile
 * accesses, which TSan cannot see, so it reports races inside ck_ring and on
 * every payload passed through it.  Here the same operations are __atomic
 * builtins with explicit orders — loads acquire, stores release, CAS
 * acq_rel — which give TSan the happens-before edges the ring relies on.
 *
 * This implements exactly what ck_ring.h (libck-dev 0.7.1) uses; anything
 * else from ck_pr is deliberately absent so a new use fails to compile
 * instead of silently going unchecked.
 */
#ifndef CK_PR_H
#define CK_PR_H

#ifndef COORD_TSAN
#error "channels/tsan/ck_pr.h is for ThreadSanitizer builds only"
#endif

#include <ck_cc.h>
#include <ck_md.h>
#include <ck_stdbool.h>

CK_CC_INLINE static unsigned int
ck_pr_load_uint(const unsigned int *target)
{
    return __atomic_load_n(target, __ATOMIC_ACQUIRE);
}

CK_CC_INLINE static void
ck_pr_store_uint(unsigned int *target, unsigned int value)
{
    __atomic_store_n(target, value, __ATOMIC_RELEASE);
}

CK_CC_INLINE static bool
ck_pr_cas_uint(unsigned int *target, unsigned int compare, unsigned int set)
{
    return __atomic_compare_exchange_n(target, &compare, set, false,
                                       __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/* On failure *value receives what target held, as in ck_pr. On success it
 * receives compare (the value target held). */
CK_CC_INLINE static bool
ck_pr_cas_uint_value(unsigned int *target, unsigned int compare, unsigned int set,
                     unsigned int *value)
{
    bool ok = __atomic_compare_exchange_n(target, &compare, set, false,
                                          __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    *value = compare;
    return ok;
}

/* GCC warns (-Wtsan) that TSan does not model fences.  Nothing depends on
 * TSan seeing them: the acquire loads and release stores above already
 * carry every edge ck_ring needs; the fences stay for the hardware. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wtsan"
#endif
CK_CC_INLINE static void ck_pr_fence_load(void) { __atomic_thread_fence(__ATOMIC_ACQUIRE); }
CK_CC_INLINE static void ck_pr_fence_store(void) { __atomic_thread_fence(__ATOMIC_RELEASE); }
CK_CC_INLINE static void ck_pr_fence_store_atomic(void) { __atomic_thread_fence(__ATOMIC_RELEASE); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

CK_CC_INLINE static void
ck_pr_stall(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

#endif
