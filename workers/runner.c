/* runner — three ways to execute tasks behind one interface.
 *
 * Invariants
 *   - The coordinator thread alone calls runner_* functions; `in_flight`,
 *     the pending-result store and the per-worker counters are its data.
 *   - inline (-j1): capacity 1; submit runs the task through worker_run_task
 *     at once and keeps its result for the next wait.  No thread exists.
 *   - scripted (tests): like inline, but up to `capacity` results wait and
 *     runner_wait hands back a pseudo-random one (xorshift64*, seeded), so a
 *     test can replay every interleaving of completions the threads could
 *     produce, deterministically.  The results of one sequence (Task.then)
 *     keep their order, as a worker's outbox keeps it: the pick is the
 *     earliest pending result of the picked result's sequence.
 *   - threads (-jN, N >= 2): N - 1 worker threads and the coordinator's own
 *     thread.  Worker i owns its scratch arena and is the only receiver on
 *     inbox[i] and the only sender on outbox[i]; the coordinator is the other
 *     end of both.  At most PER_WORKER submissions (inbox messages) are in
 *     flight per worker, fewer than the inbox holds, and at most OUT_CAP
 *     tasks, what the outbox holds, so no send ever finds a full ring; a
 *     sequence of k tasks (k <= SEQ_MAX) is one inbox message and k results.
 *     A worker's results come back in the order of its submissions, so the
 *     coordinator knows a submission is over when its last task's result
 *     arrives (sub_len).  Long sequences are the point: a chain of modules
 *     each waiting only for the one before runs SEQ_MAX typechecks on one
 *     worker per round trip, while the other workers' inboxes stay filled.
 *   - The coordinator's own share: a submission goes to a worker while any
 *     worker can take one (least loaded first), else into self_q (SELF_SUBS
 *     submissions, SELF_CAP tasks), which runner_wait runs on this thread,
 *     one task per call, when no worker has a result waiting: the
 *     coordinator runs tasks instead of sleeping while the workers' inboxes
 *     are full, and refills them between its tasks.  Its results have worker
 *     0 (as inline ones: stats.c counts their time as the coordinator's
 *     inline time), a sequence's in order (self_next: the rest of the one
 *     being run, before the next submission).  Measured on 2 vCPUs: a third
 *     thread (a coordinator that sleeps on its doorbell between results) cost
 *     a wake-up and a context switch for every few results and took a core
 *     from a worker whenever it ran; -j2 on the include-shaped benchmark
 *     tree 562 -> 472 ms (README, Performance).
 *   - Waking.  runner_submit sends a task quietly (chan_send_quiet) and
 *     runner_wait wakes the workers that got tasks since its last call
 *     before it looks for a result (chan_wake: one fence per worker for all
 *     the tasks of one round of dispatching, not one per task); the
 *     coordinator always waits after it submits, so no task is left
 *     unannounced to a sleeping worker.  A worker sends its results quietly
 *     too (the coordinator never sleeps in chan_recv on an outbox), without
 *     ringing the coordinator's
 *     doorbell, and rings it once its inbox is down to LOW_WATER tasks: the
 *     coordinator then collects every waiting result in one wake-up and
 *     refills the inbox while the worker runs what it has (a wake-up per
 *     result cost more than a whole task), and at once after a sequence
 *     (the importers of its last module wait for the coordinator to see
 *     it).  No result is stranded: a worker
 *     always reaches LOW_WATER before it runs dry, and rings then.  The
 *     coordinator scans the outboxes before sleeping, and the doorbell
 *     remembers a ring that happened since its last wait, so no wakeup is
 *     lost.
 *   - Spinning.  A worker whose inbox ran dry spins for WORKER_SPIN_NS before
 *     it sleeps, and the coordinator spins for COORD_SPIN_NS before it sleeps
 *     when it holds no task of its own and no more submissions are in flight
 *     than there are workers (the workers are starving, so a core is free and
 *     the next result is urgent — a chain of dependent modules).  Ties in dispatch go to the worker that
 *     returned a result most recently: it is the one still spinning.
 *     Shutdown: a TASK_STOP message into every inbox, then every thread is
 *     joined.
 *   - Fresh memory.  A worker thread touches the pool's next region ahead
 *     itself (pool_touch_here, base/pool.h), so that the first write of a
 *     fresh 2 MiB region (up to 4 ms when the host must back it) falls on
 *     a worker rather than on this thread in the middle of a task of its
 *     own share, while the workers' inboxes run dry.
 */
