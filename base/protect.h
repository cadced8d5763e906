/* protect — the one protected call: the only out-of-memory setjmp of the
 * project (as luaD_rawrunprotected is the only setjmp of Lua; the parser's
 * per-declaration syntax recovery is its own, see modules/parse.c).
 *
 * protect_call runs body(ud) with the out-of-memory jump target of every
 * arena it is given set to its own frame, so that inside the body no
 * allocation from those arenas returns NULL: a failure jumps back to
 * protect_call, which returns false.  Either way the arenas' previous
 * targets are restored before it returns, so no target outlives the frame
 * it points into, and protected calls nest (an inner one's failure ends the
 * inner body only).
 *
 * Invariants
 *   - Everything a body allocates lives in arenas its caller owns and
 *     releases by resetting them, so abandoning a body leaks nothing.  A
 *     body that holds another resource (an open directory, a malloc'd
 *     block) parks the target (arena_set_oom(a, NULL)) while it holds it
 *     and checks those allocations itself.
 *   - Results travel in *ud, which the body fills; no local of a frame
 *     that setjmp returns into twice is written in between, so nothing
 *     outside protect.c needs `volatile`.
 *   - protect_throw(a) ends the protected call that guards `a` as if `a` had
 *     run out of memory: for failures that are not an arena's own (a builder
 *     at its maximum count, an interning table that cannot grow).
 *   - The same arena may appear more than once in the list.
 */
#ifndef COORD_BASE_PROTECT_H
#define COORD_BASE_PROTECT_H

#include "base/arena.h"

#include <stdbool.h>
#include <stdint.h>

#define PROTECT_MAX_ARENAS 4

typedef void ProtectBody(void *ud);

/* true when the body returned, false when it ran out of memory. */
bool protect_call(Arena *const *arenas, uint32_t count, ProtectBody *body, void *ud);

/* Only inside a protected call that guards `a`. */
_Noreturn void protect_throw(const Arena *a);

#endif
