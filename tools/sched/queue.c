/* tools/sched/queue.c — the baseline scheduler of `make bench`: one shared
 * work queue behind a pthread mutex and condition variable, N threads.
 *
 *   usage: sched_queue ROOT JOBS
 *
 * Step 1 parses every module through the queue; step 2 links imports; step 3
 * runs canonicalize (ready at once) and typecheck (ready when the module is
 * canonicalized and its imports are checked) through the same queue.
 * Prints one line: modules, lines, reports, wall seconds.
 */
#include "tools/sched/graph.h"

#include <pthread.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { T_PARSE, T_CANON, T_CHECK };

typedef struct Pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;          /* work arrived, or everything finished */
    uint32_t *queue;            /* ring of encoded tasks: module << 2 | kind */
    uint32_t head, tail, cap;
    uint32_t outstanding;       /* tasks queued or running in this step */
    int quit;
    SGraph *g;
    uint32_t *pending;          /* step 3: unmet inputs before check */
    uint32_t *ucount, *users;   /* reverse edges (CSR) */
    int failed;
} Pool;

static void push(Pool *p, uint32_t task)
{
    p->queue[p->tail++ % p->cap] = task;
    p->outstanding++;
}

static void finish_check_input(Pool *p, uint32_t m)
{
    if (--p->pending[m] == 0) push(p, m << 2 | T_CHECK);
}

static void *worker(void *arg)
{
    Pool *p = arg;
    void *scratch = sgraph_scratch_new();
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->head == p->tail && !p->quit) pthread_cond_wait(&p->cv, &p->mu);
        if (p->head == p->tail) break;
        uint32_t task = p->queue[p->head++ % p->cap];
        pthread_mutex_unlock(&p->mu);
        uint32_t m = task >> 2, kind = task & 3;
        int rc = kind == T_PARSE ? sgraph_parse(p->g, m, scratch)
               : kind == T_CANON ? sgraph_canon(p->g, m, scratch)
                                 : sgraph_check(p->g, m, scratch);
        pthread_mutex_lock(&p->mu);
        if (rc) p->failed = 1;
        if (kind == T_CANON) finish_check_input(p, m);
        if (kind == T_CHECK)
            for (uint32_t u = p->ucount[m]; u < p->ucount[m + 1]; u++) finish_check_input(p, p->users[u]);
        p->outstanding--;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    sgraph_scratch_free(scratch);
    return NULL;
}

static void wait_step(Pool *p)
{
    pthread_mutex_lock(&p->mu);
    while (p->outstanding) pthread_cond_wait(&p->cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc != 3) { fprintf(stderr, "usage: sched_queue ROOT JOBS\n"); return 2; }
    int jobs = atoi(argv[2]);
    if (jobs < 1) jobs = 1;
    double t0 = now();
    SGraph *g = sgraph_load(argv[1]);
    if (!g) return 2;
    uint32_t n = sgraph_count(g);
    Pool p = { .g = g, .cap = 2 * n + 1 };
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    p.queue = malloc(p.cap * sizeof *p.queue);
    pthread_t *threads = malloc(jobs * sizeof *threads);
    for (int i = 0; i < jobs; i++) pthread_create(&threads[i], NULL, worker, &p);

    pthread_mutex_lock(&p.mu);
    for (uint32_t m = 0; m < n; m++) push(&p, m << 2 | T_PARSE);
    pthread_cond_broadcast(&p.cv);
    pthread_mutex_unlock(&p.mu);
    wait_step(&p);
    if (p.failed || sgraph_link(g) != 0) { fprintf(stderr, "sched_queue: parse or link failed\n"); return 1; }

    p.pending = malloc((n + 1) * sizeof *p.pending);
    p.ucount = calloc(n + 2, sizeof *p.ucount);
    for (uint32_t m = 0; m < n; m++) {
        p.pending[m] = 1 + sgraph_dep_count(g, m);
        for (uint32_t k = 0; k < sgraph_dep_count(g, m); k++) p.ucount[sgraph_dep(g, m, k) + 1]++;
    }
    for (uint32_t m = 0; m < n; m++) p.ucount[m + 1] += p.ucount[m];
    p.users = malloc((p.ucount[n] + 1) * sizeof *p.users);
    uint32_t *fill = calloc(n + 1, sizeof *fill);
    for (uint32_t m = 0; m < n; m++)
        for (uint32_t k = 0; k < sgraph_dep_count(g, m); k++) {
            uint32_t d = sgraph_dep(g, m, k);
            p.users[p.ucount[d] + fill[d]++] = m;
        }
    pthread_mutex_lock(&p.mu);
    for (uint32_t m = 0; m < n; m++) push(&p, m << 2 | T_CANON);
    pthread_cond_broadcast(&p.cv);
    pthread_mutex_unlock(&p.mu);
    wait_step(&p);

    pthread_mutex_lock(&p.mu);
    p.quit = 1;
    pthread_cond_broadcast(&p.cv);
    pthread_mutex_unlock(&p.mu);
    for (int i = 0; i < jobs; i++) pthread_join(threads[i], NULL);
    double t1 = now();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("sched_queue modules=%u lines=%llu reports=%llu wall=%.3f maxrss_kb=%ld failed=%d\n", n,
           (unsigned long long)sgraph_lines(g), (unsigned long long)sgraph_report_count(g), t1 - t0,
           ru.ru_maxrss, p.failed);
    sgraph_free(g);
    free(p.queue); free(p.pending); free(p.ucount); free(p.users); free(fill); free(threads);
    return p.failed ? 1 : 0;
}
