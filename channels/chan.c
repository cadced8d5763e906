/* chan — SPSC channels on ck_ring, and doorbells (see channels/chan.h).
 *
 * Invariants:
 *  - A Chan has one sending and one receiving thread.  Messages are copied
 *    by value into ring slots; ck_ring's release store of p_tail (send) and
 *    acquire load of it (receive) order the slot bytes and everything the
 *    sender wrote before, which is how ownership moves with a message.
 *    Back-pressure uses the mirror edge on c_head.
 *  - The ring of size n holds n-1 messages (ck_ring keeps one slot empty),
 *    so a request for c messages gets the smallest power of two n > c.
 *  - Sleeping (chan_recv, doorbell_wait) uses an epoch word and a waiting
 *    flag: the sleeper reads the epoch, raises `waiting`, issues a seq_cst
 *    fence and checks for work once more before futex-waiting on the epoch.
 *    A waker publishes its work, issues a seq_cst fence and, if it sees
 *    `waiting`, bumps the epoch and wakes.  The two fences make sure one of
 *    them sees the other (store-buffer pattern), and the epoch bump makes a
 *    wake that lands between the check and the futex call harmless: the
 *    futex sees a changed value and returns at once.  The waker clears
 *    `waiting` with an exchange, so of many wakers racing to one sleeper
 *    only the first makes the wake system call; the others' work is seen
 *    by the sleeper's re-check after it raises `waiting` again (the
 *    waker's fence precedes its exchange).  Whoever clears `waiting` bumps
 *    the epoch after clearing it, so the sleeper that raised the flag
 *    cannot go on sleeping on an unchanged epoch.  No wake-up is lost,
 *    no timer is used, and a send to a receiver that is not sleeping costs
 *    one fence and one load beyond the ring operation.  A quiet send
 *    (chan_send_quiet) is the ring operation alone and the waker's half
 *    (fence, load of `waiting`, wake) runs in the sender's later
 *    chan_wake: the fence still lies between publishing and looking, so
 *    the argument above holds, for any number of quiet sends before it.
 *    For a doorbell the work is the epoch itself: ring bumps it with a
 *    seq_cst read-modify-write (a full barrier) before it reads `waiting`;
 *    the owner remembers in `seen` the epoch its last wait returned on.
 *  - closed only goes 0 -> 1.  A send that races with a close by the
 *    receiving side may still be accepted and never be received; a send
 *    before the close (in the sender's order) is always received.
 */
#include "channels/chan.h"
#include "base/mem.h"
#include "base/spin.h"

#include <ck_ring.h>
#include <linux/futex.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { CACHE_LINE = 64, SPIN_TRIES = 64 };

struct Chan {
    ck_ring_t ring;                     /* c_head and p_tail on their own lines */
    alignas(CACHE_LINE) _Atomic uint32_t epoch;
    _Atomic uint32_t waiting;           /* receiver is (about to be) asleep */
    _Atomic uint32_t closed;
    uint32_t msg_size, capacity;
    Doorbell *bell;
    void *raw;                          /* what mem_alloc returned */
    char *slots;                        /* ring size * msg_size bytes */
};

struct Doorbell {
    alignas(CACHE_LINE) _Atomic uint32_t epoch;
    _Atomic uint32_t waiting;
    alignas(CACHE_LINE) uint32_t seen;  /* owner only: epoch at the last return */
    void *raw;
};

/* ------------------------------------------------------------- sleeping */

static void futex_wait(_Atomic uint32_t *word, uint32_t expected)
{
    /* EINTR and EAGAIN just mean "look again"; callers loop. */
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *word, int count)
{
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
}

/* The seq_cst fence of the sleep protocol.  GCC warns (-Wtsan) that TSan
 * does not model fences; nothing needs it to: only atomics meet here, and
 * message payloads are ordered by the ring's acquire/release. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__SANITIZE_THREAD__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wtsan"
#endif
static void full_fence(void)
{
    atomic_thread_fence(memory_order_seq_cst);
}
#if defined(__GNUC__) && !defined(__clang__) && defined(__SANITIZE_THREAD__)
#pragma GCC diagnostic pop
#endif

/* Wakes a sleeper on (epoch, waiting) if there is one; the caller has just
 * published the work the sleeper is looking for. */
static void wake_if_waiting(_Atomic uint32_t *epoch, _Atomic uint32_t *waiting)
{
    full_fence();
    if (atomic_load_explicit(waiting, memory_order_relaxed) &&
        atomic_exchange_explicit(waiting, 0, memory_order_seq_cst)) {
        atomic_fetch_add_explicit(epoch, 1, memory_order_release);
        futex_wake(epoch, 1);
    }
}

/* Over-allocates so the object starts on a cache line; *raw gets the block
 * to free. */
static void *alloc_aligned(size_t size, void **raw)
{
    *raw = mem_alloc(size + CACHE_LINE - 1);
    if (!*raw)
        return NULL;
    return (void *)(((uintptr_t)*raw + CACHE_LINE - 1) & ~(uintptr_t)(CACHE_LINE - 1));
}

/* ------------------------------------------------------------- doorbell */

Doorbell *doorbell_create(void)
{
    void *raw;
    Doorbell *d = alloc_aligned(sizeof *d, &raw);
    if (!d)
        return NULL;
    atomic_init(&d->epoch, 0);
    atomic_init(&d->waiting, 0);
    d->seen = 0;
    d->raw = raw;
    return d;
}