#include "workers/worker.h"

#include "base/mem.h"
#include "base/pool.h"
#include "base/spin.h"
#include "channels/chan.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCRATCH_KEEP (1u << 20)     /* scratch capacity kept across tasks */
#define PER_WORKER 6u               /* submissions in flight per worker thread:
                                     * enough that a busy worker rarely sleeps
                                     * between tasks (measured with make bench) */
#define RING_SIZE 8u                /* inbox: > PER_WORKER + the stop message */
#define SEQ_MAX 64u                 /* tasks in one submission (a sequence) */
#define OUT_RING 256u               /* outbox: results of tasks in flight */
#define OUT_CAP (OUT_RING - 1u)     /* ... which it holds (ck_ring keeps one
                                     * slot empty): tasks in flight per worker */
#define LOW_WATER 2u                /* inbox level at which a worker rings */
#define WORKER_SPIN_NS 100000u      /* idle worker: spin before sleeping */
#define COORD_SPIN_NS 200000u       /* starving workers: coordinator spin */
#define SELF_SUBS 1u                /* submissions the coordinator holds for
                                     * itself (it refills before each run) */
#define SELF_CAP 64u                /* ... and tasks (a sequence's each) */

typedef enum { RUNNER_INLINE, RUNNER_SCRIPTED, RUNNER_THREADS } RunnerKind;

typedef struct Worker {
    pthread_t thread;
    uint32_t number;                /* 1..N (Result.worker, Task.keep_by_worker) */
    Chan *inbox, *outbox;
    Doorbell *bell;                 /* the coordinator's */
    uint32_t in_flight;             /* coordinator's count of tasks */
    uint32_t subs;                  /* ... of submissions (inbox messages) */
    /* ... and their lengths in tasks, oldest first (results come back in
     * submission order, each submission's in its tasks' order): a ring */
    uint32_t sub_len[PER_WORKER];
    uint32_t sub_head;
    bool unwoken;                   /* coordinator's: tasks sent quietly since
                                     * its last chan_wake of the inbox */
    uint64_t last_result;           /* coordinator's: results_seen at its last result */
    bool started;
} Worker;

struct Runner {
    RunnerKind kind;
    uint32_t capacity, in_flight;
    /* inline / scripted */
    Arena scratch;
    Result *pending;
    uint32_t *pending_seq;          /* scripted: sequence number of each */
    uint32_t pending_count;
    uint32_t seq_next;
    uint64_t rng;
    /* threads */
    Worker *workers;
    uint32_t worker_count;
    uint32_t next_scan;
    uint32_t subs;                  /* submissions in flight, all workers */
    uint64_t results_seen;
    Doorbell *bell;
    /* The coordinator's own share: submissions it runs itself, on its own
     * thread, when no worker has a result for it (SELF_SUBS at most, taken
     * only when every worker's inbox is full); the one whose sequence is
     * being run goes on at self_next. */
    Task self_q[SELF_SUBS];
    uint32_t self_head, self_subs, self_in_flight;
    const Task *self_next;
};

static Runner *runner_new(RunnerKind kind, uint32_t capacity)
{
    Runner *r = mem_calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->kind = kind;
    r->capacity = capacity;
    arena_init(&r->scratch, ARENA_DEFAULT_CHUNK, SCRATCH_KEEP);
    if (kind != RUNNER_THREADS) {
        r->pending = mem_calloc(capacity, sizeof *r->pending);
        r->pending_seq = mem_calloc(capacity, sizeof *r->pending_seq);
        if (!r->pending || !r->pending_seq) {
            mem_free(r->pending);
            mem_free(r->pending_seq);
            mem_free(r);
            return NULL;
        }
    }
    return r;
}

Runner *runner_inline_create(void)
{
    return runner_new(RUNNER_INLINE, 1);
}

