/* Channels and doorbells: FIFO and wrap-around on one thread, two threads
 * passing millions of messages with a checksum, eight producers into one
 * doorbell, close while a receiver sleeps.  Every thread is joined. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "base/mem.h"
#include "channels/chan.h"

/* Sanitizers slow every atomic down; keep the runs well under 20 s. */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#endif
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#endif

#if defined(UNDER_TSAN)
enum { PAIR_MESSAGES = 300000, FAN_MESSAGES = 20000 };
#elif defined(UNDER_ASAN)
enum { PAIR_MESSAGES = 2000000, FAN_MESSAGES = 100000 };
#else
enum { PAIR_MESSAGES = 10000000, FAN_MESSAGES = 500000 };
#endif

typedef struct Msg {
    uint64_t seq;
    uint64_t value;
    uint32_t from;
    char tag[12];
} Msg;

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* ----------------------------------------------------------- one thread */

static void test_fifo_and_wrap(void **state)
{
    Chan *c = chan_create(5, sizeof(Msg), NULL);
    assert_non_null(c);
    assert_int_equal(chan_capacity(c), 7);
    Msg m = { 0 };
    assert_false(chan_try_recv(c, &m));

    uint32_t sent = 0;
    for (;; sent++) {
        Msg out = { sent, mix(sent), 1, "fill" };
        if (!chan_send(c, &out))
            break;
    }
    assert_int_equal(sent, 7);
    for (uint32_t i = 0; i < sent; i++) {
        assert_true(chan_try_recv(c, &m));
        assert_int_equal(m.seq, i);
        assert_int_equal(m.value, mix(i));
        assert_string_equal(m.tag, "fill");
    }
    assert_false(chan_try_recv(c, &m));

    /* many laps around the ring with varying fill levels */
    uint64_t next_out = 0, next_in = 0;
    for (int round = 0; round < 1000; round++) {
        int k = 1 + round % 7;
        for (int i = 0; i < k; i++) {
            Msg out = { next_out, mix(next_out), 2, "wrap" };
            assert_true(chan_send(c, &out));
            next_out++;
        }
        for (int i = 0; i < k; i++) {
            assert_true(chan_recv(c, &m));  /* not empty: returns at once */
            assert_int_equal(m.seq, next_in);
            assert_int_equal(m.value, mix(next_in));
            next_in++;
        }
    }
    assert_false(chan_try_recv(c, &m));
    chan_destroy(c);
}

static void test_create_limits_and_close(void **state)
{
    assert_null(chan_create(0, 8, NULL));
    assert_null(chan_create(4, 0, NULL));
    Chan *one = chan_create(1, 1, NULL);
    assert_int_equal(chan_capacity(one), 1);
    char b = 'x';
    assert_true(chan_send(one, &b));
    assert_false(chan_send(one, &b));
    chan_destroy(one);
    Chan *c = chan_create(8, sizeof(uint64_t), NULL);
    assert_int_equal(chan_capacity(c), 15);
    for (uint64_t i = 0; i < 3; i++)
        assert_true(chan_send(c, &i));
    assert_false(chan_is_closed(c));
    chan_close(c);
    assert_true(chan_is_closed(c));
    uint64_t v = 99;
    assert_false(chan_send(c, &v));
    /* what was sent before the close is still delivered, in order */
    for (uint64_t i = 0; i < 3; i++) {
        assert_true(chan_recv(c, &v));
        assert_int_equal(v, i);
    }
    assert_false(chan_recv(c, &v));
    assert_false(chan_recv(c, &v));
    chan_destroy(c);
#ifdef COORD_TESTING
    mem_fail_at(1);
    assert_null(chan_create(8, 8, NULL));
    mem_fail_at(1);
    assert_null(doorbell_create());
    mem_fail_at(0);
#endif
}

static void test_doorbell_coalesces(void **state)
{
    Doorbell *d = doorbell_create();
    assert_non_null(d);
    doorbell_ring(d);
    doorbell_ring(d);
    doorbell_wait(d);  /* returns: rung since creation; two rings, one wait */
    Chan *c = chan_create(4, sizeof(int), d);
    int x = 5;
    assert_true(chan_send(c, &x));  /* a send rings the bell */
    doorbell_wait(d);
    assert_true(chan_try_recv(c, &x));
    assert_int_equal(x, 5);
    chan_destroy(c);
    doorbell_destroy(d);
}

