# Makefile - builds kazi, its tests, fuzzers and benchmarks.
# Owns: compiler flags, the sanitizer build used by `make test`, and the
# package install step. Never hides a failing command.
#
#   make            build build/kazi
#   make test       install missing Debian packages (as root), build with
#                   ASan+UBSan, run unit, vector, integration tests and the
#                   fuzz corpus replay; ends with "N passed, N failed"
#   make demo       install, build, run the demonstration
#   make fuzz       libFuzzer harnesses, FUZZ_SECONDS each (default 300)
#   make bench      benchmarks (bench/), figures into docs/benchmarks.md
#   make clean

CC      ?= gcc
PKGS    := libserialport gammu sqlite3 jansson inih libmicrohttpd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcsv -lm

# Data files (message templates) read at run time; `make install` will point this at
# $(PREFIX)/share/kazi. KAZI_TEMPLATES in the environment overrides it.
TEMPLATE_DIR ?= $(CURDIR)/tasks/templates

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla
CSTD    := -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -DKAZI_TEMPLATE_DIR='"$(TEMPLATE_DIR)"'
INC     := -Imodem -Itasks -Igateway
CFLAGS  ?= -O2 -g
ALL_CFLAGS = $(CSTD) $(WARN) $(INC) $(PKG_CFLAGS) $(CFLAGS) $(EXTRA_CFLAGS)

SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

B       ?= build
MODEM_SRC   := $(sort $(wildcard modem/*.c))
TASKS_SRC   := $(sort $(wildcard tasks/*.c))
GATEWAY_SRC := $(sort $(wildcard gateway/*.c))
TEST_SRC    := $(sort $(wildcard tests/unit/test_*.c tests/vectors/test_*.c tests/integration/test_*.c))
FUZZ_SRC    := $(sort $(wildcard tests/fuzz/fuzz_*.c))
BENCH_SRC   := $(sort $(wildcard bench/bench_*.c))

MODEM_OBJ   := $(MODEM_SRC:%.c=$(B)/%.o)
TASKS_OBJ   := $(TASKS_SRC:%.c=$(B)/%.o)
GATEWAY_OBJ := $(GATEWAY_SRC:%.c=$(B)/%.o)
LIB_OBJ     := $(MODEM_OBJ) $(TASKS_OBJ)
TEST_BIN    := $(TEST_SRC:tests/%.c=$(B)/tests/%)
REPLAY_BIN  := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/tests/replay/%)
BENCH_BIN   := $(BENCH_SRC:bench/%.c=$(B)/bench/%)

.PHONY: all test check-build demo fuzz fuzz-smoke bench clean deps
.SUFFIXES:

all: $(B)/kazi

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(B)/libkazi.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/kazi: $(GATEWAY_OBJ) $(B)/libkazi.a
	$(CC) $(ALL_CFLAGS) -o $@ $(GATEWAY_OBJ) $(B)/libkazi.a $(PKG_LIBS)

# Tests link the libraries and every gateway object except main.
$(B)/tests/%: tests/%.c $(B)/libkazi.a $(filter-out $(B)/gateway/main.o,$(GATEWAY_OBJ)) tests/harness.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(filter-out $(B)/gateway/main.o,$(GATEWAY_OBJ)) \
	    $(B)/libkazi.a $(PKG_LIBS)

# Fuzz targets built with a plain main() that replays a corpus (gcc, sanitizers).
$(B)/tests/replay/%: tests/fuzz/%.c tests/fuzz/replay_main.c $(B)/libkazi.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< tests/fuzz/replay_main.c $(B)/libkazi.a $(PKG_LIBS)

$(B)/bench/%: bench/%.c $(B)/libkazi.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(B)/libkazi.a $(PKG_LIBS)

deps:
	@sh .ci/install-deps.sh

# The sanitizer build lives in build/san so it never mixes with the release objects.
check-build:
	@$(MAKE) --no-print-directory B=build/san EXTRA_CFLAGS="$(SAN) -O1" \
	    build/san/kazi $(TEST_BIN:$(B)/%=build/san/%) $(REPLAY_BIN:$(B)/%=build/san/%)

JOBS    ?= $(shell nproc 2>/dev/null || echo 2)

test: deps
	@$(MAKE) --no-print-directory -j$(JOBS) check-build
	@sh tests/run.sh build/san

fuzz-smoke: check-build
	@sh tests/fuzz/replay.sh build/san

demo: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@sh tests/demo.sh $(B)

fuzz: deps
	@sh tests/fuzz/run.sh $${FUZZ_SECONDS:-300}

bench: deps
	@$(MAKE) --no-print-directory B=build/bench CFLAGS="-O2 -g" $(BENCH_BIN:$(B)/%=build/bench/%) build/bench/kazi
	@sh bench/run.sh build/bench

clean:
	rm -rf build

-include $(shell find $(B) -name '*.d' 2>/dev/null)