Runner *runner_scripted_create(uint64_t seed, uint32_t capacity)
{
    Runner *r = runner_new(RUNNER_SCRIPTED, capacity ? capacity : 1);
    if (r)
        r->rng = seed ? seed : 0x9e3779b97f4a7c15ull;
    return r;
}

/* The next task of worker w: at once if one is waiting, else after a
 * bounded spin, else after sleeping.  False once the inbox is closed. */
static bool next_task(Worker *w, Task *t)
{
    if (chan_try_recv(w->inbox, t))
        return true;
    uint64_t deadline = spin_now_ns() + WORKER_SPIN_NS;
    do {
        for (int i = 0; i < 32; i++) {
            if (chan_try_recv(w->inbox, t))
                return true;
            spin_pause();
        }
    } while (spin_now_ns() < deadline);
    return chan_recv(w->inbox, t);
}

void worker_run_sequence(Arena *scratch, const Task *t,
                         void (*emit)(void *ud, const Result *r), void *ud)
{
    while (t) {
        Result res;
        worker_run_task(scratch, t, &res);
        const Task *then = t->then;
        if (then)
            *t->fill = res.kind == RESULT_CHECKED ? res.artifact : NULL;
        emit(ud, &res);             /* t may be gone after this */
        t = then;
    }
}

static void send_result(void *ud, const Result *res)
{
    Worker *w = ud;
    /* quiet: the coordinator never sleeps in chan_recv on an outbox, it
     * polls them and sleeps on the doorbell (rung below) */
    bool sent = chan_send_quiet(w->outbox, res);
    assert(sent && "outbox full: more tasks in flight than the ring holds");
    (void)sent;
}

static void *worker_main(void *arg)
{
    Worker *w = arg;
    Arena scratch;
    arena_init(&scratch, ARENA_DEFAULT_CHUNK, SCRATCH_KEEP);
    pool_touch_here(true);      /* fresh regions are paid for here (base/pool.h) */
    worker_set_number(w->number);
    Task t;
    while (next_task(w, &t)) {
        if (t.kind == TASK_STOP)
            break;
        worker_run_sequence(&scratch, &t, send_result, w);
        /* after a sequence at once: its last module's importers (a chain
         * going on) wait for the coordinator to see it */
        if (chan_count(w->inbox) <= LOW_WATER || t.then)
            doorbell_ring(w->bell);
    }
    arena_free(&scratch);
    return NULL;
}

static void threads_teardown(Runner *r)
{
    for (uint32_t i = 0; i < r->worker_count; i++) {
        Worker *w = &r->workers[i];
        if (w->started) {
            Task stop;
            memset(&stop, 0, sizeof stop);
            stop.kind = TASK_STOP;
            if (!chan_send(w->inbox, &stop))
                chan_close(w->inbox);   /* the thread wakes and sees it closed */
            pthread_join(w->thread, NULL);
        }
        if (w->inbox)
            chan_destroy(w->inbox);
        if (w->outbox)
            chan_destroy(w->outbox);
    }
    mem_free(r->workers);
    if (r->bell)
        doorbell_destroy(r->bell);
}

Runner *runner_threads_create(uint32_t jobs, char *why, size_t why_size)
{
    /* the coordinator's thread is one of the jobs */
    uint32_t workers = jobs > 2 ? jobs - 1 : 1;
    snprintf(why, why_size, "out of memory");
    Runner *r = runner_new(RUNNER_THREADS, workers * PER_WORKER + SELF_SUBS);
    if (!r)
        return NULL;
    r->workers = mem_calloc(workers, sizeof *r->workers);
    r->bell = doorbell_create();
    if (!r->workers || !r->bell)
        goto fail;
    r->worker_count = workers;
    for (uint32_t i = 0; i < workers; i++) {
        Worker *w = &r->workers[i];
        w->number = i + 1;
        w->bell = r->bell;
        w->inbox = chan_create(RING_SIZE, sizeof(Task), NULL);
        w->outbox = chan_create(OUT_CAP, sizeof(Result), NULL);
        if (!w->inbox || !w->outbox)
            goto fail;
        int err = pthread_create(&w->thread, NULL, worker_main, w);
        if (err != 0) {
            snprintf(why, why_size, "cannot create worker thread %u of %u: %s", i + 1,
                     workers, strerror(err));
            goto fail;
        }
        w->started = true;
    }
    return r;
fail:
    threads_teardown(r);
    arena_free(&r->scratch);
    mem_free(r);
    return NULL;
}