/* ---------------------------------------------------------- two threads */

typedef struct Pair {
    Chan *c;
    Doorbell *space;    /* rung by the receiver: room in the ring */
    uint64_t count;
    uint64_t sum;       /* receiver's checksum */
    uint64_t in_order;  /* receiver: messages that arrived in sequence */
} Pair;

static void *pair_producer(void *arg)
{
    Pair *p = arg;
    for (uint64_t i = 0; i < p->count; i++) {
        Msg m = { i, mix(i), 7, "pair" };
        while (!chan_send(p->c, &m))
            doorbell_wait(p->space);
    }
    chan_close(p->c);
    return NULL;
}

static void *pair_consumer(void *arg)
{
    Pair *p = arg;
    Msg m;
    uint64_t expect = 0;
    while (chan_recv(p->c, &m)) {
        doorbell_ring(p->space);
        p->sum += m.value ^ m.seq;
        if (m.seq == expect && m.from == 7)
            p->in_order++;
        expect = m.seq + 1;
    }
    return NULL;
}

static void test_two_threads_checksum(void **state)
{
    Pair p = { chan_create(1024, sizeof(Msg), NULL), doorbell_create(), PAIR_MESSAGES, 0, 0 };
    assert_non_null(p.c);
    assert_non_null(p.space);
    pthread_t prod, cons;
    assert_int_equal(pthread_create(&cons, NULL, pair_consumer, &p), 0);
    assert_int_equal(pthread_create(&prod, NULL, pair_producer, &p), 0);
    assert_int_equal(pthread_join(prod, NULL), 0);
    assert_int_equal(pthread_join(cons, NULL), 0);
    uint64_t want = 0;
    for (uint64_t i = 0; i < p.count; i++)
        want += mix(i) ^ i;
    assert_int_equal(p.in_order, p.count);
    assert_int_equal(p.sum, want);
    chan_destroy(p.c);
    doorbell_destroy(p.space);
}

/* --------------------------------------------------- 8 into one doorbell */

enum { FAN = 8 };

typedef struct Fan {
    Doorbell *bell;             /* the consumer's */
    Chan *chans[FAN];
    Doorbell *space[FAN];       /* per producer: room in its ring */
    uint64_t per_producer;
} Fan;

typedef struct FanArg { Fan *fan; uint32_t id; } FanArg;

static void *fan_producer(void *arg)
{
    FanArg *a = arg;
    Fan *f = a->fan;
    for (uint64_t i = 0; i < f->per_producer; i++) {
        Msg m = { i, mix(i * FAN + a->id), a->id, "fan" };
        while (!chan_send(f->chans[a->id], &m))
            doorbell_wait(f->space[a->id]);
    }
    chan_close(f->chans[a->id]);
    return NULL;
}

