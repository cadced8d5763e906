# coord — GNU make only.
#
#   make            release libcoord.a and coord into build/release/
#   make run        check the bundled example program
#   make test       everything CI runs (unit tests and golden end-to-end
#                   tests under AddressSanitizer + UBSan, the unit tests
#                   again at -O2, reduced stress)
#   make asan       unit + golden tests under ASan/UBSan (what `test` runs)
#   make tsan       threaded tests and the coordinator under ThreadSanitizer
#   make deps       install missing Debian packages (called automatically)
#   make install    coord, libcoord.a, libcoord.so, coord.h, coord.pc, man
#                   pages and bash completion under DESTDIR/PREFIX
#   make uninstall  removes exactly what install put there
#
# Build modes live side by side: build/release, build/asan, build/tsan.

CC      ?= cc
ifeq ($(origin CC),default)
CC      := cc
endif

# B: build root; SRC_DIRS: folders whose sources make up libcoord (both may
# be overridden, e.g. to build one layer alone: make B=build/x SRC_DIRS="base").
# A compiler other than the default cc builds under build/<compiler>, so gcc
# and clang objects never mix.
ifeq ($(CC),cc)
B         ?= build
else
B         ?= build/$(notdir $(CC))
endif
export B
SRC_DIRS  ?= base channels reports modules workers coordinator
CSTD      := -std=c11 -D_GNU_SOURCE
WARN      := -Wall -Wextra -Werror -Wno-unused-parameter
INCLUDES  := -I. -Iinclude
LIBS      := -lhiredis -lpthread -lm
# The shared library's names: soname libcoord.so.0, the file named after
# the full version (COORD_VERSION of include/coord.h).
VERSION := $(shell sed -n 's/^\#define COORD_VERSION "\(.*\)"$$/\1/p' include/coord.h)
SO_NAME := libcoord.so.0
SO_FILE := libcoord.so.$(VERSION)
# ck is header-only here; its version is reported by coord --version.
# Expanded when version.o is compiled (recursive `=`), not when the Makefile
# is read: on a fresh machine pkg-config and libck-dev arrive through `deps`
# during the same make run.
CK_VERSION = $(shell pkg-config --modversion ck 2>/dev/null)
CK_VERSION_DEF = $(if $(CK_VERSION),-DCOORD_CK_VERSION='"$(CK_VERSION)"')

# Per-mode flags.  COORD_TESTING turns on the allocation failpoint.
# Release objects also make libcoord.so: position-independent, and every
# symbol hidden except the COORD_API declarations of include/coord.h.
FLAGS_release := -O2 -g -fPIC -fvisibility=hidden
FLAGS_asan    := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
                 -fno-sanitize-recover=all -DCOORD_TESTING
# TSan builds see channels/tsan first: a ck_pr.h on __atomic builtins
# (DESIGN.md section 5).  ck_ring.h itself is unchanged.
FLAGS_tsan    := -O1 -g -fno-omit-frame-pointer -fsanitize=thread \
                 -DCOORD_TESTING -DCOORD_TSAN -Ichannels/tsan
# The unit tests once more at the release optimization level, with the
# failpoint: warnings only optimization finds (maybe-uninitialized) fail the
# build, and the tests run optimized (`make test` runs them, `make unit-opt`).
FLAGS_opt     := -O2 -g -DCOORD_TESTING
EXTRA_CFLAGS  ?=

# ---------------------------------------------------------------------------
# Dependencies: checked cheaply (four headers); installed when missing.
# (and programs the tests use: mandoc lints the man pages, pkg-config finds
# the installed library, python3 checks SARIF logs, the remote cache tests
# start redis-server)
DEP_HEADERS := /usr/include/ck_ring.h /usr/include/xxhash.h /usr/include/cmocka.h \
               /usr/include/hiredis/hiredis.h \
               /usr/bin/mandoc /usr/bin/pkg-config /usr/bin/python3 /usr/bin/redis-server