uint32_t runner_capacity(const Runner *r)  { return r->capacity; }
uint32_t runner_in_flight(const Runner *r) { return r->in_flight; }
uint32_t runner_workers(const Runner *r)
{
    return r->kind == RUNNER_THREADS ? r->worker_count + 1 : 1;
}

/* Whether worker w can take one more submission (of one task at least). */
static bool can_take(const Worker *w)
{
    return w->subs < PER_WORKER && w->in_flight < OUT_CAP;
}

/* the least loaded worker (fewest tasks) of those that can take a
 * submission; ties go to the one that returned a result most recently (it
 * is still spinning for work); NULL when none can */
static Worker *least_loaded(const Runner *r)
{
    Worker *best = NULL;
    for (uint32_t i = 0; i < r->worker_count; i++) {
        Worker *w = &r->workers[i];
        if (can_take(w) && (!best || w->in_flight < best->in_flight ||
                            (w->in_flight == best->in_flight && w->last_result > best->last_result)))
            best = w;
    }
    return best;
}

/* Whether the coordinator can take one more submission for itself. */
static bool self_can_take(const Runner *r)
{
    return r->self_subs < SELF_SUBS && r->self_in_flight < SELF_CAP;
}

uint32_t runner_free_slots(const Runner *r)
{
    if (r->kind != RUNNER_THREADS)
        return r->capacity - r->in_flight;
    uint32_t free = self_can_take(r) ? SELF_SUBS - r->self_subs : 0;
    for (uint32_t i = 0; i < r->worker_count; i++)
        if (can_take(&r->workers[i]))
            free += PER_WORKER - r->workers[i].subs;
    return free;
}

uint32_t runner_sequence_room(const Runner *r)
{
    if (r->kind != RUNNER_THREADS)
        return r->capacity - r->in_flight;
    const Worker *w = least_loaded(r);
    uint32_t room = w ? OUT_CAP - w->in_flight
                  : self_can_take(r) ? SELF_CAP - r->self_in_flight : 0;
    return room < SEQ_MAX ? room : SEQ_MAX;
}

uint32_t runner_sequence_max(const Runner *r)
{
    return r->kind == RUNNER_THREADS ? r->worker_count * OUT_CAP + SELF_CAP : r->capacity;
}

static void keep_pending(void *ud, const Result *res)
{
    Runner *r = ud;
    r->pending_seq[r->pending_count] = r->seq_next;
    r->pending[r->pending_count++] = *res;
}

bool runner_submit(Runner *r, const Task *t)
{
    uint32_t len = 0;
    for (const Task *k = t; k; k = k->then)
        len++;
    if (r->kind == RUNNER_THREADS) {
        Worker *best = least_loaded(r);
        if (!best) {            /* every inbox is full: the coordinator's own */
            if (!self_can_take(r) || r->self_in_flight + len > SELF_CAP || len > SEQ_MAX)
                return false;
            r->self_q[(r->self_head + r->self_subs) % SELF_SUBS] = *t;
            r->self_subs++;
            r->self_in_flight += len;
            r->in_flight += len;
            return true;
        }
        if (best->in_flight + len > OUT_CAP || len > SEQ_MAX ||
            !chan_send_quiet(best->inbox, t))
            return false;
        best->in_flight += len;
        best->sub_len[(best->sub_head + best->subs) % PER_WORKER] = len;
        best->subs++;
        r->subs++;
        best->unwoken = true;
    } else {
        if (r->in_flight + len > r->capacity)
            return false;
        worker_run_sequence(&r->scratch, t, keep_pending, r);
        r->seq_next++;
    }
    r->in_flight += len;
    return true;
}

