/* threads.h — how many threads this process has now (/proc/self/task), for
 * the tests that assert a thread was joined or never started (header-only:
 * each test is its own program). */
#ifndef COORD_TESTS_THREADS_H
#define COORD_TESTS_THREADS_H

#include <dirent.h>

static int threads_now(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

#endif
