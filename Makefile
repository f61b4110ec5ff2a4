# leads — build, test, install.
#
#   make               build ./leads
#   make check         every test: unit, bats, the same under ASan+UBSan,
#                      the bats suite on PostgreSQL (check-pg), formatting
#                      and man page lint
#   make check-pg      the bats suite against a throw-away PostgreSQL 15
#   make check-cgi     leads intake behind lighttpd on 127.0.0.1 (curl)
#   make demo          a short tour on a throw-away database
#   make bench         speed and memory ratios against peers, same run
#                      (BENCH_SIZES="10000 100000 1000000" for a million;
#                      BENCH_ROWS=1000000 adds the single-feature benchmarks)
#   make fuzz          run each libFuzzer harness for FUZZ_SECONDS
#   make valgrind      the bats suite under valgrind memcheck
#   make soak          30 minutes of mixed load and SIGKILLs (SOAK_SECONDS)
#   make install       PREFIX=/usr/local DESTDIR= (BINDIR, MANDIR, the
#                      completion dirs: see "Install" below); make uninstall
#                      with the same variables removes what it put there
#   make deb           a Debian package in build/deb (dpkg-buildpackage)
#   make check-deb     build it, lintian, install/run/purge it in a
#                      throw-away overlay of / (root; called by .ci/run)
#   make dist          a reproducible build/dist/leads-VERSION.tar.gz
#
# WERROR=1 turns warnings into errors: `make check` and .ci/run set it, and
# a developer exports it; a plain user build and the .deb leave it off, so a
# newer compiler's new warning cannot break them. CPPFLAGS, CFLAGS and
# LDFLAGS are honoured (dpkg-buildflags' hardening goes through them), and
# a change of flags rebuilds what they compiled.
#
# Objects go to $(BUILD) so that several builds (plain, sanitized, a
# helper's scratch build) can live side by side.

# From the git tags in a checkout, from VERSION in a release tarball.
VERSION   := $(shell sh scripts/version.sh)
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
DATADIR   ?= $(PREFIX)/share
MANDIR    ?= $(DATADIR)/man
# zsh reads site-functions under /usr/local; the .deb passes
# ZSHCOMPDIR=/usr/share/zsh/vendor-completions, Debian's place.
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR  ?= $(DATADIR)/zsh/site-functions
FISHCOMPDIR ?= $(DATADIR)/fish/vendor_completions.d
INSTALL   ?= install
BUILD     ?= build/default
CC        ?= cc
CLANG_FORMAT ?= $(shell command -v clang-format-14 || command -v clang-format)

# libpq is opened at run time, when a PostgreSQL database is named (see
# lib/db_pg.c): its header is needed to build, the library is not linked,
# so that a command on a file does not load it and its twenty libraries.
PKGS      := sqlite3 yaml-0.1 jansson
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) libpq)
PKG_LIBS  := $(shell pkg-config --libs $(PKGS)) -ldl

# `make check` is built with -Werror whatever the environment says, unless
# WERROR is given on the command line; sub-makes inherit it.
ifneq ($(filter check,$(MAKECMDGOALS)),)
ifneq ($(origin WERROR),command line)
WERROR    := 1
endif
endif
WERROR    ?=
export WERROR

WARN      := -Wall -Wextra $(if $(filter 1 yes,$(WERROR)),-Werror) -Wshadow -Wconversion -Wno-sign-conversion \
             -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla
CFLAGS    ?= -O2 -g
ALL_CFLAGS := -std=c11 -pthread $(WARN) -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
             -Ilib $(PKG_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(EXTRA_CFLAGS)
LDLIBS    := $(PKG_LIBS) -lm $(EXTRA_LDLIBS)

LIB_SRC   := $(sort $(wildcard lib/*.c))
CMD_SRC   := $(sort $(wildcard cmd/*.c))
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
TEMPLATES := $(sort $(wildcard examples/*.yaml))
GEN_OBJ   := $(BUILD)/gen/templates.o
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o) $(GEN_OBJ)
CMD_OBJ   := $(CMD_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%)
BIN       := $(BUILD)/leads
MAN1      := $(sort $(wildcard man/*.1))
MAN5      := $(sort $(wildcard man/*.5))
C_FILES   := $(sort $(wildcard lib/*.[ch] cmd/*.[ch] tests/unit/*.[ch] fuzz/*.c bench/*.c))

SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

.PHONY: all check check-pg check-failover check-cgi unit bats fixture-modes valgrind check-san fmt fmt-check lint-man demo bench fuzz soak install uninstall deb check-deb dist clean FORCE

all: leads

leads: $(BIN)
	$(Q)cp $(BIN) leads.tmp && mv leads.tmp leads

# V=1 shows the full command lines.
Q := $(if $(V),,@)
say = $(if $(V),,@echo "  $(1)	$(2)";)

$(BIN): $(LIB_OBJ) $(CMD_OBJ)
	$(call say,LINK,$@)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS) $(LDFLAGS)

$(BUILD)/gen/templates.c: scripts/embed-templates.sh $(TEMPLATES)
	$(Q)mkdir -p $(dir $@)
	$(call say,GEN,$@)sh scripts/embed-templates.sh $(TEMPLATES) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/templates.o: $(BUILD)/gen/templates.c
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/%.o: %.c
	$(Q)mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/unit/%: tests/unit/%.c $(LIB_OBJ)
	$(Q)mkdir -p $(dir $@)
	$(call say,LINK,$@)$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(LIB_OBJ) $(LDLIBS) $(LDFLAGS)

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d)

# The flags and the version are kept in files that change only when they
# do: new flags (WERROR=1, CFLAGS, a sanitizer) rebuild everything, a new
# version only cmd/leads.c, the one file that prints it.
quote = '$(subst ','\'',$(1))'
$(BUILD)/flags: FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' $(call quote,$(CC) $(ALL_CFLAGS) $(LDLIBS) $(LDFLAGS)) | cmp -s - $@ || \
	  printf '%s\n' $(call quote,$(CC) $(ALL_CFLAGS) $(LDLIBS) $(LDFLAGS)) > $@
$(BUILD)/version: FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' '$(VERSION)' | cmp -s - $@ || printf '%s\n' '$(VERSION)' > $@
$(LIB_OBJ) $(CMD_OBJ) $(UNIT_BIN): $(BUILD)/flags
$(BUILD)/cmd/leads.o: $(BUILD)/version
$(BUILD)/cmd/leads.o: private ALL_CFLAGS += -DLEADS_VERSION='"$(VERSION)"'

# the replay test includes the fuzz harnesses: rebuild it when one changes
$(BUILD)/unit/test_fuzz_replay: $(wildcard fuzz/fuzz_*.c)

# leads warns about a config others may write to, and the tests load the
# fixtures and examples as configs: a checkout made with umask 002 (or a
# `git archive` tarball, whose default is 002 too) would make every one of
# them warn. Make them what a careful user's config is.
fixture-modes:
	@chmod -R go-w tests/fixtures examples

unit: fixture-modes $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "unit: $$t"; (cd tests/unit && $(CURDIR)/$$t); done

# Four jobs when GNU parallel is there (it is in the install script): the
# tests wait on processes, the clock and the server more than they compute,
# and on two cores four jobs took 1.5 minutes where two took 2.5. And
# the tests' databases on tmpfs when there is one: every write command
# fsyncs its commit, which is what a user wants and a test run does not
# (crash tests kill processes; they do not cut the power).
BATS_JOBS := $(shell command -v parallel >/dev/null 2>&1 && echo "--jobs 4")
BATS_TMP  := $(shell test -d /dev/shm -a -w /dev/shm && echo /dev/shm)

bats: fixture-modes $(BIN)
	LEADS_BIN=$(CURDIR)/$(BIN) $(if $(BATS_TMP),TMPDIR=$(BATS_TMP)) bats $(BATS_JOBS) tests/

# leads intake behind a real web server (lighttpd + mod_cgi on 127.0.0.1,
# forms posted with curl): its own target, as DECISIONS' long checks say;
# .ci/run calls it. It skips, saying why, when lighttpd cannot start.
check-cgi: fixture-modes $(BIN)
	LEADS_BIN=$(CURDIR)/$(BIN) $(if $(BATS_TMP),TMPDIR=$(BATS_TMP)) bats tests/cgi/

# The bats suite against a throw-away PostgreSQL 15 server, a fresh
# database per test (scripts/pg-test.sh, tests/test_helper.bash).
check-pg: fixture-modes $(BIN)
	$(if $(BATS_TMP),TMPDIR=$(BATS_TMP)) sh scripts/pg-test.sh env LEADS_BIN=$(CURDIR)/$(BIN) bats $(BATS_JOBS) tests/

# A primary and a synchronous streaming standby on this machine, a write
# load, the primary stopped hard and the standby promoted: leads exits 0
# or 75 and loses no write it reported done (about a minute; .ci/run).
check-failover: $(BIN)
	sh scripts/check-failover.sh $(BIN)

# The whole suite again with AddressSanitizer and UndefinedBehaviorSanitizer.
check-san:
	$(MAKE) --no-print-directory BUILD=build/san CFLAGS="$(SAN_FLAGS)" EXTRA_LDLIBS="-fsanitize=address,undefined" unit bats

fmt:
	$(CLANG_FORMAT) -i $(C_FILES)

fmt-check:
	@$(CLANG_FORMAT) --dry-run --Werror $(C_FILES) && echo "fmt: ok"

lint-man:
	@mandoc -Tlint -Wwarning $(MAN1) $(MAN5) && echo "man: ok"

check: all lint-man unit bats check-san check-pg fmt-check

demo: leads
	@sh scripts/demo.sh ./leads

bench: leads
	@sh bench/run.sh ./leads

fuzz:
	@sh fuzz/run.sh $(FUZZ_SECONDS)

# Not in check: it runs for SOAK_SECONDS (default 30 minutes).
soak: leads
	LEADS_BIN=$(CURDIR)/leads bash scripts/soak.sh

# The bats suite with every leads run under valgrind memcheck (slow).
valgrind:
	@sh scripts/valgrind-suite.sh

# What `make install` puts in place; `make uninstall` removes exactly these
# files. Directories are left, as automake's uninstall leaves them: bin,
# man1 or site-functions may hold other programs' files.
INSTALLED := $(BINDIR)/leads $(MAN1:man/%=$(MANDIR)/man1/%) $(MAN5:man/%=$(MANDIR)/man5/%) \
             $(BASHCOMPDIR)/leads $(ZSHCOMPDIR)/_leads $(FISHCOMPDIR)/leads.fish

install: leads
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	$(INSTALL) -m 755 leads $(DESTDIR)$(BINDIR)/leads
	$(INSTALL) -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	$(INSTALL) -m 644 completions/leads.bash $(DESTDIR)$(BASHCOMPDIR)/leads
	$(INSTALL) -m 644 completions/_leads $(DESTDIR)$(ZSHCOMPDIR)/_leads
	$(INSTALL) -m 644 completions/leads.fish $(DESTDIR)$(FISHCOMPDIR)/leads.fish

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))

# A Debian package (debian/), built by dpkg-buildpackage in a temporary
# copy of the tree, since it writes into the parent directory; the .deb,
# .buildinfo and .changes land in DEB_DIR.
DEB_DIR ?= build/deb
deb:
	@sh scripts/make-deb.sh $(DEB_DIR)

# Not in check (DECISIONS: long checks get their own target; .ci/run
# calls it): lintian, then install, run and purge in a throw-away root.
check-deb: deb
	@sh scripts/check-deb.sh $(DEB_DIR)

# A release tarball of HEAD with a VERSION file, byte for byte the same
# every time for the same commit.
dist:
	@sh scripts/dist.sh build/dist

clean:
	rm -rf build leads leads.tmp