HAVE_DEPS   := $(shell for h in $(DEP_HEADERS); do test -f $$h || exit 0; done; echo yes)
ifneq ($(HAVE_DEPS),yes)
NEED_DEPS := deps
endif
# clang's sanitizer and libFuzzer runtimes are a separate Debian package.
ifneq ($(findstring clang,$(CC)),)
CLANG_RT := $(shell $(CC) -print-file-name=libclang_rt.asan-x86_64.a 2>/dev/null)
ifeq ($(wildcard $(CLANG_RT)),)
NEED_DEPS := deps
endif
endif

# Tests never touch the user's result cache: every coord that a test runs
# without its own --cache-dir / COORD_CACHE_DIR uses this one.
export COORD_CACHE_DIR := $(abspath $(B))/test-cache

DEB_PACKAGES := libck-dev libxxhash-dev libcmocka-dev libclang-rt-14-dev mandoc pkg-config python3 \
                libhiredis-dev redis-server

.PHONY: all install uninstall deps run test asan tsan unit golden e2e clean bench bench-channels bench-live \
        bench-parse bench-check stress oom fuzz help

all: $(B)/release/coord $(B)/release/libcoord.a $(B)/release/$(SO_FILE)

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all present"; exit 0; fi; \
	echo "deps: installing$$missing"; \
	if [ "$$(id -u)" != 0 ]; then \
	  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=sudo; else \
	  echo "deps: need root to install:$$missing"; \
	  echo "      run: sudo apt-get update && sudo apt-get install -y$$missing"; exit 1; fi; \
	fi; \
	$$SUDO apt-get update -qq || { echo "deps: apt-get update failed (no network to the Debian archive?)"; \
	  echo "      install by hand:$$missing"; exit 1; }; \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null || \
	  { echo "deps: apt-get install failed for:$$missing"; exit 1; }; \
	echo "deps: installed$$missing"

