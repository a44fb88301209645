# authd — build, run, test, install, bench.
#   make            build auth.fcgi, auth-mailer and authctl
#   make run        install what running needs, build, start the whole stack
#   make test       install what testing needs, build, run every test
#   make sanitize   the same suite with ASan + UBSan (built in build-sanitize/)
#   make fuzz       build and run the libFuzzer targets for a bounded time
#   make bench      load benchmark through nginx (prints its figures)
#   make test-arm64 cross-build for the Pi (aarch64, into build-arm64/) and
#                   run the unit tests and the bats suite under qemu-user
#   make install    PREFIX, DESTDIR; never touches a live database
#   make deps       install the packages of the test list only (deps-run:
#                   the run list, deps-arm64: the cross-build list)
#
# run, test, sanitize, fuzz, bench and test-arm64 first install the missing
# packages (spawn/deps.sh), then run make again: the compiler flags come
# from pkg-config, which can only answer once the -dev packages are there.
#
# O=dir/ puts objects, archives and programs under dir/ (default: beside
# the sources); ARCH=arm64 cross-compiles (default O=build-arm64/).

PREFIX	?= /usr/local
DESTDIR	?=
BINDIR	?= $(PREFIX)/bin
SHAREDIR ?= $(PREFIX)/share/authd
SYSCONFDIR ?= /etc

# The Pi: Debian's cross compiler and the :arm64 libraries (multiarch).
ifeq ($(ARCH),arm64)
CC	 = aarch64-linux-gnu-gcc
AR	 = aarch64-linux-gnu-ar
O	?= build-arm64/
PKG_CONFIG = env PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig pkg-config
endif
O	?=
PKG_CONFIG ?= pkg-config

# What each program links (pkg-config modules); the compiler sees the
# headers of all of them.
PKGS_AUTHD  = fcgi sqlite3 json-c libcrypto libargon2 libcrypt libcurl
PKGS_MAILER = json-c libcrypto libcurl
PKGS_CTL    = sqlite3 json-c libcrypto libargon2 libcrypt libcurl
PKGS_UNITS  = $(PKGS_AUTHD)
PKGS	    = $(sort $(PKGS_AUTHD) $(PKGS_MAILER) $(PKGS_CTL))

WARN	 = -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wcast-qual \
	   -Wstrict-prototypes -Wmissing-prototypes -Wmissing-declarations \
	   -Wformat=2 -Wundef -Wwrite-strings -Wvla
CFLAGS	?= -O2 -g
CFLAGS	+= -std=c11 -D_GNU_SOURCE -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
	   $(WARN) -Ilib -Istore -Ihandlers -Imail -Ictl -I. -I$(O)gen
DEPFLAGS = -MMD -MP
LDFLAGS	?=
ifeq ($(SANITIZE),1)
CFLAGS	:= $(filter-out -O2 -D_FORTIFY_SOURCE=2,$(CFLAGS)) -O1 \
	   -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=all
LDFLAGS	+= -fsanitize=address,undefined
endif

# The targets that only install packages, call make again or remove files
# need no compiler flags; every other goal asks pkg-config now and stops
# with the name of what is missing.
NOBUILD_GOALS = run test sanitize fuzz bench test-arm64 deps deps-run \
		deps-test deps-arm64 clean uninstall
ifneq ($(filter-out $(NOBUILD_GOALS),$(or $(MAKECMDGOALS),all)),)
ifeq ($(shell command -v $(lastword $(PKG_CONFIG))),)
$(error pkg-config is not installed: run `sh spawn/deps.sh run` (or make run / make test, which do))
endif
PKG_MISSING := $(shell for m in $(PKGS); do $(PKG_CONFIG) --exists $$m || echo $$m; done)
ifneq ($(PKG_MISSING),)
$(error pkg-config module(s) not found$(if $(filter arm64,$(ARCH)), for arm64,): $(PKG_MISSING): run `sh spawn/deps.sh $(if $(filter arm64,$(ARCH)),arm64,run)`)
endif
CFLAGS	+= $(shell $(PKG_CONFIG) --cflags $(PKGS))
LIBS_AUTHD  := $(shell $(PKG_CONFIG) --libs $(PKGS_AUTHD))
LIBS_MAILER := $(shell $(PKG_CONFIG) --libs $(PKGS_MAILER))
LIBS_CTL    := $(shell $(PKG_CONFIG) --libs $(PKGS_CTL))
LIBS_UNITS  := $(shell $(PKG_CONFIG) --libs $(PKGS_UNITS))
endif

