/* main — the `coord` command line (LANGUAGE.md section 9).  It uses only the
 * public API of include/coord.h, like any other driver would.
 *
 * Output: text diagnostics go to stderr (coloured per --color, see
 * coord_colour_wanted), followed by the summary line when there are any;
 * JSON diagnostics and the SARIF log to stdout; --emit-types prints to stdout after
 * the diagnostics; --stats prints `stats.key: value` lines to stderr after
 * everything else.  While the build runs, a progress line is drawn on stderr
 * only when stderr is a terminal.  Exit status per LANGUAGE.md section 8;
 * a trace file that cannot be opened or written, and a failed write of
 * standard output or standard error, are I/O errors (2) unless the build
 * itself already failed with a higher status.
 */
#include "coord.h"
#include "coordinator/watch.h"

#ifdef COORD_TESTING
#include "base/mem.h"
#endif

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: coord check [options] PATH...\n"
    "       coord cache info|trim|clean [--cache-dir DIR] [--cache-max SIZE]\n"
    "\n"
    "Checks a build of Kite modules.  Each PATH is a directory (a source root:\n"
    "every *.kite file below it is checked) or a single .kite file.\n"
    "\n"
    "options:\n"
    "  -j N, --jobs N        tasks at once (1 = inline; default: online CPUs)\n"
    "  --format FORMAT       diagnostics format: text (on stderr), json (one object\n"
    "                        per line on stdout) or sarif (one SARIF 2.1.0 log on stdout)\n"
    "  --color WHEN          colour text diagnostics: auto (default: when stderr is a\n"
    "                        terminal; NO_COLOR, CLICOLOR_FORCE), always or never\n"
    "  --emit-types          print the type of every top-level value\n"
    "  -I DIR                another directory to look up imports in\n"
    "  --stats               print build statistics (stats.key: value) to stderr\n"
    "  --watch               check again on every change of the files (inotify),\n"
    "                        until interrupted (Ctrl-C: exit status 130)\n"
    "  --trace FILE          write a Chrome trace-event JSON of every task to FILE\n"
    "  --no-cache            neither use nor fill the result cache\n"
    "  --cache-dir DIR       the result cache (default: $COORD_CACHE_DIR, else\n"
    "                        $XDG_CACHE_HOME/coord, else ~/.cache/coord)\n"
    "  --cache-max SIZE      bound of the cache, e.g. 512M, 2G (default:\n"
    "                        $COORD_CACHE_MAX, else 1G); a run over it trims it\n"
    "  --cache-verify        also check every reused result afresh and compare\n"
    "                        (also COORD_CACHE_VERIFY=1)\n"
    "  --remote-cache URL    also share results through a Redis server:\n"
    "                        redis://HOST[:PORT][/DB] or unix:///PATH (default:\n"
    "                        $COORD_REMOTE_CACHE); looked up after the local cache\n"
    "  --remote-cache-readonly  read the remote cache, never write it\n"
    "  --remote-cache-timeout MS  connect timeout (default 500; each later wait\n"
    "                        on the server: half of it)\n"
    "  --remote-cache-ttl SECONDS  lifetime of remote entries, refreshed on a\n"
    "                        hit (default 604800: 7 days)\n"
    "  --help                show this help\n"
    "  --version             show the version, build id and library versions\n"
    "\n"
    "exit status: 0 no errors, 1 errors in the sources, 2 usage or I/O error,\n"
    "3 the compiler itself failed\n";

static int usage_error(const char *fmt, const char *arg)
{
    fputs("coord: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'coord --help'.\n", stderr);
    return COORD_EXIT_USAGE;
}

/* The value of option `name` (given as "-j N", "-jN", "--jobs N" or
 * "--jobs=N"); advances *i past it.  NULL when argv[*i] is not this option. */
/* A decimal number from 1 to max: 0, else -1. */
static int parse_count(const char *v, uint32_t max, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || *end || end == v || v[0] < '0' || v[0] > '9' || n < 1 || n > max)
        return -1;
    *out = (uint32_t)n;
    return 0;
}

static const char *option_value(int argc, char **argv, int *i, const char *shrt,
                                const char *lng, bool *missing)
{
    const char *a = argv[*i];
    size_t ls = shrt ? strlen(shrt) : 0, ll = strlen(lng);
    const char *v = NULL;
    if ((shrt && strcmp(a, shrt) == 0) || strcmp(a, lng) == 0) {
        if (*i + 1 >= argc) {
            *missing = true;
            return NULL;
        }
        v = argv[++*i];
    } else if (shrt && strncmp(a, shrt, ls) == 0 && a[ls] != '\0') {
        v = a + ls;
    } else if (strncmp(a, lng, ll) == 0 && a[ll] == '=') {
        v = a + ll + 1;
    }
    return v;
}

