/* protect — the one protected call (protect.h has the contract). */
#include "base/protect.h"

#include <assert.h>
#include <setjmp.h>
#include <stdlib.h>

bool protect_call(Arena *const *arenas, uint32_t count, ProtectBody *body, void *ud)
{
    assert(count <= PROTECT_MAX_ARENAS);
    jmp_buf *saved[PROTECT_MAX_ARENAS];
    /* every previous target first: an arena listed twice keeps its own */
    for (uint32_t i = 0; i < count; i++)
        saved[i] = arenas[i]->oom;
    jmp_buf target;
    volatile bool finished = false;
    if (setjmp(target) == 0) {
        for (uint32_t i = 0; i < count; i++)
            arena_set_oom(arenas[i], &target);
        body(ud);
        finished = true;
    }
    for (uint32_t i = count; i-- > 0;)
        arena_set_oom(arenas[i], saved[i]);
    return finished;
}

_Noreturn void protect_throw(const Arena *a)
{
    assert(a->oom && "protect_throw outside a protected call");
    if (!a->oom)
        abort();
    longjmp(*a->oom, 1);
}
