# Makefile - builds kazi, its tests, fuzzers and benchmarks.
# Owns: compiler flags, the sanitizer build used by `make test`, and the
# package install step. Never hides a failing command.
#
#   make            build build/kazi
#   make test       install missing Debian packages (as root), build with
#                   ASan+UBSan, run unit, vector, integration tests and the
#                   fuzz smoke pass; ends with "N passed, N failed"
#   make demo       install, build, run the demonstration
#   make fuzz       libFuzzer harnesses, FUZZ_SECONDS each (default 600)
#   make fuzz-smoke corpus replay plus FUZZ_SMOKE_SECONDS (default 5) of each
#   make soak       the soak test at full size (a simulated week, docs/soak.md)
#   make bench      benchmarks (bench/), figures into docs/benchmarks.md
#   make cross-test cross builds for armhf and arm64, unit and vector tests
#                   under qemu-user (tests/cross/run.sh; `make test` runs it too)
#   make install    PREFIX (/usr/local), DESTDIR; make uninstall (docs/install.md)
#   make clean

CC      ?= gcc
PKGS    := libserialport sqlite3 jansson inih
# Headers only, never linked: gateway/http_mhd.c loads libmicrohttpd when [http] is used.
DL_PKGS := libmicrohttpd
# Likewise modem/gammu_lib.c loads libgammu when a modem uses driver = gammu; only the
# tests that call libgammu themselves (GAMMU_TESTS) link it.
DL_PKGS += gammu
# And modem/curl_lib.c loads libcurl when a modem uses driver = kannel.
DL_PKGS += libcurl
# And tasks/pq_lib.c loads libpq when the database is a postgresql:// URI.
DL_PKGS += libpq
# A cross build passes one that reads a sysroot's .pc files (tests/cross/run.sh).
PKG_CONFIG ?= pkg-config
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) $(DL_PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lcsv
# kazi's relative relocations packed (DT_RELR) where the linker can: the table ld.so
# reads at start shrinks from ~50 KiB to ~1 KiB (GNU ld 2.38+ on x86-64; 2.40 ignores
# it on ARM with a warning, and then it is not used).
RELR := $(shell printf 'int main(void){return 0;}' | $(CC) -x c - -o /dev/null \
    -Wl,--fatal-warnings -Wl,-z,pack-relative-relocs >/dev/null 2>&1 && echo -Wl,-z,pack-relative-relocs)

# Data files (message templates) read at run time: the tree's for this build, tests
# and the demo; `make install` relinks kazi with $(DATADIR)/templates (providers and
# samples are found beside it). KAZI_TEMPLATES in the environment overrides it.
TEMPLATE_DIR ?= $(CURDIR)/tasks/templates

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla
# _FILE_OFFSET_BITS=64: on 32-bit ARM, readdir() and stat() fail with EOVERFLOW on
# 64-bit inode numbers and directory offsets without it (no-op on 64-bit).
CSTD    := -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -DKAZI_TEMPLATE_DIR='"$(TEMPLATE_DIR)"'
INC     := -Imodem -Itasks -Igateway
CFLAGS  ?= -O2 -g
# String literals kept in their own file's .rodata, in link order (gcc; clang has no
# such switch): merged, `kazi serve`'s start read strings spread over the whole
# .rodata, one 64 KiB window of resident memory each (docs/benchmarks.md, "Memory").
NOMERGE := $(shell printf 'int x;' | $(CC) -x c - -c -o /dev/null -Werror -fno-merge-constants \
    >/dev/null 2>&1 && echo -fno-merge-constants)
ALL_CFLAGS = $(CSTD) $(WARN) $(INC) $(PKG_CFLAGS) $(NOMERGE) $(CFLAGS) $(EXTRA_CFLAGS)

SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

B       ?= build
# build/san is always the sanitizer build, whatever target names it (`make install B=build/san`).
ifneq ($(filter %build/san,$(B)),)
EXTRA_CFLAGS ?= $(SAN) -O1
endif
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

.PHONY: all test check-build demo fuzz fuzz-smoke bench soak clean deps install uninstall cross-test FORCE
.SUFFIXES:

all: $(B)/kazi $(B)/install/kazi

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(B)/libkazi.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# `kazi serve`'s code first, side by side (docs/benchmarks.md, "Memory"): the kernel
# maps a program's pages 64 KiB at a time around each one touched, so the ~200 KiB of
# code an idle daemon runs, spread among every command's, kept all the text resident.
# SERVE_IDLE: the files an idle daemon with two modems runs (callgrind --dump-instr);
# SERVE_BUSY: those a burst of messages adds. A file left out still links (from
# libkazi.a or the other gateway objects); it only costs memory.
SERVE_IDLE := gateway/main gateway/log gateway/config gateway/loop gateway/serve \
    gateway/serve_clock gateway/serve_conv gateway/serve_http gateway/serve_inbox \
    gateway/serve_modems gateway/serve_pay gateway/serve_power gateway/inbox gateway/outbox \
    modem/at_chan modem/at_parse modem/at_scan modem/modem modem/modem_init \
    modem/modem_quirks modem/modem_recover modem/modem_rx modem/modem_tx modem/modem_ussd \
    modem/port modem/port_termios modem/status modem/utf8 tasks/store tasks/store_memory \
    tasks/store_schema tasks/store_inbox tasks/store_outbox tasks/store_engine_sql \
    tasks/store_engine_dispatch tasks/store_engine_money tasks/engine_dispatch \
    tasks/engine_money tasks/money tasks/phone tasks/conv tasks/templates
SERVE_BUSY := modem/concat modem/gsm7 modem/hex modem/ucs2 modem/sms_text modem/pdu_decode \
    modem/pdu_encode modem/pdu_fields tasks/conv_parse tasks/conv_cmds tasks/conv_answer \
    tasks/conv_multi tasks/conv_offer tasks/conv_record tasks/conv_notice tasks/conv_push \
    tasks/conv_abuse tasks/store_abuse tasks/store_conv tasks/store_worker \
    tasks/engine_answer tasks/store_engine_answer tasks/pseudonym tasks/task_msg
SERVE_OBJ := $(patsubst %,$(B)/%.o,$(SERVE_IDLE) $(SERVE_BUSY))
KAZI_OBJ  := $(filter $(GATEWAY_OBJ) $(LIB_OBJ),$(SERVE_OBJ)) $(filter-out $(SERVE_OBJ),$(GATEWAY_OBJ))

$(B)/kazi: $(KAZI_OBJ) $(B)/libkazi.a
	$(CC) $(ALL_CFLAGS) $(RELR) -o $@ $(KAZI_OBJ) $(B)/libkazi.a $(PKG_LIBS)

# Tests link the libraries and every gateway object except main.
$(B)/tests/%: tests/%.c $(B)/libkazi.a $(filter-out $(B)/gateway/main.o,$(GATEWAY_OBJ)) $(wildcard tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(filter-out $(B)/gateway/main.o,$(GATEWAY_OBJ)) \
	    $(B)/libkazi.a $(PKG_LIBS)

# libgammu as an independent oracle, and the check of gammu_lib.h's types against it.
GAMMU_TESTS := $(B)/tests/unit/test_gammu_diff $(B)/tests/unit/test_gammu_lib
$(GAMMU_TESTS): PKG_LIBS += $(shell $(PKG_CONFIG) --libs gammu 2>/dev/null)

# Fuzz targets built with a plain main() that replays a corpus (gcc, sanitizers);
# like the tests they link every gateway object except main.
$(B)/tests/replay/%: tests/fuzz/%.c tests/fuzz/replay_main.c $(B)/libkazi.a \
    $(filter-out $(B)/gateway/main.o,$(GATEWAY_OBJ))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< tests/fuzz/replay_main.c \
	    $(filter-out $(B)/gateway/main.o,$(GATEWAY_OBJ)) $(B)/libkazi.a $(PKG_LIBS)

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

# KAZI_SOAK_SEED=N repeats a run; KAZI_SOAK_DAYS / KAZI_SOAK_WORKERS change the size.
soak: deps
	@$(MAKE) --no-print-directory -j$(JOBS) B=build/san EXTRA_CFLAGS="$(SAN) -O1" \
	    build/san/tests/integration/test_soak
	KAZI_SOAK_SIZE=full build/san/tests/integration/test_soak

fuzz-smoke: check-build
	@sh tests/fuzz/smoke.sh build/san

demo: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@sh tests/demo.sh $(B)

fuzz: deps
	@sh tests/fuzz/run.sh $${FUZZ_SECONDS:-600}

bench: deps
	@$(MAKE) --no-print-directory B=build/bench CFLAGS="-O2 -g" $(BENCH_BIN:$(B)/%=build/bench/%) build/bench/kazi
	@sh bench/run.sh build/bench

cross-test: deps
	@sh tests/cross/run.sh

# ---- make install / make uninstall (docs/install.md) ----
PREFIX     ?= /usr/local
DESTDIR    ?=
BINDIR     ?= $(PREFIX)/bin
DATADIR    ?= $(PREFIX)/share/kazi
DOCDIR     ?= $(PREFIX)/share/doc/kazi
SYSCONFDIR ?= /etc
STATEDIR   ?= /var/lib/kazi
# In systemd's search path for both /usr/local and /usr; outside /lib, which is dpkg's.
UNITDIR    ?= $(PREFIX)/lib/systemd/system
# no: never create the user, chown or call systemctl (a staging tree, a test).
SYSTEM_SETUP ?= yes

# The installed kazi is $(B)'s objects relinked, with only the files that name
# KAZI_TEMPLATE_DIR compiled again for $(DATADIR) (and again when DATADIR changes).
# `make` builds it too, so that `sudo make install` builds nothing as root.
INST_SRC := $(shell grep -l KAZI_TEMPLATE_DIR $(GATEWAY_SRC))
INST_OBJ := $(INST_SRC:%.c=$(B)/install/%.o)

$(B)/install/datadir: FORCE
	@mkdir -p $(dir $@)
	@echo '$(DATADIR)' | cmp -s - $@ || echo '$(DATADIR)' >$@

$(B)/install/%.o: %.c $(B)/install/datadir
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -UKAZI_TEMPLATE_DIR -DKAZI_TEMPLATE_DIR='"$(DATADIR)/templates"' \
	    -MMD -MP -c $< -o $@

# (in kazi's order: serve's code first)
INST_KAZI_OBJ := $(foreach o,$(KAZI_OBJ),$(if $(filter $(o),$(INST_SRC:%.c=$(B)/%.o)),$(o:$(B)/%=$(B)/install/%),$(o)))

$(B)/install/kazi: $(INST_KAZI_OBJ) $(B)/libkazi.a
	$(CC) $(ALL_CFLAGS) $(RELR) -o $@ $^ $(PKG_LIBS)

FORCE:

# Paths in the shipped unit and configuration follow PREFIX and SYSCONFDIR.
INST_SED = -e 's|/usr/bin/kazi|$(BINDIR)/kazi|g' -e 's|/usr/share/kazi|$(DATADIR)|g' \
    -e 's|/usr/share/doc/kazi|$(DOCDIR)|g' -e 's|/etc/kazi|$(SYSCONFDIR)/kazi|g' \
    -e 's|/var/lib/kazi|$(STATEDIR)|g'
CONF     = $(SYSCONFDIR)/kazi/kazi.conf

install: $(B)/install/kazi
	install -d -m 0755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/templates \
	    $(DESTDIR)$(DATADIR)/providers $(DESTDIR)$(DATADIR)/samples $(DESTDIR)$(DOCDIR) \
	    $(DESTDIR)$(UNITDIR)
	install -m 0755 $(B)/install/kazi $(DESTDIR)$(BINDIR)/kazi
	install -m 0644 tasks/templates/*.tmpl $(DESTDIR)$(DATADIR)/templates/
	install -m 0644 tasks/providers/* $(DESTDIR)$(DATADIR)/providers/
	install -m 0644 tasks/samples/* $(DESTDIR)$(DATADIR)/samples/
	install -m 0644 README.md hardware.md docs/*.md docs/kazi.conf.example $(DESTDIR)$(DOCDIR)/
	install -d -m 0755 $(DESTDIR)$(DOCDIR)/udev
	install -m 0644 docs/udev/*.rules $(DESTDIR)$(DOCDIR)/udev/
	sed $(INST_SED) gateway/kazi.service >$(DESTDIR)$(UNITDIR)/kazi.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/kazi.service
	install -d -m 0750 $(DESTDIR)$(SYSCONFDIR)/kazi $(DESTDIR)$(STATEDIR)
	@if [ -e $(DESTDIR)$(CONF) ]; then \
	    echo "kept $(DESTDIR)$(CONF) (never overwritten; the new example is $(DOCDIR)/kazi.conf.example)"; \
	else \
	    echo "sed ... docs/kazi.conf.example >$(DESTDIR)$(CONF)"; \
	    (umask 077 && sed $(INST_SED) docs/kazi.conf.example >$(DESTDIR)$(CONF)) && \
	    chmod 0600 $(DESTDIR)$(CONF); \
	fi
	@if [ -z "$(DESTDIR)" ] && [ "$(SYSTEM_SETUP)" = yes ] && [ "$$(id -u)" -eq 0 ]; then \
	    sh gateway/install-system.sh "$(CONF)" "$(STATEDIR)" "$(SYSCONFDIR)/kazi"; \
	else \
	    echo "not root, DESTDIR set or SYSTEM_SETUP=no: no kazi user, chown or systemctl (docs/install.md)"; \
	fi

uninstall:
	@if [ -z "$(DESTDIR)" ] && [ "$(SYSTEM_SETUP)" = yes ] && [ "$$(id -u)" -eq 0 ] && \
	    [ -d /run/systemd/system ] && [ -e $(UNITDIR)/kazi.service ]; then \
	    echo "systemctl disable --now kazi"; systemctl disable --now kazi || true; \
	fi
	rm -f $(DESTDIR)$(BINDIR)/kazi $(DESTDIR)$(UNITDIR)/kazi.service
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)
	@if [ -z "$(DESTDIR)" ] && [ "$(SYSTEM_SETUP)" = yes ] && [ "$$(id -u)" -eq 0 ] && \
	    [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
	@echo "kept $(DESTDIR)$(CONF), $(DESTDIR)$(STATEDIR) and the kazi user (remove them by hand)"

clean:
	rm -rf build

# (build/sysroot: Debian's ARM packages unpacked for tests/cross, with their own *.d dirs)
-include $(shell find $(B) -path '*/sysroot' -prune -o -name '*.d' -type f -print 2>/dev/null)