# Sources by directory (wildcards: a new file builds without an edit here).
objs	= $(patsubst %.c,$(O)%.o,$(1))
LIB_OBJS     = $(call objs,$(wildcard lib/*.c))
STORE_OBJS   = $(call objs,$(wildcard store/*.c))
HANDLER_OBJS = $(call objs,$(wildcard handlers/*.c))
MAIL_OBJS    = $(call objs,$(filter-out mail/mailer.c,$(wildcard mail/*.c)))
CTL_MAIN     = $(O)ctl/authctl.o
CTL_OBJS     = $(call objs,$(filter-out ctl/authctl.c,$(wildcard ctl/*.c)))
MIGRATIONS   = $(sort $(wildcard store/migrations/*.sql))
# Any other top-level directory with C sources belongs to auth.fcgi (its
# entry point split into a folder of its own, say): built and archived
# like the others, with its headers on the include path.
KNOWN_DIRS   = lib store handlers mail ctl tests bench
EXTRA_DIRS   = $(sort $(filter-out $(KNOWN_DIRS),$(patsubst %/,%,$(dir $(wildcard */*.c)))))
EXTRA_OBJS   = $(call objs,$(wildcard $(addsuffix /*.c,$(EXTRA_DIRS))))
CFLAGS	    += $(addprefix -I,$(EXTRA_DIRS))

# One archive per directory: a program takes from each only the objects it
# uses (the mailer, say, no jwt or pwhash).
LIB_A	  = $(O)lib/libauthd.a
STORE_A	  = $(O)store/libstore.a
HANDLER_A = $(O)handlers/libhandlers.a
MAIL_A	  = $(O)mail/libmail.a
CTL_A	  = $(O)ctl/libctl.a
EXTRA_A	  = $(if $(EXTRA_OBJS),$(O)libextra.a)
ARCHIVES  = $(EXTRA_A) $(HANDLER_A) $(STORE_A) $(MAIL_A) $(LIB_A)
group	  = -Wl,--start-group $(1) -Wl,--end-group

PROGRAMS  = $(O)auth.fcgi $(O)auth-mailer $(O)authctl
UNIT_BINS = $(patsubst %.c,$(O)%,$(wildcard tests/unit/test_*.c))

all: $(PROGRAMS)

$(O)auth.fcgi: $(O)auth.fcgi.o $(ARCHIVES)
	$(CC) $(LDFLAGS) -o $@ $< $(call group,$(ARCHIVES)) $(LIBS_AUTHD)

$(O)authctl: $(CTL_MAIN) $(CTL_A) $(ARCHIVES)
	$(CC) $(LDFLAGS) -o $@ $< $(call group,$(CTL_A) $(ARCHIVES)) $(LIBS_CTL)

$(O)auth-mailer: $(O)mail/mailer.o $(MAIL_A) $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $< $(call group,$(MAIL_A) $(LIB_A)) $(LIBS_MAILER)

$(LIB_A): $(LIB_OBJS)
$(STORE_A): $(STORE_OBJS)
$(HANDLER_A): $(HANDLER_OBJS)
$(MAIL_A): $(MAIL_OBJS)
$(EXTRA_A): $(EXTRA_OBJS)
$(CTL_A): $(CTL_OBJS)
$(ARCHIVES) $(CTL_A):
	@rm -f $@
	$(AR) rcs $@ $^

$(O)%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

# Unit tests link the test and the archives (every part but the programs'
# entry points; authctl's helpers too).
$(O)tests/unit/test_%: $(O)tests/unit/test_%.o $(CTL_A) $(ARCHIVES)
	$(CC) $(LDFLAGS) -o $@ $< $(call group,$(CTL_A) $(ARCHIVES)) $(LIBS_UNITS)

units: $(UNIT_BINS)

# Measurement programs of bench/ (bench/argon2 builds and runs them).
$(O)bench/%: $(O)bench/%.o $(ARCHIVES)
	$(CC) $(LDFLAGS) -o $@ $< $(call group,$(ARCHIVES)) $(LIBS_UNITS)

# Generated sources: the migrations and the OpenAPI document embedded as C
# strings (the same for every architecture: beside their sources).
store/migrations.inc: $(MIGRATIONS) store/embed.sh
	sh store/embed.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

handlers/openapi.inc: handlers/openapi.json handlers/embed_openapi.sh
	sh handlers/embed_openapi.sh handlers/openapi.json > $@.tmp && mv $@.tmp $@

$(O)store/db.o: store/migrations.inc
$(O)handlers/openapi.o: handlers/openapi.inc

# The paths compiled into the programs, rewritten only when they change
# (make PREFIX=/usr after an earlier make rebuilds what uses them).
$(O)gen/paths.h: FORCE
	@mkdir -p $(@D)
	@printf '/* Generated by the Makefile from PREFIX; do not edit. */\n#define MAIL_TEMPLATE_FALLBACK\t"%s"\n' \
	    '$(SHAREDIR)/templates' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(O)mail/render.o $(O)mail/mailer.o: $(O)gen/paths.h

-include $(wildcard $(O)*.d $(O)*/*.d $(O)*/*/*.d)

# ---------------------------------------------------------------------------
# The targets that install their packages first.

deps: deps-test
deps-run deps-test deps-arm64:
	@sh spawn/deps.sh $(@:deps-%=%)

run: deps-run
	@$(MAKE) --no-print-directory all
	./spawn/run-local

test: deps-test
	@$(MAKE) --no-print-directory all units
	./tests/run

sanitize: deps-test
	@$(MAKE) --no-print-directory O=build-sanitize/ SANITIZE=1 all units
	AUTHD_BUILD=build-sanitize SANITIZE=1 ./tests/run

fuzz: deps-test
	./tests/fuzz/run $(FUZZ_SECONDS)

bench: deps-test
	@$(MAKE) --no-print-directory all
	./bench/run

# The Pi: aarch64 binaries and unit tests, run under qemu-user; the bats
# files of ARM64_BATS against the aarch64 programs (tests/arm64 says why
# that subset).
test-arm64: deps-arm64
	@$(MAKE) --no-print-directory ARCH=arm64 all units
	./tests/arm64

# ---------------------------------------------------------------------------
# Install: the programs, the schema, the templates, the nginx snippet, and
# the units and supervisord configuration written for this PREFIX.

SPAWN_TEMPLATES = $(wildcard spawn/*.in)
SUBST	= sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SHAREDIR@|$(SHAREDIR)|g' \
	      -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SHAREDIR) \
	    $(DESTDIR)$(SHAREDIR)/migrations $(DESTDIR)$(SHAREDIR)/templates \
	    $(DESTDIR)$(SHAREDIR)/nginx $(DESTDIR)$(SHAREDIR)/spawn
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(BINDIR)/
	install -m 0644 schema.sql $(DESTDIR)$(SHAREDIR)/
	install -m 0644 $(MIGRATIONS) $(DESTDIR)$(SHAREDIR)/migrations/
	install -m 0644 mail/templates/* $(DESTDIR)$(SHAREDIR)/templates/
	install -m 0644 nginx/authd.conf nginx/authd-upstream.conf \
	    $(DESTDIR)$(SHAREDIR)/nginx/
	install -m 0644 spawn/authd.env.example $(DESTDIR)$(SHAREDIR)/
	install -m 0644 spawn/authd.socket $(DESTDIR)$(SHAREDIR)/spawn/
	for t in $(SPAWN_TEMPLATES); do \
	    out=$(DESTDIR)$(SHAREDIR)/spawn/$$(basename $$t .in); \
	    $(SUBST) $$t > $$out.tmp && chmod 0644 $$out.tmp && \
	    mv $$out.tmp $$out || exit 1; \
	    if grep -n '@[A-Z][A-Z_]*@' $$out; then \
		echo "install: $$t: a placeholder is left" >&2; exit 1; fi; \
	done
	install -m 0755 spawn/authd-spawn $(DESTDIR)$(BINDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/auth.fcgi $(DESTDIR)$(BINDIR)/auth-mailer \
	    $(DESTDIR)$(BINDIR)/authd-spawn $(DESTDIR)$(BINDIR)/authctl
	rm -rf $(DESTDIR)$(SHAREDIR)

clean:
	rm -f auth.fcgi auth-mailer authctl $(patsubst %.c,%,$(wildcard tests/unit/test_*.c))
	find . -name .git -prune -o \( -name '*.o' -o -name '*.d' -o -name '*.a' \) \
	    -type f -exec rm -f {} +
	rm -f store/migrations.inc handlers/openapi.inc
	rm -rf gen build-arm64 build-sanitize tests/fuzz/build

FORCE:
# No built-in rules (test_x is linked from test_x.o, never from test_x.c);
# intermediate objects are kept.
.SUFFIXES:
.SECONDARY:

.PHONY: all units deps deps-run deps-test deps-arm64 run test sanitize fuzz \
	bench test-arm64 install uninstall clean FORCE
