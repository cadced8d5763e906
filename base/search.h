/* search — lower bound in a table sorted by a uniformly distributed hash.
 *
 * The manifest's records (sorted by path hash) and a pack's index (sorted
 * by key, an xxh3 hash) are looked up once per module of a warm run.  A
 * binary search over 10 000 records makes 14 probes, most of them on
 * cache lines (and pages) no other lookup of the run is near; since the
 * keys are uniform, a record's place is close to count * key / 2^64
 * (interpolation), and a search that starts there and gallops outwards
 * touches a few neighbouring lines instead.
 *
 * search_from is correct for any sorted table whatever the guess (a bad
 * guess only costs probes), and on a table that is not sorted (a forged
 * file) it still returns an index in [0, n] after O(log n) probes: callers
 * compare the record they land on, so a forged order only loses hits.
 */
#ifndef COORD_BASE_SEARCH_H
#define COORD_BASE_SEARCH_H

#include <stdbool.h>
#include <stdint.h>

/* Where a key hashed to h should sit among n uniformly hashed ones. */
static inline uint64_t search_guess(uint64_t h, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)h * n) >> 64);
}

/* The first i in [0, n) with !less(ctx, i), or n, when less(ctx, i) is true
 * for a prefix of [0, n) (the table is sorted); starts at `guess`. */
static inline uint64_t search_from(uint64_t n, uint64_t guess,
                                   bool (*less)(const void *ctx, uint64_t i), const void *ctx)
{
    if (n == 0)
        return 0;
    if (guess >= n)
        guess = n - 1;
    uint64_t lo, hi;        /* the answer is in [lo, hi] */
    if (less(ctx, guess)) {
        lo = guess + 1;
        hi = n;
        for (uint64_t step = 1; lo < n; step *= 2) {
            uint64_t p = n - lo > step ? lo + step - 1 : n - 1;
            if (!less(ctx, p)) {
                hi = p;
                break;
            }
            lo = p + 1;
        }
    } else {
        hi = guess;
        lo = 0;
        for (uint64_t step = 1; hi > 0; step *= 2) {
            uint64_t p = hi > step ? hi - step : 0;
            if (less(ctx, p)) {
                lo = p + 1;
                break;
            }
            hi = p;
        }
    }
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (less(ctx, mid))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

#endif