# ---------------------------------------------------------------------------
# Sources.  Every .c in the source folders belongs to libcoord, except the
# CLI's main.
ALL_SRC  := $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c))
MAIN_SRC := coordinator/main.c coordinator/watch.c
LIB_SRC  := $(filter-out $(MAIN_SRC),$(ALL_SRC))
LIB_HDR  := $(sort $(wildcard include/*.h $(foreach d,$(SRC_DIRS),$(d)/*.h $(d)/*/*.h)))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_NAMES := $(patsubst tests/unit/%.c,%,$(UNIT_SRC))
TOOL_SRC := $(wildcard tools/*.c)

# The build id (coordinator/version.c, `coord --version`): sha256 of every
# library source and header, the mode's compile flags and the compiler's
# version line; its first 64 bits.  `make build-id-MODE` prints it.
build_id_cmd = { cat $(sort $(LIB_SRC)) $(LIB_HDR); \
  echo '$(CC) $(CSTD) $(FLAGS_$(1)) $(EXTRA_CFLAGS)'; \
  $(CC) --version 2>/dev/null | head -n1; } | sha256sum | cut -c1-16
.PHONY: build-id-release build-id-asan build-id-tsan

define MODE_RULES
$(B)/$(1)/obj/%.o: %.c | $$(NEED_DEPS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CSTD) $$(WARN) $$(INCLUDES) $$(FLAGS_$(1)) $$(EXTRA_CFLAGS) -MMD -MP -c $$< -o $$@

build-id-$(1):
	@$$(call build_id_cmd,$(1))

$(B)/$(1)/obj/coordinator/version.o: coordinator/version.c $$(LIB_SRC) $$(LIB_HDR) | $$(NEED_DEPS)
	@mkdir -p $$(dir $$@)
	@id=$$$$($$(call build_id_cmd,$(1))) && \
	echo "$$(CC) ... -DCOORD_BUILD_ID=0x$$$$id -c $$< -o $$@" && \
	$$(CC) $$(CSTD) $$(WARN) $$(INCLUDES) $$(FLAGS_$(1)) $$(EXTRA_CFLAGS) \
	  -DCOORD_BUILD_ID=0x$$$${id}ULL $$(CK_VERSION_DEF) -MMD -MP -c $$< -o $$@

$(B)/$(1)/libcoord.a: $$(patsubst %.c,$(B)/$(1)/obj/%.o,$$(LIB_SRC))
	@mkdir -p $$(dir $$@)
	@rm -f $$@
	ar rcs $$@ $$^

$(B)/$(1)/coord: $$(addprefix $(B)/$(1)/obj/,$$(MAIN_SRC:.c=.o)) $(B)/$(1)/libcoord.a
	$$(CC) $$(FLAGS_$(1)) $$(EXTRA_CFLAGS) -o $$@ $$^ $$(LIBS)

$(B)/$(1)/tests/%: $(B)/$(1)/obj/tests/unit/%.o $(B)/$(1)/libcoord.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(FLAGS_$(1)) $$(EXTRA_CFLAGS) -o $$@ $$^ -lcmocka $$(LIBS)

# The remote cache client's tests run against a server that
# tests/remote/run.sh starts, so they are not among the unit binaries.
$(B)/$(1)/remote/%: $(B)/$(1)/obj/tests/remote/%.o $(B)/$(1)/libcoord.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(FLAGS_$(1)) $$(EXTRA_CFLAGS) -o $$@ $$^ -lcmocka $$(LIBS)

$(B)/$(1)/tools/%: $(B)/$(1)/obj/tools/%.o $(B)/$(1)/libcoord.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(FLAGS_$(1)) $$(EXTRA_CFLAGS) -o $$@ $$^ $$(LIBS)

-include $$(shell find $(B)/$(1)/obj -name '*.d' 2>/dev/null)
endef
$(foreach m,release asan tsan opt,$(eval $(call MODE_RULES,$(m))))
.SECONDARY:
# -MMD does not track headers found through system include paths; the TSan
# shim replaces one, so name it.
$(patsubst %.c,$(B)/tsan/obj/%.o,$(ALL_SRC)): channels/tsan/ck_pr.h

# ---------------------------------------------------------------------------
# The shared library (release objects only): soname libcoord.so.0, the file
# named after the full version, exporting only coord_* (tests/install.sh).
$(B)/release/$(SO_FILE): $(patsubst %.c,$(B)/release/obj/%.o,$(LIB_SRC))
	$(CC) $(FLAGS_release) $(EXTRA_CFLAGS) -shared -Wl,-soname,$(SO_NAME) -Wl,-z,defs \
	  -o $@ $^ $(LIBS)
	ln -sf $(SO_FILE) $(B)/release/$(SO_NAME)
	ln -sf $(SO_NAME) $(B)/release/libcoord.so

# ---------------------------------------------------------------------------
# Installing (GNU directory variables; DESTDIR for staging).  The coord
# binary is linked with libcoord.a, so it needs no library path.  After
# installing into a system directory, run ldconfig.
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
LIBDIR      ?= $(PREFIX)/lib
INCLUDEDIR  ?= $(PREFIX)/include
DATAROOTDIR ?= $(PREFIX)/share
MANDIR      ?= $(DATAROOTDIR)/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
BASHCOMPDIR ?= $(DATAROOTDIR)/bash-completion/completions
INSTALL     ?= install
DESTDIR     ?=
# coord.pc names its directories relative to ${prefix} when they lie below
# it (so pkg-config --define-prefix can relocate it).
pc_dir = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))
MAN_PAGES := man/coord.1 man/libcoord.3
INSTALLED := $(BINDIR)/coord $(LIBDIR)/libcoord.a $(LIBDIR)/$(SO_FILE) $(LIBDIR)/$(SO_NAME) \
             $(LIBDIR)/libcoord.so $(INCLUDEDIR)/coord.h $(PKGCONFIGDIR)/coord.pc \
             $(MANDIR)/man1/coord.1 $(MANDIR)/man3/libcoord.3 $(BASHCOMPDIR)/coord

install: all
	$(INSTALL) -d $(addprefix $(DESTDIR),$(BINDIR) $(LIBDIR) $(INCLUDEDIR) $(PKGCONFIGDIR) \
	  $(MANDIR)/man1 $(MANDIR)/man3 $(BASHCOMPDIR))
	$(INSTALL) -m 755 $(B)/release/coord $(DESTDIR)$(BINDIR)/coord
	$(INSTALL) -m 644 $(B)/release/libcoord.a $(DESTDIR)$(LIBDIR)/libcoord.a
	$(INSTALL) -m 755 $(B)/release/$(SO_FILE) $(DESTDIR)$(LIBDIR)/$(SO_FILE)
	ln -sf $(SO_FILE) $(DESTDIR)$(LIBDIR)/$(SO_NAME)
	ln -sf $(SO_NAME) $(DESTDIR)$(LIBDIR)/libcoord.so
	$(INSTALL) -m 644 include/coord.h $(DESTDIR)$(INCLUDEDIR)/coord.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(call pc_dir,$(LIBDIR))|' \
	    -e 's|@INCLUDEDIR@|$(call pc_dir,$(INCLUDEDIR))|' -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|@LIBS@|$(LIBS)|' coord.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/coord.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/coord.pc
	$(INSTALL) -m 644 man/coord.1 $(DESTDIR)$(MANDIR)/man1/coord.1
	$(INSTALL) -m 644 man/libcoord.3 $(DESTDIR)$(MANDIR)/man3/libcoord.3
	$(INSTALL) -m 644 completions/coord.bash $(DESTDIR)$(BASHCOMPDIR)/coord

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))

# ---------------------------------------------------------------------------
# Running.
run: $(B)/release/coord
	$(B)/release/coord check --emit-types examples

# Unit tests (cmocka), one binary each.  A test binary named test_*_mt
# is threaded and also runs under `make tsan`.
unit-%: $(addprefix $(B)/%/tests/,$(UNIT_NAMES))
	@pass=0; fail=0; failed=""; for t in $^; do echo "== $$t"; \
	  if $$t; then pass=$$((pass+1)); else fail=$$((fail+1)); failed="$$failed $$t"; fi; done; \
	echo "unit test binaries: $$pass passed, $$fail failed$${failed:+ (}$${failed# }$${failed:+)}"; \
	test $$fail -eq 0

GOLDEN_MODE ?= asan
golden: $(B)/$(GOLDEN_MODE)/coord
	@if [ -x tests/golden/run.sh ]; then tests/golden/run.sh $(B)/$(GOLDEN_MODE)/coord; \
	 else echo "golden: no golden tests yet"; fi

asan: unit-asan
	@$(MAKE) --no-print-directory golden GOLDEN_MODE=asan

test: asan unit-opt
	@if [ -x tests/ci_extra.sh ]; then tests/ci_extra.sh; fi
	@echo "make test: all passed"

TSAN_NAMES := $(filter %_mt,$(UNIT_NAMES))
tsan: $(addprefix $(B)/tsan/tests/,$(TSAN_NAMES)) $(B)/tsan/coord $(B)/release/tools/gen \
      $(B)/tsan/remote/test_remote
	@set -e; export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"; \
	for t in $(addprefix $(B)/tsan/tests/,$(TSAN_NAMES)); do echo "== $$t (tsan)"; $$t; done; \
	echo "== remote client (tsan)"; tests/remote/run.sh $(B)/tsan/remote/test_remote; \
	echo "== remote cache end to end (tsan)"; tests/remote/e2e.sh $(B)/tsan/coord $(B)/release/tools/gen; \
	tests/tsan_e2e.sh $(B)/tsan/coord $(B)/release/tools/gen
	@echo "make tsan: zero reports"

# Benchmarks print figures; they never fail on a number.
bench-channels: $(B)/release/tools/bench_channels
	$(B)/release/tools/bench_channels

clean:
	rm -rf build

help:
	@sed -n '2,13p' Makefile

# ---------------------------------------------------------------------------
# Scheduler comparison programs for `make bench` (tools/sched/): the same
# phase functions under a mutex+condvar work queue and under oneTBB.
CXX ?= g++
$(B)/release/tools/sched_queue: $(B)/release/obj/tools/sched/queue.o $(B)/release/obj/tools/sched/graph.o $(B)/release/libcoord.a
	@mkdir -p $(dir $@)
	$(CC) $(FLAGS_release) -o $@ $^ $(LIBS)

$(B)/release/tools/sched_tbb: tools/sched/tbb.cpp tools/sched/graph.h $(B)/release/obj/tools/sched/graph.o $(B)/release/libcoord.a | deps-bench
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 -O2 -g -Wall -Wextra -Werror -I. -o $@ tools/sched/tbb.cpp \
	  $(B)/release/obj/tools/sched/graph.o $(B)/release/libcoord.a -ltbb $(LIBS)

# oneTBB is needed by the benchmark only.
deps-bench:
	@test -f /usr/include/tbb/flow_graph.h || $(MAKE) --no-print-directory deps DEB_PACKAGES="libtbb-dev"
.PHONY: deps-bench

# ---------------------------------------------------------------------------
# Issue 6 suites (tests/stress, tests/oom, tests/fuzz, tests/badinput; the
# generator is tools/gen).  `make test` runs reduced versions of them through
# tests/ci_extra.sh.
#   make stress     20 000-module generated trees at -j1/-j2/-j8 (release)
#   make oom        fail allocation N = 1, 2, ... of a 30-module build (asan),
#                   uncached, with an empty and with a warm result cache,
#                   and with a remote cache (an empty server; machine B)
#   make fuzz       libFuzzer over one module's phases, FUZZ_TIME seconds (clang)
#   make badinput   hostile files next to a good module (asan)
FUZZ_TIME ?= 60
FUZZ_B    := $(B)/fuzz

stress: $(B)/release/coord $(B)/release/tools/gen
	tests/stress/run.sh full $(B)/release/coord $(B)/release/tools/gen
	tests/stress/long.sh $(B)/release/coord

oom: $(B)/asan/coord $(B)/asan/tools/gen
	tests/oom/run.sh full $(B)/asan/coord $(B)/asan/tools/gen
	OOM_CACHE=cold tests/oom/run.sh full $(B)/asan/coord $(B)/asan/tools/gen
	OOM_CACHE=warm tests/oom/run.sh full $(B)/asan/coord $(B)/asan/tools/gen
	OOM_CACHE=stale tests/oom/run.sh full $(B)/asan/coord $(B)/asan/tools/gen
	REMOTE_RUN_TIMEOUT=7200 OOM_CACHE=remote-cold tests/remote/run.sh tests/oom/run.sh full $(B)/asan/coord $(B)/asan/tools/gen
	REMOTE_RUN_TIMEOUT=7200 OOM_CACHE=remote-warm tests/remote/run.sh tests/oom/run.sh full $(B)/asan/coord $(B)/asan/tools/gen

badinput: $(B)/asan/coord
	tests/badinput/run.sh $(B)/asan/coord
	tests/badinput/io.sh $(B)/asan/coord

# The fuzz target's library is built with clang and coverage instrumentation
# in its own build root; only the folders the phases need.
fuzz: $(B)/release/tools/gen $(B)/release/coord
	$(MAKE) --no-print-directory B=$(FUZZ_B) CC=clang SRC_DIRS="base reports modules" \
	    EXTRA_CFLAGS=-fsanitize=fuzzer-no-link $(FUZZ_B)/asan/libcoord.a
	clang $(CSTD) $(WARN) $(INCLUDES) $(FLAGS_asan) -fsanitize=fuzzer \
	    tests/fuzz/fuzz_module.c $(FUZZ_B)/asan/libcoord.a $(LIBS) -o $(FUZZ_B)/fuzz_module
	GEN=$(B)/release/tools/gen COORD=$(B)/release/coord tests/fuzz/run.sh $(FUZZ_B)/fuzz_module $(FUZZ_TIME)
	clang $(CSTD) $(WARN) $(INCLUDES) $(FLAGS_asan) -fsanitize=fuzzer \
	    tests/fuzz/fuzz_cache.c workers/cache_store.c $(FUZZ_B)/asan/libcoord.a $(LIBS) -o $(FUZZ_B)/fuzz_cache
	tests/fuzz/run_cache.sh $(FUZZ_B)/fuzz_cache $(FUZZ_TIME) $(B)/release/coord

# Plain replay of the fuzz regressions (no libFuzzer), for tests/ci_extra.sh.
$(B)/asan/fuzz_replay: tests/fuzz/fuzz_module.c $(B)/asan/libcoord.a
	$(CC) $(CSTD) $(WARN) $(INCLUDES) $(FLAGS_asan) -DFUZZ_REPLAY $^ $(LIBS) -o $@
$(B)/asan/fuzz_cache_replay: tests/fuzz/fuzz_cache.c $(B)/asan/libcoord.a
	$(CC) $(CSTD) $(WARN) $(INCLUDES) $(FLAGS_asan) -DFUZZ_REPLAY $^ $(LIBS) -o $@

# ---------------------------------------------------------------------------
# The remote cache client (workers/remote.c) against a private local
# redis-server: 10 000 values read one per request and in batches; prints
# time and round trips per key.  Then coord on a 10 000-module tree: cold,
# local cache only, machine A writing the remote, machine B reading it.
.PHONY: bench-remote
bench-remote: $(B)/release/tools/bench_remote $(B)/release/coord $(B)/release/tools/gen
	tests/remote/run.sh $(B)/release/tools/bench_remote
	tests/remote/run.sh tools/bench_remote.sh $(B)/release/coord $(B)/release/tools/gen

# ---------------------------------------------------------------------------
# Typecheck (modules/check.c): front-end throughput on a generated corpus of
# >= 200,000 lines; prints parse / canonicalize / typecheck lines/s.
bench-check: $(B)/release/tools/bench_check
	$(B)/release/tools/bench_check

# ---------------------------------------------------------------------------
# Parse (modules/lex.c, parse.c): tokenize+parse throughput on a generated
# corpus of >= 200,000 lines plus one 50 MB module; and the 100,000-mutation
# robustness run of tests/unit/test_parse_mutate.c under ASan/UBSan (the unit
# test run does 5,000).
bench-parse: $(B)/release/tools/bench_parse
	$(B)/release/tools/bench_parse

.PHONY: fuzz-parse
fuzz-parse: $(B)/asan/tests/test_parse_mutate
	COORD_PARSE_MUTATIONS=100000 $(B)/asan/tests/test_parse_mutate

# ---------------------------------------------------------------------------
# make bench (issue 7, tools/bench.sh): coord check --stats at -j1, -j2 and
# -jN on four generated workloads: wide, deep, include, tiny (10 000 modules each, kept in
# build/bench/), with sched_queue and sched_tbb side by side.  Prints figures;
# fails only when the schedulers did different work.
bench: $(B)/release/coord $(B)/release/tools/gen $(B)/release/tools/sched_queue \
       $(B)/release/tools/sched_tbb $(B)/release/tools/bench_live
	tools/bench.sh $(B)
	$(MAKE) --no-print-directory bench-live

# make bench-live (issue 13, tools/bench_live.c): one live session on a
# 10 000-module tree (tools/gen --shape include, kept in build/bench/live):
# the cold first run, then leaf / hub body edits, an interface edit of a
# widely used name and a no-change run, with no_rescan + coord_notify and
# with re-scanning; RSS after 1 000 more edits.  BENCH_LIVE_JOBS (default 2).
bench-live: $(B)/release/tools/bench_live $(B)/release/tools/gen
	@mkdir -p build/bench
	@[ -d build/bench/live ] || { $(B)/release/tools/gen --out build/bench/live --modules 10000 \
	    --shape include --fanout 4 --seed 7 >/dev/null && rm -f build/bench/live/expected.txt; }
	$(B)/release/tools/bench_live build/bench/live $${BENCH_LIVE_JOBS:-2}