static uint64_t next_random(Runner *r)
{
    uint64_t x = r->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->rng = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* One result from any worker's outbox, if there is one. */
static bool threads_try_reap(Runner *r, Result *out)
{
    for (uint32_t k = 0; k < r->worker_count; k++) {
        uint32_t i = (r->next_scan + k) % r->worker_count;
        Worker *w = &r->workers[i];
        if (w->in_flight > 0 && chan_try_recv(w->outbox, out)) {
            out->worker = w->number;
            w->in_flight--;
            if (--w->sub_len[w->sub_head] == 0) {   /* its submission's last */
                w->sub_head = (w->sub_head + 1) % PER_WORKER;
                w->subs--;
                r->subs--;
            }
            w->last_result = ++r->results_seen;
            r->in_flight--;
            r->next_scan = i + 1;   /* fairness between workers */
            return true;
        }
    }
    return false;
}

/* The inboxes that got tasks since the last call: their workers are woken
 * if they sleep (one fence each for all the tasks the coordinator just
 * sent them, instead of one per task). */
static void threads_wake(Runner *r)
{
    for (uint32_t i = 0; i < r->worker_count; i++) {
        Worker *w = &r->workers[i];
        if (w->unwoken) {
            w->unwoken = false;
            chan_wake(w->inbox);
        }
    }
}

/* Runs the coordinator's next own task (the rest of a sequence first), if
 * it holds one; its result goes to out (worker 0: this thread). */
static bool self_run(Runner *r, Result *out)
{
    Task head;
    const Task *t = r->self_next;
    if (!t) {
        if (r->self_subs == 0)
            return false;
        head = r->self_q[r->self_head];
        r->self_head = (r->self_head + 1) % SELF_SUBS;
        r->self_subs--;
        t = &head;
    }
    worker_run_task(&r->scratch, t, out);
    r->self_next = t->then;
    if (t->then)
        *t->fill = out->kind == RESULT_CHECKED ? out->artifact : NULL;
    out->worker = 0;
    r->self_in_flight--;
    r->in_flight--;
    return true;
}

void runner_wait(Runner *r, Result *out)
{
    assert(r->in_flight > 0);
    if (r->kind == RUNNER_THREADS) {
        threads_wake(r);
        for (;;) {
            if (threads_try_reap(r, out) || self_run(r, out))
                return;
            if (r->subs <= r->worker_count) {
                uint64_t deadline = spin_now_ns() + COORD_SPIN_NS;
                do {
                    for (int i = 0; i < 16; i++) {
                        if (threads_try_reap(r, out))
                            return;
                        spin_pause();
                    }
                } while (spin_now_ns() < deadline);
            }
            doorbell_wait(r->bell);
        }
    }
    uint32_t pick = 0;
    if (r->kind == RUNNER_SCRIPTED) {
        pick = (uint32_t)(next_random(r) % r->pending_count);
        /* the earliest pending result of its sequence (kept in order) */
        for (uint32_t k = 0; k < pick; k++)
            if (r->pending_seq[k] == r->pending_seq[pick]) {
                pick = k;
                break;
            }
    }
    *out = r->pending[pick];
    /* keep the rest in submission order: later ones of a sequence stay
     * behind the earlier ones */
    memmove(&r->pending[pick], &r->pending[pick + 1],
            (r->pending_count - pick - 1) * sizeof *r->pending);
    memmove(&r->pending_seq[pick], &r->pending_seq[pick + 1],
            (r->pending_count - pick - 1) * sizeof *r->pending_seq);
    r->pending_count--;
    r->in_flight--;
}

uint32_t runner_worker_slots(const Runner *r)
{
    uint32_t free = 0;
    for (uint32_t i = 0; r->kind == RUNNER_THREADS && i < r->worker_count; i++)
        if (can_take(&r->workers[i]))
            free += PER_WORKER - r->workers[i].subs;
    return free;
}

bool runner_poll(Runner *r, Result *out)
{
    if (r->kind != RUNNER_THREADS)
        return false;
    threads_wake(r);
    return threads_try_reap(r, out);
}

void runner_destroy(Runner *r)
{
    if (!r)
        return;
    if (r->kind == RUNNER_THREADS)
        threads_teardown(r);
    mem_free(r->pending);
    mem_free(r->pending_seq);
    arena_free(&r->scratch);
    mem_free(r);
}
