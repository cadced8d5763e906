/* bench_channels — messages/second through one SPSC channel between two
 * threads and, in the same run, through a plain pthread mutex + condition
 * variable queue of the same capacity, and their ratio.  A figure, never a
 * pass/fail.
 *
 *   bench_channels [messages]      (default 10,000,000)
 *
 * Both sides do the same work per message: copy a 24-byte message in, copy
 * it out, add to a checksum.  A full channel makes the producer sleep on a
 * doorbell the consumer rings after each receive, so neither side spins.
 *
 * Each queue runs twice: with the two threads on different CPUs (the
 * figure that counts for coord's workers, cache lines cross cores) and with
 * both pinned to one CPU (a loaded machine, where they take turns). */
#include "channels/chan.h"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { CAPACITY = 1023 };

typedef struct Msg { uint64_t seq, value, pad; } Msg;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ------------------------------------------------------------- channel */

typedef struct ChanBench {
    Chan *c;
    Doorbell *space;
    uint64_t count, sum;
} ChanBench;

static void *chan_producer(void *arg)
{
    ChanBench *b = arg;
    for (uint64_t i = 0; i < b->count; i++) {
        Msg m = { i, i * 3, 0 };
        while (!chan_send(b->c, &m))
            doorbell_wait(b->space);
    }
    chan_close(b->c);
    return NULL;
}

static void *chan_consumer(void *arg)
{
    ChanBench *b = arg;
    Msg m;
    while (chan_recv(b->c, &m)) {
        doorbell_ring(b->space);
        b->sum += m.value;
    }
    return NULL;
}

/* --------------------------------------------------- mutex + condvar */

typedef struct LockedQueue {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    Msg items[CAPACITY];
    uint32_t head, len;
    bool closed;
    uint64_t count, sum;
} LockedQueue;

static void *locked_producer(void *arg)
{
    LockedQueue *q = arg;
    for (uint64_t i = 0; i < q->count; i++) {
        Msg m = { i, i * 3, 0 };
        pthread_mutex_lock(&q->lock);
        while (q->len == CAPACITY)
            pthread_cond_wait(&q->not_full, &q->lock);
        q->items[(q->head + q->len) % CAPACITY] = m;
        q->len++;
        pthread_cond_signal(&q->not_empty);
        pthread_mutex_unlock(&q->lock);
    }
    pthread_mutex_lock(&q->lock);
    q->closed = true;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

static void *locked_consumer(void *arg)
{
    LockedQueue *q = arg;
    for (;;) {
        pthread_mutex_lock(&q->lock);
        while (q->len == 0 && !q->closed)
            pthread_cond_wait(&q->not_empty, &q->lock);
        if (q->len == 0) {
            pthread_mutex_unlock(&q->lock);
            return NULL;
        }
        Msg m = q->items[q->head];
        q->head = (q->head + 1) % CAPACITY;
        q->len--;
        pthread_cond_signal(&q->not_full);
        pthread_mutex_unlock(&q->lock);
        q->sum += m.value;
    }
}

/* cpu_p, cpu_c: the CPUs to pin producer and consumer to. */
static double run(void *(*producer)(void *), void *(*consumer)(void *), void *arg, int cpu_p,
                  int cpu_c)
{
    pthread_t p, c;
    double t0 = now();
    if (pthread_create(&c, NULL, consumer, arg) || pthread_create(&p, NULL, producer, arg)) {
        fprintf(stderr, "bench_channels: cannot create threads\n");
        exit(1);
    }
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu_p, &set);
    pthread_setaffinity_np(p, sizeof set, &set);
    CPU_ZERO(&set);
    CPU_SET(cpu_c, &set);
    pthread_setaffinity_np(c, sizeof set, &set);
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    return now() - t0;
}

int main(int argc, char **argv)
{
    uint64_t count = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000u;
    if (count == 0) {
        fprintf(stderr, "usage: bench_channels [messages > 0]\n");
        return 2;
    }
    uint64_t want = 0;
    for (uint64_t i = 0; i < count; i++)
        want += i * 3;

    printf("messages: %llu of %zu bytes, capacity %u\n", (unsigned long long)count, sizeof(Msg),
           (unsigned)CAPACITY);
    int two = sysconf(_SC_NPROCESSORS_ONLN) > 1;
    for (int same = two ? 0 : 1; same <= 1; same++) {
        int cpu_c = same ? 0 : 1;
        ChanBench cb = { chan_create(CAPACITY, sizeof(Msg), NULL), doorbell_create(), count, 0 };
        LockedQueue *q = calloc(1, sizeof *q);
        if (!cb.c || !cb.space || !q) {
            fprintf(stderr, "bench_channels: out of memory\n");
            return 1;
        }
        double tc = run(chan_producer, chan_consumer, &cb, 0, cpu_c);
        chan_destroy(cb.c);
        doorbell_destroy(cb.space);
        pthread_mutex_init(&q->lock, NULL);
        pthread_cond_init(&q->not_empty, NULL);
        pthread_cond_init(&q->not_full, NULL);
        q->count = count;
        double tq = run(locked_producer, locked_consumer, q, 0, cpu_c);
        uint64_t qsum = q->sum;
        pthread_mutex_destroy(&q->lock);
        pthread_cond_destroy(&q->not_empty);
        pthread_cond_destroy(&q->not_full);
        free(q);
        if (cb.sum != want || qsum != want) {
            fprintf(stderr, "bench_channels: checksum mismatch (channel %s, mutex queue %s)\n",
                    cb.sum == want ? "ok" : "BAD", qsum == want ? "ok" : "BAD");
            return 1;
        }
        double rc = (double)count / tc, rq = (double)count / tq;
        printf("%s:\n", same ? "both threads on one CPU" : "threads on two CPUs");
        printf("  channel (ck_ring SPSC):  %8.3f s  %14.0f msg/s\n", tc, rc);
        printf("  mutex + condvar queue:   %8.3f s  %14.0f msg/s\n", tq, rq);
        printf("  ratio channel / mutex:   %8.2fx\n", rc / rq);
    }
    return 0;
}