static void test_eight_producers_one_doorbell(void **state)
{
    Fan f = { .bell = doorbell_create(), .per_producer = FAN_MESSAGES };
    assert_non_null(f.bell);
    for (int i = 0; i < FAN; i++) {
        f.chans[i] = chan_create(64, sizeof(Msg), f.bell);
        f.space[i] = doorbell_create();
        assert_non_null(f.chans[i]);
        assert_non_null(f.space[i]);
    }
    pthread_t th[FAN];
    FanArg args[FAN];
    for (uint32_t i = 0; i < FAN; i++) {
        args[i] = (FanArg){ &f, i };
        assert_int_equal(pthread_create(&th[i], NULL, fan_producer, &args[i]), 0);
    }
    uint64_t next[FAN] = { 0 }, sum = 0, got = 0, wakeups = 0;
    int open = FAN;
    bool done[FAN] = { false };
    bool ordered = true;
    while (open > 0) {
        doorbell_wait(f.bell);
        wakeups++;
        for (int i = 0; i < FAN; i++) {
            if (done[i])
                continue;
            /* closed is read before draining: a message sent before the
             * close is then certain to be seen by the drain */
            bool closed = chan_is_closed(f.chans[i]);
            Msg m;
            bool any = false;
            while (chan_try_recv(f.chans[i], &m)) {
                any = true;
                ordered = ordered && m.seq == next[i] && m.from == (uint32_t)i;
                next[i] = m.seq + 1;
                sum += m.value;
                got++;
            }
            if (any)
                doorbell_ring(f.space[i]);
            if (closed) {
                done[i] = true;
                open--;
            }
        }
    }
    for (int i = 0; i < FAN; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    uint64_t want = 0;
    for (uint64_t i = 0; i < f.per_producer; i++)
        for (uint32_t id = 0; id < FAN; id++)
            want += mix(i * FAN + id);
    assert_true(ordered);
    assert_int_equal(got, (uint64_t)FAN * f.per_producer);
    assert_int_equal(sum, want);
    assert_true(wakeups >= 1);
    for (int i = 0; i < FAN; i++) {
        assert_int_equal(next[i], f.per_producer);
        chan_destroy(f.chans[i]);
        doorbell_destroy(f.space[i]);
    }
    doorbell_destroy(f.bell);
}

/* ------------------------------------------------ close while sleeping */

typedef struct Sleeper {
    Chan *c;
    atomic_int returned;
    atomic_int received_all;    /* set once it has received 3 messages */
    int result;
    uint64_t value;
    int received;
} Sleeper;

static void *sleeper(void *arg)
{
    Sleeper *s = arg;
    uint64_t v;
    while ((s->result = chan_recv(s->c, &v))) {
        s->value = v;
        if (++s->received == 3)
            atomic_store(&s->received_all, 1);
    }
    atomic_store(&s->returned, 1);
    return NULL;
}

static void test_close_wakes_sleeper(void **state)
{
    Sleeper s = { .c = chan_create(4, sizeof(uint64_t), NULL) };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, sleeper, &s), 0);
    sleep_ms(100);  /* long enough for the receiver to be in the futex */
    assert_int_equal(atomic_load(&s.returned), 0);
    uint64_t v = 42;
    assert_true(chan_send(s.c, &v));  /* wakes it; it takes the message and sleeps again */
    sleep_ms(100);
    assert_int_equal(atomic_load(&s.returned), 0);
    chan_close(s.c);  /* from the sending side */
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(atomic_load(&s.returned), 1);
    assert_int_equal(s.result, 0);
    assert_int_equal(s.received, 1);
    assert_int_equal(s.value, 42);
    chan_destroy(s.c);
}

/* Quiet sends to a receiver asleep in chan_recv: chan_wake, once, wakes it
 * for all of them (the runner's tasks of one dispatch round). */
static void test_quiet_sends_then_wake(void **state)
{
    Sleeper s = { .c = chan_create(4, sizeof(uint64_t), NULL) };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, sleeper, &s), 0);
    sleep_ms(100);  /* long enough for the receiver to be in the futex */
    for (uint64_t v = 1; v <= 3; v++)
        assert_true(chan_send_quiet(s.c, &v));
    chan_wake(s.c);
    for (int i = 0; i < 1000 && atomic_load(&s.received_all) == 0; i++)
        sleep_ms(1);
    assert_int_equal(atomic_load(&s.received_all), 1);   /* before any close */
    assert_int_equal(s.value, 3);
    chan_close(s.c);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(s.received, 3);
    chan_destroy(s.c);
}

typedef struct Ringer { Doorbell *d; } Ringer;

static void *ringer(void *arg)
{
    Ringer *r = arg;
    sleep_ms(100);
    doorbell_ring(r->d);
    return NULL;
}

static void test_doorbell_wakes_sleeper(void **state)
{
    Ringer r = { doorbell_create() };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, ringer, &r), 0);
    doorbell_wait(r.d);  /* sleeps until the ring */
    assert_int_equal(pthread_join(th, NULL), 0);
    doorbell_destroy(r.d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_and_wrap),
        cmocka_unit_test(test_create_limits_and_close),
        cmocka_unit_test(test_doorbell_coalesces),
        cmocka_unit_test(test_two_threads_checksum),
        cmocka_unit_test(test_eight_producers_one_doorbell),
        cmocka_unit_test(test_close_wakes_sleeper),
        cmocka_unit_test(test_quiet_sends_then_wake),
        cmocka_unit_test(test_doorbell_wakes_sleeper),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