/* A failed write of the diagnostics, the types or the stats (a full disk) is
 * an I/O error: exit status at least 2, and one line saying so on standard
 * error (unless standard error itself is what failed). */
static int check_output(int status);

/* --cache-dir DIR, --cache-max SIZE: 1 when argv[*i] was one of them, 0
 * when not, -1 for a bad size (reported). */
static int cache_option(int argc, char **argv, int *i, const char **dir, uint64_t *max,
                        bool *missing)
{
    const char *v = option_value(argc, argv, i, NULL, "--cache-dir", missing);
    if (v) {
        *dir = v;
        return 1;
    }
    if (*missing)
        return 0;
    v = option_value(argc, argv, i, NULL, "--cache-max", missing);
    if (!v)
        return 0;
    if (coord_parse_size(v, max) != 0) {
        usage_error("invalid cache size '%s' (expected bytes, or a number with K, M, G or T)", v);
        return -1;
    }
    return 1;
}

/* coord cache info|trim|clean [--cache-dir DIR] [--cache-max SIZE] */
static int cache_command(int argc, char **argv)
{
    if (argc < 3)
        return usage_error("%s", "missing cache command (expected: info, trim or clean)");
    const char *dir = NULL;
    uint64_t max = 0;
    for (int i = 3; i < argc; i++) {
        bool missing = false;
        int rc = cache_option(argc, argv, &i, &dir, &max, &missing);
        if (rc < 0)
            return COORD_EXIT_USAGE;
        if (rc == 0 && missing)
            return usage_error("option '%s' needs a value", argv[i]);
        if (rc == 0)
            return usage_error("unknown option '%s'", argv[i]);
    }
    int status = coord_cache_command(argv[2], dir, max, stdout, stderr);
    if (status == COORD_EXIT_USAGE && strcmp(argv[2], "info") != 0 &&
        strcmp(argv[2], "trim") != 0 && strcmp(argv[2], "clean") != 0)
        return usage_error("unknown cache command '%s' (expected: info, trim or clean)", argv[2]);
    return check_output(status);
}

static int check_output(int status)
{
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        int e = errno;
        fprintf(stderr, "coord: cannot write standard output: %s\n",
                e ? strerror(e) : "write error");
        status = status < COORD_EXIT_USAGE ? COORD_EXIT_USAGE : status;
    }
    if (fflush(stderr) != 0 || ferror(stderr))
        status = status < COORD_EXIT_USAGE ? COORD_EXIT_USAGE : status;
    return status;
}

/* The temporary trace file while it exists, for the signal handler. */
static char *volatile trace_tmp_live;

/* SIGINT, SIGTERM, SIGHUP while a trace is being recorded: remove the
 * temporary file (unlink is async-signal-safe), then die of the signal. */
