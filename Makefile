# tern build.
#   make            builds ./tern (optimised, with debug info)
#   make check      installs missing packages, builds with ASan+UBSan, runs every test
#   make localserve installs missing packages, builds, runs ./tern localserve
#   make fuzz       builds the libFuzzer targets (clang) into build/fuzz/
#   make lint       static analysis (cppcheck)
#   make bench      builds and runs the benchmarks (not part of check); bench-store: bench/store,
#                   bench-dns: bench/dns (the resolver, against NSD in a private namespace)
#   make fmt        formats the sources with clang-format
# Variables: CC (gcc or clang), K=expr (pytest -k filter), F=glob (unit test filter).

CC ?= cc
# V=1 shows full compiler command lines.
Q = $(if $(V),,@)
CLANG ?= clang
PYTHON ?= /usr/bin/python3

# libunbound is linked without pkg-config: its .pc names libevent/nettle as private
# requirements, which pkg-config insists on even for dynamic linking.
PKGS = openssl sqlite3 libcurl jansson expat zlib libsodium libutf8proc libidn2
# Recursive (=) so pkg-config runs only when a recipe needs it, after scripts/deps.sh.
# A failing pkg-config stops the build instead of silently dropping flags.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) || echo PKG_CONFIG_FAILED)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) || echo PKG_CONFIG_FAILED) -lunbound -lpthread -lm

WARN = -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wvla -Wundef -Wcast-qual -Wno-unused-parameter
BASE_CFLAGS = -std=c17 -D_GNU_SOURCE -pthread -Isrc $(WARN) -fstack-protector-strong -fno-strict-aliasing \
	-D_FORTIFY_SOURCE=2 -MMD -MP
RELEASE_CFLAGS = $(BASE_CFLAGS) -O2 -g
SAN = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_CFLAGS = $(BASE_CFLAGS) -O1 -g $(SAN) -DTERN_SANITIZE=1