void doorbell_destroy(Doorbell *d)
{
    if (d)
        mem_free(d->raw);
}

void doorbell_ring(Doorbell *d)
{
    /* A seq_cst read-modify-write is already a full barrier, so the bump
     * and the load of `waiting` need no separate fence. */
    atomic_fetch_add_explicit(&d->epoch, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&d->waiting, memory_order_seq_cst) &&
        atomic_exchange_explicit(&d->waiting, 0, memory_order_seq_cst)) {
        /* The flag we cleared may belong to a wait that began after our
         * first bump (and already counted it); bump again so that wait
         * cannot sleep on an unchanged epoch with nobody left to wake it. */
        atomic_fetch_add_explicit(&d->epoch, 1, memory_order_seq_cst);
        futex_wake(&d->epoch, 1);
    }
}

void doorbell_wait(Doorbell *d)
{
    for (int i = 0; i < SPIN_TRIES; i++) {
        uint32_t e = atomic_load_explicit(&d->epoch, memory_order_acquire);
        if (e != d->seen) {
            d->seen = e;
            return;
        }
        spin_pause();
    }
    for (;;) {
        atomic_store_explicit(&d->waiting, 1, memory_order_seq_cst);
        full_fence();
        uint32_t e = atomic_load_explicit(&d->epoch, memory_order_seq_cst);
        if (e != d->seen) {
            atomic_store_explicit(&d->waiting, 0, memory_order_relaxed);
            d->seen = e;
            return;
        }
        futex_wait(&d->epoch, e);
        atomic_store_explicit(&d->waiting, 0, memory_order_relaxed);
    }
}

/* -------------------------------------------------------------- channel */

Chan *chan_create(uint32_t capacity, uint32_t msg_size, Doorbell *bell)
{
    if (capacity == 0 || capacity >= (1u << 31) || msg_size == 0)
        return NULL;
    uint32_t size = 2;
    while (size <= capacity)
        size *= 2;
    if ((uint64_t)size * msg_size > SIZE_MAX / 2)
        return NULL;
    size_t header = (sizeof(Chan) + CACHE_LINE - 1) & ~(size_t)(CACHE_LINE - 1);
    void *raw;
    Chan *c = alloc_aligned(header + (size_t)size * msg_size, &raw);
    if (!c)
        return NULL;
    ck_ring_init(&c->ring, size);
    atomic_init(&c->epoch, 0);
    atomic_init(&c->waiting, 0);
    atomic_init(&c->closed, 0);
    c->msg_size = msg_size;
    c->capacity = size - 1;
    c->bell = bell;
    c->raw = raw;
    c->slots = (char *)c + header;
    return c;
}

void chan_destroy(Chan *c)
{
    if (c)
        mem_free(c->raw);
}

bool chan_send_quiet(Chan *c, const void *msg)
{
    if (atomic_load_explicit(&c->closed, memory_order_acquire))
        return false;
    /* ck_ring's size-generic single-producer enqueue: the public spsc
     * wrappers fix the element size at compile time, ours is per channel. */
    return _ck_ring_enqueue_sp(&c->ring, c->slots, msg, c->msg_size, NULL);
}

void chan_wake(Chan *c)
{
    wake_if_waiting(&c->epoch, &c->waiting);
}

bool chan_send(Chan *c, const void *msg)
{
    if (!chan_send_quiet(c, msg))
        return false;
    chan_wake(c);
    if (c->bell)
        doorbell_ring(c->bell);
    return true;
}

uint32_t chan_count(const Chan *c)
{
    return ck_ring_size(&c->ring);
}

bool chan_try_recv(Chan *c, void *msg)
{
    return _ck_ring_dequeue_sc(&c->ring, c->slots, msg, c->msg_size);
}

bool chan_recv(Chan *c, void *msg)
{
    for (int i = 0; i < SPIN_TRIES; i++) {
        if (chan_try_recv(c, msg))
            return true;
        spin_pause();
    }
    for (;;) {
        uint32_t e = atomic_load_explicit(&c->epoch, memory_order_acquire);
        atomic_store_explicit(&c->waiting, 1, memory_order_relaxed);
        full_fence();
        if (chan_try_recv(c, msg)) {
            atomic_store_explicit(&c->waiting, 0, memory_order_relaxed);
            return true;
        }
        if (atomic_load_explicit(&c->closed, memory_order_acquire)) {
            /* The acquire makes every send before the close visible. */
            atomic_store_explicit(&c->waiting, 0, memory_order_relaxed);
            return chan_try_recv(c, msg);
        }
        futex_wait(&c->epoch, e);
        atomic_store_explicit(&c->waiting, 0, memory_order_relaxed);
    }
}

void chan_close(Chan *c)
{
    atomic_store_explicit(&c->closed, 1, memory_order_release);
    full_fence();
    atomic_fetch_add_explicit(&c->epoch, 1, memory_order_release);
    futex_wake(&c->epoch, 1);
    if (c->bell)
        doorbell_ring(c->bell);
}

bool chan_is_closed(const Chan *c)
{
    return atomic_load_explicit(&c->closed, memory_order_acquire);
}

uint32_t chan_capacity(const Chan *c)
{
    return c->capacity;
}