static void trace_on_signal(int sig)
{
    char *tmp = trace_tmp_live;
    if (tmp)
        unlink(tmp);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* --trace FILE is written to a temporary file next to it (FILE.tmp.XXXXXX,
 * with the mode fopen would give) and renamed over FILE once complete, so an
 * interrupted or failed build leaves FILE as it was, and an interrupt
 * removes the temporary file.  NULL (errno set) when the temporary file
 * cannot be created; *tmp_out is malloc'd. */
static FILE *trace_open(const char *path, char **tmp_out)
{
    size_t n = strlen(path);
    char *tmp = malloc(n + sizeof ".tmp.XXXXXX");
    if (!tmp)
        return NULL;
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
    int fd = mkstemp(tmp);
    FILE *f = NULL;
    if (fd >= 0) {
        mode_t mask = umask(0);
        umask(mask);
        if (fchmod(fd, 0666 & ~mask) != 0 || !(f = fdopen(fd, "w"))) {
            int e = errno;
            close(fd);
            unlink(tmp);
            errno = e;
        }
    }
    if (!f) {
        free(tmp);
        return NULL;
    }
    *tmp_out = tmp;
    trace_tmp_live = tmp;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = trace_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    return f;
}

/* Closes the trace; renames it over `path` when everything was written
 * (werr == 0), else removes it.  0, or -1 when it was not published. */
static int trace_close(FILE *f, char *tmp, const char *path, int werr)
{
    trace_tmp_live = NULL;
    if (fclose(f) != 0)
        werr = -1;
    if (werr == 0 && rename(tmp, path) != 0)
        werr = -1;
    if (werr)
        unlink(tmp);
    free(tmp);
    return werr;
}

int main(int argc, char **argv)
{
#ifdef COORD_TESTING
    mem_failpoint_from_env();
#endif
    if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        coord_print_version(stdout);
        return 0;
    }
    if (argc < 2)
        return usage_error("%s", "missing command (expected: coord check [options] PATH...)");
    if (strcmp(argv[1], "cache") == 0)
        return cache_command(argc, argv);
    if (strcmp(argv[1], "check") != 0)
        return usage_error("unknown command '%s' (expected: check or cache)", argv[1]);

    uint32_t jobs = 0;
    CoordFormat format = COORD_FORMAT_TEXT;
    bool emit_types = false, stats = false, watch = false;
    bool cache = true, cache_verify = false;
    const char *cache_dir = NULL;
    uint64_t cache_max = 0;
    const char *remote = NULL;
    bool remote_readonly = false;
    uint32_t remote_timeout = 0, remote_ttl = 0;
    const char *verify_env = getenv("COORD_CACHE_VERIFY");
    if (verify_env && strcmp(verify_env, "1") == 0)
        cache_verify = true;
    CoordColour colour = COORD_COLOUR_AUTO;
    const char *trace_path = NULL;
    FILE *trace = NULL;
    char *trace_tmp = NULL;
    const char **paths = calloc((size_t)argc, sizeof *paths);
    const char **incs = calloc((size_t)argc, sizeof *incs);
    if (!paths || !incs) {
        fputs("coord: out of memory\n", stderr);
        return COORD_EXIT_INTERNAL;
    }
    int npaths = 0, nincs = 0, status = COORD_EXIT_USAGE;
    bool only_paths = false;
    CoordSession *s = NULL;

    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        bool missing = false;
        const char *v;
        int rc;
        if (only_paths || a[0] != '-' || strcmp(a, "-") == 0) {
            paths[npaths++] = a;
        } else if (strcmp(a, "--") == 0) {
            only_paths = true;
        } else if (strcmp(a, "--help") == 0) {
            fputs(usage_text, stdout);
            status = 0;
            goto out;
        } else if (strcmp(a, "--version") == 0) {
            coord_print_version(stdout);
            status = 0;
            goto out;
        } else if (strcmp(a, "--emit-types") == 0) {
            emit_types = true;
        } else if (strcmp(a, "--stats") == 0) {
            stats = true;
        } else if (strcmp(a, "--watch") == 0) {
            watch = true;
        } else if (strcmp(a, "--no-cache") == 0) {
            cache = false;
        } else if (strcmp(a, "--cache-verify") == 0) {
            cache_verify = true;
        } else if ((rc = cache_option(argc, argv, &i, &cache_dir, &cache_max, &missing)) != 0) {
            if (rc < 0)
                goto out;
        } else if (strcmp(a, "--remote-cache-readonly") == 0) {
            remote_readonly = true;
        } else if ((v = option_value(argc, argv, &i, NULL, "--remote-cache", &missing)) != NULL) {
            remote = v;
        } else if ((v = option_value(argc, argv, &i, NULL, "--remote-cache-timeout", &missing)) != NULL) {
            if (parse_count(v, 600000, &remote_timeout) != 0) {
                usage_error("invalid remote cache timeout '%s' (expected 1 to 600000 ms)", v);
                goto out;
            }
        } else if ((v = option_value(argc, argv, &i, NULL, "--remote-cache-ttl", &missing)) != NULL) {
            if (parse_count(v, UINT32_MAX, &remote_ttl) != 0) {
                usage_error("invalid remote cache TTL '%s' (expected 1 to 4294967295 seconds)", v);
                goto out;
            }
        } else if ((v = option_value(argc, argv, &i, "-j", "--jobs", &missing)) != NULL) {
            char *end;
            errno = 0;
            long n = strtol(v, &end, 10);
            if (errno || *end || end == v || n < 1 || n > 1024) {
                usage_error("invalid number of jobs '%s' (expected 1 to 1024)", v);
                goto out;
            }
            jobs = (uint32_t)n;
        } else if (!missing && (v = option_value(argc, argv, &i, NULL, "--format", &missing)) != NULL) {
            if (strcmp(v, "json") == 0) {
                format = COORD_FORMAT_JSON;
            } else if (strcmp(v, "sarif") == 0) {
                format = COORD_FORMAT_SARIF;
            } else if (strcmp(v, "text") == 0) {
                format = COORD_FORMAT_TEXT;
            } else {
                usage_error("unknown format '%s' (expected text, json or sarif)", v);
                goto out;
            }
        } else if (!missing && (v = option_value(argc, argv, &i, NULL, "--color", &missing)) != NULL) {
            if (strcmp(v, "auto") == 0) {
                colour = COORD_COLOUR_AUTO;
            } else if (strcmp(v, "always") == 0) {
                colour = COORD_COLOUR_ALWAYS;
            } else if (strcmp(v, "never") == 0) {
                colour = COORD_COLOUR_NEVER;
            } else {
                usage_error("unknown colour mode '%s' (expected auto, always or never)", v);
                goto out;
            }
        } else if (!missing && (v = option_value(argc, argv, &i, "-I", "--include", &missing)) != NULL) {
            incs[nincs++] = v;
        } else if (!missing && (v = option_value(argc, argv, &i, NULL, "--trace", &missing)) != NULL) {
            trace_path = v;
        } else if (missing) {
            usage_error("option '%s' needs a value", a);
            goto out;
        } else {
            usage_error("unknown option '%s'", a);
            goto out;
        }
    }
    if (npaths == 0) {
        usage_error("%s", "no PATH given");
        goto out;
    }
    if (format == COORD_FORMAT_SARIF && emit_types) {
        /* both would be on standard output: the log would not parse */
        usage_error("%s", "--emit-types cannot be combined with --format sarif");
        goto out;
    }

    if (watch && trace_path) {
        usage_error("%s", "--watch cannot be combined with --trace");
        goto out;
    }
    if (trace_path) {
        /* opened before the build, so a bad path costs no build */
        trace = trace_open(trace_path, &trace_tmp);
        if (!trace) {
            fprintf(stderr, "coord: cannot open trace file '%s': %s\n", trace_path, strerror(errno));
            goto out;
        }
    }
    CoordOptions opts = { .jobs = jobs, .trace = trace != NULL, .stats = stats, .cache = cache,
                          .cache_dir = cache_dir, .cache_max = cache_max,
                          .cache_verify = cache_verify, .remote_cache = remote,
                          .remote_readonly = remote_readonly,
                          .remote_timeout_ms = remote_timeout, .remote_ttl_s = remote_ttl,
                          .single_run = !watch };
    if (isatty(STDERR_FILENO) == 1)
        opts.progress = stderr;
