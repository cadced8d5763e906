/* tree.h — temporary source trees for the coordinator tests (header-only:
 * each test is its own program).
 *
 *   tree_make("coord_pool");          // /tmp/coord_pool_XXXXXX
 *   put("A/B.kite", "module A.B exposing ()\n");
 *   ... coord_add_root(s, tree) ...
 *   tree_remove();
 */
#ifndef COORD_TESTS_TREE_H
#define COORD_TESTS_TREE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char tree[64];

static void tree_make(const char *prefix)
{
    snprintf(tree, sizeof tree, "/tmp/%s_XXXXXX", prefix);
    assert_non_null(mkdtemp(tree));
}

/* Writes `text` to tree/rel, creating the folders on the way. */
static void put(const char *rel, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tree, rel);
    for (char *p = path + strlen(tree) + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int tree_remove(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -r '%s'", tree);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
