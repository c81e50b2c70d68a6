# SPDX-License-Identifier: MIT
# lotledger: one plain GNU Makefile. Each variant builds into its own folder
# under build/ (debug, test, clang, asan, fuzz, bench); the library code is
# built once per variant into $(BUILD)/libll.a, which the daemon, the CLI,
# the tests, the fuzzers and the benchmarks all link.

BUILD   ?= build/debug
CC      ?= gcc
OPT     ?= -O2 -g
SAN     ?=
DEFS    ?=
WERROR  ?= -Werror
HARDEN  ?= -D_FORTIFY_SOURCE=2
FUZZ_SECONDS ?= 10
V       ?=

ifeq ($(V),)
Q := @
else
Q :=
endif

ifeq ($(origin CC),default)
CC := gcc
endif

WARN := -Wall -Wextra -Wpedantic $(WERROR) \
	-Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wmissing-declarations \
	-Wold-style-definition -Wcast-align -Wcast-qual -Wpointer-arith \
	-Wwrite-strings -Wundef -Wformat=2 -Wconversion -Wsign-conversion -Wvla \
	-Wimplicit-fallthrough -Wnull-dereference -Wdouble-promotion
ifneq ($(findstring clang,$(CC)),)
WARN += -Wconditional-uninitialized -Wcomma -Wshorten-64-to-32
endif

GEN      := build/gen
CPPFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -I. -I$(GEN) $(DEFS) $(HARDEN) -MMD -MP
CFLAGS   := $(OPT) $(WARN) $(SAN) -fstack-protector-strong -fPIE -pthread
LDFLAGS  := $(SAN) -pie -Wl,-z,relro,-z,now -pthread
LDLIBS   := -luv -lleveldb -lsecp256k1 -lsodium -lprotobuf-nanopb \
	-ljansson -lhttp_parser -lcurl -linih -lqrencode -lpng -lm

PROTOS   ?= $(wildcard ledger/*.proto p2p/*.proto)
PB_C     := $(patsubst %.proto,$(GEN)/%.pb.c,$(PROTOS))
PB_H     := $(PB_C:.c=.h)

LIB_SRC  ?= $(wildcard common/*.c crypto/*.c ledger/*.c p2p/*.c)
LIB_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRC)) \
	$(patsubst $(GEN)/%.c,$(BUILD)/gen/%.o,$(PB_C))
NODE_SRC := $(wildcard node/*.c)
# node/ is built into libnode.a (everything but main.c), which lotledgerd,
# the tests and the fuzzers link ahead of libll.a.
NODE_LIB_SRC := $(filter-out node/main.c,$(NODE_SRC))
NODE_LIB := $(if $(NODE_LIB_SRC),$(BUILD)/libnode.a)
CLI_SRC  := $(wildcard client/*.c)
# client/ likewise builds into libclient.a (all but main.c) for the fuzzers.
CLI_LIB_SRC := $(filter-out client/main.c,$(CLI_SRC))
CLI_LIB := $(if $(CLI_LIB_SRC),$(BUILD)/libclient.a)
BINS     := $(if $(wildcard node/main.c),$(BUILD)/lotledgerd) $(if $(CLI_SRC),$(BUILD)/lotledger)

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/t/%,$(UNIT_SRC))
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
REPLAY_BIN := $(patsubst tests/fuzz/%.c,$(BUILD)/replay/%,$(FUZZ_SRC))
BENCH_SRC := $(wildcard tests/bench/bench_*.c)
BENCH_BIN := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

.PHONY: all lib test unit integration asan ubsan clang fuzz fuzzers fuzz-run \
	bench tidy cppcheck analyze format format-check lint check clean deps \
	run valgrind units replay

all: $(BUILD)/libll.a $(NODE_LIB) $(BINS)

lib: $(BUILD)/libll.a

# ---- generated protobuf code ---------------------------------------------------
$(GEN)/%.pb.c $(GEN)/%.pb.h: %.proto $(wildcard ledger/*.options p2p/*.options)
	@mkdir -p $(GEN)/$(dir $*)
	$(Q)nanopb_generator.py -q -D $(GEN) -I . $<

# ---- objects -------------------------------------------------------------------
$(BUILD)/%.o: %.c $(PB_H)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# nanopb output is compiled without the project's strictest warnings it was
# not written for (-Wconversion family); everything else stays on.
$(BUILD)/gen/%.o: $(GEN)/%.c $(PB_H)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-conversion -Wno-sign-conversion -c -o $@ $<

$(BUILD)/libll.a: $(LIB_OBJ)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/libnode.a: $(patsubst %.c,$(BUILD)/%.o,$(NODE_LIB_SRC))
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/libclient.a: $(patsubst %.c,$(BUILD)/%.o,$(CLI_LIB_SRC))
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/lotledgerd: $(BUILD)/node/main.o $(NODE_LIB) $(BUILD)/libll.a
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/lotledger: $(patsubst %.c,$(BUILD)/%.o,$(CLI_SRC)) $(BUILD)/libll.a
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/t/%: $(BUILD)/tests/unit/%.o $(BUILD)/tests/unit/harness.o $(NODE_LIB) $(BUILD)/libll.a
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Fuzz harnesses also build as plain programs that replay their corpus, so
# every test run re-checks the seeds and past crashers.
$(BUILD)/replay/%: $(BUILD)/tests/fuzz/%.o $(BUILD)/tests/fuzz/replay.o $(CLI_LIB) $(NODE_LIB) $(BUILD)/libll.a
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/fuzz/%: $(BUILD)/tests/fuzz/%.o $(CLI_LIB) $(NODE_LIB) $(BUILD)/libll.a
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/tests/bench/%.o $(BUILD)/tests/bench/benchutil.o $(NODE_LIB) $(BUILD)/libll.a
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Keep objects made through pattern chains (test and fuzz objects) instead of
# deleting them as intermediates. Not .SECONDARY: with it, make treats a
# missing library object as up to date when its source is older than
# libll.a, and a new file would silently be left out of the archive.
.PRECIOUS: $(BUILD)/%.o

# ---- tests -----------------------------------------------------------------------
TEST_BUILD ?= build/test

units: $(UNIT_BIN) $(REPLAY_BIN) $(BINS)

unit: units
	$(Q)tests/run-unit.sh $(BUILD)

test:
	$(Q)$(MAKE) --no-print-directory unit BUILD=$(TEST_BUILD) OPT="-O1 -g" DEFS=-DLL_VERIFY
	$(Q)$(MAKE) --no-print-directory integration BUILD=$(TEST_BUILD) OPT="-O1 -g" DEFS=-DLL_VERIFY

integration: all
	$(Q)tests/run-integration.sh $(BUILD)

clang:
	$(Q)$(MAKE) --no-print-directory all units BUILD=build/clang CC=clang OPT="-O1 -g" DEFS=-DLL_VERIFY

asan:
	$(Q)$(MAKE) --no-print-directory unit BUILD=build/asan CC=clang OPT="-O1 -g -fno-omit-frame-pointer" \
	  DEFS=-DLL_VERIFY HARDEN= SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"

ubsan:
	$(Q)$(MAKE) --no-print-directory unit BUILD=build/ubsan CC=clang OPT="-O1 -g" DEFS=-DLL_VERIFY \
	  SAN="-fsanitize=undefined -fno-sanitize-recover=all"

valgrind:
	$(Q)$(MAKE) --no-print-directory units BUILD=build/valgrind OPT="-O1 -g" DEFS=-DLL_VERIFY
	$(Q)LL_TEST_RUNNER="valgrind -q --error-exitcode=42 --leak-check=full --trace-children=yes" \
	  tests/run-unit.sh build/valgrind

fuzzers: $(FUZZ_BIN)

fuzz:
	$(Q)$(MAKE) --no-print-directory fuzzers BUILD=build/fuzz CC=clang OPT="-O1 -g" HARDEN= \
	  SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all"

fuzz-run: fuzz
	$(Q)tests/fuzz/run.sh build/fuzz $(FUZZ_SECONDS)

# make bench also compares trace queries with PostgreSQL (Debian's server,
# started on a loopback port by tests/bench/pg_trace.sh).
bench:
	$(Q)$(MAKE) --no-print-directory deps DEB_PKGS="$(DEB_PKGS) postgresql"
	$(Q)$(MAKE) --no-print-directory benches BUILD=build/bench OPT="-O2 -g"
	$(Q)tests/bench/run.sh build/bench

benches: $(BENCH_BIN) $(BINS)

# ---- static analysis and style ----------------------------------------------------
C_FILES  := $(LIB_SRC) $(NODE_SRC) $(CLI_SRC) $(wildcard tests/*/*.c)
H_FILES  := $(wildcard common/*.h crypto/*.h ledger/*.h p2p/*.h node/*.h client/*.h tests/*/*.h)