SRCS := $(shell find src -name '*.c' | sort)
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
UNIT_SRCS := $(wildcard tests/unit/*.c)
TOOL_SRCS := $(wildcard tests/tools/*.c)
FUZZ_SRCS := $(wildcard fuzz/*.c)

REL_OBJS := $(LIB_SRCS:%.c=build/release/%.o)
ASAN_OBJS := $(LIB_SRCS:%.c=build/asan/%.o)
FUZZ_OBJS := $(LIB_SRCS:%.c=build/fuzz/%.o)
UNIT_OBJS := $(UNIT_SRCS:%.c=build/asan/%.o)
TOOLS := $(TOOL_SRCS:tests/tools/%.c=build/asan/tools/%)
FUZZERS := $(FUZZ_SRCS:fuzz/%.c=build/fuzz/%)

.PHONY: all check check-build check-unit check-integration deps localserve fuzz lint fmt clean bench bench-store bench-dns
.DEFAULT_GOAL := all
# Keep intermediate objects (tools, fuzzers) so rebuilds stay incremental.
.SECONDARY:

all: tern

tern: build/release/tern
	cp $< $@

build/release/tern: build/release/src/main.o build/release/libtern.a
	@echo "LD $@"
	$(Q)$(CC) $(RELEASE_CFLAGS) -o $@ $^ $(PKG_LIBS)

# A file per object list that changes only when the list does, so removing a source
# file relinks what contained it.
build/%.list: FORCE
	@mkdir -p $(@D)
	@echo '$(OBJLIST_$(subst /,_,$*))' | cmp -s - $@ || echo '$(OBJLIST_$(subst /,_,$*))' >$@
OBJLIST_release_lib = $(REL_OBJS)
OBJLIST_asan_lib = $(ASAN_OBJS)
OBJLIST_asan_unit = $(UNIT_OBJS)
OBJLIST_fuzz_lib = $(FUZZ_OBJS)
.PHONY: FORCE
FORCE:

build/release/libtern.a: $(REL_OBJS) build/release/lib.list
	@echo "AR $@"
	$(Q)rm -f $@ && ar rcs $@ $(filter %.o,$^)

build/release/%.o: %.c
	@mkdir -p $(@D)
	@echo "CC $<"
	$(Q)$(CC) $(RELEASE_CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

build/asan/tern: build/asan/src/main.o build/asan/libtern.a
	@echo "LD $@"
	$(Q)$(CC) $(ASAN_CFLAGS) -o $@ $^ $(PKG_LIBS)

build/asan/libtern.a: $(ASAN_OBJS) build/asan/lib.list
	@echo "AR $@"
	$(Q)rm -f $@ && ar rcs $@ $(filter %.o,$^)

build/asan/%.o: %.c
	@mkdir -p $(@D)
	@echo "CC (asan) $<"
	$(Q)$(CC) $(ASAN_CFLAGS) $(PKG_CFLAGS) -Itests -c -o $@ $<

build/asan/unit-tests: $(UNIT_OBJS) build/asan/libtern.a build/asan/unit.list
	@echo "LD $@"
	$(Q)$(CC) $(ASAN_CFLAGS) -o $@ $(filter-out %.list,$^) $(PKG_LIBS) -lcriterion

build/asan/tools/%: build/asan/tests/tools/%.o build/asan/libtern.a
	@mkdir -p $(@D)
	@echo "LD $@"
	$(Q)$(CC) $(ASAN_CFLAGS) -o $@ $^ $(PKG_LIBS)

deps:
	@scripts/deps.sh

check-build: build/asan/tern build/asan/unit-tests $(TOOLS) $(FUZZERS)

check:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory check-build
	@scripts/run-tests.sh

check-unit: build/asan/unit-tests
	@scripts/run-tests.sh unit

check-integration: build/asan/tern $(TOOLS)
	@scripts/run-tests.sh integration

localserve:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory tern
	./tern localserve

# libFuzzer targets: the library is rebuilt with clang and coverage instrumentation.
# Same warnings as the gcc builds: this is also how `make check` proves clang builds tern.
FUZZ_CFLAGS = -std=c17 -D_GNU_SOURCE -pthread -Isrc $(WARN) -g -O1 -fno-omit-frame-pointer -fno-strict-aliasing \
	-fsanitize=fuzzer-no-link,address,undefined -DTERN_FUZZ=1 -MMD -MP

fuzz: $(FUZZERS)

build/fuzz/%.o: %.c
	@mkdir -p $(@D)
	@echo "CC (fuzz) $<"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

build/fuzz/libtern.a: $(FUZZ_OBJS) build/fuzz/lib.list
	@echo "AR $@"
	$(Q)rm -f $@ && ar rcs $@ $(filter %.o,$^)

build/fuzz/%: build/fuzz/fuzz/%.o build/fuzz/libtern.a
	@echo "LD $@"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS)

# Benchmarks: release build, run on request only. BENCH_ARGS passes arguments (e.g. a count).
STORE_BENCH_SRCS := $(wildcard bench/store/*.c)
STORE_BENCHES := $(STORE_BENCH_SRCS:bench/store/%.c=build/release/bench/store/%)

DNS_BENCH := build/release/bench/dns/dnsbench

bench: bench-store bench-dns

bench-dns: $(DNS_BENCH)
	$(PYTHON) bench/dns/run.py

$(DNS_BENCH): bench/dns/dnsbench.c build/release/libtern.a
	@mkdir -p $(@D)
	@echo "LD $@"
	$(Q)$(CC) $(RELEASE_CFLAGS) $(PKG_CFLAGS) -o $@ $^ $(PKG_LIBS)

bench-store: $(STORE_BENCHES)
	@for b in $(STORE_BENCHES); do echo "== $$b"; $$b $(BENCH_ARGS) || exit 1; done

build/release/bench/store/%: bench/store/%.c build/release/libtern.a
	@mkdir -p $(@D)
	@echo "LD $@"
	$(Q)$(CC) $(RELEASE_CFLAGS) $(PKG_CFLAGS) -o $@ $^ $(PKG_LIBS)

lint:
	@scripts/deps.sh
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
		--inline-suppr --std=c11 -D_GNU_SOURCE -Isrc --suppress=missingIncludeSystem \
		$(wildcard src tests/tools fuzz)

fmt:
	clang-format -i $(SRCS) $(shell find src tests fuzz -name '*.h') $(UNIT_SRCS) $(TOOL_SRCS) $(FUZZ_SRCS)

clean:
	rm -rf build tern

-include $(shell find build -name '*.d' 2>/dev/null)