#ifdef COORD_TESTING
    /* tests: show the progress line sooner than a real build would */
    const char *after = getenv("COORD_PROGRESS_AFTER_MS");
    if (after)
        opts.progress_after_ms = (uint32_t)strtoul(after, NULL, 10);
#endif
    if (watch) {
        opts.progress = NULL;
        WatchSetup ws = { &opts, paths, npaths, incs, nincs, format,
                          coord_colour_wanted(colour, STDERR_FILENO), emit_types, stats,
                          isatty(format == COORD_FORMAT_TEXT ? STDERR_FILENO : STDOUT_FILENO) == 1 };
        status = watch_run(&ws);
        goto out;
    }
    s = coord_session_create(&opts);
    if (!s) {
        fputs("coord: out of memory\n", stderr);
        status = COORD_EXIT_INTERNAL;
        goto out;
    }
    for (int i = 0; i < nincs; i++) {
        int rc = coord_add_search_dir(s, incs[i]);
        if (rc) {
            fprintf(stderr, "coord: %s\n", coord_error(s));
            status = rc;
            goto out;
        }
    }
    for (int i = 0; i < npaths; i++) {
        int rc = coord_add_root(s, paths[i]);
        if (rc) {
            fprintf(stderr, "coord: %s\n", coord_error(s));
            status = rc;
            goto out;
        }
    }
    status = coord_run(s);
    if (status == COORD_EXIT_USAGE) {
        /* a directory of a root that cannot be read (single_run sessions
         * walk their roots in coord_run): as when coord_add_root says so */
        fprintf(stderr, "coord: %s\n", coord_error(s));
        goto out;
    }
    if (coord_cache_warning(s)[0])
        fprintf(stderr, "coord: warning: %s\n", coord_cache_warning(s));
    if (coord_remote_warning(s)[0])
        fprintf(stderr, "coord: warning: remote cache %s\n", coord_remote_warning(s));
    if (format != COORD_FORMAT_TEXT)
        coord_print_reports(s, stdout, format, false);
    else {
        coord_print_reports(s, stderr, COORD_FORMAT_TEXT, coord_colour_wanted(colour, STDERR_FILENO));
        coord_print_summary(s, stderr);
    }
    if (emit_types)
        coord_print_types(s, stdout);
    if (coord_error(s)[0])
        fprintf(stderr, "coord: %s\n", coord_error(s));
    if (trace) {
        int werr = trace_close(trace, trace_tmp, trace_path, coord_write_trace(s, trace));
        trace = NULL;
        if (werr) {
            fprintf(stderr, "coord: cannot write trace file '%s'\n", trace_path);
            if (status < COORD_EXIT_USAGE)
                status = COORD_EXIT_USAGE;
        }
    }
    if (stats) {
        fflush(stdout);
        coord_print_stats(s, stderr);
    }
    status = check_output(status);
out:
    if (trace)
        trace_close(trace, trace_tmp, trace_path, -1);
    fflush(stdout);
    coord_session_destroy(s);
    free(paths);
    free(incs);
    return status;
}
