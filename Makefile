# SPDX-License-Identifier: MIT
# ferry's build. GNU make + pkg-config.
#
#   make                 release build: build/ferry, build/libferry.a, build/libferry.so
#   make SANITIZE=1      the same with ASan+UBSan into build-san/
#   make test            sanitized build, then every test (tests/run)
#   make fuzz            libFuzzer targets into build-fuzz/ (clang)
#   make bench           release build of the benchmarks
#   make lint            layer check + clang-format check

# `make` alone builds `all`, whatever rule comes first below.
.DEFAULT_GOAL := all

PKGS     := sqlite3 libpq libmicrohttpd jansson libcurl openssl yaml-0.1
CC       ?= cc
WARN     := -std=c11 -Wall -Wextra -Werror -Wpedantic -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wpointer-arith -Wwrite-strings -Wvla -Wformat=2 \
            -Wimplicit-fallthrough -Wundef -fno-common
DEFS     := -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
INCS     := -Iinclude -Isrc
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
# libxgboost (Debian's libxgboost-dev) ships no pkg-config file.
PKG_LIBS   := $(shell pkg-config --libs $(PKGS)) -lxgboost -lpthread -lm

ifeq ($(SANITIZE),1)
  OUT    := build-san
  OPT    := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
  LDSAN  := -fsanitize=address,undefined
else
  OUT    := build
  OPT    := -O2 -g
  LDSAN  :=
endif

CFLAGS_ALL := $(WARN) $(DEFS) $(INCS) $(PKG_CFLAGS) $(OPT) -fPIC -fvisibility=hidden -MMD -MP $(CFLAGS)
LDFLAGS_ALL := $(LDSAN) $(LDFLAGS)

LIB_SRC  := $(wildcard src/base/*.c src/domain/*.c src/http/*.c src/store/*.c src/store/sqlite/*.c src/store/postgres/*.c \
                      src/artifacts/*.c src/import/*.c src/api/*.c src/auth/*.c src/client/*.c src/models/*.c \
                      src/data/*.c src/projects/*.c src/monitor/*.c src/pipelines/*.c)
SRV_SRC  := $(wildcard src/serving/*.c src/gateway/*.c src/server/*.c src/server/handlers/*.c)
CLI_SRC  := $(wildcard src/cli/*.c)
UNIT_SRC := $(wildcard tests/unit/*.c tests/unit/*/*.c)

# Files made at build time: pyworker.py's text, embedded in the library.
%/gen/pyworker_source.c: src/models/pyworker.py scripts/embed
	@mkdir -p $(dir $@)
	scripts/embed pyworker_source $< models/pyworker_source.h > $@.tmp && mv $@.tmp $@
$(OUT)/obj/gen/%.o: $(OUT)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

# The web UI: npm packages from ui/package-lock.json, bundled by ui/build.mjs
# into a C file of its assets.
UI_DEPS := $(wildcard ui/src/*) ui/build.mjs ui/package-lock.json
ui/node_modules/.installed: ui/package.json ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund --loglevel=error
	touch $@
%/gen/ui_assets.c: $(UI_DEPS) ui/node_modules/.installed
	node ui/build.mjs --c-out $@

LIB_OBJ  := $(LIB_SRC:%.c=$(OUT)/obj/%.o) $(OUT)/obj/gen/pyworker_source.o
SRV_OBJ  := $(SRV_SRC:%.c=$(OUT)/obj/%.o) $(OUT)/obj/gen/ui_assets.o
CLI_OBJ  := $(CLI_SRC:%.c=$(OUT)/obj/%.o)
UNIT_OBJ := $(UNIT_SRC:%.c=$(OUT)/obj/%.o)

.PHONY: all test unit fuzz bench lint format clean examples
all: $(OUT)/ferry $(OUT)/libferry.a $(OUT)/libferry.so examples

$(OUT)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(OUT)/libferry.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(OUT)/libferry.so: $(LIB_OBJ)
	$(CC) -shared -o $@ $^ $(LDFLAGS_ALL) $(PKG_LIBS)

$(OUT)/ferry: $(CLI_OBJ) $(SRV_OBJ) $(OUT)/libferry.a
	$(CC) -o $@ $(CLI_OBJ) $(SRV_OBJ) $(OUT)/libferry.a $(LDFLAGS_ALL) $(PKG_LIBS)

$(OUT)/unit-tests: $(UNIT_OBJ) $(SRV_OBJ) $(OUT)/libferry.a
	$(CC) -o $@ $(UNIT_OBJ) $(SRV_OBJ) $(OUT)/libferry.a $(LDFLAGS_ALL) $(PKG_LIBS)

# Examples link libferry like any user would, plus what the example itself needs.
EXAMPLE_SRC := $(wildcard examples/*/*.c)
EXAMPLE_BIN := $(patsubst examples/%.c,$(OUT)/examples/%,$(EXAMPLE_SRC))
examples: $(EXAMPLE_BIN)
$(OUT)/examples/%: examples/%.c $(OUT)/libferry.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(OUT)/libferry.a $(LDFLAGS_ALL) $(PKG_LIBS)