tidy: $(PB_H)
	$(Q)clang-tidy --quiet $(LIB_SRC) $(NODE_SRC) $(CLI_SRC) -- \
	  -std=c11 -D_POSIX_C_SOURCE=200809L -I. -I$(GEN) -DLL_VERIFY

cppcheck: $(PB_H)
	$(Q)cppcheck --quiet --std=c11 --enable=warning,style,performance,portability \
	  --inline-suppr --error-exitcode=1 -I. -I$(GEN) \
	  --suppress=missingIncludeSystem --suppress=unusedStructMember \
	  --suppress=staticFunction \
	  $(LIB_SRC) $(NODE_SRC) $(CLI_SRC)

analyze:
	$(Q)scan-build --status-bugs -o build/scan $(MAKE) --no-print-directory all BUILD=build/scan CC=clang
	$(Q)$(MAKE) --no-print-directory all BUILD=build/fanalyzer OPT="-O1 -g -fanalyzer"

format:
	$(Q)clang-format -i $(C_FILES) $(H_FILES)

format-check:
	$(Q)clang-format --dry-run -Werror $(C_FILES) $(H_FILES)

lint:
	$(Q)tests/lint.sh

check:
	$(Q)tests/check.sh

# Every Debian package the build, the tests and the tools need.
DEB_PKGS := build-essential clang clang-tidy clang-format cppcheck \
	libclang-rt-14-dev pkg-config python3 python3-protobuf nanopb libnanopb-dev \
	libsecp256k1-dev libsodium-dev libleveldb-dev libuv1-dev libjansson-dev \
	libhttp-parser-dev libcurl4-openssl-dev libinih-dev libqrencode-dev \
	libpng-dev curl zbar-tools zint prometheus iproute2 graphviz

deps:
	$(Q)if dpkg -s $(DEB_PKGS) >/dev/null 2>&1; then \
	  echo "deps: all packages present"; \
	else \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(DEB_PKGS); \
	fi

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)node/devnet.sh $(BUILD)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
