// tools/sched/tbb.cpp — the oneTBB comparison scheduler of `make bench`:
// the same phase functions over the same module graph, scheduled by
// tbb::parallel_for (parse) and a tbb::flow::graph of continue_nodes
// (canonicalize -> typecheck, typecheck of an import -> typecheck).
//
//   usage: sched_tbb ROOT JOBS
//
// Prints one line: modules, lines, reports, wall seconds.
#include <tbb/enumerable_thread_specific.h>
#include <tbb/flow_graph.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "tools/sched/graph.h"

using tbb::flow::continue_msg;
using Node = tbb::flow::continue_node<continue_msg>;

int main(int argc, char **argv)
{
    if (argc != 3) { std::fprintf(stderr, "usage: sched_tbb ROOT JOBS\n"); return 2; }
    int jobs = std::atoi(argv[2]);
    if (jobs < 1) jobs = 1;
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, (size_t)jobs);
    auto t0 = std::chrono::steady_clock::now();
    SGraph *g = sgraph_load(argv[1]);
    if (!g) return 2;
    uint32_t n = sgraph_count(g);
    std::atomic<bool> failed{false};
    {
        tbb::enumerable_thread_specific<std::unique_ptr<void, void (*)(void *)>> scratch(
            [] { return std::unique_ptr<void, void (*)(void *)>(sgraph_scratch_new(), sgraph_scratch_free); });
        tbb::parallel_for(0u, n, [&](uint32_t m) {
            if (sgraph_parse(g, m, scratch.local().get())) failed = true;
        });
        if (failed || sgraph_link(g) != 0) {
            std::fprintf(stderr, "sched_tbb: parse or link failed\n");
            return 1;
        }
        tbb::flow::graph fg;
        std::vector<std::unique_ptr<Node>> canon(n), check(n);
        for (uint32_t m = 0; m < n; m++) {
            canon[m] = std::make_unique<Node>(fg, [&, m](const continue_msg &) {
                if (sgraph_canon(g, m, scratch.local().get())) failed = true;
                return continue_msg();
            });
            check[m] = std::make_unique<Node>(fg, [&, m](const continue_msg &) {
                if (sgraph_check(g, m, scratch.local().get())) failed = true;
                return continue_msg();
            });
        }
        for (uint32_t m = 0; m < n; m++) {
            tbb::flow::make_edge(*canon[m], *check[m]);
            for (uint32_t k = 0; k < sgraph_dep_count(g, m); k++)
                tbb::flow::make_edge(*check[sgraph_dep(g, m, k)], *check[m]);
        }
        for (uint32_t m = 0; m < n; m++) canon[m]->try_put(continue_msg());
        fg.wait_for_all();
    }
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    std::printf("sched_tbb modules=%u lines=%llu reports=%llu wall=%.3f maxrss_kb=%ld failed=%d\n", n,
                (unsigned long long)sgraph_lines(g), (unsigned long long)sgraph_report_count(g), wall,
                ru.ru_maxrss, (int)failed.load());
    sgraph_free(g);
    return failed ? 1 : 0;
}