# Tools the e2e tests run (e.g. training a model in MLflow's layout).
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BIN := $(patsubst tests/tools/%.c,$(OUT)/tools/%,$(TOOL_SRC))
$(OUT)/tools/%: tests/tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LDFLAGS_ALL) $(PKG_LIBS)
# alert_fixture opens alerts through the store (tests/e2e/test_alerts.py).
$(OUT)/tools/alert_fixture: tests/tools/alert_fixture.c $(OUT)/libferry.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(OUT)/libferry.a $(LDFLAGS_ALL) $(PKG_LIBS)

unit: $(OUT)/unit-tests $(TOOL_BIN)

test:
	$(MAKE) lint
	$(MAKE) SANITIZE=1 all unit
	$(MAKE) fuzz
	tests/run build-san

# libFuzzer targets, clang only. The library (plus serving/input.c, a parser
# of request bodies) is compiled once, instrumented for coverage, into
# build-fuzz/libferry-fuzz.a; each tests/fuzz/fuzz_X.c is one target linked
# against it. `make fuzz-long` runs every target for FUZZ_LONG_SECONDS.
FUZZ_CC      := clang
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS  := $(WARN) $(DEFS) $(INCS) $(PKG_CFLAGS) -g -O1 -fno-omit-frame-pointer -MMD -MP
FUZZ_SRC     := $(wildcard tests/fuzz/*.c)
FUZZ_BIN     := $(patsubst tests/fuzz/%.c,build-fuzz/%,$(FUZZ_SRC))
FUZZ_LIB_SRC := $(LIB_SRC) src/serving/input.c
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:%.c=build-fuzz/obj/%.o) build-fuzz/obj/gen/pyworker_source.o
FUZZ_LONG_SECONDS ?= 600
.PHONY: fuzz-long FUZZ_FORCE
fuzz: $(FUZZ_BIN)
fuzz-long: fuzz
	tests/fuzz/run.sh $(FUZZ_LONG_SECONDS)
build-fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c $< -o $@
build-fuzz/obj/gen/pyworker_source.o: build-fuzz/gen/pyworker_source.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c $< -o $@
# The member list, rewritten only when it changes: a source file that goes
# away must leave the archive too.
build-fuzz/libferry-fuzz.list: FUZZ_FORCE
	@mkdir -p $(dir $@)
	@echo '$(FUZZ_LIB_OBJ)' | cmp -s - $@ || echo '$(FUZZ_LIB_OBJ)' > $@
build-fuzz/libferry-fuzz.a: $(FUZZ_LIB_OBJ) build-fuzz/libferry-fuzz.list
	@rm -f $@
	ar rcs $@ $(FUZZ_LIB_OBJ)
build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c build-fuzz/libferry-fuzz.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MF build-fuzz/obj/$(@F).d -MT $@ -fsanitize=fuzzer $(FUZZ_SAN) \
	  -o $@ $< build-fuzz/libferry-fuzz.a $(PKG_LIBS)
-include $(shell find build-fuzz -name '*.d' 2>/dev/null)

BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(patsubst bench/%.c,build/bench/%,$(BENCH_SRC))
bench:
	$(MAKE) all
	$(MAKE) $(BENCH_BIN) $(TOOL_BIN)
build/bench/%: bench/%.c build/libferry.a
	@mkdir -p build/bench
	$(CC) $(CFLAGS_ALL) -o $@ $< build/libferry.a $(PKG_LIBS)

lint:
	scripts/check-layers
	clang-format --dry-run --Werror $(LIB_SRC) $(SRV_SRC) $(CLI_SRC) $(wildcard src/*/*.h src/*/*/*.h include/ferry/*.h)

format:
	clang-format -i $(LIB_SRC) $(SRV_SRC) $(CLI_SRC) $(wildcard src/*/*.h src/*/*/*.h include/ferry/*.h)

clean:
	rm -rf build build-san build-fuzz ui/node_modules

-include $(shell find $(OUT)/obj -name '*.d' 2>/dev/null)
