/* spin — bounded busy-waiting.
 *
 * A thread that expects work within microseconds (a worker that just sent a
 * result in a dependency chain, a coordinator whose workers are starving)
 * spins briefly before it sleeps: a futex wake-up costs tens of microseconds
 * on a loaded machine, more than a typical Kite task.  Spins are bounded by
 * wall time, never unbounded, and the caller sleeps afterwards.
 */
#ifndef COORD_BASE_SPIN_H
#define COORD_BASE_SPIN_H

#include <stdint.h>
#include <time.h>

static inline void spin_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static inline uint64_t spin_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
